//! The PostgreSQL backend of [`Db`], for more than one server on one ledger: connections
//! (TLS by rustls), prepared statements cached per connection, repeatable-read write
//! transactions, an advisory lock for work one server does at a time, and `NOTIFY` to
//! tell the other servers the total moved. The ledger's tables live in a schema of their
//! own, `fundraiser`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use postgres::config::{Host, SslMode};
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use super::sql::{Cell, Db, DbError, DbResult, Dialect, Row, Source, Value};

/// The schema the ledger's tables live in.
pub const SCHEMA: &str = "fundraiser";
/// The channel servers announce total changes on.
pub const CHANNEL: &str = "fundraiser_total";

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => Err(format!("an integer given for a {ty} parameter").into()),
            },
            Value::Text(s) => s.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn cell(row: &postgres::Row, i: usize) -> DbResult<Cell> {
    let ty = row
        .columns()
        .get(i)
        .map(|c| c.type_().clone())
        .ok_or_else(|| DbError::Decode(format!("no column {i}")))?;
    let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
    Ok(match ty {
        Type::INT8 => int(row.try_get::<_, Option<i64>>(i)?),
        Type::INT4 => int(row.try_get::<_, Option<i32>>(i)?.map(i64::from)),
        Type::INT2 => int(row.try_get::<_, Option<i16>>(i)?.map(i64::from)),
        Type::BOOL => int(row.try_get::<_, Option<bool>>(i)?.map(i64::from)),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Cell::Null, Cell::Text),
        other => {
            return Err(DbError::Decode(format!(
                "column {i} has type {other}, not text or integer"
            )));
        }
    })
}

/// A connection, with the statements it has prepared.
pub struct PgDb {
    client: Client,
    prepared: HashMap<String, Statement>,
}

impl PgDb {
    fn statement(&mut self, sql: &str) -> DbResult<Statement> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(&super::sql::dollar_placeholders(sql))?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Waits up to `timeout` for notifications; how many arrived.
    pub fn wait_notifications(&mut self, timeout: Duration) -> DbResult<usize> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut notifications = self.client.notifications();
        if notifications.timeout_iter(timeout).next()?.is_none() {
            return Ok(0);
        }
        // And whatever else has already arrived, without waiting again.
        Ok(1 + notifications.iter().count()?)
    }
}

fn params<'a>(args: &'a [Value<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Db for PgDb {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<u64> {
        let statement = self.statement(sql)?;
        Ok(self.client.execute(&statement, &params(args))?)
    }

    fn query(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<Vec<Row>> {
        let statement = self.statement(sql)?;
        let rows = self.client.query(&statement, &params(args))?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| cell(r, i))
                    .collect::<DbResult<_>>()
                    .map(Row)
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> DbResult<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn begin_write(&mut self) -> DbResult<()> {
        // Servers write side by side. Every write of the ledger reads a row and changes
        // that same row (a donation's status, a refund, a setting) or inserts under a
        // unique key; at REPEATABLE READ a transaction whose row another server changed
        // since its snapshot fails with a serialization error (never a lost update) and
        // the writer runs it again. SERIALIZABLE would add nothing these writes need,
        // and its predicate locks, escalated to whole tables by a batch of hundreds of
        // writes, made servers fail one another's unrelated batches (benches/ledgers.sh).
        self.batch("BEGIN ISOLATION LEVEL REPEATABLE READ")
    }

    fn begin_read(&mut self) -> DbResult<()> {
        self.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    fn try_exclusive(&mut self, key: i64) -> DbResult<bool> {
        let rows = self
            .client
            .query("SELECT pg_try_advisory_xact_lock($1)", &[&key])?;
        Ok(rows
            .first()
            .and_then(|r| r.try_get::<_, bool>(0).ok())
            .unwrap_or(false))
    }

    fn announce_total(&mut self) -> DbResult<()> {
        self.batch(&format!("NOTIFY {CHANNEL}"))
    }

    fn is_usable(&self) -> bool {
        !self.client.is_closed()
    }
}

/// A PostgreSQL ledger's address and how to reach it.
pub struct PgSource {
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    shown: String,
}

/// Whether `url` names a PostgreSQL ledger.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl PgSource {
    /// Reads a `postgres://user:password@host:port/db?sslmode=...` URL. Errors never
    /// repeat the URL (it holds the password).
    pub fn parse(url: &str, ca_file: Option<&Path>) -> Result<PgSource, String> {
        if !is_postgres_url(url) {
            return Err("ledger.url must start with postgres:// (or be empty for SQLite)".into());
        }
        // The URL parser ends the credentials at the first `@`, so the rest of a password
        // holding one would be taken for the host, and shown wherever the host is.
        let before_query = url.split('?').next().unwrap_or_default();
        if before_query.matches('@').count() > 1 {
            return Err("ledger.url: the user name or password holds an `@`: percent-encode it (@ as %40, : as %3A, / as %2F) (value not shown)".into());
        }
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            format!("ledger.url is not a valid PostgreSQL URL: {e}")
        })?;
        // libpq's default, `prefer`, sends the password in plain text to a server that
        // answers "no TLS"; only `sslmode=disable`, written out, allows that off this machine.
        if config.get_ssl_mode() == SslMode::Prefer && !names_this_machine(&config) {
            config.ssl_mode(SslMode::Require);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("fundraiser");
        }
        let tls = tls_config(ca_file)?;
        let shown = shown(&config);
        Ok(PgSource { config, tls, shown })
    }
}

/// Whether every host the URL writes is this machine: a Unix socket, `localhost` or a
/// loopback address. Decided from the written host (the TLS server name), never from
/// what it resolves to or from `hostaddr`, which only says where to connect.
fn names_this_machine(config: &postgres::Config) -> bool {
    let loopback = |ip: &std::net::IpAddr| ip.to_canonical().is_loopback();
    let hosts = config.get_hosts();
    if hosts.is_empty() {
        let addrs = config.get_hostaddrs();
        return !addrs.is_empty() && addrs.iter().all(loopback);
    }
    hosts.iter().all(|h| match h {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| loopback(&ip))
        }
    })
}

/// `postgres://user@host:port[,host:port...]/db`, without the password.
fn shown(config: &postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let name = match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            // One port given applies to every host.
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            format!("{name}:{port}")
        })
        .collect::<Vec<_>>()
        .join(",");
    crate::secret::redact_url(&format!(
        "postgres://{}@{hosts}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    ))
}

/// rustls with the public roots, and the operator's own certificate authority (a
/// managed database's) when `ledger.ca_file` names one.
fn tls_config(ca_file: Option<&Path>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("ledger.ca_file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("ledger.ca_file {}: no certificate", path.display()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("ledger.ca_file {}: {e}", path.display()))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS for the ledger: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl PgSource {
    /// Whether connections cross the network in plain text (`sslmode=disable` written
    /// for a host other than this machine): `check` warns before connecting.
    pub fn plaintext_over_network(&self) -> bool {
        self.config.get_ssl_mode() == SslMode::Disable && !names_this_machine(&self.config)
    }

    pub fn connect_pg(&self) -> DbResult<PgDb> {
        let mut client = match self.config.get_ssl_mode() {
            SslMode::Disable => self.config.connect(NoTls)?,
            _ => self.config.connect(self.tls.clone())?,
        };
        client.batch_execute(&format!(
            "SET search_path TO {SCHEMA}; SET statement_timeout = '30s'"
        ))?;
        Ok(PgDb {
            client,
            prepared: HashMap::new(),
        })
    }
}

impl Source for PgSource {
    fn connect(&self, _read_only: bool) -> DbResult<Box<dyn Db>> {
        Ok(Box::new(self.connect_pg()?))
    }

    fn describe(&self) -> String {
        self.shown.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_shown_without_its_password() {
        let source = PgSource::parse(
            "postgres://donor:s3cret@db.example:6543/ledger?sslmode=require",
            None,
        )
        .unwrap();
        assert_eq!(source.describe(), "postgres://donor@db.example:6543/ledger");
        let pair = PgSource::parse(
            "postgres://donor:s3cret@a.example,b.example:5433/ledger?target_session_attrs=read-write",
            None,
        )
        .unwrap();
        assert_eq!(
            pair.describe(),
            "postgres://donor@a.example:5432,b.example:5433/ledger"
        );
        let err = PgSource::parse("postgres://donor:s3cret@db.example:notaport/x", None)
            .err()
            .unwrap();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(PgSource::parse("mysql://x", None).is_err());
    }

    #[test]
    fn an_unencoded_at_in_the_credentials_is_refused_without_quoting_them() {
        for url in [
            "postgres://fund@tPa55word@db.example/ledger",
            "postgres://fund:tPa@55word@db.example/ledger",
        ] {
            let err = PgSource::parse(url, None).err().unwrap();
            assert!(err.contains("percent-encode"), "{err}");
            assert!(!err.contains("55word"), "{err}");
        }
        let encoded = PgSource::parse("postgres://fund:tPa%4055word@db.example/ledger", None);
        assert_eq!(
            encoded.unwrap().describe(),
            "postgres://fund@db.example:5432/ledger"
        );
    }

    #[test]
    fn tls_is_required_unless_the_written_host_is_this_machine_or_disable_is_written() {
        let mode = |url: &str| PgSource::parse(url, None).unwrap().config.get_ssl_mode();
        for remote in [
            "postgres://u:p@db.example/x",
            "postgres://u:p@db.example/x?sslmode=prefer",
            "postgres://u:p@localhost./x",
            "postgres://u:p@10.0.0.5/x",
            "postgres://u:p@localhost,db.example/x",
            "postgres://u:p@db.example/x?hostaddr=127.0.0.1",
        ] {
            assert_eq!(mode(remote), SslMode::Require, "{remote}");
        }
        for local in [
            "postgres://u:p@localhost/x",
            "postgres://u:p@127.0.0.1:5433/x",
            "postgres://u:p@[::1]/x",
            "postgres://u:p@%2Frun%2Fpostgresql/x",
        ] {
            assert_eq!(mode(local), SslMode::Prefer, "{local}");
        }
        let plain = PgSource::parse("postgres://u:p@db.example/x?sslmode=disable", None).unwrap();
        assert_eq!(plain.config.get_ssl_mode(), SslMode::Disable);
        assert!(plain.plaintext_over_network());
        let local = PgSource::parse("postgres://u:p@localhost/x?sslmode=disable", None).unwrap();
        assert!(!local.plaintext_over_network());
    }
}

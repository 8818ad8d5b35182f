//! PostgreSQL for the suites that share one ledger between servers: the throwaway server
//! `tests/run.sh` starts (`TEST_POSTGRES_URL`), a fresh database on it per test, or
//! a cluster of a test's own that it can stop and start (`tests/support/postgres.sh`).

use std::path::PathBuf;
use std::process::Command;

/// The test PostgreSQL server's URL; `None` (and SKIPPED said) when there is none.
pub fn server(test: &str) -> Option<String> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED {test}: TEST_POSTGRES_URL is not set (tests/run.sh sets it)");
            None
        }
    }
}

/// A new, empty database on `server`; its URL.
pub fn fresh_database(server: &str) -> String {
    let name = format!("api_test_{}_{}", std::process::id(), rand::random::<u32>());
    let mut admin =
        postgres::Client::connect(server, postgres::NoTls).expect("connect to the test PostgreSQL");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    with_database(server, &name)
}

/// `server`'s URL with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    format!("{base}/{name}?{query}")
}

/// A ledger database, read straight, as an operator's `psql` would.
pub struct LedgerDb(postgres::Client);

impl LedgerDb {
    pub fn open(url: &str) -> LedgerDb {
        LedgerDb(postgres::Client::connect(url, postgres::NoTls).expect("connect to the ledger"))
    }

    /// Succeeded AED test money, less refunds: (minor units, donations). What the public
    /// total shows when nothing is disputed, as these suites' donations never are.
    pub fn kept(&mut self) -> (i64, i64) {
        let row = self
            .0
            .query_one(
                "SELECT COALESCE(SUM(amount_minor - refunded_minor), 0)::BIGINT, COUNT(*)
                   FROM fundraiser.donations
                  WHERE status = 'succeeded' AND currency = 'AED' AND NOT live
                    AND amount_minor > refunded_minor",
                &[],
            )
            .expect("sum the ledger");
        (row.get(0), row.get(1))
    }

    /// Records `version` as the ledger's schema version, as a newer fundraiser would.
    pub fn set_schema_version(&mut self, version: i64) {
        self.0
            .execute(
                "UPDATE fundraiser.schema_version SET version = $1",
                &[&version],
            )
            .expect("set the schema version");
    }

    /// A donation's status.
    pub fn status(&mut self, id: &str) -> Option<String> {
        self.0
            .query_opt(
                "SELECT status FROM fundraiser.donations WHERE id = $1",
                &[&id],
            )
            .expect("read a donation")
            .map(|r| r.get(0))
    }

    /// How many of fundraiser's connections to this database there are, all of them
    /// over TLS (panics on one that is not).
    pub fn all_connections_of_fundraiser_use_tls(&mut self) -> i64 {
        let rows = self
            .0
            .query(
                "SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid
                  WHERE a.application_name = 'fundraiser' AND a.datname = current_database()",
                &[],
            )
            .expect("read pg_stat_ssl");
        for row in &rows {
            assert!(row.get::<_, bool>(0), "a connection without TLS");
        }
        rows.len() as i64
    }

    /// How many times a donation moved from one status to another.
    pub fn transitions(&mut self, id: &str, from: &str, to: &str) -> i64 {
        self.0
            .query_one(
                "SELECT COUNT(*) FROM fundraiser.events
                  WHERE donation_id = $1 AND from_status = $2 AND to_status = $3",
                &[&id, &from, &to],
            )
            .expect("count events")
            .get(0)
    }
}

/// A PostgreSQL cluster of a test's own, that the test stops and starts; removed when
/// dropped.
pub struct Cluster {
    dir: PathBuf,
    pub url: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/postgres.sh")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(script())
        .args(args)
        .output()
        .expect("run tests/support/postgres.sh");
    assert!(
        out.status.success(),
        "postgres.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Cluster {
    /// Starts a new cluster (outside any folder only root may enter: it runs as
    /// `postgres` when the tests run as root).
    pub fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "fundraiser-pg-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let server = run(&["start", dir.to_str().unwrap()]);
        let url = fresh_database(&server);
        Cluster { dir, url }
    }

    /// Stops the database server (fast shutdown: sessions are ended).
    pub fn down(&self) {
        run(&["down", self.dir.to_str().unwrap()]);
    }

    /// Starts it again; returns once it accepts connections.
    pub fn up(&self) {
        run(&["up", self.dir.to_str().unwrap()]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", self.dir.to_str().unwrap()])
            .output();
    }
}

//! The command line: `fundraiser [serve|stats|export|backup|check|migrate-to|healthcheck|reconcile]
//! [--config FILE]
//! [--bind ADDR] [--db PATH]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Sources};

mod remote;
use remote::{healthcheck, reconcile};

#[derive(Debug, Parser)]
#[command(
    name = "fundraiser",
    version,
    about = "A charity's fund-raising website in one binary."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    options: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the site and the donation API (the default).
    Serve,
    /// Print the admin figures of the ledger as a table (read-only; safe while serving).
    Stats,
    /// Write the rendered site (pages, assets, .br and .gz siblings) to DIR for a static
    /// host or CDN; set server.api_origin first when the API stays on this server.
    Export {
        /// Folder to write to (created when missing; files of the same name are replaced)
        dir: PathBuf,
    },
    /// Copy the ledger to PATH with SQLite's online backup, safe while serving, and
    /// verify the copy before it replaces PATH.
    Backup {
        /// The backup file to write
        path: PathBuf,
    },
    /// Copy the SQLite ledger (ledger.path or --db) into an empty PostgreSQL ledger, for
    /// more than one server (README: "More than one server"), and verify the copy's
    /// figures; stop the server first. Then set ledger.url to the same URL.
    MigrateTo {
        /// postgres://user:password@host:port/db?sslmode=require [default: ledger.url;
        /// prefer FUNDRAISER_LEDGER__URL, which keeps the password out of the process list]
        url: Option<String>,
    },
    /// Check the configuration, the ledger and the TLS files: exit code 0 when `serve`
    /// can start with them, 2 (with what is wrong) when not.
    Check,
    /// Ask the running server to reconcile with the payment gateway now (see README:
    /// reconciliation) and print what it changed; uses admin.token.
    Reconcile {
        /// The server's address [default: server.bind on loopback, over HTTPS when TLS is
        /// on]; any other address's certificate is verified before the token is sent
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// PEM certificate(s) of a private authority to trust beside the public roots
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
    },
    /// Ask the running server's /healthz, for container health checks: exit code 0 when
    /// it answers 200 within 3 seconds, 1 otherwise.
    Healthcheck {
        /// URL to ask [default: /healthz on server.bind, over HTTPS when TLS is on]; the
        /// certificate of an address other than loopback is verified
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// PEM certificate(s) of a private authority to trust beside the public roots
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Default)]
pub(crate) struct ServeArgs {
    /// Configuration file [default: config.toml in the working folder, if present]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, value_name = "ADDR")]
    bind: Option<String>,
    /// Ledger database file [default: data/ledger.db]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// PostgreSQL ledger, `postgres://user:password@host:port/db?sslmode=require`
    /// [default: ledger.url; prefer FUNDRAISER_LEDGER__URL, which keeps the password out
    /// of the process list]
    #[arg(long, global = true, value_name = "URL")]
    db_url: Option<String>,
}

/// Exit code for bad configuration or a ledger that cannot be used.
pub const EXIT_CONFIG: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::server::init_logging();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.options),
        Command::Stats => stats(cli.options),
        Command::Export { dir } => export(cli.options, &dir),
        Command::Backup { path } => backup(cli.options, &path),
        Command::Check => check(cli.options),
        Command::MigrateTo { url } => migrate_to(cli.options, url),
        Command::Healthcheck { url, ca_file } => healthcheck(cli.options, url, ca_file.as_deref()),
        Command::Reconcile { url, ca_file } => reconcile(cli.options, url, ca_file.as_deref()),
    }
}

/// Loads and checks the configuration; a problem is one message and exit code 2.
pub(crate) fn load_settings(args: ServeArgs) -> Result<crate::config::Settings, ExitCode> {
    let sources = Sources {
        file: args.config,
        bind: args.bind,
        db: args.db,
        db_url: args.db_url,
    };
    Config::load(&sources)
        .and_then(Config::settings)
        .map_err(|e| {
            eprintln!("fundraiser: {e}");
            ExitCode::from(EXIT_CONFIG)
        })
}

fn stats(args: ServeArgs) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = crate::ledger::now_ms();
    match crate::ledger::read_stats(&settings.ledger.location, now, &settings.ledger_scope()) {
        Ok(stats) => {
            let figures = crate::admin::figures::Figures::compute(
                &stats,
                settings.currency,
                settings.goal_minor,
                now,
                crate::admin::figures::ServerJson {
                    version: env!("CARGO_PKG_VERSION"),
                    uptime_s: 0,
                    requests: 0,
                    responses_5xx: 0,
                },
            )
            .with_funds(&stats, settings.funds.iter().map(|f| f.id.as_str()));
            print!(
                "{}",
                crate::admin::table::render(&figures, settings.currency)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fundraiser: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match actix_web::rt::System::new().block_on(crate::server::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(crate::server::ServeError::Start(msg)) => {
            eprintln!("fundraiser: {msg}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(crate::server::ServeError::Io(e)) => {
            eprintln!("fundraiser: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("fundraiser: {message}");
    ExitCode::from(EXIT_CONFIG)
}

fn export(args: ServeArgs, dir: &Path) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => std::sync::Arc::new(s),
        Err(code) => return code,
    };
    let ledger = &settings.ledger.location;
    let summary = match crate::ledger::offline::summary_at(ledger, &settings.ledger_scope()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if summary.is_none() {
        eprintln!(
            "fundraiser: warning: no ledger at {}, so the exported home pages show {} raised \
             until their script fetches the live total; pass --db PATH to export with a ledger's total",
            ledger.describe(),
            money(&settings, 0)
        );
    }
    let total = crate::total::TotalSnapshot {
        raised_minor: summary.as_ref().map_or(0, |s| s.raised_minor),
        donations: summary.as_ref().map_or(0, |s| s.succeeded),
        // The exported home page's funds read theirs from /api/total, as the script does.
        funds: crate::total::ByFund::new(),
        updated_at: time::OffsetDateTime::now_utc(),
        version: 1,
    };
    match crate::export::export(settings.clone(), &total, dir) {
        Ok(done) => {
            println!(
                "exported {} files ({} KiB) to {}",
                done.files.len(),
                done.bytes.div_ceil(1024),
                dir.display()
            );
            println!(
                "the home pages show {} raised and refresh it from {}",
                money(&settings, total.raised_minor),
                settings.api_url("/api/total")
            );
            if settings.api_origin.is_none() {
                println!(
                    "note: server.api_origin is empty, so the pages expect the API on their own origin"
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn backup(args: ServeArgs, path: &Path) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let crate::ledger::Location::Postgres(_) = &settings.ledger.location {
        return fail(format!(
            "the ledger is PostgreSQL ({}): back it up with pg_dump (for example `pg_dump --format=custom --file=ledger.dump \"$DATABASE_URL\"`) or your provider's snapshots; fundraiser backup copies a SQLite ledger file",
            settings.ledger.location.describe()
        ));
    }
    let source = &settings.ledger.path;
    match crate::ledger::offline::backup(source, path, &settings.ledger_scope()) {
        Ok(s) => {
            println!(
                "backed up {} to {}: verified, schema {}, {} ({} succeeded, {} raised), {}",
                source.display(),
                path.display(),
                s.schema_version,
                count(s.donations, "donation", "donations"),
                s.succeeded,
                money(&settings, s.raised_minor),
                count(s.events, "event", "events")
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn migrate_to(args: ServeArgs, url: Option<String>) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let target = match (url, &settings.ledger.location) {
        (Some(url), _) => {
            match crate::ledger::postgres::PgSource::parse(&url, settings.ledger.ca_file.as_deref())
            {
                Ok(source) => std::sync::Arc::new(source),
                Err(e) => return fail(e),
            }
        }
        (None, crate::ledger::Location::Postgres(source)) => source.clone(),
        (None, crate::ledger::Location::File(_)) => {
            return fail(
                "migrate-to needs the PostgreSQL ledger to copy into: give its URL, or set ledger.url (FUNDRAISER_LEDGER__URL)",
            );
        }
    };
    let path = &settings.ledger.path;
    let scope = settings.ledger_scope();
    match crate::ledger::migrate::to_postgres(path, &target, &scope) {
        Ok(copied) => {
            let rows: Vec<String> = copied
                .rows
                .iter()
                .map(|(table, n)| format!("{table} {n}"))
                .collect();
            let s = &copied.summary;
            println!(
                "copied {} into {} ({}) and verified: {}, {} succeeded, {} raised in both. Point every server at it with ledger.url (FUNDRAISER_LEDGER__URL); keep {} as the record of before",
                path.display(),
                crate::ledger::sql::Source::describe(target.as_ref()),
                rows.join(", "),
                count(s.donations, "donation", "donations"),
                s.succeeded,
                money(&settings, s.raised_minor),
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn check(args: ServeArgs) -> ExitCode {
    let file = args.config.clone();
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let source = match file {
        Some(f) => f.display().to_string(),
        None if Path::new("config.toml").is_file() => "config.toml".into(),
        None => "built-in defaults".into(),
    };
    println!(
        "config: ok ({source}; listening on {}; gateway {}; currency {})",
        settings.bind,
        settings.gateway.name(),
        settings.currency.code()
    );
    for m in crate::site::texts::other_currencies(settings.currency) {
        println!(
            "warning: {} (the page {}) names {} (\"{}\") but campaign.currency is {}: edit it, or the texts in {}, and rebuild; or set campaign.currency",
            m.source,
            m.page,
            m.currency,
            m.word,
            settings.currency.code(),
            m.strings,
        );
    }
    let ngenius = crate::config::ngenius_warning(&settings);
    for warning in crate::site::zakat::check_warnings(&settings)
        .into_iter()
        .chain(ngenius)
    {
        println!("warning: {warning}");
    }
    let location = &settings.ledger.location;
    if let crate::ledger::Location::Postgres(source) = location
        && source.plaintext_over_network()
    {
        println!(
            "warning: ledger.url says sslmode=disable: the password and every donation cross the network to {} in plain text; remove it (TLS is required by default) unless this is a private network",
            location.describe()
        );
    }
    match crate::ledger::offline::check_at(location, &settings.ledger_scope()) {
        Ok(None) => println!(
            "ledger: {} does not exist yet; serve will create it",
            location.describe()
        ),
        Ok(Some(s)) => println!(
            "ledger: ok ({}; schema {}, {}, {} succeeded, {} raised)",
            location.describe(),
            s.schema_version,
            count(s.donations, "donation", "donations"),
            s.succeeded,
            money(&settings, s.raised_minor)
        ),
        Err(e) => return fail(format!("ledger: {e}")),
    }
    match &settings.tls {
        None => println!("tls: off (plain HTTP)"),
        Some(files) => match crate::tls::check(files) {
            Ok(()) => println!("tls: ok ({})", files.cert.display()),
            Err(e) => return fail(format!("tls: {e}")),
        },
    }
    ExitCode::SUCCESS
}

/// `1 donation`, `2 donations`: a count with its noun, by English plural rules.
pub(crate) fn count(n: u64, one: &str, other: &str) -> String {
    let text = crate::plural::english(&format!("{{count}} {one}"), &format!("{{count}} {other}"));
    crate::plural::counted(crate::lang::Lang::En, &text, n)
}

fn money(settings: &crate::config::Settings, minor: i64) -> String {
    crate::money::format_money(
        minor,
        settings.currency,
        &crate::render::strings::Strings::of(crate::lang::Lang::En).numbers,
    )
}

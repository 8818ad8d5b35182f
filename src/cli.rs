//! The command line: `fundraiser [serve] [--config FILE] [--bind ADDR] [--db PATH]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Sources};

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
}

#[derive(Debug, Args, Default)]
struct ServeArgs {
    /// Configuration file [default: config.toml in the working folder, if present]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, value_name = "ADDR")]
    bind: Option<String>,
    /// Ledger database [default: data/ledger.db]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
}

/// Exit code for bad configuration or a ledger that cannot be used.
pub const EXIT_CONFIG: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::server::init_logging();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.options),
        Command::Stats => stats(cli.options),
    }
}

/// Loads and checks the configuration; a problem is one message and exit code 2.
fn load_settings(args: ServeArgs) -> Result<crate::config::Settings, ExitCode> {
    let sources = Sources {
        file: args.config,
        bind: args.bind,
        db: args.db,
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
    match crate::ledger::read_stats(&settings.raw.ledger.path, now) {
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
            );
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

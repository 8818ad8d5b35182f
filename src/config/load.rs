//! Reading the configuration: defaults ← file ← environment ← flags, and messages that
//! name the key, the source and the problem (never a secret's value).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use super::{Config, ConfigError};

/// Where the configuration comes from.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// An explicit `--config FILE`: it must exist.
    pub file: Option<PathBuf>,
    pub bind: Option<String>,
    pub db: Option<PathBuf>,
    /// `--db-url`: a PostgreSQL ledger.
    pub db_url: Option<String>,
}

impl Config {
    /// Defaults ← `config.toml` (or `--config`) ← environment ← command-line flags.
    pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match &sources.file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError(format!(
                        "configuration file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                let default = Path::new("config.toml");
                if default.is_file() {
                    figment = figment.merge(Toml::file_exact(default));
                }
            }
        }
        figment = figment.merge(Env::prefixed("FUNDRAISER_").split("__"));
        if let Some(bind) = &sources.bind {
            figment = figment.merge(Serialized::default("server.bind", bind));
        }
        if let Some(db) = &sources.db {
            figment = figment.merge(Serialized::default("ledger.path", db));
        }
        if let Some(url) = &sources.db_url {
            figment = figment.merge(Serialized::default("ledger.url", url));
        }
        figment.extract().map_err(|e| ConfigError(describe(e)))
    }
}

/// Keys whose values are secrets: never quoted in a message.
fn is_secret_key(key: &str) -> bool {
    key.ends_with("secret")
        || key.ends_with("secret_key")
        || key.ends_with("token")
        || key == "ledger.url"
}

/// One line naming the key, the source and the problem.
pub(super) fn describe(e: figment::Error) -> String {
    use figment::error::Kind;
    let key = if e.path.is_empty() {
        None
    } else {
        Some(e.path.join("."))
    };
    let source = e
        .metadata
        .as_ref()
        .map(|m| match &m.source {
            Some(src) => format!("{} {src}", m.name),
            None => m.name.to_string(),
        })
        .unwrap_or_default();
    let what = match &e.kind {
        Kind::UnknownField(field, _) => {
            // figment's path already ends with the unknown field.
            let full = key.clone().unwrap_or_else(|| field.clone());
            return format!(
                "unknown configuration key {full:?}{}",
                if source.is_empty() {
                    String::new()
                } else {
                    format!(" in {source}")
                }
            );
        }
        // A secret's value is never quoted, not even when it is of the wrong type.
        _ if key.as_deref().is_some_and(is_secret_key) => "not a valid value (not shown)".into(),
        Kind::InvalidType(actual, expected) => format!("expected {expected}, found {actual}"),
        other => other.to_string(),
    };
    match key {
        Some(k) => format!(
            "configuration key {k:?}{}: {what}",
            if source.is_empty() {
                String::new()
            } else {
                format!(" in {source}")
            }
        ),
        None => format!(
            "configuration{}: {what}",
            if source.is_empty() {
                String::new()
            } else {
                format!(" in {source}")
            }
        ),
    }
}

//! Configuration: built-in defaults, then `config.toml`, then `FUNDRAISER_<SECTION>__<KEY>`
//! environment variables, then flags (`load`). Every section refuses unknown keys, so a
//! typo stops start-up with a message naming the key instead of being silently ignored.
//! The sections as written (`sections`) are checked once and become the typed `Settings`
//! the server works with (`settings`).

mod checks;
mod email;
mod funds;
mod load;
mod network;
mod ngenius;
mod privacy;
mod sections;
mod settings;
#[cfg(test)]
mod tests;
mod zakat;

pub use email::{Email, EmailSettings, SmtpSecurity, SmtpServer};
pub use funds::{Fund, FundSection, LangTexts};
pub use load::Sources;
pub use ngenius::{Ngenius, ngenius_warning};
pub use sections::*;
pub use settings::{
    AdminSettings, LedgerSettings, LimitSettings, ReconcileSettings, Settings, Timeouts, TlsFiles,
};
pub use zakat::{Zakat, ZakatSettings};

/// A configuration problem, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

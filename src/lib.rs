//! fundraiser: a charity's fund-raising website in one binary.
//!
//! The campaign pages are rendered at compile time (`build.rs`, [`render`]) and served
//! from memory ([`site`]); donations go through a payment [`gateway`] into the SQLite
//! [`ledger`], and the live [`total`] is spliced into the home page.

pub mod admin;
pub mod checkout;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod donation;
pub mod export;
pub mod fund;
pub mod gateway;
pub mod http;
pub mod kept;
pub mod lang;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod money;
pub mod plural;
pub mod receipt;
pub mod reconcile;
pub mod render;
pub mod routes;
pub mod secret;
pub mod server;
pub mod site;
pub mod state;
pub mod tls;
pub mod total;
pub mod zakat;

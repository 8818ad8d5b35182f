//! The one integration test binary: every suite starts the real `fundraiser` binary on an
//! ephemeral loopback port in a temporary folder (`common`) and speaks HTTP to it; only
//! external services (Stripe) are replaced, by fakes on loopback. One binary, so the
//! release profile pays one LTO link for all of them.

mod common;
mod fake_ngenius;
mod fake_stripe;

mod admin;
mod admin_forms;
mod architecture;
mod crash;
mod deploy;
mod donations;
mod faults;
mod funds;
mod launch;
mod limits;
mod money;
mod ngenius;
mod openapi;
mod properties;
mod receipts;
mod reconcile;
mod secrets;
mod security;
mod several_servers;
mod share;
mod site;
mod stripe;
mod zakat;

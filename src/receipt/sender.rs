//! The task that empties the outbox: it claims due messages from the ledger (so several
//! servers never send one at once), hands each to the SMTP server, and records in the
//! ledger what became of it: sent; failed for now (tried again after `email.retry`'s next
//! delay); or given up (a permanent 5xx answer, an address no server would take, or
//! `email.give_up_after` passed), with the reason the admin sees. With test money (the
//! sandbox, Stripe test keys), a message to an address outside `email.test_recipients`
//! is given up unsent: a public demonstration mails no one a visitor names.
//!
//! Exactly once: a message is marked sent only after the SMTP server accepted it. A crash
//! between that acceptance and the ledger's commit sends it again after the restart, with
//! the same Message-ID (derived from the donation), so the copy is recognisable.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};

use super::email::compose;
use super::{ReceiptKey, ReceiptView};
use crate::config::{EmailSettings, Settings, SmtpSecurity};
use crate::ledger::{Attempt, Ledger, Outgoing};

/// Messages claimed at a time, and sent at once.
const CLAIM: i64 = 32;
const AT_ONCE: usize = 4;
/// How often an empty outbox is looked at again.
const POLL: Duration = Duration::from_millis(500);

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Builds the SMTP client of `[email]`; `None` when no server is configured.
pub fn transport(email: &EmailSettings) -> Result<Option<Transport>, String> {
    let Some(smtp) = &email.smtp else {
        return Ok(None);
    };
    let tls = || -> Result<TlsParameters, String> {
        let mut params = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &email.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| format!("email.ca_file: cannot read {}: {e}", ca.display()))?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                format!(
                    "email.ca_file: {} is not a PEM certificate: {e}",
                    ca.display()
                )
            })?;
            params = params.add_root_certificate(cert);
        }
        params
            .build_rustls()
            .map_err(|e| format!("cannot set up TLS for {}: {e}", smtp.describe()))
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
        .port(smtp.port)
        .timeout(Some(email.timeout))
        .hello_name(ClientId::Domain(email.domain.clone()))
        .tls(match smtp.security {
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::Implicit => Tls::Wrapper(tls()?),
            SmtpSecurity::None => Tls::None,
        });
    if let Some(user) = &smtp.user {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            smtp.password.expose().to_owned(),
        ));
    }
    Ok(Some(builder.build()))
}

/// Starts sending the outbox, when `[email]` names a server.
pub fn spawn(ledger: Ledger, settings: Arc<Settings>, key: ReceiptKey) -> Result<(), String> {
    let Some(transport) = transport(&settings.email)? else {
        tracing::info!(
            "no email.smtp_url configured: receipts are not emailed (donors still get the printable receipt from the thank-you page)"
        );
        return Ok(());
    };
    let sender = Arc::new(Sender {
        ledger,
        settings,
        key,
        transport,
    });
    tracing::info!(
        smtp = %sender.settings.email.smtp.as_ref().map(|s| s.describe()).unwrap_or_default(),
        "receipts are emailed"
    );
    actix_web::rt::spawn(async move { sender.run().await });
    Ok(())
}

struct Sender {
    ledger: Ledger,
    settings: Arc<Settings>,
    key: ReceiptKey,
    transport: Transport,
}

impl Sender {
    /// A claim outlives the longest delivery, so no other server takes a message being
    /// sent; a crashed server's claims run out after it.
    fn lease(&self) -> Duration {
        self.settings.email.timeout * 2 + Duration::from_secs(10)
    }

    async fn run(self: Arc<Self>) {
        match self.ledger.release_claims().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                messages = n,
                "emails claimed before the last stop are due again"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not free the emails claimed before the last stop; they are sent once their claim runs out")
            }
        }
        loop {
            let batch = match self.ledger.claim_outbox(self.lease(), CLAIM).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the outbox; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if batch.is_empty() {
                tokio::time::sleep(POLL).await;
                continue;
            }
            futures_util::stream::iter(batch)
                .for_each_concurrent(AT_ONCE, |out| {
                    let me = self.clone();
                    async move { me.deliver(out).await }
                })
                .await;
        }
    }

    async fn deliver(&self, out: Outgoing) {
        let view = ReceiptView::new(&out.receipt, &self.settings, &self.key);
        let test = view.test || self.settings.test_mode();
        if test && !self.settings.email.takes_test_mail(&out.to) {
            // Not an error to alert on: a demonstration doing as configured.
            tracing::info!(donation = %out.receipt.donation_id, kind = out.kind.as_str(), "test email not sent: its address is not in email.test_recipients");
            crate::metrics::inc(&crate::metrics::get().emails_failed);
            let error = "not sent: with test money, messages go only to email.test_recipients";
            self.record(
                &out,
                Attempt::Failed {
                    error: error.into(),
                },
            )
            .await;
            return;
        }
        let attempt = match compose(&out, &view, &self.settings.email) {
            Err(e) => Attempt::Failed { error: e.0 },
            Ok(message) => match self.transport.send(message).await {
                Ok(_) => Attempt::Sent,
                Err(e) => self.after_failure(&out, &e),
            },
        };
        let m = crate::metrics::get();
        match &attempt {
            Attempt::Sent => {
                crate::metrics::inc(&m.emails_sent);
                tracing::info!(donation = %out.receipt.donation_id, kind = out.kind.as_str(), "email sent");
            }
            Attempt::Retry { error, .. } => {
                crate::metrics::inc(&m.emails_retried);
                tracing::warn!(donation = %out.receipt.donation_id, kind = out.kind.as_str(), attempts = out.attempts + 1, %error, "email not sent; trying again later");
            }
            Attempt::Failed { error } => {
                crate::metrics::inc(&m.emails_failed);
                tracing::error!(donation = %out.receipt.donation_id, kind = out.kind.as_str(), %error, "email given up");
            }
        }
        self.record(&out, attempt).await;
    }

    /// The result must reach the ledger: until it does, the claim keeps other servers
    /// off, and a restart sends it again (the documented duplicate).
    async fn record(&self, out: &Outgoing, attempt: Attempt) {
        let mut wait = Duration::from_millis(200);
        while let Err(e) = self.ledger.record_attempt(out.seq, attempt.clone()).await {
            tracing::warn!(error = %e, "cannot record an email's result; trying again");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
        }
    }

    fn after_failure(&self, out: &Outgoing, e: &lettre::transport::smtp::Error) -> Attempt {
        let error = truncate(&e.to_string(), 500);
        if e.is_permanent() {
            return Attempt::Failed { error };
        }
        let email = &self.settings.email;
        let now = crate::ledger::now_ms();
        let delay = retry_delay(&email.retry, out.attempts);
        let next_at_ms = now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4);
        let give_up_at = out.queued_at_ms
            + i64::try_from(email.give_up_after.as_millis()).unwrap_or(i64::MAX / 4);
        if next_at_ms > give_up_at {
            return Attempt::Failed {
                error: format!(
                    "given up after {} attempts over {}: {error}",
                    out.attempts + 1,
                    humantime::format_duration(email.give_up_after)
                ),
            };
        }
        Attempt::Retry { error, next_at_ms }
    }
}

/// The wait after the `failed`th failure (0 for the first): the schedule's entry, its
/// last one repeating.
pub fn retry_delay(schedule: &[Duration], failed: i64) -> Duration {
    let i = usize::try_from(failed).unwrap_or(0);
    schedule
        .get(i)
        .or(schedule.last())
        .copied()
        .unwrap_or(Duration::from_secs(60))
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_schedule_repeats_its_last_delay() {
        let m = |n: u64| Duration::from_secs(60 * n);
        let schedule = [m(1), m(5), m(30), m(120), m(360)];
        let waits: Vec<_> = (0..7).map(|i| retry_delay(&schedule, i)).collect();
        assert_eq!(waits, [m(1), m(5), m(30), m(120), m(360), m(360), m(360)]);
    }

    #[test]
    fn errors_are_kept_short() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}

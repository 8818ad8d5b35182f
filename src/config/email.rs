//! `[email]`: where receipts are sent from and through, checked into [`EmailSettings`].
//! The SMTP URL holds a password: every message about it shows `smtp://user@host:port`.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::checks::duration;
use crate::secret::Secret;

/// The section as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Email {
    /// `smtp://user:pass@host:587` (STARTTLS required), `smtps://user:pass@host:465`
    /// (TLS from the first byte), `smtp://host:25?tls=none` (a local relay only); empty:
    /// no emails.
    pub smtp_url: Secret,
    /// `Name <address>` receipts come from.
    pub from: String,
    /// Where a donor's reply goes; empty: to `from`.
    pub reply_to: String,
    /// A PEM file of the certificate authority of the SMTP server's certificate, when the
    /// public roots do not sign it.
    pub ca_file: Option<PathBuf>,
    /// How long after each failed attempt the next one is made; the last repeats.
    pub retry: Vec<String>,
    /// A message not delivered this long after it was queued is given up.
    pub give_up_after: String,
    /// Time for one delivery (connect, TLS, login, send).
    pub timeout: String,
    /// With test money (the sandbox, Stripe test keys), receipts go only to these
    /// addresses (`name@example.org`, or `@example.org` for a whole domain); empty: none.
    pub test_recipients: Vec<String>,
}

impl Default for Email {
    fn default() -> Self {
        Self {
            smtp_url: Secret::default(),
            from: String::new(),
            reply_to: String::new(),
            ca_file: None,
            retry: ["1m", "5m", "30m", "2h", "6h"].map(String::from).to_vec(),
            give_up_after: "3d".into(),
            timeout: "30s".into(),
            test_recipients: Vec::new(),
        }
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded by STARTTLS, which the server must offer.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
    /// No TLS (`?tls=none`): only for a relay on the same machine or network.
    None,
}

/// Where receipts go out.
#[derive(Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Secret,
}

impl SmtpServer {
    /// For logs and messages: never the password.
    pub fn describe(&self) -> String {
        let scheme = match self.security {
            SmtpSecurity::Implicit => "smtps",
            _ => "smtp",
        };
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let tls = if self.security == SmtpSecurity::None {
            "?tls=none"
        } else {
            ""
        };
        format!("{scheme}://{user}{}:{}{tls}", self.host, self.port)
    }

    /// Parses `email.smtp_url`.
    pub fn parse(raw: &str) -> Result<SmtpServer, ConfigError> {
        let bad = |why: &str| ConfigError(format!("email.smtp_url: {why} (value not shown)"));
        let url = url::Url::parse(raw)
            .map_err(|_| bad("is not a URL like smtp://user:password@mail.example.org:587"))?;
        let implicit = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(bad("must start with smtp:// or smtps://")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("has no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let mut security = if implicit {
            SmtpSecurity::Implicit
        } else {
            SmtpSecurity::StartTls
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if !implicit => security = SmtpSecurity::None,
                ("tls", "required") if !implicit => {}
                _ => {
                    return Err(bad(
                        "knows one option, tls=none (for a relay on this machine), on smtp:// only",
                    ));
                }
            }
        }
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Implicit => 465,
            SmtpSecurity::None => 25,
        });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| bad("its user or password is not UTF-8 once decoded"))
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = Secret::new(decode(url.password().unwrap_or(""))?);
        if user.is_some() && password.is_empty() {
            return Err(bad("names a user without a password"));
        }
        Ok(SmtpServer {
            host,
            port,
            security,
            user,
            password,
        })
    }
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `[email]`, checked.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `None`: no emails are sent, and none are queued.
    pub smtp: Option<SmtpServer>,
    /// `Name <address>`, checked.
    pub from: String,
    /// The address after `@` in `from`: the right side of every Message-ID.
    pub domain: String,
    pub reply_to: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub retry: Vec<Duration>,
    pub give_up_after: Duration,
    pub timeout: Duration,
    /// Who may get a receipt of test money: addresses, and `@domain` entries, lowercase.
    pub test_recipients: Vec<String>,
}

impl EmailSettings {
    pub fn enabled(&self) -> bool {
        self.smtp.is_some()
    }

    /// Whether a message of test money may go to `address`: a public demonstration must
    /// not mail whoever a visitor names, with whatever name they typed.
    pub fn takes_test_mail(&self, address: &str) -> bool {
        let address = address.trim().to_lowercase();
        let domain = address.rsplit_once('@').map(|(_, d)| d);
        self.test_recipients
            .iter()
            .any(|allowed| match allowed.strip_prefix('@') {
                Some(d) => domain == Some(d),
                None => *allowed == address,
            })
    }
}

/// `email.test_recipients`, checked and lowercased.
fn check_test_recipients(raw: &[String]) -> Result<Vec<String>, ConfigError> {
    raw.iter()
        .map(|r| {
            let r = r.trim().to_lowercase();
            let ok = match r.strip_prefix('@') {
                Some(domain) => format!("x@{domain}").parse::<lettre::Address>().is_ok(),
                None => r.parse::<lettre::Address>().is_ok(),
            };
            if ok {
                Ok(r)
            } else {
                Err(ConfigError(format!(
                    "email.test_recipients: {r:?} is neither an address (name@example.org) nor a domain (@example.org)"
                )))
            }
        })
        .collect()
}

pub(super) fn check_email(e: &Email) -> Result<EmailSettings, ConfigError> {
    let raw = e.smtp_url.expose().trim();
    let smtp = (!raw.is_empty())
        .then(|| SmtpServer::parse(raw))
        .transpose()?;
    let from = e.from.trim();
    if smtp.is_some() && from.is_empty() {
        return Err(ConfigError(
            "email.from: needed with email.smtp_url, e.g. \"Sidra Relief Trust <receipts@sidra-relief.example>\"".into(),
        ));
    }
    let domain = if from.is_empty() {
        String::new()
    } else {
        let mailbox: lettre::message::Mailbox = from.parse().map_err(|_| {
            ConfigError(format!(
                "email.from: {from:?} is not an address like \"Charity name <receipts@example.org>\""
            ))
        })?;
        mailbox.email.domain().to_owned()
    };
    let reply_to = match e.reply_to.trim() {
        "" => None,
        r => {
            r.parse::<lettre::message::Mailbox>().map_err(|_| {
                ConfigError(format!("email.reply_to: {r:?} is not an email address"))
            })?;
            Some(r.to_owned())
        }
    };
    if e.retry.is_empty() {
        return Err(ConfigError(
            "email.retry: needs at least one delay, e.g. [\"1m\", \"5m\", \"30m\", \"2h\", \"6h\"]"
                .into(),
        ));
    }
    let retry = e
        .retry
        .iter()
        .map(|d| duration("email.retry", d, Duration::from_millis(100)))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(ca) = &e.ca_file
        && !ca.is_file()
    {
        return Err(ConfigError(format!(
            "email.ca_file: {} is not a file",
            ca.display()
        )));
    }
    Ok(EmailSettings {
        smtp,
        from: from.to_owned(),
        domain,
        reply_to,
        ca_file: e.ca_file.clone(),
        retry,
        give_up_after: duration(
            "email.give_up_after",
            &e.give_up_after,
            Duration::from_secs(1),
        )?,
        timeout: duration("email.timeout", &e.timeout, Duration::from_millis(100))?,
        test_recipients: check_test_recipients(&e.test_recipients)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_smtp_url_is_understood_and_shown_without_its_password() {
        let s = SmtpServer::parse("smtp://mailer%40x.org:p%40ss@mail.example.org").unwrap();
        assert_eq!(s.security, SmtpSecurity::StartTls);
        assert_eq!(s.port, 587);
        assert_eq!(s.user.as_deref(), Some("mailer@x.org"));
        assert_eq!(s.password.expose(), "p@ss");
        assert_eq!(s.describe(), "smtp://mailer@x.org@mail.example.org:587");
        assert!(!format!("{s:?}").contains("p@ss"));

        let s = SmtpServer::parse("smtps://u:secret@mail.example.org").unwrap();
        assert_eq!((s.security, s.port), (SmtpSecurity::Implicit, 465));

        let s = SmtpServer::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((s.security, s.port), (SmtpSecurity::None, 2525));
        assert_eq!(s.describe(), "smtp://127.0.0.1:2525?tls=none");
    }

    #[test]
    fn a_wrong_smtp_url_is_refused_without_showing_it() {
        for raw in [
            "http://u:topsecret@host",
            "smtps://u:topsecret@host?tls=none",
            "smtp://u:topsecret@host?tls=maybe",
            "smtp://u@host",
            "not a url topsecret",
        ] {
            let e = SmtpServer::parse(raw).err().unwrap().0;
            assert!(e.starts_with("email.smtp_url:"), "{e}");
            assert!(!e.contains("topsecret"), "{e}");
        }
    }

    #[test]
    fn from_is_needed_with_a_server_and_gives_the_message_id_domain() {
        let mut e = Email {
            smtp_url: Secret::new("smtp://127.0.0.1:25?tls=none"),
            ..Email::default()
        };
        assert!(check_email(&e).is_err());
        e.from = "Sidra Relief Trust <receipts@sidra-relief.example>".into();
        let s = check_email(&e).unwrap();
        assert_eq!(s.domain, "sidra-relief.example");
        assert_eq!(s.retry[0], Duration::from_secs(60));
        assert!(check_email(&Email::default()).unwrap().smtp.is_none());
    }

    #[test]
    fn test_mail_goes_to_the_listed_addresses_and_domains_only() {
        let none = check_email(&Email::default()).unwrap();
        assert!(!none.takes_test_mail("anyone@example.org"));
        let e = Email {
            test_recipients: vec!["Staff@Sidra-Relief.example".into(), "@qa.example".into()],
            ..Email::default()
        };
        let s = check_email(&e).unwrap();
        assert!(s.takes_test_mail("staff@sidra-relief.example"));
        assert!(s.takes_test_mail(" STAFF@sidra-relief.example "));
        assert!(s.takes_test_mail("anyone@qa.example"));
        assert!(!s.takes_test_mail("other@sidra-relief.example"));
        assert!(!s.takes_test_mail("x@evil.qa.example"));
        assert!(!s.takes_test_mail("qa.example"));
        for bad in ["nobody", "@", "a@b@c", ""] {
            let e = Email {
                test_recipients: vec![bad.into()],
                ..Email::default()
            };
            let err = check_email(&e).err().unwrap().0;
            assert!(err.starts_with("email.test_recipients:"), "{err}");
        }
    }
}

//! A secret value (an API key, a signing secret, a token): read from config or the
//! environment like any string, but its `Debug` says only whether it is set; and the one
//! redaction every URL goes through before it is printed.

use serde::{Deserialize, Serialize};

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that uses it (a header, an HMAC key).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// `url` as it may be printed: no password, no query (`?password=...` is a PostgreSQL
/// URL's other way to give one) and no fragment. The credentials end at the last `@`
/// before the query: a password with an unencoded `@` or `/` is cut off whole, and the
/// user is shown only when it is unambiguous.
pub fn redact_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let Some(at) = rest.rfind('@') else {
        return url.to_owned();
    };
    let (credentials, place) = (&rest[..at], &rest[at + 1..]);
    if credentials.is_empty() {
        return format!("{scheme}{place}");
    }
    let user = credentials.split(':').next().unwrap_or_default();
    let user = if credentials.contains(['@', '/']) || user.is_empty() {
        "***"
    } else {
        user
    };
    format!("{scheme}{user}@{place}")
}

#[cfg(test)]
mod tests {
    use super::{Secret, redact_url};

    #[test]
    fn a_printed_url_keeps_no_password_even_an_unencoded_one() {
        let cases = [
            ("https://example.org:8443/x", "https://example.org:8443/x"),
            (
                "postgres://fund:s3cret@db:5432/ledger",
                "postgres://fund@db:5432/ledger",
            ),
            (
                "postgres://fund@tPa55word@db/ledger",
                "postgres://***@db/ledger",
            ),
            (
                "postgres://fund:tPa@55word@db/ledger",
                "postgres://***@db/ledger",
            ),
            (
                "postgres://fund:pa/ss@db/ledger",
                "postgres://***@db/ledger",
            ),
            (
                "postgres://db/ledger?password=s3cret",
                "postgres://db/ledger",
            ),
            ("https://:tok3n@example.org/", "https://***@example.org/"),
            ("postgres://@db:5432/ledger", "postgres://db:5432/ledger"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn debug_says_whether_it_is_set_never_what_it_is() {
        assert_eq!(format!("{:?}", Secret::new("sk_live_abc")), "***");
        assert_eq!(format!("{:?}", Secret::default()), "\"\"");
        assert_eq!(Secret::new("sk_live_abc").expose(), "sk_live_abc");
    }
}

//! A fund's identity: what every donation is stored with, for good (`[[funds]]` in the
//! settings give each id its labels and goal).

use std::fmt;

/// A fund's id: 1 to 32 of `a-z`, `0-9` and `-`. Safe in a URL, a form, a CSV cell and
/// a Stripe metadata value as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FundId(String);

/// The fund of a ledger without `[[funds]]`, and of donations made before funds existed.
pub const GENERAL: &str = "general";

/// The longest fund id.
pub const ID_MAX: usize = 32;

impl FundId {
    /// The id, if `s` is one (nothing trimmed, nothing lowered).
    pub fn parse(s: &str) -> Option<FundId> {
        let ok = !s.is_empty()
            && s.len() <= ID_MAX
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| FundId(s.to_owned()))
    }

    /// `general`.
    pub fn general() -> FundId {
        FundId(GENERAL.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_letters_digits_and_hyphens_up_to_32() {
        for good in ["general", "zakat", "a", "emergency-2026", &"z".repeat(32)] {
            assert_eq!(FundId::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "Zakat",
            "zakat ",
            " zakat",
            "za_kat",
            "زكاة",
            "a/b",
            &"z".repeat(33),
        ] {
            assert_eq!(FundId::parse(bad), None, "{bad:?}");
        }
        assert_eq!(FundId::general().as_str(), GENERAL);
    }
}

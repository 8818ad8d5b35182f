//! `[zakat]`: the prices of a gram of gold and of silver that value the Zakat
//! calculator's nisab, and the date they were taken, shown beside them.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::money::{AmountError, Currency, MAX_DONATION_MINOR, parse_decimal};
use crate::zakat::Prices;

/// The section as written. Prices are decimal amounts in the campaign's currency,
/// written as a TOML number or as text (`"312.75"`, as the environment gives them).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Zakat {
    #[serde(deserialize_with = "decimal_text", serialize_with = "whole_as_number")]
    pub gold_price_per_gram: String,
    #[serde(deserialize_with = "decimal_text", serialize_with = "whole_as_number")]
    pub silver_price_per_gram: String,
    /// When the prices were taken: free text shown beside them (`2026-12-01`).
    pub prices_date: String,
}

impl Default for Zakat {
    /// No prices: the calculator values no nisab until the charity sets them.
    fn default() -> Self {
        Self {
            gold_price_per_gram: "0".into(),
            silver_price_per_gram: "0".into(),
            prices_date: String::new(),
        }
    }
}

/// The calculator's prices, checked, in minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZakatSettings {
    pub prices: Prices,
    pub prices_date: String,
}

impl ZakatSettings {
    /// Whether either price is missing: `fundraiser check` warns while a Zakat fund exists.
    pub fn prices_missing(&self) -> bool {
        self.prices.gold_minor_per_gram == 0 || self.prices.silver_minor_per_gram == 0
    }
}

pub(super) fn check_zakat(z: &Zakat, currency: Currency) -> Result<ZakatSettings, ConfigError> {
    Ok(ZakatSettings {
        prices: Prices {
            gold_minor_per_gram: price(
                "zakat.gold_price_per_gram",
                &z.gold_price_per_gram,
                currency,
            )?,
            silver_minor_per_gram: price(
                "zakat.silver_price_per_gram",
                &z.silver_price_per_gram,
                currency,
            )?,
        },
        prices_date: z.prices_date.trim().to_owned(),
    })
}

/// A price as an amount of `currency` (0 or blank: not set), at most the largest donation.
fn price(key: &str, text: &str, currency: Currency) -> Result<i64, ConfigError> {
    if text.trim().is_empty() {
        return Ok(0);
    }
    let refuse = |why: String| ConfigError(format!("{key}: {text:?} {why}"));
    match parse_decimal(text, currency.exponent()) {
        Ok(minor) if minor > MAX_DONATION_MINOR => Err(refuse(format!(
            "is more than {} {}",
            MAX_DONATION_MINOR / 10_i64.pow(u32::from(currency.exponent())),
            currency.code()
        ))),
        Ok(minor) => Ok(minor),
        Err(AmountError::TooManyDecimals { allowed }) => Err(refuse(format!(
            "has more decimals than {} allows ({allowed})",
            currency.code()
        ))),
        Err(AmountError::NotPositive) => Err(refuse("is negative".into())),
        Err(AmountError::TooLarge) => Err(refuse("is too large".into())),
        Err(_) => Err(refuse(format!(
            "is not an amount of {} like 312.75",
            currency.code()
        ))),
    }
}

/// A price written back as `config.toml` shows it: a whole number as a TOML integer.
fn whole_as_number<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    match text.parse::<u64>() {
        Ok(n) => s.serialize_u64(n),
        Err(_) => s.serialize_str(text),
    }
}

/// A decimal as written: text, or a TOML integer or float (written back as its shortest
/// decimal, which reads as the number the file shows).
fn decimal_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Decimal {
        Text(String),
        Integer(i64),
        Float(f64),
    }
    Ok(match Decimal::deserialize(d)? {
        Decimal::Text(t) => t,
        Decimal::Integer(n) => n.to_string(),
        Decimal::Float(f) => f.to_string(),
    })
}

#[cfg(test)]
// Amounts are written as major_minor (`2_000_00` is 2,000.00), as a person reads them.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn aed() -> Currency {
        Currency::from_code("AED").unwrap()
    }

    fn parsed(toml_text: &str) -> Result<ZakatSettings, ConfigError> {
        let z: Zakat = toml::from_str(toml_text).map_err(|e| ConfigError(e.to_string()))?;
        check_zakat(&z, aed())
    }

    #[test]
    fn prices_as_numbers_or_text_in_minor_units() {
        let z = parsed("gold_price_per_gram = 312.75\nsilver_price_per_gram = \"4\"\nprices_date = \"2026-12-01\"").unwrap();
        assert_eq!(z.prices.gold_minor_per_gram, 312_75);
        assert_eq!(z.prices.silver_minor_per_gram, 4_00);
        assert_eq!(z.prices_date, "2026-12-01");
        assert!(!z.prices_missing());
        let z = parsed("gold_price_per_gram = 300").unwrap();
        assert_eq!(z.prices.gold_minor_per_gram, 300_00);
        assert!(z.prices_missing());
    }

    #[test]
    fn defaults_are_no_prices() {
        let z = check_zakat(&Zakat::default(), aed()).unwrap();
        assert_eq!(z, ZakatSettings::default());
        assert!(z.prices_missing());
    }

    #[test]
    fn refuses_a_price_that_is_no_amount_naming_the_key() {
        for (text, says) in [
            (
                "gold_price_per_gram = -3",
                "zakat.gold_price_per_gram: \"-3\" is negative",
            ),
            (
                "silver_price_per_gram = 1.234",
                "zakat.silver_price_per_gram: \"1.234\" has more decimals",
            ),
            (
                "gold_price_per_gram = \"abc\"",
                "zakat.gold_price_per_gram: \"abc\" is not an amount",
            ),
            ("gold_price_per_gram = 1e20", "zakat.gold_price_per_gram:"),
        ] {
            let e = parsed(text).unwrap_err();
            assert!(e.0.starts_with(says), "{text}: {}", e.0);
        }
    }
}

//! Money as integer minor units of an ISO 4217 currency: parsing what a person types,
//! and writing amounts the way each language does. Never floats.

use std::collections::BTreeMap;

use serde::Deserialize;

#[path = "money/name.rs"]
mod name;
pub use name::{CurrencyName, Form, Plural, PluralRules};

/// A currency with its ISO 4217 minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// A positive amount in a known currency, in minor units: what a donation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// `None` unless `minor` is more than zero.
    pub fn new(minor: i64, currency: Currency) -> Option<Money> {
        (minor > 0).then_some(Money { minor, currency })
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }
}

/// ISO 4217 codes this site accepts, with their exponents.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("DZD", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("INR", 2),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LBP", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PKR", 2),
    ("QAR", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("TND", 3),
    ("TRY", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// How numbers and amounts are written in a language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberFormat {
    /// The ten digits, `0123456789` or `٠١٢٣٤٥٦٧٨٩`.
    pub digits: String,
    pub group_separator: String,
    pub decimal_separator: String,
    pub percent_sign: String,
    /// `{currency}` and `{amount}`, e.g. `{currency} {amount}` or `{amount} {currency}`.
    pub money_pattern: String,
    /// Currency code → symbol in this language, or a word in each plural form; codes not
    /// listed are written as the code.
    #[serde(default)]
    pub currency_symbols: BTreeMap<String, CurrencyName>,
    /// Currency code → the words running text uses for it (`درهم`, `dirhams`), so that
    /// `fundraiser check` can tell when the pages speak of another currency than the
    /// campaign's.
    #[serde(default)]
    pub currency_words: BTreeMap<String, Vec<String>>,
    /// The language's plural rules, for currency names that agree with the amount (set
    /// from the strings' `lang`).
    #[serde(skip)]
    pub plural_rules: PluralRules,
}

impl NumberFormat {
    /// Writes ASCII digits in this language's digits, leaving other characters alone.
    pub fn localize_digits(&self, ascii: &str) -> String {
        let digits: Vec<char> = self.digits.chars().collect();
        ascii
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if digits.len() == 10 => digits[d as usize],
                _ => c,
            })
            .collect()
    }
}

/// Amounts are capped well below `i64::MAX` so sums of many donations never overflow.
const MAX_DIGITS: usize = 15;

/// The largest donation any campaign may allow, in minor units (100 billion of a
/// two-decimal currency): nine hundred thousand donations of it still sum within `i64`.
pub const MAX_DONATION_MINOR: i64 = 10_000_000_000_000;
/// The largest goal, in minor units: with the total, it is summed and compared without
/// overflow.
pub const MAX_GOAL_MINOR: i64 = 1_000_000_000_000_000;

impl Currency {
    pub fn from_code(code: &str) -> Option<Currency> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|&(code, exponent)| Currency { code, exponent })
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Every currency this site accepts.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|&(code, exponent)| Currency { code, exponent })
    }

    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    fn scale(&self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }

    /// Whole major units to minor units (`50` AED → `5000`).
    pub fn major_to_minor(&self, major: u64) -> Option<i64> {
        i64::try_from(major).ok()?.checked_mul(self.scale())
    }
}

/// Why a typed amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    NotANumber,
    NotPositive,
    TooManyDecimals { allowed: u8 },
    TooSmall,
    TooLarge,
}

/// Parses an amount as a person types it, in major units: `50`, `12.5`, `12.50`, `1,000`,
/// `٥٠`, `١٬٠٠٠٫٥`. Commas (and the Arabic thousands separator) group thousands; the
/// decimal point may be `.` or `٫`. Returns minor units.
pub fn parse_amount(input: &str, currency: Currency) -> Result<i64, AmountError> {
    match parse_decimal(input, currency.exponent)? {
        0 => Err(AmountError::NotPositive),
        minor => Ok(minor),
    }
}

/// Parses a number typed as [`parse_amount`] reads it, zero included, into an integer of
/// `exponent` decimals (`12.5` with 3 → `12500`): grams of gold as milligrams, or a
/// figure of the Zakat calculator, where nothing is zero.
pub fn parse_decimal(input: &str, exponent: u8) -> Result<i64, AmountError> {
    let normalized: String = input.trim().chars().filter_map(normalize_char).collect();
    if normalized.is_empty() {
        return Err(AmountError::Empty);
    }
    let (negative, unsigned) = match normalized.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, normalized.strip_prefix('+').unwrap_or(&normalized)),
    };
    let (int_part, frac_part) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let int_digits = ungroup(int_part).ok_or(AmountError::NotANumber)?;
    let frac = match frac_part {
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(AmountError::NotANumber);
        }
        Some(f) => f,
        None => "",
    };
    if int_digits.is_empty() && frac.is_empty() {
        return Err(AmountError::NotANumber);
    }
    if negative {
        return Err(AmountError::NotPositive);
    }
    let allowed = exponent;
    let exponent = usize::from(exponent);
    if frac.len() > exponent {
        return Err(AmountError::TooManyDecimals { allowed });
    }
    let int_trimmed = int_digits.trim_start_matches('0');
    if int_trimmed.len() > MAX_DIGITS {
        return Err(AmountError::TooLarge);
    }
    let mut minor: i64 = 0;
    for b in int_trimmed.bytes().chain(frac.bytes()) {
        minor = minor * 10 + i64::from(b - b'0');
    }
    for _ in frac.len()..exponent {
        minor *= 10;
    }
    Ok(minor)
}

/// Parses what a donor typed (see [`parse_amount`]) and checks it against the campaign's
/// bounds (minor units): the amount of a donation.
pub fn parse_donation(
    input: &str,
    currency: Currency,
    min: i64,
    max: i64,
) -> Result<Money, AmountError> {
    let minor = parse_amount(input, currency)?;
    if minor < min {
        Err(AmountError::TooSmall)
    } else if minor > max {
        Err(AmountError::TooLarge)
    } else {
        Money::new(minor, currency).ok_or(AmountError::NotPositive)
    }
}

/// Maps Arabic-Indic and Eastern Arabic-Indic digits and separators to ASCII and drops
/// invisible direction marks; leaves anything else for the parser to refuse.
fn normalize_char(c: char) -> Option<char> {
    Some(match c {
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        '\u{066B}' => '.',
        '\u{066C}' | '\u{060C}' => ',',
        '\u{200E}' | '\u{200F}' | '\u{061C}' => return None,
        _ => c,
    })
}

/// Removes thousands separators: `1,000,000` → `1000000`. Groups after the first must
/// have exactly three digits; anything but digits and commas is refused.
fn ungroup(int_part: &str) -> Option<String> {
    if !int_part.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return None;
    }
    if !int_part.contains(',') {
        return Some(int_part.to_owned());
    }
    let mut groups = int_part.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 {
        return None;
    }
    let mut out = first.to_owned();
    for g in groups {
        if g.len() != 3 {
            return None;
        }
        out.push_str(g);
    }
    Some(out)
}

/// Writes minor units as digits in major units with grouping, ASCII: `123450` → `1,234.50`.
/// A zero fraction is left out (`5000` → `50`), as people write round amounts.
fn plain_number(minor: i64, currency: Currency, group: &str, decimal: &str) -> String {
    let scale = currency.scale();
    let negative = minor < 0;
    let abs = minor.unsigned_abs();
    let int = abs / scale as u64;
    let frac = abs % scale as u64;
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    out.push_str(&group_thousands(int, group));
    if frac != 0 {
        out.push_str(decimal);
        out.push_str(&format!(
            "{:0width$}",
            frac,
            width = usize::from(currency.exponent)
        ));
    }
    out
}

/// Minor units as a plain major-unit number a form can send back: `5000` → `50`.
pub fn minor_to_plain(minor: i64, currency: Currency) -> String {
    plain_number(minor, currency, "", ".")
}

/// An amount as the language writes it: `AED 1,234.50`, `١٬٢٣٤٫٥٠ د.إ`.
pub fn format_money(minor: i64, currency: Currency, fmt: &NumberFormat) -> String {
    let number = fmt.localize_digits(&plain_number(
        minor,
        currency,
        &fmt.group_separator,
        &fmt.decimal_separator,
    ));
    let unit = currency.scale();
    let symbol = fmt
        .currency_symbols
        .get(currency.code)
        .map_or(currency.code, |name| {
            name.for_amount(
                fmt.plural_rules,
                (minor / unit).unsigned_abs(),
                minor % unit != 0,
            )
        });
    fmt.money_pattern
        .replace("{currency}", symbol)
        .replace("{amount}", &number)
}

/// A count as the language writes it: `1,234`, `١٬٢٣٤`.
pub fn format_count(n: u64, fmt: &NumberFormat) -> String {
    fmt.localize_digits(&group_thousands(n, &fmt.group_separator))
}

/// `1234567` → `1,234,567` with the given separator.
fn group_thousands(n: u64, separator: &str) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * separator.len());
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(ch);
    }
    out
}

/// Hundredths of a percent of the goal reached, rounded down: the one rounding rule of
/// every figure of progress (the site and the dashboard show whole percent, `/admin/stats`
/// two decimals), so no page says more than was raised.
pub fn hundredths_percent_of(raised: i64, goal: i64) -> u64 {
    if goal <= 0 || raised <= 0 {
        return 0;
    }
    u64::try_from(i128::from(raised) * 10_000 / i128::from(goal)).unwrap_or(u64::MAX)
}

/// Whole percent of the goal reached, rounded down, for display (`37%`, `٣٧٪`).
pub fn percent_of(raised: i64, goal: i64) -> u64 {
    hundredths_percent_of(raised, goal) / 100
}

pub fn format_percent(p: u64, fmt: &NumberFormat) -> String {
    format!(
        "{}{}",
        fmt.localize_digits(&p.to_string()),
        fmt.percent_sign
    )
}

#[cfg(test)]
#[path = "money/tests.rs"]
mod tests;

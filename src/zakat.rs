//! Zakat on what a donor holds: the nisab (85 g of gold or 595 g of silver at the
//! charity's prices) and 2.5 % of the net wealth at or above it. Integer minor units
//! throughout; grams are read to the milligram; every value rounds up to the minor unit,
//! so the Zakat asked is never short. `assets/app.js` computes the same on the page.

use crate::money::{AmountError, Currency, MAX_GOAL_MINOR, parse_decimal};

/// Grams of gold and of silver that make the nisab.
pub const GOLD_NISAB_GRAMS: i64 = 85;
pub const SILVER_NISAB_GRAMS: i64 = 595;

/// Prices of a gram, in minor units of the campaign's currency (`[zakat]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prices {
    pub gold_minor_per_gram: i64,
    pub silver_minor_per_gram: i64,
}

/// Which metal sets the nisab.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Nisab {
    #[default]
    Gold,
    Silver,
}

impl Nisab {
    /// `gold` or `silver`, as the form sends it.
    pub fn parse(text: &str) -> Option<Nisab> {
        match text.trim() {
            "gold" => Some(Nisab::Gold),
            "silver" => Some(Nisab::Silver),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Nisab::Gold => "gold",
            Nisab::Silver => "silver",
        }
    }

    /// The nisab's value at these prices, in minor units.
    pub fn value(self, prices: &Prices) -> i64 {
        match self {
            Nisab::Gold => GOLD_NISAB_GRAMS * prices.gold_minor_per_gram,
            Nisab::Silver => SILVER_NISAB_GRAMS * prices.silver_minor_per_gram,
        }
    }
}

/// What a donor holds: amounts in minor units, metals in milligrams.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    pub cash: i64,
    pub gold_mg: i64,
    pub silver_mg: i64,
    pub investments: i64,
    pub receivables: i64,
    pub debts: i64,
}

/// One of the calculator's fields, as the form names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Cash,
    GoldGrams,
    SilverGrams,
    Investments,
    Receivables,
    Debts,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Cash,
        Field::GoldGrams,
        Field::SilverGrams,
        Field::Investments,
        Field::Receivables,
        Field::Debts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Cash => "cash",
            Field::GoldGrams => "gold_grams",
            Field::SilverGrams => "silver_grams",
            Field::Investments => "investments",
            Field::Receivables => "receivables",
            Field::Debts => "debts",
        }
    }

    fn is_grams(self) -> bool {
        matches!(self, Field::GoldGrams | Field::SilverGrams)
    }
}

/// Why a field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    NotANumber,
    Negative,
    TooManyDecimals { allowed: u8 },
    TooLarge,
}

/// Milligrams in a gram: grams are read to three decimals.
const MG_PER_GRAM: i64 = 1000;

/// A field as typed (`None` or blank: zero), in the field's unit: minor units of
/// `currency`, or milligrams.
pub fn parse_field(field: Field, input: &str, currency: Currency) -> Result<i64, FieldError> {
    if input.trim().is_empty() {
        return Ok(0);
    }
    let exponent = if field.is_grams() {
        3
    } else {
        currency.exponent()
    };
    let value = parse_decimal(input, exponent).map_err(|e| match e {
        AmountError::Empty | AmountError::NotANumber => FieldError::NotANumber,
        AmountError::NotPositive => FieldError::Negative,
        AmountError::TooManyDecimals { allowed } => FieldError::TooManyDecimals { allowed },
        AmountError::TooSmall | AmountError::TooLarge => FieldError::TooLarge,
    })?;
    // Each figure stays below the largest goal, so their sum never overflows.
    let limit = if field.is_grams() {
        // A billion grams: a thousand tonnes.
        1_000_000_000 * MG_PER_GRAM
    } else {
        MAX_GOAL_MINOR
    };
    if value > limit {
        return Err(FieldError::TooLarge);
    }
    Ok(value)
}

/// What a donor owes, worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    /// The nisab's value in minor units (0 when its metal has no price set).
    pub nisab_minor: i64,
    /// Net zakatable wealth in minor units (negative when debts exceed it).
    pub net_minor: i64,
    /// The Zakat due: `None` below the nisab (or without a price to set it).
    pub due_minor: Option<i64>,
}

/// `mg` milligrams at `price` minor units a gram, rounded up to the minor unit; `None`
/// past the largest goal (no one holds that much, and sums stay far from overflow).
fn metal_value(mg: i64, price: i64) -> Option<i64> {
    let milli = i128::from(MG_PER_GRAM);
    let value = (i128::from(mg) * i128::from(price) + milli - 1) / milli;
    i64::try_from(value).ok().filter(|v| *v <= MAX_GOAL_MINOR)
}

/// The Zakat on `h` at `prices`, with the nisab of `nisab`: 2.5 % (one fortieth) of the
/// net, rounded up to the minor unit, when the net reaches the nisab. Refuses the metal
/// field whose value is past all reason (see [`metal_value`]).
pub fn assess(h: &Holdings, prices: &Prices, nisab: Nisab) -> Result<Assessment, Field> {
    let nisab_minor = nisab.value(prices);
    let gold = metal_value(h.gold_mg, prices.gold_minor_per_gram).ok_or(Field::GoldGrams)?;
    let silver =
        metal_value(h.silver_mg, prices.silver_minor_per_gram).ok_or(Field::SilverGrams)?;
    // Each term is at most the largest goal (10^15): the sum fits many times over.
    let net = h.cash + gold + silver + h.investments + h.receivables - h.debts;
    // Without a price there is no nisab to reach: nothing is asked rather than too much.
    let due = (nisab_minor > 0 && net >= nisab_minor).then(|| (net + 39) / 40);
    Ok(Assessment {
        nisab_minor,
        net_minor: net,
        due_minor: due,
    })
}

#[cfg(test)]
// Amounts are written as major_minor (`2_000_00` is 2,000.00), as a person reads them.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn assess_ok(h: &Holdings, p: &Prices, n: Nisab) -> Assessment {
        assess(h, p, n).unwrap()
    }

    fn aed() -> Currency {
        Currency::from_code("AED").unwrap()
    }

    fn prices(gold: i64, silver: i64) -> Prices {
        Prices {
            gold_minor_per_gram: gold * 100,
            silver_minor_per_gram: silver * 100,
        }
    }

    #[test]
    fn worked_example_gold_nisab_two_thousand_due() {
        let h = Holdings {
            cash: 100_000_00,
            debts: 20_000_00,
            ..Holdings::default()
        };
        let a = assess_ok(&h, &prices(300, 4), Nisab::Gold);
        assert_eq!(a.nisab_minor, 25_500_00);
        assert_eq!(a.net_minor, 80_000_00);
        assert_eq!(a.due_minor, Some(2_000_00));
    }

    #[test]
    fn worked_example_below_gold_nisab_nothing_due() {
        let h = Holdings {
            cash: 20_000_00,
            ..Holdings::default()
        };
        let a = assess_ok(&h, &prices(300, 4), Nisab::Gold);
        assert_eq!(a.nisab_minor, 25_500_00);
        assert_eq!(a.due_minor, None);
    }

    #[test]
    fn worked_example_silver_nisab_five_hundred_due() {
        let h = Holdings {
            cash: 20_000_00,
            ..Holdings::default()
        };
        let a = assess_ok(&h, &prices(300, 4), Nisab::Silver);
        assert_eq!(a.nisab_minor, 2_380_00);
        assert_eq!(a.due_minor, Some(500_00));
    }

    #[test]
    fn exactly_the_nisab_is_due_and_one_less_is_not() {
        let p = prices(300, 4);
        let at = Holdings {
            cash: 25_500_00,
            ..Holdings::default()
        };
        assert_eq!(assess_ok(&at, &p, Nisab::Gold).due_minor, Some(637_50));
        let below = Holdings {
            cash: 25_500_00 - 1,
            ..Holdings::default()
        };
        assert_eq!(assess_ok(&below, &p, Nisab::Gold).due_minor, None);
    }

    #[test]
    fn metals_are_valued_by_the_milligram_and_round_up() {
        // 0.001 g at 300.01 a gram is 0.30001: 0.31.
        let p = Prices {
            gold_minor_per_gram: 300_01,
            silver_minor_per_gram: 0,
        };
        assert_eq!(metal_value(1, p.gold_minor_per_gram), Some(31));
        // 100 g of gold at 300 a gram: 30,000, over the nisab; a fortieth is 750.
        let h = Holdings {
            gold_mg: parse_field(Field::GoldGrams, "100", aed()).unwrap(),
            ..Holdings::default()
        };
        assert_eq!(h.gold_mg, 100_000);
        let a = assess_ok(&h, &prices(300, 4), Nisab::Gold);
        assert_eq!(a.net_minor, 30_000_00);
        assert_eq!(a.due_minor, Some(750_00));
        // A fortieth of 25,500.01 is 637.50025: 637.51.
        let h = Holdings {
            cash: 25_500_01,
            ..Holdings::default()
        };
        assert_eq!(
            assess_ok(&h, &prices(300, 4), Nisab::Gold).due_minor,
            Some(637_51)
        );
    }

    #[test]
    fn no_price_no_nisab_nothing_asked() {
        let h = Holdings {
            cash: 1_000_000_00,
            ..Holdings::default()
        };
        let a = assess_ok(&h, &Prices::default(), Nisab::Gold);
        assert_eq!((a.nisab_minor, a.due_minor), (0, None));
    }

    #[test]
    fn debts_above_wealth_leave_nothing_due() {
        let h = Holdings {
            cash: 1_000_00,
            debts: 5_000_00,
            ..Holdings::default()
        };
        let a = assess_ok(&h, &prices(300, 4), Nisab::Silver);
        assert_eq!((a.net_minor, a.due_minor), (-4_000_00, None));
    }

    #[test]
    fn fields_read_like_the_donate_form_and_blank_is_zero() {
        let c = aed();
        assert_eq!(parse_field(Field::Cash, "", c), Ok(0));
        assert_eq!(parse_field(Field::Cash, "0", c), Ok(0));
        assert_eq!(parse_field(Field::Cash, "100,000", c), Ok(100_000_00));
        assert_eq!(parse_field(Field::Cash, "١٠٠٬٠٠٠٫٥", c), Ok(100_000_50));
        assert_eq!(parse_field(Field::GoldGrams, "٨٥٫٢٥", c), Ok(85_250));
        assert_eq!(
            parse_field(Field::GoldGrams, "1.2345", c),
            Err(FieldError::TooManyDecimals { allowed: 3 })
        );
        assert_eq!(
            parse_field(Field::Cash, "1.234", c),
            Err(FieldError::TooManyDecimals { allowed: 2 })
        );
        assert_eq!(
            parse_field(Field::Debts, "-5", c),
            Err(FieldError::Negative)
        );
        assert_eq!(
            parse_field(Field::Debts, "abc", c),
            Err(FieldError::NotANumber)
        );
        assert_eq!(
            parse_field(Field::Cash, "99999999999999999", c),
            Err(FieldError::TooLarge)
        );
        assert_eq!(
            parse_field(Field::SilverGrams, "1000000001", c),
            Err(FieldError::TooLarge)
        );
    }

    #[test]
    fn the_largest_figures_do_not_overflow() {
        let max = |field| parse_field(field, "1,000,000,000", aed()).unwrap();
        let h = Holdings {
            cash: MAX_GOAL_MINOR,
            gold_mg: max(Field::GoldGrams),
            silver_mg: 0,
            investments: MAX_GOAL_MINOR,
            receivables: MAX_GOAL_MINOR,
            debts: 0,
        };
        let p = Prices {
            gold_minor_per_gram: crate::money::MAX_DONATION_MINOR,
            silver_minor_per_gram: 1,
        };
        assert_eq!(assess(&h, &p, Nisab::Gold), Err(Field::GoldGrams));
        let h = Holdings {
            gold_mg: 1_000,
            silver_mg: max(Field::SilverGrams),
            ..h
        };
        let a = assess_ok(&h, &p, Nisab::Silver);
        assert_eq!(
            a.net_minor,
            3 * MAX_GOAL_MINOR + 10_000_000_000_000 + 1_000_000_000
        );
        assert_eq!(a.due_minor, Some((a.net_minor + 39) / 40));
    }
}

//! Parsing and writing amounts, in both languages.
use super::*;

fn aed() -> Currency {
    Currency::from_code("AED").unwrap()
}
fn jpy() -> Currency {
    Currency::from_code("jpy").unwrap()
}
fn usd() -> Currency {
    Currency::from_code("USD").unwrap()
}

fn kwd() -> Currency {
    Currency::from_code("KWD").unwrap()
}

fn en() -> NumberFormat {
    NumberFormat {
        digits: "0123456789".into(),
        group_separator: ",".into(),
        decimal_separator: ".".into(),
        percent_sign: "%".into(),
        money_pattern: "{currency} {amount}".into(),
        currency_symbols: Default::default(),
        plural_rules: PluralRules::English,
        currency_words: Default::default(),
    }
}
fn ar() -> NumberFormat {
    NumberFormat {
        digits: "٠١٢٣٤٥٦٧٨٩".into(),
        group_separator: "٬".into(),
        decimal_separator: "٫".into(),
        percent_sign: "٪".into(),
        money_pattern: "{amount} {currency}".into(),
        currency_symbols: [
            ("AED".to_string(), CurrencyName::Symbol("د.إ".to_string())),
            (
                "USD".to_string(),
                CurrencyName::Word(Plural {
                    zero: None,
                    one: None,
                    two: None,
                    few: Some("دولارات".into()),
                    many: Some("دولارًا".into()),
                    other: "دولار".into(),
                }),
            ),
        ]
        .into(),
        plural_rules: PluralRules::Arabic,
        currency_words: Default::default(),
    }
}

#[test]
fn parses_what_people_type() {
    assert_eq!(parse_amount("50", aed()), Ok(5000));
    assert_eq!(parse_amount(" 12.5 ", aed()), Ok(1250));
    assert_eq!(parse_amount("12.50", aed()), Ok(1250));
    assert_eq!(parse_amount("1,000", aed()), Ok(100_000));
    assert_eq!(parse_amount("1,000,000.05", aed()), Ok(100_000_005));
    assert_eq!(parse_amount("٥٠", aed()), Ok(5000));
    assert_eq!(parse_amount("١٬٠٠٠٫٥", aed()), Ok(100_050));
    assert_eq!(parse_amount("۱۲", aed()), Ok(1200));
    assert_eq!(parse_amount(".5", aed()), Ok(50));
    assert_eq!(parse_amount("+7", aed()), Ok(700));
    assert_eq!(parse_amount("007", aed()), Ok(700));
}

#[test]
fn uses_the_currency_exponent() {
    assert_eq!(parse_amount("1000", jpy()), Ok(1000));
    assert_eq!(
        parse_amount("1000.5", jpy()),
        Err(AmountError::TooManyDecimals { allowed: 0 })
    );
    assert_eq!(parse_amount("1.5", kwd()), Ok(1500));
    assert_eq!(parse_amount("1.505", kwd()), Ok(1505));
    assert_eq!(
        parse_amount("1.5055", kwd()),
        Err(AmountError::TooManyDecimals { allowed: 3 })
    );
    assert_eq!(
        parse_amount("12.505", aed()),
        Err(AmountError::TooManyDecimals { allowed: 2 })
    );
}

#[test]
fn refuses_what_is_not_an_amount() {
    assert_eq!(parse_amount("", aed()), Err(AmountError::Empty));
    assert_eq!(parse_amount("   ", aed()), Err(AmountError::Empty));
    assert_eq!(parse_amount("0", aed()), Err(AmountError::NotPositive));
    assert_eq!(parse_amount("0.00", aed()), Err(AmountError::NotPositive));
    assert_eq!(parse_amount("-5", aed()), Err(AmountError::NotPositive));
    for bad in [
        "abc",
        "12a",
        "1.2.3",
        "1,00",
        "10,0000",
        ",100",
        "1.",
        "5e3",
        "0x10",
        "NaN",
        "12 50",
        "--5",
        "1,000.",
        "AED 50",
        "٥٠ درهم",
        ".",
        "-",
        "∞",
    ] {
        assert_eq!(
            parse_amount(bad, aed()),
            Err(AmountError::NotANumber),
            "{bad}"
        );
    }
    assert_eq!(
        parse_amount("9999999999999999", aed()),
        Err(AmountError::TooLarge)
    );
}

#[test]
fn checks_bounds() {
    let within = parse_donation("5", aed(), 500, 5_000_000).unwrap();
    assert_eq!((within.minor(), within.currency()), (500, aed()));
    assert_eq!(
        parse_donation("4.99", aed(), 500, 5_000_000),
        Err(AmountError::TooSmall)
    );
    assert_eq!(
        parse_donation("50,000.01", aed(), 500, 5_000_000),
        Err(AmountError::TooLarge)
    );
    assert_eq!(
        parse_donation("-5", aed(), 500, 5_000_000),
        Err(AmountError::NotPositive)
    );
    assert_eq!(Money::new(0, aed()), None);
}

#[test]
fn formats_in_each_language() {
    assert_eq!(format_money(123_450, aed(), &en()), "AED 1,234.50");
    assert_eq!(format_money(5000, aed(), &en()), "AED 50");
    assert_eq!(format_money(0, aed(), &en()), "AED 0");
    assert_eq!(format_money(123_450, aed(), &ar()), "١٬٢٣٤٫٥٠ د.إ");
    assert_eq!(format_money(1000, jpy(), &en()), "JPY 1,000");
    assert_eq!(format_money(1505, kwd(), &en()), "KWD 1.505");
    assert_eq!(format_money(1050, kwd(), &en()), "KWD 1.050");
    assert_eq!(format_count(1_234_567, &ar()), "١٬٢٣٤٬٥٦٧");
    // A currency written as a word agrees with the amount (CLDR plural forms).
    assert_eq!(format_money(500, usd(), &ar()), "٥ دولارات");
    assert_eq!(format_money(5000, usd(), &ar()), "٥٠ دولارًا");
    assert_eq!(format_money(10_000, usd(), &ar()), "١٠٠ دولار");
    assert_eq!(format_money(550, usd(), &ar()), "٥٫٥٠ دولار");
    assert_eq!(format_money(1_100, usd(), &ar()), "١١ دولارًا");
    assert_eq!(format_percent(percent_of(750, 1000), &ar()), "٧٥٪");
    assert_eq!(percent_of(3_000, 1_000), 300);
    assert_eq!(percent_of(0, 0), 0);
    // 1,112.50 of 250,000 is 0.445 %: two decimals and whole percent both round down.
    assert_eq!(hundredths_percent_of(111_250, 25_000_000), 44);
    assert_eq!(percent_of(111_250, 25_000_000), 0);
    assert_eq!(
        hundredths_percent_of(i64::MAX, 1),
        u64::try_from(i128::from(i64::MAX) * 10_000).unwrap_or(u64::MAX)
    );
}

#[test]
fn formatted_amounts_parse_back() {
    for minor in [1, 99, 100, 1250, 100_000, 123_456_789] {
        let s = plain_number(minor, aed(), ",", ".");
        assert_eq!(parse_amount(&s, aed()), Ok(minor), "{s}");
        let a = format_money(minor, aed(), &ar());
        let number = a.trim_end_matches(" د.إ");
        assert_eq!(parse_amount(number, aed()), Ok(minor), "{a}");
    }
}

//! Amount parsing never panics, and accepted amounts are positive.
#![no_main]

use fundraiser::money::{Currency, minor_to_plain, parse_amount};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for code in ["AED", "JPY", "KWD"] {
        let Some(currency) = Currency::from_code(code) else {
            return;
        };
        if let Ok(minor) = parse_amount(text, currency) {
            assert!(minor > 0);
            assert_eq!(
                parse_amount(&minor_to_plain(minor, currency), currency),
                Ok(minor)
            );
        }
    }
});

//! Property tests: whatever a client sends, parsing never panics, and what we format
//! parses back to the same value.

use fundraiser::donation::Outcome;
use fundraiser::gateway::sandbox::Sandbox;
use fundraiser::gateway::{Gateway, ReturnOutcome};
use fundraiser::lang::Lang;
use fundraiser::money::{Currency, format_money, minor_to_plain, parse_amount};
use fundraiser::render::strings::Strings;
use fundraiser::routes::donate::DonateForm;
use fundraiser::site::negotiate::negotiate;
use proptest::prelude::*;

fn currencies() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["AED", "JPY", "KWD", "USD", "BHD"])
        .prop_map(|c| Currency::from_code(c).expect("known currency"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn amount_parsing_never_panics(input in ".{0,40}", currency in currencies()) {
        let _ = parse_amount(&input, currency);
    }

    #[test]
    fn amount_parsing_never_panics_on_number_like_input(
        input in "[-+]?[0-9٠-٩۰-۹,٬.٫ ]{0,30}",
        currency in currencies(),
    ) {
        if let Ok(minor) = parse_amount(&input, currency) {
            prop_assert!(minor > 0);
        }
    }

    #[test]
    fn formatted_amounts_parse_back(minor in 1i64..1_000_000_000_000, currency in currencies()) {
        prop_assert_eq!(parse_amount(&minor_to_plain(minor, currency), currency), Ok(minor));
        for lang in Lang::ALL {
            let fmt = &Strings::of(lang).numbers;
            let shown = format_money(minor, currency, fmt);
            // Strip the currency symbol or code; what is left is the number as shown.
            let number: String = shown
                .split([' ', '\u{a0}'])
                .filter(|part| part.chars().any(|c| c.is_ascii_digit() || ('٠'..='٩').contains(&c)))
                .collect();
            prop_assert_eq!(parse_amount(&number, currency), Ok(minor), "{}", shown);
        }
    }

    #[test]
    fn form_decoding_never_panics(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = serde_urlencoded::from_bytes::<DonateForm>(&body);
    }

    #[test]
    fn form_decoding_of_form_like_bodies_never_panics(body in "([a-z]{1,8}=[%0-9A-Za-z+&=.,-]{0,12}&?){0,8}") {
        let _ = serde_urlencoded::from_str::<DonateForm>(&body);
    }

    #[test]
    fn accept_encoding_parsing_never_panics(header in ".{0,80}", br: bool, gz: bool) {
        let _ = negotiate(Some(&header), br, gz);
    }

    #[test]
    fn signature_parsing_never_panics_and_never_accepts_garbage(
        query in ".{0,200}",
        sig_header in "[ -~]{0,100}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let rt = runtime();
        let sandbox = Sandbox::new(b"property-secret", true, reqwest::Client::new());
        prop_assert!(rt.block_on(sandbox.verify_return(&query)).is_err());
        let mut headers = actix_web::http::header::HeaderMap::new();
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&sig_header) {
            headers.insert(actix_web::http::header::HeaderName::from_static("sandbox-signature"), v);
        }
        prop_assert!(rt.block_on(sandbox.verify_webhook(&headers, &body)).is_err());
    }

    #[test]
    fn signed_results_round_trip(reference in "[A-Za-z0-9_-]{22}", amount in 1i64..10_000_000_000, paid: bool) {
        let rt = runtime();
        let sandbox = Sandbox::new(b"property-secret", true, reqwest::Client::new());
        let outcome = if paid { Outcome::Paid } else { Outcome::Declined };
        let signed = sandbox.sign_result(&reference, outcome, amount, "AED");
        let query = serde_urlencoded::to_string(&signed).expect("query");
        let verified = rt.block_on(sandbox.verify_return(&query)).expect("verifies");
        let ReturnOutcome::Settled(cb) = verified else {
            panic!("a signed result settles the payment");
        };
        prop_assert_eq!(cb.gateway_ref, reference);
        prop_assert_eq!(cb.outcome, outcome);
        prop_assert_eq!(cb.amount_minor, Some(amount));
    }
}

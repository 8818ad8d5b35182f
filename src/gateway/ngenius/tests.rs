use super::api::{outcome_of, reference_of, webhook_reference};
use super::*;
use crate::donation::DonationId;

#[test]
fn a_merchant_reference_is_letters_digits_and_hyphens_and_names_its_donation() {
    for _ in 0..200 {
        let id = DonationId::random();
        let reference = merchant_reference(&id);
        assert!(
            reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{reference}"
        );
        assert_eq!(donation_of(&reference), Some(id));
    }
    let odd = DonationId::parse("A_________-__________B").unwrap();
    assert_eq!(donation_of(&merchant_reference(&odd)), Some(odd));
    assert_eq!(donation_of("not-ours"), None);
    assert_eq!(donation_of(""), None);
}

#[test]
fn only_paid_and_failed_states_settle() {
    for state in ["PURCHASED", "CAPTURED", "PARTIALLY_REFUNDED", "REFUNDED"] {
        assert_eq!(outcome_of(state), Some(Outcome::Paid), "{state}");
    }
    assert_eq!(outcome_of("FAILED"), Some(Outcome::Declined));
    for state in [
        "STARTED",
        "AWAIT_3DS",
        "AUTHORISED",
        "REVERSED",
        "",
        "purchased",
    ] {
        assert_eq!(outcome_of(state), None, "{state}");
    }
}

#[test]
fn a_return_names_exactly_one_well_formed_order() {
    assert_eq!(
        reference_of("ref=2b1c-AB09").unwrap(),
        "2b1c-AB09".to_owned()
    );
    for bad in ["", "ref=", "ref=a&ref=a", "ref=a/b", "ref=%00", "code=x"] {
        assert!(reference_of(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_webhook_body_only_names_an_order() {
    let by_reference = br#"{"eventName":"PURCHASED","order":{"reference":"ab-12"}}"#;
    assert_eq!(webhook_reference(by_reference).unwrap(), "ab-12");
    let by_id = br#"{"order":{"_id":"urn:order:cd-34"}}"#;
    assert_eq!(webhook_reference(by_id).unwrap(), "cd-34");
    for bad in [
        &b"{}"[..],
        b"[]",
        b"not json",
        br#"{"order":{"reference":"../x"}}"#,
    ] {
        assert!(webhook_reference(bad).is_err());
    }
}

#[test]
fn the_sandbox_is_told_by_its_host() {
    assert!(is_sandbox(
        "https://api-gateway.sandbox.ngenius-payments.com"
    ));
    assert!(is_sandbox(
        "https://api-gateway.sandbox.ksa.ngenius-payments.com/"
    ));
    assert!(!is_sandbox("https://api-gateway.ngenius-payments.com"));
    assert!(!is_sandbox("https://sandboxed.example.org"));
    assert!(!is_sandbox("http://127.0.0.1:8080/sandbox"));
}

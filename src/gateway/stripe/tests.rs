//! Stripe's signature vectors, the session form and the gateway against a fake Stripe.

use super::*;
use crate::donation::DonationId;
use crate::lang::Lang;
use crate::money::{Currency, Money};

// Vectors computed outside this code, with
//   printf '%s' "<t>.<body>" | openssl dgst -sha256 -hmac <secret>
const SECRET: &[u8] = b"whsec_vector_secret";
const T: i64 = 1_700_000_000;
const BODY: &str = r#"{"id":"evt_1","object":"event","type":"checkout.session.completed"}"#;
/// HMAC("whsec_vector_secret", "1700000000." + BODY)
const SIG: &str = "aed5b9f30c8f569bd27e25330ff8f32413bc895d8ebfa33cab494430efcacbf2";
/// HMAC("whsec_other_secret", "1700000000." + BODY)
const SIG_OTHER_SECRET: &str = "a50fcf4ce362bfad3620d0a145bf1e7d82465677e076760b020dc81360115dee";
/// The body with `completed` changed to `expired`, and its signature.
const BODY_EXPIRED: &str = r#"{"id":"evt_1","object":"event","type":"checkout.session.expired"}"#;
const SIG_EXPIRED: &str = "c3d72f2f3f74e85e8e271e22863af6969e35f03f796a32b01fc5f2b7ad474e06";
/// HMAC("whsec_vector_secret", "1700000300." + BODY)
const SIG_T300: &str = "36b7687ed65427dc081679dfba5665fbd64204386d03b7047ad4fcf76b8e7295";

const FIVE_MINUTES: Duration = Duration::from_secs(300);

fn verify(header: &str, body: &str, now: i64) -> Result<(), SignatureError> {
    verify_signature(header, body.as_bytes(), SECRET, now, FIVE_MINUTES)
}

#[test]
fn independent_vectors_verify() {
    assert_eq!(verify(&format!("t={T},v1={SIG}"), BODY, T), Ok(()));
    assert_eq!(
        verify(&format!("t={T},v1={SIG_EXPIRED}"), BODY_EXPIRED, T),
        Ok(())
    );
    assert_eq!(
        verify(&format!("t=1700000300,v1={SIG_T300}"), BODY, T + 300),
        Ok(())
    );
    // Order, spaces after commas, other schemes and upper-case hex do not matter.
    assert_eq!(
        verify(&format!("v0=abcd, v1={SIG}, t={T}"), BODY, T),
        Ok(())
    );
    assert_eq!(
        verify(&format!("t={T},v1={}", SIG.to_uppercase()), BODY, T),
        Ok(())
    );
}

#[test]
fn wrong_secret_or_tampered_body_or_timestamp_is_refused() {
    assert_eq!(
        verify(&format!("t={T},v1={SIG_OTHER_SECRET}"), BODY, T),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(
            &format!("t={T},v1={SIG}"),
            BODY.as_bytes(),
            b"whsec_other_secret",
            T,
            FIVE_MINUTES
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&format!("t={T},v1={SIG}"), BODY_EXPIRED, T),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&format!("t={T},v1={SIG}"), &format!("{BODY} "), T),
        Err(SignatureError::Mismatch)
    );
    // The signature covers the timestamp: moving it breaks the signature.
    assert_eq!(
        verify(&format!("t=1700000300,v1={SIG}"), BODY, T + 300),
        Err(SignatureError::Mismatch)
    );
    // A truncated signature.
    assert_eq!(
        verify(&format!("t={T},v1={}", &SIG[..62]), BODY, T),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn the_timestamp_must_be_within_the_tolerance_either_way() {
    let header = format!("t={T},v1={SIG}");
    assert_eq!(verify(&header, BODY, T + 300), Ok(()));
    assert_eq!(verify(&header, BODY, T - 300), Ok(()));
    assert_eq!(verify(&header, BODY, T + 301), Err(SignatureError::TooOld));
    assert_eq!(verify(&header, BODY, T - 301), Err(SignatureError::TooNew));
    assert_eq!(verify(&header, BODY, 0), Err(SignatureError::TooNew));
    assert_eq!(
        verify_signature(
            &header,
            BODY.as_bytes(),
            SECRET,
            T + 30,
            Duration::from_secs(10)
        ),
        Err(SignatureError::TooOld)
    );
}

#[test]
fn any_of_several_v1_signatures_may_match() {
    assert_eq!(
        verify(&format!("t={T},v1={SIG_OTHER_SECRET},v1={SIG}"), BODY, T),
        Ok(())
    );
    assert_eq!(
        verify(&format!("t={T},v1={SIG},v1={SIG_OTHER_SECRET}"), BODY, T),
        Ok(())
    );
    assert_eq!(
        verify(&format!("t={T},v1=not-hex,v1={SIG}"), BODY, T),
        Ok(())
    );
    assert_eq!(
        verify(
            &format!("t={T},v1={SIG_OTHER_SECRET},v1={SIG_EXPIRED}"),
            BODY,
            T
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn missing_or_garbled_headers_are_refused() {
    let cases: &[(&str, SignatureError)] = &[
        ("", SignatureError::Malformed),
        ("garbage", SignatureError::Malformed),
        (&format!("v1={SIG}"), SignatureError::Malformed),
        (&format!("t=,v1={SIG}"), SignatureError::Malformed),
        (&format!("t=abc,v1={SIG}"), SignatureError::Malformed),
        (
            &format!("t=-1700000000,v1={SIG}"),
            SignatureError::Malformed,
        ),
        (&format!("t=1e9,v1={SIG}"), SignatureError::Malformed),
        (
            &format!("t=99999999999999999999999,v1={SIG}"),
            SignatureError::Malformed,
        ),
        (&format!("t={T},t={T},v1={SIG}"), SignatureError::Malformed),
        (&format!("t={T};v1={SIG}"), SignatureError::Malformed),
        (&format!("t={T},v1={SIG},"), SignatureError::Malformed),
        (&format!("t={T}"), SignatureError::NoSignature),
        (&format!("t={T},v0={SIG}"), SignatureError::NoSignature),
        (&format!("t={T},v1="), SignatureError::Mismatch),
        (&format!("t={T},v1=zz"), SignatureError::Mismatch),
    ];
    for (header, expected) in cases {
        assert_eq!(verify(header, BODY, T), Err(*expected), "{header:?}");
    }
}

fn request<'a>(id: &'a DonationId, lang: Lang) -> CheckoutRequest<'a> {
    CheckoutRequest {
        id,
        amount: Money::new(12_550, Currency::from_code("AED").unwrap()).unwrap(),
        lang,
        campaign_name: "Clean Water & Wells",
        fund: "general",
        fund_label: None,
        email: None,
        callback_base: "https://give.example.org/",
        site_url: "https://give.example.org/",
    }
}

#[test]
fn the_checkout_form_has_every_field() {
    let id = DonationId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
    let form = checkout_form(&request(&id, Lang::Ar));
    let expected: &[(&str, &str)] = &[
        ("mode", "payment"),
        ("submit_type", "donate"),
        ("line_items[0][price_data][currency]", "aed"),
        ("line_items[0][price_data][unit_amount]", "12550"),
        (
            "line_items[0][price_data][product_data][name]",
            "Clean Water & Wells",
        ),
        ("line_items[0][quantity]", "1"),
        (
            "success_url",
            "https://give.example.org/payment/return/stripe?session_id={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "https://give.example.org/ar/error/"),
        ("client_reference_id", "AAAAAAAAAAAAAAAAAAAAAA"),
        ("metadata[donation_id]", "AAAAAAAAAAAAAAAAAAAAAA"),
        ("metadata[fund]", "general"),
        (
            "payment_intent_data[metadata][donation_id]",
            "AAAAAAAAAAAAAAAAAAAAAA",
        ),
    ];
    let got: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(got, expected);
    let zakat = CheckoutRequest {
        fund: "zakat",
        fund_label: Some("زكاة"),
        email: None,
        ..request(&id, Lang::Ar)
    };
    let named: std::collections::HashMap<_, _> = checkout_form(&zakat).into_iter().collect();
    assert_eq!(
        named["line_items[0][price_data][product_data][name]"],
        "Clean Water & Wells — زكاة"
    );
    assert_eq!(named["metadata[fund]"], "zakat");
    let encoded = serde_urlencoded::to_string(&form).unwrap();
    assert!(encoded.starts_with("mode=payment&submit_type=donate&"));
    assert!(encoded.contains("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=12550"));
    assert!(encoded.contains("product_data%5D%5Bname%5D=Clean+Water+%26+Wells"));
    assert!(encoded.contains("session_id%3D%7BCHECKOUT_SESSION_ID%7D"));
    let english = checkout_form(&request(&id, Lang::En));
    assert!(english.contains(&("cancel_url", "https://give.example.org/error/".into())));
    assert_eq!(idempotency_key(&id), "donation-AAAAAAAAAAAAAAAAAAAAAA");
}

#[test]
fn return_queries_name_one_well_formed_session() {
    assert_eq!(
        session_id_of("session_id=cs_test_a1B2c3").unwrap(),
        "cs_test_a1B2c3"
    );
    assert_eq!(
        session_id_of("x=1&session_id=cs_live_Z").unwrap(),
        "cs_live_Z"
    );
    let long = format!("session_id=cs_{}", "a".repeat(SESSION_ID_MAX + 1));
    for bad in [
        "",
        "session_id=",
        "session_id=cs_",
        "session_id=pi_123",
        "session_id={CHECKOUT_SESSION_ID}",
        "session_id=cs_test%2F..%2Fx",
        "session_id=cs_test_a&session_id=cs_test_b",
        "session_id=cs_test_a%00",
        "other=cs_test_a",
        long.as_str(),
    ] {
        assert!(
            matches!(session_id_of(bad), Err(GatewayError::Rejected(_))),
            "{bad}"
        );
    }
}

fn event(kind: &str, session: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": "evt_test_1",
        "object": "event",
        "type": kind,
        "data": {"object": session},
    }))
    .unwrap()
}

fn session(payment_status: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "cs_test_1",
        "object": "checkout.session",
        "payment_status": payment_status,
        "status": status,
        "amount_total": 5000,
        "currency": "aed",
        "client_reference_id": "AAAAAAAAAAAAAAAAAAAAAA",
        "metadata": {"donation_id": "AAAAAAAAAAAAAAAAAAAAAA"},
    })
}

fn outcome(body: &[u8]) -> Option<Outcome> {
    match events::notification(body, Channel::Webhook).unwrap() {
        Notification::Apply(cb) => {
            assert_eq!(cb.gateway, NAME);
            assert_eq!(cb.gateway_ref, "cs_test_1");
            assert_eq!(cb.event_id.as_deref(), Some("evt_test_1"));
            assert_eq!(cb.amount_minor, Some(5000));
            assert_eq!(cb.currency.as_deref(), Some("aed"));
            assert_eq!(cb.channel, Channel::Webhook);
            Some(cb.outcome)
        }
        Notification::Ignore => None,
        Notification::Money(m) => panic!("{m:?}"),
    }
}

#[test]
fn checkout_events_become_results() {
    let paid = session("paid", "complete");
    let unpaid = session("unpaid", "complete");
    assert_eq!(
        outcome(&event("checkout.session.completed", paid.clone())),
        Some(Outcome::Paid)
    );
    assert_eq!(
        outcome(&event("checkout.session.completed", unpaid.clone())),
        None
    );
    assert_eq!(
        outcome(&event(
            "checkout.session.async_payment_succeeded",
            paid.clone()
        )),
        Some(Outcome::Paid)
    );
    assert_eq!(
        outcome(&event("checkout.session.async_payment_failed", unpaid)),
        Some(Outcome::Declined)
    );
    assert_eq!(
        outcome(&event(
            "checkout.session.expired",
            session("unpaid", "expired")
        )),
        Some(Outcome::Expired)
    );
    assert_eq!(
        outcome(&event("payment_intent.succeeded", paid.clone())),
        None
    );
    assert_eq!(
        outcome(&event("checkout.session.something_new", paid)),
        None
    );
    // A session this site did not create (no donation id of ours) is not ours to count.
    let mut foreign = session("paid", "complete");
    foreign["client_reference_id"] = serde_json::Value::Null;
    foreign["metadata"] = serde_json::json!({});
    assert_eq!(outcome(&event("checkout.session.completed", foreign)), None);
    // A paid session without its amount cannot be checked, so it is refused.
    let mut no_amount = session("paid", "complete");
    no_amount["amount_total"] = serde_json::Value::Null;
    assert!(
        events::notification(
            &event("checkout.session.completed", no_amount),
            Channel::Webhook
        )
        .is_err()
    );
    assert!(events::notification(b"{}", Channel::Webhook).is_err());
    assert!(events::notification(b"not json", Channel::Webhook).is_err());
}

#[test]
fn amounts_use_stripes_exponents_where_they_differ_from_iso() {
    // ISK: no minor unit in ISO 4217, two decimals in Stripe's API.
    assert_eq!(to_stripe_amount(5_000, "ISK"), 500_000);
    assert_eq!(from_stripe_amount(500_000, "isk"), Some(5_000));
    assert_eq!(from_stripe_amount(500_050, "isk"), None);
    // Everywhere else Stripe's minor units are ISO's.
    for (minor, code) in [
        (5_000, "JPY"),
        (12_550, "AED"),
        (1_500, "KWD"),
        (990, "KRW"),
    ] {
        assert_eq!(to_stripe_amount(minor, code), minor, "{code}");
        assert_eq!(from_stripe_amount(minor, code), Some(minor), "{code}");
    }
    let id = DonationId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
    let isk = CheckoutRequest {
        amount: Money::new(5_000, Currency::from_code("ISK").unwrap()).unwrap(),
        ..request(&id, Lang::En)
    };
    let form: std::collections::HashMap<_, _> = checkout_form(&isk).into_iter().collect();
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "500000");
    assert_eq!(form["line_items[0][price_data][currency]"], "isk");
}

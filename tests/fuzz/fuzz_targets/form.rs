//! Decoding the donate form never panics, whatever the body.
#![no_main]

use fundraiser::routes::donate::DonateForm;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_urlencoded::from_bytes::<DonateForm>(data);
});

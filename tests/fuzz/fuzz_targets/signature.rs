//! Verifying sandbox returns and webhooks never panics and never accepts garbage.
#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use fundraiser::gateway::Gateway;
use fundraiser::gateway::sandbox::Sandbox;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let sandbox = Sandbox::new(b"fuzz-secret", true, reqwest::Client::new());
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    if let Ok(query) = std::str::from_utf8(data) {
        assert!(rt.block_on(sandbox.verify_return(query)).is_err());
    }
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(head) {
        headers.insert(HeaderName::from_static("sandbox-signature"), v);
    }
    assert!(rt.block_on(sandbox.verify_webhook(&headers, body)).is_err());
});

//! `Accept-Encoding` negotiation never panics.
#![no_main]

use fundraiser::site::negotiate::negotiate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = std::str::from_utf8(data) {
        for (br, gz) in [(true, true), (true, false), (false, true), (false, false)] {
            let _ = negotiate(Some(header), br, gz);
        }
    }
});

//! Precompression of rendered files: brotli and gzip, each kept only when smaller.

use std::io::Write as _;

/// How hard to compress: the build script takes its time, the server takes less.
#[derive(Debug, Clone, Copy)]
pub enum Effort {
    Max,
    Fast,
}

/// Brotli-compresses `input`; `None` when that would not make it smaller.
pub fn brotli(input: &[u8], effort: Effort) -> Option<Vec<u8>> {
    // A window that covers the input, but never under 2^18: at lgwin 16 and below the
    // encoder switches to a hasher that costs ten times the time on a 5 KB page (5.7 ms
    // against 0.55 ms to re-render both home pages, `cargo bench --bench hot_paths`).
    let lgwin = (usize::BITS - input.len().max(1).leading_zeros()) as i32 + 1;
    let params = brotli::enc::BrotliEncoderParams {
        quality: match effort {
            Effort::Max => 11,
            Effort::Fast => 5,
        },
        lgwin: lgwin.clamp(18, 24),
        size_hint: input.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(input.len() / 3);
    let mut reader = input;
    brotli::BrotliCompress(&mut reader, &mut out, &params).ok()?;
    (out.len() < input.len()).then_some(out)
}

/// Gzip-compresses `input`; `None` when that would not make it smaller.
pub fn gzip(input: &[u8], effort: Effort) -> Option<Vec<u8>> {
    let level = match effort {
        Effort::Max => flate2::Compression::best(),
        Effort::Fast => flate2::Compression::new(6),
    };
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(input.len() / 3), level);
    enc.write_all(input).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < input.len()).then_some(out)
}

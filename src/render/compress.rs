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
    // A window just big enough for the input keeps small pages from paying for
    // megabytes of encoder tables.
    let lgwin = (usize::BITS - input.len().max(1).leading_zeros()).clamp(10, 22) as i32 + 1;
    let params = brotli::enc::BrotliEncoderParams {
        quality: match effort {
            Effort::Max => 11,
            Effort::Fast => 5,
        },
        lgwin: lgwin.min(24),
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

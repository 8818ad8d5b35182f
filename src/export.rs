//! `fundraiser export DIR`: the site exactly as the server answers it, written as files
//! for any static host or CDN: every page in every language, the fingerprinted assets,
//! the sitemap and `robots.txt` with `server.public_url` filled in, and each file's `.br`
//! and `.gz` siblings (at the strongest setting) where compression pays. With
//! `server.api_origin` set, the pages fetch the total from and post donations to that
//! origin. A `_headers` file carries the security and cache headers for hosts that read
//! one (Netlify, Cloudflare Pages); elsewhere the README shows the equivalent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Settings;
use crate::http::security::SecurityHeaders;
use crate::lang::Lang;
use crate::render::compress::{self, Effort};
use crate::site::{Resource, Site};
use crate::total::TotalSnapshot;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Every file written, relative to the export folder, sorted.
    pub files: Vec<String>,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExportError(pub String);

/// Renders the site for `settings` with the ledger's current total (zero when there is
/// no ledger yet) and writes it under `dir`.
pub fn export(
    settings: Arc<Settings>,
    total: &TotalSnapshot,
    dir: &Path,
) -> Result<Exported, ExportError> {
    let now = time::OffsetDateTime::now_utc();
    let site = Site::load(settings.clone(), total, now).map_err(|e| ExportError(e.to_string()))?;
    let mut entries: Vec<(String, Arc<Resource>)> = Vec::new();
    for lang in Lang::ALL {
        let prefix = match lang {
            Lang::En => "",
            Lang::Ar => "ar/",
        };
        entries.push((format!("{prefix}index.html"), site.home(lang, total)));
        entries.push((
            format!("{prefix}404.html"),
            Arc::new(site.not_found(lang).clone()),
        ));
    }
    for (path, resource) in site.files() {
        entries.push((path.to_owned(), Arc::new(resource.clone())));
    }
    let mut out = Writer {
        dir: dir.to_path_buf(),
        files: Vec::new(),
        bytes: 0,
    };
    for (path, resource) in &entries {
        let body = &resource.identity.body;
        out.write(path, body)?;
        // The server compresses what it makes at start-up quickly; a CDN serves these
        // files billions of times, so they get the smallest encoding there is (which
        // decodes to the same bytes). Images are compressed already.
        if !crate::render::is_text(path) {
            continue;
        }
        if let Some(gz) = compress::gzip(body, Effort::Max) {
            out.write(&format!("{path}.gz"), &gz)?;
        }
        if let Some(br) = compress::brotli(body, Effort::Max) {
            out.write(&format!("{path}.br"), &br)?;
        }
    }
    let headers = headers_file(&SecurityHeaders::new(&settings, settings.checkout_origin()));
    out.write("_headers", headers.as_bytes())?;
    out.files.sort();
    Ok(Exported {
        files: out.files,
        bytes: out.bytes,
    })
}

struct Writer {
    dir: PathBuf,
    files: Vec<String>,
    bytes: u64,
}

impl Writer {
    fn write(&mut self, rel: &str, body: &[u8]) -> Result<(), ExportError> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                ExportError(format!(
                    "cannot create the folder {}: {e}",
                    parent.display()
                ))
            })?;
        }
        std::fs::write(&path, body)
            .map_err(|e| ExportError(format!("cannot write {}: {e}", path.display())))?;
        self.files.push(rel.to_owned());
        self.bytes += body.len() as u64;
        Ok(())
    }
}

/// The `_headers` file (Netlify / Cloudflare Pages syntax): the headers the server sends
/// with every answer, and long caching for the fingerprinted assets. (Those hosts join
/// the values of rules matching one path, so pages keep the host's own caching.)
fn headers_file(security: &SecurityHeaders) -> String {
    let mut out = String::from("/*\n");
    for (name, value) in security.pairs() {
        if let Ok(value) = value.to_str() {
            out.push_str(&format!("  {name}: {value}\n"));
        }
    }
    out.push_str("/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_file_lists_security_headers_and_asset_caching() {
        let settings = crate::config::Config::default().settings().unwrap();
        let text = headers_file(&SecurityHeaders::new(&settings, None));
        assert!(text.starts_with("/*\n  content-security-policy: default-src 'none';"));
        assert!(text.contains("  x-content-type-options: nosniff\n"));
        assert!(text.contains("  cross-origin-opener-policy: same-origin\n/assets/*\n"));
        assert!(text.ends_with("  Cache-Control: public, max-age=31536000, immutable\n"));
    }
}

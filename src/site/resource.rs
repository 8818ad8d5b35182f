//! A file the server answers from memory, with its precompressed variants and every
//! header value computed once, so answering it allocates nothing.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::negotiate::{Encoding, negotiate};
use crate::render::compress::{self, Effort};

/// One encoding of a file.
#[derive(Debug, Clone)]
pub struct Representation {
    pub body: Bytes,
    pub etag: HeaderValue,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub content_type: HeaderValue,
    pub cache_control: HeaderValue,
    pub identity: Representation,
    pub gzip: Option<Representation>,
    pub br: Option<Representation>,
}

static VARY: HeaderValue = HeaderValue::from_static("Accept-Encoding");
static GZIP: HeaderValue = HeaderValue::from_static("gzip");
static BR: HeaderValue = HeaderValue::from_static("br");

fn etag(hash: &str, suffix: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{hash}{suffix}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

impl Resource {
    /// A resource whose variants were compressed ahead of time.
    pub fn new(
        content_type: HeaderValue,
        cache_control: HeaderValue,
        hash: &str,
        identity: Bytes,
        gzip: Option<Bytes>,
        br: Option<Bytes>,
    ) -> Resource {
        Resource {
            content_type,
            cache_control,
            identity: Representation {
                body: identity,
                etag: etag(hash, ""),
            },
            gzip: gzip.map(|body| Representation {
                body,
                etag: etag(hash, "-gz"),
            }),
            br: br.map(|body| Representation {
                body,
                etag: etag(hash, "-br"),
            }),
        }
    }

    /// A resource built at run time: hashed and compressed now.
    pub fn compressing(
        content_type: HeaderValue,
        cache_control: HeaderValue,
        body: Vec<u8>,
    ) -> Resource {
        let hash = content_hash(&body);
        let gzip = compress::gzip(&body, Effort::Fast).map(Bytes::from);
        let br = compress::brotli(&body, Effort::Fast).map(Bytes::from);
        Resource::new(
            content_type,
            cache_control,
            &hash,
            Bytes::from(body),
            gzip,
            br,
        )
    }

    /// The same resource with every header value and body made to live as long as the
    /// process (copied once, at start-up, and never freed). Cloning such a value per
    /// response is then a plain copy: no reference count that both worker threads keep
    /// bumping on one cache line. Only for what is built once (embedded files, the donate
    /// pages); the home page changes with the total and is never pinned.
    pub fn pinned(&self) -> Resource {
        self.rebuilt(|b| forever_bytes(b), forever_value, forever_value)
    }

    /// [`Resource::pinned`] for the header values only, when the bodies are static
    /// already (embedded in the binary).
    pub fn pinned_headers(&self) -> Resource {
        self.rebuilt(Bytes::clone, forever_value, forever_value)
    }

    /// A copy with bodies and tags of its own, for one worker thread to answer from: their
    /// reference counts are then touched by that thread alone.
    pub fn local_copy(&self) -> Resource {
        let own =
            |v: &HeaderValue| HeaderValue::from_bytes(v.as_bytes()).unwrap_or_else(|_| v.clone());
        self.rebuilt(|b| Bytes::copy_from_slice(b), own, HeaderValue::clone)
    }

    /// This resource with its bodies, entity tags and other header values each passed
    /// through a function.
    fn rebuilt(
        &self,
        body: impl Fn(&Bytes) -> Bytes,
        etag: impl Fn(&HeaderValue) -> HeaderValue,
        header: impl Fn(&HeaderValue) -> HeaderValue,
    ) -> Resource {
        let rep = |r: &Representation| Representation {
            body: body(&r.body),
            etag: etag(&r.etag),
        };
        Resource {
            content_type: header(&self.content_type),
            cache_control: header(&self.cache_control),
            identity: rep(&self.identity),
            gzip: self.gzip.as_ref().map(rep),
            br: self.br.as_ref().map(rep),
        }
    }

    pub fn select(&self, accept_encoding: Option<&str>) -> (&Representation, Encoding) {
        match negotiate(accept_encoding, self.br.is_some(), self.gzip.is_some()) {
            Encoding::Brotli => match &self.br {
                Some(r) => (r, Encoding::Brotli),
                None => (&self.identity, Encoding::Identity),
            },
            Encoding::Gzip => match &self.gzip {
                Some(r) => (r, Encoding::Gzip),
                None => (&self.identity, Encoding::Identity),
            },
            Encoding::Identity => (&self.identity, Encoding::Identity),
        }
    }

    /// Answers a GET or HEAD with the best encoding, or 304 when the client's copy is current.
    pub fn respond(&self, req: &HttpRequest, status: StatusCode) -> HttpResponse {
        let headers = req.headers();
        let accept = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let (rep, encoding) = self.select(accept);
        let not_modified = status == StatusCode::OK
            && headers
                .get(header::IF_NONE_MATCH)
                .is_some_and(|inm| etag_matches(inm.as_bytes(), rep.etag.as_bytes()));
        let mut builder = HttpResponse::build(if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            status
        });
        builder
            .insert_header((header::ETAG, rep.etag.clone()))
            .insert_header((header::CACHE_CONTROL, self.cache_control.clone()))
            .insert_header((header::VARY, VARY.clone()));
        if not_modified {
            return builder.finish();
        }
        builder.insert_header((header::CONTENT_TYPE, self.content_type.clone()));
        match encoding {
            Encoding::Brotli => {
                builder.insert_header((header::CONTENT_ENCODING, BR.clone()));
            }
            Encoding::Gzip => {
                builder.insert_header((header::CONTENT_ENCODING, GZIP.clone()));
            }
            Encoding::Identity => {}
        }
        // For HEAD, actix-http sends the headers with this body's length and no body.
        builder.body(rep.body.clone())
    }
}

/// `bytes` copied into memory that lives as long as the process (see [`Resource::pinned`]).
pub fn forever_bytes(bytes: &[u8]) -> Bytes {
    Bytes::from_static(Box::leak(bytes.to_vec().into_boxed_slice()))
}

/// `value` copied into memory that lives as long as the process (see [`Resource::pinned`]).
pub fn forever_value(value: &HeaderValue) -> HeaderValue {
    match value.to_str() {
        // A HeaderValue that is valid text stays valid as a static one.
        Ok(text) => HeaderValue::from_static(Box::leak(text.to_owned().into_boxed_str())),
        Err(_) => value.clone(),
    }
}

/// Hex SHA-256 prefix that names a body's content.
pub fn content_hash(body: &[u8]) -> String {
    hex::encode(&Sha256::digest(body)[..10])
}

/// `If-None-Match`: `*` or a list of (possibly weak) entity tags; weak comparison.
pub fn etag_matches(if_none_match: &[u8], etag: &[u8]) -> bool {
    let Ok(list) = std::str::from_utf8(if_none_match) else {
        return false;
    };
    let ours = std::str::from_utf8(etag).unwrap_or("");
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_entity_tags() {
        assert!(etag_matches(b"\"abc\"", b"\"abc\""));
        assert!(etag_matches(b"\"x\", \"abc\"", b"\"abc\""));
        assert!(etag_matches(b"W/\"abc\"", b"\"abc\""));
        assert!(etag_matches(b"*", b"\"abc\""));
        assert!(!etag_matches(b"\"abc-gz\"", b"\"abc\""));
        assert!(!etag_matches(b"abc", b"\"abc\""));
        assert!(!etag_matches(b"\xff\xfe", b"\"abc\""));
    }

    #[test]
    fn compressing_keeps_smaller_variants_only() {
        let body = "<p>hello hello hello hello hello hello hello</p>".repeat(50);
        let r = Resource::compressing(
            HeaderValue::from_static("text/html"),
            HeaderValue::from_static("no-cache"),
            body.clone().into_bytes(),
        );
        assert!(r.br.as_ref().unwrap().body.len() < body.len());
        assert!(r.gzip.as_ref().unwrap().body.len() < body.len());
        assert_ne!(r.identity.etag, r.br.as_ref().unwrap().etag);
        let tiny = Resource::compressing(
            HeaderValue::from_static("text/plain"),
            HeaderValue::from_static("no-cache"),
            b"x".to_vec(),
        );
        assert!(tiny.br.is_none() && tiny.gzip.is_none());
    }
}

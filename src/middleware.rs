//! What wraps every request: the security headers (`http::security`) put on every
//! answer, a request id, the access log, and a 500 page for a handler that panicked.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use futures_util::FutureExt as _;
use futures_util::future::Either;

use crate::http::errors::message;
use crate::http::security::SecurityHeaders;
use crate::lang::Lang;
use crate::render::strings::Strings;

/// A handler panicked: answered as a 500 page that names the request id.
#[derive(Debug)]
struct Panicked {
    id: RequestId,
    lang: Lang,
    headers: Arc<SecurityHeaders>,
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request {} failed", self.id)
    }
}

impl ResponseError for Panicked {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        let t = Strings::of(self.lang);
        let text = Strings::fill(
            &t.errors.server_error,
            &[("reference", &self.id.to_string())],
        );
        let mut page = message(
            self.lang,
            StatusCode::INTERNAL_SERVER_ERROR,
            &t.errors.bad_request_title,
            &text,
        );
        self.headers.apply(page.headers_mut());
        page.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), self.id.header());
        page
    }
}

/// Gives every request an id (answered as `X-Request-Id`), logs one line per request,
/// and turns a panic in a handler into a 500 page logged with that id, so one bad
/// request never takes down a worker.
pub fn observe<S>(
    req: ServiceRequest,
    srv: &S,
    headers: Arc<SecurityHeaders>,
    header_limit: usize,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>> + use<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let id = RequestId::next();
    let start = Instant::now();
    let method = req.method().clone();
    // A shared handle on the request's URI (no copy), for the log line and a panic's page.
    let uri = req.uri().clone();
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let call = if header_bytes > header_limit {
        Ok(Either::Left(std::future::ready(Ok(req.into_response(
            HttpResponse::build(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
                .content_type("text/plain; charset=utf-8")
                .body("Request headers too large"),
        )))))
    } else {
        std::panic::catch_unwind(AssertUnwindSafe(|| Either::Right(srv.call(req))))
    };
    async move {
        let outcome = match call {
            Ok(fut) => AssertUnwindSafe(fut).catch_unwind().await,
            Err(panic) => Err(panic),
        };
        let mut res: ServiceResponse<BoxBody> = match outcome {
            Ok(Ok(res)) => res,
            Ok(Err(e)) => return Err(e),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let path = uri.path();
                tracing::error!(request_id = %id, %method, path, panic = %what, "request handler panicked");
                crate::metrics::get().record_request(
                    "panic",
                    method.as_str(),
                    500,
                    start.elapsed(),
                );
                let lang = Lang::of_path(path);
                return Err(Panicked { id, lang, headers }.into());
            }
        };
        headers.apply(res.headers_mut());
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id.header());
        let status = res.status().as_u16();
        let took = start.elapsed();
        let us = took.as_micros() as u64;
        // The route's label was attached to it at start-up; asking actix for the matched
        // pattern would match the path against every route again and build a string.
        let route = res
            .request()
            .app_data::<crate::routes::RouteLabel>()
            .map_or("static", |label| label.0);
        crate::metrics::get().record_request(route, method.as_str(), status, took);
        let path = uri.path();
        if status >= 500 {
            tracing::warn!(request_id = %id, %method, path, status, us, "request");
        } else {
            tracing::info!(request_id = %id, %method, path, status, us, "request");
        }
        Ok(res)
    }
}

/// A process-unique request id, written as 16 hex digits: a random per-process offset
/// plus a counter (unique for 2^64 requests). Kept as a number; text only where shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RequestId(u64);

impl RequestId {
    fn next() -> RequestId {
        static OFFSET: LazyLock<u64> = LazyLock::new(|| u64::from(rand::random::<u32>()) << 32);
        static NEXT: AtomicU64 = AtomicU64::new(1);
        RequestId(OFFSET.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)))
    }

    /// The id as a header value, written without a temporary string.
    fn header(self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 16];
        for (i, b) in text.iter_mut().enumerate() {
            *b = HEX[((self.0 >> (60 - 4 * i)) & 0xf) as usize];
        }
        HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("0"))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    #[actix_web::test]
    async fn request_ids_are_16_hex_digits_alike_in_header_and_log() {
        for n in [0, 1, 0xdead_beef, u64::MAX] {
            let id = RequestId(n);
            assert_eq!(id.header().to_str().unwrap(), id.to_string());
            assert_eq!(id.to_string().len(), 16);
        }
        assert_eq!(RequestId(0xab).to_string(), "00000000000000ab");
        assert_ne!(RequestId::next(), RequestId::next());
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_500_and_the_worker_keeps_serving() {
        let settings = crate::config::Config::default().settings().unwrap();
        let headers = Arc::new(SecurityHeaders::new(&settings, None));
        let app = test::init_service(
            App::new()
                .wrap_fn(move |req, srv| observe(req, srv, headers.clone(), 16_384))
                .route(
                    "/boom",
                    web::get().to(|| async { panic!("boom") as HttpResponse }),
                )
                .route(
                    "/ar/boom",
                    web::get().to(|| async { panic!("boom") as HttpResponse }),
                )
                .route(
                    "/ok",
                    web::get().to(|| async { HttpResponse::Ok().body("fine") }),
                ),
        )
        .await;
        // What the HTTP dispatcher sends for a middleware error: its error response.
        let answer = |uri: &'static str| {
            let app = &app;
            async move {
                match test::try_call_service(app, test::TestRequest::get().uri(uri).to_request())
                    .await
                {
                    Ok(res) => res.into_parts().1,
                    Err(e) => e.error_response(),
                }
            }
        };
        let res = answer("/boom").await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().contains_key("content-security-policy"));
        let id = res
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 16);
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains(&id), "the page quotes the reference");
        assert!(body.contains("Nothing was charged"));
        let res = answer("/ar/boom").await;
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("لم يُخصم"));
        let res = answer("/ok").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().contains_key("x-request-id"));
        assert!(res.headers().contains_key("x-content-type-options"));
    }
}

//! `/openapi.json` stays in sync with the server: every machine-facing route is
//! documented, and what the server answers is what the document says.

use crate::common::*;
use serde_json::Value;

fn spec(server: &Server) -> Value {
    let r = client().get(server.url("/openapi.json")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    r.json().unwrap()
}

/// Asserts the answer's status is documented for the operation, and its JSON body has
/// the documented required fields.
fn check(spec: &Value, path: &str, method: &str, r: reqwest::blocking::Response) -> Value {
    let status = r.status().as_u16().to_string();
    let op = &spec["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let documented = &op["responses"][&status];
    assert!(
        documented.is_object(),
        "{method} {path} answered {status}, not documented"
    );
    let is_json = r
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"));
    if documented["content"]["application/json"].is_object() {
        assert!(is_json, "{method} {path} {status} should be JSON");
    }
    if documented["content"]["text/html"].is_object() {
        assert!(!is_json, "{method} {path} {status} should be HTML");
    }
    let body: Value = if is_json {
        r.json().unwrap()
    } else {
        Value::Null
    };
    if let Some(reference) = documented["content"]["application/json"]["schema"]["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        for field in spec["components"]["schemas"][name]["required"]
            .as_array()
            .unwrap()
        {
            let field = field.as_str().unwrap();
            assert!(
                !body[field].is_null(),
                "{method} {path}: {field} missing in {body}"
            );
        }
    }
    body
}

#[test]
fn every_machine_route_is_documented_and_answers_as_documented() {
    let token = "openapi-test-admin-token";
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_ADMIN__TOKEN", token),
    );
    let spec = spec(&server);
    assert_eq!(spec["openapi"], "3.0.3");
    let mut paths: Vec<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/admin/donations.csv",
            "/admin/reconcile",
            "/admin/stats",
            "/api/total",
            "/donate",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/payment/return/{gateway}",
            "/payment/webhook/{gateway}",
            "/readyz"
        ]
    );
    let http = client();
    let get = |p: &str| http.get(server.url(p)).send().unwrap();

    check(&spec, "/api/total", "get", get("/api/total"));
    check(
        &spec,
        "/api/total",
        "options",
        http.request(reqwest::Method::OPTIONS, server.url("/api/total"))
            .send()
            .unwrap(),
    );
    check(&spec, "/healthz", "get", get("/healthz"));
    check(&spec, "/readyz", "get", get("/readyz"));
    check(&spec, "/openapi.json", "get", get("/openapi.json"));
    let admin = |p: &str| http.get(server.url(p)).bearer_auth(token).send().unwrap();
    for path in ["/admin/stats", "/admin/donations.csv", "/metrics"] {
        check(&spec, path, "get", admin(path));
        check(&spec, path, "get", get(path));
    }
    let reconcile = || http.post(server.url("/admin/reconcile"));
    check(
        &spec,
        "/admin/reconcile",
        "post",
        reconcile().bearer_auth(token).send().unwrap(),
    );
    check(
        &spec,
        "/admin/reconcile",
        "post",
        reconcile().send().unwrap(),
    );
    check(
        &spec,
        "/admin/reconcile",
        "post",
        reconcile()
            .basic_auth("admin", Some(token))
            .header("Origin", "https://elsewhere.example")
            .send()
            .unwrap(),
    );

    let donate =
        |form: &[(&str, &str)]| http.post(server.url("/donate")).form(form).send().unwrap();
    let ok = donate(&[("amount", "50")]);
    let checkout = ok.headers()["location"].to_str().unwrap().to_owned();
    check(&spec, "/donate", "post", ok);
    check(&spec, "/donate", "post", donate(&[("amount", "nope")]));
    check(
        &spec,
        "/donate",
        "post",
        donate(&[("amount", "50"), ("website", "x")]),
    );
    check(
        &spec,
        "/donate",
        "post",
        donate(&[("name", &"x".repeat(5000))]),
    );

    let r = http
        .post(server.url(&checkout))
        .form(&[("outcome", "pay")])
        .send()
        .unwrap();
    let ret = r.headers()["location"].to_str().unwrap().to_owned();
    check(&spec, "/payment/return/{gateway}", "get", get(&ret));
    check(
        &spec,
        "/payment/return/{gateway}",
        "get",
        get("/payment/return/sandbox?ref=x"),
    );
    check(
        &spec,
        "/payment/return/{gateway}",
        "get",
        get("/payment/return/paypal"),
    );

    let webhook = |gateway: &str, body: &str, sig: Option<String>| {
        let mut req = http
            .post(server.url(&format!("/payment/webhook/{gateway}")))
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        if let Some(sig) = sig {
            req = req.header("Sandbox-Signature", sig);
        }
        req.send().unwrap()
    };
    let id = checkout.rsplit('/').next().unwrap();
    let body = format!(r#"{{"ref":"{id}","outcome":"paid","amount":5000,"currency":"AED"}}"#);
    let sig = hmac_hex(SECRET.as_bytes(), body.as_bytes());
    let answer = check(
        &spec,
        "/payment/webhook/{gateway}",
        "post",
        webhook("sandbox", &body, Some(sig)),
    );
    assert_eq!(answer["status"], "succeeded");
    check(
        &spec,
        "/payment/webhook/{gateway}",
        "post",
        webhook("sandbox", &body, None),
    );
    check(
        &spec,
        "/payment/webhook/{gateway}",
        "post",
        webhook("paypal", &body, None),
    );
    let ghost =
        r#"{"ref":"AAAAAAAAAAAAAAAAAAAAAA","outcome":"paid","amount":5000,"currency":"AED"}"#;
    let sig = hmac_hex(SECRET.as_bytes(), ghost.as_bytes());
    check(
        &spec,
        "/payment/webhook/{gateway}",
        "post",
        webhook("sandbox", ghost, Some(sig)),
    );
    let big = "x".repeat(70_000);
    check(
        &spec,
        "/payment/webhook/{gateway}",
        "post",
        webhook("sandbox", &big, None),
    );
}

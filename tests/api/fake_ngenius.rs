//! A fake N-Genius Online on a loopback port: the identity service (tokens that expire),
//! orders, a hosted payment page that pays, declines or stops at 3-D Secure, order
//! status, refunds through the `cnp:refund` links, and answers of 401, 429 and 500 on
//! demand. It records every request. The only thing the suite replaces: an external
//! service.

use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use crate::fake_stripe::Recorded;
use crate::fake_stripe::read_request;

pub const API_KEY: &str = "NGeniusFakeServiceAccountKeyForTheSuite==";
pub const OUTLET: &str = "5edab6d7-5946-43f4-b8c7-06b29c272bdd";

/// A payment's state, as N-Genius names it.
pub type State = &'static str;

#[derive(Debug, Clone)]
pub struct FakeOrder {
    pub reference: String,
    pub body: Value,
    pub state: State,
    /// What the payment reports, when a test makes it differ from the order's amount.
    pub paid_amount: Option<i64>,
    /// Refunds made through its links, in minor units.
    pub refunds: Vec<i64>,
}

#[derive(Default)]
pub struct Fake {
    pub requests: Vec<Recorded>,
    pub orders: HashMap<String, FakeOrder>,
    /// Live tokens and when each expires.
    pub tokens: HashMap<String, Instant>,
    pub tokens_issued: usize,
    /// How long the next tokens live.
    pub token_life: u64,
    /// The next answers, whatever is asked: a status (401, 429, 500) each.
    pub forced: Vec<u16>,
    /// How long the identity service takes to answer (so that callers pile up).
    pub token_delay: Duration,
}

#[derive(Clone)]
pub struct FakeNgenius {
    pub port: u16,
    pub inner: Arc<Mutex<Fake>>,
}

impl FakeNgenius {
    pub fn start() -> FakeNgenius {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fake = FakeNgenius {
            port: listener.local_addr().unwrap().port(),
            inner: Arc::new(Mutex::new(Fake {
                token_life: 300,
                ..Fake::default()
            })),
        };
        let serving = fake.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let fake = serving.clone();
                std::thread::spawn(move || fake.serve(stream));
            }
        });
        fake
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Requests to `path` with `method`.
    pub fn calls(&self, method: &str, path_start: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.starts_with(path_start))
            .collect()
    }

    pub fn order(&self, reference: &str) -> FakeOrder {
        self.inner.lock().unwrap().orders[reference].clone()
    }

    pub fn orders(&self) -> Vec<FakeOrder> {
        self.inner
            .lock()
            .unwrap()
            .orders
            .values()
            .cloned()
            .collect()
    }

    pub fn set(&self, reference: &str, state: State) {
        let mut fake = self.inner.lock().unwrap();
        fake.orders.get_mut(reference).expect("an order").state = state;
    }

    pub fn set_paid_amount(&self, reference: &str, amount: i64) {
        let mut fake = self.inner.lock().unwrap();
        fake.orders
            .get_mut(reference)
            .expect("an order")
            .paid_amount = Some(amount);
    }

    /// The next answers, one status each, whatever is asked.
    pub fn force(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().forced = statuses.to_vec();
    }

    pub fn tokens_issued(&self) -> usize {
        self.inner.lock().unwrap().tokens_issued
    }

    /// Every live token expires now (N-Genius's clock ran on).
    pub fn expire_tokens(&self) {
        let mut fake = self.inner.lock().unwrap();
        for at in fake.tokens.values_mut() {
            *at = Instant::now();
        }
    }

    pub fn orders_path(&self) -> String {
        format!("/transactions/outlets/{OUTLET}/orders")
    }

    /// The order as `GET .../orders/{ref}` answers it.
    pub fn order_json(&self, reference: &str) -> Value {
        let fake = self.inner.lock().unwrap();
        order_json(&self.base(), &fake.orders[reference])
    }

    fn serve(&self, stream: TcpStream) {
        let Some(request) = read_request(&stream) else {
            return;
        };
        let (delay, forced) = {
            let mut fake = self.inner.lock().unwrap();
            fake.requests.push(request.clone());
            let forced = (!fake.forced.is_empty()).then(|| fake.forced.remove(0));
            (fake.token_delay, forced)
        };
        if let Some(status) = forced {
            return respond(
                stream,
                status,
                &[],
                &json!({"message": "forced"}).to_string(),
            );
        }
        if request.path == "/identity/auth/access-token" {
            std::thread::sleep(delay);
        }
        let (status, headers, body) = self.answer(&request);
        respond(stream, status, &headers, &body);
    }

    fn answer(&self, r: &Recorded) -> (u16, Vec<(String, String)>, String) {
        let base = self.base();
        let mut fake = self.inner.lock().unwrap();
        let json_answer = |status: u16, v: Value| (status, vec![], v.to_string());
        if r.method == "POST" && r.path == "/identity/auth/access-token" {
            if r.header("authorization") != Some(&format!("Basic {API_KEY}"))
                || r.header("content-type") != Some("application/vnd.ni-identity.v1+json")
            {
                return json_answer(401, json!({"message": "Unauthorized"}));
            }
            fake.tokens_issued += 1;
            let token = format!("tok-{}-{}", fake.tokens_issued, rand::random::<u32>());
            let life = fake.token_life;
            fake.tokens
                .insert(token.clone(), Instant::now() + Duration::from_secs(life));
            return json_answer(
                200,
                json!({"access_token": token, "expires_in": life, "token_type": "bearer"}),
            );
        }
        if let Some(code) = r.path.strip_prefix("/paypage/?") {
            return pay_page(&mut fake, code);
        }
        let token = r
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        let live = fake
            .tokens
            .get(token)
            .is_some_and(|at| *at > Instant::now());
        if !live {
            return json_answer(401, json!({"message": "token expired or unknown"}));
        }
        let orders = self.orders_path();
        if r.method == "POST" && r.path == orders {
            if r.header("content-type") != Some("application/vnd.ni-payment.v2+json") {
                return json_answer(415, json!({"message": "unsupported media type"}));
            }
            let body: Value = serde_json::from_str(&r.body).unwrap();
            let reference = uuid_like();
            let order = FakeOrder {
                reference: reference.clone(),
                body,
                state: "STARTED",
                paid_amount: None,
                refunds: Vec::new(),
            };
            let answer = order_json(&base, &order);
            fake.orders.insert(reference, order);
            return json_answer(201, answer);
        }
        if let Some(rest) = r.path.strip_prefix(&format!("{orders}/")) {
            let reference = rest.split('/').next().unwrap_or("").to_owned();
            let Some(order) = fake.orders.get_mut(&reference) else {
                return json_answer(404, json!({"message": "order not found"}));
            };
            if r.method == "GET" && rest == reference {
                return json_answer(200, order_json(&base, order));
            }
            if r.method == "POST" && rest.ends_with("/refund") {
                let body: Value = serde_json::from_str(&r.body).unwrap();
                let value = body["amount"]["value"].as_i64().unwrap();
                let already: i64 = order.refunds.iter().sum();
                let paid = order.paid_amount.unwrap_or(amount_of(order));
                if value <= 0 || already + value > paid {
                    return json_answer(422, json!({"message": "refund exceeds"}));
                }
                order.refunds.push(value);
                order.state = if already + value == paid {
                    "REFUNDED"
                } else {
                    "PARTIALLY_REFUNDED"
                };
                return json_answer(201, json!({"state": order.state}));
            }
        }
        json_answer(404, json!({"message": "not found"}))
    }
}

fn amount_of(order: &FakeOrder) -> i64 {
    order.body["amount"]["value"].as_i64().unwrap()
}

/// The hosted payment page: `?code=<ref>&outcome=pay|decline|3ds` settles the payment
/// as the donor did and sends them back as N-Genius does (`redirectUrl?ref=`).
fn pay_page(fake: &mut Fake, query: &str) -> (u16, Vec<(String, String)>, String) {
    let pairs: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
    let Some(order) = pairs.get("code").and_then(|c| fake.orders.get_mut(c)) else {
        return (404, vec![], "{}".into());
    };
    let Some(outcome) = pairs.get("outcome") else {
        // The page itself: a form for each outcome (for a browser).
        let code = &order.reference;
        let form = |o: &str| {
            format!(
                "<form method=get action=/paypage/><input type=hidden name=code value={code}><button name=outcome value={o}>{o}</button></form>"
            )
        };
        let html = format!(
            "<!doctype html><title>N-Genius (fake)</title><p>{}</p>{}{}{}",
            order.body["language"],
            form("pay"),
            form("decline"),
            form("3ds")
        );
        return (200, vec![("Content-Type".into(), "text/html".into())], html);
    };
    order.state = match outcome.as_str() {
        "pay" => match order.body["action"].as_str() {
            Some("SALE") => "CAPTURED",
            _ => "PURCHASED",
        },
        "decline" => "FAILED",
        _ => "AWAIT_3DS",
    };
    let back = format!(
        "{}?ref={}",
        order.body["merchantAttributes"]["redirectUrl"]
            .as_str()
            .unwrap(),
        order.reference
    );
    (302, vec![("Location".into(), back)], String::new())
}

/// An order as N-Genius writes it, with its one payment (and capture, for a sale).
pub fn order_json(base: &str, o: &FakeOrder) -> Value {
    let order_url = format!(
        "{base}/transactions/outlets/{OUTLET}/orders/{}",
        o.reference
    );
    let payment_url = format!("{order_url}/payments/p-{}", o.reference);
    let amount = json!({
        "currencyCode": o.body["amount"]["currencyCode"],
        "value": o.paid_amount.unwrap_or(amount_of(o)),
    });
    let paid = matches!(
        o.state,
        "PURCHASED" | "CAPTURED" | "PARTIALLY_REFUNDED" | "REFUNDED"
    );
    let sale = o.body["action"] == "SALE";
    let mut payment = json!({
        "_id": format!("urn:payment:p-{}", o.reference),
        "state": o.state,
        "amount": amount,
        "orderReference": o.reference,
        "_links": {"self": {"href": payment_url}},
    });
    if paid && !sale {
        payment["_links"]["cnp:refund"] = json!({"href": format!("{payment_url}/refund")});
    }
    if paid && sale {
        payment["_embedded"] = json!({"cnp:capture": [{
            "_links": {"cnp:refund": {"href": format!("{payment_url}/captures/c-1/refund")}},
        }]});
    }
    json!({
        "_id": format!("urn:order:{}", o.reference),
        "_links": {
            "self": {"href": order_url},
            "payment": {"href": format!("{base}/paypage/?code={}", o.reference)},
        },
        "action": o.body["action"],
        "amount": o.body["amount"],
        "language": o.body["language"],
        "merchantOrderReference": o.body["merchantOrderReference"],
        "reference": o.reference,
        "outletId": OUTLET,
        "_embedded": {"payment": [payment]},
    })
}

fn uuid_like() -> String {
    let b: [u8; 16] = rand::random();
    let h = b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn respond(mut stream: TcpStream, status: u16, headers: &[(String, String)], body: &str) {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        302 => "Found",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    if !headers.iter().any(|(k, _)| k == "Content-Type") {
        head.push_str("Content-Type: application/vnd.ni-payment.v2+json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let _ = write!(
        stream,
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

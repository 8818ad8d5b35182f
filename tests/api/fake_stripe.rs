//! A fake Stripe API on a loopback port: it records every request, checks the secret
//! key we send, creates Checkout Sessions and refunds once per idempotency key, and
//! serves them back in the states a test sets. The only thing the suite replaces: an
//! external service.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

pub const SECRET_KEY: &str = "sk_test_51FakeSecretKeyForTheFundraiserSuite";
pub const CHECKOUT: &str = "https://checkout.stripe.com/c/pay/";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// When it arrived.
    pub at: std::time::Instant,
    /// Whether the fake's rate limit refused it (429).
    pub limited: bool,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(&self.body).expect("a form body")
    }
}

/// What a session is, as the fake serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Created, not paid: `open` / `unpaid`.
    Open,
    Paid,
    /// Completed with a method that settles later: `complete` / `unpaid`.
    Processing,
    Expired,
    /// Paid, but reported for another amount than was asked.
    WrongAmount,
}

#[derive(Debug, Clone)]
pub struct FakeSession {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub donation_id: String,
    pub state: State,
}

/// How every request is answered, whatever it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 500 with a Stripe error body that quotes the key, as a real error might.
    Status500,
    /// No answer for longer than the client's timeout.
    Hang,
}

pub struct Fake {
    pub requests: Vec<Recorded>,
    /// By idempotency key: a repeated create gives back the same session, as Stripe does.
    pub by_key: HashMap<String, String>,
    pub sessions: HashMap<String, FakeSession>,
    pub failure: Option<Failure>,
    /// Every event Stripe created, oldest first, whether or not its webhook was sent:
    /// what `GET /v1/events` lists.
    pub events: Vec<Value>,
    /// Refunds by idempotency key: a repeated create gives back the same refund and
    /// refunds nothing more, as Stripe does.
    pub refunds: HashMap<String, Value>,
    /// Refunded so far, by PaymentIntent.
    pub refunded: HashMap<String, i64>,
    /// Stripe's default rate limits: 25 a second to session creation, 100 a second in all.
    pub sessions_bucket: Bucket,
    pub account_bucket: Bucket,
}

/// A token bucket, as Stripe's rate limiter behaves.
pub struct Bucket {
    per_second: f64,
    tokens: f64,
    at: std::time::Instant,
}

impl Bucket {
    pub fn new(per_second: f64) -> Bucket {
        Bucket {
            per_second,
            tokens: per_second,
            at: std::time::Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.per_second)
            .min(self.per_second);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            requests: Vec::new(),
            by_key: HashMap::new(),
            sessions: HashMap::new(),
            failure: None,
            events: Vec::new(),
            refunds: HashMap::new(),
            refunded: HashMap::new(),
            sessions_bucket: Bucket::new(25.0),
            account_bucket: Bucket::new(100.0),
        }
    }
}

/// How many events one page of `GET /v1/events` holds here, whatever `limit` asks:
/// small, so that every listing is paged.
pub const EVENTS_PAGE: usize = 2;

#[derive(Clone)]
pub struct FakeStripe {
    pub port: u16,
    pub inner: Arc<Mutex<Fake>>,
    /// This many of the next requests hang (then the fake answers normally).
    hang_next: Arc<AtomicUsize>,
    /// This many of the next requests are carried out, but their answers never arrive.
    lose_next: Arc<AtomicUsize>,
}

impl FakeStripe {
    pub fn start() -> FakeStripe {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fake = FakeStripe {
            port: listener.local_addr().unwrap().port(),
            inner: Arc::new(Mutex::new(Fake::default())),
            hang_next: Arc::new(AtomicUsize::new(0)),
            lose_next: Arc::new(AtomicUsize::new(0)),
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

    pub fn api_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The next `n` requests get no answer (past the client's timeout).
    pub fn hang_next(&self, n: usize) {
        self.hang_next.store(n, Ordering::SeqCst);
    }

    /// The next `n` requests are carried out, but answered only after the client's
    /// timeout: the request was made, its answer lost.
    pub fn lose_answers(&self, n: usize) {
        self.lose_next.store(n, Ordering::SeqCst);
    }

    /// What Stripe refunded of a PaymentIntent, in all.
    pub fn refunded(&self, payment_intent: &str) -> i64 {
        let fake = self.inner.lock().unwrap();
        fake.refunded.get(payment_intent).copied().unwrap_or(0)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn fail(&self, failure: Option<Failure>) {
        self.inner.lock().unwrap().failure = failure;
    }

    pub fn set(&self, session_id: &str, state: State) {
        self.inner
            .lock()
            .unwrap()
            .sessions
            .get_mut(session_id)
            .expect("a session the fake created")
            .state = state;
    }

    /// Records an event as Stripe would (its webhook may or may not be sent); returns it.
    pub fn add_event(&self, id: &str, kind: &str, object: Value) -> Value {
        let event = json!({
            "id": id,
            "object": "event",
            "api_version": fundraiser::gateway::stripe::API_VERSION,
            "created": std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            "type": kind,
            "livemode": false,
            "data": {"object": object},
        });
        self.inner.lock().unwrap().events.push(event.clone());
        event
    }

    /// `GET /v1/events`: newest first, `created[gte]` and `types[]` applied, paged by
    /// `starting_after`. Refuses a listing without both filters, which a reconciliation
    /// must send.
    fn list_events(&self, query: &str) -> (u16, Value) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let types: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == "types[]")
            .map(|(_, v)| v.as_str())
            .collect();
        let Some(gte) = get("created[gte]").and_then(|v| v.parse::<u64>().ok()) else {
            return (
                400,
                json!({"error": {"type": "invalid_request_error", "message": "created[gte] expected"}}),
            );
        };
        if types.is_empty() {
            return (
                400,
                json!({"error": {"type": "invalid_request_error", "message": "types[] expected"}}),
            );
        }
        let events = self.inner.lock().unwrap().events.clone();
        let mut listed: Vec<Value> = events
            .into_iter()
            .rev()
            .filter(|e| e["created"].as_u64().unwrap() >= gte)
            .filter(|e| types.contains(&e["type"].as_str().unwrap()))
            .collect();
        if let Some(after) = get("starting_after") {
            let Some(at) = listed.iter().position(|e| e["id"] == after.as_str()) else {
                return (
                    404,
                    json!({"error": {"type": "invalid_request_error", "code": "resource_missing"}}),
                );
            };
            listed.drain(..=at);
        }
        let has_more = listed.len() > EVENTS_PAGE;
        listed.truncate(EVENTS_PAGE);
        (
            200,
            json!({"object": "list", "url": "/v1/events", "has_more": has_more, "data": listed}),
        )
    }

    pub fn session(&self, id: &str) -> FakeSession {
        self.inner.lock().unwrap().sessions[id].clone()
    }

    /// The session as Stripe's API and events show it.
    pub fn session_json(&self, id: &str) -> Value {
        let s = self.session(id);
        let (payment_status, status, amount) = match s.state {
            State::Open => ("unpaid", "open", s.amount),
            State::Paid => ("paid", "complete", s.amount),
            State::Processing => ("unpaid", "complete", s.amount),
            State::Expired => ("unpaid", "expired", s.amount),
            State::WrongAmount => ("paid", "complete", s.amount + 100),
        };
        json!({
            "id": s.id,
            "object": "checkout.session",
            "url": if status == "open" { Value::String(format!("{CHECKOUT}{}", s.id)) } else { Value::Null },
            "mode": "payment",
            "payment_status": payment_status,
            "status": status,
            "amount_total": amount,
            "currency": s.currency,
            "client_reference_id": s.donation_id,
            "metadata": {"donation_id": s.donation_id},
            "payment_intent": if status == "complete" { Value::String(payment_intent(&s.id)) } else { Value::Null },
            "livemode": false,
        })
    }

    pub fn serve(&self, stream: TcpStream) {
        let Some(mut request) = read_request(&stream) else {
            return;
        };
        {
            let mut fake = self.inner.lock().unwrap();
            let creates = request.method == "POST" && request.path == "/v1/checkout/sessions";
            let allowed = fake.account_bucket.take() && (!creates || fake.sessions_bucket.take());
            request.limited = !allowed;
            fake.requests.push(request.clone());
        }
        if request.limited {
            let body = json!({"error": {
                "type": "invalid_request_error",
                "code": "rate_limit",
                "message": "Too many requests hit the API too quickly.",
            }});
            respond(stream, 429, &body.to_string());
            return;
        }
        let hang = self
            .hang_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let failure = self.inner.lock().unwrap().failure;
        if hang || failure == Some(Failure::Hang) {
            // Far past the client's timeout; the client gives up first.
            std::thread::sleep(Duration::from_secs(6));
            return;
        }
        let lose = self
            .lose_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if lose {
            let _made = self.answer(&request);
            std::thread::sleep(Duration::from_secs(6));
            return;
        }
        let (status, body) = if failure == Some(Failure::Status500) {
            (
                500,
                json!({"error": {
                    "type": "api_error",
                    "message": format!("Something went wrong with key {SECRET_KEY}"),
                }}),
            )
        } else {
            self.answer(&request)
        };
        respond(stream, status, &body.to_string());
    }

    pub fn answer(&self, r: &Recorded) -> (u16, Value) {
        let unauthorized = (
            401,
            json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
        );
        if r.header("authorization") != Some(&format!("Bearer {SECRET_KEY}")) {
            return unauthorized;
        }
        // Every call names the API version its shapes are read with.
        if r.header("stripe-version") != Some(fundraiser::gateway::stripe::API_VERSION) {
            return (
                400,
                json!({"error": {"type": "invalid_request_error", "message": "Stripe-Version missing or not the pinned one"}}),
            );
        }
        if r.method == "POST" && r.path == "/v1/checkout/sessions" {
            let form: HashMap<String, String> = r.form().into_iter().collect();
            let key = r.header("idempotency-key").unwrap_or_default().to_owned();
            let mut fake = self.inner.lock().unwrap();
            let id = match fake.by_key.get(&key) {
                Some(id) => id.clone(),
                None => {
                    let id = format!("cs_test_fake{}", fake.sessions.len() + 1);
                    let session = FakeSession {
                        id: id.clone(),
                        amount: form["line_items[0][price_data][unit_amount]"]
                            .parse()
                            .unwrap(),
                        currency: form["line_items[0][price_data][currency]"].clone(),
                        donation_id: form["client_reference_id"].clone(),
                        state: State::Open,
                    };
                    fake.sessions.insert(id.clone(), session);
                    fake.by_key.insert(key, id.clone());
                    id
                }
            };
            drop(fake);
            return (200, self.session_json(&id));
        }
        if r.method == "POST" && r.path == "/v1/refunds" {
            let form: HashMap<String, String> = r.form().into_iter().collect();
            let (Some(pi), Some(amount)) = (form.get("payment_intent"), form.get("amount")) else {
                return (
                    400,
                    json!({"error": {"type": "invalid_request_error", "message": "payment_intent and amount are required"}}),
                );
            };
            let key = r.header("idempotency-key").unwrap_or("none").to_owned();
            let amount = amount.parse::<i64>().unwrap_or(0);
            let mut fake = self.inner.lock().unwrap();
            if let Some(made) = fake.refunds.get(&key) {
                return (200, made.clone());
            }
            let paid = fake
                .sessions
                .values()
                .find(|s| payment_intent(&s.id) == *pi)
                .map_or(i64::MAX, |s| s.amount);
            let refunded = fake.refunded.get(pi).copied().unwrap_or(0);
            if refunded + amount > paid {
                return (
                    400,
                    json!({"error": {"type": "invalid_request_error", "code": "amount_too_large",
                                     "message": "Refund amount is greater than unrefunded amount on charge"}}),
                );
            }
            let made = json!({"id": format!("re_{key}"), "object": "refund", "payment_intent": pi,
                              "amount": amount, "status": "succeeded"});
            fake.refunded.insert(pi.clone(), refunded + amount);
            fake.refunds.insert(key, made.clone());
            return (200, made);
        }
        if r.method == "GET"
            && let Some(query) = r.path.strip_prefix("/v1/events?")
        {
            return self.list_events(query);
        }
        if r.method == "GET"
            && let Some(id) = r.path.strip_prefix("/v1/checkout/sessions/")
        {
            if self.inner.lock().unwrap().sessions.contains_key(id) {
                return (200, self.session_json(id));
            }
            return (
                404,
                json!({"error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": format!("No such checkout.session: '{id}'"),
                }}),
            );
        }
        (
            404,
            json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}),
        )
    }
}

/// A minimal HTTP/1.1 request reader: request line, headers, Content-Length body.
pub fn read_request(stream: &TcpStream) -> Option<Recorded> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap_or(0));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8(body).ok()?,
        at: std::time::Instant::now(),
        limited: false,
    })
}

pub fn respond(mut stream: TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// The PaymentIntent a completed session created (the fake derives it from the session).
pub fn payment_intent(session_id: &str) -> String {
    format!("pi_{}", session_id.trim_start_matches("cs_"))
}

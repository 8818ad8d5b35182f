//! Starts the real `fundraiser` binary on an ephemeral loopback port, in a temporary
//! folder of its own, and talks to it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod ledger_file;
pub mod postgres;
pub mod smtp;
pub use ledger_file::{LedgerFile, Seed};

pub const SECRET: &str = "integration-test-secret";

pub struct Server {
    pub child: Child,
    pub base: String,
    pub workdir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    pub log: std::sync::Mutex<mpsc::Receiver<String>>,
    /// What the server logged before it listened.
    pub startup_log: Vec<String>,
    /// Whether the test wrote the ledger file itself (the live total cannot follow).
    behind_its_back: std::sync::atomic::AtomicBool,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_fundraiser")
}

/// Options for one server.
#[derive(Default, Clone)]
pub struct Opts {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    /// Reuse this folder (to restart on the same ledger).
    pub dir: Option<PathBuf>,
    /// Run this binary instead of the one cargo built (e.g. a copy of it).
    pub bin: Option<PathBuf>,
    /// Listen here instead of `127.0.0.1:0` (always a loopback address).
    pub bind: Option<String>,
}

impl Opts {
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET))
    }

    pub fn start_with(opts: Opts) -> Server {
        let (tmp, workdir) = match &opts.dir {
            Some(d) => (None, d.clone()),
            None => {
                let t = tempfile::tempdir().expect("temp dir");
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let bin = opts.bin.clone().unwrap_or_else(|| PathBuf::from(binary()));
        let mut cmd = Command::new(bin);
        cmd.current_dir(&workdir)
            .arg("serve")
            .arg("--bind")
            .arg(opts.bind.as_deref().unwrap_or("127.0.0.1:0"))
            .args(&opts.args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("FUNDRAISER_") {
                cmd.env_remove(k);
            }
        }
        // Abuse limits are off unless a test sets them: tests send many donations from
        // one address on purpose.
        for key in [
            "FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE",
            "FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP",
            "FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE",
        ] {
            cmd.env(key, "0");
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        // A freshly copied binary can be briefly "busy" (ETXTBSY) when another test
        // thread forks while the copy's file descriptor is open; that clears quickly.
        let mut attempts = 0;
        let mut child = loop {
            match cmd.spawn() {
                Ok(child) => break child,
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("start fundraiser: {e}"),
            }
        };
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(pos) = line
                        .find("listening on http://")
                        .or_else(|| line.find("listening on https://"))
                    {
                        let addr = line[pos + "listening on ".len()..]
                            .split_whitespace()
                            .next()
                            .unwrap()
                            .to_string();
                        break addr;
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("server did not start:\n{}", seen.join("\n"));
                }
            }
        };
        Server {
            child,
            base,
            workdir,
            _tmp: tmp,
            log: std::sync::Mutex::new(rx),
            startup_log: seen,
            behind_its_back: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The folder the server runs in (its ledger is `data/ledger.db` there).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The server's ledger file, to see what was stored.
    pub fn ledger(&self) -> LedgerFile {
        LedgerFile::open(&self.workdir.join("data/ledger.db"))
    }

    /// `GET /api/total`.
    pub fn total(&self) -> serde_json::Value {
        client()
            .get(self.url("/api/total"))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// `POST /donate` with an amount in a language, as the form sends it.
    pub fn donate(&self, amount: &str, lang: &str) -> reqwest::blocking::Response {
        client()
            .post(self.url("/donate"))
            .form(&[("amount", amount), ("lang", lang)])
            .send()
            .expect("POST /donate")
    }

    /// Donates `amount` through the sandbox's hosted checkout, pays (`outcome` "pay") or
    /// declines it there, and returns the gateway's return URL, not yet followed.
    pub fn sandbox_checkout(&self, amount: &str, lang: &str, outcome: &str) -> String {
        let r = self.donate(amount, lang);
        assert_eq!(
            r.status(),
            reqwest::StatusCode::SEE_OTHER,
            "donate {amount}"
        );
        let checkout = location(&r);
        assert!(checkout.starts_with("/sandbox/checkout/"), "{checkout}");
        let page = client().get(self.url(&checkout)).send().unwrap();
        assert_eq!(page.status(), reqwest::StatusCode::OK);
        let r = client()
            .post(self.url(&checkout))
            .form(&[("outcome", outcome)])
            .send()
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
        let ret = location(&r);
        assert!(ret.starts_with("/payment/return/sandbox?"), "{ret}");
        ret
    }

    /// Donates `amount` in English and pays it in the sandbox, following the return to
    /// the thank-you page; returns the donation's id.
    pub fn pay(&self, amount: &str) -> String {
        let ret = self.sandbox_checkout(amount, "en", "pay");
        let r = client().get(self.url(&ret)).send().unwrap();
        assert_eq!(
            r.status(),
            reqwest::StatusCode::SEE_OTHER,
            "return of {amount}"
        );
        donation_id(&ret)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal (e.g. 1 for SIGHUP) to the server.
    pub fn signal(&self, signal: i32) {
        unsafe_kill(self.child.id() as i32, signal);
    }

    /// Waits for a log line containing `needle` (for at most 10 s) and returns it.
    /// The first log line containing `needle`: from start-up, or waited for (10 s).
    pub fn wait_for_log(&self, needle: &str) -> Option<String> {
        if let Some(line) = self.startup_log.iter().find(|l| l.contains(needle)) {
            return Some(line.clone());
        }
        let rx = self.log.lock().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id() as i32;
        unsafe_kill(pid, 15);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("server did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Server {
    /// Says the test writes the ledger file itself, so the total is not checked against it.
    pub fn written_behind_its_back(&self) {
        self.behind_its_back
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The public total equals what the charity keeps by the ledger file, computed here
    /// independently of the server's SQL, for the currency and mode the total counts.
    /// Checked when every test's server is dropped, while it still runs and answers.
    fn check_total_against_the_ledger(&mut self) {
        if std::thread::panicking()
            || self
                .behind_its_back
                .load(std::sync::atomic::Ordering::Relaxed)
            || !matches!(self.child.try_wait(), Ok(None))
        {
            return;
        }
        let path = self.workdir.join("data/ledger.db");
        let Ok(answer) = client().get(self.url("/api/total")).send() else {
            return;
        };
        if !path.is_file() || answer.status() != reqwest::StatusCode::OK {
            return;
        }
        let total: serde_json::Value = answer.json().expect("the total's JSON");
        let currency = total["currency"].as_str().expect("the total's currency");
        let live = !total["test"]
            .as_bool()
            .expect("whether the total is test money");
        let kept = LedgerFile::open(&path).kept_in(currency, live);
        assert_eq!(
            (
                total["raised_minor"].as_i64().unwrap(),
                total["donations"].as_i64().unwrap()
            ),
            kept,
            "the public total differs from what the ledger file says is kept"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.check_total_against_the_ledger();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unsafe_kill(pid: i32, signal: i32) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success());
}

/// A client that follows no redirects and never decompresses, so tests see what was sent.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A page's address without its query: the thank-you page a donor is sent to carries
/// `?receipt=<id>&t=<token>`, the link to their printable receipt.
pub fn page_of(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The `Location` header of a redirect.
pub fn location(r: &reqwest::blocking::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in {}", r.status()))
        .to_str()
        .unwrap()
        .to_string()
}

pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(message);
    hex::encode(m.finalize().into_bytes())
}

/// The sandbox's webhook for a result, signed with the test secret, as the sandbox gateway
/// sends it, to the server at `base`.
pub fn sandbox_webhook(
    base: &str,
    reference: &str,
    outcome: &str,
    amount: i64,
) -> reqwest::Result<reqwest::blocking::Response> {
    let body = format!(
        r#"{{"ref":"{reference}","outcome":"{outcome}","amount":{amount},"currency":"AED"}}"#
    );
    client()
        .post(format!("{base}/payment/webhook/sandbox"))
        .header(
            "Sandbox-Signature",
            hmac_hex(SECRET.as_bytes(), body.as_bytes()),
        )
        .header("Content-Type", "application/json")
        .body(body)
        .send()
}

/// The donation a sandbox checkout URL or a sandbox return URL is about.
pub fn donation_id(checkout_or_return: &str) -> String {
    if let Some(id) = checkout_or_return.strip_prefix("/sandbox/checkout/") {
        return id.to_string();
    }
    let query = checkout_or_return.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs.into_iter().find(|(k, _)| k == "ref").unwrap().1
}

/// Waits until `f` holds, polling, for at most 10 s.
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The binary at `bin`, run directly in `dir` with no inherited `FUNDRAISER_*` variables.
pub fn command(bin: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("FUNDRAISER_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Runs to completion, killing the process and failing if it takes over 10 s.
pub fn run_briefly(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A site-wide text of the campaign as `pages/<lang>/site.toml` writes it (`charity`,
/// `campaign`, ...), so tests follow a charity that renames itself.
pub fn site_text(lang: &str, key: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("pages/{lang}/site.toml"));
    let text = std::fs::read_to_string(&path).expect("pages/<lang>/site.toml");
    let table: toml::Table = text.parse().expect("site.toml parses");
    table
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{key} in {}", path.display()))
        .to_owned()
}

/// The campaign's currency as the repository's `config.toml` sets it (the built-in default
/// AED as shipped), for tests of what the pages say about money.
pub fn campaign_currency() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config.toml");
    let table: toml::Table = text.parse().expect("config.toml parses");
    table
        .get("campaign")
        .and_then(|c| c.get("currency"))
        .and_then(|v| v.as_str())
        .unwrap_or("AED")
        .to_owned()
}

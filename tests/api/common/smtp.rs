//! A real SMTP server on loopback for the email receipts: `tests/support/smtp_sink.py`
//! (aiosmtpd, installed into target/venv by `tests/run.sh`, which names its Python in
//! `TEST_SMTP_PYTHON`). It stores every message it accepts in a folder of its own; the
//! test reads them back, steers its answers (451, 550, a delay before 250) and stops and
//! restarts it. With TLS it serves a certificate for `localhost` and 127.0.0.1 signed by
//! a CA made for the run (`ca_file`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the sink may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long `restart` retries when the port is not free yet.
const REBIND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `stop` waits for the sink to exit after SIGTERM before it kills it.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How the sink speaks TLS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // `Tls::StartTls`: the protocol's own name
pub enum Tls {
    /// Plain SMTP only.
    #[default]
    None,
    /// STARTTLS offered; when `required`, every command but EHLO, NOOP, STARTTLS and
    /// QUIT is refused (530) before it. AUTH is offered only after it.
    StartTls { required: bool },
    /// TLS from the first byte (SMTPS, port-465 style).
    Implicit,
}

/// Options for one sink.
#[derive(Clone, Debug)]
pub struct SinkOpts {
    pub tls: Tls,
    /// Require AUTH (PLAIN or LOGIN) with this user and password before MAIL.
    pub auth: Option<(String, String)>,
    /// Store each message, then wait this many seconds before answering 250.
    pub delay_after_data: Option<f64>,
    /// The port to listen on; 0 for an ephemeral one.
    pub port: u16,
}

impl Default for SinkOpts {
    fn default() -> SinkOpts {
        SinkOpts {
            tls: Tls::None,
            auth: None,
            delay_after_data: None,
            port: 0,
        }
    }
}

/// A message the sink accepted, with its envelope.
#[derive(Clone, Debug)]
pub struct Message {
    /// The message's bytes as the client sent them (dot-stuffing undone, CRLF kept).
    pub raw: Vec<u8>,
    pub rcpt_tos: Vec<String>,
    pub mail_from: String,
    /// Whether it came over TLS (STARTTLS or implicit).
    pub tls: bool,
    /// The user the client authenticated as.
    pub auth_user: Option<String>,
}

/// The running sink; killed when dropped, its folder (messages, certificates, control
/// file, log) removed.
pub struct SmtpSink {
    opts: SinkOpts,
    python: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py")
}

/// The Python to run the sink with: `TEST_SMTP_PYTHON`, else `python3`.
fn python() -> String {
    match std::env::var("TEST_SMTP_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => "python3".to_owned(),
    }
}

/// Whether `python` runs and can import aiosmtpd.
fn has_aiosmtpd(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Writes a CA and a certificate for `localhost` and 127.0.0.1 signed by it, with its
/// key, into `dir` as ca.pem, cert.pem and key.pem.
fn write_certificates(dir: &Path) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "fundraiser test SMTP CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("generate the CA's key");
    let ca_cert = ca.self_signed(&ca_key).expect("self-sign the CA");
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("certificate parameters");
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().expect("generate the certificate's key");
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("sign the certificate with the CA");

    for (name, pem) in [
        ("ca.pem", ca_cert.pem()),
        ("cert.pem", leaf_cert.pem()),
        ("key.pem", leaf_key.serialize_pem()),
    ] {
        std::fs::write(dir.join(name), pem).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }
}

/// Reads the sink's stdout on a thread of its own until it closes; sends the port of its
/// `PORT <n>` line (the sink prints nothing else).
fn read_port(stdout: ChildStdout) -> mpsc::Receiver<u16> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = line
                .strip_prefix("PORT ")
                .and_then(|p| p.trim().parse().ok())
            {
                let _ = tx.send(port);
            }
        }
    });
    rx
}

/// Sends SIGTERM to a process (through `sh`'s `kill`: std cannot, and the tests use no
/// libc).
fn terminate(pid: u32) {
    let _ = Command::new("sh")
        .args([
            "-c",
            "kill -TERM \"$1\" 2>/dev/null",
            "sh",
            &pid.to_string(),
        ])
        .status();
}

/// Parses one stored message (`<seq>.eml` and its envelope, `<seq>.json`).
fn read_message(eml: &Path) -> Message {
    let raw = std::fs::read(eml).unwrap_or_else(|e| panic!("read {}: {e}", eml.display()));
    let json = eml.with_extension("json");
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&json).unwrap_or_else(|e| panic!("read {}: {e}", json.display())),
    )
    .unwrap_or_else(|e| panic!("parse {}: {e}", json.display()));
    let text = |key: &str| meta[key].as_str().map(str::to_owned);
    Message {
        raw,
        mail_from: text("mail_from").unwrap_or_default(),
        rcpt_tos: meta["rcpt_tos"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        tls: meta["tls"].as_bool().unwrap_or(false),
        auth_user: text("auth_user"),
    }
}

/// The sequence number of a stored message's file name (`000042.eml`).
fn sequence(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".eml")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl SmtpSink {
    /// Starts a sink; `None` (and SKIPPED said) when the sink's Python has no aiosmtpd.
    /// Panics, with what the sink said, if it does not listen within 20 s.
    pub fn start(opts: SinkOpts) -> Option<SmtpSink> {
        let python = python();
        if !has_aiosmtpd(&python) {
            eprintln!("SKIPPED: aiosmtpd is not installed (tests/run.sh installs it)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("fundraiser-smtp-")
            .tempdir()
            .expect("a temporary folder for the SMTP sink");
        std::fs::create_dir(dir.path().join("messages")).expect("create the messages folder");
        if opts.tls != Tls::None {
            write_certificates(dir.path());
        }
        let mut sink = SmtpSink {
            port: opts.port,
            opts,
            python,
            dir,
            child: None,
        };
        sink.launch();
        Some(sink)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA that signed its certificate, with TLS.
    pub fn ca_file(&self) -> Option<PathBuf> {
        (self.opts.tls != Tls::None).then(|| self.dir.path().join("ca.pem"))
    }

    /// Every message it accepted, in the order it accepted them (across restarts).
    pub fn messages(&self) -> Vec<Message> {
        let folder = self.messages_dir();
        let entries =
            std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("list {}: {e}", folder.display()));
        let mut stored: Vec<(u64, PathBuf)> = entries
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let seq = sequence(path.file_name()?.to_str()?)?;
                Some((seq, path))
            })
            .collect();
        stored.sort();
        stored.iter().map(|(_, path)| read_message(path)).collect()
    }

    /// The messages once there are at least `n`, or what there is after `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Message> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Makes it refuse every message from now on: `Some("451")` with
    /// `451 4.3.0 Try again later`, `Some("550")` with `550 5.1.1 Mailbox unavailable`
    /// (neither stored); `None` accepts them again. Read for each message, after its data.
    pub fn set_control(&self, code: Option<&str>) {
        let control = self.control_file();
        match code {
            Some(code) => {
                // Renamed into place, so the sink never reads it half written.
                let tmp = self.dir.path().join(".control.tmp");
                std::fs::write(&tmp, code).expect("write the SMTP sink's control file");
                std::fs::rename(&tmp, &control).expect("rename the SMTP sink's control file");
            }
            None => match std::fs::remove_file(&control) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("remove the SMTP sink's control file: {e}"),
            },
        }
    }

    /// Stops it (SIGTERM, then waits; killed if it lingers): connections are dropped and
    /// the port refuses new ones. The messages stay.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        terminate(child.id());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("wait for the SMTP sink: {e}"),
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again, stopped or not, on the same port with the same folder (numbering
    /// goes on after the messages already there) and options; retries for up to 5 s while
    /// the port is not free.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    fn messages_dir(&self) -> PathBuf {
        self.dir.path().join("messages")
    }

    fn control_file(&self) -> PathBuf {
        self.dir.path().join("control")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("sink.log")
    }

    /// What the sink wrote on stderr since the log was `from` bytes long.
    fn log_since(&self, from: usize) -> String {
        let log = std::fs::read(self.log_file()).unwrap_or_default();
        String::from_utf8_lossy(log.get(from..).unwrap_or_default()).into_owned()
    }

    /// Runs the sink on `self.port` (0 the first time for an ephemeral one) and records
    /// the port it listens on; retries for a while when a fixed port is taken.
    fn launch(&mut self) {
        let deadline = Instant::now() + REBIND_TIMEOUT;
        loop {
            match self.spawn() {
                Ok((child, port)) => {
                    self.child = Some(child);
                    self.port = port;
                    return;
                }
                Err(_) if self.port != 0 && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("the SMTP sink did not start: {e}"),
            }
        }
    }

    /// The sink's command line.
    fn command(&self) -> Command {
        let dir = self.dir.path();
        let mut cmd = Command::new(&self.python);
        cmd.arg(script())
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(self.messages_dir())
            .arg("--control")
            .arg(self.control_file());
        if self.opts.tls != Tls::None {
            cmd.arg("--tls-cert")
                .arg(dir.join("cert.pem"))
                .arg("--tls-key")
                .arg(dir.join("key.pem"));
        }
        match self.opts.tls {
            Tls::StartTls { required: true } => {
                cmd.arg("--require-starttls");
            }
            Tls::Implicit => {
                cmd.arg("--implicit-tls");
            }
            Tls::None | Tls::StartTls { required: false } => {}
        }
        if let Some((user, password)) = &self.opts.auth {
            cmd.arg("--auth").arg(format!("{user}:{password}"));
        }
        if let Some(seconds) = self.opts.delay_after_data {
            cmd.arg("--delay-after-data").arg(seconds.to_string());
        }
        cmd
    }

    /// Spawns the sink once; its child and port, or why it did not listen (it exited:
    /// its status and what it said).
    fn spawn(&self) -> Result<(Child, u16), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_file())
            .expect("open the SMTP sink's log");
        let logged = log.metadata().map_or(0, |m| m.len() as usize);
        let mut child = self
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("run {} {}: {e}", self.python, script().display()));
        let port = read_port(child.stdout.take().expect("the sink's stdout"));
        match port.recv_timeout(START_TIMEOUT) {
            Ok(port) => Ok((child, port)),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().expect("wait for the SMTP sink");
                Err(format!(
                    "it exited ({status}) before listening\n{}",
                    self.log_since(logged)
                ))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the SMTP sink did not listen within {START_TIMEOUT:?}\n{}",
                    self.log_since(logged)
                );
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The sink itself, driven by Python's smtplib (the sink's own Python): each mode stores
/// what it should, refuses what it should, and survives a restart.
#[cfg(test)]
mod tests {
    use super::*;

    /// Sends one message with smtplib as `how` says; smtplib's error, if any.
    fn send(sink: &SmtpSink, how: &str, login: Option<(&str, &str)>) -> Result<(), String> {
        let code = r#"
import smtplib, ssl, sys
how, port, ca, user, password = sys.argv[1:6]
context = ssl.create_default_context(cafile=ca) if ca else None
msg = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: t\r\n\r\n.dot\r\nbody\r\n"
s = smtplib.SMTP_SSL("localhost", int(port), context=context) if how == "implicit" else smtplib.SMTP("127.0.0.1", int(port))
if how == "starttls":
    s.starttls(context=context)
if user:
    s.login(user, password)
try:
    s.sendmail("a@example.org", ["b@example.org", "c@example.org"], msg)
except smtplib.SMTPException as e:
    sys.exit(f"{e}")
s.quit()
"#;
        let ca = sink
            .ca_file()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let (user, password) = login.unwrap_or(("", ""));
        let out = Command::new(python())
            .args([
                "-c",
                code,
                how,
                &sink.port().to_string(),
                &ca,
                user,
                password,
            ])
            .output()
            .expect("run smtplib");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    const RAW: &[u8] =
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: t\r\n\r\n.dot\r\nbody\r\n";

    #[test]
    fn plain_control_and_restart() {
        let Some(mut sink) = SmtpSink::start(SinkOpts::default()) else {
            return;
        };
        assert!(sink.ca_file().is_none());
        send(&sink, "plain", None).expect("send");
        let got = sink.wait_for(1, Duration::from_secs(5));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].raw, RAW);
        assert_eq!(got[0].mail_from, "a@example.org");
        assert_eq!(got[0].rcpt_tos, ["b@example.org", "c@example.org"]);
        assert!(!got[0].tls);
        assert_eq!(got[0].auth_user, None);

        sink.set_control(Some("451"));
        let e = send(&sink, "plain", None).expect_err("451");
        assert!(e.contains("451"), "{e}");
        sink.set_control(Some("550"));
        let e = send(&sink, "plain", None).expect_err("550");
        assert!(e.contains("550"), "{e}");
        sink.set_control(None);
        assert_eq!(sink.messages().len(), 1);

        let port = sink.port();
        sink.stop();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        sink.restart();
        assert_eq!(sink.port(), port);
        send(&sink, "plain", None).expect("send after the restart");
        assert_eq!(sink.wait_for(2, Duration::from_secs(5)).len(), 2);
        assert_eq!(sink.messages().len(), 2);
    }

    #[test]
    fn starttls_required_with_auth() {
        let opts = SinkOpts {
            tls: Tls::StartTls { required: true },
            auth: Some(("user".into(), "secret".into())),
            ..SinkOpts::default()
        };
        let Some(sink) = SmtpSink::start(opts) else {
            return;
        };
        let e = send(&sink, "plain", None).expect_err("no STARTTLS");
        assert!(e.contains("530"), "{e}");
        let e = send(&sink, "starttls", Some(("user", "wrong"))).expect_err("bad password");
        assert!(e.contains("535"), "{e}");
        send(&sink, "starttls", Some(("user", "secret"))).expect("send");
        let got = sink.wait_for(1, Duration::from_secs(5));
        assert_eq!(got.len(), 1);
        assert!(got[0].tls);
        assert_eq!(got[0].auth_user.as_deref(), Some("user"));
    }

    #[test]
    fn implicit_tls_and_delay() {
        let opts = SinkOpts {
            tls: Tls::Implicit,
            delay_after_data: Some(1.0),
            ..SinkOpts::default()
        };
        let Some(sink) = SmtpSink::start(opts) else {
            return;
        };
        let started = Instant::now();
        send(&sink, "implicit", None).expect("send");
        assert!(started.elapsed() >= Duration::from_secs(1));
        let got = sink.messages();
        assert_eq!(got.len(), 1);
        assert!(got[0].tls);
        assert_eq!(got[0].raw, RAW);
    }
}

//! Durability: confirmations from concurrent clients, the server killed with SIGKILL
//! partway, restarted: every confirmation that was answered is in the ledger, and the
//! total equals the ledger's sum.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::*;

#[test]
fn no_answered_confirmation_is_lost_to_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default()
    }
    .env("FUNDRAISER_SANDBOX__SECRET", SECRET);
    let mut server = Server::start_with(opts.clone());

    // Pending donations to confirm.
    let n = 400;
    let mut refs = Vec::with_capacity(n);
    for i in 0..n {
        let amount = 5 + (i % 50);
        let r = client()
            .post(server.url("/donate"))
            .form(&[("amount", amount.to_string())])
            .send()
            .unwrap();
        let id = r.headers()["location"]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        refs.push((id, amount as i64 * 100));
    }

    let answered = Mutex::new(Vec::new());
    let killed = AtomicBool::new(false);
    let base = server.base.clone();
    std::thread::scope(|scope| {
        for chunk in refs.chunks(n / 8) {
            let answered = &answered;
            let killed = &killed;
            let base = &base;
            scope.spawn(move || {
                let http = client();
                for (id, amount) in chunk {
                    if killed.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = format!(
                        r#"{{"ref":"{id}","outcome":"paid","amount":{amount},"currency":"AED"}}"#
                    );
                    let sig = hmac_hex(SECRET.as_bytes(), body.as_bytes());
                    let sent = http
                        .post(format!("{base}/payment/webhook/sandbox"))
                        .header("Sandbox-Signature", sig)
                        .body(body)
                        .send();
                    if sent.is_ok_and(|r| r.status().is_success()) {
                        answered.lock().unwrap().push(id.clone());
                    }
                }
            });
        }
        // Kill partway through.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while answered.lock().unwrap().len() < n / 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        server.child.kill().unwrap(); // SIGKILL
        killed.store(true, Ordering::Relaxed);
    });
    let _ = server.child.wait();
    let answered = answered.into_inner().unwrap();
    drop(server);

    let server = Server::start_with(opts);
    let ledger = LedgerFile::open(&dir.path().join("data/ledger.db"));
    let lost = answered
        .iter()
        .filter(|id| ledger.donation(id).status != "succeeded")
        .count();
    let (sum, count) = ledger.succeeded();
    println!(
        "crash test: {} confirmations answered before SIGKILL, {} succeeded in the ledger after restart, {lost} lost",
        answered.len(),
        count
    );
    assert!(
        !answered.is_empty() && answered.len() < n,
        "the kill landed partway"
    );
    assert_eq!(lost, 0, "answered confirmations lost");
    assert!(count as usize >= answered.len());
    let t = server.total();
    assert_eq!(t["raised_minor"].as_i64().unwrap(), sum);
    assert_eq!(t["donations"].as_i64().unwrap(), count);
}

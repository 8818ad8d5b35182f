//! Faults: a ledger that cannot be used stops start-up with exit code 2; a ledger that
//! fills up while serving answers 503 for donations while the site keeps serving, and
//! recovers by itself.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;
use reqwest::StatusCode;

/// Runs the binary in `dir` with `args` and returns (exit code, stderr).
fn run_to_exit(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(binary())
        .current_dir(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run fundraiser");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_ledger_in_use_by_another_process_stops_start_up() {
    let first = Server::start();
    let db = first.workdir().join("data/ledger.db");
    let other = tempfile::tempdir().unwrap();
    let (code, err) = run_to_exit(other.path(), &["--db", db.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("in use by another fundraiser process"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one clear message: {err}");
    // The first one is unaffected.
    assert_eq!(
        client().get(first.url("/readyz")).send().unwrap().status(),
        StatusCode::OK
    );
}

#[test]
fn a_corrupt_ledger_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/ledger.db"), vec![0x5a; 8192]).unwrap();
    let (code, err) = run_to_exit(dir.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ledger"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn an_unusable_ledger_folder_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: no one, not even root, can create it.
    std::fs::write(dir.path().join("data"), b"not a folder").unwrap();
    let (code, err) = run_to_exit(dir.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot create the ledger folder"), "{err}");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_answers_503_for_donations_while_the_site_keeps_serving() {
    if !is_root() {
        println!("skipped: mounting a small tmpfs for the disk-full test needs root");
        return;
    }
    let mnt = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(mnt.path())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        println!("skipped: this machine does not allow mounting a tmpfs");
        return;
    }
    let _mount = Mount(mnt.path().to_path_buf());
    let db = mnt.path().join("ledger.db");
    let server = Server::start_with(
        Opts {
            args: vec!["--db".into(), db.to_str().unwrap().into()],
            ..Opts::default()
        }
        .env("FUNDRAISER_SANDBOX__SECRET", SECRET),
    );
    let donate = || {
        client()
            .post(server.url("/donate"))
            .form(&[("amount", "50"), ("lang", "ar")])
            .send()
            .unwrap()
    };
    assert_eq!(donate().status(), StatusCode::SEE_OTHER);

    // Fill the disk.
    let filler = mnt.path().join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4096"])
        .arg(format!("of={}", filler.display()))
        .stderr(Stdio::null())
        .status();

    let r = donate();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = r.text().unwrap();
    assert!(
        page.contains("تعذّر بدء تبرّعك"),
        "a clear page in the donor's language"
    );
    for leak in ["disk", "full", "SQLITE", "database", "sqlite"] {
        assert!(!page.contains(leak), "internal error text leaked: {leak}");
    }
    // A commit within the last second still answers ready (the first donation's, when
    // the disk filled fast): not ready once that second is over.
    assert!(eventually(|| {
        client().get(server.url("/readyz")).send().unwrap().status()
            == StatusCode::SERVICE_UNAVAILABLE
    }));
    for path in ["/", "/ar/", "/donate/", "/about/", "/api/total", "/healthz"] {
        assert_eq!(
            client().get(server.url(path)).send().unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }

    // The fault clears: writes resume by themselves.
    std::fs::remove_file(&filler).unwrap();
    assert!(eventually(|| client()
        .get(server.url("/readyz"))
        .send()
        .unwrap()
        .status()
        == StatusCode::OK));
    assert_eq!(donate().status(), StatusCode::SEE_OTHER);
    std::thread::sleep(Duration::from_millis(50));
}

//! Money the total could not hold (#29): a currency switch while donations in the old
//! currency wait for their payment, and bounds that keep every sum within 64 bits.

use std::path::Path;

use crate::common::*;

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = run_briefly(command(Path::new(binary()), dir, args, env));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn a_currency_switch_is_refused_while_donations_in_the_old_one_wait() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    });
    // Started, not paid (nothing counted yet): its payment, whenever it comes, is in AED.
    assert_eq!(server.donate("50", "en").status(), 303);
    server.stop();
    let switched = [
        ("FUNDRAISER_SANDBOX__SECRET", SECRET),
        ("FUNDRAISER_SERVER__BIND", "127.0.0.1:0"),
        ("FUNDRAISER_CAMPAIGN__CURRENCY", "JPY"),
    ];
    for command in ["check", "serve"] {
        let (code, text) = run(dir.path(), &[command], &switched);
        assert_ne!(code, Some(0), "{command}: {text}");
        assert!(
            text.contains("holds 1 pending donation in AED, but campaign.currency is JPY"),
            "{command}: {text}"
        );
        assert!(text.contains("Keep campaign.currency = \"AED\""), "{text}");
    }
    // Nothing was changed: the campaign goes on in AED.
    let server = Server::start_with(Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    });
    assert_eq!(server.total()["currency"], "AED");
    assert_eq!(server.ledger().only().status, "pending");
}

#[test]
fn amounts_whose_totals_would_not_fit_are_refused_at_start_and_in_check() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        ("FUNDRAISER_SANDBOX__SECRET", SECRET),
        ("FUNDRAISER_SERVER__BIND", "127.0.0.1:0"),
    ];
    let cases = [
        (
            ("FUNDRAISER_DONATION__MAX", "1000000000000000"),
            "donation.max: 1000000000000000 is more than this site handles; at most 100000000000 AED",
        ),
        (
            ("FUNDRAISER_CAMPAIGN__GOAL", "90000000000000000"),
            "campaign.goal: 90000000000000000 is more than this site handles; at most 10000000000000 AED",
        ),
    ];
    for (setting, message) in cases {
        for command in ["check", "serve"] {
            let (code, text) = run(dir.path(), &[command], &[base[0], base[1], setting]);
            assert_eq!(code, Some(2), "{command} {setting:?}: {text}");
            assert!(text.contains(message), "{command}: {text}");
        }
    }
}

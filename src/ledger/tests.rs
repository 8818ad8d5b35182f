//! The ledger's behaviour, against both of its databases: a SQLite file in a temporary
//! folder, and a fresh database on the PostgreSQL server `TEST_POSTGRES_URL` names
//! (`tests/run.sh` starts one). Without that variable the PostgreSQL half says SKIPPED.
use super::*;
use std::time::Duration;

use crate::donation::{Channel, DonationId, Outcome, PaymentResult, Status};
use crate::lang::Lang;
use crate::money::{Currency, Money};

/// A ledger's place for one test, removed when dropped (a file's folder).
struct Place {
    location: Location,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Place {
    /// A new, empty place on `backend`; `None` when PostgreSQL is not offered.
    fn new(backend: Backend) -> Option<Place> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                Some(Place {
                    location: Location::File(dir.path().join("l.db")),
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let Ok(server) = std::env::var("TEST_POSTGRES_URL") else {
                    eprintln!("SKIPPED: TEST_POSTGRES_URL is not set; tests/run.sh sets it");
                    return None;
                };
                let url = fresh_database(&server);
                let source = postgres::PgSource::parse(&url, None).unwrap();
                Some(Place {
                    location: Location::Postgres(Arc::new(source)),
                    _dir: None,
                })
            }
        }
    }

    fn open(&self) -> Ledger {
        self.open_with(BATCH_MAX)
    }

    fn open_with(&self, batch_max: usize) -> Ledger {
        Ledger::open_at(&self.location, batch_max, test_scope()).unwrap()
    }

    /// Runs `f` on a connection of its own, outside the ledger (on a thread of its own:
    /// PostgreSQL's blocking client cannot run on the test's runtime).
    fn raw<T: Send>(&self, f: impl FnOnce(&mut dyn Db) -> T + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| f(self.location.source().connect(false).unwrap().as_mut()))
                .join()
                .unwrap()
        })
    }
}

/// Creates a database of its own on the server at `server` (a `postgres://` URL); its URL.
fn fresh_database(server: &str) -> String {
    let name = format!(
        "ledger_test_{}",
        DonationId::random().as_str().to_lowercase()
    );
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let (admin_url, create) = (server.to_owned(), name.clone());
    std::thread::spawn(move || {
        let mut admin = ::postgres::Client::connect(&admin_url, ::postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {create}"))
            .unwrap();
    })
    .join()
    .unwrap();
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    format!("{base}/{name}?{query}")
}

/// Waits (up to 2 s) for the ledger's live total to show `raised` from `count`. On SQLite
/// it does at once; on PostgreSQL a commit that overlapped the listener's read of the
/// database shows with its next read, a moment later (never twice).
async fn shows(ledger: &Ledger, raised: i64, count: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let t = ledger.total().load();
        if (t.raised_minor, t.donations) == (raised, count) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the total shows {} from {}, not {raised} from {count}",
            t.raised_minor,
            t.donations
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs each named test on both databases: `name::sqlite` and `name::postgres`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    )*};
}

on_both!(
    pending_donations_expire_and_a_late_payment_still_counts,
    group_commit_answers_every_writer_and_counts_each_success_once,
    one_transaction_per_write_answers_every_writer_too,
    events_are_append_only,
    an_event_id_seen_before_changes_nothing,
    an_unknown_reference_changes_nothing,
    refunds_and_disputes_move_the_total_by_what_the_charity_keeps,
    receipts_are_numbered_without_gaps_and_queued_once,
    no_email_server_queues_nothing_but_still_numbers,
    a_claimed_message_is_sent_once_and_a_failed_one_again_later,
);

/// AED test money, as the sandbox takes it.
fn test_scope() -> Scope {
    Scope::new("AED", false)
}

fn new_donation(amount: i64) -> NewDonation {
    let id = DonationId::random();
    NewDonation {
        gateway_ref: Some(id.to_string()),
        id,
        amount: Money::new(amount, Currency::from_code("AED").unwrap()).unwrap(),
        fund: crate::fund::FundId::general(),
        gateway: "sandbox",
        live: false,
        lang: Lang::En,
        donor_name: None,
        donor_email: None,
        anonymous: false,
        client_ip: None,
        client_net: None,
        open_limit: 0,
    }
}

fn paid(d: &NewDonation, outcome: Outcome) -> PaymentResult {
    PaymentResult {
        gateway: "sandbox",
        gateway_ref: d.id.to_string(),
        outcome,
        channel: Channel::Webhook,
        digest: "00".into(),
        amount_minor: Some(d.amount.minor()),
        currency: Some("AED".into()),
        event_id: None,
        payment_ref: None,
    }
}

async fn pending_donations_expire_and_a_late_payment_still_counts(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let d = new_donation(700);
    ledger.create(d.clone()).await.unwrap();
    let fresh = new_donation(300);
    ledger.create(fresh.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Only donations older than the TTL expire.
    assert_eq!(
        ledger
            .expire_pending(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        ledger
            .expire_pending(Duration::from_millis(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        ledger.donation(&d.id).await.unwrap().status,
        Status::Expired
    );
    let applied = ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
    assert!(matches!(
        applied,
        Applied::Done {
            status: Status::Succeeded,
            changed: true,
            ..
        }
    ));
    shows(&ledger, 700, 1).await;
    assert_eq!(ledger.ledger_total().await.unwrap(), (700, 1));
    let counts = ledger.count_by_status().await.unwrap();
    assert!(counts.contains(&(Status::Succeeded, 1)));
    assert!(counts.contains(&(Status::Expired, 1)));
}

async fn group_commit_answers_every_writer_and_counts_each_success_once(backend: Backend) {
    concurrent_writers_each_count_once(backend, BATCH_MAX).await;
}

async fn one_transaction_per_write_answers_every_writer_too(backend: Backend) {
    concurrent_writers_each_count_once(backend, 1).await;
}

async fn concurrent_writers_each_count_once(backend: Backend, batch_max: usize) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open_with(batch_max);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let d = new_donation(100 + i);
            ledger.create(d.clone()).await.unwrap();
            ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
            ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
            ledger.apply(paid(&d, Outcome::Declined)).await.unwrap();
            100 + i
        }));
    }
    let mut expected = 0;
    for t in tasks {
        expected += t.await.unwrap();
    }
    shows(&ledger, expected, 200).await;
    assert_eq!(ledger.ledger_total().await.unwrap(), (expected, 200));
    // Reopening loads the same total.
    drop(ledger);
    let again = place.open();
    assert_eq!(again.total().load().raised_minor, expected);
}

async fn events_are_append_only(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    ledger.create(new_donation(500)).await.unwrap();
    let (update, delete, count) = place.raw(|db| {
        let update = db.execute("UPDATE events SET kind = 'x'", &[]);
        let delete = db.execute("DELETE FROM events", &[]);
        let count = db
            .query_one("SELECT COUNT(*) FROM events", &[])
            .unwrap()
            .int(0);
        (update.is_err(), delete.is_err(), count.unwrap())
    });
    assert!(update, "an event could be changed");
    assert!(delete, "an event could be deleted");
    assert_eq!(count, 1);
}

async fn an_event_id_seen_before_changes_nothing(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let d = new_donation(900);
    ledger.create(d.clone()).await.unwrap();
    let with_event = |outcome, event: &str| PaymentResult {
        event_id: Some(event.to_owned()),
        ..paid(&d, outcome)
    };
    // A decline delivered twice: the second delivery is not even recorded.
    let first = ledger
        .apply(with_event(Outcome::Declined, "evt_1"))
        .await
        .unwrap();
    assert!(matches!(
        first,
        Applied::Done {
            status: Status::Failed,
            changed: true,
            ..
        }
    ));
    let events = || -> i64 {
        place.raw(|db| {
            db.query_one("SELECT COUNT(*) FROM events", &[])
                .and_then(|r| r.int(0))
                .unwrap()
        })
    };
    let before = events();
    let again = ledger
        .apply(with_event(Outcome::Declined, "evt_1"))
        .await
        .unwrap();
    assert!(matches!(
        again,
        Applied::Done {
            status: Status::Failed,
            changed: false,
            ..
        }
    ));
    assert_eq!(events(), before);
    // Even a different outcome under an id seen before changes nothing.
    let replayed = ledger
        .apply(with_event(Outcome::Paid, "evt_1"))
        .await
        .unwrap();
    assert!(matches!(
        replayed,
        Applied::Done {
            status: Status::Failed,
            changed: false,
            ..
        }
    ));
    assert_eq!(ledger.total().load().raised_minor, 0);
    // A new event id is applied; the same id from another gateway is another event.
    let paid_now = ledger
        .apply(with_event(Outcome::Paid, "evt_2"))
        .await
        .unwrap();
    assert!(matches!(
        paid_now,
        Applied::Done {
            status: Status::Succeeded,
            changed: true,
            ..
        }
    ));
    shows(&ledger, 900, 1).await;
    let other = PaymentResult {
        gateway: "stripe",
        ..with_event(Outcome::Paid, "evt_2")
    };
    assert_eq!(ledger.apply(other).await.unwrap(), Applied::UnknownDonation);
    let ghost = new_donation(100);
    let unknown = PaymentResult {
        event_id: Some("evt_3".into()),
        ..paid(&ghost, Outcome::Paid)
    };
    assert_eq!(
        ledger.apply(unknown.clone()).await.unwrap(),
        Applied::UnknownDonation
    );
    assert_eq!(
        ledger.apply(unknown).await.unwrap(),
        Applied::UnknownDonation
    );
    assert_eq!(
        ledger
            .donation_by_gateway_ref("sandbox", d.id.as_str())
            .await
            .unwrap()
            .id,
        d.id.as_str()
    );
    assert!(matches!(
        ledger
            .donation_by_gateway_ref("stripe", d.id.as_str())
            .await,
        Err(LedgerError::NotFound)
    ));
}

async fn an_unknown_reference_changes_nothing(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let ghost = new_donation(500);
    assert_eq!(
        ledger.apply(paid(&ghost, Outcome::Paid)).await.unwrap(),
        Applied::UnknownDonation
    );
    assert_eq!(ledger.total().load().raised_minor, 0);
}

fn notice(payment: &str, event: crate::kept::MoneyEvent, digest: &str) -> crate::kept::MoneyNotice {
    crate::kept::MoneyNotice {
        gateway: "sandbox",
        payment_ref: payment.to_owned(),
        event,
        currency: Some("aed".into()),
        digest: digest.to_owned(),
        event_id: None,
    }
}

async fn refunds_and_disputes_move_the_total_by_what_the_charity_keeps(backend: Backend) {
    use crate::kept::MoneyEvent;
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let d = new_donation(10_000);
    ledger.create(d.clone()).await.unwrap();
    let mut result = paid(&d, Outcome::Paid);
    result.payment_ref = Some("pay_1".into());
    ledger.apply(result).await.unwrap();
    shows(&ledger, 10_000, 1).await;

    let refund =
        |n: i64, digest: &str| notice("pay_1", MoneyEvent::Refunded { total_minor: n }, digest);
    let applied = ledger.apply_money(refund(3_000, "r1")).await.unwrap();
    assert!(matches!(
        applied,
        MoneyApplied::Done {
            changed: true,
            net_minor: 7_000,
            ..
        }
    ));
    shows(&ledger, 7_000, 1).await;
    // The same notice again, and an older one late: nothing changes.
    ledger.apply_money(refund(3_000, "r1")).await.unwrap();
    ledger.apply_money(refund(1_000, "r0")).await.unwrap();
    shows(&ledger, 7_000, 1).await;
    // A dispute withdraws what is left; won, it comes back.
    let opened = notice(
        "pay_1",
        MoneyEvent::DisputeOpened {
            amount_minor: 10_000,
        },
        "d1",
    );
    ledger.apply_money(opened).await.unwrap();
    shows(&ledger, 0, 0).await;
    let won = notice(
        "pay_1",
        MoneyEvent::DisputeClosed {
            won: true,
            amount_minor: 10_000,
        },
        "d2",
    );
    ledger.apply_money(won).await.unwrap();
    shows(&ledger, 7_000, 1).await;
    // Refunded in full: nothing kept, no longer a donation that counts.
    ledger.apply_money(refund(10_000, "r2")).await.unwrap();
    shows(&ledger, 0, 0).await;
    // A payment nobody knows changes nothing.
    assert_eq!(
        ledger
            .apply_money(notice(
                "pay_unknown",
                MoneyEvent::Refunded { total_minor: 5 },
                "u1"
            ))
            .await
            .unwrap(),
        MoneyApplied::UnknownPayment
    );
    // What the live total says is what the file says, after a restart too.
    assert_eq!(ledger.ledger_total().await.unwrap(), (0, 0));
    drop(ledger);
    let again = place.open();
    assert_eq!(again.total().load().raised_minor, 0);
}

/// Two servers on one PostgreSQL ledger confirming the same donations at the same time
/// (a webhook on one, the donor's return on the other): each is counted once, however
/// their transactions interleave, and both totals end equal to the database's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_confirming_the_same_donations_count_each_once() {
    let Some(place) = Place::new(Backend::Postgres) else {
        return;
    };
    let (a, b) = (place.open(), place.open());
    let mut donations = Vec::new();
    for i in 0..200 {
        let d = new_donation(100 + i);
        a.create(d.clone()).await.unwrap();
        donations.push(d);
    }
    let mut tasks = Vec::new();
    for d in &donations {
        for ledger in [&a, &b] {
            let (ledger, d) = (ledger.clone(), d.clone());
            tasks.push(tokio::spawn(async move {
                ledger.apply(paid(&d, Outcome::Paid)).await.unwrap()
            }));
        }
    }
    let mut changed = 0;
    for t in tasks {
        if let Applied::Done { changed: true, .. } = t.await.unwrap() {
            changed += 1;
        }
    }
    assert_eq!(
        changed, 200,
        "each donation changed by exactly one of the two"
    );
    let expected: i64 = (0..200).map(|i| 100 + i).sum();
    assert_eq!(a.ledger_total().await.unwrap(), (expected, 200));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while [&a, &b]
        .iter()
        .any(|l| l.total().load().raised_minor != expected)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "a server's total did not follow"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let twice = place.raw(|db| {
        db.query_one(
            "SELECT COUNT(*) FROM events WHERE from_status = 'pending' AND to_status = 'succeeded'",
            &[],
        )
        .and_then(|r| r.int(0))
        .unwrap()
    });
    assert_eq!(twice, 200);
}

/// Two servers expiring unpaid donations at the same moment: each expires once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_expire_each_unpaid_donation_once() {
    let Some(place) = Place::new(Backend::Postgres) else {
        return;
    };
    let (a, b) = (place.open(), place.open());
    for i in 0..50 {
        a.create(new_donation(100 + i)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (one, two) = tokio::join!(
        a.expire_pending(Duration::from_millis(1)),
        b.expire_pending(Duration::from_millis(1))
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    // Whichever ran first (or held the lock) expired them; a second pass finds none.
    assert_eq!(one + two, 50, "{one} + {two}");
    let expired = place.raw(|db| {
        db.query_one(
            "SELECT COUNT(*) FROM events WHERE from_status = 'pending' AND to_status = 'expired'",
            &[],
        )
        .and_then(|r| r.int(0))
        .unwrap()
    });
    assert_eq!(expired, 50);
}

/// Every receipt number of the ledger, in order.
async fn receipt_numbers(place: &Place) -> Vec<i64> {
    place.raw(|db| {
        db.query(
            "SELECT receipt_no FROM donations WHERE receipt_no IS NOT NULL ORDER BY receipt_no",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.int(0).unwrap())
        .collect()
    })
}

fn with_email(amount: i64) -> NewDonation {
    NewDonation {
        donor_email: Some("donor@example.org".into()),
        donor_name: Some("Amal".into()),
        ..new_donation(amount)
    }
}

async fn receipts_are_numbered_without_gaps_and_queued_once(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger =
        Ledger::open_at(&place.location, BATCH_MAX, test_scope().with_emails(true)).unwrap();
    let mut tasks = Vec::new();
    for i in 0..120 {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            // Every other donor gave an address; a third of donations fail first.
            let d = if i % 2 == 0 {
                with_email(100)
            } else {
                new_donation(100)
            };
            ledger.create(d.clone()).await.unwrap();
            if i % 3 == 0 {
                ledger.apply(paid(&d, Outcome::Declined)).await.unwrap();
            }
            ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
            ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
        }));
    }
    // Donations that never succeed get no number.
    let unpaid = with_email(100);
    ledger.create(unpaid.clone()).await.unwrap();
    ledger
        .apply(paid(&unpaid, Outcome::Declined))
        .await
        .unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(receipt_numbers(&place).await, (1..=120).collect::<Vec<_>>());
    let outbox = ledger.outbox(500).await.unwrap();
    assert_eq!((outbox.queued, outbox.sent, outbox.failed), (60, 0, 0));
    let queued = place.raw(|db| {
        db.query_one(
            "SELECT COUNT(DISTINCT donation_id), COUNT(DISTINCT message_key) FROM outbox",
            &[],
        )
        .unwrap()
        .0
    });
    assert_eq!(queued, [sql::Cell::Int(60), sql::Cell::Int(60)]);
    // A refund queues one notice; the same refund told again queues nothing more.
    let d = with_email(1000);
    ledger.create(d.clone()).await.unwrap();
    let mut result = paid(&d, Outcome::Paid);
    result.payment_ref = Some("pi_receipt".into());
    ledger.apply(result).await.unwrap();
    let refunded = crate::kept::MoneyEvent::Refunded { total_minor: 400 };
    ledger
        .apply_money(notice("pi_receipt", refunded, "r1"))
        .await
        .unwrap();
    ledger
        .apply_money(notice("pi_receipt", refunded, "r2"))
        .await
        .unwrap();
    let kinds = place.raw(|db| {
        db.query(
            "SELECT kind, amount_minor FROM outbox WHERE donation_id = ?1 ORDER BY seq",
            sql::args![d.id.as_str()],
        )
        .unwrap()
        .iter()
        .map(|r| (r.text(0).unwrap(), r.int(1).unwrap()))
        .collect::<Vec<_>>()
    });
    assert_eq!(
        kinds,
        [("receipt".to_owned(), 1000), ("refund".to_owned(), 400)]
    );
    assert_eq!(ledger.receipt(d.id.as_str()).await.unwrap().number, 121);
}

async fn no_email_server_queues_nothing_but_still_numbers(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let d = with_email(500);
    ledger.create(d.clone()).await.unwrap();
    ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
    assert_eq!(receipt_numbers(&place).await, [1]);
    assert_eq!(ledger.outbox(10).await.unwrap(), OutboxSummary::default());
    assert!(
        ledger
            .claim_outbox(Duration::from_secs(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_claimed_message_is_sent_once_and_a_failed_one_again_later(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger =
        Ledger::open_at(&place.location, BATCH_MAX, test_scope().with_emails(true)).unwrap();
    let (a, b) = (with_email(700), with_email(800));
    for d in [&a, &b] {
        ledger.create(d.clone()).await.unwrap();
        ledger.apply(paid(d, Outcome::Paid)).await.unwrap();
    }
    let lease = Duration::from_secs(60);
    let claimed = ledger.claim_outbox(lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].receipt.donation_id, a.id.as_str());
    assert_eq!(
        (claimed[0].receipt.number, claimed[0].amount_minor),
        (1, 700)
    );
    assert_eq!(claimed[0].message_key, format!("{}.receipt", a.id));
    // Claimed: no one else takes them while they are being sent.
    assert!(ledger.claim_outbox(lease, 10).await.unwrap().is_empty());
    ledger
        .record_attempt(claimed[0].seq, Attempt::Sent)
        .await
        .unwrap();
    let retry = Attempt::Retry {
        error: "451 try later".into(),
        next_at_ms: now_ms() - 1,
    };
    ledger.record_attempt(claimed[1].seq, retry).await.unwrap();
    // Recording twice changes nothing more: a sent message stays sent.
    ledger
        .record_attempt(claimed[0].seq, Attempt::Failed { error: "x".into() })
        .await
        .unwrap();
    let again = ledger.claim_outbox(lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].seq, again[0].attempts), (claimed[1].seq, 1));
    let summary = ledger.outbox(10).await.unwrap();
    assert_eq!((summary.queued, summary.sent, summary.failed), (1, 1, 0));
    assert_eq!(
        summary.waiting[0].last_error.as_deref(),
        Some("451 try later")
    );
    // A SQLite ledger frees its claims at start-up: its one server is the only sender.
    if matches!(backend, Backend::Sqlite) {
        assert_eq!(ledger.release_claims().await.unwrap(), 1);
        assert_eq!(ledger.claim_outbox(lease, 10).await.unwrap().len(), 1);
    }
    // Sent again on request, as a copy with its own Message-ID, to a corrected address.
    let resent = ledger
        .resend_receipt(&a.id, Some("fixed@example.org".into()))
        .await
        .unwrap();
    assert_eq!(
        resent,
        Resent::Queued {
            to: "fixed@example.org".into()
        }
    );
    let copy = ledger.claim_outbox(lease, 10).await.unwrap();
    assert_eq!(copy.len(), 1);
    assert_eq!(copy[0].message_key, format!("{}.receipt.copy-2", a.id));
    assert_eq!(copy[0].to, "fixed@example.org");
    let unpaid = with_email(100);
    ledger.create(unpaid.clone()).await.unwrap();
    assert_eq!(
        ledger.resend_receipt(&unpaid.id, None).await.unwrap(),
        Resent::NoReceipt
    );
}

/// Servers confirming donations side by side on one PostgreSQL ledger still number
/// receipts 1, 2, 3, ... with no gap and no number twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_number_receipts_without_gaps() {
    let Some(place) = Place::new(Backend::Postgres) else {
        return;
    };
    let servers = [place.open(), place.open()];
    let mut tasks = Vec::new();
    for i in 0..200 {
        let ledger = servers[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            let d = new_donation(100);
            ledger.create(d.clone()).await.unwrap();
            ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(receipt_numbers(&place).await, (1..=200).collect::<Vec<_>>());
}

mod currency;
mod funds;
mod refunds;

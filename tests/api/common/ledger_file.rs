//! A server's ledger file, read the way a test asks about it: typed answers, and the
//! suite's only SQL. The tests speak HTTP to the server; this is for what they must see
//! on disk (what was stored, each event once) and for history HTTP cannot make (a
//! donation from thirty days ago).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

pub struct LedgerFile(Connection);

/// A row of `donations`, the columns the tests look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: String,
    pub gateway_ref: Option<String>,
    pub client_ip: Option<String>,
    pub donor_name: Option<String>,
    pub fund: String,
}

/// A donation written straight into the ledger, as if made at `created_at` (unix ms).
pub struct Seed<'a> {
    pub id: &'a str,
    pub amount_minor: i64,
    pub status: &'a str,
    pub lang: &'a str,
    pub name: Option<&'a str>,
    pub anonymous: bool,
    pub created_at: i64,
}

const DONATION: &str = "SELECT id, amount_minor, currency, status, gateway_ref, client_ip, donor_name, fund FROM donations";

fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        id: r.get(0)?,
        amount_minor: r.get(1)?,
        currency: r.get(2)?,
        status: r.get(3)?,
        gateway_ref: r.get(4)?,
        client_ip: r.get(5)?,
        donor_name: r.get(6)?,
        fund: r.get(7)?,
    })
}

impl LedgerFile {
    pub fn open(path: &Path) -> LedgerFile {
        let c = Connection::open(path).expect("the ledger file");
        c.busy_timeout(Duration::from_secs(5)).unwrap();
        LedgerFile(c)
    }

    /// Every donation, oldest first.
    pub fn donations(&self) -> Vec<Stored> {
        let mut q = self
            .0
            .prepare(&format!("{DONATION} ORDER BY created_at, rowid"))
            .unwrap();
        q.query_map([], stored)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    pub fn count(&self) -> usize {
        self.donations().len()
    }

    /// The one donation in the ledger; fails when there are none or several.
    pub fn only(&self) -> Stored {
        let mut all = self.donations();
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    pub fn donation(&self, id: &str) -> Stored {
        self.0
            .query_row(&format!("{DONATION} WHERE id = ?1"), [id], stored)
            .unwrap_or_else(|e| panic!("donation {id}: {e}"))
    }

    /// The donation a gateway knows by `gateway_ref` (a Stripe session id).
    pub fn by_ref(&self, gateway_ref: &str) -> Stored {
        self.0
            .query_row(
                &format!("{DONATION} WHERE gateway_ref = ?1"),
                [gateway_ref],
                stored,
            )
            .unwrap_or_else(|e| panic!("donation with reference {gateway_ref}: {e}"))
    }

    /// What the charity keeps of the succeeded donations, and how many keep anything,
    /// computed here from the stored refunds and disputes (independently of the server's
    /// SQL): the amount, less refunds, less an open or lost dispute's amount (at most
    /// what was left).
    pub fn kept(&self) -> (i64, i64) {
        self.kept_where("1", [])
    }

    /// [`LedgerFile::kept`] of the donations in `currency` taken with live money or not.
    pub fn kept_in(&self, currency: &str, live: bool) -> (i64, i64) {
        self.kept_where(
            "currency = ?1 AND live = ?2",
            [&currency as &dyn rusqlite::ToSql, &live],
        )
    }

    fn kept_where<const N: usize>(
        &self,
        filter: &str,
        params: [&dyn rusqlite::ToSql; N],
    ) -> (i64, i64) {
        let mut q = self
            .0
            .prepare(&format!(
                "SELECT amount_minor, refunded_minor, dispute, dispute_minor FROM donations
                 WHERE status = 'succeeded' AND {filter}"
            ))
            .unwrap();
        let nets: Vec<i64> = q
            .query_map(&params[..], |r| {
                let (amount, refunded): (i64, i64) = (r.get(0)?, r.get(1)?);
                let (dispute, disputed): (String, i64) = (r.get(2)?, r.get(3)?);
                let left = (amount - refunded).max(0);
                let withdrawn = if dispute == "open" || dispute == "lost" {
                    disputed.min(left)
                } else {
                    0
                };
                Ok(left - withdrawn)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (
            nets.iter().sum(),
            nets.iter().filter(|&&n| n > 0).count() as i64,
        )
    }

    /// The sum and count of succeeded donations.
    pub fn succeeded(&self) -> (i64, i64) {
        self.0
            .query_row(
                "SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM donations WHERE status = 'succeeded'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    /// How many events of the donation there are.
    pub fn events(&self, donation_id: &str) -> i64 {
        self.count_where("donation_id = ?1", [donation_id])
    }

    /// How many events of the donation have this kind (`mismatch`, `checkout_failed`).
    pub fn events_of_kind(&self, donation_id: &str, kind: &str) -> i64 {
        self.count_where("donation_id = ?1 AND kind = ?2", [donation_id, kind])
    }

    /// How many times the donation moved from one status to another.
    pub fn transitions(&self, donation_id: &str, from: &str, to: &str) -> i64 {
        self.count_where(
            "donation_id = ?1 AND from_status = ?2 AND to_status = ?3",
            [donation_id, from, to],
        )
    }

    fn count_where<P: rusqlite::Params>(&self, condition: &str, p: P) -> i64 {
        self.0
            .query_row(
                &format!("SELECT COUNT(*) FROM events WHERE {condition}"),
                p,
                |r| r.get(0),
            )
            .unwrap()
    }

    /// The details of every event of this kind, oldest first.
    pub fn details_of_kind(&self, kind: &str) -> Vec<Option<String>> {
        let mut q = self
            .0
            .prepare("SELECT detail FROM events WHERE kind = ?1 ORDER BY rowid")
            .unwrap();
        q.query_map([kind], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// How many notifications of the gateway were recorded as seen.
    pub fn webhook_events(&self, gateway: &str) -> i64 {
        self.0
            .query_row(
                "SELECT COUNT(*) FROM webhook_events WHERE gateway = ?1",
                [gateway],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// The outbox, oldest first: (donation id, kind, status, attempts, last error).
    pub fn outbox(&self) -> Vec<(String, String, String, i64, Option<String>)> {
        let mut q = self
            .0
            .prepare(
                "SELECT donation_id, kind, status, attempts, last_error FROM outbox ORDER BY seq",
            )
            .unwrap();
        q.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// A donation's receipt number, once it has one.
    pub fn receipt_no(&self, id: &str) -> Option<i64> {
        self.0
            .query_row(
                "SELECT receipt_no FROM donations WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// A value the server keeps in the ledger's `settings` table.
    pub fn setting(&self, key: &str) -> Option<String> {
        self.0
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .unwrap()
    }

    /// Writes the donations in one transaction.
    pub fn seed<'a>(&self, donations: impl IntoIterator<Item = Seed<'a>>) {
        let tx = self.0.unchecked_transaction().unwrap();
        for d in donations {
            tx.execute(
                "INSERT INTO donations (id, amount_minor, currency, status, gateway, gateway_ref, lang,
                     donor_name, donor_email, anonymous, client_ip, created_at, updated_at, fund)
                 VALUES (?1, ?2, 'AED', ?3, 'sandbox', ?1, ?4, ?5, NULL, ?6, NULL, ?7, ?7, 'general')",
                params![
                    d.id,
                    d.amount_minor,
                    d.status,
                    d.lang,
                    d.name,
                    d.anonymous,
                    d.created_at
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
}

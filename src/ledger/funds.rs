//! Funds in the ledger: each donation's fund, stored with it for good; what each fund
//! keeps; the donations from before funds, given the first fund; and the refusal of a
//! ledger holding a fund the settings no longer list.

use super::Scope;
use super::read::{SCOPED, net, sum};
use super::sql::{Db, DbResult, args};
use crate::total::{ByFund, FundTotal};

/// What each fund keeps of the succeeded donations the scope counts, and how many of
/// them keep anything: the public total, fund by fund.
pub fn succeeded_by_fund(db: &mut dyn Db, scope: &Scope) -> DbResult<ByFund> {
    let net = net();
    let mut out = ByFund::new();
    for r in db.query(
        &format!(
            "{SCOPED}SELECT fund, {}, COUNT(*) FILTER (WHERE {net} > 0)
             FROM d WHERE status = 'succeeded' GROUP BY fund",
            sum(&net)
        ),
        args![&scope.currency, scope.live],
    )? {
        out.insert(
            r.text(0)?,
            FundTotal {
                raised_minor: r.int(1)?,
                donations: r.int(2)?,
            },
        );
    }
    Ok(out)
}

/// Puts the donations from before funds (schema 12 gave them '') in the first fund.
pub fn settle(db: &mut dyn Db, scope: &Scope) -> DbResult<u64> {
    db.begin_write()?;
    let settled = db.execute(
        "UPDATE donations SET fund = ?1 WHERE fund = ''",
        args![scope.first_fund()],
    );
    match settled {
        Ok(n) => {
            db.batch("COMMIT")?;
            Ok(n)
        }
        Err(e) => {
            let _ = db.batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The first fund holding donations (of any status, mode or currency) that the scope
/// does not list, with how many: ('' counts as the first fund, which `settle` makes it).
pub fn unlisted(db: &mut dyn Db, scope: &Scope) -> DbResult<Option<(String, u64)>> {
    for r in db.query(
        "SELECT fund, COUNT(*) FROM donations GROUP BY fund ORDER BY fund",
        &[],
    )? {
        let fund = r.text(0)?;
        if !fund.is_empty() && !scope.funds.contains(&fund) {
            return Ok(Some((fund, r.count(1)?)));
        }
    }
    Ok(None)
}

/// What the committed jobs change in the live total, fund by fund.
#[derive(Default)]
pub struct Delta {
    /// Per fund: what is kept, and the donations that count (a net above zero) gained
    /// or lost.
    pub funds: crate::total::ByFund,
    pub changed: bool,
}

impl Delta {
    /// `raised` more kept by `fund`, and `count` more donations counted in it.
    pub fn add(&mut self, fund: &str, raised: i64, count: i64) {
        let f = self.funds.entry(fund.to_owned()).or_default();
        f.raised_minor = f.raised_minor.saturating_add(raised);
        f.donations = f.donations.saturating_add(count);
        self.changed = true;
    }

    /// Adds another job's changes.
    pub fn merge(&mut self, other: Delta) {
        for (fund, f) in other.funds {
            self.add(&fund, f.raised_minor, f.donations);
        }
        self.changed |= other.changed;
    }
}

//! The ledger's facade for donations and their payments: recording a donation, its
//! checkout, the gateway's results, refunds and disputes, and reading donations back.

use std::time::Duration;

use super::export::{self, ExportRow};
use super::read::{self, DonationRow};
use super::{Applied, Created, Ledger, LedgerError, MoneyApplied, NewDonation, now_ms, writer};
use crate::donation::{DonationId, PaymentResult, Status};
use crate::kept::MoneyNotice;

impl Ledger {
    /// Records a new pending donation; returns once it is committed.
    pub async fn create(&self, donation: NewDonation) -> Result<Created, LedgerError> {
        let created = self
            .write(writer::Op::Create(donation), |r| match r {
                writer::Reply::Created(c) => Some(c),
                _ => None,
            })
            .await?;
        if created == Created::Recorded {
            crate::metrics::inc(&crate::metrics::get().donations_created);
        }
        Ok(created)
    }

    /// Stores the gateway's reference for a donation (the checkout session id) and where
    /// its donor pays.
    pub async fn set_checkout(
        &self,
        id: &DonationId,
        gateway_ref: &str,
        url: &str,
    ) -> Result<(), LedgerError> {
        self.write_done(writer::Op::SetGatewayRef {
            id: id.to_string(),
            gateway_ref: gateway_ref.to_owned(),
            url: url.to_owned(),
        })
        .await
    }

    /// Marks a pending donation failed because its checkout could not be started.
    pub async fn fail_checkout(&self, id: &DonationId, reason: &str) -> Result<(), LedgerError> {
        self.write_done(writer::Op::FailCheckout {
            id: id.to_string(),
            reason: reason.to_owned(),
        })
        .await?;
        crate::metrics::inc(&crate::metrics::get().donations_failed);
        Ok(())
    }

    /// Applies a refund or dispute notice a gateway has verified; returns once committed.
    pub async fn apply_money(&self, notice: MoneyNotice) -> Result<MoneyApplied, LedgerError> {
        self.write(writer::Op::Money(notice), |r| match r {
            writer::Reply::Money(m) => Some(m),
            _ => None,
        })
        .await
    }

    /// Applies a verified payment result exactly once; answers after the commit.
    pub async fn apply(&self, callback: PaymentResult) -> Result<Applied, LedgerError> {
        let applied = self
            .write(writer::Op::Apply(callback), |r| match r {
                writer::Reply::Applied(a) => Some(a),
                _ => None,
            })
            .await?;
        if let Applied::Done {
            status,
            changed: true,
            ..
        } = &applied
        {
            let m = crate::metrics::get();
            match status {
                Status::Succeeded => crate::metrics::inc(&m.donations_succeeded),
                Status::Failed => crate::metrics::inc(&m.donations_failed),
                _ => {}
            }
        }
        Ok(applied)
    }

    /// Expires donations still pending after `ttl`; returns how many.
    pub async fn expire_pending(&self, ttl: Duration) -> Result<u64, LedgerError> {
        let cutoff = now_ms() - i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        self.write(
            writer::Op::ExpireBefore { cutoff_ms: cutoff },
            |r| match r {
                writer::Reply::Count(n) => Some(n),
                _ => None,
            },
        )
        .await
    }

    /// Returns the setting, storing `proposed` first when it has none.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        proposed: &str,
    ) -> Result<String, LedgerError> {
        self.write(
            writer::Op::SettingOrInsert {
                key: key.to_owned(),
                value: proposed.to_owned(),
            },
            |r| match r {
                writer::Reply::Value(v) => Some(v),
                _ => None,
            },
        )
        .await
    }

    /// One donation, by id.
    pub async fn donation(&self, id: &DonationId) -> Result<DonationRow, LedgerError> {
        let id = id.to_string();
        self.reads
            .run(move |conn| read::donation(conn, &id))
            .await?
            .ok_or(LedgerError::NotFound)
    }

    /// The donation a gateway's reference (e.g. a checkout session id) belongs to.
    pub async fn donation_by_gateway_ref(
        &self,
        gateway: &str,
        gateway_ref: &str,
    ) -> Result<DonationRow, LedgerError> {
        let (gateway, gateway_ref) = (gateway.to_owned(), gateway_ref.to_owned());
        self.reads
            .run(move |conn| read::donation_by_gateway_ref(conn, &gateway, &gateway_ref))
            .await?
            .ok_or(LedgerError::NotFound)
    }

    /// Sum and count of succeeded donations, straight from the database.
    pub async fn ledger_total(&self) -> Result<(i64, u64), LedgerError> {
        let scope = self.scope.clone();
        self.reads
            .run(move |conn| read::succeeded_total(conn, &scope))
            .await
    }

    /// Up to `limit` donations after `after_rowid` (0 to start), for the admin export; of
    /// `fund` alone when given.
    pub async fn export_page(
        &self,
        after_rowid: i64,
        limit: i64,
        fund: Option<String>,
    ) -> Result<Vec<ExportRow>, LedgerError> {
        self.reads
            .run(move |conn| export::export_page(conn, after_rowid, limit, fund.as_deref()))
            .await
    }

    /// Number of donations in each status.
    pub async fn count_by_status(&self) -> Result<Vec<(Status, u64)>, LedgerError> {
        self.reads.run(read::count_by_status).await
    }
}

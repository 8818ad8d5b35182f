//! What the charity keeps of a succeeded donation: the amount, less what was refunded,
//! less what a dispute (a chargeback) withdrew while it is open or once it is lost.
//!
//! ```text
//!   refunded:  0 ──refund(total)──▶ max(refunded, total)        (totals only grow)
//!   dispute:   none ──opened──▶ open ──closed──▶ won | lost     (closed is final)
//!              none ──closed──▶ won | lost                      (the close came first)
//!   net = amount − refunded − (open or lost: the disputed amount, at most what is left)
//! ```
//! Every change is a fact about the payment as the gateway reports it, not an instruction:
//! a refund notice carries the cumulative refunded amount (set, never added), so the same
//! notice twice, or two notices out of order, leave the same state. The net never goes
//! below zero nor above the amount.

/// Something that happened to a succeeded donation's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyEvent {
    /// Refunds so far, in all (Stripe's cumulative `amount_refunded`).
    Refunded { total_minor: i64 },
    /// A dispute opened for this amount: withdrawn until it is closed.
    DisputeOpened { amount_minor: i64 },
    /// The dispute closed: won, the money comes back; lost, it stays out.
    DisputeClosed { won: bool, amount_minor: i64 },
}

/// A change to a succeeded donation's money that a gateway has verified, for the ledger
/// to apply to the donation whose payment it names.
#[derive(Debug, Clone)]
pub struct MoneyNotice {
    /// The gateway's name: `sandbox`, `stripe`.
    pub gateway: &'static str,
    /// The gateway's id of the payment (Stripe's PaymentIntent), stored when it succeeded.
    pub payment_ref: String,
    pub event: MoneyEvent,
    /// The currency the gateway reports the amounts in, checked against the donation's.
    pub currency: Option<String>,
    /// SHA-256 of the signed payload, for the audit trail.
    pub digest: String,
    /// The gateway's id for the notification: one seen before changes nothing.
    pub event_id: Option<String>,
}

/// A donation's dispute, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dispute {
    #[default]
    None,
    Open {
        amount_minor: i64,
    },
    Won {
        amount_minor: i64,
    },
    Lost {
        amount_minor: i64,
    },
}

impl Dispute {
    /// As the ledger stores it: `""`, `open`, `won`, `lost`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dispute::None => "",
            Dispute::Open { .. } => "open",
            Dispute::Won { .. } => "won",
            Dispute::Lost { .. } => "lost",
        }
    }

    /// From the ledger's columns; an unknown word reads as no dispute.
    pub fn from_parts(state: &str, amount_minor: i64) -> Dispute {
        match state {
            "open" => Dispute::Open { amount_minor },
            "won" => Dispute::Won { amount_minor },
            "lost" => Dispute::Lost { amount_minor },
            _ => Dispute::None,
        }
    }

    pub fn amount_minor(self) -> i64 {
        match self {
            Dispute::None => 0,
            Dispute::Open { amount_minor }
            | Dispute::Won { amount_minor }
            | Dispute::Lost { amount_minor } => amount_minor,
        }
    }

    fn closed(self) -> bool {
        matches!(self, Dispute::Won { .. } | Dispute::Lost { .. })
    }
}

/// The state of a succeeded donation's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub amount_minor: i64,
    pub refunded_minor: i64,
    pub dispute: Dispute,
}

impl Kept {
    pub fn new(amount_minor: i64) -> Kept {
        Kept {
            amount_minor,
            refunded_minor: 0,
            dispute: Dispute::None,
        }
    }

    /// What the charity keeps now.
    pub fn net(&self) -> i64 {
        let left = (self.amount_minor - self.refunded_minor).max(0);
        let withdrawn = match self.dispute {
            Dispute::Open { amount_minor } | Dispute::Lost { amount_minor } => amount_minor,
            Dispute::None | Dispute::Won { .. } => 0,
        };
        (left - withdrawn.clamp(0, left)).max(0)
    }

    /// What may still be refunded.
    pub fn refundable(&self) -> i64 {
        (self.amount_minor - self.refunded_minor).max(0)
    }

    /// The state after `event`; the same as before when it changes nothing.
    pub fn apply(self, event: MoneyEvent) -> Kept {
        let within = |v: i64| v.clamp(0, self.amount_minor);
        match event {
            MoneyEvent::Refunded { total_minor } => Kept {
                refunded_minor: self.refunded_minor.max(within(total_minor)),
                ..self
            },
            MoneyEvent::DisputeOpened { amount_minor } => match self.dispute {
                Dispute::None => Kept {
                    dispute: Dispute::Open {
                        amount_minor: within(amount_minor),
                    },
                    ..self
                },
                // Already open or closed: an opening says nothing new.
                _ => self,
            },
            MoneyEvent::DisputeClosed { won, amount_minor } => {
                if self.dispute.closed() {
                    return self;
                }
                let amount_minor = within(amount_minor);
                Kept {
                    dispute: if won {
                        Dispute::Won { amount_minor }
                    } else {
                        Dispute::Lost { amount_minor }
                    },
                    ..self
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMOUNT: i64 = 10_000;

    fn events() -> Vec<MoneyEvent> {
        vec![
            MoneyEvent::Refunded { total_minor: 3_000 },
            MoneyEvent::Refunded {
                total_minor: AMOUNT,
            },
            MoneyEvent::Refunded {
                total_minor: AMOUNT * 2,
            },
            MoneyEvent::Refunded { total_minor: -5 },
            MoneyEvent::DisputeOpened {
                amount_minor: AMOUNT,
            },
            MoneyEvent::DisputeOpened {
                amount_minor: 7_000,
            },
            MoneyEvent::DisputeClosed {
                won: true,
                amount_minor: AMOUNT,
            },
            MoneyEvent::DisputeClosed {
                won: false,
                amount_minor: AMOUNT,
            },
        ]
    }

    #[test]
    fn refunds_and_disputes_move_the_net() {
        let paid = Kept::new(AMOUNT);
        assert_eq!(paid.net(), AMOUNT);
        let part = paid.apply(MoneyEvent::Refunded { total_minor: 3_000 });
        assert_eq!((part.net(), part.refundable()), (7_000, 7_000));
        // Cumulative: the second notice says 3,000 in all, so nothing more.
        assert_eq!(
            part.apply(MoneyEvent::Refunded { total_minor: 3_000 }),
            part
        );
        let full = part.apply(MoneyEvent::Refunded {
            total_minor: AMOUNT,
        });
        assert_eq!((full.net(), full.refundable()), (0, 0));
        // An older notice arriving late does not undo the full refund.
        assert_eq!(
            full.apply(MoneyEvent::Refunded { total_minor: 3_000 }),
            full
        );

        let open = paid.apply(MoneyEvent::DisputeOpened {
            amount_minor: AMOUNT,
        });
        assert_eq!(open.net(), 0);
        let won = open.apply(MoneyEvent::DisputeClosed {
            won: true,
            amount_minor: AMOUNT,
        });
        assert_eq!(won.net(), AMOUNT);
        let lost = open.apply(MoneyEvent::DisputeClosed {
            won: false,
            amount_minor: AMOUNT,
        });
        assert_eq!(lost.net(), 0);
        // A close is final: a late opening changes nothing.
        assert_eq!(
            won.apply(MoneyEvent::DisputeOpened {
                amount_minor: AMOUNT
            }),
            won
        );
        // A partly refunded donation disputed in full loses only what was left.
        let both = part.apply(MoneyEvent::DisputeOpened {
            amount_minor: AMOUNT,
        });
        assert_eq!(both.net(), 0);
        assert_eq!(
            Dispute::from_parts(both.dispute.as_str(), both.dispute.amount_minor()),
            both.dispute
        );
    }

    #[test]
    fn every_sequence_of_up_to_five_events_keeps_the_net_within_the_amount() {
        let events = events();
        // Every sequence of length 0 to 5 over the events: 1 + 8 + ... + 8^5 of them.
        let mut sequences: Vec<Vec<MoneyEvent>> = vec![vec![]];
        let mut last: Vec<Vec<MoneyEvent>> = vec![vec![]];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|seq| {
                    events.iter().map(move |&e| {
                        let mut longer = seq.clone();
                        longer.push(e);
                        longer
                    })
                })
                .collect();
            sequences.extend(last.iter().cloned());
        }
        let mut checked = 0;
        for seq in &sequences {
            let mut state = Kept::new(AMOUNT);
            for &e in seq {
                let after = state.apply(e);
                // Applied at most once: the same event again changes nothing.
                assert_eq!(after.apply(e), after, "{seq:?}");
                let net = after.net();
                assert!((0..=AMOUNT).contains(&net), "{seq:?}: net {net}");
                assert!(after.refunded_minor >= state.refunded_minor, "{seq:?}");
                assert!((0..=AMOUNT).contains(&after.refunded_minor), "{seq:?}");
                state = after;
            }
            // Refunds in any order end at the largest total.
            let most = seq
                .iter()
                .filter_map(|e| match e {
                    MoneyEvent::Refunded { total_minor } => Some(total_minor.clamp(&0, &AMOUNT)),
                    _ => None,
                })
                .max()
                .copied()
                .unwrap_or(0);
            assert_eq!(state.refunded_minor, most, "{seq:?}");
            checked += 1;
        }
        assert_eq!(checked, 37_449);
    }
}

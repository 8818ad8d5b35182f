//! The admin figures as a plain-text table, for `fundraiser stats`.

use std::fmt::Write as _;

use super::figures::Figures;
use crate::lang::Lang;
use crate::money::{Currency, format_money};
use crate::render::strings::Strings;

pub fn render(f: &Figures, currency: Currency) -> String {
    // Written as the site and the dashboard write money: `AED 1,234.50`.
    let numbers = &Strings::of(Lang::En).numbers;
    let m = |minor: i64| format_money(minor, currency, numbers);
    let mut out = String::new();
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "{k:<22} {v}");
    };
    row("raised", m(f.raised_minor));
    row("gross", m(f.gross_minor));
    row(
        "refunded",
        format!("{} ({} donations)", m(f.refunded_minor), f.refunded_count),
    );
    row(
        "disputed",
        format!("{} ({} donations)", m(f.disputed_minor), f.disputed_count),
    );
    row("goal", m(f.goal_minor));
    row("percent_of_goal", format!("{:.2}%", f.percent_of_goal));
    row("created", f.created.to_string());
    row("average", m(f.average_minor));
    row("median", m(f.median_minor));
    row("largest", m(f.largest_minor));
    row(
        "conversion_rate",
        format!("{:.2}%", f.conversion_rate * 100.0),
    );
    row(
        "last_donation_at",
        f.last_donation_at.clone().unwrap_or_else(|| "-".into()),
    );
    let _ = writeln!(out, "\n{:<12} {:>8} {:>20}", "status", "count", "amount");
    let s = &f.by_status;
    for (name, t) in [
        ("pending", s.pending),
        ("succeeded", s.succeeded),
        ("failed", s.failed),
        ("expired", s.expired),
    ] {
        let _ = writeln!(out, "{name:<12} {:>8} {:>20}", t.count, m(t.amount_minor));
    }
    // Every figure per fund: Zakat is kept apart in the books.
    let _ = writeln!(
        out,
        "\n{:<16} {:>10} {:>20} {:>20} {:>20} {:>20}",
        "fund", "donations", "gross", "refunded", "disputed", "raised"
    );
    for fund in &f.funds {
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>20} {:>20} {:>20} {:>20}",
            fund.id,
            fund.donations,
            m(fund.gross_minor),
            m(fund.refunded_minor),
            m(fund.disputed_minor),
            m(fund.raised_minor)
        );
    }
    let _ = writeln!(
        out,
        "\n{:<12} {:>8} {:>10} {:>20}",
        "lang", "started", "succeeded", "amount"
    );
    for (lang, l) in &f.by_lang {
        let _ = writeln!(
            out,
            "{lang:<12} {:>8} {:>10} {:>20}",
            l.created,
            l.count,
            m(l.amount_minor)
        );
    }
    let _ = writeln!(
        out,
        "\n{:<12} {:>8} {:>10} {:>20}",
        "day (UTC)", "started", "succeeded", "amount"
    );
    for d in &f.per_day {
        let _ = writeln!(
            out,
            "{:<12} {:>8} {:>10} {:>20}",
            d.day,
            d.created,
            d.count,
            m(d.amount_minor)
        );
    }
    let active: Vec<_> = f.per_hour.iter().filter(|h| h.created > 0).collect();
    let _ = writeln!(
        out,
        "\n{:<22} {:>8} {:>10} {:>20}",
        "hour (last 48 h, UTC)", "started", "succeeded", "amount"
    );
    if active.is_empty() {
        let _ = writeln!(out, "(none)");
    }
    for h in active {
        let _ = writeln!(
            out,
            "{:<22} {:>8} {:>10} {:>20}",
            h.hour,
            h.created,
            h.count,
            m(h.amount_minor)
        );
    }
    out
}

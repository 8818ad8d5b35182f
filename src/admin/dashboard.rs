//! The dashboard page: headline figures and three charts, server-rendered, no script.

use maud::{DOCTYPE, Markup, html};

use super::charts;
use super::figures::{Figures, rfc3339_ms};
use crate::lang::Lang;
use crate::ledger::{HOUR_MS, LedgerStats, OutboxRow, OutboxSummary, Refundable, receipt_label};
use crate::money::{Currency, format_count, format_money};
use crate::plural;
use crate::render::strings::Strings;

/// Amount-distribution bucket edges, in whole currency units.
const EDGES_MAJOR: [u64; 7] = [10, 50, 100, 250, 500, 1000, 5000];

/// The latest donations, each with a refund form carrying the admin form token.
pub struct Recent<'a> {
    pub donations: &'a [Refundable],
    pub form_token: &'a str,
    /// The outbox of receipts and refund notices.
    pub outbox: &'a OutboxSummary,
    /// Whether an SMTP server is configured.
    pub emails: bool,
    /// The listed funds: with two or more, a panel gives every figure per fund.
    pub funds: &'a [crate::config::Fund],
}

pub fn page(
    f: &Figures,
    stats: &LedgerStats,
    currency: Currency,
    now_ms: i64,
    recent: &Recent<'_>,
) -> String {
    let fmt = &Strings::of(Lang::En).numbers;
    let money = |m: i64| format_money(m, currency, fmt);
    let count = |n: u64| format_count(n, fmt);
    // Whole percent, rounded down: what the site's home page says.
    let percent = crate::money::percent_of(f.raised_minor, f.goal_minor);
    let requests = plural::english("{count} request", "{count} requests");
    let errors = plural::english("{count} error", "{count} errors");
    let donations = plural::english("{count} donation", "{count} donations");
    let checkouts = plural::english("{count} pending checkout", "{count} pending checkouts");
    let events = plural::english("{count} gateway event", "{count} gateway events");
    let healed = plural::english(
        "{count} missed result healed",
        "{count} missed results healed",
    );
    let runs = plural::english("{count} run", "{count} runs");
    let s = &f.by_status;

    // Cumulative amount paid, from the first success to now.
    let cumulative = charts::cumulative(&stats.succeeded, 400);
    let mut line = cumulative.clone();
    if let Some(&(_, last)) = line.last() {
        line.push((now_ms, last));
    }
    let t0 = line.first().map_or(now_ms, |p| p.0);
    let line_points = charts::line_points(&line, t0, now_ms, charts::W, charts::H);

    // Donations per hour, the last 48 hours.
    let per_hour: Vec<i64> = stats.per_hour.iter().map(|b| b.created as i64).collect();
    let hour_labels: Vec<String> = stats
        .per_hour
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if i % 12 == 0 || i + 1 == stats.per_hour.len() {
                rfc3339_ms(b.start_ms).get(11..16).unwrap_or("").to_owned()
            } else {
                String::new()
            }
        })
        .collect();
    let hour_peak = per_hour.iter().copied().max().unwrap_or(0);

    // Distribution of succeeded amounts.
    let edges: Vec<i64> = EDGES_MAJOR
        .iter()
        .filter_map(|&e| currency.major_to_minor(e))
        .collect();
    let amounts: Vec<i64> = stats.succeeded.iter().map(|&(_, a)| a).collect();
    let hist = charts::histogram(&amounts, &edges);
    let mut hist_labels = Vec::with_capacity(hist.len());
    hist_labels.push(format!("<{}", EDGES_MAJOR[0]));
    for w in EDGES_MAJOR.windows(2) {
        hist_labels.push(format!("{}+", w[0]));
    }
    hist_labels.push(format!("{}+", EDGES_MAJOR[EDGES_MAJOR.len() - 1]));
    let hist_peak = hist.iter().copied().max().unwrap_or(0);

    let since = stats
        .first_created_ms
        .map(|t| rfc3339_ms(t).get(..10).unwrap_or("").to_owned())
        .unwrap_or_default();
    let assets = crate::site::assets();
    let markup: Markup = html! {
        (DOCTYPE)
        html lang="en" dir="ltr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { "Admin · fundraiser" }
                link rel="stylesheet" href=(assets.css);
                link rel="icon" href=(assets.icon);
            }
            body.admin {
                main.wrap {
                    header.admin-head {
                        h1 { "Donations dashboard" }
                        p.muted {
                            "As of " (f.generated_at) " · "
                            a href="/admin/stats" { "JSON" } " · "
                            a href="/admin/donations.csv" download { "Export CSV" } " · "
                            a href="/metrics" { "Metrics" }
                        }
                    }
                    section.tiles aria-label="Headline figures" {
                        div.tile.big {
                            span.label { "Raised" }
                            strong { (money(f.raised_minor)) }
                            span.sub { (percent) "% of " (money(f.goal_minor)) }
                        }
                        div.tile { span.label { "Donations" } strong { (count(s.succeeded.count)) } span.sub { "of " (count(f.created)) " started" } }
                        div.tile { span.label { "Conversion" } strong { (format!("{:.1}%", f.conversion_rate * 100.0)) } }
                        div.tile { span.label { "Average" } strong { (money(f.average_minor)) } }
                        div.tile { span.label { "Median" } strong { (money(f.median_minor)) } }
                        div.tile { span.label { "Largest" } strong { (money(f.largest_minor)) } }
                        div.tile { span.label { "Pending" } strong { (count(s.pending.count)) } span.sub { (money(s.pending.amount_minor)) } }
                        div.tile { span.label { "Refunded" } strong { (money(f.refunded_minor)) } span.sub { (plural::counted(Lang::En, &donations, f.refunded_count)) } }
                        div.tile { span.label { "Disputed" } strong { (money(f.disputed_minor)) } span.sub { (plural::counted(Lang::En, &donations, f.disputed_count)) ", of " (money(f.gross_minor)) " paid" } }
                    }
                    progress.goal max="100" value=(format!("{:.2}", f.percent_of_goal.min(100.0))) { (percent) "%" }
                    @if let Some(panel) = super::funds::panel(&f.funds, recent.funds, currency) { (panel) }
                    div.charts {
                    section.panel {
                        h2 { "Paid over time" }
                        (charts::line_chart(
                            "Cumulative amount paid, before refunds and disputes",
                            &line_points,
                            &since,
                            "now",
                            &money(cumulative.last().map_or(0, |p| p.1)),
                        ))
                    }
                    section.panel {
                        h2 { "Donations per hour (last 48 h, UTC)" }
                        (charts::bar_chart("Donations started per hour", &per_hour, &hour_labels, &format!("peak {hour_peak}/h")))
                    }
                    section.panel {
                        h2 { "Amount distribution (" (currency.code()) ")" }
                        (charts::bar_chart("Succeeded donations by amount", &hist, &hist_labels, &format!("peak {hist_peak}")))
                    }
                    }
                    section.panel {
                        h2 { "By status" }
                        table {
                            thead { tr { th { "Status" } th.num { "Count" } th.num { "Amount" } } }
                            tbody {
                                @for (name, t) in [("succeeded", s.succeeded), ("pending", s.pending), ("failed", s.failed), ("expired", s.expired)] {
                                    tr { td { (name) } td.num { (count(t.count)) } td.num { (money(t.amount_minor)) } }
                                }
                            }
                        }
                    }
                    section.panel {
                        h2 { "By language" }
                        table {
                            thead { tr { th { "Lang" } th.num { "Started" } th.num { "Paid" } th.num { "Amount" } } }
                            tbody {
                                @for (lang, l) in &f.by_lang {
                                    tr { td { (lang) } td.num { (count(l.created)) } td.num { (count(l.count)) } td.num { (money(l.amount_minor)) } }
                                }
                            }
                        }
                    }
                    section.panel #recent {
                        h2 { "Latest donations" }
                        @if recent.donations.is_empty() { p.muted { "No succeeded donations yet." } }
                        @else {
                            table {
                                thead { tr { th { "When" } th { "Donation" } th.num { "Amount" } th.num { "Refunded" } th { "Dispute" } th { "Refund" } } }
                                tbody {
                                    @for d in recent.donations {
                                        @let left = d.kept.refundable();
                                        tr {
                                            td { (rfc3339_ms(d.created_at_ms).get(..16).unwrap_or_default()) }
                                            td { code { (d.id) } }
                                            td.num { (money(d.kept.amount_minor)) }
                                            td.num {
                                                (money(d.kept.refunded_minor))
                                                @if let Some((n, amount)) = d.pending_refund {
                                                    br; span.warn { "Pending refund #" (n) ": " (money(amount)) ", not answered yet" }
                                                }
                                            }
                                            td { (match d.kept.dispute.as_str() { "" => "–", s => s }) }
                                            td {
                                                @if (left > 0 || d.pending_refund.is_some()) && d.payment_ref.is_some() {
                                                    form.refund method="post" action=(format!("/admin/donations/{}/refund", d.id)) {
                                                        input type="hidden" name="form_token" value=(recent.form_token);
                                                        // The refund this form makes: sent again, it names the same one.
                                                        input type="hidden" name="intent" value=(d.pending_refund.map_or(d.next_refund, |p| p.0));
                                                        @if let Some((_, amount)) = d.pending_refund {
                                                            button type="submit" { "Send refund of " (money(amount)) " again" }
                                                        } @else {
                                                            label {
                                                                span.visually-hidden { "Amount to refund of " (d.id) }
                                                                input type="text" name="amount" inputmode="decimal" size="8"
                                                                    placeholder=(format!("all {}", money(left)));
                                                            }
                                                            button type="submit" { "Refund" }
                                                        }
                                                    }
                                                } @else { span.muted { "–" } }
                                            }
                                        }
                                    }
                                }
                            }
                            p.muted { "Leave the amount empty to refund all that is left. A refund goes to the payment provider first and is recorded once it accepts it. A refund the provider did not answer stays pending until its answer or its own notice of the refund arrives; sending it again repeats that same refund, never a second one." }
                        }
                    }
                    (outbox_panel(recent))
                    section.panel #reconciliation {
                        h2 { "Reconciliation" }
                        @let r = &f.reconciliation;
                        @match &r.last {
                            None => p.muted { "Not run yet. It asks the payment provider about checkouts whose result never arrived, and applies the events its notifications missed." },
                            Some(last) => {
                                p {
                                    "Last reconciled at " (last.finished_at.get(..19).unwrap_or_default().replace('T', " ")) " UTC: "
                                    (plural::counted(Lang::En, &checkouts, last.sessions_checked)) " checked, "
                                    (plural::counted(Lang::En, &events, last.events_listed)) " listed, "
                                    (plural::counted(Lang::En, &healed, last.healed)) "."
                                }
                                @if let Some(error) = &last.error {
                                    p.warn { "It stopped early: " (error) ". The next run resumes where it stopped." }
                                }
                                p.muted { (plural::counted(Lang::En, &healed, r.healed)) " in " (plural::counted(Lang::En, &runs, r.runs)) " since the ledger began." }
                            }
                        }
                        form method="post" action="/admin/reconcile" {
                            input type="hidden" name="form_token" value=(recent.form_token);
                            button type="submit" { "Reconcile now" }
                        }
                    }
                    section.panel {
                        h2 { "Server" }
                        p.muted {
                            "Last donation: " (f.last_donation_at.as_deref().unwrap_or("none yet"))
                            " · version " (f.server.version)
                            " · up " (humantime::format_duration(std::time::Duration::from_secs(f.server.uptime_s)))
                            " · " (plural::counted(Lang::En, &requests, f.server.requests)) ", " (plural::counted(Lang::En, &errors, f.server.responses_5xx)) " (5xx)"
                        }
                        @if stats.per_hour.is_empty() { p { "No data." } }
                        @else if stats.per_hour.iter().all(|b| b.created == 0) && HOUR_MS > 0 {
                            p.muted { "No donations in the last 48 hours." }
                        }
                    }
                }
            }
        }
    };
    markup.into_string()
}

/// The outbox: counts, the messages not sent (with why), the latest sent, and a form on
/// each to send the receipt again (to a corrected address when one is typed).
fn outbox_panel(recent: &Recent<'_>) -> Markup {
    let o = recent.outbox;
    let fmt = &Strings::of(Lang::En).numbers;
    let count = |n: u64| format_count(n, fmt);
    let rows = |list: &[OutboxRow], sent: bool| {
        html! {
            table {
                thead { tr {
                    th { "Queued" } th { "Receipt" } th { "Kind" } th { "To" }
                    @if sent { th { "Sent" } } @else { th { "Status" } th.num { "Attempts" } th { "Last error" } }
                    th { "Send again" }
                } }
                tbody {
                    @for m in list {
                        tr {
                            td { (rfc3339_ms(m.created_at_ms).get(..16).unwrap_or_default()) }
                            td { (m.receipt_number.map(receipt_label).unwrap_or_default()) }
                            td { (m.kind.as_str()) }
                            td { (m.to) }
                            @if sent {
                                td { (m.sent_at_ms.map(rfc3339_ms).unwrap_or_default().get(..16).unwrap_or_default()) }
                            } @else {
                                td { (m.status) @if m.status == "queued" && m.attempts > 0 { " (next " (rfc3339_ms(m.next_at_ms).get(11..16).unwrap_or_default()) " UTC)" } }
                                td.num { (m.attempts) }
                                td { (m.last_error.as_deref().unwrap_or("–")) }
                            }
                            td {
                                @if m.kind == crate::ledger::MessageKind::Receipt {
                                    form.refund method="post" action=(format!("/admin/donations/{}/receipt", m.donation_id)) {
                                        input type="hidden" name="form_token" value=(recent.form_token);
                                        label {
                                            span.visually-hidden { "Send the receipt of " (m.donation_id) " to" }
                                            input type="email" name="email" size="16" placeholder=(m.to);
                                        }
                                        button type="submit" { "Send" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html! {
        section.panel #outbox {
            h2 { "Receipts by email" }
            @if !recent.emails {
                p.warn { "No email server is configured (email.smtp_url): receipts are not emailed. Donors still get their printable receipt from the thank-you page." }
            }
            p {
                (count(o.queued)) " queued · " (count(o.sent)) " sent · " (count(o.failed)) " failed"
            }
            @if o.waiting.is_empty() {
                p.muted { "Nothing is waiting: every receipt queued so far was accepted by the email server." }
            } @else {
                h3 { "Waiting or failed" }
                (rows(&o.waiting, false))
            }
            @if !o.sent_recently.is_empty() {
                h3 { "Latest sent" }
                (rows(&o.sent_recently, true))
            }
            p.muted { "A message failing for now is tried again after 1 minute, 5, 30, 2 hours, then every 6 hours for 3 days (email.retry). Leave the address empty to send to the one stored; a corrected address is kept." }
        }
    }
}

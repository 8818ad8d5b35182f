//! A receipt or refund notice as an email: `multipart/alternative` with a plain-text part
//! and an HTML part (right-to-left for Arabic), in the donor's language, with a
//! Message-ID derived from the donation. No remote images, no tracking. lettre encodes
//! the subject and names per RFC 2047 and the bodies as quoted-printable; whatever a
//! donor typed as a name is stripped of control characters before it reaches a header
//! and escaped by maud in the HTML.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use maud::{DOCTYPE, Markup, html};

use super::ReceiptView;
use crate::config::EmailSettings;
use crate::ledger::{MessageKind, Outgoing};
use crate::render::strings::Strings;

/// Why a message could not be built (an address the SMTP server would refuse anyway):
/// permanent, so it is given up and the admin sees why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ComposeError(pub String);

/// The message for an outbox entry.
pub fn compose(
    out: &Outgoing,
    view: &ReceiptView,
    email: &EmailSettings,
) -> Result<Message, ComposeError> {
    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| ComposeError(format!("email.from: {e}")))?;
    let address = out
        .to
        .trim()
        .parse()
        .map_err(|_| ComposeError(format!("{:?} is not an email address", out.to)))?;
    let to = Mailbox::new(view.name.as_deref().map(header_safe), address);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .message_id(Some(format!("<{}@{}>", out.message_key, email.domain)))
        .date_now();
    if let Some(reply_to) = &email.reply_to
        && let Ok(mailbox) = reply_to.parse::<Mailbox>()
    {
        builder = builder.reply_to(mailbox);
    }
    let (subject, text, html) = match out.kind {
        MessageKind::Receipt => (
            view.subject(),
            body_text(view, &view.thanks()),
            body_html(view, &view.thanks(), &view.subject()),
        ),
        MessageKind::Refund => {
            let refund = refund_line(view, out);
            let subject = Strings::fill(
                &view.strings().receipt.refund_subject,
                &[("charity", &view.charity), ("number", &view.number)],
            );
            let text = body_text(view, &refund);
            let html = body_html(view, &refund, &subject);
            (subject, text, html)
        }
    };
    // Test money says so before anything else, in the subject and the first line.
    let subject = if view.test {
        Strings::fill(
            &view.strings().receipt.test_subject,
            &[("subject", &subject)],
        )
    } else {
        subject
    };
    builder
        .subject(header_safe(&subject))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.into_string()),
                ),
        )
        .map_err(|e| ComposeError(format!("cannot build the message: {e}")))
}

/// A header value with no line breaks or other control characters.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn refund_line(view: &ReceiptView, out: &Outgoing) -> String {
    let t = view.strings();
    let amount = crate::money::Currency::from_code(&out.receipt.currency).map_or_else(
        || out.amount_minor.to_string(),
        |c| crate::money::format_money(out.amount_minor, c, &t.numbers),
    );
    Strings::fill(&t.receipt.refund, &[("amount", &amount)])
}

/// The plain-text part: the greeting, `lead`, the receipt line by line, its link.
fn body_text(view: &ReceiptView, lead: &str) -> String {
    let r = &view.strings().receipt;
    let mut out = String::new();
    if view.test {
        out.push_str(&format!("{}\n\n", r.test_mark));
    }
    out.push_str(&format!("{}\n\n{lead}\n\n", header_safe(&view.greeting())));
    if view.test {
        out.push_str(&format!("{}\n\n", r.test));
    }
    for (label, value) in view.lines() {
        out.push_str(&format!("{label}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&Strings::fill(&r.view_online, &[("link", &view.link)]));
    out.push_str("\n\n");
    out.push_str(&view.questions());
    out.push_str(&format!(
        "\n\n{}\n{}\n\n-- \n{}\n",
        r.sign_off, view.charity, view.registration
    ));
    out
}

/// The HTML part. Styles inline (mail clients drop style sheets), no images.
fn body_html(view: &ReceiptView, lead: &str, title: &str) -> Markup {
    let t = view.strings();
    let r = &t.receipt;
    let align = if t.is_rtl() { "right" } else { "left" };
    let cell = format!("padding:6px 0;text-align:{align};vertical-align:top;");
    html! {
        (DOCTYPE)
        html lang=(t.lang) dir=(t.dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
            }
            body style="margin:0;padding:0;background:#f4f6f7;color:#1d2b33;font-family:-apple-system,'Segoe UI',Tahoma,Arial,sans-serif;font-size:16px;line-height:1.5;" {
                div dir=(t.dir) style={"max-width:560px;margin:0 auto;padding:24px 20px;background:#ffffff;text-align:" (align) ";"} {
                    @if view.test {
                        p style="margin:0 0 16px;padding:8px 12px;background:#fff4d6;border-radius:6px;font-weight:700;" { (r.test_mark) }
                    }
                    p style="margin:0 0 4px;font-weight:700;color:#0b6e7f;" { (view.charity) }
                    h1 style="margin:0 0 16px;font-size:22px;" {
                        (Strings::fill(&r.heading, &[("number", &view.number)]))
                    }
                    p style="margin:0 0 12px;" { (view.greeting()) }
                    p style="margin:0 0 16px;" { (lead) }
                    @if view.test {
                        p style="margin:0 0 16px;padding:8px 12px;background:#fff4d6;border-radius:6px;" { (r.test) }
                    }
                    table role="presentation" style="width:100%;border-collapse:collapse;margin:0 0 16px;border-top:1px solid #d5dde1;" {
                        @for (label, value) in view.lines() {
                            tr style="border-bottom:1px solid #d5dde1;" {
                                th scope="row" style={(cell) "font-weight:600;padding-inline-end:16px;width:45%;"} { (label) }
                                td style=(cell) dir="auto" { (value) }
                            }
                        }
                    }
                    p style="margin:0 0 16px;" {
                        a href=(view.link) style="color:#0b6e7f;font-weight:600;" { (r.print) }
                    }
                    p style="margin:0 0 16px;" {
                        (view.questions_words()) br;
                        a href=(view.contact) dir="ltr" style="color:#0b6e7f;" { (view.contact) }
                    }
                    p style="margin:0;" { (r.sign_off) br; (view.charity) }
                    p style="margin:24px 0 0;font-size:13px;color:#5a6b74;" { (view.registration) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::header_safe;

    #[test]
    fn a_header_value_never_breaks_a_line() {
        assert_eq!(header_safe("Amal\r\nBcc: x@y.z"), "Amal  Bcc: x@y.z");
        assert_eq!(header_safe("\u{7}Omar\t"), "Omar");
    }
}

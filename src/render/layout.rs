//! The page shell and the per-page main content, as maud templates.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::content::Page;
use super::origin::absolute;
use super::slot;
use super::strings::Strings;
use crate::lang::Lang;

/// Fingerprinted asset URLs.
#[derive(Debug, Clone)]
pub struct Assets {
    pub css: String,
    pub js: String,
    pub icon: String,
    /// The share card of each language.
    pub share: Vec<ShareImage>,
}

/// A language's share card: the picture a chat shows for a link to the site.
#[derive(Debug, Clone)]
pub struct ShareImage {
    pub lang: String,
    /// Its fingerprinted path, `/assets/share-en.<hash>.png`.
    pub url: String,
    pub width: u32,
    pub height: u32,
}

impl Assets {
    /// The share card of a language (the first one when it has none of its own).
    pub fn share_image(&self, lang: &str) -> Option<&ShareImage> {
        self.share
            .iter()
            .find(|s| s.lang == lang)
            .or(self.share.first())
    }
}

#[derive(Debug, Clone)]
pub struct MenuItem {
    pub label: String,
    pub href: String,
}

/// Everything the shell needs around a page's main content.
pub struct Shell<'a> {
    pub strings: &'a Strings,
    /// Strings of the other language, for the language switch.
    pub other: &'a Strings,
    pub menu: &'a [MenuItem],
    pub assets: &'a Assets,
    /// This page's path, e.g. `/ar/donate/`.
    pub href: &'a str,
    /// The same page in the other language.
    pub twin_href: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// Whether the page loads the script (pages showing the live total or the form).
    pub script: bool,
    /// `noindex` for pages that must stay out of search engines.
    pub noindex: bool,
    /// Whether the page carries the charity's structured data (the home pages).
    pub structured_data: bool,
}

/// Path of a language's home page, by its code: `/`, `/ar/`. `build.rs` refuses a
/// strings file of any other code than `Lang`'s.
pub fn home_href(lang: &str) -> String {
    page_href(lang, "")
}

/// Path of a page in a language: `/donate/`, `/ar/donate/`.
pub fn page_href(lang: &str, slug: &str) -> String {
    Lang::from_code(lang).unwrap_or(Lang::En).page(slug)
}

const LOGO: &str = r##"<svg class="logo" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false"><path d="M16 3c5 6.6 9 11.6 9 16.3A9 9 0 0 1 7 19.3C7 14.6 11 9.6 16 3z" fill="currentColor"/><path d="M12.5 20.5a4 4 0 0 0 4 3.5" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>"##;

pub fn shell(s: &Shell<'_>, main: Markup) -> Markup {
    let t = s.strings;
    // A page with no address of its own (the 404 page) points at the home pages.
    let own = if s.href.is_empty() {
        home_href(&t.lang)
    } else {
        s.href.to_owned()
    };
    let zakat = page_href(&t.lang, super::optional::ZAKAT);
    let (en_href, ar_href) = if t.lang == "en" {
        (own.as_str(), s.twin_href)
    } else {
        (s.twin_href, own.as_str())
    };
    html! {
        (DOCTYPE)
        html lang=(t.lang) dir=(t.dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (s.title) " · " (t.charity) }
                meta name="description" content=(s.description);
                @if s.noindex { meta name="robots" content="noindex"; }
                meta name="theme-color" content="#0b5f73";
                link rel="stylesheet" href=(s.assets.css);
                link rel="icon" href=(s.assets.icon) type="image/svg+xml";
                @if !s.href.is_empty() && !s.noindex { link rel="canonical" href=(absolute(s.href)); }
                link rel="alternate" hreflang="en" href=(absolute(en_href));
                link rel="alternate" hreflang="ar" href=(absolute(ar_href));
                link rel="alternate" hreflang="x-default" href=(absolute(en_href));
                (open_graph(s, &own))
                @if s.structured_data { (super::seo::structured_data(t, &home_href(&t.lang))) }
                @if s.script { script src=(s.assets.js) defer {} }
            }
            body {
                a.skip href="#main" { (t.skip_link) }
                (PreEscaped(super::NOTICE_MARKER))
                header.site-header {
                    div.wrap.bar {
                        a.brand href=(home_href(&t.lang)) {
                            (PreEscaped(LOGO))
                            span { (t.charity) }
                        }
                        a.lang-switch href=(s.twin_href) hreflang=(s.other.lang) lang=(s.other.lang)
                            title=(t.switch_language_label) {
                            (s.other.language_name)
                        }
                    }
                    nav.wrap.menu aria-label=(t.menu_label) {
                        ul {
                            @for item in s.menu { (menu_item(item, s.href, &zakat)) }
                        }
                    }
                }
                main #main.wrap tabindex="-1" { (main) }
                footer.site-footer {
                    div.wrap {
                        p { (t.footer_secure) }
                        p.small { (t.footer) }
                    }
                }
            }
        }
    }
}

/// A link of the menu; the calculator's only while a Zakat fund is listed (`optional`).
fn menu_item(item: &MenuItem, current: &str, zakat: &str) -> Markup {
    let li = html! {
        li {
            @if item.href == current {
                a href=(item.href) aria-current="page" { (item.label) }
            } @else {
                a href=(item.href) { (item.label) }
            }
        }
    };
    match item.href == zakat {
        true => PreEscaped(super::optional::zakat_only(&li.into_string())),
        false => li,
    }
}

/// The Open Graph and Twitter card tags: what a chat or a social network shows for a
/// link to the page.
fn open_graph(s: &Shell<'_>, own: &str) -> Markup {
    let t = s.strings;
    let image = s.assets.share_image(&t.lang);
    let alt = t.about_campaign(&t.share.image_alt);
    html! {
        meta property="og:type" content="website";
        meta property="og:site_name" content=(t.charity);
        meta property="og:title" content=(s.title);
        meta property="og:description" content=(s.description);
        meta property="og:url" content=(absolute(own));
        meta property="og:locale" content=(t.locale);
        meta property="og:locale:alternate" content=(s.other.locale);
        @if let Some(image) = image {
            meta property="og:image" content=(absolute(&image.url));
            meta property="og:image:type" content="image/png";
            meta property="og:image:width" content=(image.width);
            meta property="og:image:height" content=(image.height);
            meta property="og:image:alt" content=(alt);
        }
        meta name="twitter:card" content="summary_large_image";
    }
}

/// The banner of a public demonstration site, first on every page.
pub fn demo_notice(t: &Strings) -> Markup {
    html! {
        div.demo-notice role="note" {
            strong { (t.demo_notice) }
        }
    }
}

/// The main content of a content page, by its slug. Live parts are left as slots.
pub fn main_content(t: &Strings, page: &Page) -> Markup {
    let body = PreEscaped(page.body_html.as_str());
    let donate = page_href(&t.lang, "donate");
    match page.meta.slug.as_str() {
        "" => html! {
            section.hero aria-labelledby="title" {
                p.eyebrow { (t.charity) }
                h1 #title { (page.meta.title) }
                p.lede { (t.tagline) }
                (PreEscaped(slot("tally")))
                a.button.cta href=(donate) { (t.donate_cta) }
            }
            article.prose { (body) }
            p.closing { a.button.cta href=(donate) { (t.donate_cta) } }
        },
        "donate" => html! {
            h1 { (page.meta.title) }
            div.prose.intro { (body) }
            (PreEscaped(slot("donate_form")))
        },
        "success" => html! {
            section.notice.ok {
                (PreEscaped(r##"<svg class="badge" viewBox="0 0 48 48" width="56" height="56" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="22" fill="currentColor"/><path d="M14 25l7 7 13-15" fill="none" stroke="#fff" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/></svg>"##))
                h1 { (page.meta.title) }
                (PreEscaped(slot("receipt")))
                div.prose { (body) }
            }
            (super::share::section(t))
            p.closing { a.button href=(home_href(&t.lang)) { (t.form.back_home) } }
        },
        "error" => html! {
            section.notice.warn {
                (PreEscaped(r##"<svg class="badge" viewBox="0 0 48 48" width="56" height="56" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="22" fill="currentColor"/><path d="M24 13v14" stroke="#fff" stroke-width="4" stroke-linecap="round"/><circle cx="24" cy="34" r="2.6" fill="#fff"/></svg>"##))
                h1 { (page.meta.title) }
                div.prose { (body) }
                p { a.button.cta href=(donate) { (t.form.try_again) } }
            }
        },
        "zakat" => html! {
            h1 { (page.meta.title) }
            div.prose.intro { (body) }
            (PreEscaped(slot("zakat")))
        },
        "404" => html! {
            h1 { (page.meta.title) }
            article.prose { (body) }
            p.closing { a.button.cta href=(donate) { (t.donate_cta) } }
        },
        _ => html! {
            h1 { (page.meta.title) }
            article.prose { (body) }
        },
    }
}

/// One preset amount button of the donate form.
pub struct Preset {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The donate form as shown to a donor, possibly after a refused submission.
pub struct DonateFormView<'a> {
    pub presets: &'a [Preset],
    pub amount: &'a str,
    pub amount_hint: &'a str,
    pub amount_error: Option<&'a str>,
    pub name: &'a str,
    pub email: &'a str,
    pub email_error: Option<&'a str>,
    pub name_error: Option<&'a str>,
    /// A message above the form, announced at once.
    pub notice: Option<&'a str>,
    pub anonymous: bool,
    /// When the campaign has ended the form is replaced by a notice.
    pub ended: bool,
    /// Where the form posts: `/donate`, or on the API's origin.
    pub action: &'a str,
    /// The funds to choose from; none with a single fund.
    pub funds: &'a [super::funds::FundChoice<'a>],
}

pub fn donate_form(t: &Strings, v: &DonateFormView<'_>) -> Markup {
    let f = &t.form;
    if v.ended {
        return html! { p.notice.ended role="status" { (f.ended) } };
    }
    let any_error = v.amount_error.is_some() || v.email_error.is_some() || v.name_error.is_some();
    let amount_describedby = if v.amount_error.is_some() {
        "amount-error amount-hint"
    } else {
        "amount-hint"
    };
    html! {
        form.donate method="post" action=(v.action) novalidate {
            @if let Some(notice) = v.notice {
                div.error-summary role="alert" { p { (notice) } }
            } @else if any_error {
                div.error-summary role="alert" { p { (f.error_summary) } }
            }
            input type="hidden" name="lang" value=(t.lang);
            @if !v.funds.is_empty() { (super::funds::fund_choice(t, v.funds)) }
            fieldset.amounts {
                legend { (f.choose_amount) }
                div.presets {
                    @for p in v.presets {
                        label.preset {
                            @if p.checked {
                                input type="radio" name="preset" value=(p.value) checked;
                            } @else {
                                input type="radio" name="preset" value=(p.value);
                            }
                            span { (p.label) }
                        }
                    }
                }
                div.field.custom.invalid[v.amount_error.is_some()] {
                    label for="amount" { (f.amount_label) }
                    p #amount-hint.hint { (v.amount_hint) }
                    @if let Some(e) = v.amount_error {
                        p #amount-error.field-error { (e) }
                        input #amount type="text" name="amount" inputmode="decimal" autocomplete="transaction-amount"
                            value=(v.amount) aria-invalid="true" aria-describedby=(amount_describedby);
                    } @else {
                        input #amount type="text" name="amount" inputmode="decimal" autocomplete="transaction-amount"
                            value=(v.amount) aria-describedby=(amount_describedby);
                    }
                }
            }
            fieldset.details {
                legend { (f.details_legend) }
                div.field.invalid[v.name_error.is_some()] {
                    label for="name" { (f.name_label) }
                    @if let Some(e) = v.name_error {
                        p #name-error.field-error { (e) }
                        input #name type="text" name="name" autocomplete="name" maxlength="100" value=(v.name)
                            aria-invalid="true" aria-describedby="name-error";
                    } @else {
                        input #name type="text" name="name" autocomplete="name" maxlength="100" value=(v.name);
                    }
                }
                div.field.invalid[v.email_error.is_some()] {
                    label for="email" { (f.email_label) }
                    @if let Some(e) = v.email_error {
                        p #email-error.field-error { (e) }
                        input #email type="email" name="email" autocomplete="email" maxlength="254" dir="ltr" value=(v.email)
                            aria-invalid="true" aria-describedby="email-error";
                    } @else {
                        input #email type="email" name="email" autocomplete="email" maxlength="254" dir="ltr" value=(v.email);
                    }
                }
                label.check {
                    @if v.anonymous {
                        input type="checkbox" name="anonymous" value="1" checked;
                    } @else {
                        input type="checkbox" name="anonymous" value="1";
                    }
                    span { (f.anonymous_label) }
                }
            }
            div.hp aria-hidden="true" {
                label for="website" { "Website" }
                input #website type="text" name="website" tabindex="-1" autocomplete="off";
            }
            button.button.cta type="submit" { (f.submit) }
        }
    }
}

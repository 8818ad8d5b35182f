//! The Zakat calculator's page (`/zakat/`, `/ar/zakat/`), there only while a fund `zakat`
//! is listed: the form as the donor sent it (a GET: nothing is stored, and the access log
//! writes paths without their query), with the result worked out by `crate::zakat`.

use serde_json::json;

use crate::config::Settings;
use crate::lang::Lang;
use crate::money::{CurrencyName, format_money, minor_to_plain};
use crate::render::strings::Strings;
use crate::render::zakat::{CalculatorView, FieldView, ResultView, calculator};
use crate::zakat::{Field, FieldError, Holdings, Nisab, assess, parse_field};

/// Whether the calculator is offered: while a fund `zakat` is listed.
pub fn offered(settings: &Settings) -> bool {
    settings.fund("zakat").is_some()
}

/// What `fundraiser check` warns of: a price missing while the calculator is offered.
pub fn check_warnings(settings: &Settings) -> Vec<String> {
    let prices = &settings.zakat.prices;
    let missing = [
        ("gold", prices.gold_minor_per_gram),
        ("silver", prices.silver_minor_per_gram),
    ];
    missing
        .into_iter()
        .filter(|(_, price)| offered(settings) && *price == 0)
        .map(|(metal, _)| {
            format!(
                "zakat.{metal}_price_per_gram is not set: the Zakat calculator cannot value the {metal} nisab; set it to today's price of a gram in {}, with zakat.prices_date",
                settings.currency.code()
            )
        })
        .collect()
}

/// The calculator's path in a language.
pub fn path(lang: Lang) -> String {
    lang.page(crate::render::optional::ZAKAT)
}

/// The language of a calculator path (with or without `index.html`), when it is one.
pub fn lang_of(path: &str) -> Option<Lang> {
    Lang::ALL.into_iter().find(|lang| {
        let own = self::path(*lang);
        path == own || path.strip_suffix("index.html") == Some(own.as_str())
    })
}

/// The form's fields as sent (`[(name, value)]`, the query's pairs in order).
#[derive(Debug, Default, Clone)]
pub struct Query {
    values: [String; 6],
    nisab: Nisab,
    /// Whether anything was sent: the result is shown only then.
    sent: bool,
}

impl Query {
    /// The calculator's fields among `pairs`; others are ignored, a repeated one counts once.
    pub fn from_pairs(pairs: &[(String, String)]) -> Query {
        let mut q = Query::default();
        for (name, value) in pairs {
            if let Some(i) = Field::ALL.iter().position(|f| f.name() == name) {
                q.values[i] = value.chars().take(64).collect();
                q.sent = true;
            } else if name == "nisab" {
                q.nisab = Nisab::parse(value).unwrap_or_default();
                q.sent = true;
            }
        }
        q
    }
}

/// The calculator as answered for `query`, and whether every field was a number.
pub fn page_main(lang: Lang, settings: &Settings, query: &Query) -> (String, bool) {
    let t = Strings::of(lang);
    let z = &t.zakat;
    let fmt = &t.numbers;
    let currency = settings.currency;
    let prices = settings.zakat.prices;
    let money = |minor: i64| format_money(minor, currency, fmt);
    let priced = |minor: i64| {
        if minor > 0 {
            money(minor)
        } else {
            z.no_price.clone()
        }
    };
    let mut holdings = [0_i64; 6];
    let mut errors: [Option<String>; 6] = Default::default();
    for (i, field) in Field::ALL.into_iter().enumerate() {
        match parse_field(field, &query.values[i], currency) {
            Ok(v) => holdings[i] = v,
            Err(e) => errors[i] = Some(error_text(t, e)),
        }
    }
    let h = Holdings {
        cash: holdings[0],
        gold_mg: holdings[1],
        silver_mg: holdings[2],
        investments: holdings[3],
        receivables: holdings[4],
        debts: holdings[5],
    };
    let assessed = match assess(&h, &prices, query.nisab) {
        Ok(a) => Some(a),
        Err(field) => {
            let i = Field::ALL.iter().position(|f| *f == field).unwrap_or(0);
            errors[i] = Some(z.too_large.clone());
            None
        }
    };
    let valid = errors.iter().all(Option::is_none);
    let result = match assessed {
        Some(a) if valid && query.sent => Some(ResultView {
            net: Strings::fill(
                &z.net,
                &[
                    ("net", &money(a.net_minor)),
                    ("nisab", &priced(a.nisab_minor)),
                ],
            ),
            verdict: match a.due_minor {
                Some(due) => Strings::fill(&z.due, &[("due", &money(due))]),
                None if a.nisab_minor == 0 => z.unpriced.clone(),
                None => z.below.clone(),
            },
            give_href: a.due_minor.map(|due| give_href(lang, due, settings)),
        }),
        _ => None,
    };
    let labels = [
        &z.cash_label,
        &z.gold_label,
        &z.silver_label,
        &z.investments_label,
        &z.receivables_label,
        &z.debts_label,
    ];
    let view_of = |i: usize| FieldView {
        name: Field::ALL[i].name(),
        label: labels[i],
        value: &query.values[i],
        error: errors[i].as_deref(),
    };
    let gold = Nisab::Gold.value(&prices);
    let silver = Nisab::Silver.value(&prices);
    let price_values = [
        ("gold", priced(prices.gold_minor_per_gram)),
        ("silver", priced(prices.silver_minor_per_gram)),
        ("date", settings.zakat.prices_date.clone()),
    ];
    let price_values: Vec<(&str, &str)> =
        price_values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let prices_text = match settings.zakat.prices_date.is_empty() {
        true => Strings::fill(&z.prices, &price_values),
        false => Strings::fill(&z.prices_dated, &price_values),
    };
    let view = CalculatorView {
        action: &path(lang),
        assets: [view_of(0), view_of(1), view_of(2), view_of(3), view_of(4)],
        debts: view_of(5),
        silver: query.nisab == Nisab::Silver,
        nisab_gold: &Strings::fill(&z.nisab_gold, &[("value", &priced(gold))]),
        nisab_silver: &Strings::fill(&z.nisab_silver, &[("value", &priced(silver))]),
        prices: &prices_text,
        script_data: &script_data(lang, settings),
        result,
    };
    (calculator(t, &view).into_string(), valid)
}

/// The donate form of the page's language with the Zakat fund and `due` chosen.
fn give_href(lang: Lang, due: i64, settings: &Settings) -> String {
    let amount = minor_to_plain(due, settings.currency);
    format!("{}?fund=zakat&amount={amount}", lang.page("donate"))
}

fn error_text(t: &Strings, e: FieldError) -> String {
    let z = &t.zakat;
    match e {
        FieldError::NotANumber => z.not_a_number.clone(),
        FieldError::Negative => z.negative.clone(),
        FieldError::TooManyDecimals { allowed } => Strings::fill(
            &z.too_many_decimals,
            &[("decimals", &t.numbers.localize_digits(&allowed.to_string()))],
        ),
        FieldError::TooLarge => z.too_large.clone(),
    }
}

/// What `assets/app.js` needs to work the result out as `page_main` does: the prices,
/// how the language writes an amount, the texts, and where the donate form is.
fn script_data(lang: Lang, settings: &Settings) -> String {
    let t = Strings::of(lang);
    let z = &t.zakat;
    let fmt = &t.numbers;
    let code = settings.currency.code();
    let name = match fmt.currency_symbols.get(code) {
        None => json!(code),
        Some(CurrencyName::Symbol(s)) => json!(s),
        Some(CurrencyName::Word(f)) => json!({
            "zero": f.zero, "one": f.one, "two": f.two, "few": f.few, "many": f.many, "other": f.other,
        }),
    };
    json!({
        "gold": settings.zakat.prices.gold_minor_per_gram.to_string(),
        "silver": settings.zakat.prices.silver_minor_per_gram.to_string(),
        "exponent": settings.currency.exponent(),
        "digits": fmt.digits,
        "group": fmt.group_separator,
        "decimal": fmt.decimal_separator,
        "pattern": fmt.money_pattern,
        "currency": name,
        "rules": t.lang,
        "texts": { "net": z.net, "due": z.due, "below": z.below, "unpriced": z.unpriced, "no_price": z.no_price },
        "donate": lang.page("donate"),
    })
    .to_string()
}

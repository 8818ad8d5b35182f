//! A currency's name as a language writes it beside an amount: a symbol that never changes
//! (`د.إ`, `€`), or a word that agrees with the number in the language's CLDR plural forms
//! (Arabic: ٥ دولارات, ٥٠ دولارًا, ١٠٠ دولار).

use serde::Deserialize;

/// `USD = "US$"` or `USD = { one = "...", few = "...", many = "...", other = "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CurrencyName {
    Symbol(String),
    Word(Plural),
}

/// A text in each CLDR plural category its language uses: English needs `one` and
/// `other`; Arabic `zero`, `one`, `two`, `few`, `many` and `other`. A missing form takes
/// `other`. Counted texts (`{count} donations`, chosen by the `plural` module) and
/// currency words beside an amount both use it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plural {
    pub zero: Option<String>,
    pub one: Option<String>,
    pub two: Option<String>,
    pub few: Option<String>,
    pub many: Option<String>,
    pub other: String,
}

impl Plural {
    /// The text of a form (`other` when the form is not given).
    pub fn pick(&self, form: Form) -> &str {
        match form {
            Form::Zero => self.zero.as_deref(),
            Form::One => self.one.as_deref(),
            Form::Two => self.two.as_deref(),
            Form::Few => self.few.as_deref(),
            Form::Many => self.many.as_deref(),
            Form::Other => None,
        }
        .unwrap_or(&self.other)
    }
}

impl CurrencyName {
    /// The name beside an amount whose integer part is `whole`, with visible decimals when
    /// `fraction`.
    pub fn for_amount(&self, rules: PluralRules, whole: u64, fraction: bool) -> &str {
        match self {
            CurrencyName::Symbol(s) => s,
            CurrencyName::Word(forms) => forms.pick(rules.form(whole, fraction)),
        }
    }

    /// Every way it is written, for finding it in a text.
    pub fn all(&self) -> Vec<&str> {
        match self {
            CurrencyName::Symbol(s) => vec![s],
            CurrencyName::Word(f) => [&f.zero, &f.one, &f.two, &f.few, &f.many]
                .into_iter()
                .filter_map(|o| o.as_deref())
                .chain(std::iter::once(f.other.as_str()))
                .collect(),
        }
    }
}

/// A CLDR plural category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

/// The CLDR cardinal rules of the site's languages, for amounts. `plural.rs` chooses
/// counted texts by ICU4X's compiled rules; these are the same rules written out for the
/// two languages (a unit test there checks they agree), because `build.rs` compiles this
/// module without ICU4X.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PluralRules {
    #[default]
    English,
    Arabic,
}

impl PluralRules {
    /// The rules of a BCP 47 language code; English's (one, other) for any other.
    pub fn of_lang(lang: &str) -> PluralRules {
        match lang {
            "ar" => PluralRules::Arabic,
            _ => PluralRules::English,
        }
    }

    /// The form of a number with integer part `whole`, with visible decimals when
    /// `fraction` (CLDR gives such numbers `other`, but for English's `1.5`, also `other`).
    pub fn form(self, whole: u64, fraction: bool) -> Form {
        if fraction {
            return Form::Other;
        }
        match self {
            PluralRules::English if whole == 1 => Form::One,
            PluralRules::English => Form::Other,
            PluralRules::Arabic => match (whole, whole % 100) {
                (0, _) => Form::Zero,
                (1, _) => Form::One,
                (2, _) => Form::Two,
                (_, 3..=10) => Form::Few,
                (_, 11..=99) => Form::Many,
                _ => Form::Other,
            },
        }
    }
}

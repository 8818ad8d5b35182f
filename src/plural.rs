//! Counted texts in each language's plural forms ("1 donation", "2 donations", "تبرّعان"),
//! chosen by the CLDR plural rules of ICU4X (`icu_plurals`, compiled data).

use icu_locale_core::locale;
use icu_plurals::{PluralCategory, PluralRules};

use crate::lang::Lang;
use crate::money::{Form, format_count};
use crate::render::strings::{Plural, Strings};

thread_local! {
    /// Cardinal rules per language, in `Lang::index` order (ICU4X's data is not `Sync`,
    /// so each thread keeps its own). The compiled data holds both languages, so `None`
    /// (every count takes the `other` form) cannot happen in a built binary; it keeps the
    /// lookup free of a panic path.
    static RULES: [Option<PluralRules>; 2] = [
        PluralRules::try_new_cardinal(locale!("en").into()).ok(),
        PluralRules::try_new_cardinal(locale!("ar").into()).ok(),
    ];
}

/// The CLDR plural category of `n` in `lang`.
pub fn category(lang: Lang, n: u64) -> PluralCategory {
    RULES.with(|rules| {
        rules[lang.index()]
            .as_ref()
            .map_or(PluralCategory::Other, |r| r.category_for(n))
    })
}

/// The form of `n` in `lang`, as the texts name them.
fn form(lang: Lang, n: u64) -> Form {
    match category(lang, n) {
        PluralCategory::Zero => Form::Zero,
        PluralCategory::One => Form::One,
        PluralCategory::Two => Form::Two,
        PluralCategory::Few => Form::Few,
        PluralCategory::Many => Form::Many,
        PluralCategory::Other => Form::Other,
    }
}

/// The form of `text` for `n` in `lang`, with `{count}` written in the language's digits.
pub fn counted(lang: Lang, text: &Plural, n: u64) -> String {
    Strings::fill(
        text.pick(form(lang, n)),
        &[("count", &format_count(n, &Strings::of(lang).numbers))],
    )
}

/// An English text with a singular and a plural, for the admin pages (English only).
pub fn english(one: &str, other: &str) -> Plural {
    Plural {
        zero: None,
        one: Some(one.to_owned()),
        two: None,
        few: None,
        many: None,
        other: other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNTS: [u64; 7] = [0, 1, 2, 3, 11, 100, 101];

    fn donations(lang: Lang, n: u64) -> String {
        counted(lang, &Strings::of(lang).donations_count, n)
    }

    #[test]
    fn english_counts_say_donation_once_and_donations_otherwise() {
        let got: Vec<String> = COUNTS.iter().map(|&n| donations(Lang::En, n)).collect();
        assert_eq!(
            got,
            [
                "0 donations",
                "1 donation",
                "2 donations",
                "3 donations",
                "11 donations",
                "100 donations",
                "101 donations"
            ]
        );
        assert_eq!(donations(Lang::En, 1_234), "1,234 donations");
    }

    #[test]
    fn arabic_counts_take_each_of_the_six_cldr_forms() {
        let got: Vec<String> = COUNTS.iter().map(|&n| donations(Lang::Ar, n)).collect();
        assert_eq!(
            got,
            [
                "لا تبرّعات بعد",
                "تبرّع واحد",
                "تبرّعان",
                "٣ تبرّعات",
                "١١ تبرّعًا",
                "١٠٠ تبرّع",
                "١٠١ تبرّع"
            ]
        );
        assert_eq!(donations(Lang::Ar, 1_005), "١٬٠٠٥ تبرّعات");
    }

    #[test]
    fn the_categories_follow_cldr() {
        use PluralCategory::*;
        let en: Vec<_> = COUNTS.iter().map(|&n| category(Lang::En, n)).collect();
        assert_eq!(en, [Other, One, Other, Other, Other, Other, Other]);
        let ar: Vec<_> = COUNTS.iter().map(|&n| category(Lang::Ar, n)).collect();
        assert_eq!(ar, [Zero, One, Two, Few, Many, Other, Other]);
    }

    /// The rules written out for amounts (`money::PluralRules`, which `build.rs` compiles
    /// without ICU4X) are ICU4X's for every whole number a campaign shows.
    #[test]
    fn the_rules_for_amounts_agree_with_icu4x() {
        use crate::money::PluralRules;
        for lang in Lang::ALL {
            let rules = PluralRules::of_lang(lang.code());
            for n in (0..=2_000).chain([10_003, 100_011, 1_000_000]) {
                assert_eq!(rules.form(n, false), form(lang, n), "{lang:?} {n}");
            }
        }
    }

    /// Every language's texts give every form its rules can ask for, so no count falls
    /// back to `other` by omission.
    #[test]
    fn every_language_gives_each_form_it_uses() {
        for lang in Lang::ALL {
            let text = &Strings::of(lang).donations_count;
            for n in 0..=1_000 {
                let given = match category(lang, n) {
                    PluralCategory::Zero => text.zero.is_some(),
                    PluralCategory::One => text.one.is_some(),
                    PluralCategory::Two => text.two.is_some(),
                    PluralCategory::Few => text.few.is_some(),
                    PluralCategory::Many => text.many.is_some(),
                    PluralCategory::Other => true,
                };
                assert!(given, "{lang:?} lacks the form for {n}");
            }
        }
    }

    #[test]
    fn english_helper_for_admin_texts() {
        let requests = english("{count} request", "{count} requests");
        assert_eq!(counted(Lang::En, &requests, 1), "1 request");
        assert_eq!(counted(Lang::En, &requests, 0), "0 requests");
    }
}

//! The site's languages.

use std::sync::LazyLock;

use crate::render::strings::Strings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ar,
}

static STRINGS: LazyLock<[Strings; 2]> = LazyLock::new(|| {
    [
        parse(include_str!("../pages/en/site.toml")),
        parse(include_str!("../pages/ar/site.toml")),
    ]
});

/// The strings files are checked by `build.rs`, which refuses to build when one does not
/// parse, so this cannot fail in a built binary.
fn parse(text: &str) -> Strings {
    match toml::from_str(text) {
        Ok(s) => s,
        Err(e) => panic!("site strings checked at build time no longer parse: {e}"),
    }
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ar];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }

    /// `en`/`ar`; anything else is `None`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ar" => Some(Lang::Ar),
            _ => None,
        }
    }

    /// The language of a URL path: `/ar/...` is Arabic, everything else English.
    pub fn of_path(path: &str) -> Lang {
        if path == "/ar" || path.starts_with("/ar/") {
            Lang::Ar
        } else {
            Lang::En
        }
    }

    pub fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Ar => 1,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ar,
            Lang::Ar => Lang::En,
        }
    }

    pub fn strings(self) -> &'static Strings {
        &STRINGS[self.index()]
    }

    /// Path of a page in this language: `/donate/`, `/ar/donate/`.
    pub fn page(self, slug: &str) -> String {
        crate::render::layout::page_href(self.code(), slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_load_for_every_language() {
        for lang in Lang::ALL {
            assert_eq!(lang.strings().lang, lang.code());
        }
        assert!(Lang::Ar.strings().is_rtl());
    }

    #[test]
    fn language_of_a_path() {
        assert_eq!(Lang::of_path("/ar/"), Lang::Ar);
        assert_eq!(Lang::of_path("/ar"), Lang::Ar);
        assert_eq!(Lang::of_path("/ar/nope"), Lang::Ar);
        assert_eq!(Lang::of_path("/arabic"), Lang::En);
        assert_eq!(Lang::of_path("/"), Lang::En);
        assert_eq!(Lang::Ar.page("donate"), "/ar/donate/");
        assert_eq!(Lang::En.page(""), "/");
    }
}

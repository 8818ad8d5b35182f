//! The site's languages. Their texts live with the templates (`render::strings`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ar,
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

    /// The path of this language's home page: `/`, `/ar/`.
    pub fn home(self) -> &'static str {
        match self {
            Lang::En => "/",
            Lang::Ar => "/ar/",
        }
    }

    /// Path of a page in this language: `/donate/`, `/ar/donate/`.
    pub fn page(self, slug: &str) -> String {
        if slug.is_empty() {
            self.home().to_owned()
        } else {
            format!("{}{slug}/", self.home())
        }
    }
}

/// A count in the ledger's messages to the operator (logs, errors), which are English:
/// "1 donation", "3 donations" (the commands and donors' texts use `plural`'s CLDR rules).
pub fn english_count(n: u64, one: &str, other: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {other}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_counts_are_singular_for_one_only() {
        assert_eq!(english_count(1, "donation", "donations"), "1 donation");
        assert_eq!(english_count(0, "donation", "donations"), "0 donations");
        assert_eq!(english_count(3, "donation", "donations"), "3 donations");
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

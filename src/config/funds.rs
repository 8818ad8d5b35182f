//! `[[funds]]`: the funds a donor may give to (Zakat kept apart from general giving),
//! in the settings' order. Without any, one fund, `general`, named and aimed like the
//! campaign, and nothing on the site changes.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::fund::FundId;
use crate::lang::Lang;
use crate::money::Currency;
use crate::render::strings::Strings;

/// One `[[funds]]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FundSection {
    /// `[a-z0-9-]{1,32}`; stored with every donation, so it never changes.
    pub id: String,
    /// Whole units of the currency; 0: no goal of its own.
    pub goal: u64,
    pub label: LangTexts,
    pub description: LangTexts,
}

/// A text in each language: `{ en = "...", ar = "..." }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LangTexts {
    pub en: String,
    pub ar: String,
}

impl LangTexts {
    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ar => &self.ar,
        }
    }
}

/// A fund, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fund {
    pub id: FundId,
    /// `None`: no goal of its own.
    pub goal_minor: Option<i64>,
    /// In [`Lang::index`] order.
    label: [String; 2],
    description: [String; 2],
}

impl Fund {
    pub fn label(&self, lang: Lang) -> &str {
        &self.label[lang.index()]
    }

    /// May be empty.
    pub fn description(&self, lang: Lang) -> &str {
        &self.description[lang.index()]
    }
}

/// The funds in the settings' order, or the campaign's own when none are listed.
pub(super) fn check_funds(
    sections: &[FundSection],
    currency: Currency,
    campaign_goal_minor: i64,
) -> Result<Vec<Fund>, ConfigError> {
    if sections.is_empty() {
        let campaign = |lang| Strings::of(lang).campaign.clone();
        return Ok(vec![Fund {
            id: FundId::general(),
            goal_minor: Some(campaign_goal_minor),
            label: Lang::ALL.map(campaign),
            description: [String::new(), String::new()],
        }]);
    }
    let mut funds: Vec<Fund> = Vec::with_capacity(sections.len());
    for (n, section) in sections.iter().enumerate() {
        let id = FundId::parse(&section.id).ok_or_else(|| {
            ConfigError(format!(
                "funds[{n}].id: {:?} is not a fund id (1 to 32 of a-z, 0-9 and -)",
                section.id
            ))
        })?;
        if funds.iter().any(|f| f.id == id) {
            return Err(ConfigError(format!(
                "funds: the fund \"{id}\" is listed twice; each id once"
            )));
        }
        for lang in Lang::ALL {
            if section.label.get(lang).trim().is_empty() {
                return Err(ConfigError(format!(
                    "funds: the fund \"{id}\" has no label in {}; write label = {{ en = \"...\", ar = \"...\" }}",
                    lang.code()
                )));
            }
        }
        let key = format!("funds: the fund \"{id}\"'s goal");
        let goal_minor = super::checks::to_minor(currency, &key, section.goal)?;
        if goal_minor > crate::money::MAX_GOAL_MINOR {
            return Err(ConfigError(format!(
                "{key}: {} is more than this site handles",
                section.goal
            )));
        }
        let text = |t: &LangTexts| Lang::ALL.map(|lang| t.get(lang).trim().to_owned());
        funds.push(Fund {
            goal_minor: (goal_minor > 0).then_some(goal_minor),
            label: text(&section.label),
            description: text(&section.description),
            id,
        });
    }
    Ok(funds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: &str, goal: u64) -> FundSection {
        FundSection {
            id: id.into(),
            goal,
            label: LangTexts {
                en: format!("{id} en"),
                ar: format!("{id} ar"),
            },
            description: LangTexts::default(),
        }
    }

    fn check(sections: &[FundSection]) -> Result<Vec<Fund>, ConfigError> {
        check_funds(sections, Currency::from_code("AED").unwrap(), 150_000_000)
    }

    #[test]
    fn without_funds_there_is_one_named_and_aimed_like_the_campaign() {
        let funds = check(&[]).unwrap();
        assert_eq!(funds.len(), 1);
        assert_eq!(funds[0].id.as_str(), "general");
        assert_eq!(funds[0].goal_minor, Some(150_000_000));
        for lang in Lang::ALL {
            assert_eq!(funds[0].label(lang), Strings::of(lang).campaign);
            assert_eq!(funds[0].description(lang), "");
        }
    }

    #[test]
    fn funds_keep_their_order_and_goals_in_minor_units() {
        let funds = check(&[section("general", 0), section("zakat", 500_000)]).unwrap();
        let ids: Vec<_> = funds.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["general", "zakat"]);
        assert_eq!(funds[0].goal_minor, None);
        assert_eq!(funds[1].goal_minor, Some(50_000_000));
        assert_eq!(funds[1].label(Lang::Ar), "zakat ar");
    }

    #[test]
    fn malformed_duplicate_and_unlabelled_funds_are_refused_by_id() {
        let e = check(&[section("Zakat", 0)]).unwrap_err().0;
        assert!(
            e.contains("\"Zakat\"") && e.contains("not a fund id"),
            "{e}"
        );
        let e = check(&[section("zakat", 0), section("zakat", 1)])
            .unwrap_err()
            .0;
        assert!(e.contains("\"zakat\"") && e.contains("twice"), "{e}");
        let mut unlabelled = section("relief", 0);
        unlabelled.label.ar = " ".into();
        let e = check(&[unlabelled]).unwrap_err().0;
        assert!(
            e.contains("\"relief\"") && e.contains("no label in ar"),
            "{e}"
        );
        let e = check(&[section("big", u64::MAX / 1000)]).unwrap_err().0;
        assert!(e.contains("\"big\"") && e.contains("goal"), "{e}");
    }
}

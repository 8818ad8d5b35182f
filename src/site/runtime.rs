//! Pages rendered at run time (the sandbox checkout, error and waiting pages, the
//! printable receipt) in the site's shell: its assets, menus, public origin and the
//! demonstration banner, as the pre-rendered pages have them.

use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;

use super::manifest;
use crate::lang::Lang;
use crate::render::layout::{Assets, MenuItem, ShareImage};
use crate::render::strings::Strings;
use crate::render::{NOTICE_MARKER, layout, origin};

/// Whether this process runs a public demonstration: pages rendered at run time (the
/// sandbox checkout, error pages) carry the banner too. One process runs one mode; set
/// when the site is loaded.
pub(super) static DEMO: AtomicBool = AtomicBool::new(false);

/// Whether the calculator is offered (a fund `zakat` is listed): the menu of pages
/// rendered at run time links to it then; set when the site is loaded.
pub(super) static ZAKAT: AtomicBool = AtomicBool::new(false);

/// The public origin pages rendered at run time link to; set when the site is loaded.
pub(super) static ORIGIN: std::sync::LazyLock<ArcSwap<String>> =
    std::sync::LazyLock::new(|| ArcSwap::from_pointee(String::new()));

/// The page with its notice slot filled: the demonstration banner in the page's
/// language, or left as the empty comment it is.
pub(super) fn with_notice(html: &str, path: &str, demo: bool) -> String {
    if !demo {
        return html.to_owned();
    }
    let lang = Lang::of_path(&format!("/{path}"));
    let banner = layout::demo_notice(Strings::of(lang)).into_string();
    html.replacen(NOTICE_MARKER, &banner, 1)
}

/// The asset URLs and menu of a language, for pages rendered at run time.
pub fn assets() -> Assets {
    Assets {
        css: manifest::CSS.to_owned(),
        js: manifest::JS.to_owned(),
        icon: manifest::ICON.to_owned(),
        share: manifest::SHARE
            .iter()
            .map(|(lang, url, width, height)| ShareImage {
                lang: (*lang).to_owned(),
                url: (*url).to_owned(),
                width: *width,
                height: *height,
            })
            .collect(),
    }
}

pub fn menu(lang: Lang) -> Vec<MenuItem> {
    let items = match lang {
        Lang::En => manifest::MENU_EN,
        Lang::Ar => manifest::MENU_AR,
    };
    items
        .iter()
        .map(|(label, href)| MenuItem {
            label: (*label).to_owned(),
            href: (*href).to_owned(),
        })
        .collect()
}

/// A whole page rendered at run time around `main`, with the site's shell.
pub fn runtime_page(
    lang: Lang,
    href: &str,
    twin_href: &str,
    title: &str,
    main: maud::Markup,
    script: bool,
) -> String {
    let menu = menu(lang);
    let assets = assets();
    let shell = crate::render::layout::Shell {
        strings: Strings::of(lang),
        other: Strings::of(lang.other()),
        menu: &menu,
        assets: &assets,
        href,
        twin_href,
        title,
        description: title,
        script,
        noindex: true,
        structured_data: false,
    };
    let page = crate::render::layout::shell(&shell, main).into_string();
    let page = origin::fill(&page, &ORIGIN.load());
    let page = crate::render::optional::fill(&page, ZAKAT.load(Ordering::Relaxed));
    if DEMO.load(Ordering::Relaxed) {
        let banner = layout::demo_notice(Strings::of(lang)).into_string();
        page.replacen(NOTICE_MARKER, &banner, 1)
    } else {
        page
    }
}

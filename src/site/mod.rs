//! The campaign site, embedded in the binary at compile time and answered from memory.

mod home;
pub mod islands;
pub mod negotiate;
pub mod resource;
mod runtime;
pub mod tally;
pub mod texts;
pub mod zakat;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use actix_web::http::header::HeaderValue;
use arc_swap::ArcSwap;
use bytes::Bytes;
use rust_embed::RustEmbed;

use crate::config::Settings;
use crate::lang::Lang;
use crate::render::{optional, origin, slot};
use crate::total::TotalSnapshot;
use home::{HomePages, render_home};
use islands::FormState;
pub use resource::Resource;
use runtime::{DEMO, ORIGIN, ZAKAT, with_notice};
pub use runtime::{assets, menu, runtime_page};

/// Asset URLs and menus computed by `build.rs`.
pub mod manifest {
    include!(concat!(env!("OUT_DIR"), "/manifest.rs"));
}

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/site"]
struct Embedded;

/// A pre-rendered page split around its live slot.
#[derive(Debug, Clone)]
pub struct Template {
    before: String,
    after: String,
}

impl Template {
    fn split(html: &str, name: &str) -> Option<Template> {
        let marker = slot(name);
        let (before, after) = html.split_once(&marker)?;
        Some(Template {
            before: before.to_owned(),
            after: after.to_owned(),
        })
    }

    pub fn fill(&self, island: &str) -> Vec<u8> {
        let mut out = String::with_capacity(self.before.len() + island.len() + self.after.len());
        out.push_str(&self.before);
        out.push_str(island);
        out.push_str(&self.after);
        out.into_bytes()
    }
}

/// What a path leads to.
pub enum Lookup<'a> {
    File(&'a Resource),
    Home(Lang),
    /// 308 to the same path with a trailing slash.
    AddSlash,
    NotFound(Lang),
}

pub struct Site {
    /// Every file under each path that answers it (`donate/index.html` and `donate/`),
    /// so a lookup is one hash probe with the request's own path.
    by_path: HashMap<String, Resource>,
    not_found: [Resource; 2],
    home_templates: [Template; 2],
    donate_templates: [Template; 2],
    success_templates: [Template; 2],
    zakat_templates: [Template; 2],
    home: ArcSwap<HomePages>,
    home_rebuild: Mutex<()>,
    html_cache: HeaderValue,
    home_cache: HeaderValue,
    settings: Arc<Settings>,
}

#[derive(Debug, thiserror::Error)]
#[error("the embedded site is incomplete: {0}")]
pub struct SiteError(String);

impl Site {
    /// Indexes the embedded files, fills in `server.public_url` where they name the site's
    /// origin (then compresses them, on every core), fills the donate form and renders
    /// the home pages.
    pub fn load(
        settings: Arc<Settings>,
        total: &TotalSnapshot,
        now: time::OffsetDateTime,
    ) -> Result<Site, SiteError> {
        DEMO.store(settings.demo, Ordering::Relaxed);
        ORIGIN.store(Arc::new(settings.public_url.clone()));
        let offer_zakat = zakat::offered(&settings);
        ZAKAT.store(offer_zakat, Ordering::Relaxed);
        let html_cache = resource::forever_value(&cache_control(settings.html_max_age));
        let home_cache = resource::forever_value(&cache_control(settings.home_max_age()));
        let immutable = HeaderValue::from_static("public, max-age=31536000, immutable");
        let mut files = HashMap::new();
        let mut html_sources: HashMap<String, String> = HashMap::new();
        let mut to_compress = Vec::new();
        for path in Embedded::iter() {
            let path = path.as_ref();
            if path.ends_with(".br") || path.ends_with(".gz") {
                continue;
            }
            let Some(file) = Embedded::get(path) else {
                continue;
            };
            let body = embedded_bytes(file.data);
            let is_html = path.ends_with(".html");
            if body.windows(9).any(|w| w == b"<!--slot:") {
                let html = origin::fill(&String::from_utf8_lossy(&body), &settings.public_url);
                let html = optional::fill(&html, offer_zakat);
                html_sources.insert(path.to_owned(), with_notice(&html, path, settings.demo));
                continue;
            }
            // Pages and the sitemap name the public origin: filled in once, here, then
            // compressed (which is why the build left them uncompressed).
            let named = crate::render::is_text(path)
                && (origin::holds_marker(&body) || optional::holds_marker(&body));
            if (is_html && settings.demo) || named {
                let text = origin::fill(&String::from_utf8_lossy(&body), &settings.public_url);
                let text = optional::fill(&text, offer_zakat);
                let text = if is_html {
                    with_notice(&text, path, settings.demo)
                } else {
                    text
                };
                to_compress.push((path.to_owned(), text.into_bytes()));
                continue;
            }
            let hash = hex::encode(&file.metadata.sha256_hash()[..10]);
            let sibling =
                |ext: &str| Embedded::get(&format!("{path}.{ext}")).map(|f| embedded_bytes(f.data));
            let cache = if path.starts_with("assets/") {
                immutable.clone()
            } else {
                html_cache.clone()
            };
            let resource = Resource::new(
                content_type(path),
                cache,
                &hash,
                body,
                sibling("gz"),
                sibling("br"),
            )
            .pinned_headers();
            files.insert(path.to_owned(), resource);
        }
        files.extend(compress_all(to_compress, &html_cache));
        let take_404 = |files: &mut HashMap<String, Resource>, path: &str| {
            files
                .remove(path)
                .ok_or_else(|| SiteError(format!("{path} is missing")))
        };
        let not_found = [
            take_404(&mut files, "404.html")?,
            take_404(&mut files, "ar/404.html")?,
        ];
        let template = |path: &str, name: &str| {
            html_sources
                .get(path)
                .and_then(|html| Template::split(html, name))
                .ok_or_else(|| SiteError(format!("{path} has no {name} slot")))
        };
        let home_templates = [
            template("index.html", "tally")?,
            template("ar/index.html", "tally")?,
        ];
        let donate_templates = [
            template("donate/index.html", "donate_form")?,
            template("ar/donate/index.html", "donate_form")?,
        ];
        let success_templates = [
            template("success/index.html", "receipt")?,
            template("ar/success/index.html", "receipt")?,
        ];
        for lang in Lang::ALL {
            let body = success_templates[lang.index()].fill("");
            files.insert(
                format!("{}success/index.html", lang_dir(lang)),
                Resource::compressing(content_type(".html"), html_cache.clone(), body).pinned(),
            );
        }
        let zakat_templates = [
            template("zakat/index.html", "zakat")?,
            template("ar/zakat/index.html", "zakat")?,
        ];
        // Without a Zakat fund the calculator's page is not there at all: 404.
        if offer_zakat {
            for lang in Lang::ALL {
                let (form, _) = zakat::page_main(lang, &settings, &zakat::Query::default());
                let body = zakat_templates[lang.index()].fill(&form);
                files.insert(
                    format!("{}zakat/index.html", lang_dir(lang)),
                    Resource::compressing(content_type(".html"), html_cache.clone(), body).pinned(),
                );
            }
        }
        let ended = settings.campaign_ended(now);
        for lang in Lang::ALL {
            let form = islands::donate_form(lang, &settings, &FormState::initial(&settings), ended);
            let body = donate_templates[lang.index()].fill(&form);
            files.insert(
                format!("{}donate/index.html", lang_dir(lang)),
                Resource::compressing(content_type(".html"), html_cache.clone(), body).pinned(),
            );
        }
        let pages = render_home(&home_templates, &settings, total, &home_cache);
        let aliases: Vec<(String, Resource)> = files
            .iter()
            .filter_map(|(path, r)| Some((path.strip_suffix("index.html")?.to_owned(), r.clone())))
            .collect();
        let mut by_path = files;
        by_path.extend(aliases);
        Ok(Site {
            by_path,
            not_found,
            home_templates,
            donate_templates,
            success_templates,
            zakat_templates,
            home: ArcSwap::from_pointee(HomePages {
                version: total.version,
                pages,
            }),
            home_rebuild: Mutex::new(()),
            html_cache,
            home_cache,
            settings,
        })
    }

    /// Maps a request path to what answers it. Only exact names of embedded files match,
    /// so no spelling of `..`, `%2e`, `%2f` or `\` can reach anything else.
    pub fn lookup(&self, path: &str) -> Lookup<'_> {
        let Some(rel) = path.strip_prefix('/') else {
            return Lookup::NotFound(Lang::En);
        };
        match rel {
            "" | "index.html" => return Lookup::Home(Lang::En),
            "ar/" | "ar/index.html" => return Lookup::Home(Lang::Ar),
            "ar" => return Lookup::AddSlash,
            _ => {}
        }
        if let Some(file) = self.by_path.get(rel) {
            return Lookup::File(file);
        }
        if !rel.ends_with('/') && self.by_path.contains_key(&format!("{rel}/")) {
            return Lookup::AddSlash;
        }
        Lookup::NotFound(Lang::of_path(path))
    }

    pub fn not_found(&self, lang: Lang) -> &Resource {
        &self.not_found[lang.index()]
    }

    /// The donate page with a donor's input and what was wrong with it.
    pub fn donate_page_with(&self, lang: Lang, state: &FormState, ended: bool) -> Vec<u8> {
        let form = islands::donate_form(lang, &self.settings, state, ended);
        self.donate_templates[lang.index()].fill(&form)
    }

    /// The thank-you page with a line about the donor's receipt.
    pub fn success_page_with(&self, lang: Lang, note: &str) -> Vec<u8> {
        self.success_templates[lang.index()].fill(note)
    }

    /// The calculator with what a donor sent and its result, and whether every field was
    /// a number; `None` while no Zakat fund is listed.
    pub fn zakat_page_with(&self, lang: Lang, query: &zakat::Query) -> Option<(Vec<u8>, bool)> {
        if !zakat::offered(&self.settings) {
            return None;
        }
        let (form, valid) = zakat::page_main(lang, &self.settings, query);
        Some((self.zakat_templates[lang.index()].fill(&form), valid))
    }

    /// The language of a thank-you page's path, when it is one.
    pub fn success_lang(path: &str) -> Option<Lang> {
        match path {
            "/success/" | "/success/index.html" => Some(Lang::En),
            "/ar/success/" | "/ar/success/index.html" => Some(Lang::Ar),
            _ => None,
        }
    }

    pub fn html_cache(&self) -> &HeaderValue {
        &self.html_cache
    }

    /// Every file as it is served, by path, for export and tests.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Resource)> {
        self.by_path
            .iter()
            .filter(|(k, _)| !k.ends_with('/'))
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// Files made at start-up, compressed on every core at once (start-up waits for them).
fn compress_all(jobs: Vec<(String, Vec<u8>)>, cache: &HeaderValue) -> Vec<(String, Resource)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(path, body)| {
                            let r = Resource::compressing(
                                content_type(path),
                                cache.clone(),
                                body.clone(),
                            );
                            (path.clone(), r.pinned())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn lang_dir(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "",
        Lang::Ar => "ar/",
    }
}

/// Embedded bytes are in the binary: shared as they are, without a reference count.
fn embedded_bytes(data: std::borrow::Cow<'static, [u8]>) -> Bytes {
    match data {
        std::borrow::Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        std::borrow::Cow::Owned(bytes) => Bytes::from(bytes),
    }
}

fn cache_control(max_age: u32) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

pub fn content_type(path: &str) -> HeaderValue {
    let ext = path.rsplit('.').next().unwrap_or("");
    HeaderValue::from_static(match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    })
}

//! The home page, which shows the live total: re-rendered when the total moves on, and
//! answered from each worker thread's own copy.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;

use super::{Resource, Site, Template, content_type, islands};
use crate::config::Settings;
use crate::lang::Lang;
use crate::total::TotalSnapshot;

thread_local! {
    /// Each worker thread's copy of the home pages: (site, version, pages).
    static LOCAL_HOME: std::cell::RefCell<Option<(usize, u64, [Resource; 2])>> =
        const { std::cell::RefCell::new(None) };
}

/// The home pages for one total, in every language.
pub(super) struct HomePages {
    pub(super) version: u64,
    pub(super) pages: [Arc<Resource>; 2],
}

impl Site {
    /// The home page for the newest total. When the total has moved on, the request that
    /// gets there first re-renders the pages (about half a millisecond); requests arriving
    /// meanwhile answer the page of a moment ago instead of queueing behind it.
    pub fn home(&self, lang: Lang, total: &TotalSnapshot) -> Arc<Resource> {
        if self.home_is_stale(total.version) {
            self.rebuild_unless_busy(total);
        }
        self.home.load().pages[lang.index()].clone()
    }

    /// Whether the shared pages are older than `version`; counted as a cache hit or miss.
    fn home_is_stale(&self, version: u64) -> bool {
        let stale = self.home.load().version < version;
        let metrics = crate::metrics::get();
        crate::metrics::inc(if stale {
            &metrics.home_cache_misses
        } else {
            &metrics.home_cache_hits
        });
        stale
    }

    /// Re-renders for `total`, unless another request is doing so right now.
    fn rebuild_unless_busy(&self, total: &TotalSnapshot) {
        match self.home_rebuild.try_lock() {
            Ok(_rebuilding) => self.rebuild_home(total),
            Err(std::sync::TryLockError::Poisoned(held)) => {
                let _rebuilding = held.into_inner();
                self.rebuild_home(total);
            }
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
    }

    /// Answers the home page for the live total from this worker thread's own copy of
    /// it (see [`Resource::local_copy`]), refreshed when the shared pages move on.
    pub fn respond_home(
        &self,
        lang: Lang,
        live: &crate::total::LiveTotal,
        req: &actix_web::HttpRequest,
    ) -> actix_web::HttpResponse {
        if self.home_is_stale(live.version()) {
            // The rebuild needs the whole snapshot (rare, so its Arc is fine).
            self.rebuild_unless_busy(&live.load());
        }
        let current = self.home.load();
        let site = self as *const Site as usize;
        LOCAL_HOME.with_borrow_mut(|local| {
            let fresh = matches!(local, Some((s, v, _)) if *s == site && *v == current.version);
            if !fresh {
                let pages = current.pages.each_ref().map(|p| p.local_copy());
                *local = Some((site, current.version, pages));
            }
            match local {
                Some((_, _, pages)) => pages[lang.index()].respond(req, StatusCode::OK),
                None => current.pages[lang.index()].respond(req, StatusCode::OK),
            }
        })
    }

    /// Renders the home pages for `total` unless a newer one is already out, waiting for
    /// a rebuild in progress.
    pub fn refresh_home(&self, total: &TotalSnapshot) {
        let _rebuilding = self.home_rebuild.lock().unwrap_or_else(|e| e.into_inner());
        self.rebuild_home(total);
    }

    /// Called with `home_rebuild` held.
    fn rebuild_home(&self, total: &TotalSnapshot) {
        if self.home.load().version >= total.version {
            return;
        }
        let pages = render_home(
            &self.home_templates,
            &self.settings,
            total,
            &self.home_cache,
        );
        self.home.store(Arc::new(HomePages {
            version: total.version,
            pages,
        }));
    }
}

pub(super) fn render_home(
    templates: &[Template; 2],
    settings: &Settings,
    total: &TotalSnapshot,
    cache: &HeaderValue,
) -> [Arc<Resource>; 2] {
    Lang::ALL.map(|lang| {
        let body = templates[lang.index()].fill(&islands::tally(lang, settings, total));
        Arc::new(Resource::compressing(
            content_type(".html"),
            cache.clone(),
            body,
        ))
    })
}

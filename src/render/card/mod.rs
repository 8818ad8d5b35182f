//! The share card: a 1200×630 PNG per language, used as the pages' `og:image`.
//!
//! Compiled only by `build.rs` (included with `#[path]`, beside `render`, whose line
//! breaking it uses: `crate::` is the build script).
//! The card is drawn as an SVG and rasterised by resvg, with text shaped (Arabic joined,
//! right to left) from the fonts bundled in `assets/fonts/` only: no system fonts are
//! loaded, so the image is the same on every machine.
//!
//! Text is wrapped by measured width and shrunk until it fits its box; then the finished
//! SVG is parsed again and every line's ink box is checked against the safe area. If
//! anything sticks out (a long unbreakable word, say) the whole layout is scaled down and
//! done again, so nothing is ever clipped.

use std::path::Path;
use std::sync::Arc;

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use crate::render::wrap::clean;

mod draw;
mod layout;

/// What the card shows, in one language.
pub struct CardText<'a> {
    /// "en" or "ar".
    pub lang: &'a str,
    /// "ltr" or "rtl".
    pub dir: &'a str,
    /// The charity's name, e.g. "Sidra Relief Trust".
    pub charity: &'a str,
    /// The campaign's name: the card's headline.
    pub campaign: &'a str,
    /// One sentence, up to ~110 characters.
    pub tagline: &'a str,
}

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

const W: f32 = WIDTH as f32;
const H: f32 = HEIGHT as f32;

/// The safe area: chat apps crop the edges of link previews, so everything that matters
/// stays inside these margins.
const SAFE_X: f32 = 88.0;
const SAFE_TOP: f32 = 66.0;
const SAFE_BOTTOM: f32 = 66.0;

/// Brand colours, from `assets/site.css`, and the gold of its focus rings.
const BRAND_LIGHT: &str = "#0e6f86";
const BRAND: &str = "#0b5f73";
const BRAND_DARK: &str = "#07414f";
const GOLD: &str = "#f2b705";
const TAGLINE_INK: &str = "#dcefF3";

/// The round badge holding the logo, beside the charity's name.
const BADGE: f32 = 84.0;
const BADGE_GAP: f32 = 24.0;

/// The water-drop logo (as in `render/layout.rs`), in a 32×32 box.
const DROP: &str = "M16 3c5 6.6 9 11.6 9 16.3A9 9 0 0 1 7 19.3C7 14.6 11 9.6 16 3z";
const DROP_SHINE: &str = "M12.5 20.5a4 4 0 0 0 4 3.5";

const LATIN: &str = "Noto Sans";
const ARABIC: &str = "Noto Sans Arabic";

/// Text is measured once at this size and scaled: outlines are not hinted, so a text's
/// width is proportional to its size.
const REF_SIZE: f32 = 100.0;

/// Renders the card as a PNG with the bundled fonts in `fonts_dir`.
pub fn render_png(text: &CardText<'_>, fonts_dir: &Path) -> Result<Vec<u8>, String> {
    let opts = options(load_fonts(fonts_dir)?);
    let tree = fitted_tree(text, &opts)?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).ok_or_else(|| {
        format!(
            "share card ({}): cannot allocate a {WIDTH}×{HEIGHT} image",
            text.lang
        )
    })?;
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| format!("share card ({}): PNG encoding failed: {e}", text.lang))
}

/// The characters of the card's texts that no bundled font draws (they would come out
/// blank), in order of first appearance; the build warns about them.
pub fn uncovered(text: &CardText<'_>, fonts_dir: &Path) -> Result<Vec<char>, String> {
    use skrifa::MetadataProvider;
    let db = load_fonts(fonts_dir)?;
    let drawn = |c: char| {
        db.faces().any(|face| {
            db.with_face_data(face.id, |data, index| {
                skrifa::FontRef::from_index(data, index)
                    .ok()
                    .and_then(|font| font.charmap().map(c))
                    .is_some()
            })
            .unwrap_or(false)
        })
    };
    let mut missing = Vec::new();
    for c in [text.charity, text.campaign, text.tagline].concat().chars() {
        let invisible = c.is_whitespace() || c.is_control() || matches!(c, '\u{200c}' | '\u{200d}');
        if !invisible && !missing.contains(&c) && !drawn(c) {
            missing.push(c);
        }
    }
    Ok(missing)
}

/// Lays the card out, checks the real ink boxes, and on overflow shrinks and tries again.
fn fitted_tree(text: &CardText<'_>, opts: &usvg::Options<'_>) -> Result<usvg::Tree, String> {
    let card = Card::new(text);
    let metrics = card.measure(opts)?;
    let mut scale = 1.0_f32;
    for _ in 0..16 {
        let layout = card.layout(&metrics, scale);
        let svg = card.svg(&layout);
        let tree = usvg::Tree::from_str(&svg, opts)
            .map_err(|e| format!("share card ({}): bad SVG: {e}", text.lang))?;
        if card.fits(&tree, &layout) {
            return Ok(tree);
        }
        scale *= 0.93;
    }
    Err(format!(
        "share card ({}): the text does not fit the card even when shrunk; shorten the \
         charity, campaign or tagline",
        text.lang
    ))
}

/// Loads every `.ttf`/`.otf` file in `dir` (in name order, so the same everywhere) and
/// checks that both families the card uses are there in regular and bold.
fn load_fonts(dir: &Path) -> Result<fontdb::Database, String> {
    let unreadable = |e: std::io::Error| {
        format!(
            "share card: cannot read the fonts folder {}: {e}",
            dir.display()
        )
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if matches!(ext.as_deref(), Some("ttf" | "otf")) {
            files.push(path);
        }
    }
    files.sort();
    let mut db = fontdb::Database::new();
    for path in &files {
        let data = std::fs::read(path)
            .map_err(|e| format!("share card: cannot read font {}: {e}", path.display()))?;
        db.load_font_data(data);
    }
    for family in [LATIN, ARABIC] {
        for weight in [fontdb::Weight::NORMAL, fontdb::Weight::BOLD] {
            let query = fontdb::Query {
                families: &[fontdb::Family::Name(family)],
                weight,
                ..fontdb::Query::default()
            };
            let found = db
                .query(&query)
                .and_then(|id| db.face(id))
                .is_some_and(|face| face.weight == weight);
            if !found {
                return Err(format!(
                    "share card: no \"{family}\" font of weight {} among the .ttf/.otf files in {}",
                    weight.0,
                    dir.display()
                ));
            }
        }
    }
    Ok(db)
}

fn options(db: fontdb::Database) -> usvg::Options<'static> {
    usvg::Options {
        fontdb: Arc::new(db),
        font_family: LATIN.to_owned(),
        languages: Vec::new(),
        ..usvg::Options::default()
    }
}

/// The card's three blocks of text.
#[derive(Clone, Copy)]
enum Block {
    Charity = 0,
    Campaign = 1,
    Tagline = 2,
}

const BLOCKS: [Block; 3] = [Block::Charity, Block::Campaign, Block::Tagline];

/// How a block is set: the largest and smallest size tried, the most lines, the line
/// height (a multiple of the size) and the weight.
struct Setting {
    max: f32,
    min: f32,
    lines: usize,
    leading: f32,
    bold: bool,
}

/// Advance widths at `REF_SIZE`, per block: each word, a space and an ellipsis.
struct Metrics {
    words: [Vec<f32>; 3],
    space: [f32; 3],
    ellipsis: [f32; 3],
}

/// A block after wrapping: its size, line height and lines.
struct Set {
    size: f32,
    leading: f32,
    lines: Vec<String>,
}

impl Set {
    fn height(&self) -> f32 {
        self.lines.len() as f32 * self.size * self.leading
    }
}

struct Layout {
    charity: Set,
    campaign: Set,
    tagline: Set,
    badge: f32,
    header_top: f32,
    header_h: f32,
    campaign_top: f32,
    bar_top: f32,
    bar_h: f32,
    tagline_top: f32,
}

struct Card<'a> {
    lang: &'a str,
    rtl: bool,
    words: [Vec<String>; 3],
}

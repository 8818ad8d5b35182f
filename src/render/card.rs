//! The share card: a 1200×630 PNG per language, used as the pages' `og:image`.
//!
//! Compiled only by `build.rs` (included with `#[path]`), so it uses no `crate::` paths.
//! The card is drawn as an SVG and rasterised by resvg, with text shaped (Arabic joined,
//! right to left) from the fonts bundled in `assets/fonts/` only: no system fonts are
//! loaded, so the image is the same on every machine.
//!
//! Text is wrapped by measured width and shrunk until it fits its box; then the finished
//! SVG is parsed again and every line's ink box is checked against the safe area. If
//! anything sticks out (a long unbreakable word, say) the whole layout is scaled down and
//! done again, so nothing is ever clipped.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

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

impl<'a> Card<'a> {
    fn new(text: &CardText<'a>) -> Self {
        let words = |s: &str| -> Vec<String> {
            s.split_whitespace()
                .map(clean)
                .filter(|w| !w.is_empty())
                .collect()
        };
        Card {
            lang: text.lang,
            rtl: text.dir.trim().eq_ignore_ascii_case("rtl"),
            words: [
                words(text.charity),
                words(text.campaign),
                words(text.tagline),
            ],
        }
    }

    fn setting(&self, block: Block) -> Setting {
        // Arabic letters sit smaller on the em and reach further up and down than Latin
        // ones: a touch larger, with more leading.
        let (k, more) = if self.rtl { (1.1, 0.28) } else { (1.0, 0.0) };
        match block {
            Block::Charity => Setting {
                max: 36.0 * k,
                min: 24.0 * k,
                lines: 2,
                leading: 1.18 + more,
                bold: true,
            },
            Block::Campaign => Setting {
                max: 80.0 * k,
                min: 44.0 * k,
                lines: 3,
                leading: 1.1 + more,
                bold: true,
            },
            Block::Tagline => Setting {
                max: 38.0 * k,
                min: 26.0 * k,
                lines: 4,
                leading: 1.34 + more,
                bold: false,
            },
        }
    }

    /// Where the baseline sits below the top of a line box (CSS's half-leading model,
    /// with the fonts' ascent and descent).
    fn baseline(&self, size: f32, leading: f32) -> f32 {
        let (ascent, descent) = if self.rtl {
            (1.374, 0.738)
        } else {
            (1.069, 0.293)
        };
        size * ((leading - ascent - descent) / 2.0 + ascent)
    }

    /// Measures every word, the space and the ellipsis, in one parse. usvg's box of a
    /// text spans its glyphs' advances across (and the font's ascent and descent down),
    /// so its width is what the text takes on a line.
    fn measure(&self, opts: &usvg::Options<'_>) -> Result<Metrics, String> {
        // A space, shaped as between words: "n n" less two "n"s.
        let probe = if self.rtl { "\u{627}" } else { "n" };
        let pair = format!("{probe} {probe}");
        let mut svg =
            String::from(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">"#);
        for block in BLOCKS {
            let b = block as usize;
            let bold = self.setting(block).bold;
            for (i, word) in self.words[b].iter().enumerate() {
                svg += &self.text(&format!("w{b}-{i}"), word, 0.0, 0.0, REF_SIZE, bold, "#000");
            }
            svg += &self.text(&format!("p{b}"), probe, 0.0, 0.0, REF_SIZE, bold, "#000");
            svg += &self.text(&format!("pp{b}"), &pair, 0.0, 0.0, REF_SIZE, bold, "#000");
            svg += &self.text(
                &format!("e{b}"),
                "\u{2026}",
                0.0,
                0.0,
                REF_SIZE,
                bold,
                "#000",
            );
        }
        svg += "</svg>";
        let tree = usvg::Tree::from_str(&svg, opts)
            .map_err(|e| format!("share card ({}): measuring the text failed: {e}", self.lang))?;
        // A text usvg dropped (a lone zero-width character, say) takes no room.
        let width = |id: &str| match tree.node_by_id(id) {
            Some(usvg::Node::Text(t)) => t.bounding_box().width(),
            _ => 0.0,
        };
        let mut m = Metrics {
            words: Default::default(),
            space: [0.0; 3],
            ellipsis: [0.0; 3],
        };
        for block in BLOCKS {
            let b = block as usize;
            m.words[b] = (0..self.words[b].len())
                .map(|i| width(&format!("w{b}-{i}")))
                .collect();
            m.space[b] = (width(&format!("pp{b}")) - 2.0 * width(&format!("p{b}"))).max(20.0);
            m.ellipsis[b] = width(&format!("e{b}"));
        }
        Ok(m)
    }

    /// The largest size at which the block's widest word fits a line of `max_w`: a
    /// block with a very long word is set smaller rather than have the word cut.
    fn widest_fit(&self, m: &Metrics, block: Block, max_w: f32) -> f32 {
        let widest = m.words[block as usize]
            .iter()
            .copied()
            .fold(0.0_f32, f32::max);
        if widest > 0.0 {
            max_w / widest * REF_SIZE * 0.995
        } else {
            f32::INFINITY
        }
    }

    /// Wraps a block at `size` into at most `max_lines` lines of `max_w`; `None` if it
    /// takes more lines or a word is wider than the line.
    fn wrap(
        &self,
        m: &Metrics,
        block: Block,
        size: f32,
        max_w: f32,
        max_lines: usize,
    ) -> Option<Set> {
        let b = block as usize;
        let k = size / REF_SIZE;
        let widths: Vec<f32> = m.words[b].iter().map(|w| w * k).collect();
        let space = m.space[b] * k;
        if widths.iter().any(|&w| w > max_w) {
            return None;
        }
        let lines = balanced(&widths, space, max_w);
        if lines.len() > max_lines {
            return None;
        }
        Some(self.set(block, size, lines))
    }

    /// Like `wrap`, but never fails: the text is cut after `max_lines` lines with an
    /// ellipsis. (A word wider than the line is left for the fit check to shrink.)
    fn wrap_cut(&self, m: &Metrics, block: Block, size: f32, max_w: f32, max_lines: usize) -> Set {
        let b = block as usize;
        let k = size / REF_SIZE;
        let widths: Vec<f32> = m.words[b].iter().map(|w| w * k).collect();
        let space = m.space[b] * k;
        let mut lines = greedy(&widths, space, max_w);
        if lines.len() <= max_lines.max(1) {
            return self.set(block, size, lines);
        }
        lines.truncate(max_lines.max(1));
        let ellipsis = m.ellipsis[b] * k;
        let mut set = self.set(block, size, Vec::new());
        let last = lines.len() - 1;
        for (n, range) in lines.into_iter().enumerate() {
            if n < last {
                set.lines.push(self.words[b][range].join(" "));
                continue;
            }
            let mut end = range.end;
            let line_w = |end: usize| {
                widths[range.start..end].iter().sum::<f32>()
                    + space * (end - range.start).saturating_sub(1) as f32
            };
            while end > range.start + 1 && line_w(end) + ellipsis > max_w {
                end -= 1;
            }
            set.lines.push(format!(
                "{}\u{2026}",
                self.words[b][range.start..end].join(" ")
            ));
        }
        set
    }

    fn set(&self, block: Block, size: f32, lines: Vec<Range<usize>>) -> Set {
        let b = block as usize;
        Set {
            size,
            leading: self.setting(block).leading,
            lines: lines
                .into_iter()
                .map(|r| self.words[b][r].join(" "))
                .collect(),
        }
    }

    fn layout(&self, m: &Metrics, scale: f32) -> Layout {
        let safe_w = W - 2.0 * SAFE_X;
        let badge = BADGE * scale;

        // Header: the badge and the charity's name, shrunk to fit beside it.
        let s = self.setting(Block::Charity);
        let charity_w = safe_w - badge - BADGE_GAP * scale;
        let cap = self.widest_fit(m, Block::Charity, charity_w);
        let charity = steps(s.max * scale, s.min * scale, 7)
            .find_map(|size| self.wrap(m, Block::Charity, size.min(cap), charity_w, s.lines))
            .unwrap_or_else(|| {
                let size = (s.min * scale).min(cap);
                self.wrap_cut(m, Block::Charity, size, charity_w, s.lines)
            });
        let header_top = SAFE_TOP;
        let header_h = badge.max(charity.height());

        // Body: the headline, a gold bar and the tagline, shrunk together until they fit
        // between the header and the bottom of the safe area, then centred there.
        let top = header_top + header_h + 34.0 * scale;
        let bottom = H - SAFE_BOTTOM;
        let avail = bottom - top;
        let (gap1, bar_h, gap2) = (26.0 * scale, 8.0 * scale, 30.0 * scale);
        let hs = self.setting(Block::Campaign);
        let ts = self.setting(Block::Tagline);
        let h_cap = self.widest_fit(m, Block::Campaign, safe_w);
        let t_cap = self.widest_fit(m, Block::Tagline, safe_w);
        const N: usize = 12;
        let mut body = None;
        for (h_size, t_size) in
            steps(hs.max * scale, hs.min * scale, N).zip(steps(ts.max * scale, ts.min * scale, N))
        {
            let (h_size, t_size) = (h_size.min(h_cap), t_size.min(t_cap));
            let Some(campaign) = self.wrap(m, Block::Campaign, h_size, safe_w, hs.lines) else {
                continue;
            };
            let Some(tagline) = self.wrap(m, Block::Tagline, t_size, safe_w, ts.lines) else {
                continue;
            };
            if campaign.height() + gap1 + bar_h + gap2 + tagline.height() <= avail {
                body = Some((campaign, tagline));
                break;
            }
        }
        let (campaign, tagline) = body.unwrap_or_else(|| {
            // Too long even at the smallest sizes: cut the tagline (and, failing that, the
            // headline) with an ellipsis.
            let (h_size, t_size) = ((hs.min * scale).min(h_cap), (ts.min * scale).min(t_cap));
            let campaign = self.wrap_cut(m, Block::Campaign, h_size, safe_w, hs.lines);
            let room = avail - campaign.height() - gap1 - bar_h - gap2;
            let t_lines = (room / (t_size * ts.leading)).floor().max(1.0) as usize;
            let tagline = self.wrap_cut(m, Block::Tagline, t_size, safe_w, t_lines.min(ts.lines));
            (campaign, tagline)
        });
        let body_h = campaign.height() + gap1 + bar_h + gap2 + tagline.height();
        let campaign_top = top + ((avail - body_h) / 2.0).max(0.0);
        let bar_top = campaign_top + campaign.height() + gap1;
        let tagline_top = bar_top + bar_h + gap2;
        Layout {
            charity,
            campaign,
            tagline,
            badge,
            header_top,
            header_h,
            campaign_top,
            bar_top,
            bar_h,
            tagline_top,
        }
    }

    /// The x of a text's anchor and of the badge's left edge, mirrored for right to left.
    fn x(&self, from_start: f32, width: f32) -> f32 {
        if self.rtl {
            W - SAFE_X - from_start - width
        } else {
            SAFE_X + from_start
        }
    }

    fn svg(&self, l: &Layout) -> String {
        let mut svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">"#
        );
        // Background: a teal gradient, a large faint drop on the open side and a wave.
        let (gx1, gx2) = if self.rtl { (1, 0) } else { (0, 1) };
        svg += &format!(
            r#"<defs><linearGradient id="bg" x1="{gx1}" y1="0" x2="{gx2}" y2="1"><stop offset="0" stop-color="{BRAND_LIGHT}"/><stop offset="0.55" stop-color="{BRAND}"/><stop offset="1" stop-color="{BRAND_DARK}"/></linearGradient></defs><rect width="{W}" height="{H}" fill="url(#bg)"/>"#
        );
        let drop_k = 17.0;
        let drop_x = if self.rtl {
            150.0 - 16.0 * drop_k
        } else {
            W - 150.0 - 16.0 * drop_k
        };
        svg += &format!(
            r##"<path d="{DROP}" transform="translate({drop_x} 150) scale({drop_k})" fill="#fff" fill-opacity="0.06"/>"##
        );
        svg += &format!(
            r##"<path d="M0 {y0} C300 {y1} 500 {y2} 800 {y0} S1100 {y1} {W} {y0} V{H} H0Z" fill="#fff" fill-opacity="0.05"/>"##,
            y0 = H - 34.0,
            y1 = H - 64.0,
            y2 = H - 4.0,
        );

        // The logo: the drop in a white round badge.
        let badge_x = self.x(0.0, l.badge);
        let badge_y = l.header_top + (l.header_h - l.badge) / 2.0;
        let r = l.badge / 2.0;
        let k = l.badge * 0.68 / 32.0;
        svg += &format!(
            r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="#fff"/><g transform="translate({tx} {ty}) scale({k})"><path d="{DROP}" fill="{BRAND}"/><path d="{DROP_SHINE}" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/></g>"##,
            cx = badge_x + r,
            cy = badge_y + r,
            tx = badge_x + r - 16.0 * k,
            ty = badge_y + r - 15.8 * k,
        );

        let start = l.badge + BADGE_GAP * l.badge / BADGE;
        let charity_top = l.header_top + (l.header_h - l.charity.height()) / 2.0;
        svg += &self.lines(
            "c",
            &l.charity,
            self.x(start, 0.0),
            charity_top,
            true,
            "#fff",
        );
        svg += &self.lines(
            "h",
            &l.campaign,
            self.x(0.0, 0.0),
            l.campaign_top,
            true,
            "#fff",
        );
        svg += &format!(
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}" fill="{GOLD}"/>"#,
            x = self.x(0.0, l.bar_h * 12.0),
            y = l.bar_top,
            w = l.bar_h * 12.0,
            h = l.bar_h,
            rx = l.bar_h / 2.0,
        );
        svg += &self.lines(
            "t",
            &l.tagline,
            self.x(0.0, 0.0),
            l.tagline_top,
            false,
            TAGLINE_INK,
        );
        svg += "</svg>";
        svg
    }

    fn lines(&self, id: &str, set: &Set, x: f32, top: f32, bold: bool, fill: &str) -> String {
        let mut out = String::new();
        for (i, line) in set.lines.iter().enumerate() {
            let y = top + i as f32 * set.size * set.leading + self.baseline(set.size, set.leading);
            out += &self.text(&format!("{id}{i}"), line, x, y, set.size, bold, fill);
        }
        out
    }

    /// One `<text>` element. Runs of Arabic and of other letters get their own font, so
    /// each is shaped by a font that has it, in the right weight. usvg lays out every
    /// paragraph left to right, so a right-to-left line is wrapped in RLE…PDF to give it
    /// a right-to-left base direction, and anchored at its end (its right edge).
    #[allow(clippy::too_many_arguments)]
    fn text(
        &self,
        id: &str,
        text: &str,
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        fill: &str,
    ) -> String {
        let (anchor, wrapped) = if self.rtl {
            ("end", format!("\u{202B}{text}\u{202C}"))
        } else {
            ("start", text.to_owned())
        };
        let weight = if bold { 700 } else { 400 };
        let mut out = format!(
            r#"<text id="{id}" x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" text-anchor="{anchor}">"#
        );
        for (arabic, run) in script_runs(&wrapped, self.rtl) {
            let family = if arabic {
                format!("{ARABIC}, {LATIN}")
            } else {
                format!("{LATIN}, {ARABIC}")
            };
            out += &format!(r#"<tspan font-family="{family}">{}</tspan>"#, escape(run));
        }
        out += "</text>";
        out
    }

    /// Checks every line's ink box against the safe area and the block it belongs to.
    fn fits(&self, tree: &usvg::Tree, l: &Layout) -> bool {
        // A few pixels of slack: accents and Arabic marks may overhang a line's advance
        // (the canvas edge is still far beyond).
        let (left, right) = (SAFE_X - 10.0, W - SAFE_X + 10.0);
        let inside = |id: String, top: f32, bottom: f32| match tree.node_by_id(&id) {
            Some(usvg::Node::Text(t)) if t.flattened().has_children() => {
                // The outlines' box: the text's own box spans the fonts' full ascent
                // and descent, far more than the ink of most lines.
                let b = t.flattened().abs_bounding_box();
                b.left() >= left && b.right() <= right && b.top() >= top && b.bottom() <= bottom
            }
            // Ink-less text (or text usvg dropped) cannot overflow.
            _ => true,
        };
        let bar_bottom = l.bar_top + l.bar_h;
        (0..l.charity.lines.len()).all(|i| {
            inside(
                format!("c{i}"),
                SAFE_TOP - 14.0,
                l.header_top + l.header_h + 18.0,
            )
        }) && (0..l.campaign.lines.len()).all(|i| {
            inside(
                format!("h{i}"),
                l.header_top + l.header_h + 6.0,
                l.bar_top - 4.0,
            )
        }) && (0..l.tagline.lines.len())
            .all(|i| inside(format!("t{i}"), bar_bottom + 4.0, H - SAFE_BOTTOM + 12.0))
    }
}

/// `n` sizes from `max` down to `min`, both included.
fn steps(max: f32, min: f32, n: usize) -> impl Iterator<Item = f32> {
    (0..=n).map(move |i| max - (max - min) * i as f32 / n as f32)
}

/// Greedy line breaking: as many words on each line as fit.
fn greedy(widths: &[f32], space: f32, max_w: f32) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut w = 0.0;
    for (i, &word) in widths.iter().enumerate() {
        if i > start && w + space + word > max_w {
            lines.push(start..i);
            start = i;
            w = word;
        } else if i == start {
            w = word;
        } else {
            w += space + word;
        }
    }
    if start < widths.len() {
        lines.push(start..widths.len());
    }
    lines
}

/// Balanced line breaking (like CSS `text-wrap: balance`): the narrowest measure that
/// still needs no more lines than greedy breaking at `max_w`, so a headline does not
/// end in one lonely word.
fn balanced(widths: &[f32], space: f32, max_w: f32) -> Vec<Range<usize>> {
    let count = greedy(widths, space, max_w).len();
    let mut lo = widths.iter().copied().fold(0.0_f32, f32::max);
    let mut hi = max_w;
    for _ in 0..24 {
        let mid = (lo + hi) / 2.0;
        if greedy(widths, space, mid).len() <= count {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    greedy(widths, space, hi)
}

fn is_arabic(c: char) -> bool {
    matches!(c,
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFF}')
}

/// Characters outside the Arabic block that the Arabic font has (checked against the
/// font's cmap), plus the invisible format characters shapers drop.
fn arabic_font_has(c: char) -> bool {
    matches!(c,
        ' ' | '!' | ',' | '-' | '.' | ':' | '0'..='9' | '\u{A0}' | '\u{AB}' | '\u{BB}'
        | '\u{200B}'..='\u{2011}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Splits text into runs for the Arabic font and for the Latin one. Arabic letters go to
/// the Arabic font and other letters to the Latin one; spaces, digits and punctuation
/// stay with the run before them (at the start, with the card's own script) if its font
/// has them, else go to the Latin font, which has them all. (usvg's own font fallback
/// cannot be relied on in Arabic text, and would not keep the weight.)
fn script_runs(text: &str, rtl: bool) -> Vec<(bool, &str)> {
    let mut runs = Vec::new();
    let mut current = rtl;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let arabic = if is_arabic(c) {
            true
        } else if c.is_alphabetic() {
            false
        } else {
            current && arabic_font_has(c)
        };
        if arabic != current {
            if i > start {
                runs.push((current, &text[start..i]));
            }
            start = i;
            current = arabic;
        }
    }
    if start < text.len() {
        runs.push((current, &text[start..]));
    }
    runs
}

/// Drops characters XML cannot carry (control characters other than whitespace).
fn clean(word: &str) -> String {
    word.chars()
        .filter(|&c| !c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}')
        .collect()
}

/// Escapes text for an SVG text node or attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

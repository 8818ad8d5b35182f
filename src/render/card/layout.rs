//! Where the card's texts go: wrapped by measured width, shrunk until they fit.

use std::ops::Range;

use resvg::usvg;

use super::*;
use crate::render::wrap::{balanced, greedy, steps};

impl<'a> Card<'a> {
    pub(super) fn new(text: &CardText<'a>) -> Self {
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

    pub(super) fn setting(&self, block: Block) -> Setting {
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
    pub(super) fn baseline(&self, size: f32, leading: f32) -> f32 {
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
    pub(super) fn measure(&self, opts: &usvg::Options<'_>) -> Result<Metrics, String> {
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
    pub(super) fn widest_fit(&self, m: &Metrics, block: Block, max_w: f32) -> f32 {
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

    /// A block's word widths and space width at `size` (measured once at `REF_SIZE`).
    fn widths_at(m: &Metrics, block: Block, size: f32) -> (Vec<f32>, f32) {
        let b = block as usize;
        let k = size / REF_SIZE;
        (m.words[b].iter().map(|w| w * k).collect(), m.space[b] * k)
    }

    /// Wraps a block at `size` into at most `max_lines` lines of `max_w`; `None` if it
    /// takes more lines or a word is wider than the line.
    pub(super) fn wrap(
        &self,
        m: &Metrics,
        block: Block,
        size: f32,
        max_w: f32,
        max_lines: usize,
    ) -> Option<Set> {
        let (widths, space) = Self::widths_at(m, block, size);
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
    pub(super) fn wrap_cut(
        &self,
        m: &Metrics,
        block: Block,
        size: f32,
        max_w: f32,
        max_lines: usize,
    ) -> Set {
        let b = block as usize;
        let (widths, space) = Self::widths_at(m, block, size);
        let mut lines = greedy(&widths, space, max_w);
        if lines.len() <= max_lines.max(1) {
            return self.set(block, size, lines);
        }
        lines.truncate(max_lines.max(1));
        let ellipsis = m.ellipsis[b] * (size / REF_SIZE);
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

    pub(super) fn set(&self, block: Block, size: f32, lines: Vec<Range<usize>>) -> Set {
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

    pub(super) fn layout(&self, m: &Metrics, scale: f32) -> Layout {
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
}

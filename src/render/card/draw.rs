//! The card as SVG, and the check that every line's ink stays in the safe area.

use resvg::usvg;

use super::*;
use crate::render::wrap::script_runs;
use crate::render::xml_escape as escape;

impl<'a> Card<'a> {
    /// The x of a text's anchor and of the badge's left edge, mirrored for right to left.
    pub(super) fn x(&self, from_start: f32, width: f32) -> f32 {
        if self.rtl {
            W - SAFE_X - from_start - width
        } else {
            SAFE_X + from_start
        }
    }

    pub(super) fn svg(&self, l: &Layout) -> String {
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

    pub(super) fn lines(
        &self,
        id: &str,
        set: &Set,
        x: f32,
        top: f32,
        bold: bool,
        fill: &str,
    ) -> String {
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
    pub(super) fn text(
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
    pub(super) fn fits(&self, tree: &usvg::Tree, l: &Layout) -> bool {
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

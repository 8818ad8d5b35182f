//! Charts drawn server-side as inline SVG: no script, nothing the CSP would refuse
//! (presentation attributes only, styled by class from the site's stylesheet).

use maud::{Markup, html};

/// The drawing area of every chart, in SVG user units.
pub const W: f64 = 600.0;
pub const H: f64 = 180.0;

/// `x,y` pairs for a line through `(t, v)` points (t ascending), scaled to `w`×`h` with
/// the y axis pointing down, from `t0` to `t1`.
pub fn line_points(points: &[(i64, i64)], t0: i64, t1: i64, w: f64, h: f64) -> Vec<(f64, f64)> {
    let max = points.iter().map(|&(_, v)| v).max().unwrap_or(0).max(1) as f64;
    let span = (t1 - t0).max(1) as f64;
    points
        .iter()
        .map(|&(t, v)| {
            let x = ((t - t0) as f64 / span).clamp(0.0, 1.0) * w;
            let y = h - (v.max(0) as f64 / max) * h;
            (round1(x), round1(y))
        })
        .collect()
}

/// One rectangle per value: `(x, y, width, height)`, bars side by side with a gap,
/// the tallest reaching `h`.
pub fn bar_rects(values: &[i64], w: f64, h: f64) -> Vec<(f64, f64, f64, f64)> {
    if values.is_empty() {
        return Vec::new();
    }
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = w / values.len() as f64;
    let gap = (slot * 0.15).min(4.0);
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let height = round1(v.max(0) as f64 / max * h);
            (
                round1(i as f64 * slot + gap / 2.0),
                round1(h - height),
                round1(slot - gap),
                height,
            )
        })
        .collect()
}

/// How many amounts fall below each edge, between edges, and at or above the last one
/// (`edges.len() + 1` counts).
pub fn histogram(amounts: &[i64], edges: &[i64]) -> Vec<i64> {
    let mut counts = vec![0i64; edges.len() + 1];
    for &a in amounts {
        let i = edges.iter().position(|&e| a < e).unwrap_or(edges.len());
        counts[i] += 1;
    }
    counts
}

/// Running sums of `(t, amount)` pairs (t ascending), thinned to at most `max_points`
/// (always keeping the last), starting from zero at the first point.
pub fn cumulative(points: &[(i64, i64)], max_points: usize) -> Vec<(i64, i64)> {
    let mut out = Vec::with_capacity(points.len().min(max_points) + 1);
    if let Some(&(t, _)) = points.first() {
        out.push((t, 0));
    }
    let step = points.len().div_ceil(max_points.max(1)).max(1);
    let mut sum = 0i64;
    for (i, &(t, a)) in points.iter().enumerate() {
        sum += a;
        if i % step == step - 1 || i + 1 == points.len() {
            out.push((t, sum));
        }
    }
    out
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn points_attr(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x},{y}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A line chart with the area under it filled; labels under the axis.
pub fn line_chart(
    label: &str,
    points: &[(f64, f64)],
    left: &str,
    right: &str,
    top: &str,
) -> Markup {
    let mut area = Vec::with_capacity(points.len() + 2);
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        area.push((first.0, H));
        area.extend_from_slice(points);
        area.push((last.0, H));
    }
    html! {
        svg.chart viewBox=(format!("0 -26 {W} {}", H + 54.0)) role="img" aria-label=(label) {
            title { (label) }
            line.axis x1="0" y1=(H) x2=(W) y2=(H) {}
            @if !points.is_empty() {
                polygon.area points=(points_attr(&area)) {}
                polyline.line points=(points_attr(points)) fill="none" {}
            }
            text.tick x="0" y="-8" { (top) }
            text.tick x="0" y=(H + 22.0) { (left) }
            text.tick x=(W) y=(H + 22.0) text-anchor="end" { (right) }
        }
    }
}

/// A bar chart; `labels` (as many as values, may be empty strings) go under the bars.
pub fn bar_chart(label: &str, values: &[i64], labels: &[String], top: &str) -> Markup {
    let rects = bar_rects(values, W, H);
    html! {
        svg.chart viewBox=(format!("0 -26 {W} {}", H + 54.0)) role="img" aria-label=(label) {
            title { (label) }
            line.axis x1="0" y1=(H) x2=(W) y2=(H) {}
            @for (i, (x, y, w, h)) in rects.iter().enumerate() {
                rect.bar x=(x) y=(y) width=(w) height=(h) {
                    title { (labels.get(i).map(String::as_str).unwrap_or("")) ": " (values[i]) }
                }
                @if let Some(l) = labels.get(i).filter(|l| !l.is_empty()) {
                    text.tick x=(x + w / 2.0) y=(H + 22.0) text-anchor="middle" { (l) }
                }
            }
            text.tick x="0" y="-8" { (top) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_spans_the_box_and_peaks_at_the_top() {
        let p = line_points(&[(0, 0), (50, 5), (100, 10)], 0, 100, 600.0, 180.0);
        assert_eq!(p, vec![(0.0, 180.0), (300.0, 90.0), (600.0, 0.0)]);
        // Nothing raised yet: a flat line on the axis, no division by zero.
        let flat = line_points(&[(5, 0), (5, 0)], 5, 5, 600.0, 180.0);
        assert!(flat.iter().all(|&(x, y)| x == 0.0 && y == 180.0));
    }

    #[test]
    fn bars_fill_the_width_and_scale_to_the_tallest() {
        let r = bar_rects(&[1, 2, 0, 4], 400.0, 100.0);
        assert_eq!(r.len(), 4);
        assert_eq!(r[3].3, 100.0);
        assert_eq!(r[3].1, 0.0);
        assert_eq!(r[1].3, 50.0);
        assert_eq!(r[2].3, 0.0);
        assert!(r.iter().all(|&(x, _, w, _)| x >= 0.0 && x + w <= 400.0));
        assert!(bar_rects(&[], 400.0, 100.0).is_empty());
        assert!(bar_rects(&[0, 0], 400.0, 100.0).iter().all(|r| r.3 == 0.0));
    }

    #[test]
    fn histogram_and_cumulative() {
        assert_eq!(histogram(&[5, 10, 49, 50, 1000], &[10, 50]), vec![1, 2, 2]);
        let c = cumulative(&[(1, 10), (2, 20), (3, 30)], 100);
        assert_eq!(c, vec![(1, 0), (1, 10), (2, 30), (3, 60)]);
        let thin = cumulative(&(0..1000).map(|i| (i, 1)).collect::<Vec<_>>(), 10);
        assert!(thin.len() <= 11);
        assert_eq!(thin.last(), Some(&(999, 1000)));
    }
}

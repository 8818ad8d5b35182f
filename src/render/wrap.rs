//! Line breaking and script runs for the share card (`card.rs`, drawn by `build.rs`):
//! plain functions of measured widths and text, kept here so that they are tested with
//! the crate.

use std::ops::Range;

/// `n` sizes from `max` down to `min`, both included.
pub fn steps(max: f32, min: f32, n: usize) -> impl Iterator<Item = f32> {
    (0..=n).map(move |i| max - (max - min) * i as f32 / n as f32)
}

/// Greedy line breaking: as many words on each line as fit.
pub fn greedy(widths: &[f32], space: f32, max_w: f32) -> Vec<Range<usize>> {
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
pub fn balanced(widths: &[f32], space: f32, max_w: f32) -> Vec<Range<usize>> {
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

pub fn is_arabic(c: char) -> bool {
    matches!(c,
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFF}')
}

/// Characters outside the Arabic block that the Arabic font has (checked against the
/// font's cmap), plus the invisible format characters shapers drop.
pub fn arabic_font_has(c: char) -> bool {
    matches!(c,
        ' ' | '!' | ',' | '-' | '.' | ':' | '0'..='9' | '\u{A0}' | '\u{AB}' | '\u{BB}'
        | '\u{200B}'..='\u{2011}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Splits text into runs for the Arabic font and for the Latin one. Arabic letters go to
/// the Arabic font and other letters to the Latin one; spaces, digits and punctuation
/// stay with the run before them (at the start, with the card's own script) if its font
/// has them, else go to the Latin font, which has them all. (usvg's own font fallback
/// cannot be relied on in Arabic text, and would not keep the weight.)
pub fn script_runs(text: &str, rtl: bool) -> Vec<(bool, &str)> {
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
pub fn clean(word: &str) -> String {
    word.chars()
        .filter(|&c| !c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_fills_each_line_and_balanced_evens_them_out() {
        let words = [3.0, 3.0, 3.0, 3.0, 1.0];
        assert_eq!(greedy(&words, 1.0, 11.0), vec![0..3, 3..5]);
        // Same number of lines, but no lonely short word at the end.
        assert_eq!(balanced(&words, 1.0, 11.0), vec![0..2, 2..5]);
        // A word wider than the measure gets a line of its own.
        assert_eq!(greedy(&[20.0, 1.0], 1.0, 10.0), vec![0..1, 1..2]);
        assert!(greedy(&[], 1.0, 10.0).is_empty());
    }

    #[test]
    fn steps_run_from_the_largest_to_the_smallest_size() {
        let sizes: Vec<f32> = steps(80.0, 40.0, 4).collect();
        assert_eq!(sizes, [80.0, 70.0, 60.0, 50.0, 40.0]);
    }

    #[test]
    fn script_runs_give_arabic_and_latin_each_their_font() {
        assert_eq!(
            script_runs("مياه نظيفة لـ 40 قرية (Sidra)", true),
            vec![(true, "مياه نظيفة لـ 40 قرية "), (false, "(Sidra)")]
        );
        assert_eq!(
            script_runs("Clean Water: مياه", false),
            vec![(false, "Clean Water: "), (true, "مياه")]
        );
    }

    #[test]
    fn clean_drops_what_xml_cannot_carry() {
        assert_eq!(clean("a\u{0}b\u{7}c\u{FFFE}"), "abc");
    }
}

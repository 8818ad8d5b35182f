//! `Accept-Encoding` negotiation: brotli, then gzip, then identity, honouring q-values.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// Picks the best encoding the client accepts among those available. Quality values
/// decide; on a tie brotli beats gzip beats identity. Identity stays acceptable unless
/// refused explicitly (`identity;q=0`, or `*;q=0` without naming identity); a client
/// that refuses everything still gets identity, which every client can read.
pub fn negotiate(header: Option<&str>, has_br: bool, has_gzip: bool) -> Encoding {
    let Some(header) = header else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip, mut identity, mut star) = (None, None, None, None);
    for item in header.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let mut q = 1000u16;
        for param in parts {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = parse_q(v.trim()).unwrap_or(0);
            }
        }
        let slot = if name.eq_ignore_ascii_case("br") {
            &mut br
        } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
        } else if name.eq_ignore_ascii_case("identity") {
            &mut identity
        } else if name == "*" {
            &mut star
        } else {
            continue;
        };
        // A coding listed twice keeps its highest weight.
        *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
    }
    let q_br = if has_br { br.or(star).unwrap_or(0) } else { 0 };
    let q_gzip = if has_gzip {
        gzip.or(star).unwrap_or(0)
    } else {
        0
    };
    let q_identity = identity.or(star.filter(|&q| q == 0)).unwrap_or(1);
    let mut best = (Encoding::Identity, q_identity);
    for candidate in [(Encoding::Gzip, q_gzip), (Encoding::Brotli, q_br)] {
        if candidate.1 > 0 && candidate.1 >= best.1 {
            best = candidate;
        }
    }
    best.0
}

/// A q-value in thousandths: `1`, `0.5`, `0.123`; anything else is invalid.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut scale = 100;
    for b in frac.bytes() {
        thousandths += u16::from(b - b'0') * scale;
        scale /= 10;
    }
    (thousandths <= 1000).then_some(thousandths)
}

#[cfg(test)]
mod tests {
    use super::Encoding::*;
    use super::*;

    #[test]
    fn prefers_brotli_then_gzip() {
        assert_eq!(negotiate(Some("gzip, deflate, br"), true, true), Brotli);
        assert_eq!(
            negotiate(Some("gzip, deflate, br, zstd"), false, true),
            Gzip
        );
        assert_eq!(negotiate(Some("gzip"), true, true), Gzip);
        assert_eq!(negotiate(Some("br"), true, true), Brotli);
        assert_eq!(negotiate(Some("deflate"), true, true), Identity);
        assert_eq!(negotiate(None, true, true), Identity);
        assert_eq!(negotiate(Some(""), true, true), Identity);
    }

    #[test]
    fn honours_q_values() {
        assert_eq!(negotiate(Some("br;q=0.5, gzip;q=0.8"), true, true), Gzip);
        assert_eq!(negotiate(Some("br;q=0, gzip"), true, true), Gzip);
        assert_eq!(negotiate(Some("br;q=0, gzip;q=0"), true, true), Identity);
        assert_eq!(
            negotiate(Some("gzip;q=0.001, identity;q=0"), true, true),
            Gzip
        );
        assert_eq!(negotiate(Some("*"), true, true), Brotli);
        assert_eq!(negotiate(Some("*;q=0.5, br;q=0"), true, true), Gzip);
        assert_eq!(negotiate(Some("gzip;q=1.0, br;q=0.999"), true, true), Gzip);
        assert_eq!(
            negotiate(Some("identity, gzip;q=0.5"), true, true),
            Identity
        );
        assert_eq!(negotiate(Some("BR;Q=1"), true, true), Brotli);
    }

    #[test]
    fn ignores_garbage() {
        assert_eq!(negotiate(Some("br;q=2"), true, true), Identity);
        assert_eq!(negotiate(Some("br;q=abc, gzip"), true, true), Gzip);
        assert_eq!(negotiate(Some(";;;,,,=,q="), true, true), Identity);
        assert_eq!(negotiate(Some("gzip;q=0.5000"), true, true), Identity);
    }

    #[test]
    fn parses_q() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.25"), Some(250));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("-1"), None);
    }
}

//! `Accept-Encoding` normalisation for the cache key (cloudfront.md §2.4, §8.3).
//!
//! When a cache policy enables gzip and/or brotli, the viewer's `Accept-Encoding` is reduced to
//! the encodings the edge can produce (`br`, `gzip`, only those enabled); everything else
//! (`deflate`, `zstd`, `identity`, parameters, order, case, whitespace) is dropped. The reduced
//! value is what goes into the cache key and what the origin receives, so two viewers that
//! accept the same encodings share one stored object.
//!
//! Parsing follows RFC 9110 §12.5.3: codings are case-insensitive, `q=0` means "not
//! acceptable", `*` stands for every coding not listed, and `x-gzip` is `gzip`
//! (RFC 9110 §8.4.1.3).

/// A set of the content codings the edge knows how to produce: brotli and gzip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Codings {
    /// `br`.
    pub br: bool,
    /// `gzip`.
    pub gzip: bool,
}

/// One content coding the edge can apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// Brotli (RFC 7932), `br`.
    Brotli,
    /// gzip (RFC 1952), `gzip`.
    Gzip,
}

impl Coding {
    /// The token used in `Content-Encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }
}

impl Codings {
    /// The set with the given members.
    pub fn new(br: bool, gzip: bool) -> Codings {
        Codings { br, gzip }
    }

    /// True when neither coding is in the set.
    pub fn is_empty(self) -> bool {
        !self.br && !self.gzip
    }

    /// The canonical header value of the set: `br,gzip`, `br`, `gzip`, or `""` when empty.
    ///
    /// [UNCONFIRMED] CloudFront's exact string is not documented; `br,gzip` (alphabetical, no
    /// space) is what cloudfront.md §2.4 records as observed. The order is fixed, so equal
    /// sets always give equal keys.
    pub fn as_str(self) -> &'static str {
        match (self.br, self.gzip) {
            (true, true) => "br,gzip",
            (true, false) => "br",
            (false, true) => "gzip",
            (false, false) => "",
        }
    }

    /// The coding the edge applies for this set: brotli when accepted, else gzip
    /// (cloudfront.md §8.3: "br preferred").
    pub fn preferred(self) -> Option<Coding> {
        if self.br {
            Some(Coding::Brotli)
        } else if self.gzip {
            Some(Coding::Gzip)
        } else {
            None
        }
    }
}

/// What one list element of `Accept-Encoding` says about a coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    Nothing,
    Acceptable,
    Refused,
}

impl Said {
    /// Combines two mentions of the same coding: a refusal (`q=0`) anywhere wins, so an
    /// ambiguous header never makes the edge send what the viewer refused.
    fn and(self, other: Said) -> Said {
        match (self, other) {
            (Said::Refused, _) | (_, Said::Refused) => Said::Refused,
            (Said::Acceptable, _) | (_, Said::Acceptable) => Said::Acceptable,
            _ => Said::Nothing,
        }
    }

    fn accepted(self, wildcard: Said) -> bool {
        match self {
            Said::Acceptable => true,
            Said::Refused => false,
            Said::Nothing => wildcard == Said::Acceptable,
        }
    }
}

/// Normalises the viewer's `Accept-Encoding` field lines to the codings in `enabled` that the
/// viewer accepts.
///
/// `None` when the viewer sent no `Accept-Encoding` at all, or accepts none of the enabled
/// codings: then nothing is keyed and nothing is forwarded ([UNCONFIRMED]: CloudFront's
/// documentation only says the header is normalised when present; an empty normalised value
/// is treated like an absent header, which keeps `Accept-Encoding: identity` and viewers
/// without the header on the same object).
///
/// An element whose `q` is not a valid qvalue (RFC 9110 §12.4.2) is ignored rather than
/// guessed at.
pub fn normalise<'a, I>(lines: I, enabled: Codings) -> Option<Codings>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    if enabled.is_empty() {
        return None;
    }
    let (mut br, mut gzip, mut any) = (Said::Nothing, Said::Nothing, Said::Nothing);
    for line in lines {
        for element in line.split(|b| *b == b',') {
            let mut params = element.split(|b| *b == b';');
            let name = params.next().unwrap_or_default().trim_ascii();
            if name.is_empty() {
                continue;
            }
            let mut said = Said::Acceptable;
            for p in params {
                let Some((k, v)) = split_param(p) else {
                    continue;
                };
                if k.eq_ignore_ascii_case(b"q") {
                    said = match parse_qvalue(v) {
                        Some(0) => Said::Refused,
                        Some(_) => Said::Acceptable,
                        None => Said::Nothing,
                    };
                }
            }
            if name.eq_ignore_ascii_case(b"br") {
                br = br.and(said);
            } else if name.eq_ignore_ascii_case(b"gzip") || name.eq_ignore_ascii_case(b"x-gzip") {
                gzip = gzip.and(said);
            } else if name == b"*" {
                any = any.and(said);
            }
        }
    }
    let out = Codings {
        br: enabled.br && br.accepted(any),
        gzip: enabled.gzip && gzip.accepted(any),
    };
    (!out.is_empty()).then_some(out)
}

fn split_param(p: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = p.iter().position(|b| *b == b'=')?;
    let (k, v) = p.split_at(eq);
    Some((k.trim_ascii(), v[1..].trim_ascii()))
}

/// A qvalue (`0`, `0.5`, `1.000`; at most three decimals, at most 1) in thousandths.
fn parse_qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|b| *b == b'.') {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &b""[..]),
    };
    if int.len() != 1 || frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for i in 0..3 {
        thousandths = thousandths * 10 + frac.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match int[0] {
        b'0' => Some(thousandths),
        b'1' if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BOTH: Codings = Codings {
        br: true,
        gzip: true,
    };

    fn norm(v: &str, enabled: Codings) -> &'static str {
        normalise([v.as_bytes()], enabled).map_or("", Codings::as_str)
    }

    #[test]
    fn keeps_only_enabled_accepted_codings_in_canonical_form() {
        let gzip_only = Codings::new(false, true);
        let br_only = Codings::new(true, false);
        let cases: [(&str, Codings, &str); 17] = [
            ("gzip, deflate, br", BOTH, "br,gzip"),
            ("br;q=1.0, gzip;q=0.8, *;q=0.1", BOTH, "br,gzip"),
            ("gzip, deflate, br", gzip_only, "gzip"),
            ("gzip, deflate, br", br_only, "br"),
            ("gzip, deflate", BOTH, "gzip"),
            ("deflate, gzip;q=1.0", BOTH, "gzip"),
            ("br;q=0, gzip", BOTH, "gzip"),
            ("GZIP, Br", BOTH, "br,gzip"),
            ("x-gzip", BOTH, "gzip"),
            ("deflate, identity", BOTH, ""),
            ("", BOTH, ""),
            ("*", BOTH, "br,gzip"),
            ("*;q=0.5, br;q=0", BOTH, "gzip"),
            ("gzip;q=0.000", BOTH, ""),
            ("gzip;Q=0", BOTH, ""),
            ("gzip;q=2", BOTH, ""),
            ("gzip; q = 0.001 , ,br;level=5", BOTH, "br,gzip"),
        ];
        for (input, enabled, want) in cases {
            assert_eq!(norm(input, enabled), want, "{input:?} with {enabled:?}");
        }
        assert_eq!(norm("gzip, br", Codings::default()), "");
    }

    #[test]
    fn several_field_lines_count_as_one_list_and_refusal_wins() {
        let lines: [&[u8]; 2] = [b"gzip", b"br"];
        assert_eq!(normalise(lines, BOTH), Some(BOTH));
        let lines: [&[u8]; 2] = [b"gzip", b"gzip;q=0"];
        assert_eq!(normalise(lines, BOTH), None);
        assert_eq!(normalise(std::iter::empty::<&[u8]>(), BOTH), None);
    }

    #[test]
    fn preference_and_tokens() {
        assert_eq!(BOTH.preferred(), Some(Coding::Brotli));
        assert_eq!(Codings::new(false, true).preferred(), Some(Coding::Gzip));
        assert_eq!(Codings::default().preferred(), None);
        assert_eq!(Coding::Brotli.as_str(), "br");
        assert_eq!(Coding::Gzip.as_str(), "gzip");
    }

    #[test]
    fn qvalues() {
        for (v, want) in [
            ("0", Some(0)),
            ("0.5", Some(500)),
            ("0.125", Some(125)),
            ("1", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.1234", None),
            ("", None),
            (".5", None),
            ("0.x", None),
        ] {
            assert_eq!(parse_qvalue(v.as_bytes()), want, "{v:?}");
        }
    }

    /// One element of a generated `Accept-Encoding`: a coding with an optional qvalue.
    fn element() -> impl Strategy<Value = (String, Option<u16>)> {
        let coding = prop_oneof![
            Just("gzip"),
            Just("GZip"),
            Just("x-gzip"),
            Just("br"),
            Just("BR"),
            Just("deflate"),
            Just("identity"),
            Just("zstd"),
            Just("*"),
        ];
        (
            coding.prop_map(str::to_owned),
            proptest::option::of(0u16..=1000),
        )
    }

    fn render(elements: &[(String, Option<u16>)], spaces: bool) -> String {
        let sep = if spaces { " , " } else { "," };
        elements
            .iter()
            .map(|(c, q)| match q {
                None => c.clone(),
                Some(q) => format!("{c};q={}.{:03}", q / 1000, q % 1000),
            })
            .collect::<Vec<_>>()
            .join(sep)
    }

    /// What a coding's elements say, straight from RFC 9110: refused if any says q=0,
    /// accepted if any says q>0, else what `*` says.
    fn model(elements: &[(String, Option<u16>)], enabled: Codings) -> Option<Codings> {
        let said = |names: &[&str]| {
            let qs: Vec<u16> = elements
                .iter()
                .filter(|(c, _)| names.iter().any(|n| c.eq_ignore_ascii_case(n)))
                .map(|(_, q)| q.unwrap_or(1000))
                .collect();
            if qs.contains(&0) {
                Some(false)
            } else if qs.is_empty() {
                None
            } else {
                Some(true)
            }
        };
        let any = said(&["*"]) == Some(true);
        let br = said(&["br"]).unwrap_or(any);
        let gzip = said(&["gzip", "x-gzip"]).unwrap_or(any);
        let out = Codings::new(enabled.br && br, enabled.gzip && gzip);
        (!out.is_empty()).then_some(out)
    }

    proptest! {
        /// The result matches the RFC model, does not depend on order or spacing, only
        /// contains enabled codings, and normalising the normalised value changes nothing.
        #[test]
        fn normalisation_is_canonical(
            mut elements in proptest::collection::vec(element(), 0..6),
            br in any::<bool>(),
            gzip in any::<bool>(),
            spaces in any::<bool>(),
        ) {
            let enabled = Codings::new(br, gzip);
            let got = normalise([render(&elements, spaces).as_bytes()], enabled);
            prop_assert_eq!(got, model(&elements, enabled));
            if let Some(c) = got {
                prop_assert!((!c.br || enabled.br) && (!c.gzip || enabled.gzip));
                prop_assert_eq!(normalise([c.as_str().as_bytes()], enabled), Some(c));
            }
            elements.reverse();
            prop_assert_eq!(normalise([render(&elements, !spaces).as_bytes()], enabled), got);
        }
    }
}

//! Conditional requests (RFC 9110 §13): entity tags and precondition evaluation.
//!
//! These functions answer "what would the origin say to this conditional request, given the
//! validators of the response we have stored?" (RFC 9111 §4.3.2). The caller is responsible
//! for only asking when the request would otherwise get a 2xx from the cache
//! (RFC 9110 §13.2.1) and for choosing the validators to pass: RFC 9111 §4.3.2 suggests
//! passing the stored `Date` (or the time the response was received) as `last_modified`
//! when the stored response has no `Last-Modified`.

use std::time::SystemTime;

use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE};
use http::{HeaderMap, HeaderValue, Method};

/// An entity tag (RFC 9110 §8.8.3), borrowed from a field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityTag<'a> {
    /// `W/` prefix present.
    pub weak: bool,
    /// The opaque tag including the surrounding double quotes, e.g. `"xyzzy"`.
    pub opaque: &'a [u8],
}

impl EntityTag<'_> {
    /// Strong comparison (RFC 9110 §8.8.3.2): both tags strong and opaque tags identical.
    pub fn strong_eq(&self, other: &EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): opaque tags identical, weakness ignored.
    pub fn weak_eq(&self, other: &EntityTag<'_>) -> bool {
        self.opaque == other.opaque
    }
}

/// Parses a single entity tag such as an `ETag` field value: `"opaque"` or `W/"opaque"`,
/// surrounded by optional whitespace. `None` if the value is anything else. The `W/` prefix
/// is case-sensitive (RFC 9110 §8.8.3).
pub fn parse_etag(value: &[u8]) -> Option<EntityTag<'_>> {
    let value = trim_ows(value);
    match tag_at(value, 0) {
        Some((tag, end)) if end == value.len() => Some(tag),
        _ => None,
    }
}

/// Result of evaluating a request's preconditions against a stored response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No precondition stops the request: serve it normally.
    Proceed,
    /// Answer 304 Not Modified.
    NotModified,
    /// Answer 412 Precondition Failed.
    Failed,
}

/// Whether the request carries any of the preconditions [`evaluate`] looks at.
pub fn has_preconditions(request: &HeaderMap) -> bool {
    [
        IF_MATCH,
        IF_UNMODIFIED_SINCE,
        IF_NONE_MATCH,
        IF_MODIFIED_SINCE,
    ]
    .iter()
    .any(|h| request.contains_key(h))
}

/// Evaluates the request's preconditions against a stored representation's validators, in
/// the RFC 9110 §13.2.2 order:
///
/// 1. `If-Match` (strong comparison; `*` matches any existing representation): no match →
///    [`Precondition::Failed`].
/// 2. Otherwise, only when `If-Match` is absent, a valid `If-Unmodified-Since`: `Failed`
///    when `Last-Modified` is later than the date. Without a usable `Last-Modified` the
///    condition cannot be shown false and is passed.
/// 3. `If-None-Match` (weak comparison; `*` matches): a match gives
///    [`Precondition::NotModified`] for GET/HEAD and `Failed` for other methods.
/// 4. Otherwise, only when `If-None-Match` is absent and the method is GET or HEAD, a valid
///    `If-Modified-Since`: `NotModified` when `Last-Modified` is at or before the date.
///
/// List fields may span several field lines; malformed list members are skipped (so an
/// `If-Match` made only of garbage fails, and such an `If-None-Match` never matches).
/// Date fields are ignored when invalid or present more than once (RFC 9110 §13.1.3,
/// §13.1.4). An unparsable stored `etag` or `last_modified` is treated as absent.
pub fn evaluate(
    method: &Method,
    request: &HeaderMap,
    etag: Option<&HeaderValue>,
    last_modified: Option<&HeaderValue>,
) -> Precondition {
    // Most requests carry no precondition: answer before parsing anything stored.
    if !has_preconditions(request) {
        return Precondition::Proceed;
    }
    let stored_tag = etag.and_then(|v| parse_etag(v.as_bytes()));
    let last_modified = last_modified.and_then(|v| parse_date(v.as_bytes()));

    if request.contains_key(IF_MATCH) {
        // §13.1.1: strong comparison, so a weak stored tag never satisfies If-Match.
        let matched = list_matches(request, &IF_MATCH, |tag| {
            stored_tag.is_some_and(|stored| tag.strong_eq(&stored))
        });
        if !matched {
            return Precondition::Failed;
        }
    } else if let Some(since) = single_date(request, &IF_UNMODIFIED_SINCE) {
        if last_modified.is_some_and(|lm| lm > since) {
            return Precondition::Failed;
        }
    }

    let safe = method == Method::GET || method == Method::HEAD;
    if request.contains_key(IF_NONE_MATCH) {
        // §13.1.2: weak comparison. When it does not match, If-Modified-Since is skipped.
        let matched = list_matches(request, &IF_NONE_MATCH, |tag| {
            stored_tag.is_some_and(|stored| tag.weak_eq(&stored))
        });
        if matched {
            return if safe {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if safe {
        // §13.1.3: only for GET/HEAD and only without If-None-Match.
        if let Some(since) = single_date(request, &IF_MODIFIED_SINCE) {
            if last_modified.is_some_and(|lm| lm <= since) {
                return Precondition::NotModified;
            }
        }
    }
    Precondition::Proceed
}

/// If-Range (RFC 9110 §13.1.5): whether the `Range` header may be honoured.
///
/// - Absent → `true`.
/// - An entity tag must strong-match the stored `etag` (a weak tag, on either side, never
///   matches).
/// - An HTTP-date must exactly equal the stored `last_modified`.
/// - Anything unparsable, or more than one field line → `false` (send the whole
///   representation).
pub fn if_range_allows(
    request: &HeaderMap,
    etag: Option<&HeaderValue>,
    last_modified: Option<&HeaderValue>,
) -> bool {
    let mut lines = request.get_all(IF_RANGE).iter();
    let Some(value) = lines.next() else {
        return true;
    };
    if lines.next().is_some() {
        return false;
    }
    let value = trim_ows(value.as_bytes());
    if value.starts_with(b"\"") || value.starts_with(b"W/") {
        let Some(tag) = parse_etag(value) else {
            return false;
        };
        return etag
            .and_then(|v| parse_etag(v.as_bytes()))
            .is_some_and(|stored| tag.strong_eq(&stored));
    }
    match (
        parse_date(value),
        last_modified.and_then(|v| parse_date(v.as_bytes())),
    ) {
        (Some(date), Some(lm)) => date == lm,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Internals.

/// True when any member of the (possibly multi-line) list field `name` is `*` or a tag for
/// which `pred` holds. Malformed members are skipped.
fn list_matches(
    request: &HeaderMap,
    name: &http::header::HeaderName,
    mut pred: impl FnMut(&EntityTag<'_>) -> bool,
) -> bool {
    request.get_all(name).iter().any(|line| {
        TagList::new(line.as_bytes()).any(|member| match member {
            Member::Any => true,
            Member::Tag(tag) => pred(&tag),
        })
    })
}

/// A well-formed member of an `If-Match` / `If-None-Match` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member<'a> {
    /// `*`
    Any,
    Tag(EntityTag<'a>),
}

/// Iterator over the well-formed members of one field line of an entity-tag list
/// (RFC 9110 §5.6.1 list syntax). Opaque tags may contain commas, so members are found
/// by parsing, not by splitting on commas.
struct TagList<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> TagList<'a> {
    fn new(b: &'a [u8]) -> Self {
        TagList { b, i: 0 }
    }
}

impl<'a> Iterator for TagList<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        let b = self.b;
        loop {
            while self.i < b.len() && (is_ows(b[self.i]) || b[self.i] == b',') {
                self.i += 1;
            }
            if self.i >= b.len() {
                return None;
            }
            let parsed = if b[self.i] == b'*' {
                Some((Member::Any, self.i + 1))
            } else {
                tag_at(b, self.i).map(|(tag, end)| (Member::Tag(tag), end))
            };
            if let Some((member, end)) = parsed {
                let after = skip_ows(b, end);
                if after == b.len() || b[after] == b',' {
                    self.i = after;
                    return Some(member);
                }
            }
            // Malformed member: drop everything up to the next comma. `b[self.i]` is not a
            // comma, so this always advances.
            self.i = b[self.i..]
                .iter()
                .position(|&c| c == b',')
                .map_or(b.len(), |p| self.i + p);
        }
    }
}

/// Parses an entity tag starting exactly at `i`; returns it and the index just after its
/// closing quote.
fn tag_at(b: &[u8], i: usize) -> Option<(EntityTag<'_>, usize)> {
    let rest = b.get(i..)?;
    let (weak, open) = if rest.starts_with(b"W/") {
        (true, i + 2)
    } else {
        (false, i)
    };
    if b.get(open) != Some(&b'"') {
        return None;
    }
    let len = b[open + 1..].iter().take_while(|&&c| is_etagc(c)).count();
    let close = open + 1 + len;
    (b.get(close) == Some(&b'"')).then(|| {
        (
            EntityTag {
                weak,
                opaque: &b[open..=close],
            },
            close + 1,
        )
    })
}

/// `etagc` (RFC 9110 §8.8.3): visible ASCII except `"`, plus obs-text.
const fn is_etagc(c: u8) -> bool {
    c == 0x21 || (c >= 0x23 && c != 0x7f)
}

const fn is_ows(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_ows(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ows(b[i]) {
        i += 1;
    }
    i
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// An HTTP-date (RFC 9110 §5.6.7, all three historic formats, any letter case) as a
/// timestamp.
fn parse_date(value: &[u8]) -> Option<SystemTime> {
    crate::date::parse_http_date(trim_ows(value))
}

/// The date in header `name` when it is present exactly once and valid.
fn single_date(request: &HeaderMap, name: &http::header::HeaderName) -> Option<SystemTime> {
    let mut lines = request.get_all(name).iter();
    let first = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    parse_date(first.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const D1: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const D2: &str = "Sun, 06 Nov 1994 08:49:38 GMT";
    const D0: &str = "Sun, 06 Nov 1994 08:49:36 GMT";

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).expect("test header value")
    }

    fn req(pairs: &[(&http::header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append((*n).clone(), hv(v));
        }
        h
    }

    fn eval(method: &Method, pairs: &[(&http::header::HeaderName, &str)]) -> Precondition {
        let etag = hv("\"v1\"");
        let lm = hv(D1);
        evaluate(method, &req(pairs), Some(&etag), Some(&lm))
    }

    fn tag(weak: bool, opaque: &str) -> EntityTag<'_> {
        EntityTag {
            weak,
            opaque: opaque.as_bytes(),
        }
    }

    use Precondition::{Failed, NotModified, Proceed};

    #[test]
    fn parse_etag_forms() {
        assert_eq!(parse_etag(b"\"xyzzy\""), Some(tag(false, "\"xyzzy\"")));
        assert_eq!(parse_etag(b"W/\"xyzzy\""), Some(tag(true, "\"xyzzy\"")));
        assert_eq!(parse_etag(b"  \"\" "), Some(tag(false, "\"\"")));
        assert_eq!(parse_etag(b"\"a,b\""), Some(tag(false, "\"a,b\"")));
        assert_eq!(
            parse_etag(b"\"\x80\xff\""),
            Some(EntityTag {
                weak: false,
                opaque: b"\"\x80\xff\""
            })
        );
        for bad in [
            &b""[..],
            b"xyzzy",
            b"\"xyzzy",
            b"w/\"x\"",
            b"W/x",
            b"W/ \"x\"",
            b"\"a b\"",
            b"\"a\"\"b\"",
            b"\"a\", \"b\"",
            b"*",
            b"\"a\x7f\"",
            b"\"a\tb\"",
        ] {
            assert_eq!(parse_etag(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn comparisons() {
        // The RFC 9110 §8.8.3.2 table.
        let w1 = tag(true, "\"1\"");
        let w2 = tag(true, "\"2\"");
        let s1 = tag(false, "\"1\"");
        assert!(!w1.strong_eq(&w1) && w1.weak_eq(&w1));
        assert!(!w1.strong_eq(&w2) && !w1.weak_eq(&w2));
        assert!(!w1.strong_eq(&s1) && w1.weak_eq(&s1));
        assert!(s1.strong_eq(&s1) && s1.weak_eq(&s1));
    }

    #[test]
    fn tag_lists() {
        let all: Vec<Member<'_>> =
            TagList::new(b" \"a\" ,W/\"b\",, \"c,d\" , junk, \"e\"x, *, W/\"\"").collect();
        assert_eq!(
            all,
            vec![
                Member::Tag(tag(false, "\"a\"")),
                Member::Tag(tag(true, "\"b\"")),
                Member::Tag(tag(false, "\"c,d\"")),
                Member::Any,
                Member::Tag(tag(true, "\"\"")),
            ]
        );
        assert_eq!(TagList::new(b"").count(), 0);
        assert_eq!(TagList::new(b"**, \"a").count(), 0);
    }

    #[test]
    fn no_conditions() {
        assert_eq!(eval(&Method::GET, &[]), Proceed);
        assert_eq!(
            evaluate(&Method::GET, &HeaderMap::new(), None, None),
            Proceed
        );
    }

    #[test]
    fn if_match() {
        assert_eq!(eval(&Method::GET, &[(&IF_MATCH, "\"v1\"")]), Proceed);
        assert_eq!(
            eval(&Method::GET, &[(&IF_MATCH, "\"v0\", \"v1\"")]),
            Proceed
        );
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_MATCH, "\"v0\""), (&IF_MATCH, "\"v1\"")]
            ),
            Proceed
        );
        assert_eq!(eval(&Method::GET, &[(&IF_MATCH, "*")]), Proceed);
        assert_eq!(eval(&Method::GET, &[(&IF_MATCH, "\"v0\"")]), Failed);
        // Strong comparison: a weak request tag never matches.
        assert_eq!(eval(&Method::GET, &[(&IF_MATCH, "W/\"v1\"")]), Failed);
        assert_eq!(eval(&Method::GET, &[(&IF_MATCH, "garbage")]), Failed);
        assert_eq!(eval(&Method::GET, &[(&IF_MATCH, "")]), Failed);
        // A weak or missing stored tag never satisfies If-Match, except with "*".
        let weak = hv("W/\"v1\"");
        let h = req(&[(&IF_MATCH, "\"v1\"")]);
        assert_eq!(evaluate(&Method::GET, &h, Some(&weak), None), Failed);
        assert_eq!(evaluate(&Method::GET, &h, None, None), Failed);
        let star = req(&[(&IF_MATCH, "*")]);
        assert_eq!(evaluate(&Method::GET, &star, None, None), Proceed);
    }

    #[test]
    fn if_match_skips_if_unmodified_since() {
        // If-Match passes, so the (false) If-Unmodified-Since is not looked at.
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_MATCH, "\"v1\""), (&IF_UNMODIFIED_SINCE, D0)]
            ),
            Proceed
        );
    }

    #[test]
    fn if_unmodified_since() {
        assert_eq!(eval(&Method::GET, &[(&IF_UNMODIFIED_SINCE, D1)]), Proceed);
        assert_eq!(eval(&Method::GET, &[(&IF_UNMODIFIED_SINCE, D2)]), Proceed);
        assert_eq!(eval(&Method::GET, &[(&IF_UNMODIFIED_SINCE, D0)]), Failed);
        assert_eq!(eval(&Method::PUT, &[(&IF_UNMODIFIED_SINCE, D0)]), Failed);
        // Invalid or repeated dates are ignored.
        assert_eq!(
            eval(&Method::GET, &[(&IF_UNMODIFIED_SINCE, "yesterday")]),
            Proceed
        );
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_UNMODIFIED_SINCE, D0), (&IF_UNMODIFIED_SINCE, D0)]
            ),
            Proceed
        );
        // Other date formats are accepted.
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_UNMODIFIED_SINCE, "Sunday, 06-Nov-94 08:49:36 GMT")]
            ),
            Failed
        );
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_UNMODIFIED_SINCE, "Sun Nov  6 08:49:36 1994")]
            ),
            Failed
        );
        // Without a stored Last-Modified the condition cannot be shown false.
        let h = req(&[(&IF_UNMODIFIED_SINCE, D0)]);
        assert_eq!(evaluate(&Method::GET, &h, None, None), Proceed);
    }

    #[test]
    fn if_none_match() {
        assert_eq!(
            eval(&Method::GET, &[(&IF_NONE_MATCH, "\"v1\"")]),
            NotModified
        );
        assert_eq!(
            eval(&Method::HEAD, &[(&IF_NONE_MATCH, "\"v1\"")]),
            NotModified
        );
        // Weak comparison.
        assert_eq!(
            eval(&Method::GET, &[(&IF_NONE_MATCH, "W/\"v1\"")]),
            NotModified
        );
        assert_eq!(
            eval(&Method::GET, &[(&IF_NONE_MATCH, "\"x\", W/\"v1\"")]),
            NotModified
        );
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_NONE_MATCH, "\"x\""), (&IF_NONE_MATCH, "\"v1\"")]
            ),
            NotModified
        );
        assert_eq!(eval(&Method::GET, &[(&IF_NONE_MATCH, "*")]), NotModified);
        assert_eq!(eval(&Method::GET, &[(&IF_NONE_MATCH, "\"v2\"")]), Proceed);
        assert_eq!(eval(&Method::GET, &[(&IF_NONE_MATCH, "v1")]), Proceed);
        // Non-GET/HEAD methods fail instead.
        assert_eq!(eval(&Method::POST, &[(&IF_NONE_MATCH, "\"v1\"")]), Failed);
        assert_eq!(eval(&Method::DELETE, &[(&IF_NONE_MATCH, "*")]), Failed);
        assert_eq!(eval(&Method::POST, &[(&IF_NONE_MATCH, "\"v2\"")]), Proceed);
        // A weak stored tag matches weakly.
        let weak = hv("W/\"v1\"");
        let h = req(&[(&IF_NONE_MATCH, "\"v1\"")]);
        assert_eq!(evaluate(&Method::GET, &h, Some(&weak), None), NotModified);
        // Without a stored tag only "*" matches.
        assert_eq!(evaluate(&Method::GET, &h, None, None), Proceed);
        let star = req(&[(&IF_NONE_MATCH, "*")]);
        assert_eq!(evaluate(&Method::GET, &star, None, None), NotModified);
    }

    #[test]
    fn if_match_failure_comes_first() {
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_MATCH, "\"v0\""), (&IF_NONE_MATCH, "\"v1\"")]
            ),
            Failed
        );
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_UNMODIFIED_SINCE, D0), (&IF_NONE_MATCH, "\"v1\"")]
            ),
            Failed
        );
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_MATCH, "\"v1\""), (&IF_NONE_MATCH, "\"v1\"")]
            ),
            NotModified
        );
    }

    #[test]
    fn if_modified_since() {
        assert_eq!(eval(&Method::GET, &[(&IF_MODIFIED_SINCE, D1)]), NotModified);
        assert_eq!(eval(&Method::GET, &[(&IF_MODIFIED_SINCE, D2)]), NotModified);
        assert_eq!(
            eval(&Method::HEAD, &[(&IF_MODIFIED_SINCE, D2)]),
            NotModified
        );
        assert_eq!(eval(&Method::GET, &[(&IF_MODIFIED_SINCE, D0)]), Proceed);
        // Only GET and HEAD.
        assert_eq!(eval(&Method::POST, &[(&IF_MODIFIED_SINCE, D2)]), Proceed);
        // Invalid or repeated dates are ignored.
        assert_eq!(
            eval(&Method::GET, &[(&IF_MODIFIED_SINCE, "garbage")]),
            Proceed
        );
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_MODIFIED_SINCE, D2), (&IF_MODIFIED_SINCE, D2)]
            ),
            Proceed
        );
        assert_eq!(
            eval(&Method::GET, &[(&IF_MODIFIED_SINCE, &format!(" {D2} "))]),
            NotModified
        );
        // Ignored when If-None-Match is present, even when that does not match.
        assert_eq!(
            eval(
                &Method::GET,
                &[(&IF_NONE_MATCH, "\"v2\""), (&IF_MODIFIED_SINCE, D2)]
            ),
            Proceed
        );
        // No stored Last-Modified (and no Date passed instead): cannot answer 304.
        let h = req(&[(&IF_MODIFIED_SINCE, D2)]);
        assert_eq!(evaluate(&Method::GET, &h, None, None), Proceed);
        let bad_lm = hv("not a date");
        assert_eq!(evaluate(&Method::GET, &h, None, Some(&bad_lm)), Proceed);
    }

    #[test]
    fn if_range() {
        let strong = hv("\"v1\"");
        let weak = hv("W/\"v1\"");
        let lm = hv(D1);
        let check = |value: Option<&str>, etag: Option<&HeaderValue>| {
            let h = value.map_or_else(HeaderMap::new, |v| req(&[(&IF_RANGE, v)]));
            if_range_allows(&h, etag, Some(&lm))
        };
        assert!(check(None, Some(&strong)));
        assert!(check(Some("\"v1\""), Some(&strong)));
        assert!(check(Some(" \"v1\" "), Some(&strong)));
        assert!(!check(Some("\"v2\""), Some(&strong)));
        assert!(!check(Some("W/\"v1\""), Some(&strong)));
        assert!(!check(Some("\"v1\""), Some(&weak)));
        assert!(!check(Some("\"v1\""), None));
        assert!(!check(Some("\"v1\", \"v2\""), Some(&strong)));
        assert!(!check(Some("*"), Some(&strong)));
        assert!(check(Some(D1), Some(&strong)));
        assert!(!check(Some(D0), Some(&strong)));
        assert!(!check(Some(D2), Some(&strong)));
        assert!(!check(Some("garbage"), Some(&strong)));
        assert!(!check(Some(""), Some(&strong)));
        let h = req(&[(&IF_RANGE, D1)]);
        assert!(!if_range_allows(&h, Some(&strong), None));
        let two = req(&[(&IF_RANGE, "\"v1\""), (&IF_RANGE, "\"v1\"")]);
        assert!(!if_range_allows(&two, Some(&strong), Some(&lm)));
    }

    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![0x20u8..0x7f, 0x80u8..=0xff, Just(b'\t')];
        let piece = prop_oneof![
            Just(b"\"v1\"".to_vec()),
            Just(b"W/".to_vec()),
            Just(b"*".to_vec()),
            Just(b", ".to_vec()),
            Just(b"\"".to_vec()),
            Just(D1.as_bytes().to_vec()),
            Just(D0.as_bytes().to_vec()),
            proptest::collection::vec(byte, 0..8),
        ];
        proptest::collection::vec(piece, 0..6).prop_map(|v| v.concat())
    }

    fn maybe_value() -> impl Strategy<Value = Option<HeaderValue>> {
        proptest::option::of(header_bytes())
            .prop_map(|v| v.and_then(|v| HeaderValue::from_bytes(&v).ok()))
    }

    proptest! {
        #[test]
        fn evaluate_never_panics(
            method in prop_oneof![Just(Method::GET), Just(Method::HEAD), Just(Method::POST), Just(Method::PUT)],
            headers in proptest::collection::vec((0..5usize, header_bytes()), 0..8),
            etag in maybe_value(),
            lm in maybe_value(),
        ) {
            let names = [&IF_MATCH, &IF_NONE_MATCH, &IF_MODIFIED_SINCE, &IF_UNMODIFIED_SINCE, &IF_RANGE];
            let mut h = HeaderMap::new();
            for (n, v) in headers {
                if let Ok(v) = HeaderValue::from_bytes(&v) {
                    h.append(names[n].clone(), v);
                }
            }
            let outcome = evaluate(&method, &h, etag.as_ref(), lm.as_ref());
            if outcome == NotModified {
                prop_assert!(method == Method::GET || method == Method::HEAD);
            }
            let _ = if_range_allows(&h, etag.as_ref(), lm.as_ref());
        }

        #[test]
        fn etag_parse_never_panics(v in proptest::collection::vec(any::<u8>(), 0..32)) {
            if let Some(t) = parse_etag(&v) {
                prop_assert!(t.opaque.len() >= 2);
                prop_assert!(t.weak_eq(&t));
                prop_assert_eq!(t.strong_eq(&t), !t.weak);
            }
            let _ = TagList::new(&v).count();
        }

        #[test]
        fn tag_list_round_trips(tags in proptest::collection::vec((any::<bool>(), "[!#-~]{0,6}"), 0..6)) {
            let text: Vec<String> = tags
                .iter()
                .map(|(w, o)| format!("{}\"{o}\"", if *w { "W/" } else { "" }))
                .collect();
            let line = text.join(" , ");
            let parsed: Vec<Member<'_>> = TagList::new(line.as_bytes()).collect();
            prop_assert_eq!(parsed.len(), tags.len());
            for (m, (w, o)) in parsed.iter().zip(&tags) {
                let expected = format!("\"{o}\"");
                prop_assert_eq!(m, &Member::Tag(EntityTag { weak: *w, opaque: expected.as_bytes() }));
            }
        }
    }
}

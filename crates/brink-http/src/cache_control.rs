//! `Cache-Control` and RFC 9213 `CDN-Cache-Control` parsing (RFC 9111 §5.2).
//!
//! Both fields share one grammar (RFC 9213 §2.1 reuses the `Cache-Control` syntax), so a
//! single parser serves both; the caller picks which header to read.
//!
//! The parser works on raw bytes, never allocates, never panics and runs in time linear in
//! the input. It is deliberately lenient about syntax (optional whitespace around `=`,
//! quoted numbers, empty list elements, stray garbage) but fails *safe*: when a directive is
//! malformed it is interpreted in the direction that caches less, never more. The exact rules
//! are documented on [`CacheControl::parse`].

use std::fmt;

/// Largest delta-seconds value the parser reports. RFC 9111 §1.2.2 tells a cache to treat a
/// larger (or overflowing) delta-seconds value as 2^31, which also keeps every later
/// `now + max_age` calculation far from overflow.
pub const DELTA_SECONDS_CAP: u64 = 2_147_483_648;

/// The directives of one or more `Cache-Control` (or `CDN-Cache-Control`) field lines that
/// a shared cache acts on. Unknown directives are ignored (RFC 9111 §5.2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// `max-age=N` (seconds).
    pub max_age: Option<u64>,
    /// `s-maxage=N` (seconds); shared caches only.
    pub s_maxage: Option<u64>,
    /// `no-cache` (unqualified or with a field list; a field list is treated as unqualified).
    pub no_cache: bool,
    /// `no-store`.
    pub no_store: bool,
    /// `private` (unqualified or with a field list).
    pub private: bool,
    /// `public`.
    pub public: bool,
    /// `must-revalidate`.
    pub must_revalidate: bool,
    /// `proxy-revalidate`.
    pub proxy_revalidate: bool,
    /// `no-transform`.
    pub no_transform: bool,
    /// `immutable` (RFC 8246).
    pub immutable: bool,
    /// `must-understand` (RFC 9111 §5.2.2.3): store only if the status code's caching rules
    /// are understood, and then regardless of `no-store`.
    pub must_understand: bool,
    /// `stale-while-revalidate=N` (RFC 5861).
    pub stale_while_revalidate: Option<u64>,
    /// `stale-if-error=N` (RFC 5861).
    pub stale_if_error: Option<u64>,
}

impl CacheControl {
    /// Parses one or more field lines of `Cache-Control` (or `CDN-Cache-Control`).
    ///
    /// Several field lines are combined as if they were one comma-separated list
    /// (RFC 9110 §5.3). Each line is tokenised on its own, so an unterminated quoted string
    /// in one line cannot swallow the next line.
    ///
    /// Rules:
    /// - Directive names are case-insensitive; whitespace around commas and around `=` is
    ///   tolerated; empty list elements are skipped; unknown directives are ignored.
    /// - Arguments may be tokens or quoted strings (with `\` escapes and embedded commas).
    ///   `max-age="60"` is accepted as 60. `no-cache="Set-Cookie"` and `private="a, b"` are
    ///   treated as their unqualified forms.
    /// - Delta-seconds larger than [`DELTA_SECONDS_CAP`] become [`DELTA_SECONDS_CAP`].
    /// - `max-age` / `s-maxage`: a missing or invalid argument (`max-age`, `max-age=`,
    ///   `max-age=-1`, `max-age=1.5`, `max-age=60x`), or a repetition with a *different*
    ///   value, yields `Some(0)`, i.e. the response is stale at once (RFC 9111 §4.2.1 permits
    ///   this for conflicting values, and §5.2.2.1 / §5.2.2.10 do not define a fallback for
    ///   invalid ones). Repeating the same value is harmless and keeps it.
    /// - `stale-while-revalidate` / `stale-if-error` (RFC 5861): an invalid argument is
    ///   ignored (the directive only ever extends use of stale content, so dropping it is the
    ///   cautious choice); repetitions keep the smallest value.
    /// - A directive followed by garbage (e.g. `no-store;x`) still counts when it restricts
    ///   caching (`no-store`, `no-cache`, `private`, `must-revalidate`, `proxy-revalidate`,
    ///   `no-transform`) but is ignored when it would widen it (`public`, `immutable`,
    ///   `must-understand`).
    /// - Non-UTF-8 bytes are simply part of unknown tokens or arguments.
    pub fn parse<'a, I: IntoIterator<Item = &'a [u8]>>(field_lines: I) -> CacheControl {
        let mut acc = Accumulator::default();
        for line in field_lines {
            parse_line(line, &mut acc);
        }
        acc.finish()
    }

    /// Parses every field line of header `name` in `headers`; `None` when the header is
    /// absent, `Some` (possibly all defaults) when at least one line is present.
    pub fn parse_header_map(
        headers: &http::HeaderMap,
        name: &http::header::HeaderName,
    ) -> Option<CacheControl> {
        let mut lines = headers.get_all(name).iter().peekable();
        lines.peek()?;
        Some(CacheControl::parse(lines.map(http::HeaderValue::as_bytes)))
    }
}

/// Same as [`CacheControl::parse_header_map`]: `None` when header `name` is absent from
/// `headers`, otherwise all its field lines parsed together.
pub fn parse_header_map(
    headers: &http::HeaderMap,
    name: &http::header::HeaderName,
) -> Option<CacheControl> {
    CacheControl::parse_header_map(headers, name)
}

/// Canonical form: directives in field-declaration order, joined by `", "`, numbers
/// unquoted, field-list arguments dropped. An all-default value formats as the empty
/// string. For every value the parser can produce (all delta-seconds at most
/// [`DELTA_SECONDS_CAP`]), parsing the output gives the same value back.
impl fmt::Display for CacheControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut put = |f: &mut fmt::Formatter<'_>, name: &str, value: Option<u64>| {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(name)?;
            if let Some(v) = value {
                f.write_str("=")?;
                f.write_str(itoa::Buffer::new().format(v))?;
            }
            Ok(())
        };
        if let Some(v) = self.max_age {
            put(f, "max-age", Some(v))?;
        }
        if let Some(v) = self.s_maxage {
            put(f, "s-maxage", Some(v))?;
        }
        let flags = [
            (self.no_cache, "no-cache"),
            (self.no_store, "no-store"),
            (self.private, "private"),
            (self.public, "public"),
            (self.must_revalidate, "must-revalidate"),
            (self.proxy_revalidate, "proxy-revalidate"),
            (self.no_transform, "no-transform"),
            (self.immutable, "immutable"),
            (self.must_understand, "must-understand"),
        ];
        for (set, name) in flags {
            if set {
                put(f, name, None)?;
            }
        }
        if let Some(v) = self.stale_while_revalidate {
            put(f, "stale-while-revalidate", Some(v))?;
        }
        if let Some(v) = self.stale_if_error {
            put(f, "stale-if-error", Some(v))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Parser internals.

/// State of a freshness-lifetime directive (`max-age`, `s-maxage`) while parsing.
#[derive(Debug, Clone, Copy, Default)]
enum Lifetime {
    #[default]
    Unset,
    Value(u64),
    /// Seen with an invalid argument or with two different values: treated as stale.
    Poisoned,
}

impl Lifetime {
    fn observe(&mut self, arg: Arg) {
        *self = match (*self, arg.number()) {
            (Lifetime::Unset, Some(n)) => Lifetime::Value(n),
            (Lifetime::Value(old), Some(n)) if old == n => Lifetime::Value(n),
            _ => Lifetime::Poisoned,
        };
    }

    fn finish(self) -> Option<u64> {
        match self {
            Lifetime::Unset => None,
            Lifetime::Value(n) => Some(n),
            Lifetime::Poisoned => Some(0),
        }
    }
}

/// Records an RFC 5861 directive: invalid arguments are ignored, repetitions keep the
/// smallest value.
fn observe_stale(slot: &mut Option<u64>, arg: Arg) {
    if let Some(n) = arg.number() {
        *slot = Some(slot.map_or(n, |old| old.min(n)));
    }
}

#[derive(Debug, Default)]
struct Accumulator {
    out: CacheControl,
    max_age: Lifetime,
    s_maxage: Lifetime,
}

impl Accumulator {
    fn finish(mut self) -> CacheControl {
        self.out.max_age = self.max_age.finish();
        self.out.s_maxage = self.s_maxage.finish();
        self.out
    }

    fn apply(&mut self, name: &[u8], arg: Arg) {
        let is = |want: &str| name.eq_ignore_ascii_case(want.as_bytes());
        let well_formed = !matches!(arg, Arg::Malformed);
        let out = &mut self.out;
        if is("max-age") {
            self.max_age.observe(arg);
        } else if is("s-maxage") {
            self.s_maxage.observe(arg);
        } else if is("stale-while-revalidate") {
            observe_stale(&mut out.stale_while_revalidate, arg);
        } else if is("stale-if-error") {
            observe_stale(&mut out.stale_if_error, arg);
        } else if is("no-cache") {
            // RFC 9111 §5.2.2.4: the qualified form may be handled as the unqualified one.
            out.no_cache = true;
        } else if is("no-store") {
            out.no_store = true;
        } else if is("private") {
            // RFC 9111 §5.2.2.7: same allowance as for qualified no-cache.
            out.private = true;
        } else if is("must-revalidate") {
            out.must_revalidate = true;
        } else if is("proxy-revalidate") {
            out.proxy_revalidate = true;
        } else if is("no-transform") {
            out.no_transform = true;
        } else if is("public") {
            out.public |= well_formed;
        } else if is("immutable") {
            out.immutable |= well_formed;
        } else if is("must-understand") {
            // It can override `no-store`, so a malformed one is ignored (then `no-store`
            // holds).
            out.must_understand |= well_formed;
        }
    }
}

/// The argument of one directive, reduced to what the directives we know need.
#[derive(Debug, Clone, Copy)]
enum Arg {
    /// No `=` at all.
    Absent,
    /// A syntactically acceptable argument; `number` is its delta-seconds value (capped)
    /// when it consists solely of one or more ASCII digits.
    Value { number: Option<u64> },
    /// Something we could not make sense of (empty argument, unterminated quote, trailing
    /// garbage, junk after the name).
    Malformed,
}

impl Arg {
    fn number(self) -> Option<u64> {
        match self {
            Arg::Value { number } => number,
            Arg::Absent | Arg::Malformed => None,
        }
    }
}

/// Incremental delta-seconds accumulator (RFC 9111 §1.2.2): saturating, then capped.
#[derive(Debug, Clone, Copy)]
struct Digits {
    value: u64,
    any: bool,
    only_digits: bool,
}

impl Digits {
    const fn new() -> Digits {
        Digits {
            value: 0,
            any: false,
            only_digits: true,
        }
    }

    fn push(&mut self, b: u8) {
        self.any = true;
        if b.is_ascii_digit() {
            self.value = self
                .value
                .saturating_mul(10)
                .saturating_add(u64::from(b - b'0'));
        } else {
            self.only_digits = false;
        }
    }

    fn get(self) -> Option<u64> {
        (self.any && self.only_digits).then_some(self.value.min(DELTA_SECONDS_CAP))
    }
}

/// Optional whitespace (RFC 9110 §5.6.3).
const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `tchar` (RFC 9110 §5.6.2).
const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

fn skip_ows(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ows(b[i]) {
        i += 1;
    }
    i
}

/// Returns the index of the next list-separating comma at or after `i` (or `b.len()`),
/// stepping over quoted strings so that commas inside them do not split the list.
fn skip_to_comma(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b',' => return i,
            b'"' => i = skip_quoted(b, i + 1, |_| {}).0,
            _ => i += 1,
        }
    }
    i
}

/// Scans a quoted string whose opening quote is just before `i`, feeding each unescaped
/// content byte to `sink`. Returns the index after the closing quote and whether a closing
/// quote was found (an unterminated string runs to the end of the line).
fn skip_quoted(b: &[u8], mut i: usize, mut sink: impl FnMut(u8)) -> (usize, bool) {
    while i < b.len() {
        match b[i] {
            b'"' => return (i + 1, true),
            b'\\' if i + 1 < b.len() => {
                sink(b[i + 1]);
                i += 2;
            }
            c => {
                sink(c);
                i += 1;
            }
        }
    }
    (i, false)
}

/// Parses the argument that starts at `i` (just after `=` and any whitespace). Returns the
/// argument and the index of the comma ending the element (or the end of the line).
fn parse_arg(b: &[u8], i: usize) -> (Arg, usize) {
    let mut digits = Digits::new();
    if b.get(i) == Some(&b'"') {
        let (after, closed) = skip_quoted(b, i + 1, |c| digits.push(c));
        let rest = skip_ows(b, after);
        if !closed || (rest < b.len() && b[rest] != b',') {
            return (Arg::Malformed, skip_to_comma(b, rest));
        }
        return (
            Arg::Value {
                number: digits.get(),
            },
            rest,
        );
    }
    let end = skip_to_comma(b, i);
    let mut value = &b[i..end];
    while let [rest @ .., last] = value {
        if !is_ows(*last) {
            break;
        }
        value = rest;
    }
    if value.is_empty() {
        return (Arg::Malformed, end);
    }
    value.iter().for_each(|&c| digits.push(c));
    (
        Arg::Value {
            number: digits.get(),
        },
        end,
    )
}

fn parse_line(b: &[u8], acc: &mut Accumulator) {
    let mut i = 0;
    while i < b.len() {
        // Skip separators, whitespace and empty list elements.
        if is_ows(b[i]) || b[i] == b',' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_tchar(b[i]) {
            i += 1;
        }
        let name = &b[start..i];
        if name.is_empty() {
            // Element does not start with a token: ignore it entirely.
            // `b[i]` is neither a comma nor whitespace, so this always makes progress.
            i = skip_to_comma(b, i);
            continue;
        }
        let j = skip_ows(b, i);
        let arg = if j >= b.len() || b[j] == b',' {
            i = j;
            Arg::Absent
        } else if b[j] == b'=' {
            let (arg, next) = parse_arg(b, skip_ows(b, j + 1));
            i = next;
            arg
        } else {
            i = skip_to_comma(b, j);
            Arg::Malformed
        };
        acc.apply(name, arg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> CacheControl {
        CacheControl::parse([s.as_bytes()])
    }

    fn pl(lines: &[&str]) -> CacheControl {
        CacheControl::parse(lines.iter().map(|l| l.as_bytes()))
    }

    #[test]
    fn empty_and_default() {
        assert_eq!(p(""), CacheControl::default());
        assert_eq!(p(" , ,, "), CacheControl::default());
        assert_eq!(
            CacheControl::parse(std::iter::empty()),
            CacheControl::default()
        );
        assert_eq!(CacheControl::default().to_string(), "");
    }

    #[test]
    fn basic_directives() {
        let cc = p("public, max-age=60, s-maxage=10, must-revalidate");
        assert!(cc.public && cc.must_revalidate);
        assert_eq!(cc.max_age, Some(60));
        assert_eq!(cc.s_maxage, Some(10));
        assert!(!cc.no_store && !cc.private);

        let cc = p("no-cache, no-store, private, proxy-revalidate, no-transform, immutable");
        assert!(cc.no_cache && cc.no_store && cc.private);
        assert!(cc.proxy_revalidate && cc.no_transform && cc.immutable);

        let cc = p("stale-while-revalidate=30, stale-if-error=86400");
        assert_eq!(cc.stale_while_revalidate, Some(30));
        assert_eq!(cc.stale_if_error, Some(86400));
    }

    #[test]
    fn case_and_whitespace() {
        let cc = p("  MAX-AGE=60 ,\tNo-Store ,Public  ");
        assert_eq!(cc.max_age, Some(60));
        assert!(cc.no_store && cc.public);
        assert_eq!(p("max-age = 60").max_age, Some(60));
        assert_eq!(p("max-age\t=\t60\t").max_age, Some(60));
        assert_eq!(p(",,max-age=5,,").max_age, Some(5));
    }

    #[test]
    fn multiple_field_lines() {
        let cc = pl(&["max-age=60", "no-store", "", "s-maxage=5, public"]);
        assert_eq!(cc.max_age, Some(60));
        assert_eq!(cc.s_maxage, Some(5));
        assert!(cc.no_store && cc.public);
    }

    #[test]
    fn unterminated_quote_does_not_leak_into_next_line() {
        let cc = pl(&["private=\"abc, no-store", "max-age=7"]);
        assert!(cc.private);
        assert!(!cc.no_store);
        assert_eq!(cc.max_age, Some(7));
    }

    #[test]
    fn quoted_arguments() {
        let cc = p(r#"no-cache="Set-Cookie, X-Foo", max-age=60"#);
        assert!(cc.no_cache);
        assert_eq!(cc.max_age, Some(60));

        let cc = p(r#"private="a,b", public"#);
        assert!(cc.private && cc.public);

        // Escaped quotes and commas inside the quoted string do not end it.
        let cc = p(r#"no-cache="a\", no-store, b", s-maxage=3"#);
        assert!(cc.no_cache);
        assert!(!cc.no_store);
        assert_eq!(cc.s_maxage, Some(3));

        // Unknown directive whose quoted argument hides separators.
        let cc = p(r#"ext="x, no-store, max-age=0", max-age=9"#);
        assert!(!cc.no_store);
        assert_eq!(cc.max_age, Some(9));
    }

    #[test]
    fn quoted_numbers() {
        assert_eq!(p(r#"max-age="60""#).max_age, Some(60));
        assert_eq!(p(r#"s-maxage="7" , public"#).s_maxage, Some(7));
        assert_eq!(p(r#"max-age="6\0""#).max_age, Some(60));
        assert_eq!(p(r#"stale-if-error="5""#).stale_if_error, Some(5));
        // Whitespace inside the quotes is not a number.
        assert_eq!(p(r#"max-age=" 60""#).max_age, Some(0));
        assert_eq!(p(r#"max-age="""#).max_age, Some(0));
        // Unterminated or followed by garbage.
        assert_eq!(p(r#"max-age="60"#).max_age, Some(0));
        assert_eq!(p(r#"max-age="60"x, public"#).max_age, Some(0));
        assert!(p(r#"max-age="60"x, public"#).public);
    }

    #[test]
    fn invalid_lifetimes_become_stale() {
        for v in [
            "max-age",
            "max-age=",
            "max-age=-1",
            "max-age=+1",
            "max-age=1.5",
            "max-age=60x",
            "max-age=60 30",
            "max-age=abc",
            "max-age;x",
            "max-age 60",
        ] {
            assert_eq!(p(v).max_age, Some(0), "{v}");
        }
        assert_eq!(p("s-maxage=x").s_maxage, Some(0));
        assert_eq!(p("s-maxage").s_maxage, Some(0));
    }

    #[test]
    fn duplicate_lifetimes() {
        assert_eq!(p("max-age=60, max-age=60").max_age, Some(60));
        assert_eq!(p("max-age=60, max-age=30").max_age, Some(0));
        assert_eq!(p("max-age=60, max-age=x").max_age, Some(0));
        assert_eq!(p("max-age=x, max-age=60").max_age, Some(0));
        assert_eq!(pl(&["s-maxage=1", "s-maxage=2"]).s_maxage, Some(0));
        // Different directives do not interfere.
        let cc = p("max-age=60, s-maxage=30");
        assert_eq!((cc.max_age, cc.s_maxage), (Some(60), Some(30)));
    }

    #[test]
    fn stale_directives() {
        assert_eq!(p("stale-while-revalidate=x").stale_while_revalidate, None);
        assert_eq!(p("stale-while-revalidate").stale_while_revalidate, None);
        assert_eq!(
            p("stale-while-revalidate=30, stale-while-revalidate=10").stale_while_revalidate,
            Some(10)
        );
        assert_eq!(
            p("stale-if-error=5, stale-if-error=bad").stale_if_error,
            Some(5)
        );
    }

    #[test]
    fn overflow_is_capped() {
        assert_eq!(p("max-age=2147483647").max_age, Some(2_147_483_647));
        assert_eq!(p("max-age=2147483648").max_age, Some(DELTA_SECONDS_CAP));
        assert_eq!(p("max-age=2147483649").max_age, Some(DELTA_SECONDS_CAP));
        assert_eq!(
            p("s-maxage=99999999999999999999999999999999999").s_maxage,
            Some(DELTA_SECONDS_CAP)
        );
        assert_eq!(
            p("stale-if-error=18446744073709551616").stale_if_error,
            Some(DELTA_SECONDS_CAP)
        );
        assert_eq!(p("max-age=0000000000000000000000000060").max_age, Some(60));
    }

    #[test]
    fn malformed_directives_fail_safe() {
        let cc = p("no-store;x, public junk, immutable\"x\", private garbage");
        assert!(cc.no_store && cc.private);
        assert!(!cc.public && !cc.immutable);
        // Boolean directives with (unexpected but well-formed) arguments still count.
        let cc = p("public=1, no-store=yes");
        assert!(cc.public && cc.no_store);
    }

    #[test]
    fn unknown_and_garbage_ignored() {
        let cc = p("foo, bar=baz, =, ;;;, \"quoted, no-store\", max-age=1");
        assert!(!cc.no_store);
        assert_eq!(cc.max_age, Some(1));
        assert_eq!(p("max-agex=5").max_age, None);
        let junk: &[u8] = b"\xff\xfe, max-age=\xff, no-store, \x80\x81=\"\xc3\x28";
        let cc = CacheControl::parse([junk]);
        assert_eq!(cc.max_age, Some(0));
        assert!(cc.no_store);
    }

    #[test]
    fn display_canonical() {
        let cc = p("stale-if-error=1, immutable, no-store, s-maxage=10, max-age=60");
        assert_eq!(
            cc.to_string(),
            "max-age=60, s-maxage=10, no-store, immutable, stale-if-error=1"
        );
        let all = CacheControl {
            max_age: Some(1),
            s_maxage: Some(2),
            no_cache: true,
            no_store: true,
            private: true,
            public: true,
            must_revalidate: true,
            proxy_revalidate: true,
            no_transform: true,
            immutable: true,
            must_understand: true,
            stale_while_revalidate: Some(3),
            stale_if_error: Some(4),
        };
        assert_eq!(
            all.to_string(),
            "max-age=1, s-maxage=2, no-cache, no-store, private, public, must-revalidate, \
             proxy-revalidate, no-transform, immutable, must-understand, stale-while-revalidate=3, \
             stale-if-error=4"
        );
        assert_eq!(p(&all.to_string()), all);
    }

    #[test]
    fn header_map() {
        let mut h = http::HeaderMap::new();
        assert_eq!(parse_header_map(&h, &http::header::CACHE_CONTROL), None);
        h.append(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("max-age=60"),
        );
        h.append(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        let cdn = http::header::HeaderName::from_static("cdn-cache-control");
        h.append(cdn.clone(), http::HeaderValue::from_static(""));
        let cc = CacheControl::parse_header_map(&h, &http::header::CACHE_CONTROL);
        assert_eq!(
            cc,
            Some(CacheControl {
                max_age: Some(60),
                no_store: true,
                ..CacheControl::default()
            })
        );
        assert_eq!(parse_header_map(&h, &cdn), Some(CacheControl::default()));
    }

    fn delta() -> impl Strategy<Value = Option<u64>> {
        prop_oneof![
            Just(None),
            (0..=DELTA_SECONDS_CAP).prop_map(Some),
            Just(Some(DELTA_SECONDS_CAP)),
            Just(Some(0)),
        ]
    }

    prop_compose! {
        fn arb_cc()(
            max_age in delta(),
            s_maxage in delta(),
            stale_while_revalidate in delta(),
            stale_if_error in delta(),
            flags in proptest::array::uniform9(any::<bool>()),
        ) -> CacheControl {
            CacheControl {
                max_age,
                s_maxage,
                no_cache: flags[0],
                no_store: flags[1],
                private: flags[2],
                public: flags[3],
                must_revalidate: flags[4],
                proxy_revalidate: flags[5],
                no_transform: flags[6],
                immutable: flags[7],
                must_understand: flags[8],
                stale_while_revalidate,
                stale_if_error,
            }
        }
    }

    /// Rewrites a canonical string with random letter case, whitespace around separators,
    /// empty list elements, and split points into several field lines.
    fn mangle(canonical: &str, seed: &[u8]) -> Vec<Vec<u8>> {
        let mut seed = seed.iter().copied().cycle();
        let mut next = move || seed.next().unwrap_or(0);
        let mut lines = vec![Vec::new()];
        for part in canonical.split(", ") {
            let r = next();
            if r % 5 == 0 && !lines.last().is_some_and(Vec::is_empty) {
                lines.push(Vec::new());
            }
            let line = lines.last_mut().expect("at least one line");
            if !line.is_empty() {
                let ws: &[u8] = [&b""[..], b" ", b"\t", b"  "][usize::from(r % 4)];
                line.extend_from_slice(ws);
                line.push(b',');
                if r % 7 == 0 {
                    line.extend_from_slice(b" ,");
                }
                line.extend_from_slice([&b""[..], b" ", b"\t "][usize::from(r % 3)]);
            }
            for c in part.bytes() {
                let r = next();
                match c {
                    b'=' => {
                        line.extend_from_slice([&b""[..], b" "][usize::from(r % 2)]);
                        line.push(b'=');
                        line.extend_from_slice([&b""[..], b"\t"][usize::from(r % 3 / 2)]);
                    }
                    c if r % 2 == 0 => line.push(c.to_ascii_uppercase()),
                    c => line.push(c),
                }
            }
        }
        lines
    }

    proptest! {
        #[test]
        fn round_trip(cc in arb_cc()) {
            let s = cc.to_string();
            prop_assert_eq!(p(&s), cc);
        }

        #[test]
        fn never_panics(lines in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..64), 0..4)
        ) {
            let cc = CacheControl::parse(lines.iter().map(Vec::as_slice));
            // Whatever came out must be stable through the canonical form.
            prop_assert_eq!(p(&cc.to_string()), cc.clone());
            for v in [cc.max_age, cc.s_maxage, cc.stale_while_revalidate, cc.stale_if_error] {
                prop_assert!(v.is_none_or(|v| v <= DELTA_SECONDS_CAP));
            }
        }

        #[test]
        fn never_panics_on_directive_soup(parts in proptest::collection::vec(
            prop_oneof![
                Just("max-age"), Just("s-maxage"), Just("no-cache"), Just("private"),
                Just("="), Just(","), Just("\""), Just("\\"), Just(" "), Just("60"),
                Just("public"), Just("stale-if-error"), Just(";"), Just("\u{ff}"),
            ], 0..24)
        ) {
            let s: String = parts.concat();
            let cc = p(&s);
            prop_assert_eq!(p(&cc.to_string()), cc);
        }

        #[test]
        fn whitespace_and_case_variations(cc in arb_cc(), seed in proptest::collection::vec(any::<u8>(), 1..32)) {
            let lines = mangle(&cc.to_string(), &seed);
            let parsed = CacheControl::parse(lines.iter().map(Vec::as_slice));
            prop_assert_eq!(parsed, cc);
        }
    }
}

//! `CDN-Cache-Control` (RFC 9213) read strictly, as the Structured Field dictionary it is.
//!
//! Unlike `Cache-Control`, whose lenient parser lives in [`crate::cache_control`], the
//! targeted field is a Dictionary (RFC 8941 §3.2) and RFC 9213 §2.1 has a cache ignore it
//! *as a whole* when it fails to parse; the cache then falls back to `Cache-Control`. The
//! same section asks implementations not to consume values of the wrong type (its example
//! is a decimal `max-age`), and Brink treats such a field as invalid too, so
//! `max-age="60"`, `max-age=1.5`, `max-age=-1`, `no-store=1` and a key with an upper-case
//! letter (`Max-Age=60`, not a valid key) all make the whole field ignored.
//!
//! Types Brink requires of the directives it acts on:
//! - `max-age`, `s-maxage`, `stale-while-revalidate`, `stale-if-error`: a non-negative
//!   Integer (values over 2^31 count as 2^31, RFC 9111 §1.2.2);
//! - `no-store`, `public`, `must-revalidate`, `proxy-revalidate`, `no-transform`,
//!   `immutable`, `must-understand`: a Boolean (a bare key is `?1`; `?0` means absent);
//! - `no-cache`, `private`: a Boolean, or a String (the field-list form, treated as the
//!   unqualified directive, as for `Cache-Control`).
//!
//! Unknown keys may carry any valid value; parameters are ignored (RFC 9213 §2.1). A key
//! given twice keeps its last value (Dictionary semantics, RFC 8941 §4.2.2). Several field
//! lines are joined with commas before parsing (RFC 8941 §4.2). An empty field (after
//! trimming) is treated as absent.
//!
//! The parser implements RFC 8941 §4.2 (the RFC 9651 additions, Date and Display String,
//! are not accepted). It works on bytes, never allocates, never panics and runs in linear
//! time; `fuzz/fuzz_targets/cdn_cache_control.rs` checks that.

use crate::cache_control::{CacheControl, DELTA_SECONDS_CAP};

/// The value of one dictionary member, reduced to what the directives need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    Integer(i64),
    Boolean(bool),
    String,
    /// Decimal, Token, Byte Sequence or Inner List: never the right type for a directive
    /// Brink acts on.
    Other,
}

/// Parses the field lines of `CDN-Cache-Control`. `None` when the field is absent, empty,
/// not a valid Structured Field dictionary, or gives a known directive a value of the wrong
/// type: the caller then uses `Cache-Control`.
pub fn parse<'a, I: IntoIterator<Item = &'a [u8]>>(field_lines: I) -> Option<CacheControl> {
    let mut p = Parser {
        lines: field_lines.into_iter().peekable(),
        cur: &[],
        pos: 0,
    };
    p.next_line_start()?;
    let mut out = CacheControl::default();
    loop {
        let key = p.key()?;
        let value = if p.eat(b'=') {
            p.item_or_inner_list()?
        } else {
            p.parameters()?;
            Value::Boolean(true)
        };
        apply(&mut out, key, value)?;
        p.skip_ows();
        if p.at_end() {
            break;
        }
        if !p.eat(b',') {
            return None;
        }
        p.skip_ows();
        if p.at_end() {
            // A trailing comma.
            return None;
        }
    }
    Some(out)
}

/// Records one member, or `None` when a known directive has the wrong type.
fn apply(out: &mut CacheControl, key: &[u8], value: Value) -> Option<()> {
    let delta = |v: Value| match v {
        Value::Integer(n) if n >= 0 => Some(n.unsigned_abs().min(DELTA_SECONDS_CAP)),
        _ => None,
    };
    let flag = |v: Value| match v {
        Value::Boolean(b) => Some(b),
        _ => None,
    };
    let flag_or_fields = |v: Value| match v {
        Value::Boolean(b) => Some(b),
        Value::String => Some(true),
        _ => None,
    };
    match key {
        b"max-age" => out.max_age = Some(delta(value)?),
        b"s-maxage" => out.s_maxage = Some(delta(value)?),
        b"stale-while-revalidate" => out.stale_while_revalidate = Some(delta(value)?),
        b"stale-if-error" => out.stale_if_error = Some(delta(value)?),
        b"no-store" => out.no_store = flag(value)?,
        b"public" => out.public = flag(value)?,
        b"must-revalidate" => out.must_revalidate = flag(value)?,
        b"proxy-revalidate" => out.proxy_revalidate = flag(value)?,
        b"no-transform" => out.no_transform = flag(value)?,
        b"immutable" => out.immutable = flag(value)?,
        b"must-understand" => out.must_understand = flag(value)?,
        b"no-cache" => out.no_cache = flag_or_fields(value)?,
        b"private" => out.private = flag_or_fields(value)?,
        _ => {}
    }
    Some(())
}

/// A cursor over the field lines as if they were one value joined by `,`.
struct Parser<'a, I: Iterator<Item = &'a [u8]>> {
    lines: std::iter::Peekable<I>,
    cur: &'a [u8],
    pos: usize,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Parser<'a, I> {
    /// Positions on the first line with content; `None` when every line is empty. Leading
    /// and trailing SP of the combined value are discarded (RFC 8941 §4.2).
    fn next_line_start(&mut self) -> Option<()> {
        for line in self.lines.by_ref() {
            let t = trim_sp(line);
            if !t.is_empty() {
                self.cur = t;
                self.pos = 0;
                return Some(());
            }
        }
        None
    }

    fn peek(&self) -> Option<u8> {
        self.cur.get(self.pos).copied()
    }

    fn at_end(&mut self) -> bool {
        if self.pos < self.cur.len() {
            return false;
        }
        // Skip empty following lines; a non-empty one continues the list after a comma.
        while let Some(line) = self.lines.peek() {
            if trim_sp(line).is_empty() {
                self.lines.next();
            } else {
                return false;
            }
        }
        true
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            return true;
        }
        // The end of the current line, when another line follows, reads as a `,`.
        if b == b',' && self.pos >= self.cur.len() {
            // The joining comma between two field lines.
            for line in self.lines.by_ref() {
                let t = trim_sp(line);
                if !t.is_empty() {
                    self.cur = t;
                    self.pos = 0;
                    return true;
                }
            }
        }
        false
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// RFC 8941 §4.2.3.3: `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`.
    fn key(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.pos += 1,
            _ => return None,
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.pos += 1;
        }
        Some(&self.cur[start..self.pos])
    }

    /// RFC 8941 §4.2.1.1.
    fn item_or_inner_list(&mut self) -> Option<Value> {
        if self.peek() == Some(b'(') {
            self.inner_list()?;
            return Some(Value::Other);
        }
        let v = self.bare_item()?;
        self.parameters()?;
        Some(v)
    }

    /// RFC 8941 §4.2.1.2.
    fn inner_list(&mut self) -> Option<()> {
        self.pos += 1; // `(`
        loop {
            self.skip_sp();
            if self.peek() == Some(b')') {
                self.pos += 1;
                return self.parameters();
            }
            self.bare_item()?;
            self.parameters()?;
            match self.peek() {
                Some(b' ' | b')') => {}
                _ => return None,
            }
        }
    }

    /// RFC 8941 §4.2.3.2.
    fn parameters(&mut self) -> Option<()> {
        while self.peek() == Some(b';') {
            self.pos += 1;
            self.skip_sp();
            self.key()?;
            if self.peek() == Some(b'=') {
                self.pos += 1;
                self.bare_item()?;
            }
        }
        Some(())
    }

    /// RFC 8941 §4.2.3.1.
    fn bare_item(&mut self) -> Option<Value> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => self.string(),
            b'*' | b'a'..=b'z' | b'A'..=b'Z' => {
                self.pos += 1;
                while self.peek().is_some_and(is_token_char) {
                    self.pos += 1;
                }
                Some(Value::Other)
            }
            b':' => {
                self.pos += 1;
                loop {
                    match self.peek()? {
                        b':' => {
                            self.pos += 1;
                            return Some(Value::Other);
                        }
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => {
                            self.pos += 1;
                        }
                        _ => return None,
                    }
                }
            }
            b'?' => {
                self.pos += 1;
                let v = match self.peek()? {
                    b'0' => false,
                    b'1' => true,
                    _ => return None,
                };
                self.pos += 1;
                Some(Value::Boolean(v))
            }
            _ => None,
        }
    }

    /// RFC 8941 §4.2.4: Integer (at most 15 digits) or Decimal (at most 12 integer and 3
    /// fraction digits).
    fn number(&mut self) -> Option<Value> {
        let negative = self.eat(b'-');
        let mut int: i64 = 0;
        let mut int_digits = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            self.pos += 1;
            int_digits += 1;
            if int_digits > 15 {
                return None;
            }
            int = int * 10 + i64::from(d - b'0');
        }
        if int_digits == 0 {
            return None;
        }
        if self.peek() != Some(b'.') {
            return Some(Value::Integer(if negative { -int } else { int }));
        }
        if int_digits > 12 {
            return None;
        }
        self.pos += 1;
        let mut frac_digits = 0;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
            frac_digits += 1;
            if frac_digits > 3 {
                return None;
            }
        }
        (frac_digits > 0).then_some(Value::Other)
    }

    /// RFC 8941 §4.2.5.
    fn string(&mut self) -> Option<Value> {
        self.pos += 1; // `"`
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(Value::String);
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek()? {
                        b'"' | b'\\' => self.pos += 1,
                        _ => return None,
                    }
                }
                0x20..=0x7e => self.pos += 1,
                _ => return None,
            }
        }
    }
}

/// `tchar / ":" / "/"` (RFC 8941 §3.3.4).
fn is_token_char(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b':' | b'/')
}

fn trim_sp(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<CacheControl> {
        parse([s.as_bytes()])
    }

    fn pl(lines: &[&str]) -> Option<CacheControl> {
        parse(lines.iter().map(|l| l.as_bytes()))
    }

    #[test]
    fn valid_dictionaries() {
        let c = p("max-age=60").expect("valid");
        assert_eq!(c.max_age, Some(60));
        let c = p("max-age=60, no-store, s-maxage=5;x=1, private=\"set-cookie\"").expect("valid");
        assert_eq!((c.max_age, c.s_maxage), (Some(60), Some(5)));
        assert!(c.no_store && c.private);
        let c = p("no-store=?0, must-understand, public=?1").expect("valid");
        assert!(!c.no_store && c.must_understand && c.public);
        // Last value wins.
        assert_eq!(p("max-age=5, max-age=10").and_then(|c| c.max_age), Some(10));
        // Unknown keys may have any valid value.
        let c = p("foo=1.5, bar=(a b), baz=:aGVsbG8=:, qux=tok/en, max-age=7").expect("valid");
        assert_eq!(c.max_age, Some(7));
        // RFC 9213 §3.1's `none`: a valid field with no known directive.
        assert_eq!(p("none"), Some(CacheControl::default()));
        // Large values cap at 2^31.
        assert_eq!(
            p("max-age=999999999999999").and_then(|c| c.max_age),
            Some(DELTA_SECONDS_CAP)
        );
        // OWS around commas; several lines.
        assert_eq!(
            pl(&["max-age=5 ,\tno-cache", "  s-maxage=3"])
                .map(|c| (c.max_age, c.s_maxage, c.no_cache)),
            Some((Some(5), Some(3), true))
        );
    }

    #[test]
    fn invalid_fields_are_ignored_as_a_whole() {
        for bad in [
            "max-age=\"60\"",
            "max-age=1.5",
            "max-age=-1",
            "max-age=60x",
            "max-age=",
            "Max-Age=60",
            "max-age=60, Foo",
            "max-age=60,",
            "max-age=60,,no-store",
            "no-store=1",
            "no-store=\"yes\"",
            "private=tok",
            "no-cache=(a)",
            "max-age=1234567890123456",
            "foo=\"unterminated",
            "foo=?2",
            "foo=1.",
            "foo=1.2345",
            "foo=(a",
            "foo=(a)b",
            "foo;",
            "foo=\"\\x\"",
            "max-age = 60",
            "9key=1",
            "max-age=60 no-store",
            "foo=@12",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
        assert_eq!(pl(&["max-age=5", "Bad"]), None);
        // Parameters are allowed (and ignored), with SP after `;`.
        assert_eq!(p("max-age=60; x").and_then(|c| c.max_age), Some(60));
        // Empty: treated as absent.
        assert_eq!(p(""), None);
        assert_eq!(p("   "), None);
        assert_eq!(parse(std::iter::empty()), None);
    }
}

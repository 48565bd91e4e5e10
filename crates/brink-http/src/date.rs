//! HTTP-date parsing as a cache recipient (RFC 9110 §5.6.7, RFC 9111 §4.2).
//!
//! All three formats are accepted: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the
//! obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and ANSI C's asctime
//! (`Sun Nov  6 08:49:37 1994`), as RFC 9110 §5.6.7 requires of recipients. HTTP-date is
//! case-sensitive, but RFC 9111 §4.2 asks a cache to match it case-insensitively, so
//! `sun, 06 NOV 1994 08:49:37 gmt` is the same instant. Anything else is invalid (`None`);
//! what an invalid date means is up to the caller (an invalid `Expires` is "already
//! expired", RFC 9111 §5.3).
//!
//! A two-digit RFC 850 year is read as 1970–2069 (the `httpdate` crate's pivot). RFC 9110
//! asks for "no more than 50 years ahead"; the two agree for every year until 2019 + 50, so
//! the difference only concerns 2070–2076 spelled with two digits, which no live origin
//! sends.

use std::time::SystemTime;

/// Longest valid HTTP-date (`Wednesday, 06-Nov-94 08:49:37 GMT` is 33 bytes).
const MAX_DATE_LEN: usize = 40;

/// Parses an HTTP-date field value (surrounding whitespace allowed). No allocation.
pub fn parse_http_date(value: &[u8]) -> Option<SystemTime> {
    let value = value.trim_ascii();
    let text = std::str::from_utf8(value).ok()?;
    if let Ok(t) = httpdate::parse_http_date(text) {
        return Some(t);
    }
    // Not in the canonical case: rewrite every word as `Xxx` (and `GMT`), then parse again.
    if value.len() > MAX_DATE_LEN || !value.is_ascii() {
        return None;
    }
    let mut buf = [0u8; MAX_DATE_LEN];
    let buf = &mut buf[..value.len()];
    let mut word_start = true;
    for (out, &b) in buf.iter_mut().zip(value) {
        *out = if word_start {
            b.to_ascii_uppercase()
        } else {
            b.to_ascii_lowercase()
        };
        word_start = !b.is_ascii_alphabetic();
    }
    if buf.len() >= 3 && buf[buf.len() - 3..].eq_ignore_ascii_case(b"gmt") {
        let n = buf.len();
        buf[n - 3..].copy_from_slice(b"GMT");
    }
    let text = std::str::from_utf8(buf).ok()?;
    httpdate::parse_http_date(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// 1994-11-06 08:49:37 UTC, RFC 9110's example instant.
    fn example() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn the_three_formats_in_any_case() {
        for v in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "sun, 06 nov 1994 08:49:37 gmt",
            "SUN, 06 NOV 1994 08:49:37 GMT",
            "SUNDAY, 06-NOV-94 08:49:37 GMT",
            "sunday, 06-nov-94 08:49:37 Gmt",
            "sun nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT\t",
        ] {
            assert_eq!(parse_http_date(v.as_bytes()), Some(example()), "{v:?}");
        }
    }

    #[test]
    fn invalid_dates() {
        for v in [
            "",
            "0",
            "-1",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT trailing",
            "Sün, 06 Nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(v.as_bytes()), None, "{v:?}");
        }
        assert_eq!(parse_http_date(&[0xff, b'1']), None);
    }
}

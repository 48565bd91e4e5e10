//! The request path as behavior selection sees it (issue 9, part 6).
//!
//! A behavior is chosen on the *normalized* path so that spellings an origin may resolve to
//! the same resource (`/public/../private/x`, `/%70rivate/x`, `//private/x`) cannot slip past
//! a `/private/*` behavior into a more permissive one. The raw path is still what the origin
//! receives; only the match uses [`normalize_path`].
//!
//! The steps, in order:
//!
//! 1. Percent-encoding normalization (RFC 3986 §6.2.2.2 and §6.2.2.1): a `%XX` triplet that
//!    encodes an unreserved character (`A-Z a-z 0-9 - . _ ~`, RFC 3986 §2.3) is decoded; any
//!    other valid triplet keeps its encoding with its hex digits upper-cased (`%2f` → `%2F`:
//!    an encoded slash stays data, never a separator). A `%` not followed by two hex digits is
//!    written `%25`, so the result is a valid path and normalizing it again changes nothing
//!    (`/%7%30` is `/%2570`, never `/%70` and then `/p`). Decoding happens once: `%252e`
//!    stays `%252e`.
//! 2. Repeated slashes merged (**Brink's choice**, not part of RFC 3986): empty segments are
//!    dropped, so `//private/x` and `/private//x` match like `/private/x`. Merging happens
//!    *before* dot segments are removed, so a `..` always cancels a real segment, never an
//!    empty one: `/public//../private/x` matches as `/private/x`, which is how nginx (with its
//!    default `merge_slashes on`), Go's `path.Clean` and Python's `posixpath.normpath` resolve
//!    it.
//! 3. Dot-segment removal (RFC 3986 §5.2.4 and §6.2.2.3): `.` segments vanish, `..` removes
//!    the segment before it (never climbing above the root), and a path that ends in a dot
//!    segment keeps its trailing `/` (`/a/b/..` → `/a/`).
//!
//! A path that does not start with `/` (only `*` reaches the edge that way, for
//! `OPTIONS *`) gets step 1 only.
//!
//! The common path (no `%` that would change, no `//`, no dot segment) is returned borrowed:
//! no allocation. [`normalize_path`] returns [`Cow::Owned`] exactly when the result differs
//! from its input.

use std::borrow::Cow;

/// The value of an ASCII hex digit.
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 §2.3 `unreserved`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The byte a valid `%XX` triplet at the start of `rest` encodes (`rest[0]` is `%`).
fn triplet(rest: &[u8]) -> Option<u8> {
    let hi = hex_value(*rest.get(1)?)?;
    let lo = hex_value(*rest.get(2)?)?;
    Some(hi << 4 | lo)
}

/// Whether the `%` at the start of `rest` would be rewritten by step 1 (a stray `%` is).
fn triplet_changes(rest: &[u8]) -> bool {
    match triplet(rest) {
        None => true,
        Some(v) => is_unreserved(v) || rest[1..3].iter().any(u8::is_ascii_lowercase),
    }
}

/// Whether a segment (the bytes between two `/`, already percent-normalized) is `.` or `..`.
fn is_dot_segment(seg: &[u8]) -> bool {
    seg == b"." || seg == b".."
}

/// Whether [`normalize_path`] would change `path`. One pass over the bytes, no allocation.
fn needs_normalization(path: &str) -> bool {
    let b = path.as_bytes();
    let absolute = b.first() == Some(&b'/');
    let mut seg_start = 0;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'%' if triplet_changes(&b[i..]) => return true,
            b'/' if absolute => {
                // An empty segment (`//`) or a dot segment just ended.
                if i > 0 && (i == seg_start || is_dot_segment(&b[seg_start..i])) {
                    return true;
                }
                seg_start = i + 1;
            }
            _ => {}
        }
    }
    absolute && is_dot_segment(&b[seg_start..])
}

/// Step 1 alone: decodes unreserved triplets and upper-cases the others.
fn normalize_percent(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = triplet(&b[i..]) {
                out.push_str(&path[copied..i]);
                if is_unreserved(v) {
                    out.push(char::from(v));
                } else {
                    out.push('%');
                    out.push(char::from(b[i + 1].to_ascii_uppercase()));
                    out.push(char::from(b[i + 2].to_ascii_uppercase()));
                }
                i += 3;
                copied = i;
                continue;
            }
            // A stray `%`: encode it.
            out.push_str(&path[copied..i]);
            out.push_str("%25");
            copied = i + 1;
        }
        i += 1;
    }
    out.push_str(&path[copied..]);
    out
}

/// Steps 2 and 3 on an absolute, percent-normalized path.
fn merge_and_remove_dots(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    // `path` starts with `/`: every segment follows a slash. The last one decides whether
    // the result keeps a trailing slash.
    let mut trailing_slash = false;
    for seg in path[1..].split('/') {
        match seg {
            "" | "." => trailing_slash = true,
            ".." => {
                // Drop the last `/segment` written, if any.
                let cut = out.rfind('/').unwrap_or(0);
                out.truncate(cut);
                trailing_slash = true;
            }
            _ => {
                out.push('/');
                out.push_str(seg);
                trailing_slash = false;
            }
        }
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    out
}

/// The path behavior selection matches: `path` normalized as the [module](self) describes.
/// Borrowed (no allocation) when nothing changes.
///
/// ```
/// use brink_model::path_normalize::normalize_path;
/// assert_eq!(normalize_path("/public/../private/x"), "/private/x");
/// assert_eq!(normalize_path("/public/%2e%2e/private/x"), "/private/x");
/// assert_eq!(normalize_path("/%70rivate/x"), "/private/x");
/// assert_eq!(normalize_path("//private//x"), "/private/x");
/// assert_eq!(normalize_path("/private%2fx"), "/private%2Fx");
/// assert!(matches!(normalize_path("/img/a.png"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn normalize_path(path: &str) -> Cow<'_, str> {
    if !needs_normalization(path) {
        return Cow::Borrowed(path);
    }
    let decoded = normalize_percent(path);
    if !decoded.starts_with('/') {
        return Cow::Owned(decoded);
    }
    Cow::Owned(merge_and_remove_dots(&decoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obviously-correct reference: a character-by-character decode, then the path split
    /// into segments, empty ones dropped, and a stack for `.`/`..`.
    fn reference(path: &str) -> String {
        let chars: Vec<char> = path.chars().collect();
        let mut decoded = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '%' && i + 2 < chars.len() {
                let (h, l) = (chars[i + 1], chars[i + 2]);
                if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() {
                    let v = u8::from_str_radix(&format!("{h}{l}"), 16).expect("hex");
                    let ch = char::from(v);
                    if ch.is_ascii_alphanumeric() || "-._~".contains(ch) {
                        decoded.push(ch);
                    } else {
                        decoded.push_str(&format!("%{v:02X}"));
                    }
                    i += 3;
                    continue;
                }
            }
            if c == '%' {
                decoded.push_str("%25");
            } else {
                decoded.push(c);
            }
            i += 1;
        }
        if !decoded.starts_with('/') {
            return decoded;
        }
        let parts: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
        let mut stack: Vec<&str> = Vec::new();
        for p in &parts {
            match *p {
                "." => {}
                ".." => {
                    stack.pop();
                }
                s => stack.push(s),
            }
        }
        let mut out = String::from("/");
        out.push_str(&stack.join("/"));
        // A trailing slash survives when the path (slashes merged) ended with `/` or with
        // a dot segment, and there is something before it.
        let ends_open =
            decoded.ends_with('/') || parts.last().is_some_and(|p| *p == "." || *p == "..");
        if ends_open && !stack.is_empty() {
            out.push('/');
        }
        out
    }

    #[test]
    fn the_issue_cases() {
        for (raw, want) in [
            ("/public/../private/x", "/private/x"),
            ("/public/%2e%2e/private/x", "/private/x"),
            ("/public/%2E%2e/private/x", "/private/x"),
            ("/%70rivate/x", "/private/x"),
            ("//private/x", "/private/x"),
            ("/private//x", "/private/x"),
            ("/private%2Fx", "/private%2Fx"),
            ("/private%2fx", "/private%2Fx"),
            ("/public//../private/x", "/private/x"),
            ("/./private/./x", "/private/x"),
            ("/../../private/x", "/private/x"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/..", "/"),
            ("/.", "/"),
            ("//", "/"),
            ("/a/..b/.c/...", "/a/..b/.c/..."),
            ("/%252e%252e/x", "/%252e%252e/x"),
            ("/%zz/%4", "/%25zz/%254"),
            ("/%7%30", "/%2570"),
            ("/%7e%41", "/~A"),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("*", "*"),
        ] {
            assert_eq!(normalize_path(raw), want, "{raw}");
            assert_eq!(reference(raw), want, "reference on {raw}");
        }
    }

    #[test]
    fn unchanged_paths_are_borrowed() {
        for p in [
            "/",
            "/index.html",
            "/a/b/c/",
            "/a..b/.c/",
            "/x%2Fy",
            "*",
            "/é/ü",
        ] {
            assert!(matches!(normalize_path(p), Cow::Borrowed(_)), "{p}");
        }
    }

    /// Paths made of the pieces that matter, so the interesting cases are frequent.
    fn path_strategy() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/".to_owned()),
            Just("//".to_owned()),
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just("%2e".to_owned()),
            Just("%2E".to_owned()),
            Just("%2f".to_owned()),
            Just("%2F".to_owned()),
            Just("%25".to_owned()),
            Just("%".to_owned()),
            Just("%7".to_owned()),
            Just("%c3%a9".to_owned()),
            Just("é".to_owned()),
            "[a-zA-Z0-9~_-]{1,3}",
            "%[0-9a-fA-F]{2}",
            "[ -~]",
        ];
        (
            prop_oneof![Just("/"), Just(""), Just("//")],
            prop::collection::vec(piece, 0..12),
        )
            .prop_map(|(start, pieces)| format!("{start}{}", pieces.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn matches_the_reference(path in path_strategy()) {
            let got = normalize_path(&path);
            let want = reference(&path);
            prop_assert_eq!(got.as_ref(), want.as_str());
            // Borrowed exactly when nothing changed.
            prop_assert_eq!(matches!(got, Cow::Borrowed(_)), got.as_ref() == path);
            // Idempotent.
            let again = normalize_path(&got);
            prop_assert_eq!(again.as_ref(), got.as_ref());
        }

        #[test]
        fn any_string_is_handled(path in ".*") {
            let got = normalize_path(&path);
            let want = reference(&path);
            prop_assert_eq!(got.as_ref(), want.as_str());
        }
    }
}

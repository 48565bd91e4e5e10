//! Cache-behavior path patterns (§1.2).
//!
//! `*` matches zero or more characters, `/` included; `?` matches exactly one character;
//! everything else is literal and case-sensitive. A leading `/` is optional (`img/*` is
//! `/img/*`). Patterns are checked and classified once; matching allocates nothing.

use std::fmt;

/// Longest pattern CloudFront accepts.
pub const MAX_PATH_PATTERN_LEN: usize = 255;

/// Why a path pattern was refused (reported as `InvalidArgument`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathPatternError {
    /// Empty pattern.
    #[error("the path pattern is empty")]
    Empty,
    /// Longer than 255 characters.
    #[error("the path pattern has {0} characters; at most 255 are allowed")]
    TooLong(usize),
    /// A character outside `A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + &`.
    #[error("the path pattern contains {0:?}; allowed are A-Z a-z 0-9 _ - . * $ / ~ \" ' @ : + &")]
    BadChar(char),
}

/// Whether CloudFront allows `c` in a path pattern.
pub fn is_pattern_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '_' | '-' | '.' | '*' | '?' | '$' | '/' | '~' | '"' | '\'' | '@' | ':' | '+' | '&'
        )
}

/// How a pattern is matched, picked once so common shapes avoid the general matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// No wildcard: equality.
    Exact,
    /// `lit*`: prefix test.
    Prefix,
    /// `*lit`: suffix test.
    Suffix,
    /// Anything else: backtracking glob.
    Glob,
}

/// A compiled cache-behavior path pattern.
#[derive(Clone, PartialEq, Eq)]
pub struct PathPattern {
    /// As written in the configuration.
    source: Box<str>,
    /// With a leading `/`; ASCII only.
    norm: Box<str>,
    /// Literal bytes before the first wildcard (starts with `/`), for cheap rejection.
    prefix_len: usize,
    shape: Shape,
}

impl fmt::Debug for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PathPattern({:?})", self.source)
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PathPattern {
    /// Checks and compiles `pattern`.
    ///
    /// # Errors
    /// [`PathPatternError`] for an empty or over-long pattern or a disallowed character
    /// (`?` is allowed: it is the one-character wildcard).
    pub fn new(pattern: &str) -> Result<PathPattern, PathPatternError> {
        if pattern.is_empty() {
            return Err(PathPatternError::Empty);
        }
        let chars = pattern.chars().count();
        if chars > MAX_PATH_PATTERN_LEN {
            return Err(PathPatternError::TooLong(chars));
        }
        if let Some(c) = pattern.chars().find(|c| !is_pattern_char(*c)) {
            return Err(PathPatternError::BadChar(c));
        }
        let norm: Box<str> = if pattern.starts_with('/') {
            pattern.into()
        } else {
            format!("/{pattern}").into_boxed_str()
        };
        let bytes = norm.as_bytes();
        let prefix_len = bytes
            .iter()
            .position(|b| matches!(b, b'*' | b'?'))
            .unwrap_or(bytes.len());
        let stars = bytes.iter().filter(|b| **b == b'*').count();
        let questions = bytes.iter().filter(|b| **b == b'?').count();
        let shape = if stars == 0 && questions == 0 {
            Shape::Exact
        } else if questions == 0 && stars == 1 && bytes.last() == Some(&b'*') {
            Shape::Prefix
        } else if questions == 0 && stars == 1 && bytes.get(1) == Some(&b'*') {
            // `/*lit`: the leading `/` is literal, then a suffix test.
            Shape::Suffix
        } else {
            Shape::Glob
        };
        Ok(PathPattern {
            source: pattern.into(),
            norm,
            prefix_len,
            shape,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The pattern with its leading `/` (two patterns with equal normal forms are duplicates).
    pub fn normalized(&self) -> &str {
        &self.norm
    }

    /// Whether `path` (the request path, without query) matches.
    ///
    /// A path without a leading `/` is treated as if it had one.
    pub fn matches(&self, path: &str) -> bool {
        let pat = self.norm.as_bytes();
        // Align both sides on the leading slash without allocating.
        let (pat, prefix_len, path) = if path.starts_with('/') {
            (pat, self.prefix_len, path.as_bytes())
        } else {
            (&pat[1..], self.prefix_len - 1, path.as_bytes())
        };
        if path.len() < prefix_len || pat[..prefix_len] != path[..prefix_len] {
            return false;
        }
        match self.shape {
            Shape::Exact => pat == path,
            Shape::Prefix => true,
            Shape::Suffix => {
                // Pattern is `<prefix>*<suffix>` with the prefix just checked.
                let suffix = &pat[prefix_len + 1..];
                path.len() >= prefix_len + suffix.len() && path.ends_with(suffix)
            }
            Shape::Glob => glob(&pat[prefix_len..], &path[prefix_len..]),
        }
    }
}

/// Length of the UTF-8 sequence starting with `lead` (1 for ASCII and stray bytes).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Iterative wildcard match with single-star backtracking: linear in the common case,
/// `O(p·s)` worst case, no allocation.
///
/// `pat` is ASCII; `s` is valid UTF-8. Literal bytes are ASCII and so only ever match whole
/// characters, `?` consumes one whole character, and the star resumes at character
/// boundaries, so every position visited in `s` is a character boundary.
fn glob(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, text index it covers to).
    let mut resume: Option<(usize, usize)> = None;
    while i < s.len() {
        match pat.get(p) {
            Some(b'*') => {
                p += 1;
                resume = Some((p, i));
                continue;
            }
            Some(b'?') => {
                p += 1;
                i += utf8_len(s[i]).min(s.len() - i);
                continue;
            }
            Some(&c) if c == s[i] => {
                p += 1;
                i += 1;
                continue;
            }
            _ => {}
        }
        match resume {
            Some((rp, ri)) => {
                // Let the star swallow one more character and retry.
                let next = ri + utf8_len(s[ri]).min(s.len() - ri);
                resume = Some((rp, next));
                p = rp;
                i = next;
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|b| *b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        PathPattern::new(p).unwrap().matches(s)
    }

    #[test]
    fn cloudfront_examples() {
        // §1.2: `*` crosses `/`, `?` is one character, case matters, leading `/` optional.
        assert!(m("images/*.jpg", "/images/a/b.jpg"));
        assert!(m("/images/*.jpg", "/images/x.jpg"));
        assert!(!m("*.jpg", "/LOGO.JPG"));
        assert!(m("*.jpg", "/logo.jpg"));
        assert!(m("/img/*", "/img/"));
        assert!(!m("/img/*", "/img"));
        assert!(m("/a?c", "/abc"));
        assert!(!m("/a?c", "/ac"));
        assert!(m("/a?c", "/aéc"));
        assert!(m("*", "/"));
        assert!(m("*", "/anything/at/all"));
        assert!(m("/exact.html", "/exact.html"));
        assert!(!m("/exact.html", "/exact.htm"));
        assert!(m("/*/x/*.js", "/a/b/x/c.js"));
        assert!(!m("/*/x/*.js", "/a/b/y/c.js"));
        assert!(m("/a*b*c", "/abbbc"));
        assert!(m("/a*b*c", "/abc"));
        assert!(!m("/a*b*c", "/acb"));
    }

    #[test]
    fn refuses_bad_patterns() {
        assert_eq!(PathPattern::new(""), Err(PathPatternError::Empty));
        assert_eq!(
            PathPattern::new("/a b"),
            Err(PathPatternError::BadChar(' '))
        );
        assert_eq!(
            PathPattern::new("/a%20"),
            Err(PathPatternError::BadChar('%'))
        );
        assert!(matches!(
            PathPattern::new(&"a".repeat(256)),
            Err(PathPatternError::TooLong(256))
        ));
        assert!(PathPattern::new(&"a".repeat(255)).is_ok());
        assert_eq!(
            PathPattern::new("/a=b"),
            Err(PathPatternError::BadChar('='))
        );
        assert!(PathPattern::new("/api/v1/*&x@:+~$'\"").is_ok());
    }

    #[test]
    fn normal_form() {
        assert_eq!(PathPattern::new("img/*").unwrap().normalized(), "/img/*");
        assert_eq!(PathPattern::new("/img/*").unwrap().as_str(), "/img/*");
    }
}

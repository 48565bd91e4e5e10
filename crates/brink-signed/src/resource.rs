//! The `Resource` of a custom policy against the request URL (cloudfront.md §5).
//!
//! A pattern is read as `scheme://domain/path?query`, and each wildcard stays inside its
//! section: `*` is zero or more characters, `?` exactly one, neither crosses into the next
//! section. On top of that:
//! - `"*"` alone matches every URL;
//! - a trailing `*` in the path also matches any query (or none);
//! - a domain ending in `*` with nothing after it means `domain*/*?*`;
//! - a pattern starting with `*` and no `scheme://` matches either scheme;
//! - the scheme is `http`, `https` or `*` (any glob of letters and `*` is read the same way);
//! - a pattern with no path stands for the path `/`.
//!
//! The query separator: `\?` always separates path and query (and then every other `?` is a
//! wildcard). Without `\?`, AWS's own examples write `/horizon.jpg?size=large`, which only makes
//! sense if that `?` starts the query, while the wildcard rule says it matches one character:
//! both readings are tried and either may match (cloudfront.md §5 leaves it open; decided so).
//!
//! Decisions where CloudFront says nothing we found: the domain is compared ASCII
//! case-insensitively (hosts are case-insensitive), scheme likewise, path and query exactly;
//! "one character" is one byte (request targets are ASCII; a raw UTF-8 byte counts alone); the
//! domain section is the Host as the viewer sent it, port included when it sent one; inside a
//! section `\?` matches a literal `?`, every other backslash is literal.

/// The parts of the request URL a resource is matched against (the query without the signing
/// parameters, `None` when the URL has no `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The Host as the viewer sent it.
    pub host: &'a str,
    /// The raw path, starting with `/`.
    pub path: &'a str,
    /// The query as sent minus signing parameters; `None` when there is no `?`.
    pub query: Option<&'a str>,
}

/// Whether `pattern` (a policy's `Resource`, JSON-unescaped) covers `url`.
pub fn resource_matches(pattern: &str, url: &UrlParts<'_>) -> bool {
    if pattern == "*" {
        return true;
    }
    let p = pattern.as_bytes();
    let (scheme_pat, rest): (&[u8], &[u8]) = match find(p, b"://") {
        Some(i)
            if i > 0
                && p[..i]
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'*') =>
        {
            (&p[..i], &p[i + 3..])
        }
        _ if p.first() == Some(&b'*') => (b"*", p),
        _ => return false,
    };
    if !glob(scheme_pat, url.scheme.as_bytes(), true) {
        return false;
    }
    // The domain ends at the first `/` or at `\?`; an unescaped `?` inside it is a wildcard.
    let slash = rest.iter().position(|&b| b == b'/');
    let esc = find(rest, b"\\?");
    let domain_end = match (slash, esc) {
        (Some(s), Some(e)) => s.min(e),
        (Some(s), None) => s,
        (None, Some(e)) => e,
        (None, None) => rest.len(),
    };
    let domain = &rest[..domain_end];
    let tail = &rest[domain_end..];
    if !glob(domain, url.host.as_bytes(), true) {
        return false;
    }
    if tail.is_empty() {
        // `https://d.example.com*` covers everything under it; a bare domain is its root.
        if domain.last() == Some(&b'*') {
            return true;
        }
        return url.path == "/" && url.query.is_none_or(str::is_empty);
    }
    if let Some(rest_q) = tail.strip_prefix(b"\\?") {
        // `https://d\?q`: root path with a query.
        return url.path == "/" && glob(rest_q, url.query.unwrap_or("").as_bytes(), false);
    }
    // `tail` starts with `/`.
    if let Some(e) = find(tail, b"\\?") {
        return path_query(&tail[..e], Some(&tail[e + 2..]), url);
    }
    // Reading A: every `?` is a wildcard, there is no query section.
    if path_query(tail, None, url) {
        return true;
    }
    // Reading B: the first `?` starts the query.
    match tail.iter().position(|&b| b == b'?') {
        Some(q) => path_query(&tail[..q], Some(&tail[q + 1..]), url),
        None => false,
    }
}

fn path_query(path: &[u8], query: Option<&[u8]>, url: &UrlParts<'_>) -> bool {
    if !glob(path, url.path.as_bytes(), false) {
        return false;
    }
    let q = url.query.unwrap_or("").as_bytes();
    match query {
        Some(qp) => glob(qp, q, false),
        // A trailing `*` in the path stands for any query too.
        None if path.last() == Some(&b'*') => true,
        None => q.is_empty(),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn eq(a: u8, b: u8, ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// `*` (0+ bytes) and `?` (exactly one byte) over one section; `\?` is a literal `?`.
/// Iterative with one backtrack point: O(|p|·|t|) at worst, linear in the common case.
pub fn glob(p: &[u8], t: &[u8], case_insensitive: bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(b'?') => Some(1),
            Some(b'\\') if p.get(pi + 1) == Some(&b'?') => (t[ti] == b'?').then_some(2),
            Some(&c) => eq(c, t[ti], case_insensitive).then_some(1),
            None => None,
        };
        if let Some(adv) = step {
            pi += adv;
            ti += 1;
            continue;
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url<'a>(s: &'a str) -> UrlParts<'a> {
        let (scheme, rest) = s.split_once("://").expect("scheme");
        let (hp, query) = match rest.split_once('?') {
            Some((a, b)) => (a, Some(b)),
            None => (rest, None),
        };
        let (host, path) = match hp.find('/') {
            Some(i) => (&hp[..i], &hp[i..]),
            None => (hp, "/"),
        };
        UrlParts {
            scheme,
            host,
            path,
            query,
        }
    }

    #[track_caller]
    fn yes(p: &str, u: &str) {
        assert!(resource_matches(p, &url(u)), "{p} should match {u}");
    }
    #[track_caller]
    fn no(p: &str, u: &str) {
        assert!(!resource_matches(p, &url(u)), "{p} should not match {u}");
    }

    #[test]
    fn aws_examples() {
        let d = "https://d111111abcdef8.cloudfront.net";
        yes("*", &format!("{d}/a/b?c=d"));
        yes(
            &format!("{d}/game_download.zip*"),
            &format!("{d}/game_download.zip"),
        );
        yes(
            &format!("{d}/game_download.zip*"),
            &format!("{d}/game_download.zip?x=1"),
        );
        yes(&format!("{d}/images/*"), &format!("{d}/images/a/b.jpg"));
        yes(
            &format!("{d}/images/*"),
            &format!("{d}/images/a.jpg?size=1"),
        );
        no(&format!("{d}/images/*"), &format!("{d}/video/a.mp4"));
        yes(
            &format!("{d}/horizon.jpg?size=large"),
            &format!("{d}/horizon.jpg?size=large"),
        );
        no(
            &format!("{d}/horizon.jpg?size=large"),
            &format!("{d}/horizon.jpg?size=small"),
        );
        no(
            &format!("{d}/horizon.jpg"),
            &format!("{d}/horizon.jpg?size=small"),
        );
        yes(
            &format!("{d}/horizon.jpg\\?size=*"),
            &format!("{d}/horizon.jpg?size=small"),
        );
        yes(
            "*://d111111abcdef8.cloudfront.net/*",
            "http://d111111abcdef8.cloudfront.net/x",
        );
        yes(
            "*.cloudfront.net/*",
            "http://d111111abcdef8.cloudfront.net/x",
        );
        yes(
            "https://d111111abcdef8.cloudfront.net*",
            &format!("{d}/a/b?q"),
        );
        no("http://d111111abcdef8.cloudfront.net/*", &format!("{d}/a"));
    }

    #[test]
    fn sections_confine_wildcards() {
        // `*` in the domain does not reach into the path.
        no("https://*/a", "https://d.example.com/b/a");
        yes("https://*.example.com/a", "https://D.EXAMPLE.COM/a");
        // `*` in the middle of the path does not reach into the query.
        no("https://d/*x", "https://d/a?x");
        yes("https://d/*x", "https://d/ax");
        // `?` is one byte, and under reading B it starts the query.
        yes("https://d/a?c", "https://d/abc");
        yes("https://d/a?c", "https://d/a?c");
        no("https://d/a?c", "https://d/a?b");
        no("https://d/a", "https://d/a?b");
        yes("https://d/a\\?", "https://d/a?");
        yes("https://d", "https://d/");
        no("https://d", "https://d/x");
        no("d/*", "https://d/x");
    }

    #[test]
    fn glob_basics() {
        assert!(glob(b"", b"", false));
        assert!(glob(b"*", b"", false));
        assert!(!glob(b"?", b"", false));
        assert!(glob(b"a*b*c", b"aXbYbc", false));
        assert!(!glob(b"a*b*c", b"aXbYbd", false));
        assert!(glob(b"\\?", b"?", false));
        assert!(!glob(b"\\?", b"x", false));
        assert!(glob(b"AB", b"ab", true));
    }
}

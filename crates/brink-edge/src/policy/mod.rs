//! The per-behavior policy the lifecycle applies: cache-key text (query strings, headers,
//! cookies, the normalised `Accept-Encoding`), TTLs per status, which request headers reach
//! the origin (`forward`), and the response headers policy (`response_headers`).
//!
//! Pure functions of a behavior and a request or response; no I/O, nothing async.

pub(crate) mod forward;
pub(crate) mod response_headers;
pub(crate) mod viewer_headers;

use brink_http::accept_encoding::{self, Codings};
use brink_http::key::PurgePattern;
use brink_http::vary::VaryNames;
use brink_model::compiled::{Behavior, NameSelection};
use brink_model::TtlPolicy;
use http::header::HeaderName;
use http::{HeaderMap, HeaderValue};

/// A behavior's rules, as the request path uses them.
#[derive(Debug)]
pub(crate) struct Rules {
    pub(crate) behavior: Behavior,
    /// Header names in the cache key (lower case, sorted).
    pub(crate) key_headers: Vec<HeaderName>,
    /// The normalised `Accept-Encoding` and the cookies in the cache key.
    pub(crate) key_extras: KeyExtras,
    pub(crate) default_root_object: Option<String>,
    /// The distribution's custom error responses.
    pub(crate) custom_errors: Vec<brink_model::compiled::CustomErrorResponse>,
    /// The `CloudFront-*` viewer headers the policies key or forward.
    pub(crate) viewer_headers: viewer_headers::ViewerHeaders,
}

impl Rules {
    /// The TTL policy for a response of `status`: a custom error response's
    /// `ErrorCachingMinTTL` replaces the default 10 s for its code (cloudfront.md §2.3, §8.2).
    pub(crate) fn ttl_for(&self, status: u16) -> TtlPolicy {
        match self.custom_errors.iter().find(|c| c.error_code == status) {
            Some(c) => self
                .behavior
                .ttl
                .with_error_caching_min(c.error_caching_min_ttl),
            None => self.behavior.ttl,
        }
    }
}

impl Rules {
    /// The query string kept for the cache key or the origin, in the viewer's order.
    pub(crate) fn filter_query(selection: &NameSelection, query: Option<&str>) -> Option<String> {
        let query = query?;
        match selection {
            NameSelection::None => None,
            NameSelection::All => Some(query.to_owned()),
            sel => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| {
                        let name = pair.split('=').next().unwrap_or("");
                        sel.includes(name)
                    })
                    .collect();
                (!kept.is_empty()).then(|| kept.join("&"))
            }
        }
    }

    /// The cache key's target for `path` + `query`: the path and keyed query, then the keyed
    /// header values, the normalised `Accept-Encoding` and the keyed cookies, each as
    /// `\n<name>:<value>` (so every variant of a target starts with `<target>\n`, see
    /// [`Rules::purge_patterns`]).
    ///
    /// Appended to `out` (the cache key's own buffer, see `CacheKey::build`).
    pub(crate) fn write_key_text(
        &self,
        out: &mut String,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) {
        self.write_key_base(out, path, query);
        for name in &self.key_headers {
            out.push('\n');
            out.push_str(name.as_str());
            out.push(':');
            for (i, v) in headers.get_all(name).iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&String::from_utf8_lossy(v.as_bytes()));
            }
        }
        if let Some(codings) = self.accepted_encodings(headers) {
            out.push_str("\naccept-encoding:");
            out.push_str(codings.as_str());
        }
        self.key_extras.cookies.push_key(out, headers);
    }

    /// The path and keyed query of the cache key, without variants.
    fn key_base(&self, path: &str, query: Option<&str>) -> String {
        let mut out = String::with_capacity(path.len() + 16);
        self.write_key_base(&mut out, path, query);
        out
    }

    fn write_key_base(&self, out: &mut String, path: &str, query: Option<&str>) {
        out.push_str(path);
        if let Some(q) = Self::filter_query(&self.behavior.cache_key.query_strings, query) {
            out.push('?');
            out.push_str(&q);
        }
    }

    /// The codings of the viewer's `Accept-Encoding` normalised for the key and the origin
    /// (cloudfront.md §2.4); `None` when the policy does not normalise, or the viewer sent
    /// no header or accepts neither enabled coding.
    pub(crate) fn accepted_encodings(&self, headers: &HeaderMap) -> Option<Codings> {
        let enabled = self.key_extras.accept_encoding?;
        accept_encoding::normalise(
            headers
                .get_all(http::header::ACCEPT_ENCODING)
                .iter()
                .map(HeaderValue::as_bytes),
            enabled,
        )
    }

    /// Whether the normalised `Accept-Encoding` replaces the viewer's toward the origin.
    /// Whether the viewer's header `name` (lower case) reaches the origin on a fill: selected
    /// by the policies, or passed by legacy `ForwardedValues` (cloudfront.md §3.2).
    pub(crate) fn forwards_header(&self, name: &HeaderName) -> bool {
        let forwarding = &self.behavior.forwarding;
        if forward::edge_managed(name) {
            return false;
        }
        if *name == http::header::ACCEPT_ENCODING && self.normalises_accept_encoding() {
            return true;
        }
        forwarding.headers.viewer.includes(name.as_str())
            || (forwarding.legacy && forward::legacy_passes(name))
    }

    /// Whether the viewer's header `name` is in the cache key (as itself, or normalised for
    /// `Accept-Encoding`).
    pub(crate) fn keys_header(&self, name: &HeaderName) -> bool {
        self.key_headers.contains(name)
            || (*name == http::header::ACCEPT_ENCODING && self.normalises_accept_encoding())
    }

    /// The origin's `Vary` names that still select stored variants under this behavior.
    /// cloudfront.md §2.8 lets only the policy make variants, which is right for headers the
    /// origin never saw (they cannot change its answer) and for keyed ones (the key already
    /// splits them). A header that is forwarded but not keyed (an origin request policy's,
    /// legacy mode's) can change the answer, though, and CloudFront would then serve one
    /// viewer's variant to all (a gzip body to a viewer that cannot decode it, say): Brink
    /// keeps `Vary` for exactly those.
    pub(crate) fn vary_names(&self, response: &HeaderMap) -> VaryNames {
        let all = VaryNames::from_response(response);
        if all.is_empty() {
            return all;
        }
        let kept: Vec<&str> = all
            .names()
            .iter()
            .filter(|n| self.forwards_header(n) && !self.keys_header(n))
            .map(HeaderName::as_str)
            .collect();
        if kept.len() == all.names().len() {
            return all;
        }
        let mut only = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&kept.join(",")) {
            if !kept.is_empty() {
                only.insert(http::header::VARY, v);
            }
        }
        VaryNames::from_response(&only)
    }

    pub(crate) fn normalises_accept_encoding(&self) -> bool {
        self.key_extras.accept_encoding.is_some()
    }

    /// The purges that remove every stored variant of `path` + `query` (an unsafe request's
    /// invalidation, RFC 9111 §4.4; cloudfront.md §4: all header/cookie variants go
    /// together): the target itself, and everything after `<target>\n` — keyed headers,
    /// cookies, the normalised `Accept-Encoding`, range slices — as one ban of its variants
    /// (cheap: no cache scan, `brink_cache::Cache::ban`).
    pub(crate) fn purge_patterns(&self, path: &str, query: Option<&str>) -> [PurgePattern; 2] {
        let base = self.key_base(path, query);
        [
            PurgePattern::Prefix(format!("{base}\n")),
            PurgePattern::Exact(base),
        ]
    }
}

/// The parts of a behavior's cache key beyond path, query and named headers, compiled when
/// the configuration is loaded (cloudfront.md §2.4).
#[derive(Debug, Default)]
pub(crate) struct KeyExtras {
    /// The codings `Accept-Encoding` is normalised to; `None` when neither gzip nor brotli is
    /// enabled, or when the policy names `Accept-Encoding` itself (then it is an ordinary
    /// keyed header and the edge does not compress).
    pub(crate) accept_encoding: Option<Codings>,
    /// Cookies in the key.
    pub(crate) cookies: CookieKey,
}

impl KeyExtras {
    pub(crate) fn of(b: &Behavior) -> KeyExtras {
        let k = &b.cache_key;
        KeyExtras {
            accept_encoding: (k.normalizes_accept_encoding() && !k.names_accept_encoding())
                .then(|| Codings::new(k.accept_encoding_brotli, k.accept_encoding_gzip)),
            cookies: CookieKey::of(&k.cookies),
        }
    }
}

/// The cookies of a cache key (names and values case-sensitive). Listed names are sorted
/// once here, so the key does not depend on the order of the viewer's `Cookie` header.
#[derive(Debug, Default)]
pub(crate) enum CookieKey {
    /// No cookie is keyed.
    #[default]
    None,
    /// These names (sorted).
    Only(Box<[Box<str>]>),
    /// Every cookie but these names.
    AllExcept(Box<[Box<str>]>),
    /// Every cookie.
    All,
}

impl CookieKey {
    fn of(sel: &NameSelection) -> CookieKey {
        let sorted = |names: &[String]| {
            let mut v: Vec<Box<str>> = names.iter().map(|n| n.as_str().into()).collect();
            v.sort();
            v.dedup();
            v.into_boxed_slice()
        };
        match sel {
            NameSelection::None => CookieKey::None,
            NameSelection::Only(names) if names.is_empty() => CookieKey::None,
            NameSelection::Only(names) => CookieKey::Only(sorted(names)),
            NameSelection::AllExcept(names) => CookieKey::AllExcept(sorted(names)),
            NameSelection::All => CookieKey::All,
        }
    }

    /// Appends `\ncookie:<name>=<value>` for each keyed cookie the viewer sent, ordered by
    /// name (cookies of the same name in the viewer's order).
    fn push_key(&self, out: &mut String, headers: &HeaderMap) {
        let push = |out: &mut String, pair: &str| {
            out.push_str("\ncookie:");
            out.push_str(pair);
        };
        match self {
            CookieKey::None => {}
            CookieKey::Only(names) => {
                for name in names.iter() {
                    for pair in cookie_pairs(headers).filter(|p| cookie_name(p) == &**name) {
                        push(out, pair);
                    }
                }
            }
            CookieKey::AllExcept(_) | CookieKey::All => {
                let mut pairs: Vec<&str> = cookie_pairs(headers)
                    .filter(|p| match self {
                        CookieKey::AllExcept(names) => {
                            let n = cookie_name(p);
                            !names.iter().any(|x| &**x == n)
                        }
                        _ => true,
                    })
                    .collect();
                pairs.sort_by(|a, b| cookie_name(a).cmp(cookie_name(b)));
                for pair in pairs {
                    push(out, pair);
                }
            }
        }
    }
}

/// The `name=value` pairs of a request's `Cookie` field lines (HTTP/2 viewers may send one
/// line per cookie), trimmed, empty ones skipped; lines that are not text are ignored.
pub(crate) fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// The name of a `name=value` cookie pair (the whole pair when it has no `=`).
pub(crate) fn cookie_name(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(n, _)| n.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(lines: &[&'static str]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for l in lines {
            m.append(http::header::COOKIE, HeaderValue::from_static(l));
        }
        m
    }

    fn key(sel: NameSelection, h: &HeaderMap) -> String {
        let mut out = String::new();
        CookieKey::of(&sel).push_key(&mut out, h);
        out
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cookie_keys_are_ordered_case_sensitive_and_selected() {
        let h = cookies(&["b=2; a=1; other=x", "A=up; ;c"]);
        assert_eq!(key(NameSelection::None, &h), "");
        assert_eq!(
            key(NameSelection::Only(names(&["b", "a", "zz"])), &h),
            "\ncookie:a=1\ncookie:b=2"
        );
        assert_eq!(
            key(NameSelection::All, &h),
            "\ncookie:A=up\ncookie:a=1\ncookie:b=2\ncookie:c\ncookie:other=x"
        );
        assert_eq!(
            key(NameSelection::AllExcept(names(&["other", "A"])), &h),
            "\ncookie:a=1\ncookie:b=2\ncookie:c"
        );
        // The viewer's order does not matter; values do.
        let swapped = cookies(&["a=1; b=2"]);
        let only = || NameSelection::Only(names(&["a", "b"]));
        assert_eq!(key(only(), &h), key(only(), &swapped));
        assert_ne!(key(only(), &h), key(only(), &cookies(&["a=1; b=3"])));
        assert_eq!(key(only(), &HeaderMap::new()), "");
    }
}

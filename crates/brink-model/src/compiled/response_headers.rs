//! Resolved response headers policies (§8.4), with header values rendered once.

use crate::raw::CorsMethod;

/// A header the policy sets on viewer responses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyHeader {
    /// Header name, as it should be written.
    pub name: String,
    /// Header value.
    pub value: String,
    /// `true`: replace the origin's header; `false`: keep the origin's if present.
    pub override_origin: bool,
}

/// CORS settings of a response headers policy. CORS headers go only on responses to requests
/// that carry `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CorsPolicy {
    /// `*`, exact origins (`https://example.com`), or `https://*.example.org`.
    pub allow_origins: Vec<String>,
    /// `Access-Control-Allow-Headers` entries (`*` allowed).
    pub allow_headers: Vec<String>,
    /// Allowed methods.
    pub allow_methods: Vec<CorsMethod>,
    /// `Access-Control-Allow-Methods` value, rendered (`ALL` expanded).
    pub allow_methods_value: String,
    /// `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
    /// `Access-Control-Expose-Headers` entries.
    pub expose_headers: Vec<String>,
    /// `Access-Control-Max-Age`, seconds.
    pub max_age_sec: Option<u32>,
    /// Replace the origin's CORS headers.
    pub origin_override: bool,
}

impl CorsPolicy {
    /// Whether the request `Origin` value is allowed (exact, `*`, or a leftmost-label
    /// wildcard like `https://*.example.org`; scheme and host compared case-insensitively).
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|allowed| {
            if allowed == "*" {
                return true;
            }
            if allowed.eq_ignore_ascii_case(origin) {
                return true;
            }
            match allowed.split_once("://*.") {
                Some((scheme, suffix)) => matches_wildcard_origin(origin, scheme, suffix),
                None => false,
            }
        })
    }

    /// The `Access-Control-Allow-Origin` value for an allowed request `origin`: `*` when all
    /// origins are allowed without credentials, otherwise the request's origin echoed.
    pub fn allow_origin_value<'a>(&self, origin: &'a str) -> &'a str {
        if !self.allow_credentials && self.allow_origins.iter().any(|o| o == "*") {
            "*"
        } else {
            origin
        }
    }
}

/// `origin` is `<scheme>://<one or more labels>.<suffix>` (case-insensitive, no allocation).
fn matches_wildcard_origin(origin: &str, scheme: &str, suffix: &str) -> bool {
    let Some(rest) = origin
        .get(..scheme.len())
        .filter(|s| s.eq_ignore_ascii_case(scheme))
        .and_then(|_| origin[scheme.len()..].strip_prefix("://"))
    else {
        return false;
    };
    let Some(split) = rest.len().checked_sub(suffix.len() + 1) else {
        return false;
    };
    split > 0
        && rest.as_bytes().get(split) == Some(&b'.')
        && rest
            .get(split + 1..)
            .is_some_and(|s| s.eq_ignore_ascii_case(suffix))
}

/// A resolved response headers policy.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResponseHeadersPolicy {
    /// Policy id.
    pub id: String,
    /// Policy name.
    pub name: String,
    /// CORS, when configured.
    pub cors: Option<CorsPolicy>,
    /// Security headers then custom headers, values rendered.
    pub headers: Vec<PolicyHeader>,
    /// Headers removed from origin responses (lowercase); removal runs before additions.
    pub remove_headers: Vec<String>,
    /// `Server-Timing` sampling percentage when enabled.
    pub server_timing_sampling_rate: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str], credentials: bool) -> CorsPolicy {
        CorsPolicy {
            allow_origins: origins.iter().map(|s| s.to_string()).collect(),
            allow_headers: vec![],
            allow_methods: vec![CorsMethod::Get],
            allow_methods_value: "GET".into(),
            allow_credentials: credentials,
            expose_headers: vec![],
            max_age_sec: None,
            origin_override: false,
        }
    }

    #[test]
    fn origin_matching() {
        let c = cors(&["https://example.com", "https://*.example.org"], true);
        assert!(c.allows_origin("https://example.com"));
        assert!(c.allows_origin("HTTPS://EXAMPLE.COM"));
        assert!(!c.allows_origin("http://example.com"));
        assert!(c.allows_origin("https://a.example.org"));
        assert!(c.allows_origin("https://a.b.example.org"));
        assert!(!c.allows_origin("https://example.org"));
        assert!(!c.allows_origin("https://badexample.org"));
        assert!(!c.allows_origin("https://é.example.org.evil"));
        assert_eq!(
            c.allow_origin_value("https://a.example.org"),
            "https://a.example.org"
        );
        let star = cors(&["*"], false);
        assert!(star.allows_origin("https://anything"));
        assert_eq!(star.allow_origin_value("https://anything"), "*");
    }
}

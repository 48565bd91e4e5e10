//! `Vary` (RFC 9111 §4.1): which request headers select a stored variant.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderName};

/// The request header names a response varies on, lower-cased, de-duplicated and sorted so
/// that `Vary: B, a` and `Vary: A,b` select alike. A boxed slice (16 bytes, no allocation
/// when empty): every stored object holds one, and most do not vary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaryNames(Box<[HeaderName]>);

/// The values a request has for a response's [`VaryNames`], in the same order: `None` when the
/// request lacks the header (which is different from an empty value). Boxed like
/// [`VaryNames`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct VaryValues(Box<[Option<Bytes>]>);

/// True when `Vary` lists `*` (the response can never be selected by a later request).
pub fn is_vary_star(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::VARY)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|t| t.trim_ascii() == b"*")
}

impl VaryNames {
    /// The names listed in a response's `Vary` lines. Tokens that are not valid header names
    /// are ignored; `*` is handled by [`is_vary_star`].
    pub fn from_response(headers: &HeaderMap) -> VaryNames {
        let mut names: Vec<HeaderName> = headers
            .get_all(header::VARY)
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(<[u8]>::trim_ascii)
            .filter(|t| !t.is_empty() && *t != b"*")
            .filter_map(|t| HeaderName::from_bytes(t).ok())
            .collect();
        names.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
        names.dedup();
        VaryNames(names.into_boxed_slice())
    }

    /// True when the response does not vary.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names, sorted.
    pub fn names(&self) -> &[HeaderName] {
        &self.0
    }

    /// The request's values for these names, normalised as RFC 9111 §4.1 allows: several
    /// field lines are joined with `,` and whitespace around list commas is removed.
    pub fn select(&self, request: &HeaderMap) -> VaryValues {
        VaryValues(
            self.0
                .iter()
                .map(|name| normalised_value(request, name))
                .collect(),
        )
    }
}

impl VaryValues {
    /// The selected values, in the order of their [`VaryNames`].
    pub fn values(&self) -> &[Option<Bytes>] {
        &self.0
    }

    /// Values read back from storage.
    pub fn from_values(values: Vec<Option<Bytes>>) -> VaryValues {
        VaryValues(values.into())
    }
}

fn normalised_value(request: &HeaderMap, name: &HeaderName) -> Option<Bytes> {
    let mut lines = request.get_all(name).iter().peekable();
    lines.peek()?;
    let mut out = Vec::new();
    for line in lines {
        for (i, item) in line.as_bytes().split(|b| *b == b',').enumerate() {
            if !out.is_empty() || i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(item.trim_ascii());
        }
    }
    Some(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn names_are_normalised() {
        let a = VaryNames::from_response(&map(&[("vary", "Accept-Language, accept-encoding")]));
        let b = VaryNames::from_response(&map(&[
            ("vary", "accept-encoding"),
            ("vary", "ACCEPT-LANGUAGE ,accept-encoding"),
        ]));
        assert_eq!(a, b);
        assert_eq!(a.names().len(), 2);
        assert!(VaryNames::from_response(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn star_is_detected() {
        assert!(is_vary_star(&map(&[("vary", "accept, *")])));
        assert!(!is_vary_star(&map(&[("vary", "accept")])));
    }

    #[test]
    fn absent_differs_from_empty_and_whitespace_is_ignored() {
        let names = VaryNames::from_response(&map(&[("vary", "accept-language")]));
        let absent = names.select(&HeaderMap::new());
        let empty = names.select(&map(&[("accept-language", "")]));
        assert_ne!(absent, empty);
        let a = names.select(&map(&[("accept-language", "en, fr")]));
        let b = names.select(&map(&[
            ("accept-language", "en"),
            ("accept-language", "fr"),
        ]));
        let c = names.select(&map(&[("accept-language", "en,fr")]));
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_ne!(a, names.select(&map(&[("accept-language", "fr,en")])));
    }
}

//! The headers of a stored response.
//!
//! A `HeaderMap` is a hash table: 104-byte buckets, a quarter of them kept spare, plus an
//! index — about 1.3 KB for the nine headers of a typical origin response, more than the
//! 1 KiB object they describe. A stored object's headers are only ever read in order (to
//! answer a viewer) or looked up by a handful of names (validators, `Date`, `Vary`), so
//! they are kept as an exactly sized list of pairs instead (72 bytes each), in the origin's
//! order. Names and values are the same `HeaderName`/`HeaderValue` as in the map (the values
//! slices of one block copied when the object is stored): nothing is parsed or copied again
//! when a response is built from them.

use std::borrow::Borrow;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

/// A stored response's header fields, in order; a name may repeat (one pair per field line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredHeaders(Box<[(HeaderName, HeaderValue)]>);

impl StoredHeaders {
    /// The first value of `name`.
    pub fn get(&self, name: impl Borrow<HeaderName>) -> Option<&HeaderValue> {
        let name = name.borrow();
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(
        &'a self,
        name: impl Borrow<HeaderName> + 'a,
    ) -> impl Iterator<Item = &'a HeaderValue> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name.borrow())
            .map(|(_, v)| v)
    }

    /// Whether `name` is present.
    pub fn contains_key(&self, name: impl Borrow<HeaderName>) -> bool {
        self.get(name).is_some()
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    /// The number of field lines.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A header map holding these fields, with room for `extra` more (the headers the edge
    /// adds to a response) so adding them does not grow the table.
    pub fn to_map(&self, extra: usize) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.0.len() + extra);
        for (n, v) in self.0.iter() {
            map.append(n.clone(), v.clone());
        }
        map
    }
}

impl From<HeaderMap> for StoredHeaders {
    fn from(map: HeaderMap) -> StoredHeaders {
        StoredHeaders::from(&map)
    }
}

impl From<&HeaderMap> for StoredHeaders {
    fn from(map: &HeaderMap) -> StoredHeaders {
        map.iter().map(|(n, v)| (n.clone(), v.clone())).collect()
    }
}

impl FromIterator<(HeaderName, HeaderValue)> for StoredHeaders {
    /// Copies every value into one block that the stored values are slices of: one
    /// allocation for all of them (instead of one each, plus one more each the first time
    /// a hit clones it), and nothing of the origin connection's read buffer (or of a disk
    /// file's head) stays pinned.
    fn from_iter<I: IntoIterator<Item = (HeaderName, HeaderValue)>>(iter: I) -> StoredHeaders {
        let mut pairs: Vec<(HeaderName, HeaderValue)> = iter.into_iter().collect();
        let mut block = Vec::with_capacity(pairs.iter().map(|(_, v)| v.len()).sum());
        for (_, v) in &pairs {
            block.extend_from_slice(v.as_bytes());
        }
        let block = Bytes::from(block);
        let mut at = 0;
        for (_, v) in &mut pairs {
            let end = at + v.len();
            // The bytes were a valid value a moment ago; the check cannot fail.
            if let Ok(mut copy) = HeaderValue::from_maybe_shared(block.slice(at..end)) {
                copy.set_sensitive(v.is_sensitive());
                *v = copy;
            }
            at = end;
        }
        StoredHeaders(pairs.into_boxed_slice())
    }
}

impl<'a> IntoIterator for &'a StoredHeaders {
    type Item = (&'a HeaderName, &'a HeaderValue);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (HeaderName, HeaderValue)>,
        fn(&'a (HeaderName, HeaderValue)) -> (&'a HeaderName, &'a HeaderValue),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(n, v)| (n, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header;

    #[test]
    fn keeps_order_and_repeated_names_and_finds_by_name() {
        let mut map = HeaderMap::new();
        map.append(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        map.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        map.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        map.append(header::ETAG, HeaderValue::from_static("\"x\""));
        let stored = StoredHeaders::from(map.clone());
        assert_eq!(stored.len(), 4);
        assert_eq!(
            stored.get(header::ETAG).map(|v| v.as_bytes()),
            Some(&b"\"x\""[..])
        );
        assert_eq!(
            stored.get(&header::SET_COOKIE).map(|v| v.as_bytes()),
            Some(&b"a=1"[..])
        );
        assert_eq!(stored.get_all(header::SET_COOKIE).count(), 2);
        assert!(!stored.contains_key(header::AGE));
        assert_eq!(stored.to_map(3), map);
        assert_eq!(StoredHeaders::from(&map), stored);
        let names: Vec<_> = stored.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["content-type", "set-cookie", "set-cookie", "etag"]);
    }
}

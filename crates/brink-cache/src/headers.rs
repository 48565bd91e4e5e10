//! The headers of a stored response, packed into one block.
//!
//! A `HeaderMap` is a hash table: 104-byte buckets, a quarter of them kept spare, plus an
//! index — about 1.3 KB for the nine headers of a typical origin response, more than the
//! 1 KiB object they describe; even an exact list of `(HeaderName, HeaderValue)` pairs costs
//! 72 bytes a field before any of its bytes. A stored object's headers are only ever read in
//! order (to answer a viewer) or looked up by a handful of names (validators, `Date`,
//! `Vary`), so they are kept as one block instead:
//!
//! ```text
//! [count: u16 LE] [count × (name code: u8, value end: u32 LE)] [values, back to back]
//! ```
//!
//! A name code below `KNOWN.len()` is that entry of [`KNOWN`], the standard names origins
//! send most. The codes after it up to [`CUSTOM`] are *learned*: the first time a stored
//! response carries another name (`x-amz-request-id`, `x-cache-tag`, …) it gets the next
//! free code for the life of the process, and the name is kept once for every object that
//! carries it. When the learned codes are all taken, or for a name too odd to learn,
//! [`CUSTOM`] means the next name of the object's own list, which is absent for most
//! responses. A field thus costs 5 bytes plus its value, and the whole set one allocation.
//! Building a response from it takes no parsing of names: a name is a copy of a constant
//! (no shared count to touch), a value a slice of the block (checked again as a field value,
//! a byte loop over what is at most a few hundred bytes).

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue};
use parking_lot::Mutex;

/// Names stored as one byte, most frequent first (a stored field's name is looked up here
/// once, when the object is made).
static KNOWN: [HeaderName; 46] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::DATE,
    header::LAST_MODIFIED,
    header::ETAG,
    header::CACHE_CONTROL,
    header::ACCEPT_RANGES,
    header::SERVER,
    header::EXPIRES,
    header::VARY,
    header::CONTENT_ENCODING,
    header::AGE,
    header::CONTENT_RANGE,
    header::SET_COOKIE,
    header::LOCATION,
    header::CONTENT_DISPOSITION,
    header::CONTENT_LANGUAGE,
    header::CONTENT_LOCATION,
    header::ACCESS_CONTROL_ALLOW_ORIGIN,
    header::ACCESS_CONTROL_ALLOW_METHODS,
    header::ACCESS_CONTROL_ALLOW_HEADERS,
    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
    header::ACCESS_CONTROL_EXPOSE_HEADERS,
    header::ACCESS_CONTROL_MAX_AGE,
    header::STRICT_TRANSPORT_SECURITY,
    header::CONTENT_SECURITY_POLICY,
    header::CONTENT_SECURITY_POLICY_REPORT_ONLY,
    header::X_CONTENT_TYPE_OPTIONS,
    header::X_FRAME_OPTIONS,
    header::X_XSS_PROTECTION,
    header::REFERRER_POLICY,
    header::PRAGMA,
    header::LINK,
    header::ALT_SVC,
    header::VIA,
    header::WARNING,
    header::RETRY_AFTER,
    header::WWW_AUTHENTICATE,
    header::ALLOW,
    header::ACCESS_CONTROL_REQUEST_HEADERS,
    header::ACCESS_CONTROL_REQUEST_METHOD,
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TRAILER,
    header::UPGRADE,
    header::REFRESH,
];

/// The name code of a field whose name is in the object's own list.
const CUSTOM: u8 = u8::MAX;
/// Bytes of one field's entry in the table: name code and value end.
const ENTRY: usize = 5;
/// How many names can be learned (the codes between the known ones and [`CUSTOM`]).
const LEARNABLE: usize = CUSTOM as usize - KNOWN.len();
/// The longest name learned.
const LEARNABLE_LEN: usize = 64;

/// The learned names, by code − `KNOWN.len()`: each set once, under [`LEARNING`]'s lock,
/// before its code is handed out; read without a lock.
static LEARNED: [OnceLock<HeaderName>; LEARNABLE] = [const { OnceLock::new() }; LEARNABLE];
/// Learned name → code (only written when a stored response brings a new name).
static LEARNING: LazyLock<Mutex<HashMap<HeaderName, u8>>> = LazyLock::new(Default::default);

/// The code of `name`: a known name's, a learned name's (learning it if there is room), or
/// [`CUSTOM`].
fn code_of(name: &HeaderName) -> u8 {
    if let Some(i) = KNOWN.iter().position(|k| k == name) {
        return u8::try_from(i).unwrap_or(CUSTOM);
    }
    let text = name.as_str();
    // Only plain names are learned, so that the constant made below is certainly valid.
    if text.len() > LEARNABLE_LEN
        || !text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return CUSTOM;
    }
    let mut learning = LEARNING.lock();
    if let Some(&code) = learning.get(name) {
        return code;
    }
    let slot = learning.len();
    let Some(cell) = LEARNED.get(slot) else {
        return CUSTOM;
    };
    // Kept for the life of the process (at most LEARNABLE × LEARNABLE_LEN bytes), so the
    // name is a constant whose clones share nothing.
    let name_static: &'static str = Box::leak(text.to_owned().into_boxed_str());
    let _ = cell.set(HeaderName::from_static(name_static));
    let code = u8::try_from(KNOWN.len() + slot).unwrap_or(CUSTOM);
    learning.insert(name.clone(), code);
    code
}

/// The name of a known or learned `code`.
fn name_of(code: u8) -> Option<&'static HeaderName> {
    let i = usize::from(code);
    match KNOWN.get(i) {
        Some(known) => Some(known),
        None => LEARNED.get(i - KNOWN.len())?.get(),
    }
}

/// The names of one object that have no code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CustomNames(Box<[HeaderName]>);

/// A stored response's header fields, in order; a name may repeat (one entry per field line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredHeaders {
    /// Count, table and values (see the module documentation); empty when there is no field.
    block: Bytes,
    /// The names that have no code, in field order (boxed twice: most objects have none).
    custom: Option<Box<CustomNames>>,
}

/// One field as found in the block.
#[derive(Clone, Copy)]
struct Entry {
    code: u8,
    start: usize,
    end: usize,
}

impl StoredHeaders {
    /// The number of field lines.
    pub fn len(&self) -> usize {
        match self.block.get(..2) {
            Some(&[a, b]) => usize::from(u16::from_le_bytes([a, b])),
            _ => 0,
        }
    }

    /// The number of names kept in full (not one of the names stored as one byte).
    pub fn custom_names(&self) -> usize {
        self.custom.as_ref().map_or(0, |c| c.0.len())
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset of the values in the block.
    fn values_at(&self) -> usize {
        2 + self.len() * ENTRY
    }

    /// The table's entries, in order.
    fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        let base = self.values_at();
        let table = self.block.get(2..base).unwrap_or_default();
        let mut start = base;
        table.chunks_exact(ENTRY).map(move |e| {
            let end = base + u32::from_le_bytes([e[1], e[2], e[3], e[4]]) as usize;
            let entry = Entry {
                code: e[0],
                start,
                end,
            };
            start = end;
            entry
        })
    }

    /// The fields with their names resolved, in order.
    fn fields(&self) -> impl Iterator<Item = (&HeaderName, Entry)> + '_ {
        let mut custom = self.custom.iter().flat_map(|c| c.0.iter());
        self.entries().filter_map(move |e| {
            let name = if e.code == CUSTOM {
                custom.next()
            } else {
                name_of(e.code)
            };
            name.map(|n| (n, e))
        })
    }

    fn value(&self, e: Entry) -> Option<HeaderValue> {
        // The bytes were a valid value when stored; the check cannot fail, and an entry that
        // somehow did is skipped rather than served.
        HeaderValue::from_maybe_shared(self.block.slice(e.start..e.end)).ok()
    }

    /// The length of every name and value.
    pub fn field_bytes(&self) -> u64 {
        self.fields()
            .map(|(n, e)| (n.as_str().len() + e.end - e.start) as u64)
            .sum()
    }

    /// The raw bytes of the first value of `name`, without building a value.
    pub fn get_bytes(&self, name: &HeaderName) -> Option<&[u8]> {
        self.fields()
            .find(|(n, _)| *n == name)
            .and_then(|(_, e)| self.block.get(e.start..e.end))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<HeaderValue> {
        self.fields()
            .find(|(n, _)| *n == name)
            .and_then(|(_, e)| self.value(e))
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = HeaderValue> + 'a {
        self.fields()
            .filter(move |(n, _)| *n == name)
            .filter_map(|(_, e)| self.value(e))
    }

    /// Whether `name` is present.
    pub fn contains_key(&self, name: &HeaderName) -> bool {
        self.fields().any(|(n, _)| n == name)
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, HeaderValue)> + '_ {
        self.fields()
            .filter_map(|(n, e)| self.value(e).map(|v| (n, v)))
    }

    /// A header map holding these fields, with room for `extra` more (the headers the edge
    /// adds to a response) so adding them does not grow the table.
    pub fn to_map(&self, extra: usize) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.len() + extra);
        for (n, v) in self.iter() {
            map.append(n.clone(), v);
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
        map.iter().collect()
    }
}

impl<'a> FromIterator<(&'a HeaderName, &'a HeaderValue)> for StoredHeaders {
    /// Copies every field into one block: nothing of the origin connection's read buffer (or
    /// of a disk file's head) stays pinned. Past 65,535 fields, or once the values pass
    /// 4 GiB, the rest are dropped (an HTTP/1 or HTTP/2 parser never hands over that many).
    fn from_iter<I: IntoIterator<Item = (&'a HeaderName, &'a HeaderValue)>>(
        iter: I,
    ) -> StoredHeaders {
        let fields: Vec<(&HeaderName, &HeaderValue)> = iter.into_iter().collect();
        let mut kept = 0usize;
        let mut total = 0usize;
        for (_, v) in &fields {
            if kept == usize::from(u16::MAX) || total + v.len() > u32::MAX as usize {
                break;
            }
            kept += 1;
            total += v.len();
        }
        if kept == 0 {
            return StoredHeaders::default();
        }
        let fields = &fields[..kept];
        let mut block = Vec::with_capacity(2 + kept * ENTRY + total);
        block.extend_from_slice(&u16::try_from(kept).unwrap_or(u16::MAX).to_le_bytes());
        let mut custom = Vec::new();
        let mut end = 0u32;
        for (n, v) in fields {
            let code = code_of(n);
            if code == CUSTOM {
                custom.push((*n).clone());
            }
            end += u32::try_from(v.len()).unwrap_or(0);
            block.push(code);
            block.extend_from_slice(&end.to_le_bytes());
        }
        for (_, v) in fields {
            block.extend_from_slice(v.as_bytes());
        }
        StoredHeaders {
            block: Bytes::from(block),
            custom: (!custom.is_empty()).then(|| Box::new(CustomNames(custom.into_boxed_slice()))),
        }
    }
}

impl FromIterator<(HeaderName, HeaderValue)> for StoredHeaders {
    fn from_iter<I: IntoIterator<Item = (HeaderName, HeaderValue)>>(iter: I) -> StoredHeaders {
        let owned: Vec<(HeaderName, HeaderValue)> = iter.into_iter().collect();
        owned.iter().map(|(n, v)| (n, v)).collect()
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
        map.append("x-amz-request-id", HeaderValue::from_static("R1"));
        map.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        map.append(header::ETAG, HeaderValue::from_static("\"x\""));
        map.append("x-empty", HeaderValue::from_static(""));
        let stored = StoredHeaders::from(map.clone());
        assert_eq!(stored.len(), 6);
        assert_eq!(
            stored.get(&header::ETAG),
            Some(HeaderValue::from_static("\"x\""))
        );
        assert_eq!(stored.get_bytes(&header::ETAG), Some(&b"\"x\""[..]));
        assert_eq!(
            stored.get(&HeaderName::from_static("x-amz-request-id")),
            Some(HeaderValue::from_static("R1"))
        );
        assert_eq!(
            stored.get_bytes(&HeaderName::from_static("x-empty")),
            Some(&b""[..])
        );
        let cookies: Vec<_> = stored.get_all(&header::SET_COOKIE).collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert!(!stored.contains_key(&header::AGE));
        assert!(stored.contains_key(&HeaderName::from_static("x-empty")));
        assert_eq!(stored.to_map(3), map);
        assert_eq!(StoredHeaders::from(&map), stored);
        let names: Vec<_> = stored.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "set-cookie",
                "set-cookie",
                "x-amz-request-id",
                "etag",
                "x-empty"
            ]
        );
        let owned: StoredHeaders = map.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        assert_eq!(owned, stored);
    }

    #[test]
    fn names_are_learned_once_and_odd_or_overflowing_ones_kept_per_object() {
        let learned = HeaderName::from_static("x-brink-test-learned");
        let code = code_of(&learned);
        assert!(usize::from(code) >= KNOWN.len() && code != CUSTOM);
        assert_eq!(code_of(&learned), code, "one code per name");
        assert_eq!(name_of(code), Some(&learned));
        // Every character a learnable name may have makes a valid constant.
        let odd_but_plain = HeaderName::from_static("x_0-9_z");
        let code = code_of(&odd_but_plain);
        assert_eq!(name_of(code), Some(&odd_but_plain));
        // Too long to learn: kept in the object's own list, and still served.
        let long = HeaderName::from_bytes(&[b'x'; LEARNABLE_LEN + 1]).unwrap();
        assert_eq!(code_of(&long), CUSTOM);
        listed_once_and_served(&long, &learned);
        // Past the learnable codes every new name goes to the object's list (the test
        // learns names until the table is full; other tests' names may share it).
        let mut n = 0;
        while LEARNING.lock().len() < LEARNABLE {
            let _ = code_of(&HeaderName::from_bytes(format!("x-fill-{n}").as_bytes()).unwrap());
            n += 1;
        }
        let late = HeaderName::from_static("x-brink-test-too-late");
        assert_eq!(code_of(&late), CUSTOM);
        listed_once_and_served(&late, &learned);
    }

    /// Headers with `listed` (a name without a code) and `learned`: only `listed` goes to the
    /// object's own list, and both are served back.
    fn listed_once_and_served(listed: &HeaderName, learned: &HeaderName) {
        let mut map = HeaderMap::new();
        map.append(listed, HeaderValue::from_static("1"));
        map.append(learned, HeaderValue::from_static("2"));
        let stored = StoredHeaders::from(&map);
        assert_eq!(stored.custom_names(), 1);
        assert_eq!(stored.to_map(0), map);
    }

    #[test]
    fn empty_and_known_table_is_consistent() {
        let empty = StoredHeaders::from(HeaderMap::new());
        assert!(empty.is_empty());
        assert_eq!(empty.iter().count(), 0);
        assert!(empty.to_map(0).is_empty());
        // Every known name maps to its own code, and the custom marker is out of range.
        for (i, name) in KNOWN.iter().enumerate() {
            assert_eq!(usize::from(code_of(name)), i, "{name}");
        }
        assert!(KNOWN.len() < usize::from(CUSTOM));
    }

    proptest::proptest! {
        #[test]
        fn any_header_map_round_trips(
            fields in proptest::collection::vec(
                (0usize..50, "[ -~]{0,40}"),
                0..20,
            )
        ) {
            let mut map = HeaderMap::new();
            for (n, v) in &fields {
                let name = match KNOWN.get(*n) {
                    Some(k) => k.clone(),
                    None => HeaderName::from_bytes(format!("x-custom-{n}").as_bytes()).unwrap(),
                };
                let Ok(value) = HeaderValue::from_str(v) else { continue };
                map.append(name, value);
            }
            let stored = StoredHeaders::from(&map);
            proptest::prop_assert_eq!(stored.len(), map.len());
            proptest::prop_assert_eq!(stored.to_map(0), map.clone());
            for name in map.keys() {
                let want: Vec<_> = map.get_all(name).iter().cloned().collect();
                let got: Vec<_> = stored.get_all(name).collect();
                proptest::prop_assert_eq!(got, want);
                proptest::prop_assert_eq!(
                    stored.get_bytes(name),
                    map.get(name).map(|v| v.as_bytes())
                );
            }
        }
    }
}

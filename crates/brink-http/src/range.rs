//! `Range` requests (RFC 9110 §14) with CloudFront's rules (cloudfront.md §2.7).
//!
//! Three steps, all pure:
//! 1. [`parse_range`] turns a `Range` field value into a [`RangeSpec`] (or `None`, meaning
//!    "ignore the header and answer 200", RFC 9110 §14.2).
//! 2. [`RangeSpec::resolve`] applies the spec to a representation of known length and says
//!    whether to answer 200 ([`RangeOutcome::Full`]), 206 ([`RangeOutcome::Partial`]) or
//!    416 ([`RangeOutcome::Unsatisfiable`]).
//! 3. For more than one range, [`Multipart`] precomputes the `multipart/byteranges` framing
//!    (RFC 9110 §14.6) and its exact `Content-Length`, so the body can be streamed.

use bytes::Bytes;
use smallvec::SmallVec;

/// Most ranges honoured in one request. A request with more range elements than this is
/// answered with the whole representation (a cheap guard against many-tiny-ranges abuse,
/// cf. RFC 9110 §14.2 which lets a server ignore or reject such requests).
pub const MAX_RANGES: usize = 64;

/// One resolved, satisfiable byte range, inclusive bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Offset of the first byte.
    pub start: u64,
    /// Offset of the last byte (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range (`end - start + 1`; 0 if `end < start`, saturating).
    pub fn len(&self) -> u64 {
        if self.end < self.start {
            0
        } else {
            (self.end - self.start).saturating_add(1)
        }
    }

    /// Whether the range holds no bytes; never true for a range produced by
    /// [`RangeSpec::resolve`].
    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }

    /// `Content-Range` field value for this range: `bytes start-end/complete_len`
    /// (RFC 9110 §14.4).
    pub fn content_range(&self, complete_len: u64) -> String {
        let mut buf = itoa::Buffer::new();
        let mut s = String::with_capacity(48);
        s.push_str("bytes ");
        s.push_str(buf.format(self.start));
        s.push('-');
        s.push_str(buf.format(self.end));
        s.push('/');
        s.push_str(buf.format(complete_len));
        s
    }
}

/// `Content-Range` field value for a 416 response: `bytes */complete_len`
/// (RFC 9110 §14.4, §15.5.17).
pub fn unsatisfied_content_range(complete_len: u64) -> String {
    let mut s = String::from("bytes */");
    s.push_str(itoa::Buffer::new().format(complete_len));
    s
}

/// One element of a `bytes` range set, before the representation length is known
/// (RFC 9110 §14.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeItem {
    /// `first-last` (`last >= first` is guaranteed by the parser).
    Bounded {
        /// First byte offset.
        first: u64,
        /// Last byte offset, inclusive; may exceed the representation.
        last: u64,
    },
    /// `first-`: from `first` to the end.
    From {
        /// First byte offset.
        first: u64,
    },
    /// `-suffix`: the final `suffix` bytes.
    Suffix {
        /// Number of trailing bytes wanted.
        suffix: u64,
    },
}

impl RangeItem {
    /// Resolves the item against a non-empty representation; `None` when unsatisfiable.
    fn resolve(self, complete_len: u64) -> Option<ByteRange> {
        // Caller guarantees complete_len > 0, so `last_byte` cannot underflow.
        let last_byte = complete_len - 1;
        match self {
            // RFC 9110 §14.1.1: a first-pos beyond the representation makes the item
            // unsatisfiable; a last-pos beyond it is clipped to the final byte.
            RangeItem::Bounded { first, last } if first < complete_len => Some(ByteRange {
                start: first,
                end: last.min(last_byte),
            }),
            RangeItem::From { first } if first < complete_len => Some(ByteRange {
                start: first,
                end: last_byte,
            }),
            // A zero-length suffix selects nothing; a suffix at least as long as the
            // representation selects all of it.
            RangeItem::Suffix { suffix } if suffix > 0 => Some(ByteRange {
                start: complete_len - suffix.min(complete_len),
                end: last_byte,
            }),
            _ => None,
        }
    }
}

/// A parsed but unresolved `Range` header (bytes unit only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSpec {
    /// The first [`MAX_RANGES`] non-empty elements, in request order.
    items: SmallVec<[RangeItem; 1]>,
    /// Total number of non-empty elements in the header (may exceed `items.len()`).
    count: usize,
}

impl RangeSpec {
    /// The parsed elements in request order (at most [`MAX_RANGES`] are kept).
    pub fn items(&self) -> &[RangeItem] {
        &self.items
    }

    /// Number of non-empty elements the header held, including any beyond [`MAX_RANGES`].
    pub fn count(&self) -> usize {
        self.count
    }

    /// Resolves the spec against a representation of `complete_len` bytes.
    ///
    /// - An empty representation, or more than [`MAX_RANGES`] elements, gives
    ///   [`RangeOutcome::Full`].
    /// - Unsatisfiable elements (first ≥ length, zero-length suffix) are dropped; if none is
    ///   left the answer is [`RangeOutcome::Unsatisfiable`] (RFC 9110 §14.1.1, 416).
    /// - Several satisfiable ranges must be in ascending order without overlap (touching is
    ///   fine); otherwise the whole representation is sent, as CloudFront does. RFC 9110
    ///   §14.2 allows a server to ignore such a range set.
    /// - A single range covering everything is still [`RangeOutcome::Partial`]; the caller
    ///   may choose to send a 200 instead.
    pub fn resolve(&self, complete_len: u64) -> RangeOutcome {
        if complete_len == 0 || self.count > MAX_RANGES {
            return RangeOutcome::Full;
        }
        let ranges: SmallVec<[ByteRange; 1]> = self
            .items
            .iter()
            .filter_map(|item| item.resolve(complete_len))
            .collect();
        if ranges.is_empty() {
            return RangeOutcome::Unsatisfiable;
        }
        if ranges.windows(2).any(|w| w[1].start <= w[0].end) {
            return RangeOutcome::Full;
        }
        RangeOutcome::Partial(ranges)
    }
}

/// What to answer to a range request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Ignore the range: 200 with the whole representation.
    Full,
    /// 206 with these ranges (one: a single part with `Content-Range`; several, ascending and
    /// disjoint: `multipart/byteranges`).
    Partial(SmallVec<[ByteRange; 1]>),
    /// 416 with [`unsatisfied_content_range`].
    Unsatisfiable,
}

/// Parses a `Range` field value (RFC 9110 §14.2). Returns `None` when the value is
/// syntactically invalid or uses a unit other than `bytes`; the caller then ignores the
/// header and answers 200.
///
/// Accepted: `bytes` in any case, optional whitespace around `=`, around each element and
/// around commas, empty list elements (`bytes=0-1,,3-4`). At least one non-empty element is
/// required. `first-last` with `last < first` is invalid. Numbers too large for `u64`
/// saturate (such items are unsatisfiable or clipped anyway). Runs in linear time and keeps
/// at most [`MAX_RANGES`] elements, whatever the input size.
pub fn parse_range(value: &[u8]) -> Option<RangeSpec> {
    let eq = value.iter().position(|&b| b == b'=')?;
    if !trim_ows(&value[..eq]).eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let mut spec = RangeSpec {
        items: SmallVec::new(),
        count: 0,
    };
    for element in value[eq + 1..].split(|&b| b == b',') {
        let element = trim_ows(element);
        if element.is_empty() {
            continue;
        }
        let item = parse_item(element)?;
        spec.count += 1;
        if spec.items.len() < MAX_RANGES {
            spec.items.push(item);
        }
    }
    (spec.count > 0).then_some(spec)
}

/// Parses one non-empty, trimmed range-spec element.
fn parse_item(element: &[u8]) -> Option<RangeItem> {
    let dash = element.iter().position(|&b| b == b'-')?;
    let (before, after) = (&element[..dash], &element[dash + 1..]);
    if before.is_empty() {
        return Some(RangeItem::Suffix {
            suffix: parse_digits(after)?,
        });
    }
    let first = parse_digits(before)?;
    if after.is_empty() {
        return Some(RangeItem::From { first });
    }
    let last = parse_digits(after)?;
    // RFC 9110 §14.1.1: a last-pos below first-pos makes the whole header invalid.
    (last >= first).then_some(RangeItem::Bounded { first, last })
}

/// `1*DIGIT`, saturating at `u64::MAX`.
fn parse_digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Precomputed `multipart/byteranges` framing for a multi-range 206 (RFC 9110 §14.6).
///
/// The body is, in order: for each part, `parts[i].0` followed by the bytes of
/// `parts[i].1`; then `trailer`. Every part header, the first one included, starts with
/// CRLF (for the first part that CRLF is an empty preamble, which RFC 2046 §5.1.1 allows),
/// so all part headers have the same shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// The boundary string, without the leading `--`.
    pub boundary: String,
    /// Each part's header block (`\r\n--B\r\n[Content-Type: …\r\n]Content-Range: …\r\n\r\n`)
    /// and the range whose bytes follow it.
    pub parts: Vec<(Bytes, ByteRange)>,
    /// The closing delimiter, `\r\n--B--\r\n`.
    pub trailer: Bytes,
    /// Exact length of the whole body: all part headers, all range bytes and the trailer.
    pub content_length: u64,
}

impl Multipart {
    /// Builds the framing for `ranges` of a representation of `complete_len` bytes whose
    /// own media type is `content_type` (copied into each part when given; CR and LF bytes
    /// are dropped so it cannot break the framing).
    ///
    /// `boundary` must be 1–70 characters from the RFC 2046 `bchars` set and must not occur
    /// in the content; [`boundary_from_seed`] makes a suitable one from a random number.
    pub fn new(
        ranges: &[ByteRange],
        complete_len: u64,
        content_type: Option<&[u8]>,
        boundary: &str,
    ) -> Multipart {
        let mut parts = Vec::with_capacity(ranges.len());
        let mut content_length: u64 = 0;
        for &range in ranges {
            let mut head = Vec::with_capacity(64 + boundary.len());
            head.extend_from_slice(b"\r\n--");
            head.extend_from_slice(boundary.as_bytes());
            head.extend_from_slice(b"\r\n");
            if let Some(ct) = content_type {
                head.extend_from_slice(b"Content-Type: ");
                head.extend(ct.iter().filter(|&&b| b != b'\r' && b != b'\n'));
                head.extend_from_slice(b"\r\n");
            }
            head.extend_from_slice(b"Content-Range: ");
            head.extend_from_slice(range.content_range(complete_len).as_bytes());
            head.extend_from_slice(b"\r\n\r\n");
            content_length = content_length
                .saturating_add(head.len() as u64)
                .saturating_add(range.len());
            parts.push((Bytes::from(head), range));
        }
        let mut trailer = Vec::with_capacity(10 + boundary.len());
        trailer.extend_from_slice(b"\r\n--");
        trailer.extend_from_slice(boundary.as_bytes());
        trailer.extend_from_slice(b"--\r\n");
        content_length = content_length.saturating_add(trailer.len() as u64);
        Multipart {
            boundary: boundary.to_owned(),
            parts,
            trailer: Bytes::from(trailer),
            content_length,
        }
    }

    /// `Content-Type` of the 206 response: `multipart/byteranges; boundary=…`.
    pub fn content_type(&self) -> String {
        format!("multipart/byteranges; boundary={}", self.boundary)
    }
}

/// A boundary string made of a fixed prefix and the 16 hex digits of `seed`; pass a random
/// number so that the boundary is unlikely to occur in the content.
pub fn boundary_from_seed(seed: u64) -> String {
    format!("brink-{seed:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use smallvec::smallvec;

    fn br(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    fn resolve(header: &str, len: u64) -> Option<RangeOutcome> {
        parse_range(header.as_bytes()).map(|s| s.resolve(len))
    }

    fn partial(ranges: &[(u64, u64)]) -> Option<RangeOutcome> {
        Some(RangeOutcome::Partial(
            ranges.iter().map(|&(s, e)| br(s, e)).collect(),
        ))
    }

    #[test]
    fn byte_range_basics() {
        assert_eq!(br(0, 0).len(), 1);
        assert_eq!(br(10, 19).len(), 10);
        assert_eq!(br(5, 4).len(), 0);
        assert!(br(5, 4).is_empty() && !br(0, 0).is_empty());
        assert_eq!(br(0, u64::MAX).len(), u64::MAX);
        assert_eq!(br(0, 499).content_range(1234), "bytes 0-499/1234");
        assert_eq!(unsatisfied_content_range(1234), "bytes */1234");
        assert_eq!(unsatisfied_content_range(0), "bytes */0");
    }

    #[test]
    fn parse_forms() {
        let spec = parse_range(b"bytes=0-499, 500-, -200").expect("valid");
        assert_eq!(
            spec.items(),
            &[
                RangeItem::Bounded {
                    first: 0,
                    last: 499
                },
                RangeItem::From { first: 500 },
                RangeItem::Suffix { suffix: 200 },
            ]
        );
        assert_eq!(spec.count(), 3);
    }

    #[test]
    fn parse_rejections() {
        for bad in [
            "",
            "bytes",
            "bytes=",
            "bytes= , ,",
            "bytes=5-4",
            "bytes=0-1,5-4",
            "bytes=-",
            "bytes=a-b",
            "bytes=1-2-3",
            "bytes=--1",
            "bytes=-1-",
            "bytes=+1-2",
            "bytes=0 -1",
            "bytes=0-1;x",
            "items=0-1",
            "bytesx=0-1",
            "=0-1",
            "bytes=0x10-",
        ] {
            assert_eq!(parse_range(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(parse_range(b"bytes=\xff-"), None);
    }

    #[test]
    fn parse_leniency() {
        assert_eq!(resolve("BYTES=0-1", 10), partial(&[(0, 1)]));
        assert_eq!(resolve("Bytes = 0-1", 10), partial(&[(0, 1)]));
        assert_eq!(resolve(" bytes=0-1 , 3-4 ", 10), partial(&[(0, 1), (3, 4)]));
        assert_eq!(resolve("bytes=0-1,,3-4", 10), partial(&[(0, 1), (3, 4)]));
        assert_eq!(resolve("bytes=,0-1,\t,", 10), partial(&[(0, 1)]));
        assert_eq!(resolve("bytes=5-5", 10), partial(&[(5, 5)]));
    }

    #[test]
    fn resolution_rules() {
        // Clipping of last-pos.
        assert_eq!(resolve("bytes=0-999", 10), partial(&[(0, 9)]));
        assert_eq!(resolve("bytes=5-", 10), partial(&[(5, 9)]));
        // Suffixes.
        assert_eq!(resolve("bytes=-3", 10), partial(&[(7, 9)]));
        assert_eq!(resolve("bytes=-10", 10), partial(&[(0, 9)]));
        assert_eq!(resolve("bytes=-11", 10), partial(&[(0, 9)]));
        assert_eq!(resolve("bytes=-0", 10), Some(RangeOutcome::Unsatisfiable));
        // first >= len.
        assert_eq!(resolve("bytes=10-", 10), Some(RangeOutcome::Unsatisfiable));
        assert_eq!(
            resolve("bytes=10-20", 10),
            Some(RangeOutcome::Unsatisfiable)
        );
        assert_eq!(resolve("bytes=9-20", 10), partial(&[(9, 9)]));
        // Unsatisfiable items are dropped when others remain.
        assert_eq!(resolve("bytes=50-60, 0-1", 10), partial(&[(0, 1)]));
        assert_eq!(resolve("bytes=-0, 2-3", 10), partial(&[(2, 3)]));
        assert_eq!(
            resolve("bytes=20-, -0", 10),
            Some(RangeOutcome::Unsatisfiable)
        );
        // Empty representation.
        assert_eq!(resolve("bytes=0-1", 0), Some(RangeOutcome::Full));
        assert_eq!(resolve("bytes=-5", 0), Some(RangeOutcome::Full));
        // Overflowing numbers saturate.
        assert_eq!(
            resolve("bytes=0-99999999999999999999999", 10),
            partial(&[(0, 9)])
        );
        assert_eq!(
            resolve("bytes=-99999999999999999999999", 10),
            partial(&[(0, 9)])
        );
        assert_eq!(
            resolve("bytes=99999999999999999999999-", 10),
            Some(RangeOutcome::Unsatisfiable)
        );
        assert_eq!(resolve("bytes=0-", u64::MAX), partial(&[(0, u64::MAX - 1)]));
    }

    #[test]
    fn multiple_ranges_cloudfront_rules() {
        assert_eq!(
            resolve("bytes=0-1,2-3,8-", 10),
            partial(&[(0, 1), (2, 3), (8, 9)])
        );
        // Overlapping.
        assert_eq!(resolve("bytes=0-5,5-7", 10), Some(RangeOutcome::Full));
        assert_eq!(resolve("bytes=0-5,-6", 10), Some(RangeOutcome::Full));
        // Descending.
        assert_eq!(resolve("bytes=5-6,0-1", 10), Some(RangeOutcome::Full));
        // Order is judged after clipping and dropping unsatisfiable items.
        assert_eq!(resolve("bytes=0-3,-3", 10), partial(&[(0, 3), (7, 9)]));
        assert_eq!(resolve("bytes=0-3,-3", 5), Some(RangeOutcome::Full));
        assert_eq!(
            resolve("bytes=5-6,20-30,8-9", 10),
            partial(&[(5, 6), (8, 9)])
        );
    }

    #[test]
    fn too_many_ranges() {
        let header = |n: u64| {
            let items: Vec<String> = (0..n).map(|i| format!("{}-{}", 2 * i, 2 * i)).collect();
            format!("bytes={}", items.join(","))
        };
        match resolve(&header(64), 1000) {
            Some(RangeOutcome::Partial(r)) => assert_eq!(r.len(), 64),
            other => panic!("{other:?}"),
        }
        assert_eq!(resolve(&header(65), 1000), Some(RangeOutcome::Full));
        let spec = parse_range(header(1000).as_bytes()).expect("valid");
        assert_eq!(spec.count(), 1000);
        assert_eq!(spec.items().len(), MAX_RANGES);
        // Syntax errors after the cut-off still invalidate the header.
        assert_eq!(parse_range(format!("{},9-1", header(100)).as_bytes()), None);
        // Empty elements do not count.
        let padded = format!("bytes=0-0{}", ",".repeat(500));
        assert_eq!(resolve(&padded, 10), partial(&[(0, 0)]));
    }

    /// A parsed body part: its header fields and its payload.
    type Part = (Vec<(String, String)>, Vec<u8>);

    /// Test-only reader for a `multipart/byteranges` body: returns each part's headers and
    /// payload, checking the delimiters exactly.
    fn parse_multipart(body: &[u8], boundary: &str) -> Vec<Part> {
        let delim = format!("\r\n--{boundary}");
        let delim = delim.as_bytes();
        let find = |hay: &[u8], from: usize| {
            hay[from..]
                .windows(delim.len())
                .position(|w| w == delim)
                .map(|p| p + from)
        };
        assert!(
            body.starts_with(delim),
            "body must start with the delimiter"
        );
        let mut parts = Vec::new();
        let mut at = delim.len();
        loop {
            let rest = &body[at..];
            if rest == b"--\r\n" {
                return parts;
            }
            assert!(rest.starts_with(b"\r\n"), "delimiter line must end in CRLF");
            at += 2;
            let mut headers = Vec::new();
            loop {
                let eol = body[at..]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .expect("header line end")
                    + at;
                let line = std::str::from_utf8(&body[at..eol]).expect("ascii header");
                at = eol + 2;
                if line.is_empty() {
                    break;
                }
                let (n, v) = line.split_once(": ").expect("header colon");
                headers.push((n.to_owned(), v.to_owned()));
            }
            let next = find(body, at).expect("next delimiter");
            parts.push((headers, body[at..next].to_vec()));
            at = next + delim.len();
        }
    }

    fn assemble(mp: &Multipart, content: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        for (head, r) in &mp.parts {
            body.extend_from_slice(head);
            body.extend_from_slice(&content[r.start as usize..=r.end as usize]);
        }
        body.extend_from_slice(&mp.trailer);
        body
    }

    fn parse_content_range(s: &str) -> Option<(u64, u64, u64)> {
        let rest = s.strip_prefix("bytes ")?;
        let (range, len) = rest.split_once('/')?;
        let (a, b) = range.split_once('-')?;
        Some((a.parse().ok()?, b.parse().ok()?, len.parse().ok()?))
    }

    #[test]
    fn multipart_framing() {
        let content: Vec<u8> = (0..100u8).collect();
        let ranges = [br(0, 9), br(50, 50), br(90, 99)];
        let mp = Multipart::new(&ranges, 100, Some(b"text/plain"), "BOUND");
        assert_eq!(mp.content_type(), "multipart/byteranges; boundary=BOUND");
        assert_eq!(
            &mp.parts[0].0[..],
            b"\r\n--BOUND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-9/100\r\n\r\n"
        );
        assert_eq!(&mp.trailer[..], b"\r\n--BOUND--\r\n");
        let body = assemble(&mp, &content);
        assert_eq!(mp.content_length, body.len() as u64);
        let parts = parse_multipart(&body, "BOUND");
        assert_eq!(parts.len(), 3);
        for ((headers, payload), r) in parts.iter().zip(ranges) {
            assert_eq!(
                headers,
                &[
                    ("Content-Type".to_owned(), "text/plain".to_owned()),
                    ("Content-Range".to_owned(), r.content_range(100)),
                ]
            );
            assert_eq!(payload, &content[r.start as usize..=r.end as usize]);
        }
    }

    #[test]
    fn multipart_without_content_type() {
        let content = b"hello, world";
        let ranges = [br(0, 4), br(7, 11)];
        let mp = Multipart::new(&ranges, 12, None, &boundary_from_seed(0xabc));
        assert_eq!(mp.boundary, "brink-0000000000000abc");
        let body = assemble(&mp, content);
        assert_eq!(mp.content_length, body.len() as u64);
        let parts = parse_multipart(&body, &mp.boundary);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0].0,
            vec![("Content-Range".to_owned(), "bytes 0-4/12".to_owned())]
        );
        assert_eq!(parts[0].1, b"hello");
        assert_eq!(parts[1].1, b"world");
    }

    #[test]
    fn multipart_strips_line_breaks_from_content_type() {
        let mp = Multipart::new(&[br(0, 0)], 1, Some(b"text/plain\r\nX-Evil: 1"), "b");
        assert!(mp.parts[0]
            .0
            .windows(26)
            .any(|w| w == b"text/plainX-Evil: 1\r\nConte"));
    }

    /// Reference resolution of a single item by enumerating byte positions.
    fn naive_single(item: RangeItem, len: u64) -> RangeOutcome {
        if len == 0 {
            return RangeOutcome::Full;
        }
        let selected: Vec<u64> = (0..len)
            .filter(|&i| match item {
                RangeItem::Bounded { first, last } => first <= i && i <= last,
                RangeItem::From { first } => first <= i,
                RangeItem::Suffix { suffix } => i + suffix >= len && suffix > 0,
            })
            .collect();
        match (selected.first(), selected.last()) {
            (Some(&s), Some(&e)) => RangeOutcome::Partial(smallvec![br(s, e)]),
            _ => RangeOutcome::Unsatisfiable,
        }
    }

    fn item_text(item: RangeItem) -> String {
        match item {
            RangeItem::Bounded { first, last } => format!("{first}-{last}"),
            RangeItem::From { first } => format!("{first}-"),
            RangeItem::Suffix { suffix } => format!("-{suffix}"),
        }
    }

    fn arb_item(max: u64) -> impl Strategy<Value = RangeItem> {
        prop_oneof![
            (0..max, 0..max).prop_map(|(a, b)| RangeItem::Bounded {
                first: a.min(b),
                last: a.max(b)
            }),
            (0..max).prop_map(|first| RangeItem::From { first }),
            (0..max).prop_map(|suffix| RangeItem::Suffix { suffix }),
        ]
    }

    fn arb_header() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(
                prop_oneof![
                    Just("bytes="),
                    Just("BYTES ="),
                    Just("-"),
                    Just(","),
                    Just(" "),
                    Just("0"),
                    Just("1"),
                    Just("7"),
                    Just("18446744073709551615"),
                    Just("99999999999999999999999"),
                ],
                0..20
            )
            .prop_map(|v| v.concat().into_bytes()),
            proptest::collection::vec(arb_item(u64::MAX), 1..80).prop_map(|items| {
                let parts: Vec<String> = items.into_iter().map(item_text).collect();
                format!("bytes={}", parts.join(", ")).into_bytes()
            }),
        ]
    }

    fn arb_len() -> impl Strategy<Value = u64> {
        prop_oneof![0..64u64, any::<u64>(), Just(u64::MAX), Just(1u64)]
    }

    proptest! {
        #[test]
        fn resolve_never_panics_and_stays_in_bounds(header in arb_header(), len in arb_len()) {
            let Some(spec) = parse_range(&header) else { return Ok(()) };
            prop_assert!(spec.count() >= 1);
            prop_assert!(spec.items().len() <= MAX_RANGES);
            match spec.resolve(len) {
                RangeOutcome::Partial(ranges) => {
                    prop_assert!(!ranges.is_empty() && ranges.len() <= MAX_RANGES);
                    for r in &ranges {
                        prop_assert!(r.start <= r.end && r.end < len);
                        prop_assert!(!r.is_empty());
                    }
                    for w in ranges.windows(2) {
                        prop_assert!(w[0].end < w[1].start);
                    }
                }
                RangeOutcome::Full => {}
                RangeOutcome::Unsatisfiable => prop_assert!(len > 0),
            }
        }

        #[test]
        fn single_range_matches_reference(item in arb_item(300), len in 0..200u64, ws in 0..3usize) {
            let pad = ["", " ", "\t "][ws];
            let header = format!("bytes={pad}{}{pad}", item_text(item));
            let spec = parse_range(header.as_bytes());
            prop_assert!(spec.is_some());
            let spec = spec.unwrap_or_else(|| unreachable!());
            prop_assert_eq!(spec.items(), &[item]);
            prop_assert_eq!(spec.resolve(len), naive_single(item, len));
        }

        #[test]
        fn content_range_round_trips(item in arb_item(u64::MAX), len in 1..u64::MAX) {
            if let Some(r) = item.resolve(len) {
                let s = r.content_range(len);
                prop_assert_eq!(parse_content_range(&s), Some((r.start, r.end, len)));
            }
            prop_assert_eq!(
                unsatisfied_content_range(len),
                format!("bytes */{len}")
            );
        }

        #[test]
        fn multipart_length_is_exact(
            cuts in proptest::collection::btree_set(0..500u64, 2..20),
            ct in proptest::option::of("[a-z/;= -]{0,30}"),
            seed in any::<u64>(),
        ) {
            let cuts: Vec<u64> = cuts.into_iter().collect();
            let ranges: Vec<ByteRange> =
                cuts.chunks_exact(2).map(|c| br(c[0], c[1])).collect();
            let content: Vec<u8> = (0..500u32).map(|i| (i % 251) as u8).collect();
            let boundary = boundary_from_seed(seed);
            let mp = Multipart::new(&ranges, 500, ct.as_deref().map(str::as_bytes), &boundary);
            let body = assemble(&mp, &content);
            prop_assert_eq!(mp.content_length, body.len() as u64);
            let parts = parse_multipart(&body, &boundary);
            prop_assert_eq!(parts.len(), ranges.len());
            for ((headers, payload), r) in parts.iter().zip(&ranges) {
                prop_assert_eq!(payload.as_slice(), &content[r.start as usize..=r.end as usize]);
                let cr = headers.iter().find(|(n, _)| n == "Content-Range");
                prop_assert_eq!(cr.map(|(_, v)| v.clone()), Some(r.content_range(500)));
            }
        }
    }
}

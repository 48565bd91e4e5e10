//! Edge compression (cloudfront.md §8.3), part of phase 5 (store).
//!
//! When a behavior compresses (`Compress=true`, gzip/br enabled in its cache policy, TTL > 0,
//! `Accept-Encoding` not named in the policy) and the viewer's normalised `Accept-Encoding`
//! accepts br or gzip, an eligible origin response is compressed as it is stored: the
//! stored object is the encoded one, under the key that holds the normalised
//! `Accept-Encoding`, so hits, ranges (cut from the compressed bytes) and conditionals serve
//! it like any other object.
//!
//! Eligible (all of): not an HTTP/1.0 request; no `Content-Encoding` from the origin; a
//! `Content-Length` of 1,000 to 10,000,000 bytes; status 200, 403 or 404; a `Content-Type`
//! from §8.3's list (parameters ignored, case-insensitive); and no `Cache-Control:
//! no-transform` (RFC 9111 §5.2.2.6: an intermediary must not change the content; §8.3 is
//! silent about it, and a CloudFront user who sets it expects the bytes to pass untouched).
//! Everything else is stored as the origin sent it.

use std::borrow::Cow;
use std::io::Write;
use std::time::Duration;

use brink_http::accept_encoding::Coding;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{StatusCode, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::policy::Rules;

/// Smallest body the edge compresses (cloudfront.md §8.3).
pub(crate) const MIN_LEN: u64 = 1_000;
/// Largest body the edge compresses (cloudfront.md §8.3).
pub(crate) const MAX_LEN: u64 = 10_000_000;

/// Brotli quality: 5 compresses about as well as gzip's best level at a few times its
/// speed; qualities 10–11 shrink another few percent for 20–100 times the CPU, which an edge
/// compressing on the request path (10 MB objects included) cannot spend.
const BROTLI_QUALITY: i32 = 5;
/// Brotli window: 4 MiB (`lgwin` 22, the encoder's default).
const BROTLI_LGWIN: i32 = 22;
/// gzip level: zlib's default, its usual balance of speed and size.
const GZIP_LEVEL: u32 = 6;

/// Media types CloudFront compresses (cloudfront.md §8.3), lower case.
const COMPRESSIBLE: &[&str] = &[
    "application/dash+xml",
    "application/eot",
    "application/font",
    "application/font-sfnt",
    "application/javascript",
    "application/json",
    "application/opentype",
    "application/otf",
    "application/pkcs7-mime",
    "application/protobuf",
    "application/rss+xml",
    "application/truetype",
    "application/ttf",
    "application/vnd.apple.mpegurl",
    "application/vnd.mapbox-vector-tile",
    "application/vnd.ms-fontobject",
    "application/xhtml+xml",
    "application/xml",
    "application/x-font-opentype",
    "application/x-font-truetype",
    "application/x-font-ttf",
    "application/x-httpd-cgi",
    "application/x-javascript",
    "application/x-mpegurl",
    "application/x-opentype",
    "application/x-otf",
    "application/x-perl",
    "application/x-ttf",
    "font/eot",
    "font/opentype",
    "font/otf",
    "font/ttf",
    "image/svg+xml",
    "text/css",
    "text/csv",
    "text/html",
    "text/javascript",
    "text/js",
    "text/plain",
    "text/richtext",
    "text/tab-separated-values",
    "text/xml",
    "text/x-component",
    "text/x-java-source",
    "text/x-script",
    "vnd.apple.mpegurl",
];

/// Whether a `Content-Type` value names a compressible media type (parameters ignored).
fn is_compressible_type(content_type: &[u8]) -> bool {
    let essence = content_type
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    COMPRESSIBLE
        .iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(essence))
}

/// What [`eligible`] needs to know about the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Viewer {
    /// The behavior compresses at all (`Behavior::compression_enabled`).
    pub(crate) behavior_compresses: bool,
    /// The coding the viewer's normalised `Accept-Encoding` prefers (br, else gzip).
    pub(crate) coding: Option<Coding>,
    /// The viewer's HTTP version.
    pub(crate) version: Version,
}

/// The coding to apply to a response about to be stored, and its `Content-Length`; `None`
/// when it is stored as the origin sent it. Pure: see the module documentation for the rules.
pub(crate) fn eligible(
    viewer: Viewer,
    status: StatusCode,
    headers: &HeaderMap,
) -> Option<(Coding, u64)> {
    if !viewer.behavior_compresses || viewer.version == Version::HTTP_10 {
        return None;
    }
    let coding = viewer.coding?;
    if !matches!(status.as_u16(), 200 | 403 | 404) || headers.contains_key(header::CONTENT_ENCODING)
    {
        return None;
    }
    let mut lengths = headers.get_all(header::CONTENT_LENGTH).iter();
    let len: u64 = lengths.next()?.to_str().ok()?.trim().parse().ok()?;
    if lengths.next().is_some() || !(MIN_LEN..=MAX_LEN).contains(&len) {
        return None;
    }
    if !headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| is_compressible_type(ct.as_bytes()))
    {
        return None;
    }
    let no_transform = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|d| d.trim_ascii().eq_ignore_ascii_case(b"no-transform"));
    (!no_transform).then_some((coding, len))
}

/// [`eligible`] for a request under `rules`.
pub(crate) fn eligible_for(
    rules: &Rules,
    request: &HeaderMap,
    version: Version,
    status: StatusCode,
    headers: &HeaderMap,
) -> Option<(Coding, u64)> {
    let behavior_compresses = rules.behavior.compression_enabled();
    if !behavior_compresses {
        return None;
    }
    let viewer = Viewer {
        behavior_compresses,
        coding: rules
            .accepted_encodings(request)
            .and_then(|c| c.preferred()),
        version,
    };
    eligible(viewer, status, headers)
}

/// Bodies up to this size are read whole and compressed in one go before the object is
/// published (the first response then carries the encoded `Content-Length`, and a body that
/// fails on the way gets the viewer an error page); larger ones are compressed as they
/// stream ([`compress_into`]), so the first byte does not wait for 10 MB.
pub(crate) const WHOLE_LIMIT: u64 = 256 * 1024;

/// Compresses `input` on the blocking pool. `Err` gives `input` back: it is then stored as
/// the origin sent it (§8.3: compression is best effort).
pub(crate) async fn encode_blocking(coding: Coding, input: Bytes) -> Result<Bytes, Bytes> {
    let task = tokio::task::spawn_blocking(move || {
        let mut e = Encoder::new(coding, input.len() as u64);
        let out = e.write(&input).and_then(|()| {
            let mut out = e.take();
            out.extend(e.finish()?);
            Ok(out)
        });
        match out {
            Ok(out) => Ok(Bytes::from(out)),
            Err(e) => {
                tracing::warn!(error = %e, coding = coding.as_str(), "compression failed; stored as sent");
                Err(input)
            }
        }
    });
    match task.await {
        Ok(r) => r,
        // The task cannot panic short of a bug in the encoder; the input went with it.
        Err(_) => Err(Bytes::new()),
    }
}

/// Reads a whole origin body of `expected` bytes, each frame within `read_timeout`. A stall,
/// a broken body or a length other than `expected` fails: nothing is stored from it.
pub(crate) async fn collect_body(
    body: &mut Incoming,
    expected: u64,
    read_timeout: Duration,
) -> Result<Bytes, brink_cache::FetchFailure> {
    use brink_cache::FetchFailure;
    let cap = usize::try_from(expected).unwrap_or(usize::MAX);
    let mut buf = bytes::BytesMut::with_capacity(cap);
    loop {
        match tokio::time::timeout(read_timeout, body.frame()).await {
            Err(_) => return Err(FetchFailure::Timeout),
            Ok(Some(Err(_))) => return Err(FetchFailure::Protocol),
            Ok(None) => break,
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > cap {
                        return Err(FetchFailure::Protocol);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    if buf.len() != cap {
        return Err(FetchFailure::Protocol);
    }
    Ok(buf.freeze())
}

/// Rewrites the stored headers of a response the edge encodes with `coding`:
/// `Content-Encoding`, no `Content-Length` (the encoded length is known at the end; hits
/// then carry it), `Vary: Accept-Encoding` (merged with the origin's), a strong `ETag`
/// weakened and one that is not an entity tag removed (§8.3), and digests of the original
/// bytes dropped.
pub(crate) fn mark_encoded(headers: &mut HeaderMap, coding: Coding) {
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(coding.as_str()),
    );
    headers.remove(header::CONTENT_LENGTH);
    add_vary_accept_encoding(headers);
    weaken_etag(headers);
    headers.remove("content-md5");
    headers.remove("content-digest");
}

/// Adds `Accept-Encoding` to `Vary` unless it is listed already (or `Vary: *`); several
/// `Vary` lines become one.
fn add_vary_accept_encoding(headers: &mut HeaderMap) {
    let listed = headers.get_all(header::VARY).iter().any(|v| {
        v.as_bytes()
            .split(|b| *b == b',')
            .map(<[u8]>::trim_ascii)
            .any(|t| t == b"*" || t.eq_ignore_ascii_case(b"accept-encoding"))
    });
    if !listed {
        crate::headers::append_list(headers, &header::VARY, b"Accept-Encoding");
    }
}

/// §8.3: `"x"` → `W/"x"`; `W/"x"` stays; anything else is not an entity tag and goes.
fn weaken_etag(headers: &mut HeaderMap) {
    let Some(etag) = headers.get(header::ETAG) else {
        return;
    };
    let bytes = etag.as_bytes();
    if bytes.starts_with(b"W/") {
        return;
    }
    if bytes.starts_with(b"\"") {
        let mut weak = Vec::with_capacity(bytes.len() + 2);
        weak.extend_from_slice(b"W/");
        weak.extend_from_slice(bytes);
        if let Ok(v) = HeaderValue::from_bytes(&weak) {
            headers.insert(header::ETAG, v);
            return;
        }
    }
    headers.remove(header::ETAG);
}

/// The 304 headers to merge into a stored object the edge encoded (recognised by its
/// `Content-Encoding` and `Vary: Accept-Encoding`): the origin validates the identity
/// representation, so its strong `ETag` is weakened (or removed) and its `Vary` keeps
/// `Accept-Encoding`, as when the object was stored. Other objects take the 304 as is.
pub(crate) fn align_not_modified<'a>(
    stored: &brink_cache::StoredHeaders,
    not_modified: &'a HeaderMap,
) -> Cow<'a, HeaderMap> {
    let encoded_here = stored.contains_key(&header::CONTENT_ENCODING)
        && stored.get_all(&header::VARY).any(|v| {
            v.as_bytes()
                .split(|b| *b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"accept-encoding"))
        });
    let touches =
        not_modified.contains_key(header::ETAG) || not_modified.contains_key(header::VARY);
    if !encoded_here || !touches {
        return Cow::Borrowed(not_modified);
    }
    let mut out = not_modified.clone();
    weaken_etag(&mut out);
    if out.contains_key(header::VARY) {
        add_vary_accept_encoding(&mut out);
    }
    Cow::Owned(out)
}

/// A streaming encoder: input in, whatever output is ready out.
enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
}

impl Encoder {
    fn new(coding: Coding, size_hint: u64) -> Encoder {
        match coding {
            Coding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                Vec::with_capacity(OUT_CHUNK),
                flate2::Compression::new(GZIP_LEVEL),
            )),
            Coding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: BROTLI_QUALITY,
                    lgwin: BROTLI_LGWIN,
                    size_hint: usize::try_from(size_hint).unwrap_or(0),
                    ..Default::default()
                };
                Encoder::Brotli(Box::new(brotli::CompressorWriter::with_params(
                    Vec::with_capacity(OUT_CHUNK),
                    OUT_CHUNK,
                    &params,
                )))
            }
        }
    }

    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.write_all(data),
            Encoder::Brotli(e) => e.write_all(data),
        }
    }

    /// The output produced so far, taken out of the encoder.
    fn take(&mut self) -> Vec<u8> {
        match self {
            Encoder::Gzip(e) => std::mem::take(e.get_mut()),
            Encoder::Brotli(e) => std::mem::take(e.get_mut()),
        }
    }

    /// Ends the stream; the rest of the output.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Brotli(e) => Ok(e.into_inner()),
        }
    }
}

/// Output handed to readers once this much is ready (and at the end).
const OUT_CHUNK: usize = 64 * 1024;

/// Phase 5 for a compressed object, in the background: the origin's body (`expected` bytes,
/// its `Content-Length`) is encoded as it arrives and the encoded bytes go into the stored
/// object as soon as the encoder emits them, so the first bytes reach the viewer before the
/// origin has sent everything (no 10 MB buffer first). The encoding runs on the blocking
/// pool, fed through a small channel. A stall, a broken body or a length other than
/// `expected` fails the object (never served partially).
pub(crate) fn compress_into(
    mut body: Incoming,
    writer: brink_cache::ObjectWriter,
    coding: Coding,
    expected: u64,
    read_timeout: Duration,
) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, ()>>(8);
    tokio::spawn(async move {
        let mut seen = 0u64;
        loop {
            let item = match tokio::time::timeout(read_timeout, body.frame()).await {
                Err(_) | Ok(Some(Err(_))) => Err(()),
                Ok(None) if seen == expected => return,
                Ok(None) => Err(()),
                Ok(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        seen += data.len() as u64;
                        if seen > expected {
                            Err(())
                        } else {
                            Ok(data)
                        }
                    }
                    Err(_) => continue,
                },
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        let mut enc = Encoder::new(coding, expected);
        while let Some(item) = rx.blocking_recv() {
            let Ok(data) = item else {
                tracing::debug!("origin body failed while compressing; object dropped");
                return;
            };
            if enc.write(&data).is_err() {
                return;
            }
            let out = enc.take();
            if !out.is_empty() {
                writer.push_owned(Bytes::from(out));
            }
        }
        // The sender is gone: the body ended (complete: checked by the reader) — or the
        // reader task died, in which case it sent an error first.
        match enc.finish() {
            Ok(rest) => {
                if !rest.is_empty() {
                    writer.push_owned(Bytes::from(rest));
                }
                writer.finish();
            }
            Err(e) => tracing::warn!(error = %e, "compression failed; object dropped"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_static(v));
        }
        m
    }

    const BR11: Viewer = Viewer {
        behavior_compresses: true,
        coding: Some(Coding::Brotli),
        version: Version::HTTP_11,
    };

    fn ok_headers() -> HeaderMap {
        map(&[
            ("content-type", "text/html; charset=utf-8"),
            ("content-length", "5000"),
        ])
    }

    #[test]
    fn eligible_when_every_condition_holds() {
        let h = ok_headers();
        assert_eq!(
            eligible(BR11, StatusCode::OK, &h),
            Some((Coding::Brotli, 5000))
        );
        for status in [403, 404] {
            let s = StatusCode::from_u16(status).unwrap();
            assert!(eligible(BR11, s, &h).is_some(), "{status}");
        }
        let gzip2 = Viewer {
            coding: Some(Coding::Gzip),
            version: Version::HTTP_2,
            ..BR11
        };
        assert_eq!(
            eligible(gzip2, StatusCode::OK, &h),
            Some((Coding::Gzip, 5000))
        );
        for ct in [
            "TEXT/CSS",
            "application/json;charset=UTF-8",
            " image/svg+xml ",
            "vnd.apple.mpegurl",
            "font/ttf",
        ] {
            let mut h = ok_headers();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
            assert!(eligible(BR11, StatusCode::OK, &h).is_some(), "{ct}");
        }
        for len in ["1000", "10000000"] {
            let mut h = ok_headers();
            h.insert(header::CONTENT_LENGTH, HeaderValue::from_static(len));
            assert!(eligible(BR11, StatusCode::OK, &h).is_some(), "{len}");
        }
    }

    #[test]
    fn not_eligible_when_any_condition_fails() {
        let ok = StatusCode::OK;
        let h = ok_headers();
        let off = Viewer {
            behavior_compresses: false,
            ..BR11
        };
        let identity = Viewer {
            coding: None,
            ..BR11
        };
        let http10 = Viewer {
            version: Version::HTTP_10,
            ..BR11
        };
        for v in [off, identity, http10] {
            assert_eq!(eligible(v, ok, &h), None, "{v:?}");
        }
        for status in [201, 206, 301, 304, 400, 410, 500, 503] {
            let s = StatusCode::from_u16(status).unwrap();
            assert_eq!(eligible(BR11, s, &h), None, "{status}");
        }
        let variants: [(&str, Option<&'static str>); 11] = [
            ("content-length", Some("999")),
            ("content-length", Some("10000001")),
            ("content-length", Some("abc")),
            ("content-length", None),
            ("content-type", Some("image/png")),
            ("content-type", Some("application/octet-stream")),
            ("content-type", Some("text/htmlx")),
            ("content-type", None),
            ("content-encoding", Some("gzip")),
            ("content-encoding", Some("identity")),
            ("cache-control", Some("max-age=60, No-Transform")),
        ];
        for (name, value) in variants {
            let mut h = ok_headers();
            match value {
                Some(v) => {
                    h.insert(name, HeaderValue::from_static(v));
                }
                None => {
                    h.remove(name);
                }
            }
            assert_eq!(eligible(BR11, ok, &h), None, "{name}: {value:?}");
        }
        let mut two_lengths = ok_headers();
        two_lengths.append(header::CONTENT_LENGTH, HeaderValue::from_static("5000"));
        assert_eq!(eligible(BR11, ok, &two_lengths), None);
    }

    #[test]
    fn encodings_round_trip() {
        let input: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("line {i} of a compressible text\n").into_bytes())
            .collect();
        // Fed in pieces, output taken as it comes, as `compress_into` does.
        let encode = |coding: Coding, input: &[u8]| -> Vec<u8> {
            let mut e = Encoder::new(coding, input.len() as u64);
            let mut out = Vec::new();
            for piece in input.chunks(7_001) {
                e.write(piece).unwrap();
                out.extend(e.take());
            }
            out.extend(e.finish().unwrap());
            out
        };
        let gz = encode(Coding::Gzip, &input);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, input);
        assert!(gz.len() < input.len() / 4);
        let br = encode(Coding::Brotli, &input);
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, input);
        assert!(br.len() < input.len() / 4);
    }

    #[test]
    fn encoded_headers() {
        let mut h = map(&[
            ("content-length", "5000"),
            ("etag", "\"v1\""),
            ("vary", "Origin"),
            ("vary", "accept-language"),
            ("content-md5", "xyz"),
        ]);
        mark_encoded(&mut h, Coding::Gzip);
        assert_eq!(h["content-encoding"], "gzip");
        assert!(!h.contains_key("content-length"), "known once encoded");
        assert_eq!(h["etag"], "W/\"v1\"");
        assert_eq!(
            h.get_all("vary").iter().collect::<Vec<_>>(),
            ["Origin, accept-language, Accept-Encoding"]
        );
        assert!(!h.contains_key("content-md5"));

        let mut h = map(&[("etag", "W/\"v1\""), ("vary", "Accept-Encoding")]);
        mark_encoded(&mut h, Coding::Brotli);
        assert_eq!(h["etag"], "W/\"v1\"");
        assert_eq!(h["vary"], "Accept-Encoding");
        assert_eq!(h["content-encoding"], "br");

        let mut h = map(&[("etag", "v1-unquoted")]);
        mark_encoded(&mut h, Coding::Brotli);
        assert!(!h.contains_key("etag"));
        assert_eq!(h["vary"], "Accept-Encoding");

        let mut h = map(&[("vary", "*")]);
        mark_encoded(&mut h, Coding::Brotli);
        assert_eq!(h["vary"], "*");
    }

    #[test]
    fn a_304_for_an_encoded_object_keeps_the_weak_etag() {
        let stored = map(&[
            ("content-encoding", "br"),
            ("vary", "Accept-Encoding"),
            ("etag", "W/\"v1\""),
        ]);
        let nm = map(&[("etag", "\"v1\""), ("vary", "Origin")]);
        let aligned = align_not_modified(&(&stored).into(), &nm);
        assert_eq!(aligned["etag"], "W/\"v1\"");
        assert_eq!(aligned["vary"], "Origin, Accept-Encoding");
        // An object the origin encoded itself (no Vary: Accept-Encoding) takes the 304 as is.
        let theirs = map(&[("content-encoding", "gzip"), ("etag", "\"v1\"")]);
        assert!(matches!(
            align_not_modified(&(&theirs).into(), &nm),
            Cow::Borrowed(_)
        ));
    }
}

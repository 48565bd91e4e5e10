//! The on-disk object format.
//!
//! One file per stored variant:
//!
//! ```text
//! magic "BRK1" | u32 meta_len | meta (see below) | u32 crc32(meta)
//! body bytes (body_len)
//! u32 crc32 per 64 KiB block of the body | u64 body_len | magic "BRKE"
//! ```
//!
//! Integers are little-endian. A file is written under a temporary name and renamed into
//! place only after the trailer, so a file with a valid trailer is complete; every read
//! verifies the CRC of each block it touches, so a file damaged later is detected when read
//! (and dropped; the edge then refetches). `meta`:
//!
//! ```text
//! str key | u16 status | u64 fresh_ms | u64 swr_ms | u64 sie_ms | u8 must_revalidate
//! u64 response_time_ms (unix) | u64 initial_age_ms
//! u16 n_vary { str name } | u16 n_values { u8 present, bytes value }
//! u16 n_headers { str name, bytes value }
//! ```
//! where `str`/`bytes` are a u32 length then the bytes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use brink_http::freshness::{AgeBase, Lifetimes};
use brink_http::vary::{VaryNames, VaryValues};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::object::Meta;

/// Bytes covered by one body checksum.
pub const BLOCK: u64 = 64 * 1024;
const MAGIC: &[u8; 4] = b"BRK1";
const END_MAGIC: &[u8; 4] = b"BRKE";
/// Length of the fixed part of the trailer (body length and end magic).
pub const TRAILER_FIXED: u64 = 12;
/// Largest metadata section accepted when reading (a corrupt length must not allocate GiBs).
const MAX_META: u32 = 1 << 20;

/// Why a file could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatError {
    /// Bad magic, bad lengths, or truncated data.
    Malformed(&'static str),
    /// A checksum did not match.
    Checksum,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Malformed(w) => write!(f, "malformed cache file: {w}"),
            FormatError::Checksum => f.write_str("cache file checksum mismatch"),
        }
    }
}
impl std::error::Error for FormatError {}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, u32::try_from(b.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(b);
}
fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Encodes the file head: magic, metadata and its checksum.
pub fn encode_head(key: &str, meta: &Meta) -> Vec<u8> {
    let mut m = Vec::with_capacity(512);
    put_bytes(&mut m, key.as_bytes());
    put_u16(&mut m, meta.status.as_u16());
    let l = meta.lifetimes();
    put_u64(&mut m, ms(l.fresh));
    put_u64(&mut m, ms(l.stale_while_revalidate));
    put_u64(&mut m, ms(l.stale_if_error));
    m.push(u8::from(l.must_revalidate));
    put_u64(
        &mut m,
        ms(meta
            .age()
            .response_time
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)),
    );
    put_u64(&mut m, ms(meta.age().initial_age));
    let names = meta.vary().names();
    put_u16(&mut m, u16::try_from(names.len()).unwrap_or(u16::MAX));
    for n in names {
        put_bytes(&mut m, n.as_str().as_bytes());
    }
    let values = meta.vary_values().values();
    put_u16(&mut m, u16::try_from(values.len()).unwrap_or(u16::MAX));
    for v in values {
        match v {
            Some(v) => {
                m.push(1);
                put_bytes(&mut m, v);
            }
            None => m.push(0),
        }
    }
    put_u16(
        &mut m,
        u16::try_from(meta.headers.len()).unwrap_or(u16::MAX),
    );
    for (name, value) in meta.headers.iter() {
        put_bytes(&mut m, name.as_str().as_bytes());
        put_bytes(&mut m, value.as_bytes());
    }
    let mut out = Vec::with_capacity(m.len() + 12);
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, u32::try_from(m.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(&m);
    put_u32(&mut out, crc32fast::hash(&m));
    out
}

/// Reads the length of the head (magic + length + meta + crc) from its first 8 bytes.
///
/// # Errors
/// Bad magic or an implausible length.
pub fn head_len(first8: &[u8]) -> Result<u64, FormatError> {
    if first8.len() < 8 || &first8[..4] != MAGIC {
        return Err(FormatError::Malformed("magic"));
    }
    let len = u32::from_le_bytes([first8[4], first8[5], first8[6], first8[7]]);
    if len > MAX_META {
        return Err(FormatError::Malformed("metadata length"));
    }
    Ok(8 + u64::from(len) + 4)
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.b.len() < n {
            return Err(FormatError::Malformed("truncated metadata"));
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, FormatError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, FormatError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> Result<&'a [u8], FormatError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// Decodes a complete head (as sized by [`head_len`]) into the key and metadata.
///
/// # Errors
/// Any malformation or a checksum mismatch.
pub fn decode_head(head: &[u8]) -> Result<(String, Meta), FormatError> {
    let total = usize::try_from(head_len(head)?).map_err(|_| FormatError::Malformed("length"))?;
    if head.len() < total {
        return Err(FormatError::Malformed("truncated head"));
    }
    let meta_bytes = &head[8..total - 4];
    let crc = u32::from_le_bytes([
        head[total - 4],
        head[total - 3],
        head[total - 2],
        head[total - 1],
    ]);
    if crc32fast::hash(meta_bytes) != crc {
        return Err(FormatError::Checksum);
    }
    let mut r = Reader { b: meta_bytes };
    let key = String::from_utf8(r.bytes()?.to_vec()).map_err(|_| FormatError::Malformed("key"))?;
    let status = StatusCode::from_u16(r.u16()?).map_err(|_| FormatError::Malformed("status"))?;
    let d = Duration::from_millis;
    let lifetimes = Lifetimes {
        fresh: d(r.u64()?),
        stale_while_revalidate: d(r.u64()?),
        stale_if_error: d(r.u64()?),
        must_revalidate: r.u8()? != 0,
    };
    let response_time = SystemTime::UNIX_EPOCH + d(r.u64()?);
    let initial_age = d(r.u64()?);
    let mut vary_headers = HeaderMap::new();
    for _ in 0..r.u16()? {
        let name =
            HeaderName::from_bytes(r.bytes()?).map_err(|_| FormatError::Malformed("vary name"))?;
        vary_headers.append(
            http::header::VARY,
            HeaderValue::from_str(name.as_str()).map_err(|_| FormatError::Malformed("vary"))?,
        );
    }
    let vary = VaryNames::from_response(&vary_headers);
    let mut values = Vec::new();
    for _ in 0..r.u16()? {
        values.push(if r.u8()? == 1 {
            Some(Bytes::copy_from_slice(r.bytes()?))
        } else {
            None
        });
    }
    let headers = (0..r.u16()?)
        .map(|_| {
            let name = HeaderName::from_bytes(r.bytes()?)
                .map_err(|_| FormatError::Malformed("header name"))?;
            let value = HeaderValue::from_bytes(r.bytes()?)
                .map_err(|_| FormatError::Malformed("header value"))?;
            Ok((name, value))
        })
        .collect::<Result<crate::StoredHeaders, FormatError>>()?;
    Ok((
        key,
        Meta::new(
            status,
            headers,
            lifetimes,
            AgeBase {
                response_time,
                initial_age,
            },
            vary,
            VaryValues::from_values(values),
        ),
    ))
}

/// Number of checksum blocks for a body of `len` bytes.
pub fn blocks(len: u64) -> u64 {
    len.div_ceil(BLOCK)
}

/// Encodes the trailer: block checksums, body length, end magic.
pub fn encode_trailer(crcs: &[u32], body_len: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(crcs.len() * 4 + 12);
    for c in crcs {
        put_u32(&mut out, *c);
    }
    put_u64(&mut out, body_len);
    out.extend_from_slice(END_MAGIC);
    out
}

/// Reads the fixed end of a trailer (last 12 bytes of the file): the body length.
///
/// # Errors
/// Bad end magic.
pub fn trailer_body_len(last12: &[u8]) -> Result<u64, FormatError> {
    if last12.len() != 12 || &last12[8..] != END_MAGIC {
        return Err(FormatError::Malformed("end magic"));
    }
    let mut a = [0u8; 8];
    a.copy_from_slice(&last12[..8]);
    Ok(u64::from_le_bytes(a))
}

/// Decodes the block checksums.
pub fn decode_crcs(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Computes block checksums incrementally as body bytes are written.
#[derive(Debug, Default)]
pub struct BlockHasher {
    crcs: Vec<u32>,
    current: crc32fast::Hasher,
    in_block: u64,
    total: u64,
}

impl BlockHasher {
    /// Feeds body bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = usize::try_from(BLOCK - self.in_block).unwrap_or(usize::MAX);
            let n = room.min(data.len());
            self.current.update(&data[..n]);
            self.in_block += n as u64;
            self.total += n as u64;
            data = &data[n..];
            if self.in_block == BLOCK {
                let h = std::mem::take(&mut self.current);
                self.crcs.push(h.finalize());
                self.in_block = 0;
            }
        }
    }

    /// The checksums and the body length.
    pub fn finish(mut self) -> (Vec<u32>, u64) {
        if self.in_block > 0 {
            self.crcs.push(self.current.finalize());
        }
        (self.crcs, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        headers.append("x-multi", HeaderValue::from_static("a"));
        headers.append("x-multi", HeaderValue::from_static("b"));
        let mut vary = HeaderMap::new();
        vary.insert("vary", HeaderValue::from_static("accept-language"));
        let names = VaryNames::from_response(&vary);
        let mut req = HeaderMap::new();
        req.insert("accept-language", HeaderValue::from_static("en"));
        Meta::new(
            StatusCode::NOT_FOUND,
            headers.into(),
            Lifetimes {
                fresh: Duration::from_secs(60),
                stale_while_revalidate: Duration::from_secs(5),
                stale_if_error: Duration::from_secs(600),
                must_revalidate: true,
            },
            AgeBase {
                response_time: UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
                initial_age: Duration::from_millis(2500),
            },
            names.clone(),
            names.select(&req),
        )
    }

    #[test]
    fn head_round_trips() {
        let m = meta();
        let head = encode_head("4:E123/a?b", &m);
        assert_eq!(head_len(&head[..8]).unwrap(), head.len() as u64);
        let (key, back) = decode_head(&head).unwrap();
        assert_eq!(key, "4:E123/a?b");
        assert_eq!(back.status, m.status);
        assert_eq!(back.headers, m.headers);
        assert_eq!(back.lifetimes(), m.lifetimes());
        assert_eq!(back.age(), m.age());
        assert_eq!(back.vary(), m.vary());
        assert_eq!(back.vary_values(), m.vary_values());
    }

    #[test]
    fn corruption_is_detected() {
        let mut head = encode_head("k", &meta());
        let mid = head.len() / 2;
        head[mid] ^= 0x40;
        assert!(decode_head(&head).is_err());
        assert!(head_len(b"XXXX\0\0\0\0").is_err());
        assert!(decode_head(&head[..10]).is_err());
    }

    #[test]
    fn block_checksums() {
        let data = vec![7u8; (BLOCK * 2 + 10) as usize];
        let mut h = BlockHasher::default();
        h.update(&data[..100]);
        h.update(&data[100..]);
        let (crcs, len) = h.finish();
        assert_eq!(len, data.len() as u64);
        assert_eq!(crcs.len() as u64, blocks(len));
        assert_eq!(crcs[2], crc32fast::hash(&data[(2 * BLOCK) as usize..]));
        let t = encode_trailer(&crcs, len);
        assert_eq!(trailer_body_len(&t[t.len() - 12..]).unwrap(), len);
        assert_eq!(decode_crcs(&t[..t.len() - 12]), crcs);
    }
}

//! CloudFront's URL-safe base64 (cloudfront.md §5): the standard alphabet with `+`→`-`,
//! `=`→`_` and `/`→`~`, used for `Signature` and `Policy`.
//!
//! Decoding is lenient in what it reads: it accepts CloudFront's characters and the standard
//! ones (`+`, `/`, `=`) alike, and percent-decodes `%XX` first (a client or proxy that
//! percent-encodes `~` as `%7E` still works). It allocates nothing: input is translated in
//! small stack chunks and decoded straight into the caller's buffer.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// Standard alphabet, padding optional on decode (CloudFront always pads, but a stripped `_`
/// changes nothing about the bytes).
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes `data` the CloudFront way.
pub fn encode(data: &[u8]) -> String {
    ENGINE
        .encode(data)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            c => c,
        })
        .collect()
}

/// Why a value did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError;

/// An upper bound of the decoded length of `input` (before percent-decoding, which only
/// shrinks it).
pub fn decoded_len_bound(input: &[u8]) -> usize {
    input.len() / 4 * 3 + 3
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Chunk of translated characters decoded at once; a multiple of 4 so only the last chunk can
/// hold padding.
const CHUNK: usize = 256;

/// Decodes `input` into `out`, returning the number of bytes written.
///
/// # Errors
/// A character outside both alphabets, a bad `%XX`, misplaced padding, non-canonical trailing
/// bits, or `out` too small.
pub fn decode_into(input: &[u8], out: &mut [u8]) -> Result<usize, DecodeError> {
    let mut chunk = [0u8; CHUNK];
    let mut n = 0usize; // characters in `chunk`
    let mut written = 0usize;
    let mut i = 0usize;
    while i < input.len() {
        let mut c = input[i];
        i += 1;
        if c == b'%' {
            let (Some(&h), Some(&l)) = (input.get(i), input.get(i + 1)) else {
                return Err(DecodeError);
            };
            c = hex(h)
                .zip(hex(l))
                .map(|(h, l)| h << 4 | l)
                .ok_or(DecodeError)?;
            i += 2;
        }
        let t = match c {
            b'-' => b'+',
            b'~' => b'/',
            b'_' => b'=',
            c => c,
        };
        if n == CHUNK {
            written += flush(&chunk, out, written)?;
            n = 0;
        }
        chunk[n] = t;
        n += 1;
    }
    written += flush(&chunk[..n], out, written)?;
    Ok(written)
}

fn flush(chunk: &[u8], out: &mut [u8], at: usize) -> Result<usize, DecodeError> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let dst = out.get_mut(at..).ok_or(DecodeError)?;
    ENGINE.decode_slice(chunk, dst).map_err(|_| DecodeError)
}

/// Decodes `input` into a new vector (the policy bytes: the one allocation of a custom-policy
/// request).
///
/// # Errors
/// As [`decode_into`].
pub fn decode_vec(input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut v = vec![0u8; decoded_len_bound(input)];
    let n = decode_into(input, &mut v)?;
    v.truncate(n);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_lengths() {
        for len in 0..700usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            let enc = encode(&data);
            assert!(!enc.contains(['+', '/', '=']), "{enc}");
            assert_eq!(
                decode_vec(enc.as_bytes()).expect("decodes"),
                data,
                "len {len}"
            );
            // Standard base64 is read too.
            let std = ENGINE.encode(&data);
            assert_eq!(decode_vec(std.as_bytes()).expect("decodes"), data);
        }
    }

    #[test]
    fn percent_encoded_tilde_and_errors() {
        let data = [0xfbu8, 0xff, 0xbf];
        let enc = encode(&data); // "~~~_"-like
        let pct = enc.replace('~', "%7E");
        assert_eq!(decode_vec(pct.as_bytes()).expect("decodes"), data);
        assert_eq!(decode_vec(b"ab%7"), Err(DecodeError));
        assert_eq!(decode_vec(b"ab!c"), Err(DecodeError));
        assert_eq!(decode_vec(b"a"), Err(DecodeError));
        let mut small = [0u8; 2];
        assert_eq!(decode_into(b"AAAA", &mut small), Err(DecodeError));
    }
}

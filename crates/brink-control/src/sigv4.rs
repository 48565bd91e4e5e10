//! AWS Signature Version 4 verification (header form, `AWS4-HMAC-SHA256`), as botocore signs
//! CloudFront and ACM requests.
//!
//! The canonical request follows botocore's `SigV4Auth` for services other than S3: the path
//! as sent, percent-encoded once more (so `%` becomes `%25`), the query decoded and re-encoded
//! with only unreserved characters left bare and sorted, the signed headers lower-cased and
//! trimmed, and the payload's SHA-256 (or `x-amz-content-sha256` when present). Any region is
//! accepted in the scope (botocore signs with the client's region when an endpoint URL is
//! given, cloudfront.md §11.1); the service must be one the endpoint answers for.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How far the request's clock may be from ours.
pub(crate) const MAX_SKEW_SECS: i64 = 15 * 60;

/// Why a request is not authenticated. Each maps to the code AWS answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No `Authorization` header (or not SigV4).
    Missing,
    /// The access key id is not ours.
    UnknownKey,
    /// The signature does not match, the header is malformed, or the date is off.
    Mismatch(&'static str),
}

impl AuthError {
    /// The AWS error code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationToken",
            AuthError::UnknownKey => "InvalidClientTokenId",
            AuthError::Mismatch(_) => "SignatureDoesNotMatch",
        }
    }

    /// A message for the error body (never contains the secret or the signature).
    pub(crate) fn message(&self) -> &'static str {
        match self {
            AuthError::Missing => "Missing Authentication Token",
            AuthError::UnknownKey => "The security token included in the request is invalid.",
            AuthError::Mismatch(why) => why,
        }
    }
}

/// The request facts a signature covers.
pub(crate) struct SignedRequest<'a> {
    /// `GET`, `POST`, …
    pub(crate) method: &'a str,
    /// The path as sent (still percent-encoded).
    pub(crate) path: &'a str,
    /// The raw query, without `?`.
    pub(crate) query: &'a str,
    /// Every header (lower-case names).
    pub(crate) headers: &'a http::HeaderMap,
    /// The body.
    pub(crate) body: &'a [u8],
}

/// Checks the request's signature against the key pair; `services` lists the signing names
/// this request may use; `now` is the Unix time.
pub(crate) fn verify(
    req: &SignedRequest<'_>,
    access_key: &str,
    secret: &str,
    services: &[&str],
    now: i64,
) -> Result<(), AuthError> {
    let auth = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Missing)?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or(AuthError::Missing)?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(AuthError::Mismatch(
            "Authorization header requires Credential, SignedHeaders and Signature.",
        ));
    };
    // Credential = AKID/yyyymmdd/region/service/aws4_request
    let mut cparts = credential.splitn(5, '/');
    let (Some(key), Some(date), Some(region), Some(service), Some(term)) = (
        cparts.next(),
        cparts.next(),
        cparts.next(),
        cparts.next(),
        cparts.next(),
    ) else {
        return Err(AuthError::Mismatch(
            "Malformed Credential in the Authorization header.",
        ));
    };
    if key != access_key {
        return Err(AuthError::UnknownKey);
    }
    if term != "aws4_request" || region.is_empty() || !services.contains(&service) {
        return Err(AuthError::Mismatch(
            "Credential should be scoped to a valid region and service.",
        ));
    }
    let amz_date = req
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Mismatch("The request has no X-Amz-Date header."))?;
    let t = parse_amz_date(amz_date).ok_or(AuthError::Mismatch("X-Amz-Date is malformed."))?;
    if !amz_date.starts_with(date) {
        return Err(AuthError::Mismatch(
            "The credential date does not match X-Amz-Date.",
        ));
    }
    if (t - now).abs() > MAX_SKEW_SECS {
        return Err(AuthError::Mismatch(
            "Signature expired: the request time is more than 15 minutes from the server time.",
        ));
    }
    let signed: Vec<&str> = signed_headers.split(';').collect();
    if !signed.contains(&"host") {
        return Err(AuthError::Mismatch("The Host header must be signed."));
    }
    let mut canonical = String::with_capacity(512);
    canonical.push_str(req.method);
    canonical.push('\n');
    encode_into(&mut canonical, req.path, true);
    canonical.push('\n');
    canonical.push_str(&canonical_query(req.query));
    canonical.push('\n');
    for name in &signed {
        let values: Vec<&str> = req
            .headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(AuthError::Mismatch(
                "A signed header is missing from the request.",
            ));
        }
        canonical.push_str(name);
        canonical.push(':');
        let joined: Vec<String> = values.iter().map(|v| collapse_spaces(v)).collect();
        canonical.push_str(&joined.join(","));
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(signed_headers);
    canonical.push('\n');
    let payload = match req
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(h) if h != "UNSIGNED-PAYLOAD" => {
            let actual = hex(&Sha256::digest(req.body));
            if !h.eq_ignore_ascii_case(&actual) {
                return Err(AuthError::Mismatch(
                    "The provided x-amz-content-sha256 does not match the body.",
                ));
            }
            actual
        }
        Some(h) => h.to_owned(),
        None => hex(&Sha256::digest(req.body)),
    };
    canonical.push_str(&payload);

    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    k = hmac(&k, region.as_bytes());
    k = hmac(&k, service.as_bytes());
    k = hmac(&k, b"aws4_request");
    let expected = hex(&hmac(&k, to_sign.as_bytes()));
    if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Mismatch(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method.",
        ))
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn collapse_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes everything but unreserved characters (and `/` when `keep_slash`).
fn encode_into(out: &mut String, s: &str, keep_slash: bool) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Decodes `%XX` and `+` (as botocore's `parse_qsl` does); a `%` not followed by two hex
/// digits stays as it is.
pub(crate) fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => match (hexval(b[i + 1]), hexval(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let mut ek = String::new();
            encode_into(&mut ek, &decode(k), false);
            let mut ev = String::new();
            encode_into(&mut ev, &decode(v), false);
            (ek, ev)
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `20221010T215223Z` → Unix seconds.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(crate::time::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the AWS SigV4 documentation ("GET iam ListUsers"), whose signature is
    /// published: proves the canonical request and the key derivation.
    #[test]
    fn the_documented_example_verifies() {
        let mut headers = http::HeaderMap::new();
        headers.insert("host", "iam.amazonaws.com".parse().expect("hv"));
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .expect("hv"),
        );
        headers.insert("x-amz-date", "20150830T123600Z".parse().expect("hv"));
        headers.insert(
            http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                .parse()
                .expect("hv"),
        );
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            body: b"",
        };
        let now = parse_amz_date("20150830T123600Z").expect("date");
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(verify(&req, "AKIDEXAMPLE", secret, &["iam"], now), Ok(()));
        assert_eq!(
            verify(&req, "AKIDEXAMPLE", "wrong", &["iam"], now).map_err(|e| e.code()),
            Err("SignatureDoesNotMatch")
        );
        assert_eq!(
            verify(&req, "AKIDOTHER", secret, &["iam"], now).map_err(|e| e.code()),
            Err("InvalidClientTokenId")
        );
        assert_eq!(
            verify(&req, "AKIDEXAMPLE", secret, &["cloudfront"], now).map_err(|e| e.code()),
            Err("SignatureDoesNotMatch")
        );
        assert_eq!(
            verify(&req, "AKIDEXAMPLE", secret, &["iam"], now + 16 * 60).map_err(|e| e.code()),
            Err("SignatureDoesNotMatch")
        );
    }

    #[test]
    fn an_unsigned_request_is_missing_a_token() {
        let headers = http::HeaderMap::new();
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        assert_eq!(
            verify(&req, "a", "b", &["cloudfront"], 0),
            Err(AuthError::Missing)
        );
    }

    #[test]
    fn queries_are_sorted_and_reencoded() {
        assert_eq!(canonical_query("b=2&a=1&WithTags"), "WithTags=&a=1&b=2");
        assert_eq!(
            canonical_query("Resource=arn%3Aaws%3Acloudfront%3A%3A1%3Adistribution%2FE1"),
            "Resource=arn%3Aaws%3Acloudfront%3A%3A1%3Adistribution%2FE1"
        );
        assert_eq!(decode("a%2"), "a%2");
    }
}

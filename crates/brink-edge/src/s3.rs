//! S3 origins: origin access control signing (AWS SigV4, cloudfront.md §7.5), the mapping of
//! S3 origin names onto a local S3 endpoint (`--s3-endpoint`), and the CDN's service
//! credential (`--oac-credentials`).
//!
//! SigV4 is written here on `ring`'s HMAC and SHA-256 (already in the tree through rustls):
//! the `aws-sigv4` crate pulls in the smithy runtime, several times the code of this module,
//! and the edge needs one fixed request shape only. Unit tests check it against AWS's
//! published S3 example; the integration test has an independent verifier (botocore).
//!
//! Every signed request carries `x-amz-content-sha256: UNSIGNED-PAYLOAD` (bodies are streamed,
//! never hashed) and Brink's `x-amz-source-arn` header naming the distribution. How CloudFront
//! tells S3 which distribution signed is internal to AWS; the header is Brink's own
//! convention, agreed with `brink origin` [UNCONFIRMED in cloudfront.md terms].

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::SystemTime;

use brink_model::raw::OacSigningBehavior;
use http::{HeaderMap, HeaderValue, Method};

/// The header naming the distribution a signed request is for (Brink's convention).
pub(crate) const SOURCE_ARN_HEADER: &str = "x-amz-source-arn";

/// The CDN's service credential: what CloudFront's service principal is to S3.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never logged).
    pub secret_access_key: String,
    /// The control plane's account: the account of every distribution's ARN.
    pub account_id: String,
}

impl std::fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl ServiceCredentials {
    /// Reads `{"AccessKeyId", "SecretAccessKey", "AccountId"}` from `path`.
    ///
    /// # Errors
    /// A message naming the file and what is wrong with it.
    pub fn load(path: &std::path::Path) -> Result<ServiceCredentials, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--oac-credentials {}: {e}", path.display()))?;
        let c: ServiceCredentials = serde_json::from_str(&text)
            .map_err(|e| format!("--oac-credentials {}: {e}", path.display()))?;
        if c.access_key_id.is_empty() || c.secret_access_key.is_empty() {
            return Err(format!(
                "--oac-credentials {}: AccessKeyId and SecretAccessKey must not be empty",
                path.display()
            ));
        }
        if c.account_id.len() != 12 || !c.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "--oac-credentials {}: AccountId must be 12 digits",
                path.display()
            ));
        }
        Ok(c)
    }
}

/// Bucket and region of an S3 REST endpoint name: `<bucket>.s3.amazonaws.com` (us-east-1),
/// `<bucket>.s3.<region>.amazonaws.com` and `<bucket>.s3-<region>.amazonaws.com`. `None` for
/// any other name (website endpoints, custom domains).
pub fn s3_bucket_region(domain: &str) -> Option<(&str, &str)> {
    let rest = domain.strip_suffix(".amazonaws.com")?;
    let is_region = |r: &str| {
        !r.is_empty()
            && !r.starts_with("website")
            && !r.starts_with("accelerate")
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    for (i, _) in rest.rmatch_indices(".s3") {
        let bucket = &rest[..i];
        if bucket.is_empty() {
            continue;
        }
        let tail = &rest[i + 3..];
        if tail.is_empty() {
            return Some((bucket, "us-east-1"));
        }
        if let Some(r) = tail.strip_prefix('.').or_else(|| tail.strip_prefix('-')) {
            if is_region(r) {
                return Some((bucket, r));
            }
        }
    }
    None
}

/// S3's canonical URI and canonical query string of a request path and query as sent on the
/// wire (what SigV4 signs; public for the fuzz target).
pub fn s3_canonical_target(raw_path: &str, raw_query: &str) -> (String, String) {
    (canonical_uri(raw_path), canonical_query(raw_query))
}

/// How one S3 origin's requests are signed.
#[derive(Debug)]
pub(crate) struct OacSigner {
    behavior: OacSigningBehavior,
    region: String,
    credentials: Arc<ServiceCredentials>,
    source_arn: HeaderValue,
}

impl OacSigner {
    /// The signer of an origin of distribution `distribution_id` (`None`: nothing to sign —
    /// no OAC, `never`, or not an S3 origin).
    pub(crate) fn of(
        o: &brink_model::compiled::Origin,
        distribution_id: &str,
        credentials: Option<&Arc<ServiceCredentials>>,
    ) -> Option<OacSigner> {
        let oac = o.origin_access_control.as_ref()?;
        if oac.signing_behavior == OacSigningBehavior::Never || !o.is_s3() {
            return None;
        }
        let Some(credentials) = credentials else {
            tracing::error!(
                origin = %o.id,
                oac = %oac.id,
                "origin access control set but the edge has no --oac-credentials: requests \
                 to this origin go unsigned"
            );
            return None;
        };
        let region = s3_bucket_region(&o.domain_name)
            .map_or("us-east-1", |(_, r)| r)
            .to_owned();
        let arn = format!(
            "arn:aws:cloudfront::{}:distribution/{distribution_id}",
            credentials.account_id
        );
        Some(OacSigner {
            behavior: oac.signing_behavior,
            region,
            credentials: credentials.clone(),
            source_arn: HeaderValue::from_str(&arn).ok()?,
        })
    }

    /// Signs an origin request in place per the signing behavior: `always` replaces a viewer
    /// `Authorization`, `no-override` keeps one (and the viewer's `x-amz-*` headers with it).
    pub(crate) fn sign(&self, method: &Method, uri: &http::Uri, headers: &mut HeaderMap) {
        if self.behavior == OacSigningBehavior::NoOverride
            && headers.contains_key(http::header::AUTHORIZATION)
        {
            return;
        }
        // A viewer's own signature parts would confuse the store.
        for name in ["x-amz-security-token", "x-amz-date", "x-amz-content-sha256"] {
            headers.remove(name);
        }
        let now = amz_date(SystemTime::now());
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
            .unwrap_or_default();
        let source_arn = self.source_arn.to_str().unwrap_or_default();
        let signed = [
            ("host", host.as_str()),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
            ("x-amz-date", now.as_str()),
            (SOURCE_ARN_HEADER, source_arn),
        ];
        let creq = canonical_request(
            method.as_str(),
            &canonical_uri(uri.path()),
            &canonical_query(uri.query().unwrap_or("")),
            &signed,
            UNSIGNED_PAYLOAD,
        );
        let auth = authorization(
            &self.credentials.access_key_id,
            &self.credentials.secret_access_key,
            &now,
            &self.region,
            "s3",
            &signed,
            &creq,
        );
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        );
        if let Ok(v) = HeaderValue::from_str(&now) {
            headers.insert("x-amz-date", v);
        }
        headers.insert(SOURCE_ARN_HEADER, self.source_arn.clone());
        if let Ok(v) = HeaderValue::from_str(&auth) {
            headers.insert(http::header::AUTHORIZATION, v);
        }
    }
}

const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
fn amz_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Percent-encodes every byte outside SigV4's unreserved set (`A-Za-z0-9-._~`), and `/`
/// too unless `keep_slash`.
fn encode(out: &mut String, bytes: &[u8], keep_slash: bool) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if b == b'/' && keep_slash {
            out.push('/');
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays a literal `%`. `+` is a
/// literal plus (S3 does not read it as a space in paths; in queries this edge signs it as
/// `%2B` too) [UNCONFIRMED for queries].
fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| char::from(c).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(0));
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// S3's canonical URI of a path as sent on the wire: each byte of the decoded path encoded
/// once (S3, unlike other services, neither normalises `.`/`..` nor encodes twice), so keys
/// with `+`, spaces, `%` or non-ASCII characters sign as S3 computes them.
pub(crate) fn canonical_uri(raw_path: &str) -> String {
    let mut out = String::with_capacity(raw_path.len() + 8);
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    encode(&mut out, &decode(path), true);
    out
}

/// The canonical query: each name and value decoded then encoded, pairs sorted.
pub(crate) fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let mut ek = String::new();
            encode(&mut ek, &decode(k), false);
            let mut ev = String::new();
            encode(&mut ev, &decode(v), false);
            (ek, ev)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The canonical request of SigV4; `headers` are lowercase names, sorted, values trimmed.
pub(crate) fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &[(&str, &str)],
    payload_hash: &str,
) -> String {
    let mut s = format!("{method}\n{uri}\n{query}\n");
    for (n, v) in headers {
        let _ = writeln!(s, "{n}:{}", v.trim());
    }
    s.push('\n');
    s.push_str(&signed_headers(headers));
    s.push('\n');
    s.push_str(payload_hash);
    s
}

fn signed_headers(headers: &[(&str, &str)]) -> String {
    headers
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(";")
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&k, data).as_ref().to_vec()
}

/// The signature of `canonical_request` at `amz_date` (`YYYYMMDD'T'HHMMSS'Z'`).
pub(crate) fn signature(
    secret: &str,
    amz_date: &str,
    region: &str,
    service: &str,
    canonical_request: &str,
) -> String {
    let day = amz_date.get(..8).unwrap_or(amz_date);
    let scope = format!("{day}/{region}/{service}/aws4_request");
    let hashed =
        hex(ring::digest::digest(&ring::digest::SHA256, canonical_request.as_bytes()).as_ref());
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashed}");
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex(&hmac(&k_signing, to_sign.as_bytes()))
}

/// The `Authorization` header value.
fn authorization(
    key_id: &str,
    secret: &str,
    amz_date: &str,
    region: &str,
    service: &str,
    headers: &[(&str, &str)],
    canonical_request: &str,
) -> String {
    let day = amz_date.get(..8).unwrap_or(amz_date);
    format!(
        "AWS4-HMAC-SHA256 Credential={key_id}/{day}/{region}/{service}/aws4_request, \
         SignedHeaders={}, Signature={}",
        signed_headers(headers),
        signature(secret, amz_date, region, service, canonical_request)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// AWS's S3 SigV4 example "GET Object" (Authenticating Requests: Using the Authorization
    /// Header, example calculations): `GET /test.txt` with `Range: bytes=0-9`.
    #[test]
    fn aws_s3_get_object_example() {
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ];
        let creq = canonical_request(
            "GET",
            &canonical_uri("/test.txt"),
            &canonical_query(""),
            &headers,
            EMPTY_SHA256,
        );
        let auth = authorization(
            KEY,
            SECRET,
            "20130524T000000Z",
            "us-east-1",
            "s3",
            &headers,
            &creq,
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    /// The same page's "GET Bucket Lifecycle" example: a query parameter without a value.
    #[test]
    fn aws_s3_get_bucket_lifecycle_example() {
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ];
        let creq = canonical_request(
            "GET",
            "/",
            &canonical_query("lifecycle"),
            &headers,
            EMPTY_SHA256,
        );
        assert_eq!(
            signature(SECRET, "20130524T000000Z", "us-east-1", "s3", &creq),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        );
    }

    /// And its "Get Bucket (List Objects)" example: parameters sorted.
    #[test]
    fn aws_s3_list_objects_example() {
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ];
        let creq = canonical_request(
            "GET",
            "/",
            &canonical_query("prefix=J&max-keys=2"),
            &headers,
            EMPTY_SHA256,
        );
        assert_eq!(
            signature(SECRET, "20130524T000000Z", "us-east-1", "s3", &creq),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }

    #[test]
    fn canonical_uris_of_awkward_keys() {
        assert_eq!(canonical_uri("/a+b"), "/a%2Bb");
        assert_eq!(canonical_uri("/a%2Bb"), "/a%2Bb");
        assert_eq!(canonical_uri("/with%20space"), "/with%20space");
        assert_eq!(canonical_uri("/caf%C3%A9"), "/caf%C3%A9");
        assert_eq!(canonical_uri("/caf%c3%a9"), "/caf%C3%A9");
        assert_eq!(canonical_uri("/100%25"), "/100%25");
        assert_eq!(canonical_uri("/bad%zz"), "/bad%25zz");
        assert_eq!(canonical_uri("/tail%"), "/tail%25");
        assert_eq!(canonical_uri("/a/./b/../c"), "/a/./b/../c");
        assert_eq!(canonical_uri("/~user_x-y.z"), "/~user_x-y.z");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn canonical_queries() {
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("x=a+b&y=%2f"), "x=a%2Bb&y=%2F");
        assert_eq!(canonical_query("versionId"), "versionId=");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn s3_names() {
        assert_eq!(
            s3_bucket_region("b.s3.amazonaws.com"),
            Some(("b", "us-east-1"))
        );
        assert_eq!(
            s3_bucket_region("my.bucket.s3.eu-west-1.amazonaws.com"),
            Some(("my.bucket", "eu-west-1"))
        );
        assert_eq!(
            s3_bucket_region("b.s3-us-west-2.amazonaws.com"),
            Some(("b", "us-west-2"))
        );
        assert_eq!(
            s3_bucket_region("b.s3-website-us-east-1.amazonaws.com"),
            None
        );
        assert_eq!(s3_bucket_region("b.s3-accelerate.amazonaws.com"), None);
        assert_eq!(s3_bucket_region("s3.amazonaws.com"), None);
        assert_eq!(s3_bucket_region("example.com"), None);
    }

    #[test]
    fn amz_dates() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_369_353_600);
        assert_eq!(amz_date(t), "20130524T000000Z");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400 + 3_723);
        assert_eq!(amz_date(t), "20000229T010203Z");
    }
}

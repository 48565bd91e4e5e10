//! The per-request check (cloudfront.md §1 step 5, §5).
//!
//! # Order of the checks, and what wins when several fail
//! CloudFront does not say; Brink decides (and tests) this order, first failure wins:
//! 1. where the signature comes from: the URL if its query has any of `Expires`, `Policy`,
//!    `Signature`, `Key-Pair-Id` (a signed URL takes precedence over cookies, and the two
//!    are never mixed); else the cookies if any `CloudFront-Expires|Policy|Signature|
//!    Key-Pair-Id` is present; else `MissingKey` (an unsigned request);
//! 2. `Key-Pair-Id` absent or empty → `MissingKey`; not trusted by the behavior →
//!    `InvalidKey`;
//! 3. `Signature` absent, empty or not decodable → `MalformedSignature`;
//! 4. `Policy` (when present it wins over `Expires`) not decodable or not a policy, or
//!    neither `Policy` nor `Expires`, or `Expires` not a decimal epoch → `MalformedPolicy`;
//! 5. `Hash-Algorithm` other than `SHA1`/`SHA256` → `AccessDenied`;
//! 6. the time and address conditions (cheap: checked before the signature so an expired URL
//!    costs no RSA operation; every outcome from here on is `AccessDenied` anyway):
//!    `now < DateLessThan` (strict), `now > DateGreaterThan` (strict), the TCP peer inside
//!    `IpAddress` (an IPv6 peer never is, unless IPv4-mapped) → `AccessDenied`;
//! 7. the signature over the exact policy bytes → `AccessDenied`;
//! 8. the URL inside `Resource` → `AccessDenied`. After the signature on purpose: wildcard
//!    matching is quadratic at worst, and only a signer may choose the pattern.
//!
//! Other decisions: parameter and cookie names are case-sensitive; when a name repeats, the
//! first one counts (all are stripped); a URL-mode request takes its `Hash-Algorithm` from
//! the URL only, a cookie-mode one from the cookies only; the canned policy's URL uses the
//! scheme, the Host as the viewer sent it (port included), the raw path and the raw query
//! minus every signing parameter, written into the JSON as botocore writes it.
//!
//! # Allocation
//! None for the URL parsing, cookies, signature (decoded on the stack) and key lookup. A
//! custom policy allocates one buffer holding the decoded policy and, after it, the stripped
//! query; a canned policy allocates the policy string, which also holds the stripped query.
//! The RSA check itself (ring) allocates its bignum buffers (5 small ones with ring 0.17);
//! the memo of verified signatures skips it for a signature already seen. ECDSA (p256)
//! allocates nothing. Counted in tests/allocations.rs.

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use crate::b64;
use crate::cache::{Accepted, Conditions, MemoKey};
use crate::deny::{Denied, DenyCode, DenyReason};
use crate::keys::{HashAlgorithm, TrustedKeys, VerifyingKey};
use crate::policy::{self, CANNED_HEAD, CANNED_MID, CANNED_TAIL};
use crate::resource::{resource_matches, UrlParts};

/// Longest decoded signature accepted: RSA-4096.
const MAX_SIGNATURE: usize = 512;

/// What the edge knows about a request, borrowed for the check.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `http` or `https` (what the viewer used).
    pub scheme: &'a str,
    /// The Host the viewer used (`Host` or `:authority`), as sent.
    pub host: &'a str,
    /// The raw path, as sent.
    pub path: &'a str,
    /// The raw query as sent, without the `?`; `None` when the target has no `?`.
    pub query: Option<&'a str>,
    /// Every `Cookie` header value, in order (empty when none).
    pub cookies: &'a [&'a [u8]],
    /// The TCP peer.
    pub peer: IpAddr,
    /// Now, in epoch seconds (the edge's injectable clock).
    pub now: u64,
}

/// Where the accepted signature came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Query parameters.
    Url,
    /// `CloudFront-*` cookies.
    Cookies,
}

/// Which kind of policy was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Rebuilt from the URL and `Expires`.
    Canned,
    /// Sent in `Policy`.
    Custom,
}

/// An accepted request.
#[derive(Debug, Clone)]
pub struct Verified<'a> {
    query: Query<'a>,
    changed: bool,
    /// The `Key-Pair-Id` that signed.
    pub key_pair_id: &'a str,
    /// URL or cookies.
    pub source: Source,
    /// Canned or custom.
    pub policy: PolicyKind,
    /// The digest used.
    pub hash: HashAlgorithm,
}

#[derive(Debug, Clone)]
enum Query<'a> {
    /// Nothing was removed (or everything was: `None`).
    Borrowed(Option<&'a str>),
    /// The stripped query lies at `range` in `buf` (the policy buffer, reused).
    Buf { buf: Vec<u8>, range: Range<usize> },
}

impl<'a> Verified<'a> {
    /// The query to use from here on (cache key, origin request): the viewer's query minus
    /// the signing parameters; `None` when nothing is left (no `?` at all).
    pub fn query(&self) -> Option<&str> {
        match &self.query {
            Query::Borrowed(q) => *q,
            Query::Buf { buf, range } => std::str::from_utf8(&buf[range.clone()]).ok(),
        }
    }

    /// Whether [`Verified::query`] differs from the viewer's query.
    pub fn query_changed(&self) -> bool {
        self.changed
    }

    /// The query, owned only if signing parameters were removed.
    pub fn into_query(self) -> Option<Cow<'a, str>> {
        match self.query {
            Query::Borrowed(q) => q.map(Cow::Borrowed),
            Query::Buf { mut buf, range } => {
                buf.truncate(range.end);
                buf.drain(..range.start);
                String::from_utf8(buf).ok().map(Cow::Owned)
            }
        }
    }
}

/// Which signing parameter a name is.
#[derive(Clone, Copy)]
enum Slot {
    Expires,
    Policy,
    Signature,
    KeyPairId,
    HashAlgorithm,
}

fn url_slot(name: &str) -> Option<Slot> {
    Some(match name {
        "Expires" => Slot::Expires,
        "Policy" => Slot::Policy,
        "Signature" => Slot::Signature,
        "Key-Pair-Id" => Slot::KeyPairId,
        "Hash-Algorithm" => Slot::HashAlgorithm,
        _ => return None,
    })
}

fn cookie_slot(name: &str) -> Option<Slot> {
    url_slot(name.strip_prefix("CloudFront-")?)
}

/// Whether `name` is one of the reserved query parameters (`Expires`, `Policy`, `Signature`,
/// `Key-Pair-Id`, `Hash-Algorithm`).
pub fn is_signing_param(name: &str) -> bool {
    url_slot(name).is_some()
}

#[derive(Default)]
struct Params<'a> {
    expires: Option<&'a str>,
    policy: Option<&'a str>,
    signature: Option<&'a str>,
    key_pair_id: Option<&'a str>,
    hash_algorithm: Option<&'a str>,
}

impl<'a> Params<'a> {
    fn set(&mut self, slot: Slot, v: &'a str) {
        let f = match slot {
            Slot::Expires => &mut self.expires,
            Slot::Policy => &mut self.policy,
            Slot::Signature => &mut self.signature,
            Slot::KeyPairId => &mut self.key_pair_id,
            Slot::HashAlgorithm => &mut self.hash_algorithm,
        };
        if f.is_none() {
            *f = Some(v);
        }
    }

    fn signed(&self) -> bool {
        self.expires.is_some()
            || self.policy.is_some()
            || self.signature.is_some()
            || self.key_pair_id.is_some()
    }
}

/// The longest signing parameter name (`Hash-Algorithm`).
const LONGEST_NAME: usize = 14;

/// `name=value` → (`name`, `value`); a segment without `=` is all name. Only the first
/// [`LONGEST_NAME`] + 1 bytes are searched for `=`: a longer name is no signing parameter,
/// and is returned whole (a signature's 350-byte value is not walked).
fn split_pair(seg: &str) -> (&str, &str) {
    let head = &seg.as_bytes()[..seg.len().min(LONGEST_NAME + 1)];
    match memchr::memchr(b'=', head) {
        // `=` is ASCII: both sides are on character boundaries.
        Some(i) => (&seg[..i], &seg[i + 1..]),
        None => (seg, ""),
    }
}

/// The `&`-separated segments of a query (as `str::split('&')`, a vector at a time).
fn segments(q: &str) -> impl Iterator<Item = &str> {
    let mut at = memchr::memchr_iter(b'&', q.as_bytes());
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        let to = at.next();
        start = to.map(|i| i + 1);
        // `&` is ASCII: the bounds are character boundaries.
        q.get(from..to.unwrap_or(q.len()))
    })
}

/// Records the signing parameters of `q`; returns whether there was any, and whether `q`
/// has segments that are not signing parameters.
fn scan_query<'a>(q: &'a str, p: &mut Params<'a>) -> (bool, bool) {
    let mut any = false;
    let mut others = false;
    for seg in segments(q) {
        let (name, value) = split_pair(seg);
        if let Some(slot) = url_slot(name) {
            p.set(slot, value);
            any = true;
        } else {
            others = true;
        }
    }
    (any, others)
}

fn scan_cookies<'a>(headers: &[&'a [u8]], p: &mut Params<'a>) {
    for h in headers {
        // A non-UTF-8 Cookie header cannot hold our (ASCII) cookies in a usable form.
        let Ok(s) = std::str::from_utf8(h) else {
            continue;
        };
        for pair in s.split(';') {
            let pair = pair.trim_matches([' ', '\t']);
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if let Some(slot) = cookie_slot(name) {
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(value);
                p.set(slot, value);
            }
        }
    }
}

/// Writes the segments of `q` that are not signing parameters, `&`-joined, through `push`;
/// returns whether any segment was kept.
fn for_each_kept(q: &str, mut push: impl FnMut(&str)) -> bool {
    let mut kept = false;
    for seg in segments(q) {
        if url_slot(split_pair(seg).0).is_some() {
            continue;
        }
        if kept {
            push("&");
        }
        push(seg);
        kept = true;
    }
    kept
}

/// The viewer's query without signing parameters (borrowed when none is present); `None`
/// when nothing is left. For behaviors that do not check signatures this is not needed: they
/// forward the query as sent.
pub fn strip_signing_params(query: Option<&str>) -> Option<Cow<'_, str>> {
    let q = query?;
    if !segments(q).any(|seg| url_slot(split_pair(seg).0).is_some()) {
        return Some(Cow::Borrowed(q));
    }
    let mut out = String::with_capacity(q.len());
    for_each_kept(q, |s| out.push_str(s)).then_some(Cow::Owned(out))
}

fn deny(code: DenyCode, reason: DenyReason) -> Denied {
    Denied::new(code, reason)
}

/// Whether `s` goes into JSON unchanged.
fn json_plain(s: &str) -> bool {
    s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

impl TrustedKeys {
    /// Checks a request of a behavior that requires signed URLs or cookies.
    ///
    /// # Errors
    /// [`Denied`] with CloudFront's code; the order of the checks is in the module docs.
    pub fn verify<'a>(&self, req: &SignedRequest<'a>) -> Result<Verified<'a>, Denied> {
        let mut url = Params::default();
        let (in_url, others) = req
            .query
            .map_or((false, false), |q| scan_query(q, &mut url));
        let (params, source) = if url.signed() {
            (url, Source::Url)
        } else {
            let mut c = Params::default();
            scan_cookies(req.cookies, &mut c);
            if !c.signed() {
                return Err(deny(DenyCode::MissingKey, DenyReason::NoKeyPairId));
            }
            (c, Source::Cookies)
        };
        let key_pair_id = params
            .key_pair_id
            .filter(|k| !k.is_empty())
            .ok_or(deny(DenyCode::MissingKey, DenyReason::NoKeyPairId))?;
        let key = self
            .get(key_pair_id)
            .ok_or(deny(DenyCode::InvalidKey, DenyReason::UnknownKey))?;

        // A request seen and accepted before (a viewer's signed URL or cookies, reused):
        // only its time and address conditions are evaluated again.
        let memo_key = self
            .requests
            .as_ref()
            .map(|_| memo_key(req, &params, source, key_pair_id));
        if let (Some(memo), Some(k)) = (&self.requests, &memo_key) {
            if let Some(hit) = memo.get(k) {
                return accepted_again(req, &hit, (in_url, others), key_pair_id, source);
            }
        }

        let sig_text = params
            .signature
            .filter(|s| !s.is_empty())
            .ok_or(deny(DenyCode::MalformedSignature, DenyReason::NoSignature))?;
        let mut sig_buf = [0u8; MAX_SIGNATURE];
        let sig_len = b64::decode_into(sig_text.as_bytes(), &mut sig_buf)
            .ok()
            .filter(|&n| n > 0)
            .ok_or(deny(
                DenyCode::MalformedSignature,
                DenyReason::SignatureEncoding,
            ))?;
        let sig = &sig_buf[..sig_len];

        // Signing parameters are stripped from the query whichever mode verified.
        let strip = in_url;
        let ctx = Ctx {
            keys: self,
            req,
            key,
            sig,
            strip,
            key_pair_id,
            source,
            hash_text: params.hash_algorithm,
            passed: std::cell::Cell::new(None),
        };
        let result = if let Some(p) = params.policy {
            ctx.custom(p)
        } else if let Some(e) = params.expires {
            ctx.canned(e)
        } else {
            Err(deny(DenyCode::MalformedPolicy, DenyReason::NoPolicy))
        };
        if let (Ok(v), Some(memo), Some(key), Some(conditions)) =
            (&result, &self.requests, &memo_key, ctx.passed.get())
        {
            memo.insert(
                key,
                Accepted {
                    conditions,
                    policy: v.policy,
                    hash: v.hash,
                },
            );
        }
        result
    }
}

/// Everything [`TrustedKeys::verify`] reads from a request except the clock and the peer:
/// two requests with the same key pass or fail the same checks but the time and address
/// conditions.
fn memo_key<'a>(
    req: &SignedRequest<'a>,
    params: &Params<'a>,
    source: Source,
    key_pair_id: &'a str,
) -> MemoKey<'a> {
    let mut k = MemoKey::default();
    k.push(Some(match source {
        Source::Url => "url",
        Source::Cookies => "cookies",
    }));
    k.push(Some(key_pair_id));
    // A signed URL's parameters are all in the query, pushed below: only cookies' need
    // their own parts.
    if source == Source::Cookies {
        k.push(params.signature);
        k.push(params.policy);
        k.push(params.expires);
        k.push(params.hash_algorithm);
    }
    k.push(Some(req.scheme));
    k.push(Some(req.host));
    k.push(Some(req.path));
    k.push(req.query);
    k
}

/// A remembered request accepted again: its conditions checked on this request's clock and
/// peer, its query stripped of the signing parameters.
fn accepted_again<'a>(
    req: &SignedRequest<'a>,
    hit: &Accepted,
    (in_url, others): (bool, bool),
    key_pair_id: &'a str,
    source: Source,
) -> Result<Verified<'a>, Denied> {
    let c = hit.conditions;
    check_conditions(req, c.date_less_than, c.date_greater_than, c.ip)?;
    let query = match req.query {
        // Only signing parameters (the usual signed URL): nothing to copy.
        Some(_) if in_url && !others => Query::Borrowed(None),
        Some(q) if in_url => {
            let mut out = String::with_capacity(q.len());
            if for_each_kept(q, |s| out.push_str(s)) {
                let len = out.len();
                Query::Buf {
                    buf: out.into_bytes(),
                    range: 0..len,
                }
            } else {
                Query::Borrowed(None)
            }
        }
        q => Query::Borrowed(q),
    };
    Ok(Verified {
        query,
        changed: in_url,
        key_pair_id,
        source,
        policy: hit.policy,
        hash: hit.hash,
    })
}

/// The time and address conditions (step 6 of the module docs).
fn check_conditions(
    req: &SignedRequest<'_>,
    date_less_than: u64,
    date_greater_than: Option<u64>,
    ip: Option<policy::Ipv4Net>,
) -> Result<(), Denied> {
    let now = req.now;
    if now >= date_less_than {
        return Err(deny(DenyCode::AccessDenied, DenyReason::Expired));
    }
    if date_greater_than.is_some_and(|t| now <= t) {
        return Err(deny(DenyCode::AccessDenied, DenyReason::NotYetValid));
    }
    if let Some(net) = ip {
        let v4 = match req.peer {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(a) => a.to_ipv4_mapped(),
        };
        if !v4.is_some_and(|a| net.contains(a)) {
            return Err(deny(DenyCode::AccessDenied, DenyReason::IpMismatch));
        }
    }
    Ok(())
}

struct Ctx<'r, 'a> {
    keys: &'r TrustedKeys,
    req: &'r SignedRequest<'a>,
    key: &'r VerifyingKey,
    sig: &'r [u8],
    strip: bool,
    key_pair_id: &'a str,
    source: Source,
    hash_text: Option<&'a str>,
    /// The conditions, once they passed (for the request memo).
    passed: std::cell::Cell<Option<Conditions>>,
}

impl<'a> Ctx<'_, 'a> {
    fn hash(&self) -> Result<HashAlgorithm, Denied> {
        match self.hash_text {
            None => Ok(HashAlgorithm::Sha1),
            Some(h) => HashAlgorithm::parse(h).ok_or(deny(
                DenyCode::AccessDenied,
                DenyReason::UnknownHashAlgorithm,
            )),
        }
    }

    fn verified(&self, query: Query<'a>, policy: PolicyKind, hash: HashAlgorithm) -> Verified<'a> {
        Verified {
            query,
            changed: self.strip,
            key_pair_id: self.key_pair_id,
            source: self.source,
            policy,
            hash,
        }
    }

    fn custom(&self, policy_text: &str) -> Result<Verified<'a>, Denied> {
        let req = self.req;
        let bound = b64::decoded_len_bound(policy_text.as_bytes());
        let mut buf = Vec::with_capacity(bound + req.query.map_or(0, str::len));
        buf.resize(bound, 0);
        let n = b64::decode_into(policy_text.as_bytes(), &mut buf)
            .map_err(|_| deny(DenyCode::MalformedPolicy, DenyReason::PolicyEncoding))?;
        buf.truncate(n);
        // The stripped query goes right after the policy bytes (same allocation).
        let mut query = Query::Borrowed(req.query);
        if self.strip {
            if let Some(q) = req.query {
                let kept = for_each_kept(q, |s| buf.extend_from_slice(s.as_bytes()));
                query = if kept {
                    Query::Buf {
                        buf: Vec::new(),
                        range: n..buf.len(),
                    }
                } else {
                    Query::Borrowed(None)
                };
            }
        }
        {
            let (policy_bytes, query_bytes) = buf.split_at(n);
            let stripped = match &query {
                Query::Borrowed(q) => *q,
                Query::Buf { .. } => std::str::from_utf8(query_bytes).ok(),
            };
            let policy = policy::parse_policy(policy_bytes)
                .map_err(|_| deny(DenyCode::MalformedPolicy, DenyReason::PolicySyntax))?;
            let hash = self.hash()?;
            self.conditions(
                policy.date_less_than,
                policy.date_greater_than,
                policy.ip_address,
            )?;
            if !self
                .keys
                .check_signature(self.key_pair_id, self.key, policy_bytes, self.sig, hash)
            {
                return Err(deny(DenyCode::AccessDenied, DenyReason::BadSignature));
            }
            if let Some(resource) = &policy.resource {
                let url = UrlParts {
                    scheme: req.scheme,
                    host: req.host,
                    path: req.path,
                    query: stripped,
                };
                if !resource_matches(resource, &url) {
                    return Err(deny(DenyCode::AccessDenied, DenyReason::ResourceMismatch));
                }
            }
            if let Query::Buf { range, .. } = query {
                return Ok(self.verified(Query::Buf { buf, range }, PolicyKind::Custom, hash));
            }
            Ok(self.verified(query, PolicyKind::Custom, hash))
        }
    }

    fn canned(&self, expires: &'a str) -> Result<Verified<'a>, Denied> {
        let req = self.req;
        // Decision: the epoch is 1–19 ASCII digits (fits u64); used byte for byte in the
        // rebuilt policy, so `Expires=01` cannot verify a policy signed with `1`.
        let exp: u64 = (!expires.is_empty()
            && expires.len() <= 19
            && expires.bytes().all(|b| b.is_ascii_digit()))
        .then(|| expires.parse().ok())
        .flatten()
        .ok_or(deny(DenyCode::MalformedPolicy, DenyReason::BadExpires))?;
        let hash = self.hash()?;
        self.conditions(exp, None, None)?;

        let q = req.query;
        let mut s = String::with_capacity(
            CANNED_HEAD.len()
                + req.scheme.len()
                + 3
                + req.host.len()
                + req.path.len()
                + 1
                + q.map_or(0, str::len)
                + CANNED_MID.len()
                + expires.len()
                + CANNED_TAIL.len(),
        );
        s.push_str(CANNED_HEAD);
        policy::push_json_str(&mut s, req.scheme);
        s.push_str("://");
        policy::push_json_str(&mut s, req.host);
        policy::push_json_str(&mut s, req.path);
        let mut query = Query::Borrowed(q);
        match q {
            Some(q) if self.strip => {
                s.push('?');
                let start = s.len();
                let plain = json_plain(q);
                let kept = if plain {
                    for_each_kept(q, |seg| s.push_str(seg))
                } else {
                    for_each_kept(q, |seg| policy::push_json_str(&mut s, seg))
                };
                if !kept {
                    s.pop();
                    query = Query::Borrowed(None);
                } else if plain {
                    query = Query::Buf {
                        buf: Vec::new(),
                        range: start..s.len(),
                    };
                } else {
                    // Escaped inside the policy: keep a raw copy (rare: `"`, `\` or
                    // non-ASCII in a query).
                    let mut raw = String::with_capacity(q.len());
                    for_each_kept(q, |seg| raw.push_str(seg));
                    let len = raw.len();
                    query = Query::Buf {
                        buf: raw.into_bytes(),
                        range: 0..len,
                    };
                }
            }
            Some(q) => {
                s.push('?');
                policy::push_json_str(&mut s, q);
            }
            None => {}
        }
        s.push_str(CANNED_MID);
        s.push_str(expires);
        s.push_str(CANNED_TAIL);
        if !self
            .keys
            .check_signature(self.key_pair_id, self.key, s.as_bytes(), self.sig, hash)
        {
            return Err(deny(DenyCode::AccessDenied, DenyReason::BadSignature));
        }
        if let Query::Buf { buf, range } = query {
            let buf = if buf.is_empty() { s.into_bytes() } else { buf };
            return Ok(self.verified(Query::Buf { buf, range }, PolicyKind::Canned, hash));
        }
        Ok(self.verified(query, PolicyKind::Canned, hash))
    }

    fn conditions(
        &self,
        date_less_than: u64,
        date_greater_than: Option<u64>,
        ip: Option<policy::Ipv4Net>,
    ) -> Result<(), Denied> {
        check_conditions(self.req, date_less_than, date_greater_than, ip)?;
        self.passed.set(Some(Conditions {
            date_less_than,
            date_greater_than,
            ip,
        }));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_like_str_split() {
        for q in [
            "",
            "&",
            "a",
            "a&b",
            "&a&&b&",
            "Expires=1&Signature=x=y&é=&",
            "a=b&",
        ] {
            assert_eq!(
                segments(q).collect::<Vec<_>>(),
                q.split('&').collect::<Vec<_>>(),
                "{q}"
            );
        }
        assert_eq!(
            split_pair("Hash-Algorithm=SHA256"),
            ("Hash-Algorithm", "SHA256")
        );
        assert_eq!(split_pair("Signature"), ("Signature", ""));
        assert_eq!(split_pair("Expires=1=2"), ("Expires", "1=2"));
        // Names longer than any signing parameter's are not split (never a slot).
        assert!(url_slot(split_pair("Hash-Algorithmx=SHA1").0).is_none());
    }

    #[test]
    fn strip_keeps_app_params_in_order() {
        assert_eq!(strip_signing_params(None), None);
        assert_eq!(
            strip_signing_params(Some("a=1&b=2")),
            Some(Cow::Borrowed("a=1&b=2"))
        );
        assert_eq!(
            strip_signing_params(Some("a=1&Expires=5&Signature=x&Key-Pair-Id=K&b=2")).as_deref(),
            Some("a=1&b=2")
        );
        assert_eq!(
            strip_signing_params(Some("Expires=5&Signature=x&Key-Pair-Id=K")),
            None
        );
        assert_eq!(
            strip_signing_params(Some("&Expires=5&Signature=x")).as_deref(),
            Some("")
        );
        // Names are case-sensitive.
        assert_eq!(
            strip_signing_params(Some("expires=5")).as_deref(),
            Some("expires=5")
        );
    }
}

//! Policies (cloudfront.md §5): parsing a custom policy, and writing canned and custom ones
//! byte for byte as botocore does.
//!
//! Accepted custom policy shape: `{"Statement": S}` where `S` is one statement object or an
//! array of exactly one; a statement has an optional `Resource` string and a `Condition` with
//! `DateLessThan` (required), `DateGreaterThan` and `IpAddress`, in any order. Decisions where
//! CloudFront says nothing we found:
//! - unknown keys anywhere, duplicate keys, several statements, or a missing `DateLessThan`
//!   make the policy malformed (an ignored misspelt condition would widen access);
//! - epoch times are unquoted non-negative integers (what every signer writes);
//! - `AWS:SourceIp` is an IPv4 address with an optional `/0`–`/32` (no prefix = `/32`, as
//!   botocore writes); IPv6 is malformed (CloudFront does not support it);
//! - a resource written with `\?` (invalid JSON) is read as if the backslash were escaped,
//!   since one AWS document writes the literal query `?` that way.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::net::Ipv4Addr;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// An IPv4 network from `AWS:SourceIp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Net {
    /// Network address as written (host bits are ignored when matching).
    pub addr: Ipv4Addr,
    /// Prefix length, 0–32.
    pub prefix: u8,
}

impl Ipv4Net {
    /// Parses `a.b.c.d` or `a.b.c.d/n`.
    pub fn parse(s: &str) -> Option<Ipv4Net> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, p),
            None => (s, "32"),
        };
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = p.parse().ok()?;
        if prefix > 32 {
            return None;
        }
        Some(Ipv4Net {
            addr: a.parse().ok()?,
            prefix,
        })
    }

    /// Whether `ip` is inside the network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0);
        u32::from(ip) & mask == u32::from(self.addr) & mask
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A parsed custom policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy<'a> {
    /// `Resource`, JSON-unescaped; `None` = every URL of the behaviors trusting the key.
    pub resource: Option<Cow<'a, str>>,
    /// `DateLessThan`: the request must be strictly before this epoch second.
    pub date_less_than: u64,
    /// `DateGreaterThan`: the request must be strictly after this epoch second.
    pub date_greater_than: Option<u64>,
    /// `IpAddress`: the TCP peer must be inside.
    pub ip_address: Option<Ipv4Net>,
}

/// Why a policy is malformed (all map to `MalformedPolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc<'a> {
    #[serde(rename = "Statement", borrow, deserialize_with = "one_statement")]
    statement: RawStatement<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement<'a> {
    #[serde(rename = "Resource", borrow, default)]
    resource: Option<CowStr<'a>>,
    #[serde(rename = "Condition", borrow)]
    condition: RawCondition<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition<'a> {
    #[serde(rename = "DateLessThan", default)]
    date_less_than: Option<Epoch>,
    #[serde(rename = "DateGreaterThan", default)]
    date_greater_than: Option<Epoch>,
    #[serde(rename = "IpAddress", borrow, default)]
    ip_address: Option<SourceIp<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Epoch {
    #[serde(rename = "AWS:EpochTime")]
    t: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceIp<'a> {
    #[serde(rename = "AWS:SourceIp", borrow)]
    ip: CowStr<'a>,
}

/// A JSON string borrowed from the input when it has no escapes (serde borrows a plain
/// `Cow<str>` field, but not one inside an `Option`).
struct CowStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(V).map(CowStr)
    }
}

/// `Statement` as one object or an array of exactly one, without allocating a vector.
fn one_statement<'de, D: Deserializer<'de>>(d: D) -> Result<RawStatement<'de>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = RawStatement<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a statement object or an array of one")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            RawStatement::deserialize(de::value::MapAccessDeserializer::new(map))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let first: RawStatement<'de> = seq
                .next_element()?
                .ok_or_else(|| de::Error::custom("Statement is empty"))?;
            if seq.next_element::<IgnoredAny>()?.is_some() {
                return Err(de::Error::custom("more than one statement"));
            }
            Ok(first)
        }
    }
    d.deserialize_any(V)
}

/// Parses a custom policy (the decoded `Policy` bytes).
///
/// # Errors
/// Anything that is not a policy of the accepted shape (see the module docs).
pub fn parse_policy(bytes: &[u8]) -> Result<Policy<'_>, PolicyError> {
    match serde_json::from_slice::<Doc<'_>>(bytes) {
        Ok(doc) => build(doc),
        Err(e) => {
            // `"Resource":"https://d/a\?b"` is invalid JSON; read it as `\\?` (module docs).
            if let Some(fixed) = escape_bare_question(bytes) {
                if let Ok(doc) = serde_json::from_slice::<Doc<'_>>(&fixed) {
                    return build(doc).map(Policy::into_owned);
                }
            }
            Err(PolicyError(e.to_string()))
        }
    }
}

fn build(doc: Doc<'_>) -> Result<Policy<'_>, PolicyError> {
    let c = doc.statement.condition;
    let date_less_than = c
        .date_less_than
        .ok_or_else(|| PolicyError("Condition.DateLessThan is required".into()))?
        .t;
    let ip_address = match c.ip_address {
        Some(ip) => Some(Ipv4Net::parse(&ip.ip.0).ok_or_else(|| {
            PolicyError(format!("AWS:SourceIp {:?} is not an IPv4 CIDR", ip.ip.0))
        })?),
        None => None,
    };
    Ok(Policy {
        resource: doc.statement.resource.map(|r| r.0),
        date_less_than,
        date_greater_than: c.date_greater_than.map(|e| e.t),
        ip_address,
    })
}

impl Policy<'_> {
    /// The same policy owning its resource.
    pub fn into_owned(self) -> Policy<'static> {
        Policy {
            resource: self.resource.map(|r| Cow::Owned(r.into_owned())),
            date_less_than: self.date_less_than,
            date_greater_than: self.date_greater_than,
            ip_address: self.ip_address,
        }
    }
}

/// `\?` not preceded by another backslash, rewritten `\\?`; `None` if there is none.
fn escape_bare_question(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 4);
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            match bytes.get(i + 1) {
                Some(b'?') => {
                    out.extend_from_slice(b"\\\\?");
                    changed = true;
                }
                Some(&n) => out.extend_from_slice(&[b, n]),
                None => out.push(b),
            }
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

/// Appends `s` as Python's `json.dumps` writes a string body (without the quotes):
/// `"` and `\` escaped, control characters as `\n`-style or `\u00xx`, and every non-ASCII
/// character as `\uxxxx` (UTF-16, lowercase hex), so policies match botocore byte for byte.
pub fn push_json_str(out: &mut String, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) >= 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
}

/// The URL of a canned policy: `scheme://host/path` plus `?query` when there is one.
pub fn push_url(out: &mut String, scheme: &str, host: &str, path: &str, query: Option<&str>) {
    out.push_str(scheme);
    out.push_str("://");
    out.push_str(host);
    out.push_str(path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
}

/// Prefix of a canned policy, before the JSON-escaped URL.
pub const CANNED_HEAD: &str = r#"{"Statement":[{"Resource":""#;
/// Middle of a canned policy, between the URL and the epoch.
pub const CANNED_MID: &str = r#"","Condition":{"DateLessThan":{"AWS:EpochTime":"#;
/// End of a canned policy.
pub const CANNED_TAIL: &str = "}}}]}";

/// The canned policy for `url` expiring at `expires` (its decimal text), exactly as botocore
/// builds it.
pub fn canned_policy(url: &str, expires: &str) -> String {
    let mut s = String::with_capacity(
        CANNED_HEAD.len() + url.len() + CANNED_MID.len() + expires.len() + CANNED_TAIL.len(),
    );
    s.push_str(CANNED_HEAD);
    push_json_str(&mut s, url);
    s.push_str(CANNED_MID);
    s.push_str(expires);
    s.push_str(CANNED_TAIL);
    s
}

/// A custom policy as botocore's `build_policy` writes it: conditions in the order
/// `DateLessThan`, `IpAddress`, `DateGreaterThan`, compact separators; an IP without a prefix
/// gets `/32`.
pub fn custom_policy(
    resource: &str,
    date_less_than: u64,
    date_greater_than: Option<u64>,
    ip_address: Option<&str>,
) -> String {
    let mut s = String::from(r#"{"Statement":[{"Resource":""#);
    push_json_str(&mut s, resource);
    let _ = write!(
        s,
        r#"","Condition":{{"DateLessThan":{{"AWS:EpochTime":{date_less_than}}}"#
    );
    if let Some(ip) = ip_address {
        s.push_str(r#","IpAddress":{"AWS:SourceIp":""#);
        push_json_str(&mut s, ip);
        if !ip.contains('/') {
            s.push_str("/32");
        }
        s.push_str(r#""}"#);
    }
    if let Some(t) = date_greater_than {
        let _ = write!(s, r#","DateGreaterThan":{{"AWS:EpochTime":{t}}}"#);
    }
    s.push_str("}}]}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn botocore_custom_example() {
        // cloudfront.md §5.
        assert_eq!(
            custom_policy(
                "https://d111111abcdef8.cloudfront.net/images/*",
                1893456000,
                Some(1735689600),
                Some("192.0.2.0/24")
            ),
            r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/images/*","Condition":{"DateLessThan":{"AWS:EpochTime":1893456000},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateGreaterThan":{"AWS:EpochTime":1735689600}}}]}"#
        );
    }

    #[test]
    fn canned_example() {
        assert_eq!(
            canned_policy(
                "https://d111111abcdef8.cloudfront.net/images/cat.jpg",
                "1893456000"
            ),
            r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/images/cat.jpg","Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}"#
        );
    }

    #[test]
    fn parses_both_statement_forms_any_condition_order() {
        let a = parse_policy(br#"{"Statement":[{"Resource":"https://d/*","Condition":{"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"},"DateGreaterThan":{"AWS:EpochTime":5},"DateLessThan":{"AWS:EpochTime":10}}}]}"#).expect("parses");
        let b = parse_policy(br#"{ "Statement" : { "Condition" : { "DateLessThan" : { "AWS:EpochTime" : 10 } , "DateGreaterThan":{"AWS:EpochTime":5}, "IpAddress":{"AWS:SourceIp":"10.0.0.0/8"}}, "Resource" : "https:\/\/d\/*" } }"#).expect("parses");
        assert_eq!(a, b);
        assert_eq!(a.date_less_than, 10);
        assert_eq!(a.date_greater_than, Some(5));
        assert_eq!(
            a.ip_address.map(|n| n.to_string()).as_deref(),
            Some("10.0.0.0/8")
        );
        assert!(matches!(a.resource, Some(Cow::Borrowed(_))));
        let no_res =
            parse_policy(br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}"#)
                .expect("parses");
        assert_eq!(no_res.resource, None);
    }

    #[test]
    fn escaped_question_forms() {
        let p = parse_policy(br#"{"Statement":[{"Resource":"https://d/a\?b","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}"#).expect("parses");
        assert_eq!(p.resource.as_deref(), Some(r"https://d/a\?b"));
        let p = parse_policy(br#"{"Statement":[{"Resource":"https://d/a\\?b","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}"#).expect("parses");
        assert_eq!(p.resource.as_deref(), Some(r"https://d/a\?b"));
    }

    #[test]
    fn malformed() {
        for bad in [
            &br#""#[..],
            br#"{}"#,
            br#"{"Statement":[]}"#,
            br#"{"Statement":[{"Condition":{}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":-1}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1.5}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"DateLessThan":{"AWS:EpochTime":2}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAdress":{"AWS:SourceIp":"1.2.3.4"}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"1.2.3.4/33"}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}},{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}],"Extra":1}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]} x"#,
        ] {
            assert!(
                parse_policy(bad).is_err(),
                "{} should be malformed",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn cidr() {
        let n = Ipv4Net::parse("192.0.2.0/24").expect("cidr");
        assert!(n.contains("192.0.2.77".parse().expect("ip")));
        assert!(!n.contains("192.0.3.1".parse().expect("ip")));
        let all = Ipv4Net::parse("0.0.0.0/0").expect("cidr");
        assert!(all.contains("203.0.113.9".parse().expect("ip")));
        let one = Ipv4Net::parse("203.0.113.9").expect("cidr");
        assert_eq!(one.prefix, 32);
        assert!(!one.contains("203.0.113.8".parse().expect("ip")));
    }

    #[test]
    fn json_escape_like_python() {
        let mut s = String::new();
        push_json_str(&mut s, "a\"b\\c\u{1}é😀");
        assert_eq!(s, r#"a\"b\\c\u0001\u00e9\ud83d\ude00"#);
    }
}

//! Each refusal gets CloudFront's exact code (and the check we expect made it), starting from
//! URLs botocore signed: tampered signature, expired, not yet valid, wrong IP, wrong resource,
//! unknown key, missing key, malformed base64, malformed policy; plus the order decided when
//! several checks fail, and URL-over-cookie precedence.

mod common;

use brink_signed::{decode_base64, encode_base64, DenyCode, DenyReason, SignedRequest, Source};
use common::{py_sign, rsa_key, split_url, trusted, url_to_cookies};

const HOST_URL: &str = "https://d111111abcdef8.cloudfront.net";
const NOW: u64 = 1_800_000_000;

fn canned() -> String {
    let k = rsa_key();
    py_sign(&[
        ("key-file", k.private.to_str().expect("path")),
        ("key-id", k.id),
        ("url", &format!("{HOST_URL}/p/file.bin?x=1")),
        ("date-less-than", "1800003600"),
    ])
}

fn custom(extra: &[(&str, &str)]) -> String {
    let k = rsa_key();
    let mut args = vec![
        ("key-file", k.private.to_str().expect("path")),
        ("key-id", k.id),
        ("url", "https://d111111abcdef8.cloudfront.net/p/file.bin"),
        ("date-less-than", "1800003600"),
    ];
    args.extend_from_slice(extra);
    if !extra.iter().any(|(k, _)| *k == "resource") {
        // Always a custom policy (botocore builds a canned one without conditions).
        args.push((
            "resource",
            "https://d111111abcdef8.cloudfront.net/p/file.bin",
        ));
    }
    py_sign(&args)
}

#[track_caller]
fn code(url: &str, peer: &str, now: u64) -> (DenyCode, DenyReason) {
    let p = split_url(url);
    let e = trusted()
        .verify(&p.request(&[], peer, now))
        .expect_err("refused");
    (e.code, e.reason)
}

#[track_caller]
fn code_of(url: &str) -> (DenyCode, DenyReason) {
    code(url, "203.0.113.5", NOW)
}

/// Replaces the value of query parameter `name` (must be present).
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, q) = url.split_once('?').expect("query");
    let mut found = false;
    let q: Vec<String> = q
        .split('&')
        .map(|seg| match seg.split_once('=') {
            Some((n, _)) if n == name => {
                found = true;
                format!("{n}={value}")
            }
            _ => seg.to_string(),
        })
        .collect();
    assert!(found, "{name} not in {url}");
    format!("{base}?{}", q.join("&"))
}

fn param<'a>(url: &'a str, name: &str) -> &'a str {
    url.split_once('?')
        .expect("query")
        .1
        .split('&')
        .find_map(|seg| seg.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        .expect("param")
}

fn without_param(url: &str, name: &str) -> String {
    let (base, q) = url.split_once('?').expect("query");
    let q: Vec<&str> = q
        .split('&')
        .filter(|s| s.split('=').next() != Some(name))
        .collect();
    format!("{base}?{}", q.join("&"))
}

#[test]
fn baselines_are_valid() {
    for url in [canned(), custom(&[("ip-address", "203.0.113.0/24")])] {
        let p = split_url(&url);
        trusted()
            .verify(&p.request(&[], "203.0.113.5", NOW))
            .expect("valid baseline");
    }
}

#[test]
fn tampered_signature() {
    let url = canned();
    let sig = param(&url, "Signature");
    // Flip one bit of the signature (re-encoded, so it still decodes).
    let mut raw = decode_base64(sig.as_bytes()).expect("decodes");
    raw[10] ^= 1;
    let tampered = with_param(&url, "Signature", &encode_base64(&raw));
    assert_eq!(
        code_of(&tampered),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
    // A valid signature of another policy.
    let other = custom(&[]);
    let swapped = with_param(&url, "Signature", param(&other, "Signature"));
    assert_eq!(
        code_of(&swapped),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
    // A custom policy edited after signing (one more second of validity).
    let edited_policy =
        String::from_utf8(decode_base64(param(&other, "Policy").as_bytes()).expect("b64"))
            .expect("utf-8")
            .replace("1800003600", "1800003601");
    let edited = with_param(&other, "Policy", &encode_base64(edited_policy.as_bytes()));
    assert_eq!(
        code_of(&edited),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
}

#[test]
fn expired_and_not_yet_valid() {
    assert_eq!(
        code(&canned(), "203.0.113.5", 1_800_003_600),
        (DenyCode::AccessDenied, DenyReason::Expired)
    );
    let url = custom(&[("date-greater-than", "1800000000")]);
    assert_eq!(
        code(&url, "203.0.113.5", NOW),
        (DenyCode::AccessDenied, DenyReason::NotYetValid)
    );
    assert_eq!(
        code(&url, "203.0.113.5", 1_800_003_600),
        (DenyCode::AccessDenied, DenyReason::Expired)
    );
}

#[test]
fn wrong_ip() {
    let url = custom(&[("ip-address", "198.51.100.0/24")]);
    assert_eq!(
        code(&url, "203.0.113.5", NOW),
        (DenyCode::AccessDenied, DenyReason::IpMismatch)
    );
}

#[test]
fn wrong_resource() {
    let url = custom(&[("resource", "https://d111111abcdef8.cloudfront.net/other/*")]);
    assert_eq!(
        code_of(&url),
        (DenyCode::AccessDenied, DenyReason::ResourceMismatch)
    );
    // http instead of https.
    let url = custom(&[("resource", "https://d111111abcdef8.cloudfront.net/p/*")])
        .replacen("https:", "http:", 1);
    assert_eq!(
        code_of(&url),
        (DenyCode::AccessDenied, DenyReason::ResourceMismatch)
    );
    // A canned URL is its own resource: another path is another policy.
    let url = canned().replace("/p/file.bin", "/p/other.bin");
    assert_eq!(
        code_of(&url),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
}

#[test]
fn unknown_and_missing_key() {
    let url = canned();
    assert_eq!(
        code_of(&with_param(&url, "Key-Pair-Id", "K000000000000X")),
        (DenyCode::InvalidKey, DenyReason::UnknownKey)
    );
    assert_eq!(
        code_of(&with_param(&url, "Key-Pair-Id", "")),
        (DenyCode::MissingKey, DenyReason::NoKeyPairId)
    );
    assert_eq!(
        code_of(&without_param(&url, "Key-Pair-Id")),
        (DenyCode::MissingKey, DenyReason::NoKeyPairId)
    );
    // Unsigned request, with or without unrelated cookies.
    assert_eq!(
        code_of(&format!("{HOST_URL}/p/file.bin")),
        (DenyCode::MissingKey, DenyReason::NoKeyPairId)
    );
    let p = split_url(&format!("{HOST_URL}/p/file.bin?a=1"));
    let cookies: [&[u8]; 1] = [b"session=abc; CloudFront-Other=1"];
    let e = trusted()
        .verify(&p.request(&cookies, "203.0.113.5", NOW))
        .expect_err("unsigned");
    assert_eq!(
        (e.code, e.xml_body()),
        (DenyCode::MissingKey, DenyCode::MissingKey.xml_body())
    );
    assert!(e.xml_body().contains("<Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message>"));
}

#[test]
fn malformed_base64() {
    let url = canned();
    for bad in ["@@@@", "abc%zz", "A", "!"] {
        assert_eq!(
            code_of(&with_param(&url, "Signature", bad)),
            (DenyCode::MalformedSignature, DenyReason::SignatureEncoding),
            "{bad}"
        );
    }
    assert_eq!(
        code_of(&with_param(&url, "Signature", "")),
        (DenyCode::MalformedSignature, DenyReason::NoSignature)
    );
    assert_eq!(
        code_of(&without_param(&url, "Signature")),
        (DenyCode::MalformedSignature, DenyReason::NoSignature)
    );
    // Longer than any RSA-4096 signature.
    let long = encode_base64(&[7u8; 600]);
    assert_eq!(
        code_of(&with_param(&url, "Signature", &long)).0,
        DenyCode::MalformedSignature
    );
    // Policy that is not base64.
    let url = custom(&[]);
    assert_eq!(
        code_of(&with_param(&url, "Policy", "not*base64")),
        (DenyCode::MalformedPolicy, DenyReason::PolicyEncoding)
    );
}

#[test]
fn malformed_policy() {
    let url = custom(&[]);
    for bad in [
        "{not json",
        r#"{"Statement":[{"Resource":"*"}]}"#,
        r#"{"Statement":[{"Condition":{"DateGreaterThan":{"AWS:EpochTime":1}}}]}"#,
        r#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"soon"}}}]}"#,
        r#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"::1/128"}}}]}"#,
    ] {
        assert_eq!(
            code_of(&with_param(&url, "Policy", &encode_base64(bad.as_bytes()))),
            (DenyCode::MalformedPolicy, DenyReason::PolicySyntax),
            "{bad}"
        );
    }
    let url = canned();
    for bad in ["soon", "-1", "", "99999999999999999999"] {
        assert_eq!(
            code_of(&with_param(&url, "Expires", bad)),
            (DenyCode::MalformedPolicy, DenyReason::BadExpires),
            "{bad:?}"
        );
    }
    assert_eq!(
        code_of(&without_param(&url, "Expires")),
        (DenyCode::MalformedPolicy, DenyReason::NoPolicy)
    );
}

#[test]
fn unknown_hash_algorithm() {
    let url = format!("{}&Hash-Algorithm=MD5", canned());
    assert_eq!(
        code_of(&url),
        (DenyCode::AccessDenied, DenyReason::UnknownHashAlgorithm)
    );
}

#[test]
fn order_when_several_checks_fail() {
    let url = canned();
    let bad_sig = with_param(&url, "Signature", "@@");
    // Unknown key beats a malformed signature.
    assert_eq!(
        code_of(&with_param(&bad_sig, "Key-Pair-Id", "KNOPE")).0,
        DenyCode::InvalidKey
    );
    // A malformed signature beats a malformed Expires.
    assert_eq!(
        code_of(&with_param(&bad_sig, "Expires", "x")).0,
        DenyCode::MalformedSignature
    );
    // A malformed policy beats expiry and a wrong hash name.
    let both = format!("{}&Hash-Algorithm=MD5", with_param(&url, "Expires", "x"));
    assert_eq!(
        code(&both, "203.0.113.5", u64::MAX).0,
        DenyCode::MalformedPolicy
    );
    // The signature is checked before the resource: a policy edited to cover this URL is a
    // bad signature, not a resource mismatch (only signers choose wildcard patterns).
    let other = custom(&[("resource", "https://d111111abcdef8.cloudfront.net/other/*")]);
    let policy = String::from_utf8(decode_base64(param(&other, "Policy").as_bytes()).expect("b64"))
        .expect("utf-8")
        .replace("/other/*", "/p/*");
    let edited = with_param(&other, "Policy", &encode_base64(policy.as_bytes()));
    assert_eq!(
        code_of(&edited),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
    assert_eq!(
        code_of(&other),
        (DenyCode::AccessDenied, DenyReason::ResourceMismatch)
    );
    // Expiry is checked before the signature (both AccessDenied; no RSA work when expired).
    let tampered = with_param(&url, "Signature", &encode_base64(&[1u8; 256]));
    assert_eq!(
        code(&tampered, "203.0.113.5", u64::MAX).1,
        DenyReason::Expired
    );
}

#[test]
fn url_takes_precedence_over_cookies() {
    let good = canned();
    let (plain, good_cookie) = url_to_cookies(&good);
    let t = trusted();
    // Valid cookies, broken URL signature: the URL decides.
    let broken = with_param(&good, "Signature", "@@");
    let p = split_url(&broken);
    let cookies = [good_cookie.as_bytes()];
    let e = t
        .verify(&p.request(&cookies, "203.0.113.5", NOW))
        .expect_err("URL wins");
    assert_eq!(e.code, DenyCode::MalformedSignature);
    // Valid URL, garbage cookies: accepted from the URL.
    let p = split_url(&good);
    let junk: [&[u8]; 1] = [b"CloudFront-Signature=@@; CloudFront-Key-Pair-Id=KNOPE"];
    let ok = t
        .verify(&p.request(&junk, "203.0.113.5", NOW))
        .expect("URL wins");
    assert_eq!((ok.source, ok.query()), (Source::Url, Some("x=1")));
    // Cookies split over two Cookie headers, quoted values, other cookies around.
    let (a, b) = good_cookie.split_at(good_cookie.find("; CloudFront-Key-Pair-Id").expect("kpi"));
    let kpi = b.trim_start_matches("; ").replacen('=', "=\"", 1) + "\"";
    let two = [format!("theme=dark; {a}"), format!("{kpi}; z=1")];
    let hdrs: Vec<&[u8]> = two.iter().map(|s| s.as_bytes()).collect();
    let p = split_url(&plain);
    let req = SignedRequest {
        ..p.request(&hdrs, "203.0.113.5", NOW)
    };
    let ok = t.verify(&req).expect("cookies over two headers");
    assert_eq!((ok.source, ok.query()), (Source::Cookies, Some("x=1")));
}

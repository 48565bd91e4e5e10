//! URLs and cookies signed by botocore's `CloudFrontSigner` (tests/fixtures/cf_sign.py) with
//! keys made by openssl for this run, verified by brink-signed: canned and custom (each
//! condition), SHA-1 and SHA-256, RSA-2048 and ECDSA P-256. Also: our signer's RSA output
//! equals botocore's byte for byte. Needs python3 with the packages in common::PIP_PINS.

mod common;

use brink_signed::{
    DenyCode, DenyReason, HashAlgorithm, PolicyKind, SignPolicy, Signer, SigningKey, Source,
};
use common::{ec_key, py_sign, rsa_key, split_url, trusted, url_to_cookies, TestKey};

const HOST_URL: &str = "https://d111111abcdef8.cloudfront.net";
const NOW: u64 = 1_800_000_000;
const LATER: &str = "1800003600";

fn path(k: &TestKey) -> &str {
    k.private.to_str().expect("utf-8 path")
}

fn sign(k: &TestKey, url: &str, hash: &str, extra: &[(&str, &str)]) -> String {
    let mut args = vec![
        ("key-file", path(k)),
        ("key-id", k.id),
        ("url", url),
        ("date-less-than", LATER),
        ("hash", hash),
    ];
    args.extend_from_slice(extra);
    py_sign(&args)
}

/// Verifies `signed` as a URL and, moved into cookies, as cookies; returns the stripped query
/// the URL form left.
#[track_caller]
fn accept_both(signed: &str, peer: &str, kind: PolicyKind, hash: HashAlgorithm) -> Option<String> {
    let t = trusted();
    let p = split_url(signed);
    let ok = t
        .verify(&p.request(&[], peer, NOW))
        .unwrap_or_else(|e| panic!("{signed}: {e}"));
    assert_eq!((ok.source, ok.policy, ok.hash), (Source::Url, kind, hash));
    let query = ok.query().map(str::to_string);

    let (plain, cookie) = url_to_cookies(signed);
    let p = split_url(&plain);
    let cookies = [cookie.as_bytes()];
    let ok = t
        .verify(&p.request(&cookies, peer, NOW))
        .unwrap_or_else(|e| panic!("cookies {cookie}: {e}"));
    assert_eq!(
        (ok.source, ok.policy, ok.hash),
        (Source::Cookies, kind, hash)
    );
    assert_eq!(
        ok.query().map(str::to_string),
        query,
        "same query either way"
    );
    assert!(!ok.query_changed(), "nothing to strip in cookie mode");
    query
}

#[track_caller]
fn refuse(signed: &str, peer: &str, now: u64) -> (DenyCode, DenyReason) {
    let e = trusted()
        .verify(&split_url(signed).request(&[], peer, now))
        .expect_err("must be refused");
    (e.code, e.reason)
}

#[test]
fn canned_rsa_sha1_with_the_rsa_package_and_app_query() {
    let url = format!("{HOST_URL}/videos/a.mp4?size=large&lang=en");
    let signed = sign(rsa_key(), &url, "SHA1", &[("with-rsa-package", "1")]);
    assert!(
        signed.starts_with(&format!("{url}&Expires={LATER}&Signature=")),
        "{signed}"
    );
    let q = accept_both(
        &signed,
        "203.0.113.5",
        PolicyKind::Canned,
        HashAlgorithm::Sha1,
    );
    assert_eq!(q.as_deref(), Some("size=large&lang=en"));
    // The canned policy covers exactly that URL: another query value is refused.
    let other = signed.replace("size=large", "size=small");
    assert_eq!(
        refuse(&other, "203.0.113.5", NOW),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
}

#[test]
fn canned_rsa_sha256() {
    let signed = sign(rsa_key(), &format!("{HOST_URL}/a.bin"), "SHA256", &[]);
    assert!(signed.ends_with("&Hash-Algorithm=SHA256"));
    let q = accept_both(
        &signed,
        "203.0.113.5",
        PolicyKind::Canned,
        HashAlgorithm::Sha256,
    );
    assert_eq!(q, None);
    // The same signature read as SHA-1 does not verify.
    let sha1 = signed.replace("&Hash-Algorithm=SHA256", "");
    assert_eq!(
        refuse(&sha1, "203.0.113.5", NOW),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
}

#[test]
fn canned_ecdsa_sha1_and_sha256() {
    for (hash, h) in [
        ("SHA1", HashAlgorithm::Sha1),
        ("SHA256", HashAlgorithm::Sha256),
    ] {
        let signed = sign(ec_key(), &format!("{HOST_URL}/e.txt?v=2"), hash, &[]);
        let q = accept_both(&signed, "203.0.113.5", PolicyKind::Canned, h);
        assert_eq!(q.as_deref(), Some("v=2"));
    }
}

#[test]
fn custom_resource_wildcard_rsa_and_ecdsa() {
    for (k, hash, h) in [
        (rsa_key(), "SHA1", HashAlgorithm::Sha1),
        (rsa_key(), "SHA256", HashAlgorithm::Sha256),
        (ec_key(), "SHA1", HashAlgorithm::Sha1),
        (ec_key(), "SHA256", HashAlgorithm::Sha256),
    ] {
        let resource = format!("{HOST_URL}/images/*");
        let signed = sign(
            k,
            &format!("{HOST_URL}/images/2024/cat.jpg?w=100"),
            hash,
            &[("resource", &resource)],
        );
        assert!(signed.contains("&Policy="), "{signed}");
        let q = accept_both(&signed, "203.0.113.5", PolicyKind::Custom, h);
        assert_eq!(q.as_deref(), Some("w=100"));
        // The same policy and signature on another URL under the wildcard: accepted.
        let moved = signed.replace("/images/2024/cat.jpg?w=100", "/images/dog.png?w=1");
        let moved = split_url(&moved);
        let ok = trusted()
            .verify(&moved.request(&[], "203.0.113.5", NOW))
            .expect("the wildcard covers it");
        assert_eq!(ok.query(), Some("w=1"));
        // Outside the wildcard: refused.
        let outside = signed.replace("/images/2024/cat.jpg", "/video/cat.jpg");
        assert_eq!(
            refuse(&outside, "203.0.113.5", NOW),
            (DenyCode::AccessDenied, DenyReason::ResourceMismatch)
        );
    }
}

#[test]
fn custom_date_greater_than() {
    for k in [rsa_key(), ec_key()] {
        let signed = sign(
            k,
            &format!("{HOST_URL}/soon.txt"),
            "SHA1",
            &[("date-greater-than", "1799990000")],
        );
        accept_both(
            &signed,
            "203.0.113.5",
            PolicyKind::Custom,
            HashAlgorithm::Sha1,
        );
        assert_eq!(
            refuse(&signed, "203.0.113.5", 1_799_990_000),
            (DenyCode::AccessDenied, DenyReason::NotYetValid),
            "DateGreaterThan is strict"
        );
        assert_eq!(
            refuse(&signed, "203.0.113.5", 1_800_003_600),
            (DenyCode::AccessDenied, DenyReason::Expired)
        );
    }
}

#[test]
fn custom_ip_address() {
    for k in [rsa_key(), ec_key()] {
        let signed = sign(
            k,
            &format!("{HOST_URL}/ip.txt"),
            "SHA256",
            &[("ip-address", "192.0.2.0/24")],
        );
        accept_both(
            &signed,
            "192.0.2.200",
            PolicyKind::Custom,
            HashAlgorithm::Sha256,
        );
        accept_both(
            &signed,
            "::ffff:192.0.2.9",
            PolicyKind::Custom,
            HashAlgorithm::Sha256,
        );
        for peer in ["192.0.3.1", "2001:db8::1"] {
            assert_eq!(
                refuse(&signed, peer, NOW),
                (DenyCode::AccessDenied, DenyReason::IpMismatch),
                "{peer}"
            );
        }
        // botocore adds /32 to a bare address.
        let one = sign(
            k,
            &format!("{HOST_URL}/ip.txt"),
            "SHA1",
            &[("ip-address", "192.0.2.7")],
        );
        accept_both(&one, "192.0.2.7", PolicyKind::Custom, HashAlgorithm::Sha1);
        assert_eq!(refuse(&one, "192.0.2.8", NOW).1, DenyReason::IpMismatch);
    }
}

#[test]
fn custom_all_conditions() {
    let signed = sign(
        ec_key(),
        &format!("{HOST_URL}/all/x.m3u8?token=1"),
        "SHA256",
        &[
            ("resource", &format!("{HOST_URL}/all/*")),
            ("date-greater-than", "1700000000"),
            ("ip-address", "10.1.0.0/16"),
        ],
    );
    let q = accept_both(
        &signed,
        "10.1.200.3",
        PolicyKind::Custom,
        HashAlgorithm::Sha256,
    );
    assert_eq!(q.as_deref(), Some("token=1"));
}

#[test]
fn custom_policy_written_by_hand_bare_statement_and_escaped_query() {
    // The bare-object statement form, conditions in another order, and `\?` (written `\\?`
    // in JSON) separating a query pattern.
    let policy = format!(
        r#"{{"Statement":{{"Condition":{{"DateGreaterThan":{{"AWS:EpochTime":1}},"DateLessThan":{{"AWS:EpochTime":{LATER}}}}},"Resource":"{HOST_URL}/doc.pdf\\?v=*"}}}}"#
    );
    let signed = sign(
        rsa_key(),
        &format!("{HOST_URL}/doc.pdf?v=7"),
        "SHA1",
        &[("policy-json", &policy)],
    );
    let q = accept_both(
        &signed,
        "203.0.113.5",
        PolicyKind::Custom,
        HashAlgorithm::Sha1,
    );
    assert_eq!(q.as_deref(), Some("v=7"));
    let other = signed.replace("?v=7", "?w=7");
    assert_eq!(
        refuse(&other, "203.0.113.5", NOW),
        (DenyCode::AccessDenied, DenyReason::ResourceMismatch)
    );
}

#[test]
fn our_rsa_signer_equals_botocore() {
    let k = rsa_key();
    for pem_file in [&k.private, &k.private_pkcs8] {
        let key = SigningKey::from_pem(&std::fs::read_to_string(pem_file).expect("read key"))
            .expect("parses");
        for (hash, h) in [
            ("SHA1", HashAlgorithm::Sha1),
            ("SHA256", HashAlgorithm::Sha256),
        ] {
            let signer = Signer {
                key_pair_id: k.id.into(),
                key: key.clone(),
                hash: h,
            };
            let url = format!("{HOST_URL}/same?a=1");
            let ours = signer
                .signed_url(
                    &url,
                    &SignPolicy::Canned {
                        expires: LATER.parse().expect("int"),
                    },
                )
                .expect("signs");
            assert_eq!(ours, sign(k, &url, hash, &[]), "canned {hash}");

            let resource = format!("{HOST_URL}/*");
            let policy = brink_signed::policy::custom_policy(
                &resource,
                LATER.parse().expect("int"),
                Some(1_700_000_000),
                Some("198.51.100.0/24"),
            );
            let ours = signer
                .signed_url(&url, &SignPolicy::Custom(policy))
                .expect("signs");
            let theirs = sign(
                k,
                &url,
                hash,
                &[
                    ("resource", &resource),
                    ("date-greater-than", "1700000000"),
                    ("ip-address", "198.51.100.0/24"),
                ],
            );
            assert_eq!(ours, theirs, "custom {hash}");
        }
    }
}

//! The memo of verified signatures changes nothing but speed: conditions are checked on every
//! request, a tampered signature or another policy never hits, and clones share it.

mod common;

use brink_signed::{
    decode_base64, encode_base64, DenyCode, DenyReason, HashAlgorithm, KeyOptions, KeyRing,
    SignPolicy, Signer, SigningKey, TrustedKeys,
};
use common::split_url;

fn setup() -> (Signer, TrustedKeys) {
    let k = common::rsa_key();
    let key =
        SigningKey::from_pem(&std::fs::read_to_string(&k.private).expect("read")).expect("key");
    let ring =
        KeyRing::compile([(k.id, k.public_pem.as_str())], &KeyOptions::default()).expect("ring");
    let trusted = TrustedKeys::new([(k.id.to_string(), ring.get(k.id).expect("key").clone())])
        .with_verified_cache(8);
    (
        Signer {
            key_pair_id: k.id.into(),
            key,
            hash: HashAlgorithm::Sha1,
        },
        trusted,
    )
}

#[test]
fn conditions_still_apply_after_a_hit() {
    let (signer, trusted) = setup();
    let policy = brink_signed::policy::custom_policy(
        "https://d.example/v/*",
        2_000_000_000,
        Some(1_000_000_000),
        Some("192.0.2.0/24"),
    );
    let url = signer
        .signed_url("https://d.example/v/a.ts", &SignPolicy::Custom(policy))
        .expect("signs");
    let p = split_url(&url);
    for _ in 0..3 {
        trusted
            .verify(&p.request(&[], "192.0.2.1", 1_500_000_000))
            .expect("valid, cached after the first");
    }
    let shared = trusted.clone();
    shared
        .verify(&p.request(&[], "192.0.2.1", 1_500_000_000))
        .expect("clone shares the memo");
    let code = |peer: &str, now: u64| {
        let e = trusted
            .verify(&p.request(&[], peer, now))
            .expect_err("refused");
        (e.code, e.reason)
    };
    assert_eq!(
        code("192.0.2.1", 2_000_000_000),
        (DenyCode::AccessDenied, DenyReason::Expired)
    );
    assert_eq!(
        code("192.0.2.1", 1_000_000_000),
        (DenyCode::AccessDenied, DenyReason::NotYetValid)
    );
    assert_eq!(
        code("198.51.100.1", 1_500_000_000),
        (DenyCode::AccessDenied, DenyReason::IpMismatch)
    );
    let other = split_url(&url.replace("/v/a.ts", "/w/a.ts"));
    let e = trusted
        .verify(&other.request(&[], "192.0.2.1", 1_500_000_000))
        .expect_err("resource");
    assert_eq!(e.reason, DenyReason::ResourceMismatch);
}

#[test]
fn a_cached_signature_never_vouches_for_something_else() {
    let (signer, trusted) = setup();
    let url = signer
        .signed_url(
            "https://d.example/a.bin",
            &SignPolicy::Canned {
                expires: 2_000_000_000,
            },
        )
        .expect("signs");
    let p = split_url(&url);
    trusted
        .verify(&p.request(&[], "192.0.2.1", 1_500_000_000))
        .expect("valid");
    // Same signature, another canned resource.
    let moved = split_url(&url.replace("/a.bin", "/b.bin"));
    let e = trusted
        .verify(&moved.request(&[], "192.0.2.1", 1_500_000_000))
        .expect_err("other URL");
    assert_eq!(e.reason, DenyReason::BadSignature);
    // Same policy, tampered signature.
    let sig = url
        .split('&')
        .find_map(|s| s.strip_prefix("Signature="))
        .expect("sig");
    let mut raw = decode_base64(sig.as_bytes()).expect("b64");
    raw[0] ^= 0x80;
    let tampered = split_url(&url.replace(sig, &encode_base64(&raw)));
    let e = trusted
        .verify(&tampered.request(&[], "192.0.2.1", 1_500_000_000))
        .expect_err("tampered");
    assert_eq!(e.reason, DenyReason::BadSignature);
    // Same signature read with another hash algorithm.
    let sha256 = split_url(&format!("{url}&Hash-Algorithm=SHA256"));
    let e = trusted
        .verify(&sha256.request(&[], "192.0.2.1", 1_500_000_000))
        .expect_err("hash");
    assert_eq!(e.reason, DenyReason::BadSignature);
    // And the original still verifies.
    trusted
        .verify(&p.request(&[], "192.0.2.1", 1_500_000_000))
        .expect("still valid");
}

#[test]
fn a_request_accepted_again_gives_the_same_answer() {
    let (signer, trusted) = setup();
    let url = signer
        .signed_url(
            "https://d.example/a?x=1&y=2",
            &SignPolicy::Canned {
                expires: 2_000_000_000,
            },
        )
        .expect("signs");
    let p = split_url(&url);
    let first = trusted
        .verify(&p.request(&[], "192.0.2.1", 1_500_000_000))
        .expect("valid");
    let again = trusted
        .verify(&p.request(&[], "192.0.2.1", 1_500_000_000))
        .expect("valid from the request memo");
    assert_eq!(first.query(), Some("x=1&y=2"));
    assert_eq!(again.query(), first.query());
    assert_eq!(
        (again.policy, again.hash, again.source, again.key_pair_id),
        (first.policy, first.hash, first.source, first.key_pair_id)
    );
    assert!(again.query_changed());
    // Expiry is judged on every request, memo or not.
    let e = trusted
        .verify(&p.request(&[], "192.0.2.1", 2_000_000_000))
        .expect_err("expired");
    assert_eq!(e.reason, DenyReason::Expired);
}

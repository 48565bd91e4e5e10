//! The verifier's allocation budget (issue 11: "no allocation per request beyond the policy
//! bytes"), counted by a global allocator wrapper. Our code: an unsigned request and every
//! refusal before the policy allocate nothing; a canned policy allocates its policy string
//! (which also holds the stripped query); a custom policy its decoded bytes (which also hold
//! the stripped query). Measured with an ECDSA key, whose check (p256) allocates nothing.
//! With RSA, ring's verification allocates its own bignum buffers (5 today, ring 0.17.14);
//! a memo hit skips it and is back to the one policy allocation.
//!
//! One test function only: the counter is process-wide, so nothing may run beside it.

mod common;

use std::alloc::System;

use brink_signed::{
    HashAlgorithm, KeyOptions, KeyRing, SignPolicy, SignedRequest, Signer, SigningKey, TrustedKeys,
};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const RSA_1024: &str = include_str!("fixtures/worked-example-rsa1024.pem");

struct Case {
    trusted: TrustedKeys,
    canned: String,
    custom: String,
    cookie: String,
}

fn case(pem: &str) -> Case {
    let sk = SigningKey::from_pem(pem).expect("key");
    let public = sk.public_key_pem().expect("pem");
    let ring = KeyRing::compile(
        [("K1", public.as_str())],
        &KeyOptions { min_rsa_bits: 1024 },
    )
    .expect("ring");
    let trusted = TrustedKeys::new([("K1".to_string(), ring.get("K1").expect("k").clone())]);
    let signer = Signer {
        key_pair_id: "K1".into(),
        key: sk,
        hash: HashAlgorithm::Sha1,
    };
    let url = "https://d.example/a.mp4?x=1";
    let canned = signer
        .signed_url(
            url,
            &SignPolicy::Canned {
                expires: 2_000_000_000,
            },
        )
        .expect("signs");
    let policy =
        brink_signed::policy::custom_policy("https://d.example/*", 2_000_000_000, None, None);
    let custom = signer
        .signed_url(url, &SignPolicy::Custom(policy))
        .expect("signs");
    let q = |u: &str| u.split_once('?').expect("q").1.to_string();
    let cookie = format!(
        "a=b; CloudFront-Expires=2000000000; CloudFront-Signature={}; CloudFront-Key-Pair-Id=K1",
        q(&canned)
            .split('&')
            .find_map(|s| s.strip_prefix("Signature="))
            .expect("sig")
    );
    Case {
        trusted,
        canned: q(&canned),
        custom: q(&custom),
        cookie,
    }
}

fn count(f: &dyn Fn() -> bool) -> usize {
    let region = Region::new(GLOBAL);
    assert!(f(), "unexpected verdict");
    region.change().allocations
}

#[test]
fn allocation_budget() {
    let ec_pem = std::fs::read_to_string(&common::ec_key().private).expect("read");
    let base = SignedRequest {
        scheme: "https",
        host: "d.example",
        path: "/a.mp4",
        query: Some("x=1"),
        cookies: &[],
        peer: "192.0.2.1".parse().expect("ip"),
        now: 1_900_000_000,
    };
    let ec = case(&ec_pem);
    let rsa = case(RSA_1024);
    for c in [&ec, &rsa] {
        let unknown = c.canned.replace("Key-Pair-Id=K1", "Key-Pair-Id=K2");
        assert_eq!(count(&|| c.trusted.verify(&base).is_err()), 0, "unsigned");
        let r = SignedRequest {
            query: Some(&unknown),
            ..base
        };
        assert_eq!(count(&|| c.trusted.verify(&r).is_err()), 0, "unknown key");
        let r = SignedRequest {
            query: Some("Expires=1&Signature=@&Key-Pair-Id=K1"),
            ..base
        };
        assert_eq!(
            count(&|| c.trusted.verify(&r).is_err()),
            0,
            "bad signature encoding"
        );
    }

    let cookies = [ec.cookie.as_bytes()];
    let canned = SignedRequest {
        query: Some(&ec.canned),
        ..base
    };
    let custom = SignedRequest {
        query: Some(&ec.custom),
        ..base
    };
    let by_cookie = SignedRequest {
        cookies: &cookies,
        ..base
    };
    assert_eq!(
        count(&|| ec.trusted.verify(&canned).is_ok()),
        1,
        "canned URL"
    );
    assert_eq!(
        count(&|| ec.trusted.verify(&by_cookie).is_ok()),
        1,
        "canned cookies"
    );
    assert_eq!(
        count(&|| ec.trusted.verify(&custom).is_ok()),
        1,
        "custom URL"
    );

    let canned = SignedRequest {
        query: Some(&rsa.canned),
        ..base
    };
    let with_rsa = count(&|| rsa.trusted.verify(&canned).is_ok());
    assert!((2..=8).contains(&with_rsa), "canned URL, RSA: {with_rsa}");
    let memo = rsa.trusted.clone().with_verified_cache(16);
    assert!(memo.verify(&canned).is_ok());
    assert_eq!(
        count(&|| memo.verify(&canned).is_ok()),
        1,
        "canned URL, RSA, memo hit"
    );
    let ok = memo.verify(&canned).expect("valid");
    assert_eq!(ok.query(), Some("x=1"));
}

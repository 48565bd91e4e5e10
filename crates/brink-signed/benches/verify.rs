//! Verification cost on the edge's hot path: a canned signed URL, RSA-2048, SHA-1 (the common
//! case), the whole `TrustedKeys::verify` (query scan, base64, canned policy rebuild, RSA).
//! For comparison: the RSA operation alone with ring (what we use) and with the `rsa` crate,
//! and a custom-policy URL with an ECDSA P-256 key.
//!
//! Run: `cargo bench -p brink-signed --bench verify -- --warm-up-time 1 --measurement-time 3`
//! (needs the openssl CLI to make the keys).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::process::Command;

use brink_signed::{
    HashAlgorithm, KeyOptions, KeyRing, SignPolicy, SignedRequest, Signer, SigningKey, TrustedKeys,
};
use criterion::{criterion_group, criterion_main, Criterion};
use rsa::pkcs8::DecodePublicKey as _;
use sha1::Digest as _;

fn key(ec: bool) -> String {
    let args: &[&str] = if ec {
        &["ecparam", "-name", "prime256v1", "-genkey", "-noout"]
    } else {
        &["genrsa", "-traditional", "2048"]
    };
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn setup(pem: &str, id: &str, policy: &SignPolicy, url: &str) -> (TrustedKeys, String, String) {
    let sk = SigningKey::from_pem(pem).unwrap();
    let public = sk.public_key_pem().unwrap();
    let ring = KeyRing::compile([(id, public.as_str())], &KeyOptions::default()).unwrap();
    let trusted = TrustedKeys::new([(id.to_string(), ring.get(id).unwrap().clone())]);
    let signer = Signer {
        key_pair_id: id.into(),
        key: sk,
        hash: HashAlgorithm::Sha1,
    };
    let signed = signer.signed_url(url, policy).unwrap();
    let query = signed.split_once('?').unwrap().1.to_string();
    (trusted, query, public)
}

fn bench(c: &mut Criterion) {
    let url = "https://d111111abcdef8.cloudfront.net/videos/2026/intro.mp4";
    let rsa_pem = key(false);
    let (trusted, query, public) = setup(
        &rsa_pem,
        "K2JCJMDEHXQW5F",
        &SignPolicy::Canned {
            expires: 2_000_000_000,
        },
        url,
    );
    let peer = "203.0.113.5".parse().unwrap();
    let req = SignedRequest {
        scheme: "https",
        host: "d111111abcdef8.cloudfront.net",
        path: "/videos/2026/intro.mp4",
        query: Some(&query),
        cookies: &[],
        peer,
        now: 1_900_000_000,
    };
    assert!(trusted.verify(&req).is_ok());
    c.bench_function("verify canned URL, RSA-2048, SHA-1", |b| {
        b.iter(|| black_box(trusted.verify(black_box(&req)).is_ok()))
    });
    let memo = trusted.clone().with_verified_cache(1024);
    c.bench_function("verify canned URL, RSA-2048, SHA-1, memo hit", |b| {
        b.iter(|| black_box(memo.verify(black_box(&req)).is_ok()))
    });

    // The RSA operation alone: ring vs the rsa crate.
    let policy = brink_signed::policy::canned_policy(url, "2000000000");
    let sig_text = query
        .split('&')
        .find_map(|s| s.strip_prefix("Signature="))
        .unwrap();
    let sig = brink_signed::decode_base64(sig_text.as_bytes()).unwrap();
    let vk = brink_signed::VerifyingKey::from_spki_pem(&public, &KeyOptions::default()).unwrap();
    c.bench_function("RSA-2048 PKCS#1 v1.5 SHA-1 verify only (ring)", |b| {
        b.iter(|| black_box(vk.verify(policy.as_bytes(), &sig, HashAlgorithm::Sha1)))
    });
    let rk = rsa::RsaPublicKey::from_public_key_pem(&public).unwrap();
    c.bench_function("RSA-2048 PKCS#1 v1.5 SHA-1 verify only (rsa crate)", |b| {
        b.iter(|| {
            let d = sha1::Sha1::digest(policy.as_bytes());
            black_box(
                rk.verify(rsa::Pkcs1v15Sign::new::<sha1::Sha1>(), &d, &sig)
                    .is_ok(),
            )
        })
    });

    // Custom policy, ECDSA P-256.
    let ec_pem = key(true);
    let custom = brink_signed::policy::custom_policy(
        "https://d111111abcdef8.cloudfront.net/videos/*",
        2_000_000_000,
        None,
        None,
    );
    let (trusted, query, _) = setup(&ec_pem, "K2ECDSAKEY0001", &SignPolicy::Custom(custom), url);
    let req = SignedRequest {
        query: Some(&query),
        ..req
    };
    assert!(trusted.verify(&req).is_ok());
    c.bench_function("verify custom URL, ECDSA P-256, SHA-1", |b| {
        b.iter(|| black_box(trusted.verify(black_box(&req)).is_ok()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

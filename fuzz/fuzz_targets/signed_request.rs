//! Fuzzes the whole per-request check (`TrustedKeys::verify`) with a fixed trusted ECDSA key:
//! the input is split on NUL into path, query and one Cookie header; the verifier must answer
//! (accept or refuse), never panic, and an accepted query must be the input's minus signing
//! parameters.
#![no_main]

use std::sync::OnceLock;

use brink_signed::{strip_signing_params, KeyOptions, KeyRing, SignedRequest, TrustedKeys};
use libfuzzer_sys::fuzz_target;

const PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtz2QPrV7rMFUQG/i7z2CY4q16+qZ
BLty74E8m8pTDiMfr2XuVzIEg/LfJR62ptkuxTag9mKuffQNMfhPShn5/g==
-----END PUBLIC KEY-----
";

fn trusted() -> &'static TrustedKeys {
    static T: OnceLock<TrustedKeys> = OnceLock::new();
    T.get_or_init(|| {
        let ring = KeyRing::compile([("KFUZZ", PUBLIC)], &KeyOptions::default()).expect("key");
        TrustedKeys::new([("KFUZZ".to_string(), ring.get("KFUZZ").expect("key").clone())])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = s.splitn(3, '\0');
    let path = parts.next().unwrap_or("/");
    let query = parts.next();
    let cookie = parts.next().unwrap_or("");
    let cookies = [cookie.as_bytes()];
    let req = SignedRequest {
        scheme: "https",
        host: "d111111abcdef8.cloudfront.net",
        path,
        query,
        cookies: &cookies,
        peer: "192.0.2.1".parse().expect("ip"),
        now: 1_800_000_000,
    };
    if let Ok(v) = trusted().verify(&req) {
        assert_eq!(v.query(), strip_signing_params(query).as_deref());
    }
});

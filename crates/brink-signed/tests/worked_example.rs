//! cloudfront.md §5's worked example, byte for byte: our signer reproduces the documented URL,
//! botocore (through the `rsa` package, as its docstring shows) produces the same, and the
//! verifier accepts it, with its RSA-1024 key admitted only when asked for.

mod common;

use brink_signed::{
    DenyCode, DenyReason, HashAlgorithm, KeyOptions, KeyRing, PolicyKind, SignPolicy, Signer,
    SigningKey, Source, TrustedKeys,
};
use sha1::Digest as _;

const KEY: &str = include_str!("fixtures/worked-example-rsa1024.pem");
const ID: &str = "K2JCJMDEHXQW5F";
const URL: &str = "https://d111111abcdef8.cloudfront.net/images/cat.jpg";
const EXPIRES: u64 = 1893456000;
const POLICY: &str = r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/images/cat.jpg","Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}"#;
const SIGNED: &str = "https://d111111abcdef8.cloudfront.net/images/cat.jpg?Expires=1893456000&Signature=MJvv0EamqX8trCECPkUIWL4tjwpAT8dJAtvtBDsGpWqukVkml~S03gE6Lv5Xr2lTePTfNdcu1v~UcJwN3-TQ2VJl1VAGE-JstvgINJBJHszKhJLMf9pnJed2HnI9Fy2bo2TAa54BBvtyHQurxmSug9Tba1OhH4XHu7FahvKCP0Q_&Key-Pair-Id=K2JCJMDEHXQW5F";

fn trusted(opts: &KeyOptions) -> Result<TrustedKeys, Vec<brink_signed::KeyError>> {
    let public = SigningKey::from_pem(KEY)
        .expect("key")
        .public_key_pem()
        .expect("pem");
    let ring = KeyRing::compile([(ID, public.as_str())], opts)?;
    Ok(TrustedKeys::new([(
        ID.to_string(),
        ring.get(ID).expect("key").clone(),
    )]))
}

#[test]
fn policy_bytes_and_digest() {
    let p = brink_signed::policy::canned_policy(URL, &EXPIRES.to_string());
    assert_eq!(p, POLICY);
    assert_eq!(p.len(), 141);
    let d = sha1::Sha1::digest(p.as_bytes());
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "05e54f3efa37dcf516fb4766cab599a33d1300c5");
}

#[test]
fn our_signer_reproduces_the_documented_url() {
    let signer = Signer {
        key_pair_id: ID.into(),
        key: SigningKey::from_pem(KEY).expect("key"),
        hash: HashAlgorithm::Sha1,
    };
    let url = signer
        .signed_url(URL, &SignPolicy::Canned { expires: EXPIRES })
        .expect("signs");
    assert_eq!(url, SIGNED);
}

#[test]
fn botocore_reproduces_the_documented_url() {
    let dir = common::TempDir::new("worked");
    let key = dir.path().join("k.pem");
    std::fs::write(&key, KEY).expect("write key");
    let url = common::py_sign(&[
        ("key-file", key.to_str().expect("utf-8 path")),
        ("key-id", ID),
        ("url", URL),
        ("date-less-than", "1893456000"),
        ("with-rsa-package", "1"),
    ]);
    assert_eq!(url, SIGNED);
}

#[test]
fn verifier_accepts_it_byte_for_byte() {
    let t = trusted(&KeyOptions { min_rsa_bits: 1024 }).expect("1024 allowed when asked");
    let parts = common::split_url(SIGNED);
    let ok = t
        .verify(&parts.request(&[], "198.51.100.7", EXPIRES - 1))
        .expect("valid until the last second before Expires");
    assert_eq!(
        ok.query(),
        None,
        "only signing parameters: no query is left"
    );
    assert!(ok.query_changed());
    assert_eq!(ok.key_pair_id, ID);
    assert_eq!(
        (ok.source, ok.policy, ok.hash),
        (Source::Url, PolicyKind::Canned, HashAlgorithm::Sha1)
    );

    // DateLessThan is strict.
    let e = t
        .verify(&parts.request(&[], "198.51.100.7", EXPIRES))
        .expect_err("expired");
    assert_eq!(
        (e.code, e.reason),
        (DenyCode::AccessDenied, DenyReason::Expired)
    );
    // Another host is another canned resource.
    let mut other = common::split_url(SIGNED);
    other.host = "d222222abcdef8.cloudfront.net".into();
    let e = t
        .verify(&other.request(&[], "198.51.100.7", 0))
        .expect_err("other host");
    assert_eq!(
        (e.code, e.reason),
        (DenyCode::AccessDenied, DenyReason::BadSignature)
    );
}

#[test]
fn default_options_refuse_the_1024_bit_key() {
    let errs = trusted(&KeyOptions::default()).expect_err("AWS requires RSA-2048");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].id, ID);
    assert!(errs[0].message.contains("1024 bits"), "{}", errs[0].message);
}

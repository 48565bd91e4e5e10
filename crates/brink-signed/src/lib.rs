//! Signed URLs and signed cookies (cloudfront.md §5): what a behavior with
//! `TrustedKeyGroups` (or legacy `TrustedSigners`) requires of each request.
//!
//! Owns: parsing public keys once per configuration version ([`KeyRing`], [`TrustedKeys`]),
//! the per-request check ([`TrustedKeys::verify`], built for the edge's hot path: no I/O, no
//! allocation beyond the policy bytes), the custom policy grammar ([`policy`]), the `Resource`
//! wildcard rules ([`resource`]), CloudFront's refusal codes and XML bodies ([`Denied`]), and
//! signing compatible with botocore / `aws cloudfront sign` ([`Signer`]) for `brink sign`.
//! Does not own: HTTP (the edge builds a [`SignedRequest`] and turns a [`Denied`] into a 403,
//! subject to custom error responses), clocks (the edge passes `now`), configuration files.
//!
//! Decisions on what CloudFront leaves unspecified are written where they are implemented:
//! the order of checks and codes in [`verify`], the policy grammar in [`policy`], the
//! wildcard details in [`resource`], key sizes in [`KeyOptions`], the legacy
//! `TrustedSigners` in [`KeyRing::trusted_keys`].
//!
//! ```
//! use brink_signed::{KeyOptions, KeyRing, SignPolicy, Signer, SigningKey, HashAlgorithm,
//!     SignedRequest, TrustedKeys};
//! # let pem = include_str!("../tests/fixtures/worked-example-rsa1024.pem");
//! let key = SigningKey::from_pem(pem).unwrap();
//! let public = key.public_key_pem().unwrap();
//! let opts = KeyOptions { min_rsa_bits: 1024 }; // the doc's small key
//! let ring = KeyRing::compile([("K2JCJMDEHXQW5F", public.as_str())], &opts).unwrap();
//! let trusted = TrustedKeys::new([("K2JCJMDEHXQW5F".to_string(),
//!     ring.get("K2JCJMDEHXQW5F").unwrap().clone())]);
//! let signer = Signer { key_pair_id: "K2JCJMDEHXQW5F".into(), key, hash: HashAlgorithm::Sha1 };
//! let url = signer.signed_url("https://d.example/a.jpg?x=1",
//!     &SignPolicy::Canned { expires: 2_000_000_000 }).unwrap();
//! let query = url.split_once('?').unwrap().1;
//! let ok = trusted.verify(&SignedRequest {
//!     scheme: "https", host: "d.example", path: "/a.jpg", query: Some(query),
//!     cookies: &[], peer: "192.0.2.1".parse().unwrap(), now: 1_900_000_000,
//! }).unwrap();
//! assert_eq!(ok.query(), Some("x=1")); // signing parameters removed
//! ```

pub mod b64;
mod cache;
mod deny;
mod keys;
pub mod policy;
pub mod resource;
mod sign;
pub mod verify;

pub use b64::{decode_vec as decode_base64, encode as encode_base64};
pub use cache::DEFAULT_VERIFIED_CACHE_SLOTS;
pub use deny::{render_error_xml, Denied, DenyCode, DenyReason, DENY_STATUS};
pub use keys::{
    HashAlgorithm, KeyAlgorithm, KeyError, KeyOptions, KeyRing, SignedBehaviors, TrustedKeys,
    VerifyingKey, AWS_MIN_RSA_BITS, MAX_RSA_BITS,
};
pub use sign::{SignPolicy, Signer, SigningKey};
pub use verify::{
    is_signing_param, strip_signing_params, PolicyKind, SignedRequest, Source, Verified,
};

//! URLs from `aws cloudfront sign` (aws CLI v1; RSA only, SHA-1 only: it signs through the
//! `rsa` package) verified by brink-signed; canned, and custom with each condition the CLI
//! offers. Needs the aws CLI from common::PIP_PINS.

mod common;

use brink_signed::{
    DenyCode, DenyReason, HashAlgorithm, PolicyKind, SignPolicy, Signer, SigningKey,
};
use common::{aws_sign, rsa_key, split_url, trusted};

const URL: &str = "https://d111111abcdef8.cloudfront.net/downloads/app.tar.gz";
const NOW: u64 = 1_800_000_000;

fn key_args() -> [(&'static str, String); 2] {
    let k = rsa_key();
    [
        ("key-pair-id", k.id.to_string()),
        ("private-key", format!("file://{}", k.private.display())),
    ]
}

fn aws(extra: &[(&str, &str)]) -> String {
    let ka = key_args();
    let mut args: Vec<(&str, &str)> = ka.iter().map(|(k, v)| (*k, v.as_str())).collect();
    args.extend_from_slice(extra);
    aws_sign(&args)
}

#[test]
fn canned_epoch_and_iso_dates() {
    let by_epoch = aws(&[("url", URL), ("date-less-than", "1800003600")]);
    let by_iso = aws(&[("url", URL), ("date-less-than", "2027-01-15T08:00:00Z")]);
    assert!(by_epoch.contains("Expires=1800003600&"), "{by_epoch}");
    assert!(by_iso.contains("Expires=1800000000&"), "{by_iso}");
    for signed in [&by_epoch, &by_iso] {
        let p = split_url(signed);
        let ok = trusted()
            .verify(&p.request(&[], "203.0.113.5", NOW - 1))
            .expect("valid");
        assert_eq!(
            (ok.policy, ok.hash, ok.query()),
            (PolicyKind::Canned, HashAlgorithm::Sha1, None)
        );
    }
    // Expired at its own second.
    let e = trusted()
        .verify(&split_url(&by_iso).request(&[], "203.0.113.5", NOW))
        .expect_err("expired");
    assert_eq!(
        (e.code, e.reason),
        (DenyCode::AccessDenied, DenyReason::Expired)
    );

    // Our signer, same inputs, same bytes.
    let signer = Signer {
        key_pair_id: rsa_key().id.into(),
        key: SigningKey::from_pem(&std::fs::read_to_string(&rsa_key().private).expect("read"))
            .expect("key"),
        hash: HashAlgorithm::Sha1,
    };
    assert_eq!(
        signer
            .signed_url(
                URL,
                &SignPolicy::Canned {
                    expires: 1_800_003_600
                }
            )
            .expect("signs"),
        by_epoch
    );
}

#[test]
fn custom_date_greater_than() {
    let signed = aws(&[
        ("url", URL),
        ("date-less-than", "1800003600"),
        ("date-greater-than", "1799999000"),
    ]);
    assert!(signed.contains("?Policy="), "{signed}");
    let p = split_url(&signed);
    let ok = trusted()
        .verify(&p.request(&[], "203.0.113.5", NOW))
        .expect("valid");
    assert_eq!(ok.policy, PolicyKind::Custom);
    let e = trusted()
        .verify(&p.request(&[], "203.0.113.5", 1_799_999_000))
        .expect_err("early");
    assert_eq!(
        (e.code, e.reason),
        (DenyCode::AccessDenied, DenyReason::NotYetValid)
    );
}

#[test]
fn custom_ip_address() {
    let signed = aws(&[
        ("url", URL),
        ("date-less-than", "1800003600"),
        ("ip-address", "203.0.113.0/28"),
    ]);
    let p = split_url(&signed);
    trusted()
        .verify(&p.request(&[], "203.0.113.15", NOW))
        .expect("inside");
    let e = trusted()
        .verify(&p.request(&[], "203.0.113.16", NOW))
        .expect_err("outside");
    assert_eq!(
        (e.code, e.reason),
        (DenyCode::AccessDenied, DenyReason::IpMismatch)
    );
}

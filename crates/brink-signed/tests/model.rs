//! From a configuration file to a verdict: brink-model's example edge file (its
//! `PublicKeys`, `KeyGroups`, a behavior with `TrustedKeyGroups`), parsed keys, the
//! per-behavior table, and requests signed for that behavior; legacy `TrustedSigners` too.

use brink_model::EdgeFile;
use brink_signed::{
    DenyCode, HashAlgorithm, KeyOptions, KeyRing, SignPolicy, SignedBehaviors, SignedRequest,
    Signer, SigningKey,
};

const KEY: &str = include_str!("fixtures/worked-example-rsa1024.pem");

fn example() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../brink-model/examples-data/three-distributions.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("example file")).expect("json")
}

fn load(v: &serde_json::Value) -> (brink_model::Model, KeyRing) {
    let file = EdgeFile::from_json(&v.to_string()).expect("parses");
    let model = brink_model::validate(&file).expect("valid");
    // The example's key K2JCJMDEHXQW5F is the RSA-1024 one of cloudfront.md §5.
    let ring = KeyRing::from_edge_file(&file, &KeyOptions { min_rsa_bits: 1024 }).expect("keys");
    (model, ring)
}

fn signed_query(url: &str) -> String {
    let signer = Signer {
        key_pair_id: "K2JCJMDEHXQW5F".into(),
        key: SigningKey::from_pem(KEY).expect("key"),
        hash: HashAlgorithm::Sha1,
    };
    let u = signer
        .signed_url(
            url,
            &SignPolicy::Canned {
                expires: 2_000_000_000,
            },
        )
        .expect("signs");
    u.split_once('?').expect("query").1.to_string()
}

#[test]
fn default_options_name_the_small_key() {
    let file = EdgeFile::from_json(&example().to_string()).expect("parses");
    let errs = KeyRing::from_edge_file(&file, &KeyOptions::default()).expect_err("RSA-1024");
    let ids: Vec<&str> = errs.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["K2JCJMDEHXQW5F"], "{errs:?}");
}

#[test]
fn key_group_behavior_verifies_and_others_need_nothing() {
    let (model, ring) = load(&example());
    assert_eq!(ring.len(), 2);
    let table = SignedBehaviors::compile(&model, &ring);
    let d = &model.distributions()[0];
    let private = d.select_behavior_index("/private/movie.mp4");
    let keys = table
        .get(0, private)
        .expect("the /private/*.mp4 behavior requires signatures");
    assert_eq!(keys.len(), 2, "both keys of the group");
    let public = d.select_behavior_index("/static/a.css");
    assert!(table.get(0, public).is_none());
    assert!(
        table.get(0, d.behaviors().len() - 1).is_none(),
        "default behavior"
    );
    assert!(table.get(99, 0).is_none());

    let q = signed_query("https://www.example.com/private/movie.mp4?t=1");
    let req = SignedRequest {
        scheme: "https",
        host: "www.example.com",
        path: "/private/movie.mp4",
        query: Some(&q),
        cookies: &[],
        peer: "192.0.2.1".parse().expect("ip"),
        now: 1_900_000_000,
    };
    assert_eq!(keys.verify(&req).expect("valid").query(), Some("t=1"));
    let unsigned = SignedRequest {
        query: Some("t=1"),
        ..req
    };
    assert_eq!(
        keys.verify(&unsigned).expect_err("unsigned").code,
        DenyCode::MissingKey
    );
}

#[test]
fn legacy_trusted_signers_trust_every_key_of_the_file() {
    let mut v = example();
    let behaviors = v["Distributions"][0]["DistributionConfig"]["CacheBehaviors"]["Items"]
        .as_array_mut()
        .expect("behaviors");
    let b = behaviors
        .iter_mut()
        .find(|b| b["PathPattern"] == "/private/*.mp4")
        .expect("the private behavior");
    b["TrustedKeyGroups"] = serde_json::json!({"Enabled": false, "Quantity": 0});
    b["TrustedSigners"] = serde_json::json!({"Enabled": true, "Quantity": 1, "Items": ["self"]});
    let (model, ring) = load(&v);
    let table = SignedBehaviors::compile(&model, &ring);
    let i = model.distributions()[0].select_behavior_index("/private/movie.mp4");
    let keys = table.get(0, i).expect("legacy signers require signatures");
    assert_eq!(keys.len(), 2);
    let q = signed_query("https://www.example.com/private/movie.mp4");
    let req = SignedRequest {
        scheme: "https",
        host: "www.example.com",
        path: "/private/movie.mp4",
        query: Some(&q),
        cookies: &[],
        peer: "192.0.2.1".parse().expect("ip"),
        now: 1_900_000_000,
    };
    assert_eq!(keys.verify(&req).expect("valid").query(), None);
}

#[test]
fn tables_are_shareable_across_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<SignedBehaviors>();
    send_sync::<brink_signed::TrustedKeys>();
    send_sync::<KeyRing>();
}

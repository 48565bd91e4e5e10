use brink_model::raw::{HttpVersion, PriceClass};
use brink_model::EdgeFile;
use serde_json::Value;

use crate::example;

const JSON_EXAMPLES: [&str; 4] = [
    "cli-minimal.json",
    "get-distribution.json",
    "get-streaming-distribution.json",
    "three-distributions.json",
];

#[test]
fn json_types_json_types_is_stable() {
    for name in JSON_EXAMPLES {
        let first = EdgeFile::from_json(&example(name)).unwrap();
        let json = first.to_json_pretty().unwrap();
        let second = EdgeFile::from_json(&json).unwrap();
        assert_eq!(first, second, "{name}");
        // And the second serialisation is byte-identical to the first.
        assert_eq!(json, second.to_json_pretty().unwrap(), "{name}");
    }
}

#[test]
fn complete_echoes_round_trip_verbatim() {
    // get-distribution.json and get-streaming-distribution.json are written the way
    // CloudFront echoes a distribution: every field they contain must come back with the
    // same value.
    for name in ["get-distribution.json", "get-streaming-distribution.json"] {
        let text = example(name);
        let original: Value = serde_json::from_str(&text).unwrap();
        let file = EdgeFile::from_json(&text).unwrap();
        let echoed: Value = serde_json::from_str(&file.to_json_pretty().unwrap()).unwrap();
        assert_contains(&echoed, &original, name);
    }
}

/// Every field of `want` is in `got` with the same value (`got` may add defaults).
fn assert_contains(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let gv = g
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k} missing after round trip"));
                assert_contains(gv, wv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{path}");
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                assert_contains(gv, wv, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

#[test]
fn minimal_input_is_echoed_with_cloudfront_defaults() {
    let file = EdgeFile::from_json(&example("cli-minimal.json")).unwrap();
    let v: Value = serde_json::from_str(&file.to_json_pretty().unwrap()).unwrap();
    let c = &v["Distributions"][0]["DistributionConfig"];
    assert_eq!(c["Aliases"], serde_json::json!({ "Quantity": 0 }));
    assert_eq!(c["DefaultRootObject"], "");
    assert_eq!(c["OriginGroups"]["Quantity"], 0);
    assert_eq!(c["CacheBehaviors"]["Quantity"], 0);
    assert_eq!(c["CustomErrorResponses"]["Quantity"], 0);
    assert_eq!(c["PriceClass"], "PriceClass_All");
    assert_eq!(c["HttpVersion"], "http2");
    assert_eq!(c["WebACLId"], "");
    assert_eq!(c["Staging"], false);
    assert_eq!(c["ContinuousDeploymentPolicyId"], "");
    assert_eq!(
        c["Logging"],
        serde_json::json!({ "Enabled": false, "IncludeCookies": false, "Bucket": "", "Prefix": "" })
    );
    assert_eq!(
        c["ViewerCertificate"],
        serde_json::json!({ "CloudFrontDefaultCertificate": true,
                            "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront" })
    );
    assert_eq!(
        c["Restrictions"],
        serde_json::json!({ "GeoRestriction": { "RestrictionType": "none", "Quantity": 0 } })
    );
    let o = &c["Origins"]["Items"][0];
    assert_eq!(o["ConnectionAttempts"], 3);
    assert_eq!(o["ConnectionTimeout"], 10);
    assert_eq!(o["CustomHeaders"], serde_json::json!({ "Quantity": 0 }));
    assert_eq!(o["OriginShield"], serde_json::json!({ "Enabled": false }));
    assert_eq!(o["OriginAccessControlId"], "");
    let b = &c["DefaultCacheBehavior"];
    assert_eq!(
        b["AllowedMethods"],
        serde_json::json!({ "Quantity": 2, "Items": ["HEAD", "GET"],
                            "CachedMethods": { "Quantity": 2, "Items": ["HEAD", "GET"] } })
    );
    assert_eq!(
        b["TrustedKeyGroups"],
        serde_json::json!({ "Enabled": false, "Quantity": 0 })
    );
    assert_eq!(b["LambdaFunctionAssociations"]["Quantity"], 0);
    assert_eq!(b["FunctionAssociations"]["Quantity"], 0);
    assert_eq!(b["SmoothStreaming"], false);
    assert_eq!(b["Compress"], false);
    assert_eq!(b["FieldLevelEncryptionId"], "");
    let custom = &v["Distributions"][1]["DistributionConfig"]["Origins"]["Items"][0];
    assert_eq!(custom["CustomOriginConfig"]["OriginReadTimeout"], 30);
    assert_eq!(custom["CustomOriginConfig"]["OriginKeepaliveTimeout"], 5);

    let d = &file.distributions[0].distribution_config;
    assert_eq!(d.price_class, PriceClass::PriceClassAll);
    assert_eq!(d.http_version, HttpVersion::Http2);
}

#[test]
fn yaml_and_json_describe_the_same_file() {
    let from_json = EdgeFile::from_json(&example("three-distributions.json")).unwrap();
    let from_yaml = EdgeFile::from_yaml(&example("three-distributions.yaml")).unwrap();
    assert_eq!(from_json, from_yaml);
    // YAML written by us reads back equal too.
    let yaml = from_json.to_yaml().unwrap();
    assert_eq!(EdgeFile::from_yaml(&yaml).unwrap(), from_json);
}

#[test]
fn response_code_accepts_numbers_but_writes_strings() {
    let file = EdgeFile::from_yaml(&example("three-distributions.yaml")).unwrap();
    let v: Value = serde_json::from_str(&file.to_json_pretty().unwrap()).unwrap();
    let items = &v["Distributions"][0]["DistributionConfig"]["CustomErrorResponses"]["Items"];
    assert_eq!(items[0]["ResponseCode"], "200");
    assert_eq!(items[1]["ResponseCode"], "200");
}

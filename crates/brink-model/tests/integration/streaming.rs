use brink_model::{
    generated_streaming_domain_name, validate, validate_with, EdgeFile, StreamingOrigin,
    ValidateOptions,
};
use serde_json::{json, Value};

use crate::bad_configs::{errors, expect, expect_only, set};

const S0: &str = "StreamingDistributions[0].StreamingDistributionConfig";

/// A web distribution, a public key and two streaming distributions, as the aws CLI prints
/// them (`get-streaming-distribution`'s shape, read-only fields included in the first).
fn file() -> Value {
    json!({
        "Distributions": [{
            "Id": "EWEB",
            "DistributionConfig": {
                "CallerReference": "web",
                "Aliases": { "Quantity": 1, "Items": ["www.example.com"] },
                "Origins": { "Quantity": 1, "Items": [{ "Id": "o", "DomainName": "o.example.com",
                    "CustomOriginConfig": { "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only" } }] },
                "DefaultCacheBehavior": { "TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6" },
                "Enabled": true
            }
        }],
        "StreamingDistributions": [{
            "Id": "ESTREAM1",
            "ARN": "arn:aws:cloudfront::123456789012:streaming-distribution/ESTREAM1",
            "Status": "Deployed",
            "LastModifiedTime": "2020-05-01T10:00:00.000Z",
            "DomainName": "s5c39gqb8ow64r.cloudfront.net",
            "ActiveTrustedSigners": { "Enabled": true, "Quantity": 0 },
            "StreamingDistributionConfig": {
                "CallerReference": "stream-1",
                "S3Origin": { "DomainName": "media.s3.amazonaws.com",
                              "OriginAccessIdentity": "origin-access-identity/cloudfront/E2OAI" },
                "Aliases": { "Quantity": 2, "Items": ["rtmp.example.com", "*.live.example.com"] },
                "Comment": "lectures",
                "Logging": { "Enabled": true, "Bucket": "logs.s3.amazonaws.com", "Prefix": "rtmp/" },
                "TrustedSigners": { "Enabled": true, "Quantity": 1, "Items": ["self"] },
                "PriceClass": "PriceClass_100",
                "Enabled": true
            }
        }, {
            "Id": "ESTREAM2",
            "StreamingDistributionConfig": {
                "CallerReference": "stream-2",
                "S3Origin": { "DomainName": "127.0.0.1:8081", "OriginAccessIdentity": "" },
                "Comment": "",
                "TrustedSigners": { "Enabled": false, "Quantity": 0 },
                "Enabled": false
            }
        }],
        "PublicKeys": [{
            "Id": "KSIGNER1",
            "PublicKeyConfig": { "CallerReference": "k", "Name": "k1",
                "EncodedKey": "-----BEGIN PUBLIC KEY-----\nMFw=\n-----END PUBLIC KEY-----\n" }
        }]
    })
}

fn parse(v: &Value) -> EdgeFile {
    EdgeFile::from_json(&v.to_string()).unwrap_or_else(|e| panic!("parse: {e}"))
}

#[test]
fn streaming_distributions_compile_and_are_found_by_host() {
    let opts = ValidateOptions {
        cdn_domain: "cdn.test".into(),
    };
    let model = validate_with(&parse(&file()), &opts).expect("valid");
    assert_eq!(model.streaming_distributions().len(), 2);

    let s1 = model
        .streaming_by_host("S5C39GQB8OW64R.cloudfront.net:1935")
        .expect("by domain name");
    assert_eq!(s1.id, "ESTREAM1");
    assert!(s1.enabled);
    assert_eq!(s1.comment, "lectures");
    assert_eq!(
        s1.origin,
        StreamingOrigin::S3 {
            bucket: "media".into(),
            region: "us-east-1".into(),
            domain_name: "media.s3.amazonaws.com".into(),
        }
    );
    assert!(s1.origin.https());
    assert_eq!(
        s1.origin_access_identity.as_deref(),
        Some("origin-access-identity/cloudfront/E2OAI")
    );
    assert!(s1.requires_signature());
    assert_eq!(s1.trusted_signers, ["self"]);
    assert!(s1.trusted_key("KSIGNER1").is_some());
    assert!(s1.trusted_key("KOTHER").is_none());
    assert_eq!(
        s1.logging.as_ref().map(|l| l.prefix.as_str()),
        Some("rtmp/")
    );
    assert_eq!(s1.price_class.as_str(), "PriceClass_100");

    // Aliases, exact and wildcard, like web distributions' Host routing.
    assert_eq!(
        model
            .streaming_by_host("rtmp.example.com")
            .map(|s| &s.id[..]),
        Some("ESTREAM1")
    );
    assert_eq!(
        model
            .streaming_by_host("eu.live.example.com.")
            .map(|s| &s.id[..]),
        Some("ESTREAM1")
    );
    assert!(model.streaming_by_host("live.example.com").is_none());

    // No DomainName: `s` + 13 + the CDN domain, stable for an id.
    let s2 = model.streaming_by_id("ESTREAM2").expect("by id");
    let generated = generated_streaming_domain_name("ESTREAM2", "cdn.test");
    assert_eq!(s2.domain_name, generated);
    assert!(generated.starts_with('s') && generated.len() == "s".len() + 13 + ".cdn.test".len());
    assert_eq!(
        model.streaming_by_host(&generated).map(|s| &s.id[..]),
        Some("ESTREAM2")
    );
    assert!(
        !s2.enabled,
        "disabled distributions are found; the listener refuses them"
    );
    assert_eq!(
        s2.origin,
        StreamingOrigin::Http {
            host: "127.0.0.1".into(),
            port: 8081
        }
    );
    assert!(!s2.requires_signature() && s2.trusted_keys.is_empty());

    // Web and streaming names live apart: a web name is no RTMP host and the other way.
    assert!(model.streaming_by_host("www.example.com").is_none());
    assert!(model.route("rtmp.example.com").is_none());
    assert!(model.route("www.example.com").is_some());
}

#[test]
fn the_cli_shape_round_trips_with_defaults_filled() {
    let mut v = file();
    // Only the required members; everything else is defaulted.
    set(
        &mut v,
        "/StreamingDistributions/1/StreamingDistributionConfig",
        json!({ "CallerReference": "c", "S3Origin": { "DomainName": "b1.s3.amazonaws.com" }, "Enabled": true }),
    );
    let f = parse(&v);
    let json = f.to_json_pretty().expect("json");
    let echoed: Value = serde_json::from_str(&json).expect("json");
    let cfg = &echoed["StreamingDistributions"][1]["StreamingDistributionConfig"];
    assert_eq!(cfg["S3Origin"]["OriginAccessIdentity"], "");
    assert_eq!(cfg["Aliases"]["Quantity"], 0);
    assert_eq!(
        cfg["TrustedSigners"],
        json!({"Enabled": false, "Quantity": 0})
    );
    assert_eq!(
        cfg["Logging"],
        json!({"Enabled": false, "Bucket": "", "Prefix": ""})
    );
    assert_eq!(cfg["PriceClass"], "PriceClass_All");
    assert_eq!(cfg["Comment"], "");
    assert_eq!(parse(&echoed), f);
    // The first one, written as CloudFront echoes it, comes back verbatim.
    assert_eq!(
        echoed["StreamingDistributions"][0],
        file()["StreamingDistributions"][0]
    );
    // YAML reads the same structure.
    let yaml = f.to_yaml().expect("yaml");
    assert_eq!(EdgeFile::from_yaml(&yaml).expect("yaml parses"), f);
}

#[test]
fn the_base_file_is_valid() {
    assert_eq!(errors(&file()), vec![]);
}

#[test]
fn origins_must_be_a_bucket_or_a_reachable_host() {
    for bad in [
        "",
        "http://media.example.com",
        "ec2.us-east-1.amazonaws.com",
        "host:99999",
        "a b",
    ] {
        let mut v = file();
        set(
            &mut v,
            "/StreamingDistributions/0/StreamingDistributionConfig/S3Origin/DomainName",
            json!(bad),
        );
        expect_only(&v, "InvalidOrigin", &format!("{S0}.S3Origin.DomainName"));
    }
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/0/StreamingDistributionConfig/S3Origin/DomainName",
        json!("media.s3.eu-central-1.amazonaws.com"),
    );
    let model = validate(&parse(&v)).expect("valid");
    assert!(matches!(
        &model.streaming_distributions()[0].origin,
        StreamingOrigin::S3 { region, .. } if region == "eu-central-1"
    ));
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/0/StreamingDistributionConfig/S3Origin/OriginAccessIdentity",
        json!("E2OAI"),
    );
    expect_only(
        &v,
        "InvalidOriginAccessIdentity",
        &format!("{S0}.S3Origin.OriginAccessIdentity"),
    );
}

#[test]
fn ids_caller_references_and_names_are_unique() {
    let mut v = file();
    set(&mut v, "/StreamingDistributions/1/Id", json!("ESTREAM1"));
    expect_only(
        &v,
        "StreamingDistributionAlreadyExists",
        "StreamingDistributions[1].Id",
    );
    let mut v = file();
    set(&mut v, "/StreamingDistributions/1/Id", json!("EWEB"));
    expect_only(
        &v,
        "StreamingDistributionAlreadyExists",
        "StreamingDistributions[1].Id",
    );
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/1/StreamingDistributionConfig/CallerReference",
        json!("stream-1"),
    );
    expect_only(
        &v,
        "StreamingDistributionAlreadyExists",
        "StreamingDistributions[1].StreamingDistributionConfig.CallerReference",
    );
    // An alias of a web distribution, or of another streaming one: CNAMEAlreadyExists.
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/0/StreamingDistributionConfig/Aliases",
        json!({"Quantity": 1, "Items": ["www.example.com"]}),
    );
    expect_only(&v, "CNAMEAlreadyExists", &format!("{S0}.Aliases.Items[0]"));
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/1/StreamingDistributionConfig/Aliases",
        json!({"Quantity": 1, "Items": ["RTMP.example.com"]}),
    );
    expect_only(
        &v,
        "CNAMEAlreadyExists",
        "StreamingDistributions[1].StreamingDistributionConfig.Aliases.Items[0]",
    );
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/1/DomainName",
        json!("s5c39gqb8ow64r.cloudfront.net"),
    );
    expect_only(
        &v,
        "CNAMEAlreadyExists",
        "StreamingDistributions[1].DomainName",
    );
}

#[test]
fn each_field_is_judged_with_cloudfronts_code() {
    let cases: [(&str, Value, &str, String); 9] = [
        (
            "/Aliases/Quantity",
            json!(3),
            "InconsistentQuantities",
            format!("{S0}.Aliases.Quantity"),
        ),
        (
            "/Aliases",
            json!({"Quantity": 1, "Items": ["not a name"]}),
            "InvalidArgument",
            format!("{S0}.Aliases.Items[0]"),
        ),
        (
            "/Aliases",
            json!({"Quantity": 101, "Items": (0..101).map(|i| format!("a{i}.example.com")).collect::<Vec<_>>()}),
            "TooManyStreamingDistributionCNAMEs",
            format!("{S0}.Aliases.Items"),
        ),
        (
            "/TrustedSigners",
            json!({"Enabled": true, "Quantity": 6, "Items": ["self", "111111111111", "222222222222", "333333333333", "444444444444", "555555555555"]}),
            "TooManyTrustedSigners",
            format!("{S0}.TrustedSigners.Items"),
        ),
        (
            "/TrustedSigners",
            json!({"Enabled": true, "Quantity": 0}),
            "InvalidArgument",
            format!("{S0}.TrustedSigners.Enabled"),
        ),
        (
            "/TrustedSigners",
            json!({"Enabled": true, "Quantity": 1, "Items": ["12"]}),
            "InvalidArgument",
            format!("{S0}.TrustedSigners.Items[0]"),
        ),
        (
            "/Logging/Bucket",
            json!(""),
            "InvalidArgument",
            format!("{S0}.Logging.Bucket"),
        ),
        (
            "/Comment",
            json!("x".repeat(129)),
            "InvalidArgument",
            format!("{S0}.Comment"),
        ),
        (
            "/CallerReference",
            json!(""),
            "InvalidArgument",
            format!("{S0}.CallerReference"),
        ),
    ];
    for (pointer, value, code, path) in cases {
        let mut v = file();
        set(
            &mut v,
            &format!("/StreamingDistributions/0/StreamingDistributionConfig{pointer}"),
            value,
        );
        expect_only(&v, code, &path);
    }
    let mut v = file();
    set(&mut v, "/StreamingDistributions/0/Id", json!("bad id"));
    expect(&v, "InvalidArgument", "StreamingDistributions[0].Id");
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/0/DomainName",
        json!("not a host"),
    );
    expect(
        &v,
        "InvalidArgument",
        "StreamingDistributions[0].DomainName",
    );
}

#[test]
fn too_many_streaming_distributions() {
    let mut v = file();
    let one = v["StreamingDistributions"][1].clone();
    let many: Vec<Value> = (0..101)
        .map(|i| {
            let mut d = one.clone();
            d["Id"] = json!(format!("EMANY{i}"));
            d["StreamingDistributionConfig"]["CallerReference"] = json!(format!("many-{i}"));
            d
        })
        .collect();
    v["StreamingDistributions"] = Value::Array(many);
    expect_only(
        &v,
        "TooManyStreamingDistributions",
        "StreamingDistributions",
    );
}

#[test]
fn schema_mistakes_name_the_field() {
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/0/StreamingDistributionConfig/S3Origin/Bucket",
        json!("x"),
    );
    let e = EdgeFile::from_json(&v.to_string()).unwrap_err();
    assert!(
        e.path
            .starts_with("StreamingDistributions[0].StreamingDistributionConfig.S3Origin"),
        "{e}"
    );
    assert!(e.message.contains("Bucket"), "{e}");
    let mut v = file();
    set(
        &mut v,
        "/StreamingDistributions/0/StreamingDistributionConfig/PriceClass",
        json!("PriceClass_Cheap"),
    );
    let e = EdgeFile::from_json(&v.to_string()).unwrap_err();
    assert_eq!(
        e.path,
        "StreamingDistributions[0].StreamingDistributionConfig.PriceClass"
    );
}

mod origin_prop {
    use brink_model::{validate, EdgeFile, StreamingOrigin};
    use proptest::prelude::*;
    use serde_json::json;

    /// Inputs near the grammar: bucket-ish labels, `s3`, regions, ports, brackets, junk.
    fn domain() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            "[a-z0-9.-]{0,12}",
            Just("s3".to_owned()),
            Just("s3-us-west-2".to_owned()),
            Just("eu-west-1".to_owned()),
            Just("amazonaws".to_owned()),
            Just("com".to_owned()),
            "[A-Z:\\[\\]0-9]{0,6}",
            any::<String>(),
        ];
        proptest::collection::vec(part, 1..6).prop_map(|p| p.join("."))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// What parses, parses again to itself from its own form, and validates in a file
        /// to the same origin (the fuzz target `streaming_origin` checks the same).
        #[test]
        fn parsed_origins_round_trip_and_validate(domain in domain()) {
            if let Ok(origin) = StreamingOrigin::parse(&domain) {
                let again = match &origin {
                    StreamingOrigin::S3 { domain_name, .. } => StreamingOrigin::parse(domain_name),
                    StreamingOrigin::Http { host, port } => {
                        StreamingOrigin::parse(&format!("{host}:{port}"))
                    }
                    _ => Ok(origin.clone()),
                };
                prop_assert_eq!(again.as_ref(), Ok(&origin));
                let file = json!({"StreamingDistributions": [{"Id": "E1",
                    "StreamingDistributionConfig": {"CallerReference": "c", "Enabled": true,
                        "S3Origin": {"DomainName": domain}}}]});
                let file = EdgeFile::from_json(&file.to_string()).expect("shape");
                let model = validate(&file).expect("a parsed origin validates");
                prop_assert_eq!(&model.streaming_distributions()[0].origin, &origin);
            }
        }
    }
}

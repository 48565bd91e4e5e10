mod behaviors;
mod distribution;
mod origins;
mod policies;

use brink_model::{validate, ConfigError, EdgeFile};
use serde_json::{json, Value};

/// A valid file touching most features; each test breaks one thing.
pub(super) fn base() -> Value {
    json!({
        "Distributions": [{
            "Id": "E1BASE",
            "DistributionConfig": {
                "CallerReference": "base-1",
                "Aliases": { "Quantity": 1, "Items": ["www.example.com"] },
                "DefaultRootObject": "index.html",
                "Origins": { "Quantity": 2, "Items": [
                    { "Id": "web", "DomainName": "web.example.com",
                      "CustomOriginConfig": { "HTTPPort": 80, "HTTPSPort": 443,
                                              "OriginProtocolPolicy": "https-only" } },
                    { "Id": "bucket", "DomainName": "b.s3.amazonaws.com",
                      "S3OriginConfig": { "OriginAccessIdentity": "" } }
                ]},
                "OriginGroups": { "Quantity": 1, "Items": [{
                    "Id": "grp",
                    "FailoverCriteria": { "StatusCodes": { "Quantity": 1, "Items": [503] } },
                    "Members": { "Quantity": 2, "Items": [{ "OriginId": "web" }, { "OriginId": "bucket" }] }
                }]},
                "DefaultCacheBehavior": {
                    "TargetOriginId": "grp",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"
                },
                "CacheBehaviors": { "Quantity": 1, "Items": [{
                    "PathPattern": "/legacy/*",
                    "TargetOriginId": "bucket",
                    "ViewerProtocolPolicy": "allow-all",
                    "ForwardedValues": { "QueryString": false, "Cookies": { "Forward": "none" } },
                    "MinTTL": 0
                }]},
                "CustomErrorResponses": { "Quantity": 1, "Items": [
                    { "ErrorCode": 404, "ResponsePagePath": "/404.html", "ResponseCode": "404" }
                ]},
                "Restrictions": { "GeoRestriction": { "RestrictionType": "none", "Quantity": 0 } },
                "Comment": "",
                "Enabled": true
            }
        }],
        "CachePolicies": [{
            "Id": "cp-1",
            "CachePolicyConfig": {
                "Name": "custom",
                "MinTTL": 0,
                "ParametersInCacheKeyAndForwardedToOrigin": {
                    "EnableAcceptEncodingGzip": false,
                    "HeadersConfig": { "HeaderBehavior": "none" },
                    "CookiesConfig": { "CookieBehavior": "none" },
                    "QueryStringsConfig": { "QueryStringBehavior": "none" }
                }
            }
        }],
        "PublicKeys": [{
            "Id": "KBASE1",
            "PublicKeyConfig": {
                "CallerReference": "k", "Name": "k1",
                "EncodedKey": "-----BEGIN PUBLIC KEY-----\nMFw=\n-----END PUBLIC KEY-----\n"
            }
        }],
        "KeyGroups": [{ "Id": "kg-1", "KeyGroupConfig": { "Name": "g1", "Items": ["KBASE1"] } }],
        "Certificates": [{ "Id": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
                           "CertificateFile": "www.pem", "PrivateKeyFile": "www.key" }]
    })
}

pub(super) const D0: &str = "Distributions[0].DistributionConfig";

/// Sets (or adds) the field at a JSON pointer.
pub(super) fn set(v: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    let target = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match target {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("array index")] = value,
        other => panic!("{parent} is {other}"),
    }
}

pub(super) fn remove(v: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    v.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent object")
        .remove(key);
}

pub(super) fn errors(v: &Value) -> Vec<ConfigError> {
    let file = EdgeFile::from_json(&v.to_string()).unwrap_or_else(|e| panic!("parse: {e}"));
    match validate(&file) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}

/// Exactly one problem, with this code at this path.
#[track_caller]
pub(super) fn expect_only(v: &Value, code: &str, path: &str) {
    let errs = errors(v);
    assert!(
        errs.len() == 1 && errs[0].code == code && errs[0].path == path,
        "wanted only {code} at {path}, got {errs:#?}"
    );
}

/// At least this problem (others may come with it).
#[track_caller]
pub(super) fn expect(v: &Value, code: &str, path: &str) {
    let errs = errors(v);
    assert!(
        errs.iter().any(|e| e.code == code && e.path == path),
        "wanted {code} at {path}, got {errs:#?}"
    );
}

pub(super) fn origin(id: usize) -> Value {
    json!({ "Id": format!("o{id}"), "DomainName": format!("o{id}.example.com"),
            "CustomOriginConfig": { "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only" } })
}

#[test]
fn base_is_valid() {
    assert_eq!(errors(&base()), vec![]);
}

#[test]
fn quantity_differs_from_items() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Aliases/Quantity",
        json!(2),
    );
    expect_only(
        &v,
        "InconsistentQuantities",
        &format!("{D0}.Aliases.Quantity"),
    );
    let mut v = base();
    set(&mut v, "/CachePolicies/0/CachePolicyConfig/ParametersInCacheKeyAndForwardedToOrigin/HeadersConfig/Headers", json!({ "Quantity": 1 }));
    expect(
        &v,
        "InconsistentQuantities",
        "CachePolicies[0].CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers.Quantity",
    );
}

#[test]
fn parse_errors_carry_the_path() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/DefaultCacheBehavior/ViewerProtocolPolicy",
        json!("https-please"),
    );
    let e = EdgeFile::from_json(&v.to_string()).unwrap_err();
    assert_eq!(
        e.path,
        "Distributions[0].DistributionConfig.DefaultCacheBehavior.ViewerProtocolPolicy"
    );
    assert!(e.message.contains("https-please"), "{e}");

    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/0/Colour",
        json!("blue"),
    );
    let e = EdgeFile::from_json(&v.to_string()).unwrap_err();
    assert!(e.message.contains("Colour"), "{e}");
    assert!(
        e.path
            .starts_with("Distributions[0].DistributionConfig.Origins.Items[0]"),
        "{e}"
    );

    let e = EdgeFile::from_yaml(
        "Distributions:\n  - Id: E1\n    DistributionConfig:\n      Enabled: maybe\n",
    )
    .unwrap_err();
    assert_eq!(e.format, "YAML");
    assert_eq!(e.path, "Distributions[0].DistributionConfig.Enabled");
    assert_eq!((e.line, e.column), (4, 16));
    assert!(e.message.starts_with("invalid type"), "{e}");
    let as_config: ConfigError = e.into();
    assert_eq!(as_config.code, "InvalidArgument");
    assert!(
        as_config.path.starts_with("Distributions[0]"),
        "{as_config}"
    );
}

#[test]
fn one_file_many_mistakes_all_reported() {
    let mut v = base();
    let d = "/Distributions/0/DistributionConfig";
    set(
        &mut v,
        &format!("{d}/DefaultRootObject"),
        json!("/index.html"),
    );
    set(
        &mut v,
        &format!("{d}/Origins/Items/0/CustomOriginConfig/HTTPSPort"),
        json!(22),
    );
    set(
        &mut v,
        &format!("{d}/CacheBehaviors/Items/0/TargetOriginId"),
        json!("nope"),
    );
    set(
        &mut v,
        &format!("{d}/CacheBehaviors/Items/0/DefaultTTL"),
        json!(10),
    );
    set(
        &mut v,
        &format!("{d}/CacheBehaviors/Items/0/MaxTTL"),
        json!(5),
    );
    set(
        &mut v,
        &format!("{d}/CustomErrorResponses/Items/0/ErrorCode"),
        json!(200),
    );
    set(&mut v, &format!("{d}/Aliases/Quantity"), json!(3));
    set(
        &mut v,
        &format!("{d}/Restrictions/GeoRestriction"),
        json!({ "RestrictionType": "blacklist", "Quantity": 1, "Items": ["ZZ"] }),
    );
    set(
        &mut v,
        &format!("{d}/DefaultCacheBehavior/CachePolicyId"),
        json!("missing"),
    );
    set(
        &mut v,
        "/CachePolicies/0/CachePolicyConfig/MinTTL",
        json!(100),
    );
    set(
        &mut v,
        "/CachePolicies/0/CachePolicyConfig/DefaultTTL",
        json!(1),
    );

    let errs = errors(&v);
    let mut got: Vec<(String, String)> = errs
        .iter()
        .map(|e| (e.code.to_string(), e.path.clone()))
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        (
            "InvalidDefaultRootObject",
            format!("{D0}.DefaultRootObject"),
        ),
        (
            "InvalidOrigin",
            format!("{D0}.Origins.Items[0].CustomOriginConfig.HTTPSPort"),
        ),
        (
            "NoSuchOrigin",
            format!("{D0}.CacheBehaviors.Items[0].TargetOriginId"),
        ),
        (
            "InvalidTTLOrder",
            format!("{D0}.CacheBehaviors.Items[0].MaxTTL"),
        ),
        (
            "InvalidErrorCode",
            format!("{D0}.CustomErrorResponses.Items[0].ErrorCode"),
        ),
        ("InconsistentQuantities", format!("{D0}.Aliases.Quantity")),
        (
            "InvalidLocationCode",
            format!("{D0}.Restrictions.GeoRestriction.Items[0]"),
        ),
        (
            "NoSuchCachePolicy",
            format!("{D0}.DefaultCacheBehavior.CachePolicyId"),
        ),
        (
            "InvalidTTLOrder",
            "CachePolicies[0].CachePolicyConfig.DefaultTTL".to_string(),
        ),
    ]
    .into_iter()
    .map(|(c, p)| (c.to_string(), p))
    .collect();
    want.sort();
    assert_eq!(got, want);
    // Display names code, path and problem.
    let shown = errs[0].to_string();
    assert!(
        shown.starts_with(&format!("{} at {}: ", errs[0].code, errs[0].path)),
        "{shown}"
    );
}

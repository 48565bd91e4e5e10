//! Cache behaviors: targets, patterns, methods, legacy settings, signers, functions.

use serde_json::{json, Value};

use super::{base, errors, expect_only, remove, set, D0};

#[test]
fn legacy_ttls_out_of_order() {
    let mut v = base();
    let b = "/Distributions/0/DistributionConfig/CacheBehaviors/Items/0";
    set(&mut v, &format!("{b}/MinTTL"), json!(100));
    set(&mut v, &format!("{b}/DefaultTTL"), json!(50));
    expect_only(
        &v,
        "InvalidTTLOrder",
        &format!("{D0}.CacheBehaviors.Items[0].DefaultTTL"),
    );
}

#[test]
fn legacy_min_ttl_above_default_defaults_upward() {
    // §2.1: MinTTL above 86400 pulls the omitted DefaultTTL (and MaxTTL) up with it.
    let mut v = base();
    let b = "/Distributions/0/DistributionConfig/CacheBehaviors/Items/0";
    set(&mut v, &format!("{b}/MinTTL"), json!(40_000_000));
    assert_eq!(errors(&v), vec![]);
    set(&mut v, &format!("{b}/MaxTTL"), json!(100));
    expect_only(
        &v,
        "InvalidTTLOrder",
        &format!("{D0}.CacheBehaviors.Items[0].MaxTTL"),
    );
}

#[test]
fn target_origin_unknown() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/CacheBehaviors/Items/0/TargetOriginId",
        json!("nope"),
    );
    expect_only(
        &v,
        "NoSuchOrigin",
        &format!("{D0}.CacheBehaviors.Items[0].TargetOriginId"),
    );
}

#[test]
fn too_many_cache_behaviors() {
    let mut v = base();
    let items: Vec<Value> = (0..76)
        .map(|i| {
            json!({ "PathPattern": format!("/p{i}/*"), "TargetOriginId": "web",
                    "ViewerProtocolPolicy": "allow-all",
                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" })
        })
        .collect();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/CacheBehaviors",
        json!({ "Quantity": 76, "Items": items }),
    );
    expect_only(
        &v,
        "TooManyCacheBehaviors",
        &format!("{D0}.CacheBehaviors.Items"),
    );
}

#[test]
fn path_patterns() {
    let b = "/Distributions/0/DistributionConfig/CacheBehaviors/Items/0/PathPattern";
    let p = format!("{D0}.CacheBehaviors.Items[0].PathPattern");
    let mut v = base();
    set(&mut v, b, json!("/images/*.jpg?size=1"));
    expect_only(&v, "InvalidArgument", &p);
    set(&mut v, b, json!(format!("/{}", "a".repeat(255))));
    expect_only(&v, "InvalidArgument", &p);
    set(&mut v, b, json!(""));
    expect_only(&v, "InvalidArgument", &p);
}

#[test]
fn duplicate_path_patterns() {
    let mut v = base();
    let items = v
        .pointer_mut("/Distributions/0/DistributionConfig/CacheBehaviors/Items")
        .unwrap()
        .as_array_mut()
        .unwrap();
    let mut dup = items[0].clone();
    dup["PathPattern"] = json!("legacy/*");
    items.push(dup);
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/CacheBehaviors/Quantity",
        json!(2),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{D0}.CacheBehaviors.Items[1].PathPattern"),
    );
}

#[test]
fn cache_policy_or_forwarded_values() {
    let b = "/Distributions/0/DistributionConfig/CacheBehaviors/Items/0";
    let p = format!("{D0}.CacheBehaviors.Items[0]");
    let mut v = base();
    set(&mut v, &format!("{b}/CachePolicyId"), json!("cp-1"));
    expect_only(&v, "InvalidArgument", &format!("{p}.ForwardedValues"));
    let mut v = base();
    remove(&mut v, &format!("{b}/ForwardedValues"));
    expect_only(&v, "InvalidArgument", &format!("{p}.CachePolicyId"));
    // Terraform's "" is "absent": legacy mode stays valid.
    let mut v = base();
    set(&mut v, &format!("{b}/CachePolicyId"), json!(""));
    set(&mut v, &format!("{b}/OriginRequestPolicyId"), json!(""));
    set(&mut v, &format!("{b}/ResponseHeadersPolicyId"), json!(""));
    assert_eq!(errors(&v), vec![]);
    // An origin request policy needs a cache policy.
    set(
        &mut v,
        &format!("{b}/OriginRequestPolicyId"),
        json!("216adef6-5c7f-47e4-b989-5492eafa07d3"),
    );
    expect_only(&v, "InvalidArgument", &format!("{p}.OriginRequestPolicyId"));
}

#[test]
fn unknown_policy_ids() {
    let b = "/Distributions/0/DistributionConfig/DefaultCacheBehavior";
    let p = format!("{D0}.DefaultCacheBehavior");
    let mut v = base();
    set(&mut v, &format!("{b}/CachePolicyId"), json!("no-such"));
    expect_only(&v, "NoSuchCachePolicy", &format!("{p}.CachePolicyId"));
    let mut v = base();
    set(
        &mut v,
        &format!("{b}/OriginRequestPolicyId"),
        json!("no-such"),
    );
    expect_only(
        &v,
        "NoSuchOriginRequestPolicy",
        &format!("{p}.OriginRequestPolicyId"),
    );
    let mut v = base();
    set(
        &mut v,
        &format!("{b}/ResponseHeadersPolicyId"),
        json!("no-such"),
    );
    expect_only(
        &v,
        "NoSuchResponseHeadersPolicy",
        &format!("{p}.ResponseHeadersPolicyId"),
    );
    // The file's own policy is found.
    let mut v = base();
    set(&mut v, &format!("{b}/CachePolicyId"), json!("cp-1"));
    assert_eq!(errors(&v), vec![]);
}

#[test]
fn cached_methods_not_subset() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/DefaultCacheBehavior/AllowedMethods",
        json!({ "Quantity": 2, "Items": ["GET", "HEAD"],
                "CachedMethods": { "Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"] } }),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{D0}.DefaultCacheBehavior.AllowedMethods.CachedMethods.Items"),
    );
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/DefaultCacheBehavior/AllowedMethods",
        json!({ "Quantity": 3, "Items": ["GET", "HEAD", "POST"] }),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{D0}.DefaultCacheBehavior.AllowedMethods.Items"),
    );
}

#[test]
fn legacy_forwarded_values_limits() {
    let f = "/Distributions/0/DistributionConfig/CacheBehaviors/Items/0/ForwardedValues";
    let p = format!("{D0}.CacheBehaviors.Items[0].ForwardedValues");
    let mut v = base();
    set(
        &mut v,
        &format!("{f}/Cookies"),
        json!({ "Forward": "whitelist" }),
    );
    expect_only(
        &v,
        "InvalidForwardCookies",
        &format!("{p}.Cookies.WhitelistedNames"),
    );
    let mut v = base();
    set(
        &mut v,
        &format!("{f}/Headers"),
        json!({ "Quantity": 1, "Items": ["Host"] }),
    );
    // The behavior targets the S3 origin.
    expect_only(
        &v,
        "InvalidHeadersForS3Origin",
        &format!("{p}.Headers.Items[0]"),
    );
    let mut v = base();
    let names: Vec<String> = (0..11).map(|i| format!("X-H{i}")).collect();
    set(
        &mut v,
        &format!("{f}/Headers"),
        json!({ "Quantity": 11, "Items": names }),
    );
    expect_only(
        &v,
        "TooManyHeadersInForwardedValues",
        &format!("{p}.Headers"),
    );
    let mut v = base();
    remove(
        &mut v,
        "/Distributions/0/DistributionConfig/CacheBehaviors/Items/0/MinTTL",
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{D0}.CacheBehaviors.Items[0].MinTTL"),
    );
}

#[test]
fn trusted_key_groups() {
    let b = "/Distributions/0/DistributionConfig/DefaultCacheBehavior/TrustedKeyGroups";
    let p = format!("{D0}.DefaultCacheBehavior.TrustedKeyGroups");
    let mut v = base();
    set(
        &mut v,
        b,
        json!({ "Enabled": true, "Quantity": 1, "Items": ["kg-1"] }),
    );
    assert_eq!(errors(&v), vec![]);
    set(
        &mut v,
        b,
        json!({ "Enabled": true, "Quantity": 2, "Items": ["kg-1", "kg-missing"] }),
    );
    expect_only(&v, "TrustedKeyGroupDoesNotExist", &format!("{p}.Items[1]"));
    set(&mut v, b, json!({ "Enabled": true, "Quantity": 0 }));
    expect_only(&v, "InvalidArgument", &format!("{p}.Enabled"));
}

#[test]
fn function_associations() {
    let b = "/Distributions/0/DistributionConfig/DefaultCacheBehavior";
    let p = format!("{D0}.DefaultCacheBehavior");
    let arn = "arn:aws:cloudfront::123456789012:function/rewrite";
    let mut v = base();
    set(
        &mut v,
        &format!("{b}/FunctionAssociations"),
        json!({ "Quantity": 1, "Items": [{ "FunctionARN": arn, "EventType": "origin-request" }] }),
    );
    expect_only(
        &v,
        "InvalidFunctionAssociation",
        &format!("{p}.FunctionAssociations.Items[0].EventType"),
    );
    set(
        &mut v,
        &format!("{b}/FunctionAssociations"),
        json!({ "Quantity": 1, "Items": [{ "FunctionARN": "rewrite", "EventType": "viewer-request" }] }),
    );
    expect_only(
        &v,
        "InvalidFunctionAssociation",
        &format!("{p}.FunctionAssociations.Items[0].FunctionARN"),
    );
    set(
        &mut v,
        &format!("{b}/LambdaFunctionAssociations"),
        json!({ "Quantity": 1, "Items": [{
            "LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:edge:$LATEST",
            "EventType": "origin-request" }] }),
    );
    set(
        &mut v,
        &format!("{b}/FunctionAssociations"),
        json!({ "Quantity": 0 }),
    );
    expect_only(
        &v,
        "InvalidLambdaFunctionAssociation",
        &format!("{p}.LambdaFunctionAssociations.Items[0].LambdaFunctionARN"),
    );
}

#[test]
fn field_level_encryption_and_continuous_deployment_are_unknown() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/DefaultCacheBehavior/FieldLevelEncryptionId",
        json!("FLE1"),
    );
    expect_only(
        &v,
        "NoSuchFieldLevelEncryptionConfig",
        &format!("{D0}.DefaultCacheBehavior.FieldLevelEncryptionId"),
    );
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/ContinuousDeploymentPolicyId",
        json!("cdp"),
    );
    expect_only(
        &v,
        "NoSuchContinuousDeploymentPolicy",
        &format!("{D0}.ContinuousDeploymentPolicyId"),
    );
}

#[test]
fn two_invalid_patterns_are_not_also_duplicates() {
    let mut v = base();
    let items = v
        .pointer_mut("/Distributions/0/DistributionConfig/CacheBehaviors/Items")
        .expect("items")
        .as_array_mut()
        .expect("array");
    items[0]["PathPattern"] = json!("/a b");
    let mut second = items[0].clone();
    second["PathPattern"] = json!("/c d");
    items.push(second);
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/CacheBehaviors/Quantity",
        json!(2),
    );
    let got: Vec<(&str, String)> = errors(&v)
        .iter()
        .map(|e| (e.code, e.path.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "InvalidArgument",
                format!("{D0}.CacheBehaviors.Items[0].PathPattern")
            ),
            (
                "InvalidArgument",
                format!("{D0}.CacheBehaviors.Items[1].PathPattern")
            ),
        ]
    );
}

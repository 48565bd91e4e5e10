//! Origins and origin groups (§7).

use serde_json::{json, Value};

use super::{base, errors, expect, expect_only, origin, remove, set, D0};

#[test]
fn origin_group_member_unknown() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/OriginGroups/Items/0/Members/Items/1/OriginId",
        json!("ghost"),
    );
    expect_only(
        &v,
        "NoSuchOrigin",
        &format!("{D0}.OriginGroups.Items[0].Members.Items[1].OriginId"),
    );
}

#[test]
fn origin_with_two_kinds() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/0/S3OriginConfig",
        json!({ "OriginAccessIdentity": "" }),
    );
    expect_only(&v, "InvalidOrigin", &format!("{D0}.Origins.Items[0]"));
}

#[test]
fn origin_with_no_kind() {
    let mut v = base();
    remove(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/0/CustomOriginConfig",
    );
    expect_only(&v, "InvalidOrigin", &format!("{D0}.Origins.Items[0]"));
}

#[test]
fn origin_port_out_of_range() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/0/CustomOriginConfig/HTTPPort",
        json!(81),
    );
    expect_only(
        &v,
        "InvalidOrigin",
        &format!("{D0}.Origins.Items[0].CustomOriginConfig.HTTPPort"),
    );
}

#[test]
fn origin_domain_empty() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/0/DomainName",
        json!(""),
    );
    expect_only(
        &v,
        "InvalidOrigin",
        &format!("{D0}.Origins.Items[0].DomainName"),
    );
}

#[test]
fn origin_path_with_trailing_slash() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/0/OriginPath",
        json!("/a/"),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{D0}.Origins.Items[0].OriginPath"),
    );
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/0/OriginPath",
        json!("a"),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{D0}.Origins.Items[0].OriginPath"),
    );
}

#[test]
fn duplicate_origin_ids() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins/Items/1/Id",
        json!("web"),
    );
    // The second "web" is refused; "bucket" is now unknown to the group and the legacy
    // behavior as well.
    expect(&v, "InvalidArgument", &format!("{D0}.Origins.Items[1].Id"));
    expect(
        &v,
        "NoSuchOrigin",
        &format!("{D0}.CacheBehaviors.Items[0].TargetOriginId"),
    );
}

#[test]
fn origin_timeouts_and_attempts_out_of_range() {
    let o = "/Distributions/0/DistributionConfig/Origins/Items/0";
    let p = format!("{D0}.Origins.Items[0]");
    let mut v = base();
    set(
        &mut v,
        &format!("{o}/CustomOriginConfig/OriginReadTimeout"),
        json!(0),
    );
    expect_only(
        &v,
        "InvalidOriginReadTimeout",
        &format!("{p}.CustomOriginConfig.OriginReadTimeout"),
    );
    let mut v = base();
    set(
        &mut v,
        &format!("{o}/CustomOriginConfig/OriginKeepaliveTimeout"),
        json!(121),
    );
    expect_only(
        &v,
        "InvalidOriginKeepaliveTimeout",
        &format!("{p}.CustomOriginConfig.OriginKeepaliveTimeout"),
    );
    let mut v = base();
    set(&mut v, &format!("{o}/ConnectionTimeout"), json!(11));
    expect_only(&v, "InvalidArgument", &format!("{p}.ConnectionTimeout"));
    let mut v = base();
    set(&mut v, &format!("{o}/ConnectionAttempts"), json!(4));
    expect_only(&v, "InvalidArgument", &format!("{p}.ConnectionAttempts"));
    let mut v = base();
    set(&mut v, &format!("{o}/ResponseCompletionTimeout"), json!(10));
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{p}.ResponseCompletionTimeout"),
    );
}

#[test]
fn origin_custom_headers() {
    let o = "/Distributions/0/DistributionConfig/Origins/Items/0/CustomHeaders";
    let p = format!("{D0}.Origins.Items[0].CustomHeaders");
    let mut v = base();
    let many: Vec<Value> = (0..11)
        .map(|i| json!({ "HeaderName": format!("X-H{i}"), "HeaderValue": "v" }))
        .collect();
    set(&mut v, o, json!({ "Quantity": 11, "Items": many }));
    expect_only(&v, "TooManyOriginCustomHeaders", &p);
    let mut v = base();
    set(
        &mut v,
        o,
        json!({ "Quantity": 1, "Items": [{ "HeaderName": "Host", "HeaderValue": "x" }] }),
    );
    expect_only(&v, "InvalidArgument", &format!("{p}.Items[0].HeaderName"));
    let mut v = base();
    set(
        &mut v,
        o,
        json!({ "Quantity": 1, "Items": [{ "HeaderName": "X-Amz-Date", "HeaderValue": "x" }] }),
    );
    expect_only(&v, "InvalidArgument", &format!("{p}.Items[0].HeaderName"));
    let mut v = base();
    set(
        &mut v,
        o,
        json!({ "Quantity": 1, "Items": [{ "HeaderName": "X-Secret", "HeaderValue": "a".repeat(1784) }] }),
    );
    expect_only(&v, "InvalidArgument", &format!("{p}.Items[0].HeaderValue"));
}

#[test]
fn oai_and_oac_together() {
    let mut v = base();
    let o = "/Distributions/0/DistributionConfig/Origins/Items/1";
    set(
        &mut v,
        &format!("{o}/S3OriginConfig/OriginAccessIdentity"),
        json!("origin-access-identity/cloudfront/E127EXAMPLE51Z"),
    );
    assert_eq!(errors(&v), vec![]);
    set(&mut v, "/OriginAccessControls", oacs("E2OAC", "s3"));
    set(
        &mut v,
        &format!("{o}/OriginAccessControlId"),
        json!("E2OAC"),
    );
    expect_only(
        &v,
        "IllegalOriginAccessConfiguration",
        &format!("{D0}.Origins.Items[1].S3OriginConfig.OriginAccessIdentity"),
    );
}

fn oacs(id: &str, origin_type: &str) -> Value {
    json!([{ "Id": id, "OriginAccessControlConfig": {
        "Name": "bucket-oac", "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": origin_type } }])
}

#[test]
fn oac_must_exist() {
    let mut v = base();
    let o = "/Distributions/0/DistributionConfig/Origins/Items/1";
    set(
        &mut v,
        &format!("{o}/OriginAccessControlId"),
        json!("E2OAC"),
    );
    expect_only(
        &v,
        "NoSuchOriginAccessControl",
        &format!("{D0}.Origins.Items[1].OriginAccessControlId"),
    );
    set(&mut v, "/OriginAccessControls", oacs("E2OAC", "s3"));
    assert_eq!(errors(&v), vec![]);
    // The newer vocabulary parses too.
    set(
        &mut v,
        "/OriginAccessControls/0/OriginAccessControlConfig/SigningBehavior",
        json!("always-amz-auth"),
    );
    set(
        &mut v,
        "/OriginAccessControls/0/OriginAccessControlConfig/SigningProtocol",
        json!("sigv4a"),
    );
    assert_eq!(errors(&v), vec![]);
}

#[test]
fn s3_oac_on_a_custom_origin() {
    let mut v = base();
    set(&mut v, "/OriginAccessControls", oacs("E2OAC", "s3"));
    let o = "/Distributions/0/DistributionConfig/Origins/Items/0";
    set(
        &mut v,
        &format!("{o}/OriginAccessControlId"),
        json!("E2OAC"),
    );
    expect_only(
        &v,
        "IllegalOriginAccessConfiguration",
        &format!("{D0}.Origins.Items[0].OriginAccessControlId"),
    );
}

#[test]
fn oac_ids_and_names_unique() {
    let mut v = base();
    let mut list = oacs("E2OAC", "s3");
    let second = list[0].clone();
    list.as_array_mut().unwrap().push(second);
    set(&mut v, "/OriginAccessControls", list);
    expect_only(
        &v,
        "OriginAccessControlAlreadyExists",
        "OriginAccessControls[1].Id",
    );
}

#[test]
fn oac_unknown_signing_behavior_is_a_parse_error() {
    let mut v = base();
    let mut list = oacs("E2OAC", "s3");
    list[0]["OriginAccessControlConfig"]["SigningBehavior"] = json!("sometimes");
    set(&mut v, "/OriginAccessControls", list);
    let text = v.to_string();
    let e = brink_model::raw::EdgeFile::from_json(&text).unwrap_err();
    assert!(e.path.contains("SigningBehavior"), "{e}");
}

#[test]
fn too_many_origins() {
    let mut v = base();
    let mut items: Vec<Value> = (0..24).map(origin).collect();
    items.push(json!({ "Id": "web", "DomainName": "web.example.com",
        "CustomOriginConfig": { "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only" } }));
    items.push(json!({ "Id": "bucket", "DomainName": "b.s3.amazonaws.com",
        "S3OriginConfig": { "OriginAccessIdentity": "" } }));
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Origins",
        json!({ "Quantity": 26, "Items": items }),
    );
    expect_only(&v, "TooManyOrigins", &format!("{D0}.Origins.Items"));
}

#[test]
fn too_many_origin_groups() {
    let mut v = base();
    let groups: Vec<Value> = (0..11)
        .map(|i| {
            json!({ "Id": format!("g{i}"),
                "FailoverCriteria": { "StatusCodes": { "Quantity": 1, "Items": [500] } },
                "Members": { "Quantity": 2, "Items": [{ "OriginId": "web" }, { "OriginId": "bucket" }] } })
        })
        .collect();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/OriginGroups",
        json!({ "Quantity": 11, "Items": groups }),
    );
    // The default behavior targeted "grp", which no longer exists.
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/DefaultCacheBehavior/TargetOriginId",
        json!("g0"),
    );
    expect_only(
        &v,
        "TooManyOriginGroupsPerDistribution",
        &format!("{D0}.OriginGroups.Items"),
    );
}

#[test]
fn origin_group_rules() {
    let g = "/Distributions/0/DistributionConfig/OriginGroups/Items/0";
    let p = format!("{D0}.OriginGroups.Items[0]");
    let mut v = base();
    set(
        &mut v,
        &format!("{g}/FailoverCriteria/StatusCodes"),
        json!({ "Quantity": 1, "Items": [501] }),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{p}.FailoverCriteria.StatusCodes.Items[0]"),
    );
    let mut v = base();
    set(
        &mut v,
        &format!("{g}/Members"),
        json!({ "Quantity": 1, "Items": [{ "OriginId": "web" }] }),
    );
    expect_only(&v, "InvalidArgument", &format!("{p}.Members.Items"));
    let mut v = base();
    set(&mut v, &format!("{g}/Id"), json!("web"));
    expect(&v, "InvalidArgument", &format!("{p}.Id"));
}

//! Cache, origin request and response headers policies; keys and key groups.

use serde_json::json;

use super::{base, errors, expect_only, set};

#[test]
fn cache_policy_ttls_out_of_order() {
    let mut v = base();
    set(
        &mut v,
        "/CachePolicies/0/CachePolicyConfig/DefaultTTL",
        json!(60),
    );
    set(
        &mut v,
        "/CachePolicies/0/CachePolicyConfig/MaxTTL",
        json!(5),
    );
    expect_only(
        &v,
        "InvalidTTLOrder",
        "CachePolicies[0].CachePolicyConfig.MaxTTL",
    );
}

#[test]
fn policy_name_limits() {
    let h = "/CachePolicies/0/CachePolicyConfig/ParametersInCacheKeyAndForwardedToOrigin";
    let p = "CachePolicies[0].CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin";
    let names: Vec<String> = (0..11).map(|i| format!("X-H{i}")).collect();
    let mut v = base();
    set(
        &mut v,
        &format!("{h}/HeadersConfig"),
        json!({ "HeaderBehavior": "whitelist", "Headers": { "Quantity": 11, "Items": names } }),
    );
    expect_only(
        &v,
        "TooManyHeadersInCachePolicy",
        &format!("{p}.HeadersConfig.Headers"),
    );
    let mut v = base();
    set(
        &mut v,
        &format!("{h}/CookiesConfig"),
        json!({ "CookieBehavior": "whitelist", "Cookies": { "Quantity": 0 } }),
    );
    expect_only(&v, "InvalidArgument", &format!("{p}.CookiesConfig.Cookies"));
    let mut v = base();
    set(
        &mut v,
        &format!("{h}/HeadersConfig"),
        json!({ "HeaderBehavior": "whitelist",
                "Headers": { "Quantity": 1, "Items": ["CloudFront-Viewer-Address"] } }),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{p}.HeadersConfig.Headers.Items[0]"),
    );
    let mut v = base();
    let long: Vec<String> = (0..5).map(|i| format!("q{i}{}", "x".repeat(220))).collect();
    set(
        &mut v,
        &format!("{h}/QueryStringsConfig"),
        json!({ "QueryStringBehavior": "allExcept", "QueryStrings": { "Quantity": 5, "Items": long } }),
    );
    expect_only(
        &v,
        "InvalidArgument",
        &format!("{p}.QueryStringsConfig.QueryStrings"),
    );
}

#[test]
fn key_group_with_unknown_key() {
    let mut v = base();
    set(
        &mut v,
        "/KeyGroups/0/KeyGroupConfig/Items",
        json!(["KBASE1", "KNOPE"]),
    );
    expect_only(
        &v,
        "NoSuchPublicKey",
        "KeyGroups[0].KeyGroupConfig.Items[1]",
    );
    let mut v = base();
    set(
        &mut v,
        "/PublicKeys/0/PublicKeyConfig/EncodedKey",
        json!("not a pem"),
    );
    expect_only(
        &v,
        "InvalidArgument",
        "PublicKeys[0].PublicKeyConfig.EncodedKey",
    );
}

#[test]
fn managed_policy_ids_cannot_be_redefined() {
    let mut v = base();
    set(
        &mut v,
        "/CachePolicies/0/Id",
        json!("658327ea-f89d-4fab-a63d-7e88639e58f6"),
    );
    expect_only(&v, "IllegalUpdate", "CachePolicies[0].Id");
    let mut v = base();
    let mut second = v["CachePolicies"][0].clone();
    second["Id"] = json!("cp-2");
    v["CachePolicies"].as_array_mut().unwrap().push(second);
    expect_only(
        &v,
        "CachePolicyAlreadyExists",
        "CachePolicies[1].CachePolicyConfig.Name",
    );
}

#[test]
fn response_headers_policy_rules() {
    let mut v = base();
    v["ResponseHeadersPolicies"] = json!([{
        "Id": "rh-1",
        "ResponseHeadersPolicyConfig": {
            "Name": "rh",
            "CorsConfig": {
                "AccessControlAllowOrigins": { "Quantity": 1, "Items": ["*"] },
                "AccessControlAllowHeaders": { "Quantity": 0, "Items": [] },
                "AccessControlAllowMethods": { "Quantity": 1, "Items": ["GET"] },
                "AccessControlAllowCredentials": true,
                "OriginOverride": false
            },
            "SecurityHeadersConfig": {
                "ContentSecurityPolicy": { "Override": true, "ContentSecurityPolicy": "a".repeat(1784) }
            },
            "CustomHeadersConfig": { "Quantity": 1, "Items": [
                { "Header": "Content-Length", "Value": "1", "Override": true }
            ]}
        }
    }]);
    let errs = errors(&v);
    let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.code, e.path.as_str())).collect();
    let c = "ResponseHeadersPolicies[0].ResponseHeadersPolicyConfig";
    assert_eq!(
        got,
        vec![
            (
                "InvalidArgument",
                format!("{c}.CorsConfig.AccessControlAllowCredentials").as_str()
            ),
            (
                "TooLongCSPInResponseHeadersPolicy",
                format!("{c}.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy")
                    .as_str()
            ),
            (
                "InvalidArgument",
                format!("{c}.CustomHeadersConfig.Items[0].Header").as_str()
            ),
        ]
    );
}

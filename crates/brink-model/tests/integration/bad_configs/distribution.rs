//! Distribution-wide settings: aliases, root object, error responses, geo, certificate.

use serde_json::{json, Value};

use super::{base, errors, expect, expect_only, origin, set, D0};

#[test]
fn default_root_object_with_leading_slash() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/DefaultRootObject",
        json!("/index.html"),
    );
    expect_only(
        &v,
        "InvalidDefaultRootObject",
        &format!("{D0}.DefaultRootObject"),
    );
}

#[test]
fn custom_error_responses() {
    let e = "/Distributions/0/DistributionConfig/CustomErrorResponses/Items/0";
    let p = format!("{D0}.CustomErrorResponses.Items[0]");
    let mut v = base();
    set(&mut v, &format!("{e}/ErrorCode"), json!(418));
    expect_only(&v, "InvalidErrorCode", &format!("{p}.ErrorCode"));
    let mut v = base();
    set(&mut v, &format!("{e}/ResponseCode"), json!("201"));
    expect_only(&v, "InvalidResponseCode", &format!("{p}.ResponseCode"));
    let mut v = base();
    set(&mut v, &format!("{e}/ResponsePagePath"), json!("404.html"));
    expect_only(&v, "InvalidRelativePath", &format!("{p}.ResponsePagePath"));
    let mut v = base();
    set(&mut v, &format!("{e}/ResponseCode"), json!(""));
    expect_only(&v, "InvalidResponseCode", &format!("{p}.ResponseCode"));
}

#[test]
fn geo_restriction() {
    let g = "/Distributions/0/DistributionConfig/Restrictions/GeoRestriction";
    let p = format!("{D0}.Restrictions.GeoRestriction");
    let mut v = base();
    set(
        &mut v,
        g,
        json!({ "RestrictionType": "whitelist", "Quantity": 2, "Items": ["US", "XX"] }),
    );
    expect_only(&v, "InvalidLocationCode", &format!("{p}.Items[1]"));
    set(
        &mut v,
        g,
        json!({ "RestrictionType": "whitelist", "Quantity": 1, "Items": ["us"] }),
    );
    expect_only(&v, "InvalidLocationCode", &format!("{p}.Items[0]"));
    set(
        &mut v,
        g,
        json!({ "RestrictionType": "blacklist", "Quantity": 0 }),
    );
    expect_only(&v, "InvalidGeoRestrictionParameter", &format!("{p}.Items"));
    set(
        &mut v,
        g,
        json!({ "RestrictionType": "none", "Quantity": 1, "Items": ["US"] }),
    );
    expect_only(&v, "InvalidGeoRestrictionParameter", &format!("{p}.Items"));
}

fn second_distribution(alias: &str) -> Value {
    json!({
        "Id": "E2OTHER",
        "DistributionConfig": {
            "CallerReference": "other",
            "Aliases": { "Quantity": 1, "Items": [alias] },
            "Origins": { "Quantity": 1, "Items": [origin(1)] },
            "DefaultCacheBehavior": { "TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all",
                                      "CachePolicyId": "cp-1" },
            "Enabled": true
        }
    })
}

#[test]
fn alias_in_two_distributions() {
    let mut v = base();
    v["Distributions"]
        .as_array_mut()
        .unwrap()
        .push(second_distribution("WWW.example.com"));
    expect_only(
        &v,
        "CNAMEAlreadyExists",
        "Distributions[1].DistributionConfig.Aliases.Items[0]",
    );
    // An overlapping wildcard is fine: exact beats wildcard at routing time.
    v["Distributions"][1] = second_distribution("*.example.com");
    assert_eq!(errors(&v), vec![]);
}

#[test]
fn id_domain_name_caller_reference_and_comment() {
    let cases: [(&str, Value, String); 5] = [
        ("/Id", json!("bad id"), "Distributions[0].Id".into()),
        ("/Id", json!("x".repeat(129)), "Distributions[0].Id".into()),
        (
            "/DomainName",
            json!("not a host"),
            "Distributions[0].DomainName".into(),
        ),
        (
            "/DistributionConfig/CallerReference",
            json!(""),
            format!("{D0}.CallerReference"),
        ),
        (
            "/DistributionConfig/Comment",
            json!("x".repeat(129)),
            format!("{D0}.Comment"),
        ),
    ];
    for (pointer, value, path) in cases {
        let mut v = base();
        set(&mut v, &format!("/Distributions/0{pointer}"), value);
        expect(&v, "InvalidArgument", &path);
    }
    // A comment of exactly 128 characters and a given domain name (kept lower-case) pass.
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Comment",
        json!("x".repeat(128)),
    );
    set(
        &mut v,
        "/Distributions/0/DomainName",
        json!("D1.Example.NET."),
    );
    assert!(errors(&v).is_empty(), "{:?}", errors(&v));
}

#[test]
fn duplicate_domain_names_and_ids() {
    let mut v = base();
    let mut other = second_distribution("other.example.com");
    set(
        &mut v,
        "/Distributions/0/DomainName",
        json!("d1.example.net"),
    );
    other["DomainName"] = json!("D1.example.net");
    v["Distributions"]
        .as_array_mut()
        .unwrap()
        .push(other.clone());
    expect_only(&v, "CNAMEAlreadyExists", "Distributions[1].DomainName");

    let mut v = base();
    other["Id"] = json!("E1BASE");
    other.as_object_mut().unwrap().remove("DomainName");
    v["Distributions"].as_array_mut().unwrap().push(other);
    // Same id → same generated domain name as well.
    expect(&v, "DistributionAlreadyExists", "Distributions[1].Id");
    expect(&v, "CNAMEAlreadyExists", "Distributions[1].DomainName");
}

#[test]
fn alias_pointing_at_a_domain_name() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DomainName",
        json!("d1.example.net"),
    );
    v["Distributions"]
        .as_array_mut()
        .unwrap()
        .push(second_distribution("d1.example.net"));
    expect_only(
        &v,
        "CNAMEAlreadyExists",
        "Distributions[1].DistributionConfig.Aliases.Items[0]",
    );
}

#[test]
fn bad_aliases() {
    let mut v = base();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Aliases",
        json!({ "Quantity": 2, "Items": ["www.*.com", "www.example.com"] }),
    );
    expect_only(&v, "InvalidArgument", &format!("{D0}.Aliases.Items[0]"));
    let many: Vec<String> = (0..101).map(|i| format!("a{i}.example.com")).collect();
    set(
        &mut v,
        "/Distributions/0/DistributionConfig/Aliases",
        json!({ "Quantity": 101, "Items": many }),
    );
    expect_only(
        &v,
        "TooManyDistributionCNAMEs",
        &format!("{D0}.Aliases.Items"),
    );
}

#[test]
fn viewer_certificate() {
    let c = "/Distributions/0/DistributionConfig/ViewerCertificate";
    let p = format!("{D0}.ViewerCertificate");
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
    let mut v = base();
    set(
        &mut v,
        c,
        json!({ "CloudFrontDefaultCertificate": true, "ACMCertificateArn": arn,
                "SSLSupportMethod": "sni-only" }),
    );
    expect_only(&v, "InvalidViewerCertificate", &p);
    set(&mut v, c, json!({ "ACMCertificateArn": arn }));
    expect_only(
        &v,
        "InvalidViewerCertificate",
        &format!("{p}.SSLSupportMethod"),
    );
    set(
        &mut v,
        c,
        json!({ "ACMCertificateArn": arn, "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "SSLv3" }),
    );
    expect_only(
        &v,
        "InvalidProtocolSettings",
        &format!("{p}.MinimumProtocolVersion"),
    );
    set(
        &mut v,
        c,
        json!({ "ACMCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
                "SSLSupportMethod": "sni-only" }),
    );
    expect_only(
        &v,
        "InvalidViewerCertificate",
        &format!("{p}.ACMCertificateArn"),
    );
}

#[test]
fn viewer_certificates_must_be_listed_under_certificates() {
    let c = "/Distributions/0/DistributionConfig/ViewerCertificate";
    let p = format!("{D0}.ViewerCertificate");
    let mut v = base();
    // An ARN in the right shape that the Certificates list does not hold.
    set(
        &mut v,
        c,
        json!({ "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/other",
                "SSLSupportMethod": "sni-only" }),
    );
    expect_only(
        &v,
        "InvalidViewerCertificate",
        &format!("{p}.ACMCertificateArn"),
    );
    set(
        &mut v,
        c,
        json!({ "IAMCertificateId": "ASCAEXAMPLE", "SSLSupportMethod": "sni-only" }),
    );
    expect_only(
        &v,
        "InvalidViewerCertificate",
        &format!("{p}.IAMCertificateId"),
    );
    // Listed: valid.
    set(
        &mut v,
        "/Certificates/0",
        json!({ "Id": "ASCAEXAMPLE", "CertificateFile": "/etc/brink/a.pem",
                "PrivateKeyFile": "/etc/brink/a.key" }),
    );
    assert_eq!(errors(&v), vec![]);
    let file = brink_model::EdgeFile::from_json(&v.to_string()).expect("parses");
    let model = brink_model::validate(&file).expect("valid");
    let cert = model.certificate("ASCAEXAMPLE").expect("listed");
    assert_eq!(
        (cert.path(), cert.certificate_file.as_str()),
        ("Certificates[0]".to_string(), "/etc/brink/a.pem")
    );
    // The list itself: ids unique, no empty fields.
    let mut v = base();
    let entry = json!({ "Id": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
                        "CertificateFile": "b.pem", "PrivateKeyFile": "" });
    let first = v["Certificates"][0].clone();
    set(&mut v, "/Certificates", json!([first, entry]));
    let errs = errors(&v);
    let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.code, e.path.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("InvalidArgument", "Certificates[1].PrivateKeyFile"),
            ("InvalidArgument", "Certificates[1].Id"),
        ]
    );
}

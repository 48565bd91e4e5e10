use std::time::Duration;

use brink_model::compiled::{
    GeoRestriction, NameSelection, OriginKind, OriginScheme, OriginTarget, ViewerCertificateSource,
};
use brink_model::raw::{HttpVersion, MinimumProtocolVersion, ViewerProtocolPolicy};
use brink_model::{managed, validate, validate_with, EdgeFile, ValidateOptions};

use crate::example;

fn load(name: &str) -> EdgeFile {
    let text = example(name);
    if name.ends_with(".json") {
        EdgeFile::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    } else {
        EdgeFile::from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

#[test]
fn every_example_parses_and_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples-data");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !(name.ends_with(".json") || name.ends_with(".yaml")) {
            continue;
        }
        let file = load(&name);
        if let Err(errors) = validate(&file) {
            panic!("{name}: {errors:#?}");
        }
        seen += 1;
    }
    assert!(seen >= 4, "only {seen} examples found");
}

#[test]
fn cli_minimal_gets_cloudfronts_server_side_defaults() {
    let model = validate(&load("cli-minimal.json")).unwrap();
    let d = &model.distributions()[0];
    // Generated name: d + 13 lowercase alphanumerics under the CDN domain.
    assert!(d.domain_name.starts_with('d') && d.domain_name.ends_with(".cloudfront.net"));
    assert_eq!(
        d.domain_name.len(),
        "d".len() + 13 + ".cloudfront.net".len()
    );
    assert_eq!(d.http_version, HttpVersion::Http2);
    assert!(d.enabled);
    assert_eq!(d.geo_restriction, GeoRestriction::None);
    assert_eq!(
        d.viewer_certificate.source,
        ViewerCertificateSource::Default
    );
    assert_eq!(
        d.viewer_certificate.minimum_protocol_version,
        MinimumProtocolVersion::TlsV1
    );
    let o = &d.origins[0];
    assert!(matches!(
        o.kind,
        OriginKind::S3 {
            origin_access_identity: None
        }
    ));
    assert_eq!(o.connection_attempts, 3);
    assert_eq!(o.connection_timeout, Duration::from_secs(10));
    assert_eq!(o.read_timeout, Duration::from_secs(30));
    assert_eq!(o.scheme_and_port(false), (OriginScheme::Https, 443));
    let b = d.default_behavior();
    assert_eq!(b.viewer_protocol_policy, ViewerProtocolPolicy::AllowAll);
    assert_eq!(
        (b.ttl.min(), b.ttl.default_ttl(), b.ttl.max()),
        (
            Duration::ZERO,
            Duration::from_secs(86_400),
            Duration::from_secs(31_536_000)
        )
    );
    assert!(b.allows_method("GET") && b.allows_method("HEAD") && !b.allows_method("POST"));
    assert!(b.cache_key.query_strings.is_none() && b.cache_key.cookies.is_none());
    assert!(b.forwarding.legacy);
    assert!(!b.requires_signature());

    let custom = &model.distributions()[1];
    assert_eq!(custom.default_root_object.as_deref(), Some("index.html"));
    assert_eq!(
        custom.origins[0].scheme_and_port(true),
        (OriginScheme::Http, 80)
    );
}

#[test]
fn cdn_domain_is_configurable_and_stable() {
    let file = load("cli-minimal.json");
    let opts = ValidateOptions {
        cdn_domain: "cdn.test".to_string(),
    };
    let a = validate_with(&file, &opts).unwrap();
    let b = validate_with(&file, &opts).unwrap();
    let name = &a.distributions()[0].domain_name;
    assert!(name.ends_with(".cdn.test"), "{name}");
    assert_eq!(name, &b.distributions()[0].domain_name);
    assert_eq!(a.route(name).unwrap().id, "E2VY6GYSB2RFYS");
}

#[test]
fn get_distribution_output_resolves_policies_and_keys() {
    let model = validate(&load("get-distribution.json")).unwrap();
    let d = model.by_id("EDFDVBD6EXAMPLE").unwrap();
    assert_eq!(d.domain_name, "d111111abcdef8.cloudfront.net");
    assert_eq!(
        d.geo_restriction,
        GeoRestriction::Deny(vec!["KP".into(), "IR".into()])
    );
    assert!(!d.geo_restriction.allows(Some("KP")));
    assert!(d.geo_restriction.allows(Some("US")));
    assert!(d.geo_restriction.allows(None));
    let b = d.default_behavior();
    assert_eq!(
        b.cache_policy_id.as_deref(),
        Some(managed::CACHING_OPTIMIZED)
    );
    assert_eq!(b.ttl.min(), Duration::from_secs(1));
    assert!(b.compression_enabled());
    assert!(b.requires_signature());
    assert_eq!(
        b.trusted_key("K2JCJMDEHXQW5F").unwrap().name,
        "worked-example-key"
    );
    assert!(b.trusted_key("KUNKNOWN").is_none());
    let rh = b.response_headers_policy.as_ref().unwrap();
    assert_eq!(rh.id, managed::SECURITY_HEADERS_POLICY);
    assert_eq!(d.error_caching_min_ttl(404), Duration::from_secs(60));
    assert_eq!(d.error_caching_min_ttl(503), Duration::from_secs(10));
    assert_eq!(
        d.origins[0].origin_access_control_id.as_deref(),
        Some("E1OACEXAMPLE")
    );
    assert!(matches!(
        d.viewer_certificate.source,
        ViewerCertificateSource::Acm(_)
    ));
}

#[test]
fn three_distributions_compile_as_written() {
    let model = validate(&load("three-distributions.json")).unwrap();
    let www = model.by_id("E1WWWEXAMPLE01").unwrap();
    assert_eq!(www.behaviors().len(), 4);

    // /api/*: the group, a file cache policy united with a file origin request policy.
    let api = www.select_behavior("/api/v1/users");
    assert_eq!(api.path_pattern.as_ref().unwrap().as_str(), "/api/*");
    let OriginTarget::Group(g) = api.target else {
        panic!("api should target the group")
    };
    let group = www.origin_group(g);
    assert_eq!(www.origin(group.primary).id, "app-primary");
    assert_eq!(www.origin(group.secondary).id, "app-secondary");
    assert!(group.fails_over_on(503) && !group.fails_over_on(404));
    assert_eq!(www.first_origin(api.target).id, "app-primary");
    assert!(api.allows_method("DELETE") && api.caches_method("OPTIONS"));
    assert!(!api.caches_method("POST"));
    assert_eq!(
        api.cache_key.headers,
        NameSelection::Only(vec!["authorization".into()])
    );
    assert!(api.forwarding.headers.viewer.includes("authorization"));
    assert!(api.forwarding.headers.viewer.includes("x-request-id"));
    assert_eq!(
        api.forwarding.headers.cloudfront,
        vec!["cloudfront-viewer-country".to_string()]
    );
    assert!(api.forwarding.cookies.includes("session"));
    assert!(api.forwarding.query_strings.includes("anything"));
    assert!(api.cache_key.query_strings.includes("page"));
    assert!(!api.cache_key.query_strings.includes("anything"));
    assert!(api.response_headers_policy.is_none(), "\"\" means none");

    // static/* (no leading slash) with an allExcept query key and OriginPath.
    let st = www.select_behavior("/static/app.js");
    assert_eq!(st.path_pattern.as_ref().unwrap().as_str(), "static/*");
    assert!(st.cache_key.query_strings.includes("v"));
    assert!(!st.cache_key.query_strings.includes("utm_source"));
    assert_eq!(st.ttl.min(), Duration::from_secs(86_400));
    let bucket = www.first_origin(st.target);
    assert_eq!(bucket.origin_path, "/site");
    assert_eq!(bucket.origin_shield_region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        bucket.origin_access_control_id.as_deref(),
        Some("E2OACSTATIC01")
    );
    let oac = bucket.origin_access_control.as_ref().unwrap();
    assert_eq!(oac.name, "static-bucket-oac");
    assert_eq!(
        oac.signing_behavior,
        brink_model::raw::OacSigningBehavior::Always
    );

    // Signed videos: both keys of the group are trusted.
    let video = www.select_behavior("/private/a/b.mp4");
    assert!(video.requires_signature());
    assert!(video.trusted_key("K3ROTATIONKEY2").is_some());
    assert!(!www.select_behavior("/private/a/b.mp3").requires_signature());

    // Default: CachingDisabled + AllViewerExceptHostHeader + the file's headers policy.
    let def = www.select_behavior("/");
    assert!(def.path_pattern.is_none());
    assert!(def.ttl.caching_disabled());
    assert!(!def.caches_method("GET"));
    assert!(!def.compression_enabled());
    assert!(!def.forwarding.headers.viewer.includes("host"));
    assert!(def.forwarding.headers.viewer.includes("accept-language"));
    let rh = def.response_headers_policy.as_ref().unwrap();
    assert_eq!(rh.remove_headers, vec!["server".to_string()]);
    assert_eq!(rh.server_timing_sampling_rate, Some(10.0));
    let hsts = rh
        .headers
        .iter()
        .find(|h| h.name == "Strict-Transport-Security")
        .unwrap();
    assert_eq!(hsts.value, "max-age=63072000; includeSubDomains; preload");
    let xss = rh
        .headers
        .iter()
        .find(|h| h.name == "X-XSS-Protection")
        .unwrap();
    assert_eq!(xss.value, "1; mode=block");
    let cors = rh.cors.as_ref().unwrap();
    assert!(cors.allows_origin("https://shop.example.com"));
    assert!(!cors.allows_origin("https://example.org"));
    assert_eq!(cors.allow_methods_value, "GET, POST, OPTIONS");
    assert_eq!(
        www.custom_error_response(404).unwrap().response_code,
        Some(200)
    );
    assert_eq!(www.error_caching_min_ttl(403), Duration::ZERO);

    // Legacy behaviors: TTLs, whitelisted headers, query keys vs forwarding.
    let img = model.by_id("E2IMAGESEXAMPLE").unwrap();
    let def = img.default_behavior();
    assert_eq!(def.ttl.min(), Duration::from_secs(60));
    assert_eq!(def.ttl.max(), Duration::from_secs(604_800));
    assert!(def.cache_key.headers.includes("accept"));
    assert_eq!(
        def.forwarding.headers.cloudfront,
        vec!["cloudfront-is-mobile-viewer".to_string()]
    );
    assert!(def.cache_key.query_strings.includes("w"));
    assert!(!def.cache_key.query_strings.includes("x"));
    assert!(def.forwarding.query_strings.includes("x"));
    assert_eq!(
        def.viewer_request_function.as_deref(),
        Some("arn:aws:cloudfront::123456789012:function/resize-hint")
    );
    let origin = img.first_origin(def.target);
    assert_eq!(origin.origin_path, "/v2");
    assert_eq!(
        origin.custom_headers,
        vec![(
            "X-Origin-Secret".to_string(),
            "not-a-real-secret".to_string()
        )]
    );
    assert_eq!(origin.scheme_and_port(false), (OriginScheme::Https, 443));
    assert_eq!(
        origin.response_completion_timeout,
        Some(Duration::from_secs(120))
    );
    let svg = img.select_behavior("/logos/brand.svg");
    assert!(svg.cache_key.cookies.includes("theme"));
    assert!(!svg.cache_key.cookies.includes("other"));
    assert!(img.geo_restriction.allows(Some("DE")));
    assert!(!img.geo_restriction.allows(Some("US")));

    let old = model.by_id("E3DISABLED0001").unwrap();
    assert!(!old.enabled);
    assert_eq!(old.default_root_object.as_deref(), Some("home/index.html"));
}

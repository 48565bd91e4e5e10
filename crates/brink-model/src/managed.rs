//! CloudFront's managed policies under their real ids (§2.5).
//!
//! They are returned in the API's own shapes so the control plane can list them
//! (`Type=managed`) and validation compiles them exactly like file policies. Contents follow
//! the CloudFront Developer Guide; details it does not spell out are marked [UNCONFIRMED].

use crate::raw::{
    CachePolicy, CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig,
    CachePolicyHeaderBehavior, CachePolicyHeadersConfig, CachePolicyQueryStringBehavior,
    CachePolicyQueryStringsConfig, ContentTypeOptions, CorsConfig, CorsMethod, FrameOption,
    FrameOptions, List, OriginRequestPolicy, OriginRequestPolicyConfig,
    OriginRequestPolicyCookieBehavior, OriginRequestPolicyCookiesConfig,
    OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig,
    OriginRequestPolicyQueryStringBehavior, OriginRequestPolicyQueryStringsConfig,
    ParametersInCacheKeyAndForwardedToOrigin, ReferrerPolicy, ReferrerPolicyValue,
    ResponseHeadersPolicy, ResponseHeadersPolicyConfig, SecurityHeadersConfig,
    StrictTransportSecurity, XssProtection,
};

/// Managed cache policy `Managed-CachingOptimized`.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// Managed cache policy `Managed-CachingDisabled`.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// Managed cache policy `Managed-CachingOptimizedForUncompressedObjects`.
pub const CACHING_OPTIMIZED_FOR_UNCOMPRESSED_OBJECTS: &str = "b2884449-e4de-46a7-ac36-70bc7f1ddd6d";
/// Managed cache policy `Managed-Elemental-MediaPackage`.
pub const ELEMENTAL_MEDIA_PACKAGE: &str = "08627262-05a9-4f76-9ded-b50ca2e3a84f";

/// Managed origin request policy `Managed-AllViewer`.
pub const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
/// Managed origin request policy `Managed-AllViewerExceptHostHeader`.
pub const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// Managed origin request policy `Managed-CORS-S3Origin`.
pub const CORS_S3_ORIGIN: &str = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf";
/// Managed origin request policy `Managed-CORS-CustomOrigin`.
pub const CORS_CUSTOM_ORIGIN: &str = "59781a5b-3903-41f3-afcb-af62929ccde1";
/// Managed origin request policy `Managed-UserAgentRefererHeaders`.
pub const USER_AGENT_REFERER_HEADERS: &str = "acba4595-bd28-49b8-b9fe-13317c0390fa";

/// Managed response headers policy `Managed-SimpleCORS`.
pub const SIMPLE_CORS: &str = "60669652-455b-4ae9-85a4-c4c02393f86c";
/// Managed response headers policy `Managed-CORS-With-Preflight`.
pub const CORS_WITH_PREFLIGHT: &str = "5cc3b908-e619-4b99-88e5-2cf7f45965bd";
/// Managed response headers policy `Managed-SecurityHeadersPolicy`.
pub const SECURITY_HEADERS_POLICY: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";
/// Managed response headers policy `Managed-CORS-and-SecurityHeadersPolicy`.
pub const CORS_AND_SECURITY_HEADERS_POLICY: &str = "e61eb60c-9c35-4d20-a928-2b84e02af89c";
/// Managed response headers policy `Managed-CORS-with-preflight-and-SecurityHeadersPolicy`.
pub const CORS_WITH_PREFLIGHT_AND_SECURITY_HEADERS_POLICY: &str =
    "eaab4381-ed33-4a86-88ca-d9558dc6cd63";

fn names(v: &[&str]) -> Option<List<String>> {
    Some(List::from_items(v.iter().map(|s| s.to_string()).collect()))
}

fn cache_policy(
    id: &str,
    name: &str,
    comment: &str,
    ttl: (u64, u64, u64),
    gzip_br: bool,
    headers: &[&str],
    query_strings: &[&str],
) -> CachePolicy {
    let (min, default, max) = ttl;
    CachePolicy {
        id: id.to_string(),
        last_modified_time: None,
        cache_policy_config: CachePolicyConfig {
            comment: Some(comment.to_string()),
            name: name.to_string(),
            default_ttl: Some(default),
            max_ttl: Some(max),
            min_ttl: min,
            parameters_in_cache_key_and_forwarded_to_origin: Some(
                ParametersInCacheKeyAndForwardedToOrigin {
                    enable_accept_encoding_gzip: gzip_br,
                    enable_accept_encoding_brotli: Some(gzip_br),
                    headers_config: CachePolicyHeadersConfig {
                        header_behavior: if headers.is_empty() {
                            CachePolicyHeaderBehavior::None
                        } else {
                            CachePolicyHeaderBehavior::Whitelist
                        },
                        headers: if headers.is_empty() {
                            None
                        } else {
                            names(headers)
                        },
                    },
                    cookies_config: CachePolicyCookiesConfig {
                        cookie_behavior: CachePolicyCookieBehavior::None,
                        cookies: None,
                    },
                    query_strings_config: CachePolicyQueryStringsConfig {
                        query_string_behavior: if query_strings.is_empty() {
                            CachePolicyQueryStringBehavior::None
                        } else {
                            CachePolicyQueryStringBehavior::Whitelist
                        },
                        query_strings: if query_strings.is_empty() {
                            None
                        } else {
                            names(query_strings)
                        },
                    },
                },
            ),
        },
    }
}

/// The managed cache policies.
pub fn cache_policies() -> Vec<CachePolicy> {
    vec![
        // Nothing keyed but the normalised Accept-Encoding.
        cache_policy(
            CACHING_OPTIMIZED,
            "Managed-CachingOptimized",
            "Policy with caching enabled. Supports Gzip and Brotli compression.",
            (1, 86_400, 31_536_000),
            true,
            &[],
            &[],
        ),
        // Same TTLs, compression normalisation off.
        cache_policy(
            CACHING_OPTIMIZED_FOR_UNCOMPRESSED_OBJECTS,
            "Managed-CachingOptimizedForUncompressedObjects",
            "Default policy when compression is disabled",
            (1, 86_400, 31_536_000),
            false,
            &[],
            &[],
        ),
        cache_policy(
            CACHING_DISABLED,
            "Managed-CachingDisabled",
            "Policy with caching disabled",
            (0, 0, 0),
            false,
            &[],
            &[],
        ),
        cache_policy(
            ELEMENTAL_MEDIA_PACKAGE,
            "Managed-Elemental-MediaPackage",
            "Policy for Elemental MediaPackage Origin",
            (0, 86_400, 31_536_000),
            true,
            &["origin"],
            &["aws.manifestfilter", "start", "end", "m"],
        ),
    ]
}

fn origin_request_policy(
    id: &str,
    name: &str,
    comment: &str,
    headers: (OriginRequestPolicyHeaderBehavior, &[&str]),
    cookies_all: bool,
    query_all: bool,
) -> OriginRequestPolicy {
    let (header_behavior, header_names) = headers;
    OriginRequestPolicy {
        id: id.to_string(),
        last_modified_time: None,
        origin_request_policy_config: OriginRequestPolicyConfig {
            comment: Some(comment.to_string()),
            name: name.to_string(),
            headers_config: OriginRequestPolicyHeadersConfig {
                header_behavior,
                headers: if header_names.is_empty() {
                    None
                } else {
                    names(header_names)
                },
            },
            cookies_config: OriginRequestPolicyCookiesConfig {
                cookie_behavior: if cookies_all {
                    OriginRequestPolicyCookieBehavior::All
                } else {
                    OriginRequestPolicyCookieBehavior::None
                },
                cookies: None,
            },
            query_strings_config: OriginRequestPolicyQueryStringsConfig {
                query_string_behavior: if query_all {
                    OriginRequestPolicyQueryStringBehavior::All
                } else {
                    OriginRequestPolicyQueryStringBehavior::None
                },
                query_strings: None,
            },
        },
    }
}

/// The managed origin request policies.
pub fn origin_request_policies() -> Vec<OriginRequestPolicy> {
    use OriginRequestPolicyHeaderBehavior as H;
    vec![
        origin_request_policy(
            ALL_VIEWER,
            "Managed-AllViewer",
            "Policy to forward all parameters in viewer requests",
            (H::AllViewer, &[]),
            true,
            true,
        ),
        // [UNCONFIRMED] expressed as allExcept [host]; the guide describes it as every viewer
        // header but Host, with all cookies and query strings.
        origin_request_policy(
            ALL_VIEWER_EXCEPT_HOST_HEADER,
            "Managed-AllViewerExceptHostHeader",
            "Policy to forward all parameters in viewer requests except for the Host header",
            (H::AllExcept, &["host"]),
            true,
            true,
        ),
        origin_request_policy(
            CORS_S3_ORIGIN,
            "Managed-CORS-S3Origin",
            "Policy for origin request to enable CORS requests to S3 origins",
            (
                H::Whitelist,
                &[
                    "origin",
                    "access-control-request-headers",
                    "access-control-request-method",
                ],
            ),
            false,
            false,
        ),
        origin_request_policy(
            CORS_CUSTOM_ORIGIN,
            "Managed-CORS-CustomOrigin",
            "Policy for origin request to enable CORS requests to custom origins",
            (H::Whitelist, &["origin"]),
            false,
            false,
        ),
        origin_request_policy(
            USER_AGENT_REFERER_HEADERS,
            "Managed-UserAgentRefererHeaders",
            "Policy to forward user-agent and referer headers to origin",
            (H::Whitelist, &["user-agent", "referer"]),
            false,
            false,
        ),
    ]
}

/// `Access-Control-Allow-Origin: *` without credentials or overriding the origin. With
/// preflight, `Access-Control-Allow-Headers: *` and every method are allowed too (the guide
/// lists these three headers). [UNCONFIRMED] the header and method lists of the simple
/// variant: the guide only names the `Access-Control-Allow-Origin: *` it adds.
fn any_origin_cors(preflight: bool) -> CorsConfig {
    let methods = if preflight {
        vec![
            CorsMethod::Delete,
            CorsMethod::Get,
            CorsMethod::Head,
            CorsMethod::Options,
            CorsMethod::Patch,
            CorsMethod::Post,
            CorsMethod::Put,
        ]
    } else {
        vec![CorsMethod::Get, CorsMethod::Head, CorsMethod::Post]
    };
    CorsConfig {
        access_control_allow_origins: List::from_items(vec!["*".to_string()]),
        access_control_allow_headers: List::from_items(vec!["*".to_string()]),
        access_control_allow_methods: List::from_items(methods),
        access_control_allow_credentials: false,
        access_control_expose_headers: None,
        access_control_max_age_sec: None,
        origin_override: false,
    }
}

/// Mozilla-recommended security headers; only `X-Content-Type-Options` overrides the
/// origin's (as the guide states). [UNCONFIRMED] HSTS without `includeSubDomains`/`preload`.
fn security_headers() -> SecurityHeadersConfig {
    SecurityHeadersConfig {
        xss_protection: Some(XssProtection {
            r#override: false,
            protection: true,
            mode_block: Some(true),
            report_uri: None,
        }),
        frame_options: Some(FrameOptions {
            r#override: false,
            frame_option: FrameOption::SameOrigin,
        }),
        referrer_policy: Some(ReferrerPolicy {
            r#override: false,
            referrer_policy: ReferrerPolicyValue::StrictOriginWhenCrossOrigin,
        }),
        content_security_policy: None,
        content_type_options: Some(ContentTypeOptions { r#override: true }),
        strict_transport_security: Some(StrictTransportSecurity {
            r#override: false,
            include_subdomains: Some(false),
            preload: Some(false),
            access_control_max_age_sec: 31_536_000,
        }),
    }
}

fn response_headers_policy(
    id: &str,
    name: &str,
    comment: &str,
    cors: Option<CorsConfig>,
    security: bool,
) -> ResponseHeadersPolicy {
    ResponseHeadersPolicy {
        id: id.to_string(),
        last_modified_time: None,
        response_headers_policy_config: ResponseHeadersPolicyConfig {
            comment: Some(comment.to_string()),
            name: name.to_string(),
            cors_config: cors,
            security_headers_config: security.then(security_headers),
            server_timing_headers_config: None,
            custom_headers_config: None,
            remove_headers_config: None,
        },
    }
}

/// The managed response headers policies.
pub fn response_headers_policies() -> Vec<ResponseHeadersPolicy> {
    vec![
        response_headers_policy(
            SIMPLE_CORS,
            "Managed-SimpleCORS",
            "Allow all origins for simple CORS requests",
            Some(any_origin_cors(false)),
            false,
        ),
        response_headers_policy(
            CORS_WITH_PREFLIGHT,
            "Managed-CORS-With-Preflight",
            "Allow all origins for CORS requests, including preflight requests",
            Some(any_origin_cors(true)),
            false,
        ),
        response_headers_policy(
            SECURITY_HEADERS_POLICY,
            "Managed-SecurityHeadersPolicy",
            "Adds a set of security headers to every response",
            None,
            true,
        ),
        response_headers_policy(
            CORS_AND_SECURITY_HEADERS_POLICY,
            "Managed-CORS-and-SecurityHeadersPolicy",
            "Allow all origins for simple CORS requests and add security headers",
            Some(any_origin_cors(false)),
            true,
        ),
        response_headers_policy(
            CORS_WITH_PREFLIGHT_AND_SECURITY_HEADERS_POLICY,
            "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
            "Allow all origins for CORS requests, including preflight requests, and add security headers",
            Some(any_origin_cors(true)),
            true,
        ),
    ]
}

/// Whether `id` is a managed cache, origin request or response headers policy.
pub fn is_managed_policy_id(id: &str) -> bool {
    [
        CACHING_OPTIMIZED,
        CACHING_DISABLED,
        CACHING_OPTIMIZED_FOR_UNCOMPRESSED_OBJECTS,
        ELEMENTAL_MEDIA_PACKAGE,
        ALL_VIEWER,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
        CORS_S3_ORIGIN,
        CORS_CUSTOM_ORIGIN,
        USER_AGENT_REFERER_HEADERS,
        SIMPLE_CORS,
        CORS_WITH_PREFLIGHT,
        SECURITY_HEADERS_POLICY,
        CORS_AND_SECURITY_HEADERS_POLICY,
        CORS_WITH_PREFLIGHT_AND_SECURITY_HEADERS_POLICY,
    ]
    .contains(&id)
}

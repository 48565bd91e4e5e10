//! The closed vocabularies of the CloudFront API, each spelled exactly as on the wire.
//!
//! An unknown value is refused while parsing (the path of the field is in the
//! [`ParseError`](super::ParseError)), so later stages never see free-form strings here.

use serde::{Deserialize, Serialize};

/// Declares a wire enum: serde names, `as_str` and `Display` all come from one table.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in the order the API documents them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as CloudFront spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// What a behavior does with plain-HTTP viewers (§1.3).
    ViewerProtocolPolicy {
        /// HTTP and HTTPS are both served.
        AllowAll = "allow-all",
        /// HTTP is refused with 403.
        HttpsOnly = "https-only",
        /// HTTP is answered with a 301 to the HTTPS URL.
        RedirectToHttps = "redirect-to-https",
    }
}

wire_enum! {
    /// How the edge talks to a custom origin (§7.1).
    OriginProtocolPolicy {
        /// Always plain HTTP on `HTTPPort`.
        HttpOnly = "http-only",
        /// The viewer's scheme.
        MatchViewer = "match-viewer",
        /// Always HTTPS on `HTTPSPort`.
        HttpsOnly = "https-only",
    }
}

wire_enum! {
    /// A TLS version the edge may use toward a custom origin.
    SslProtocol {
        /// SSL 3.0 (accepted for compatibility, never negotiated by Brink).
        SslV3 = "SSLv3",
        /// TLS 1.0.
        TlsV1 = "TLSv1",
        /// TLS 1.1.
        TlsV1_1 = "TLSv1.1",
        /// TLS 1.2.
        TlsV1_2 = "TLSv1.2",
    }
}

wire_enum! {
    /// Address family the edge uses to reach a custom origin.
    IpAddressType {
        /// IPv4 only.
        Ipv4 = "ipv4",
        /// IPv6 only.
        Ipv6 = "ipv6",
        /// Either.
        DualStack = "dualstack",
    }
}

wire_enum! {
    /// HTTP version toward a custom origin (§7.1; HTTP/2 needs TLS ≥ 1.2 and ALPN).
    OriginHttpVersion {
        /// HTTP/1.1, the default.
        Http1_1 = "http1.1",
        /// HTTP/2.
        Http2 = "http2",
    }
}

wire_enum! {
    /// An HTTP method as listed in `AllowedMethods` / `CachedMethods`.
    Method {
        /// GET.
        Get = "GET",
        /// HEAD.
        Head = "HEAD",
        /// POST.
        Post = "POST",
        /// PUT.
        Put = "PUT",
        /// PATCH.
        Patch = "PATCH",
        /// OPTIONS.
        Options = "OPTIONS",
        /// DELETE.
        Delete = "DELETE",
    }
}

wire_enum! {
    /// When a Lambda@Edge or CloudFront function runs.
    EventType {
        /// Before the cache lookup.
        ViewerRequest = "viewer-request",
        /// Before the response leaves for the viewer.
        ViewerResponse = "viewer-response",
        /// Before the origin request (Lambda@Edge only).
        OriginRequest = "origin-request",
        /// After the origin response (Lambda@Edge only).
        OriginResponse = "origin-response",
    }
}

wire_enum! {
    /// Legacy `ForwardedValues.Cookies.Forward`.
    ItemSelection {
        /// No cookie is forwarded or keyed.
        None = "none",
        /// Only `WhitelistedNames`.
        Whitelist = "whitelist",
        /// Every cookie.
        All = "all",
    }
}

wire_enum! {
    /// Which groups of edge locations may serve (§8.4).
    #[derive(Default)]
    PriceClass {
        /// North America and Europe/Israel.
        PriceClass100 = "PriceClass_100",
        /// Adds most of Asia, India, Middle East and Africa.
        PriceClass200 = "PriceClass_200",
        /// Every location (the default).
        #[default]
        PriceClassAll = "PriceClass_All",
        /// No price class (newer API value).
        None = "None",
    }
}

wire_enum! {
    /// Highest HTTP version offered to viewers (§8.4).
    #[derive(Default)]
    HttpVersion {
        /// HTTP/1.1 only.
        Http1_1 = "http1.1",
        /// HTTP/2 (the default).
        #[default]
        Http2 = "http2",
        /// HTTP/3.
        Http3 = "http3",
        /// HTTP/2 and HTTP/3.
        Http2And3 = "http2and3",
    }
}

wire_enum! {
    /// How a custom certificate is presented to viewers.
    SslSupportMethod {
        /// Server Name Indication.
        SniOnly = "sni-only",
        /// A dedicated IP per edge (legacy).
        Vip = "vip",
        /// Static IPs (legacy, needs AWS approval).
        StaticIp = "static-ip",
    }
}

wire_enum! {
    /// Viewer TLS security policy.
    #[derive(Default)]
    MinimumProtocolVersion {
        /// SSLv3.
        SslV3 = "SSLv3",
        /// TLSv1 (forced with the default certificate).
        #[default]
        TlsV1 = "TLSv1",
        /// TLSv1_2016.
        TlsV1_2016 = "TLSv1_2016",
        /// TLSv1.1_2016.
        TlsV1_1_2016 = "TLSv1.1_2016",
        /// TLSv1.2_2018.
        TlsV1_2_2018 = "TLSv1.2_2018",
        /// TLSv1.2_2019.
        TlsV1_2_2019 = "TLSv1.2_2019",
        /// TLSv1.2_2021.
        TlsV1_2_2021 = "TLSv1.2_2021",
        /// TLSv1.3_2025.
        TlsV1_3_2025 = "TLSv1.3_2025",
        /// TLSv1.2_2025.
        TlsV1_2_2025 = "TLSv1.2_2025",
    }
}

wire_enum! {
    /// Deprecated `CertificateSource`, still echoed by the API.
    CertificateSource {
        /// The CDN's default certificate.
        Cloudfront = "cloudfront",
        /// An IAM server certificate.
        Iam = "iam",
        /// An ACM certificate.
        Acm = "acm",
    }
}

wire_enum! {
    /// Geo restriction mode (§6).
    #[derive(Default)]
    GeoRestrictionType {
        /// Only the listed countries are blocked.
        Blacklist = "blacklist",
        /// Only the listed countries are served.
        Whitelist = "whitelist",
        /// No restriction.
        #[default]
        None = "none",
    }
}

wire_enum! {
    /// How an origin group picks its member.
    OriginGroupSelectionCriteria {
        /// Primary first, secondary on failover.
        Default = "default",
        /// MediaPackage v2 quality-based selection.
        MediaQualityBased = "media-quality-based",
    }
}

wire_enum! {
    /// ICP recordal state of an alias (China regions), read-only.
    IcpRecordalStatus {
        /// Recorded.
        Approved = "APPROVED",
        /// Suspended.
        Suspended = "SUSPENDED",
        /// Pending.
        Pending = "PENDING",
    }
}

wire_enum! {
    /// Multi-tenant distribution mode (newer API), carried but not used by Brink.
    ConnectionMode {
        /// Ordinary distribution.
        Direct = "direct",
        /// Template for distribution tenants.
        TenantOnly = "tenant-only",
    }
}

wire_enum! {
    /// Viewer mutual-TLS mode (newer API), carried but not used by Brink yet.
    ViewerMtlsMode {
        /// Client certificate required.
        Required = "required",
        /// Client certificate requested.
        Optional = "optional",
        /// Certificate passed through to the origin.
        Passthrough = "passthrough",
    }
}

wire_enum! {
    /// Headers in a cache policy's key.
    CachePolicyHeaderBehavior {
        /// No header.
        None = "none",
        /// The listed headers.
        Whitelist = "whitelist",
    }
}

wire_enum! {
    /// Cookies in a cache policy's key.
    CachePolicyCookieBehavior {
        /// No cookie.
        None = "none",
        /// The listed cookies.
        Whitelist = "whitelist",
        /// Every cookie but the listed ones.
        AllExcept = "allExcept",
        /// Every cookie.
        All = "all",
    }
}

wire_enum! {
    /// Query parameters in a cache policy's key.
    CachePolicyQueryStringBehavior {
        /// No parameter.
        None = "none",
        /// The listed parameters.
        Whitelist = "whitelist",
        /// Every parameter but the listed ones.
        AllExcept = "allExcept",
        /// Every parameter.
        All = "all",
    }
}

wire_enum! {
    /// Headers an origin request policy forwards.
    OriginRequestPolicyHeaderBehavior {
        /// No header (beyond those in the cache key).
        None = "none",
        /// The listed headers.
        Whitelist = "whitelist",
        /// Every viewer header.
        AllViewer = "allViewer",
        /// Every viewer header plus the listed `CloudFront-*` headers.
        AllViewerAndWhitelistCloudFront = "allViewerAndWhitelistCloudFront",
        /// Every viewer header but the listed ones.
        AllExcept = "allExcept",
    }
}

wire_enum! {
    /// Cookies an origin request policy forwards.
    OriginRequestPolicyCookieBehavior {
        /// No cookie.
        None = "none",
        /// The listed cookies.
        Whitelist = "whitelist",
        /// Every cookie.
        All = "all",
        /// Every cookie but the listed ones.
        AllExcept = "allExcept",
    }
}

wire_enum! {
    /// Query parameters an origin request policy forwards.
    OriginRequestPolicyQueryStringBehavior {
        /// No parameter.
        None = "none",
        /// The listed parameters.
        Whitelist = "whitelist",
        /// Every parameter.
        All = "all",
        /// Every parameter but the listed ones.
        AllExcept = "allExcept",
    }
}

wire_enum! {
    /// `X-Frame-Options` value in a response headers policy.
    FrameOption {
        /// DENY.
        Deny = "DENY",
        /// SAMEORIGIN.
        SameOrigin = "SAMEORIGIN",
    }
}

wire_enum! {
    /// `Referrer-Policy` value in a response headers policy.
    ReferrerPolicyValue {
        /// no-referrer.
        NoReferrer = "no-referrer",
        /// no-referrer-when-downgrade.
        NoReferrerWhenDowngrade = "no-referrer-when-downgrade",
        /// origin.
        Origin = "origin",
        /// origin-when-cross-origin.
        OriginWhenCrossOrigin = "origin-when-cross-origin",
        /// same-origin.
        SameOrigin = "same-origin",
        /// strict-origin.
        StrictOrigin = "strict-origin",
        /// strict-origin-when-cross-origin.
        StrictOriginWhenCrossOrigin = "strict-origin-when-cross-origin",
        /// unsafe-url.
        UnsafeUrl = "unsafe-url",
    }
}

wire_enum! {
    /// A method in `AccessControlAllowMethods`.
    CorsMethod {
        /// GET.
        Get = "GET",
        /// POST.
        Post = "POST",
        /// OPTIONS.
        Options = "OPTIONS",
        /// PUT.
        Put = "PUT",
        /// DELETE.
        Delete = "DELETE",
        /// PATCH.
        Patch = "PATCH",
        /// HEAD.
        Head = "HEAD",
        /// Every method.
        All = "ALL",
    }
}

wire_enum! {
    /// `SigningProtocol`: only SigV4 exists.
    OacSigningProtocol {
        /// AWS Signature Version 4.
        SigV4 = "sigv4",
        /// SigV4a (multi-region); Brink signs such OACs with SigV4 [UNCONFIRMED].
        SigV4a = "sigv4a",
    }
}

wire_enum! {
    /// `SigningBehavior`: when the edge signs.
    OacSigningBehavior {
        /// Never sign.
        Never = "never",
        /// Always sign, replacing a viewer's `Authorization`.
        Always = "always",
        /// Sign unless the viewer's request (as forwarded) carries `Authorization`.
        NoOverride = "no-override",
        /// Sign and keep the viewer's `Authorization` too (Lambda URL origins); for the S3
        /// origins Brink signs, the same as `always` [UNCONFIRMED].
        AlwaysAmzAuth = "always-amz-auth",
    }
}

wire_enum! {
    /// `OriginAccessControlOriginType`: what kind of origin the OAC is for.
    OacOriginType {
        /// An S3 bucket (the only kind Brink signs for).
        S3 = "s3",
        /// AWS Elemental MediaStore.
        MediaStore = "mediastore",
        /// AWS Elemental MediaPackage v2.
        MediaPackageV2 = "mediapackagev2",
        /// A Lambda function URL.
        Lambda = "lambda",
    }
}

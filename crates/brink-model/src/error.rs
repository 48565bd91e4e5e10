//! Validation problems, named with CloudFront's own error codes (§11.2).

use std::fmt;

/// One problem found by [`crate::validate`].
///
/// `code` is the error code CloudFront's API answers for the same mistake, so the control
/// plane can send it back unchanged; `path` locates the field in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// CloudFront error code, one of [`codes`].
    pub code: &'static str,
    /// Where, e.g. `Distributions[0].DistributionConfig.CacheBehaviors.Items[3].TargetOriginId`.
    pub path: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            code,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.code, self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The CloudFront error codes validation can report.
pub mod codes {
    /// A field value is out of range or malformed and CloudFront has no more specific code.
    pub const INVALID_ARGUMENT: &str = "InvalidArgument";
    /// `Quantity` differs from the number of `Items`.
    pub const INCONSISTENT_QUANTITIES: &str = "InconsistentQuantities";
    /// `MinTTL ≤ DefaultTTL ≤ MaxTTL` does not hold.
    pub const INVALID_TTL_ORDER: &str = "InvalidTTLOrder";
    /// A `TargetOriginId` or group member names no origin.
    pub const NO_SUCH_ORIGIN: &str = "NoSuchOrigin";
    /// An origin is malformed (config kind, ports, domain name).
    pub const INVALID_ORIGIN: &str = "InvalidOrigin";
    /// `OriginReadTimeout` out of range.
    pub const INVALID_ORIGIN_READ_TIMEOUT: &str = "InvalidOriginReadTimeout";
    /// `OriginKeepaliveTimeout` out of range.
    pub const INVALID_ORIGIN_KEEPALIVE_TIMEOUT: &str = "InvalidOriginKeepaliveTimeout";
    /// `OriginAccessIdentity` malformed.
    pub const INVALID_ORIGIN_ACCESS_IDENTITY: &str = "InvalidOriginAccessIdentity";
    /// OAI and OAC on one origin.
    pub const ILLEGAL_ORIGIN_ACCESS_CONFIGURATION: &str = "IllegalOriginAccessConfiguration";
    /// `DefaultRootObject` malformed.
    pub const INVALID_DEFAULT_ROOT_OBJECT: &str = "InvalidDefaultRootObject";
    /// `CustomErrorResponse.ErrorCode` not supported.
    pub const INVALID_ERROR_CODE: &str = "InvalidErrorCode";
    /// `CustomErrorResponse.ResponseCode` not supported.
    pub const INVALID_RESPONSE_CODE: &str = "InvalidResponseCode";
    /// `ResponsePagePath` malformed.
    pub const INVALID_RELATIVE_PATH: &str = "InvalidRelativePath";
    /// A geo restriction location is not an ISO 3166-1 alpha-2 code.
    pub const INVALID_LOCATION_CODE: &str = "InvalidLocationCode";
    /// Geo restriction type and locations disagree.
    pub const INVALID_GEO_RESTRICTION_PARAMETER: &str = "InvalidGeoRestrictionParameter";
    /// Viewer certificate settings conflict.
    pub const INVALID_VIEWER_CERTIFICATE: &str = "InvalidViewerCertificate";
    /// SSLv3 with SNI.
    pub const INVALID_PROTOCOL_SETTINGS: &str = "InvalidProtocolSettings";
    /// Malformed WAF web ACL id.
    pub const INVALID_WEB_ACL_ID: &str = "InvalidWebACLId";
    /// Malformed CloudFront Function association.
    pub const INVALID_FUNCTION_ASSOCIATION: &str = "InvalidFunctionAssociation";
    /// Malformed Lambda@Edge association.
    pub const INVALID_LAMBDA_FUNCTION_ASSOCIATION: &str = "InvalidLambdaFunctionAssociation";
    /// Legacy cookie forwarding without names.
    pub const INVALID_FORWARD_COOKIES: &str = "InvalidForwardCookies";
    /// `Host` keyed or forwarded to an S3 origin.
    pub const INVALID_HEADERS_FOR_S3_ORIGIN: &str = "InvalidHeadersForS3Origin";
    /// More than 75 cache behaviors.
    pub const TOO_MANY_CACHE_BEHAVIORS: &str = "TooManyCacheBehaviors";
    /// More than 25 origins.
    pub const TOO_MANY_ORIGINS: &str = "TooManyOrigins";
    /// More than 10 origin groups.
    pub const TOO_MANY_ORIGIN_GROUPS_PER_DISTRIBUTION: &str = "TooManyOriginGroupsPerDistribution";
    /// More than 100 aliases.
    pub const TOO_MANY_DISTRIBUTION_CNAMES: &str = "TooManyDistributionCNAMEs";
    /// More than 500 distributions.
    pub const TOO_MANY_DISTRIBUTIONS: &str = "TooManyDistributions";
    /// More than 10 origin custom headers.
    pub const TOO_MANY_ORIGIN_CUSTOM_HEADERS: &str = "TooManyOriginCustomHeaders";
    /// More than 10 legacy forwarded headers.
    pub const TOO_MANY_HEADERS_IN_FORWARDED_VALUES: &str = "TooManyHeadersInForwardedValues";
    /// More than 10 legacy whitelisted cookies.
    pub const TOO_MANY_COOKIE_NAMES_IN_WHITE_LIST: &str = "TooManyCookieNamesInWhiteList";
    /// More than 10 legacy query string cache keys.
    pub const TOO_MANY_QUERY_STRING_PARAMETERS: &str = "TooManyQueryStringParameters";
    /// More than 4 key groups on a behavior.
    pub const TOO_MANY_KEY_GROUPS_ASSOCIATED_TO_DISTRIBUTION: &str =
        "TooManyKeyGroupsAssociatedToDistribution";
    /// More than 5 legacy trusted signers.
    pub const TOO_MANY_TRUSTED_SIGNERS: &str = "TooManyTrustedSigners";
    /// More than one function per event type (2 in all).
    pub const TOO_MANY_FUNCTION_ASSOCIATIONS: &str = "TooManyFunctionAssociations";
    /// More than one Lambda@Edge function per event type (4 in all).
    pub const TOO_MANY_LAMBDA_FUNCTION_ASSOCIATIONS: &str = "TooManyLambdaFunctionAssociations";
    /// An alias or domain name is used by two distributions.
    pub const CNAME_ALREADY_EXISTS: &str = "CNAMEAlreadyExists";
    /// Two distributions share an `Id` or `CallerReference`.
    pub const DISTRIBUTION_ALREADY_EXISTS: &str = "DistributionAlreadyExists";
    /// Two streaming distributions share an `Id` or `CallerReference`.
    pub const STREAMING_DISTRIBUTION_ALREADY_EXISTS: &str = "StreamingDistributionAlreadyExists";
    /// More than 100 streaming distributions.
    pub const TOO_MANY_STREAMING_DISTRIBUTIONS: &str = "TooManyStreamingDistributions";
    /// More than 100 aliases on a streaming distribution.
    pub const TOO_MANY_STREAMING_DISTRIBUTION_CNAMES: &str = "TooManyStreamingDistributionCNAMEs";
    /// Unknown `CachePolicyId`.
    pub const NO_SUCH_CACHE_POLICY: &str = "NoSuchCachePolicy";
    /// Unknown `OriginRequestPolicyId`.
    pub const NO_SUCH_ORIGIN_REQUEST_POLICY: &str = "NoSuchOriginRequestPolicy";
    /// Unknown `ResponseHeadersPolicyId`.
    pub const NO_SUCH_RESPONSE_HEADERS_POLICY: &str = "NoSuchResponseHeadersPolicy";
    /// Unknown `OriginAccessControlId`.
    pub const NO_SUCH_ORIGIN_ACCESS_CONTROL: &str = "NoSuchOriginAccessControl";
    /// Two origin access controls with one name.
    pub const ORIGIN_ACCESS_CONTROL_ALREADY_EXISTS: &str = "OriginAccessControlAlreadyExists";
    /// Unknown public key in a key group.
    pub const NO_SUCH_PUBLIC_KEY: &str = "NoSuchPublicKey";
    /// Field-level encryption is not available in Brink's files.
    pub const NO_SUCH_FIELD_LEVEL_ENCRYPTION_CONFIG: &str = "NoSuchFieldLevelEncryptionConfig";
    /// Continuous deployment policies are not available in Brink's files.
    pub const NO_SUCH_CONTINUOUS_DEPLOYMENT_POLICY: &str = "NoSuchContinuousDeploymentPolicy";
    /// Unknown key group in `TrustedKeyGroups`.
    pub const TRUSTED_KEY_GROUP_DOES_NOT_EXIST: &str = "TrustedKeyGroupDoesNotExist";
    /// A file policy reuses a managed policy's id.
    pub const ILLEGAL_UPDATE: &str = "IllegalUpdate";
    /// Two cache policies share an id or name.
    pub const CACHE_POLICY_ALREADY_EXISTS: &str = "CachePolicyAlreadyExists";
    /// Two origin request policies share an id or name.
    pub const ORIGIN_REQUEST_POLICY_ALREADY_EXISTS: &str = "OriginRequestPolicyAlreadyExists";
    /// Two response headers policies share an id or name.
    pub const RESPONSE_HEADERS_POLICY_ALREADY_EXISTS: &str = "ResponseHeadersPolicyAlreadyExists";
    /// Two public keys share an id or name.
    pub const PUBLIC_KEY_ALREADY_EXISTS: &str = "PublicKeyAlreadyExists";
    /// Two key groups share an id or name.
    pub const KEY_GROUP_ALREADY_EXISTS: &str = "KeyGroupAlreadyExists";
    /// More than 10 headers in a cache policy.
    pub const TOO_MANY_HEADERS_IN_CACHE_POLICY: &str = "TooManyHeadersInCachePolicy";
    /// More than 10 cookies in a cache policy.
    pub const TOO_MANY_COOKIES_IN_CACHE_POLICY: &str = "TooManyCookiesInCachePolicy";
    /// More than 10 query strings in a cache policy.
    pub const TOO_MANY_QUERY_STRINGS_IN_CACHE_POLICY: &str = "TooManyQueryStringsInCachePolicy";
    /// More than 10 headers in an origin request policy.
    pub const TOO_MANY_HEADERS_IN_ORIGIN_REQUEST_POLICY: &str =
        "TooManyHeadersInOriginRequestPolicy";
    /// More than 10 cookies in an origin request policy.
    pub const TOO_MANY_COOKIES_IN_ORIGIN_REQUEST_POLICY: &str =
        "TooManyCookiesInOriginRequestPolicy";
    /// More than 10 query strings in an origin request policy.
    pub const TOO_MANY_QUERY_STRINGS_IN_ORIGIN_REQUEST_POLICY: &str =
        "TooManyQueryStringsInOriginRequestPolicy";
    /// More than 10 custom headers in a response headers policy.
    pub const TOO_MANY_CUSTOM_HEADERS_IN_RESPONSE_HEADERS_POLICY: &str =
        "TooManyCustomHeadersInResponseHeadersPolicy";
    /// More than 10 removed headers in a response headers policy.
    pub const TOO_MANY_REMOVE_HEADERS_IN_RESPONSE_HEADERS_POLICY: &str =
        "TooManyRemoveHeadersInResponseHeadersPolicy";
    /// `Content-Security-Policy` longer than 1,783 characters.
    pub const TOO_LONG_CSP_IN_RESPONSE_HEADERS_POLICY: &str = "TooLongCSPInResponseHeadersPolicy";
    /// More than 20 policies of one kind.
    pub const TOO_MANY_CACHE_POLICIES: &str = "TooManyCachePolicies";
    /// More than 20 origin request policies.
    pub const TOO_MANY_ORIGIN_REQUEST_POLICIES: &str = "TooManyOriginRequestPolicies";
    /// More than 20 response headers policies.
    pub const TOO_MANY_RESPONSE_HEADERS_POLICIES: &str = "TooManyResponseHeadersPolicies";
    /// More than 10 key groups.
    pub const TOO_MANY_KEY_GROUPS: &str = "TooManyKeyGroups";
    /// More than 5 public keys in a key group.
    pub const TOO_MANY_PUBLIC_KEYS_IN_KEY_GROUP: &str = "TooManyPublicKeysInKeyGroup";
    /// More than 100 distributions use one cache policy.
    pub const TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_CACHE_POLICY: &str =
        "TooManyDistributionsAssociatedToCachePolicy";
    /// More than 100 distributions use one origin request policy.
    pub const TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_ORIGIN_REQUEST_POLICY: &str =
        "TooManyDistributionsAssociatedToOriginRequestPolicy";
    /// More than 100 distributions use one response headers policy.
    pub const TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_RESPONSE_HEADERS_POLICY: &str =
        "TooManyDistributionsAssociatedToResponseHeadersPolicy";
    /// More than 100 distributions use one key group.
    pub const TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_KEY_GROUP: &str =
        "TooManyDistributionsAssociatedToKeyGroup";
}

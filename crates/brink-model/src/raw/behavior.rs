//! Cache behaviors (§1.2–§1.5, §2.4, §5).
//!
//! `DefaultCacheBehavior` and the items of `CacheBehaviors` share every field but
//! `PathPattern`; one macro declares both so they cannot drift apart, plus a borrowed view
//! that validation uses for either.

use serde::{Deserialize, Serialize};

use super::{EventType, ItemSelection, List, Method, ViewerProtocolPolicy};

macro_rules! behavior_structs {
    ( $( $(#[$meta:meta])* $field:ident : $ty:ty, )+ ) => {
        /// The behavior used when no `CacheBehaviors` pattern matches (implicit `*`).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        pub struct DefaultCacheBehavior {
            $( $(#[$meta])* pub $field: $ty, )+
        }

        /// A behavior selected by `PathPattern` (first match in list order wins).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        pub struct CacheBehavior {
            /// The path pattern (§1.2).
            pub path_pattern: String,
            $( $(#[$meta])* pub $field: $ty, )+
        }

        /// Either kind of behavior, borrowed field by field.
        #[derive(Debug, Clone, Copy)]
        pub(crate) struct BehaviorRef<'a> {
            pub(crate) path_pattern: Option<&'a str>,
            $( pub(crate) $field: &'a $ty, )+
        }

        impl DefaultCacheBehavior {
            pub(crate) fn view(&self) -> BehaviorRef<'_> {
                BehaviorRef { path_pattern: None, $( $field: &self.$field, )+ }
            }
        }

        impl CacheBehavior {
            pub(crate) fn view(&self) -> BehaviorRef<'_> {
                BehaviorRef { path_pattern: Some(&self.path_pattern), $( $field: &self.$field, )+ }
            }
        }
    };
}

behavior_structs! {
    /// Origin or origin group that serves this behavior.
    target_origin_id: String,
    /// Legacy signers (AWS account numbers or `self`).
    #[serde(default)]
    trusted_signers: TrustedSigners,
    /// Key groups whose keys may sign URLs and cookies for this behavior.
    #[serde(default)]
    trusted_key_groups: TrustedKeyGroups,
    /// HTTP/HTTPS handling.
    viewer_protocol_policy: ViewerProtocolPolicy,
    /// Methods served and methods cached.
    #[serde(default)]
    allowed_methods: AllowedMethods,
    /// Microsoft Smooth Streaming.
    #[serde(default)]
    smooth_streaming: bool,
    /// Edge compression (§8.3).
    #[serde(default)]
    compress: bool,
    /// Lambda@Edge functions.
    #[serde(default)]
    lambda_function_associations: List<LambdaFunctionAssociation>,
    /// CloudFront Functions.
    #[serde(default)]
    function_associations: List<FunctionAssociation>,
    /// Field-level encryption config id (`""` = none).
    #[serde(default)]
    field_level_encryption_id: String,
    /// Real-time log configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    realtime_log_config_arn: Option<String>,
    /// Cache policy id (`""` = none, as Terraform writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache_policy_id: Option<String>,
    /// Origin request policy id (`""` = none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin_request_policy_id: Option<String>,
    /// Response headers policy id (`""` = none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_headers_policy_id: Option<String>,
    /// gRPC over HTTP/2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grpc_config: Option<GrpcConfig>,
    /// Brink's own field (CloudFront has none): HLS cut from the behavior's stored MP4 files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    brink_hls: Option<BrinkHls>,
    /// Legacy cache key and forwarding settings (instead of a cache policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forwarded_values: Option<ForwardedValues>,
    /// Legacy `MinTTL`, seconds (required with `ForwardedValues`).
    #[serde(rename = "MinTTL", default, skip_serializing_if = "Option::is_none")]
    min_ttl: Option<u64>,
    /// Legacy `DefaultTTL`, seconds (default 86400, or MinTTL when larger).
    #[serde(rename = "DefaultTTL", default, skip_serializing_if = "Option::is_none")]
    default_ttl: Option<u64>,
    /// Legacy `MaxTTL`, seconds (default 31536000, or DefaultTTL when larger).
    #[serde(rename = "MaxTTL", default, skip_serializing_if = "Option::is_none")]
    max_ttl: Option<u64>,
}

/// Legacy `TrustedSigners` (`Enabled`, account numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TrustedSigners {
    /// Whether signed URLs are required.
    pub enabled: bool,
    /// Number of items.
    pub quantity: u32,
    /// AWS account numbers or `self`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<String>>,
}

/// `TrustedKeyGroups` (`Enabled`, key group ids).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TrustedKeyGroups {
    /// Whether signed URLs or cookies are required.
    pub enabled: bool,
    /// Number of items.
    pub quantity: u32,
    /// Key group ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<String>>,
}

/// `AllowedMethods` with its nested `CachedMethods`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AllowedMethods {
    /// Number of items (2, 3 or 7).
    pub quantity: u32,
    /// The methods served.
    pub items: Vec<Method>,
    /// The methods cached (2 or 3), a subset of `Items`.
    #[serde(default)]
    pub cached_methods: CachedMethods,
}

impl Default for AllowedMethods {
    fn default() -> Self {
        AllowedMethods {
            quantity: 2,
            items: vec![Method::Head, Method::Get],
            cached_methods: CachedMethods::default(),
        }
    }
}

/// `CachedMethods`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachedMethods {
    /// Number of items.
    pub quantity: u32,
    /// The methods cached.
    pub items: Vec<Method>,
}

impl Default for CachedMethods {
    fn default() -> Self {
        CachedMethods {
            quantity: 2,
            items: vec![Method::Head, Method::Get],
        }
    }
}

/// A Lambda@Edge function attached to a behavior.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LambdaFunctionAssociation {
    /// Versioned function ARN.
    #[serde(rename = "LambdaFunctionARN")]
    pub lambda_function_arn: String,
    /// When it runs.
    pub event_type: EventType,
    /// Whether the request body is exposed to the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_body: Option<bool>,
}

/// A CloudFront Function attached to a behavior.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FunctionAssociation {
    /// `arn:aws:cloudfront::<account>:function/<name>`.
    #[serde(rename = "FunctionARN")]
    pub function_arn: String,
    /// `viewer-request` or `viewer-response`.
    pub event_type: EventType,
}

/// `GrpcConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GrpcConfig {
    /// Whether gRPC requests are proxied.
    pub enabled: bool,
}

/// `BrinkHls` (Brink's own field): every H.264/AAC MP4 under the behavior is also served as
/// HLS — `…/video.mp4/index.m3u8` and its `seg-N.ts` segments, cut on key frames at request
/// time from byte ranges of the stored file and cached like any object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BrinkHls {
    /// Whether HLS is served.
    pub enabled: bool,
    /// The shortest segment, seconds (1–60, default 6): segments start on the first key
    /// frame at least this long after the previous cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_seconds: Option<u32>,
}

/// Legacy `ForwardedValues`: cache key and forwarding in one (§2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ForwardedValues {
    /// Whether query strings are forwarded and keyed.
    pub query_string: bool,
    /// Which cookies are forwarded and keyed.
    pub cookies: CookiePreference,
    /// Headers forwarded and keyed (`*` = all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<List<String>>,
    /// With `QueryString`, the parameters that form the key (empty = all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_string_cache_keys: Option<List<String>>,
}

/// Legacy `Cookies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CookiePreference {
    /// none, whitelist or all.
    pub forward: ItemSelection,
    /// Names for `whitelist`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whitelisted_names: Option<List<String>>,
}

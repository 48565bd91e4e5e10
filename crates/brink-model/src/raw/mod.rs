//! The configuration as written: CloudFront's 2020-05-31 API shapes in the JSON the aws CLI
//! prints (`aws cloudfront get-distribution --output json` and friends), or the same
//! structure in YAML.
//!
//! These types only *parse*; nothing here is checked beyond the shape (unknown fields and
//! unknown enum values are refused). [`crate::validate`] judges them and compiles the
//! [`Model`](crate::Model). Fields that CloudFront fills in server-side (§11.1) get the same
//! defaults here, so serialising a parsed file yields the complete structure CloudFront
//! echoes; fields without a documented default stay `Option`.

mod behavior;
mod certificates;
mod distribution;
mod enums;
mod keys;
mod oac;
mod origin;
mod policy;
mod streaming;

pub use behavior::*;
pub use certificates::*;
pub use distribution::*;
pub use enums::*;
pub use keys::*;
pub use oac::*;
pub use origin::*;
pub use policy::*;
pub use streaming::*;

use serde::{Deserialize, Serialize};

/// CloudFront's list wrapper: `{"Quantity": n, "Items": [...]}`.
///
/// `Items` may be absent (CloudFront omits it when empty); `Quantity` must equal its length,
/// which validation checks (`InconsistentQuantities`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "PascalCase",
    deny_unknown_fields,
    bound(deserialize = "T: Deserialize<'de>")
)]
pub struct List<T> {
    /// The number of items the writer claims.
    pub quantity: u32,
    /// The items; `None` when the field was absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<T>>,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List {
            quantity: 0,
            items: None,
        }
    }
}

impl<T> List<T> {
    /// A list whose `Quantity` matches its items (`Items` omitted when empty, as CloudFront
    /// writes it).
    pub fn from_items(items: Vec<T>) -> Self {
        let quantity = u32::try_from(items.len()).unwrap_or(u32::MAX);
        List {
            quantity,
            items: if items.is_empty() { None } else { Some(items) },
        }
    }

    /// The items, empty when `Items` was absent.
    pub fn items(&self) -> &[T] {
        self.items.as_deref().unwrap_or(&[])
    }
}

/// The root of an edge configuration file: every resource the edge serves from.
///
/// Each list holds entities exactly as the matching `aws cloudfront get-…` command prints
/// them (the object under `Distribution`, `CachePolicy`, …). All lists are optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EdgeFile {
    /// Distributions, each with its `Id` and `DistributionConfig`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distributions: Vec<Distribution>,
    /// RTMP distributions, each with its `Id` and `StreamingDistributionConfig`
    /// (`aws cloudfront get-streaming-distribution`'s shape).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streaming_distributions: Vec<StreamingDistribution>,
    /// Custom cache policies (managed ones are built in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_policies: Vec<CachePolicy>,
    /// Custom origin request policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origin_request_policies: Vec<OriginRequestPolicy>,
    /// Custom response headers policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_headers_policies: Vec<ResponseHeadersPolicy>,
    /// Public keys for signed URLs and cookies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<PublicKey>,
    /// Key groups referenced by `TrustedKeyGroups`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_groups: Vec<KeyGroup>,
    /// Origin access controls referenced by origins' `OriginAccessControlId` (§7.5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origin_access_controls: Vec<OriginAccessControl>,
    /// Viewer certificates (Brink's addition): the PEM files behind the ACM ARNs and IAM
    /// certificate ids distributions name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<EdgeCertificate>,
}

/// Why a file could not be read into [`EdgeFile`]: bad syntax, a wrong type, an unknown field
/// or enum value. Only the first such problem is known; validation problems come all at once
/// from [`crate::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} at {path} (line {line}, column {column}): {message}")]
pub struct ParseError {
    /// `JSON` or `YAML`.
    pub format: &'static str,
    /// Where in the document, e.g. `Distributions[0].DistributionConfig.Enabled`; `.` for the
    /// root or when unknown.
    pub path: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// The parser's explanation.
    pub message: String,
}

impl ParseError {
    /// The code a parse failure is reported under when it joins validation problems.
    /// CloudFront's own answer to a schema violation varies ([UNCONFIRMED]); this is the
    /// general one its API uses for a bad parameter.
    pub const CODE: &'static str = "InvalidArgument";
}

impl From<ParseError> for crate::ConfigError {
    fn from(e: ParseError) -> Self {
        crate::ConfigError {
            code: ParseError::CODE,
            path: e.path.clone(),
            message: e.to_string(),
        }
    }
}

impl EdgeFile {
    /// Parses the JSON form.
    ///
    /// # Errors
    /// [`ParseError`] with the path of the first offending element.
    pub fn from_json(text: &str) -> Result<EdgeFile, ParseError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            ParseError {
                format: "JSON",
                path,
                line: inner.line(),
                column: inner.column(),
                message: strip_location(&inner.to_string()),
            }
        })
    }

    /// Parses the YAML form (same field names as the JSON).
    ///
    /// # Errors
    /// [`ParseError`] with the path of the first offending element.
    pub fn from_yaml(text: &str) -> Result<EdgeFile, ParseError> {
        let de = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let (line, column) = inner.location().map_or((0, 0), |l| (l.line(), l.column()));
            // serde_yaml_ng starts its message with the path already.
            let message = strip_location(&inner.to_string());
            let message = message
                .strip_prefix(&format!("{path}: "))
                .map_or(message.clone(), str::to_string);
            ParseError {
                format: "YAML",
                path,
                line,
                column,
                message,
            }
        })
    }

    /// The JSON form, pretty-printed, with every defaulted field written out.
    ///
    /// # Errors
    /// Only if serde_json refuses a value (non-finite `SamplingRate`).
    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// The YAML form.
    ///
    /// # Errors
    /// Only if the YAML emitter refuses a value.
    pub fn to_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        serde_yaml_ng::to_string(self)
    }
}

/// Parser messages end with " at line L column C"; the location already has its own fields.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Accepts `"404"` or `404` for fields CloudFront types as strings but people write as numbers
/// (`CustomErrorResponse.ResponseCode`).
pub(crate) mod string_or_number {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(u64),
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match Either::deserialize(d)? {
            Either::S(s) => s,
            Either::N(n) => n.to_string(),
        })
    }
}

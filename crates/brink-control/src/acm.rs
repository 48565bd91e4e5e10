//! The subset of AWS Certificate Manager that CloudFront users run (`aws acm
//! import-certificate` and friends): JSON 1.1 with `X-Amz-Target: CertificateManager.<Op>`, on
//! the same endpoint as the CloudFront API, SigV4 service `acm`.
//!
//! Imported certificates are what a distribution's `ViewerCertificate.ACMCertificateArn` may
//! name: the ARN must be imported and the certificate must cover every alias
//! (`InvalidViewerCertificate` otherwise, as on CloudFront). They reach the edges with the
//! configuration (the feed's `certificates`), private keys included, which is why the feed
//! needs its token.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::state::{State, ACCOUNT};
use crate::time::now_millis;

/// An imported certificate as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CertRecord {
    pub(crate) arn: String,
    /// Leaf first, then the chain, PEM.
    pub(crate) certificate_pem: String,
    pub(crate) chain_pem: String,
    pub(crate) private_key_pem: String,
    /// DNS names of the leaf (SANs).
    pub(crate) names: Vec<String>,
    pub(crate) imported_ms: i64,
}

/// An ACM error: `{"__type": code, "message": …}` with status 400.
fn err(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(http::StatusCode::BAD_REQUEST, code, message)
}

/// The leaf's DNS names, or why the PEM is unusable.
fn leaf_names(cert_pem: &str) -> Result<Vec<String>, String> {
    use rustls_pki_types::pem::PemObject as _;
    let der = rustls_pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .next()
        .ok_or("no certificate in the PEM")?
        .map_err(|e| format!("not a PEM certificate: {e}"))?;
    let leaf = webpki::EndEntityCert::try_from(&der)
        .map_err(|e| format!("not a usable X.509 certificate: {e}"))?;
    Ok(leaf
        .valid_dns_names()
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        .collect())
}

/// Whether `names` (a certificate's) cover `alias`: exact, or a one-label wildcard SAN
/// (`*.example.com` covers `www.example.com`); a wildcard alias needs the same wildcard.
pub(crate) fn covers(names: &[String], alias: &str) -> bool {
    let alias = alias.trim_end_matches('.').to_ascii_lowercase();
    names.iter().any(|n| {
        *n == alias
            || (!alias.starts_with("*.")
                && n.strip_prefix("*.").is_some_and(|base| {
                    alias
                        .split_once('.')
                        .is_some_and(|(label, rest)| !label.is_empty() && rest == base)
                }))
    })
}

fn blob(v: &Value, field: &str) -> Result<Option<String>, ApiError> {
    use base64::Engine as _;
    let Some(s) = v[field].as_str() else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| err("ValidationException", format!("{field} is not base64")))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| err("ValidationException", format!("{field} is not PEM text")))
}

fn arn_of(v: &Value) -> Result<&str, ApiError> {
    v["CertificateArn"]
        .as_str()
        .filter(|a| a.starts_with("arn:aws:acm:"))
        .ok_or_else(|| err("ValidationException", "CertificateArn is required"))
}

fn not_found(arn: &str) -> ApiError {
    err(
        "ResourceNotFoundException",
        format!("Could not find certificate {arn}."),
    )
}

/// Runs `CertificateManager.<op>` on a JSON body; the JSON answer.
pub(crate) fn handle(state: &mut State, op: &str, body: &[u8]) -> Result<Value, ApiError> {
    let v: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| err("SerializationException", format!("not JSON: {e}")))?
    };
    match op {
        "ImportCertificate" => {
            let cert = blob(&v, "Certificate")?
                .ok_or_else(|| err("ValidationException", "Certificate is required"))?;
            let key = blob(&v, "PrivateKey")?
                .ok_or_else(|| err("ValidationException", "PrivateKey is required"))?;
            let chain = blob(&v, "CertificateChain")?.unwrap_or_default();
            let names = leaf_names(&cert).map_err(|e| err("ValidationException", e))?;
            if !key.contains("PRIVATE KEY-----") {
                return Err(err(
                    "ValidationException",
                    "PrivateKey is not a PEM private key",
                ));
            }
            let arn = match v["CertificateArn"].as_str() {
                // Re-import under the same ARN.
                Some(a) if state.certs.contains_key(a) => a.to_owned(),
                Some(a) => return Err(not_found(a)),
                None => format!(
                    "arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{}",
                    crate::ids::uuid()
                ),
            };
            let rec = CertRecord {
                arn: arn.clone(),
                certificate_pem: cert,
                chain_pem: chain,
                private_key_pem: key,
                names,
                imported_ms: now_millis(),
            };
            state.put_cert(rec)?;
            Ok(json!({ "CertificateArn": arn }))
        }
        "DescribeCertificate" => {
            let arn = arn_of(&v)?;
            let c = state.certs.get(arn).ok_or_else(|| not_found(arn))?;
            let in_use: Vec<String> = state
                .dists
                .values()
                .filter(|d| d.config["ViewerCertificate"]["ACMCertificateArn"] == arn)
                .map(|d| d.arn())
                .collect();
            Ok(json!({"Certificate": {
                "CertificateArn": c.arn,
                "DomainName": c.names.first().cloned().unwrap_or_default(),
                "SubjectAlternativeNames": c.names,
                "Status": "ISSUED",
                "Type": "IMPORTED",
                "ImportedAt": c.imported_ms as f64 / 1000.0,
                "InUseBy": in_use,
                "KeyAlgorithm": "RSA-2048",
            }}))
        }
        "ListCertificates" => {
            let items: Vec<Value> = state
                .certs
                .values()
                .map(|c| {
                    json!({
                        "CertificateArn": c.arn,
                        "DomainName": c.names.first().cloned().unwrap_or_default(),
                        "Type": "IMPORTED",
                        "Status": "ISSUED",
                    })
                })
                .collect();
            Ok(json!({ "CertificateSummaryList": items }))
        }
        "GetCertificate" => {
            let arn = arn_of(&v)?;
            let c = state.certs.get(arn).ok_or_else(|| not_found(arn))?;
            Ok(json!({"Certificate": c.certificate_pem, "CertificateChain": c.chain_pem}))
        }
        "DeleteCertificate" => {
            let arn = arn_of(&v)?.to_owned();
            if !state.certs.contains_key(&arn) {
                return Err(not_found(&arn));
            }
            if state
                .dists
                .values()
                .any(|d| d.config["ViewerCertificate"]["ACMCertificateArn"] == arn.as_str())
            {
                return Err(err(
                    "ResourceInUseException",
                    format!("Certificate {arn} is in use by a distribution."),
                ));
            }
            state.delete_cert(&arn)?;
            Ok(json!({}))
        }
        other => Err(err(
            "UnknownOperationException",
            format!("CertificateManager.{other} is not supported by this endpoint"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn coverage_follows_rfc_6125() {
        let names = vec!["*.example.com".to_owned(), "example.org".to_owned()];
        assert!(covers(&names, "www.example.com"));
        assert!(covers(&names, "WWW.Example.com."));
        assert!(!covers(&names, "a.b.example.com"));
        assert!(!covers(&names, "example.com"));
        assert!(covers(&names, "*.example.com"));
        assert!(!covers(&names, "*.example.org"));
        assert!(covers(&names, "example.org"));
    }
}

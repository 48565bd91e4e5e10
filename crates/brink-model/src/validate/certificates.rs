//! The `Certificates` list (Brink's stand-in for ACM and IAM) and the distributions' use of
//! it: a `ViewerCertificate` naming an id that is not listed is `InvalidViewerCertificate`,
//! as CloudFront answers for a certificate that does not exist (§8.4).
//!
//! Whether each certificate covers its distributions' aliases needs the files; the loader
//! checks that, with the same code.

use std::collections::HashMap;

use crate::compiled::{CertificateFiles, Distribution, ViewerCertificateSource};
use crate::error::codes;
use crate::raw::EdgeCertificate;

use super::Ctx;

/// Checks the list and every reference to it; returns the entries by id.
pub(super) fn compile(
    cx: &mut Ctx,
    list: &[EdgeCertificate],
    distributions: &[Distribution],
) -> HashMap<String, CertificateFiles> {
    let mut by_id: HashMap<String, CertificateFiles> = HashMap::with_capacity(list.len());
    for (index, c) in list.iter().enumerate() {
        let path = format!("Certificates[{index}]");
        for (field, value) in [
            ("Id", &c.id),
            ("CertificateFile", &c.certificate_file),
            ("PrivateKeyFile", &c.private_key_file),
        ] {
            if value.trim().is_empty() {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{path}.{field}"),
                    format!("{field} must not be empty"),
                );
            }
        }
        if by_id.contains_key(&c.id) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.Id"),
                format!("certificate id {:?} is listed twice", c.id),
            );
            continue;
        }
        by_id.insert(
            c.id.clone(),
            CertificateFiles {
                id: c.id.clone(),
                index,
                certificate_file: c.certificate_file.clone(),
                private_key_file: c.private_key_file.clone(),
            },
        );
    }
    for (i, d) in distributions.iter().enumerate() {
        let (id, field) = match &d.viewer_certificate.source {
            ViewerCertificateSource::Default => continue,
            ViewerCertificateSource::Acm(arn) => (arn, "ACMCertificateArn"),
            ViewerCertificateSource::Iam(id) => (id, "IAMCertificateId"),
        };
        let base = format!("Distributions[{i}].DistributionConfig.ViewerCertificate");
        // One problem per field: a malformed ARN was reported already.
        if cx.errors.iter().any(|e| e.path.starts_with(&base)) || by_id.contains_key(id) {
            continue;
        }
        cx.err(
            codes::INVALID_VIEWER_CERTIFICATE,
            format!("{base}.{field}"),
            format!("certificate {id:?} is not in the file's Certificates list"),
        );
    }
    by_id
}

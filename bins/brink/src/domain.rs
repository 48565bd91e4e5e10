//! The CDN domain option shared by `brink edge`, `brink control` and `brink up`.

use crate::serve::ConfigError;

/// Checks and normalises `--cdn-domain` (lower case, no surrounding dots).
pub(crate) fn check_cdn_domain(raw: &str) -> Result<String, ConfigError> {
    let domain = raw.trim_matches('.').to_ascii_lowercase();
    let valid_label = |l: &str| {
        !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if domain.len() > 200 || !domain.split('.').all(valid_label) {
        return Err(ConfigError(format!(
            "--cdn-domain {raw:?}: not a DNS domain name (letters, digits and '-' in dot-separated labels)"
        )));
    }
    Ok(domain)
}

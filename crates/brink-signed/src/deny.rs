//! Refusals: CloudFront's code, message and XML body (cloudfront.md §5 table).

use std::fmt;

/// CloudFront's error code of a refused signed request. Every one is answered `403`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyCode {
    /// No `Key-Pair-Id` (URL or cookie), or it is empty. Also the answer to an unsigned
    /// request.
    MissingKey,
    /// The `Key-Pair-Id` names no key trusted by the behavior.
    InvalidKey,
    /// The signature is missing or does not decode.
    MalformedSignature,
    /// The policy (or `Expires`) is missing, does not decode, or does not parse.
    MalformedPolicy,
    /// Everything else: a signature that does not verify, expired, too early, wrong IP or
    /// resource, unknown `Hash-Algorithm`.
    AccessDenied,
}

impl DenyCode {
    /// The `<Code>`.
    pub fn code(self) -> &'static str {
        match self {
            DenyCode::MissingKey => "MissingKey",
            DenyCode::InvalidKey => "InvalidKey",
            DenyCode::MalformedSignature => "MalformedSignature",
            DenyCode::MalformedPolicy => "MalformedPolicy",
            DenyCode::AccessDenied => "AccessDenied",
        }
    }

    /// The `<Message>` CloudFront sends.
    pub fn message(self) -> &'static str {
        match self {
            DenyCode::MissingKey => "Missing Key-Pair-Id query parameter or cookie value",
            DenyCode::InvalidKey => "Unknown Key",
            DenyCode::MalformedSignature => "Could not unencode Signature",
            DenyCode::MalformedPolicy => "Malformed Policy",
            DenyCode::AccessDenied => "Access denied",
        }
    }

    /// The whole XML body (`Content-Type: text/xml`), as CloudFront sends it.
    pub fn xml_body(self) -> &'static str {
        match self {
            DenyCode::MissingKey => concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "<Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>"
            ),
            DenyCode::InvalidKey => concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "<Error><Code>InvalidKey</Code><Message>Unknown Key</Message></Error>"
            ),
            DenyCode::MalformedSignature => concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "<Error><Code>MalformedSignature</Code><Message>Could not unencode Signature</Message></Error>"
            ),
            DenyCode::MalformedPolicy => concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "<Error><Code>MalformedPolicy</Code><Message>Malformed Policy</Message></Error>"
            ),
            DenyCode::AccessDenied => concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>"
            ),
        }
    }
}

/// The HTTP status of every refusal.
pub const DENY_STATUS: u16 = 403;

/// Which check refused (for logs and tests; viewers only see the [`DenyCode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyReason {
    /// Neither URL nor cookies carry a `Key-Pair-Id` (or it is empty).
    NoKeyPairId,
    /// The key is not trusted by the behavior.
    UnknownKey,
    /// No `Signature` (or empty).
    NoSignature,
    /// `Signature` is not CloudFront base64 or too long for any key.
    SignatureEncoding,
    /// Neither `Expires` nor `Policy`.
    NoPolicy,
    /// `Expires` is not a decimal epoch.
    BadExpires,
    /// `Policy` is not CloudFront base64.
    PolicyEncoding,
    /// `Policy` is not a policy (see [`crate::policy`]).
    PolicySyntax,
    /// `Hash-Algorithm` is neither `SHA1` nor `SHA256`.
    UnknownHashAlgorithm,
    /// The signature does not verify.
    BadSignature,
    /// `now >= DateLessThan`.
    Expired,
    /// `now <= DateGreaterThan`.
    NotYetValid,
    /// The peer is outside `IpAddress` (or is IPv6).
    IpMismatch,
    /// The URL is outside `Resource`.
    ResourceMismatch,
}

/// A refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied {
    /// What the viewer is told.
    pub code: DenyCode,
    /// Which check failed.
    pub reason: DenyReason,
}

impl Denied {
    pub(crate) fn new(code: DenyCode, reason: DenyReason) -> Denied {
        Denied { code, reason }
    }

    /// `403`.
    pub fn status(&self) -> u16 {
        DENY_STATUS
    }

    /// The XML body (see [`DenyCode::xml_body`]).
    pub fn xml_body(&self) -> &'static str {
        self.code.xml_body()
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.code.code(), self.reason)
    }
}

impl std::error::Error for Denied {}

/// Renders CloudFront's XML error body for any code and message (escaping `&`, `<`, `>`).
pub fn render_error_xml(code: &str, message: &str) -> String {
    fn esc(out: &mut String, s: &str) {
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
        }
    }
    let mut s = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>"#);
    esc(&mut s, code);
    s.push_str("</Code><Message>");
    esc(&mut s, message);
    s.push_str("</Message></Error>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_the_renderer() {
        for c in [
            DenyCode::MissingKey,
            DenyCode::InvalidKey,
            DenyCode::MalformedSignature,
            DenyCode::MalformedPolicy,
            DenyCode::AccessDenied,
        ] {
            assert_eq!(c.xml_body(), render_error_xml(c.code(), c.message()));
        }
        assert_eq!(
            DenyCode::AccessDenied.xml_body(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>"#
        );
    }
}

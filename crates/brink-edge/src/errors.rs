//! Edge failures and the one place that turns them into viewer responses.
//!
//! Every error the edge itself generates goes through [`EdgeError::status`] and
//! [`error_page`]: a CloudFront-style HTML page, `Server: CloudFront`,
//! `X-Cache: Error from cloudfront` (added by the delivery phase).

use brink_cache::FetchFailure;
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};

use crate::body::EdgeBody;
use crate::h1guard::Reject;

/// What went wrong, and on whose side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeError {
    /// The viewer's request was refused before reaching the edge's logic.
    #[error("rejected request: {0:?}")]
    Rejected(Reject),
    /// A GET or HEAD request carried a body (cloudfront.md §1.1: 403).
    #[error("GET/HEAD request with a body")]
    BodyOnGet,
    /// The viewer's request body was malformed (e.g. broken chunked framing).
    #[error("malformed request body")]
    BadBody,
    /// The origin could not be reached (DNS, connect, TLS): 502.
    #[error("cannot connect to origin")]
    OriginConnect,
    /// The origin did not answer within the read timeout: 504.
    #[error("origin timeout")]
    OriginTimeout,
    /// The origin answered with something that is not valid HTTP: 502.
    #[error("invalid origin response")]
    OriginProtocol,
    /// The request went through the edge to itself.
    #[error("request loop")]
    Loop,
    /// No distribution serves this `Host`.
    #[error("no distribution for this host")]
    UnknownHost,
    /// The distribution is disabled.
    #[error("distribution disabled")]
    DistributionDisabled,
    /// `https-only` behavior reached over HTTP.
    #[error("HTTPS required")]
    HttpsRequired,
    /// The behavior does not allow this method.
    #[error("method not allowed by the cache behavior")]
    MethodNotAllowed,
    /// The behavior requires a signed URL or signed cookies and the request's did not pass
    /// (cloudfront.md §5): 403 with CloudFront's XML body for the code.
    #[error("signed URL or cookies refused: {0:?}")]
    Signature(brink_signed::DenyCode),
    /// The viewer's country is not allowed by the distribution's geo restriction (§6).
    #[error("viewer country blocked by the geo restriction")]
    GeoBlocked,
}

impl EdgeError {
    /// The status code the viewer gets.
    pub fn status(&self) -> StatusCode {
        match self {
            EdgeError::Rejected(r) => {
                StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST)
            }
            EdgeError::BodyOnGet => StatusCode::FORBIDDEN,
            EdgeError::BadBody => StatusCode::BAD_REQUEST,
            EdgeError::OriginConnect | EdgeError::OriginProtocol => StatusCode::BAD_GATEWAY,
            EdgeError::OriginTimeout => StatusCode::GATEWAY_TIMEOUT,
            EdgeError::Loop => StatusCode::LOOP_DETECTED,
            // CloudFront answers all four with 403 (cloudfront.md §1).
            EdgeError::UnknownHost
            | EdgeError::DistributionDisabled
            | EdgeError::HttpsRequired
            | EdgeError::MethodNotAllowed
            | EdgeError::Signature(_)
            | EdgeError::GeoBlocked => StatusCode::FORBIDDEN,
        }
    }

    /// The log's `x-edge-detailed-result-type` for this error (cloudfront.md §9).
    pub fn detailed_result(&self) -> &'static str {
        match self {
            EdgeError::OriginConnect => "OriginConnectError",
            EdgeError::OriginTimeout | EdgeError::OriginProtocol => "OriginCommError",
            EdgeError::BodyOnGet => "InvalidRequest",
            EdgeError::MethodNotAllowed => "InvalidRequestMethod",
            EdgeError::GeoBlocked => "ClientGeoBlocked",
            EdgeError::Signature(_) => "AccessDenied",
            EdgeError::Rejected(_)
            | EdgeError::BadBody
            | EdgeError::Loop
            | EdgeError::UnknownHost
            | EdgeError::DistributionDisabled
            | EdgeError::HttpsRequired => "Error",
        }
    }

    /// True when the connection must be closed after the response (framing is in doubt).
    pub fn closes_connection(&self) -> bool {
        matches!(self, EdgeError::Rejected(_) | EdgeError::BadBody)
    }

    fn explanation(&self) -> &'static str {
        match self {
            EdgeError::Rejected(Reject::HeadTooLarge) => {
                "The request headers are larger than this edge accepts (20,480 bytes)."
            }
            EdgeError::Rejected(Reject::TargetTooLong) => {
                "The request URL is longer than this edge accepts (8,192 bytes)."
            }
            EdgeError::Rejected(Reject::BadRequest(_)) | EdgeError::BadBody => {
                "The request is malformed or its length is ambiguous."
            }
            EdgeError::BodyOnGet => {
                "This distribution does not accept a body on GET or HEAD requests."
            }
            EdgeError::OriginConnect => "The edge could not connect to the origin.",
            EdgeError::OriginTimeout => "The origin did not respond in time.",
            EdgeError::OriginProtocol => "The origin sent an invalid response.",
            EdgeError::Loop => "The request looped back to the same edge.",
            EdgeError::UnknownHost => "Bad request. No distribution is configured for this host name.",
            EdgeError::DistributionDisabled => "This distribution is not enabled.",
            EdgeError::HttpsRequired => "This distribution only accepts HTTPS requests.",
            EdgeError::MethodNotAllowed => "This distribution is not configured to allow the HTTP request method that was used for this request.",
            EdgeError::Signature(_) => "Access denied.",
            EdgeError::GeoBlocked => "The Amazon CloudFront distribution is configured to block access from your country.",
        }
    }
}

impl From<FetchFailure> for EdgeError {
    fn from(f: FetchFailure) -> Self {
        match f {
            FetchFailure::Timeout => EdgeError::OriginTimeout,
            FetchFailure::Protocol => EdgeError::OriginProtocol,
            _ => EdgeError::OriginConnect,
        }
    }
}

/// The HTML error page for `err`, with `request_id` in its footer (as CloudFront's pages do).
pub(crate) fn error_page(err: &EdgeError, request_id: &HeaderValue) -> Response<EdgeBody> {
    let status = err.status();
    if let EdgeError::Signature(code) = err {
        // CloudFront's XML error document for signed requests (cloudfront.md §5).
        let mut resp = Response::new(EdgeBody::Full(Some(Bytes::from_static(
            code.xml_body().as_bytes(),
        ))));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        h.insert(header::SERVER, HeaderValue::from_static("CloudFront"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        return resp;
    }
    let id = request_id.to_str().unwrap_or("-");
    let html = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n\
         <HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n\
         <TITLE>ERROR: The request could not be satisfied</TITLE>\n\
         </HEAD><BODY>\n\
         <H1>{code} ERROR</H1>\n\
         <H2>The request could not be satisfied.</H2>\n\
         <HR noshade size=\"1px\">\n\
         {text}\n\
         <BR clear=\"all\">\n\
         <HR noshade size=\"1px\">\n\
         <PRE>\n\
         Generated by cloudfront (CloudFront)\n\
         Request ID: {id}\n\
         </PRE>\n\
         <ADDRESS>\n\
         </ADDRESS>\n\
         </BODY></HTML>",
        code = status.as_u16(),
        text = err.explanation(),
    );
    let mut resp = Response::new(EdgeBody::Full(Some(Bytes::from(html))));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::SERVER, HeaderValue::from_static("CloudFront"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    if err.closes_connection() {
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

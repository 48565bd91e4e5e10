//! S3 Transfer Acceleration (cloudfront.md §7.5; issue 11): uploads and downloads addressed
//! to `<bucket>.s3-accelerate.<cdn domain>`, or anything on the `--accelerate-listen`
//! listener (path style), enter at the edge and go to the S3 store (`--s3-endpoint`) as they
//! came: method, target, `Host` and the viewer's signature untouched, the body streamed both
//! ways, nothing cached. Only hop-by-hop headers are removed (RFC 9110 §7.6.1), since they
//! belong to each connection. The store verifies the viewer's own SigV4 signature, so the
//! edge must not change a signed byte.
//!
//! This route comes before every CDN phase (no distribution, cache, viewer-access check or
//! origin request policy applies); the request is still logged and counted (as a pass).

use std::sync::Arc;
use std::time::Duration;

use http::uri::PathAndQuery;
use http::{header, HeaderValue, Request, Response, Uri};
use http_body::Body as _;
use hyper::body::Incoming;

use crate::body::{EdgeBody, OriginBody};
use crate::errors::EdgeError;
use crate::headers::strip_hop_by_hop;
use crate::origin::{OriginClient, OriginSettings, OriginTls};

use super::{CacheStatus, Conn, Ctx, Edge};

/// How long the store may take to answer once a request is sent: an upload's answer comes
/// only after its whole body went through, which for large objects is far beyond an
/// origin's read timeout.
const STORE_ANSWER_TIMEOUT: Duration = Duration::from_secs(3600);

/// The client of one worker toward the S3 store, when acceleration is on.
pub(crate) fn client(cfg: &crate::config::EdgeConfig) -> Option<OriginClient> {
    cfg.s3.endpoint.as_ref()?;
    Some(OriginClient::new(
        &OriginSettings::serve(cfg.origin_connect_timeout, STORE_ANSWER_TIMEOUT),
        &OriginTls::new(cfg.origin_ca.as_ref()),
    ))
}

/// Whether `host` (a `Host` value, port allowed) is `<bucket>.<domain>` with a bucket name
/// acceleration accepts (no dots: AWS refuses acceleration for such buckets).
pub(crate) fn is_accelerate_host(host: &str, domain: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => host,
    };
    let name = name.trim_end_matches('.');
    if name.len() <= domain.len() + 1 {
        return false;
    }
    let (bucket, rest) = name.split_at(name.len() - domain.len() - 1);
    rest.as_bytes()[0] == b'.'
        && rest[1..].eq_ignore_ascii_case(domain)
        && !bucket.is_empty()
        && !bucket.contains('.')
}

impl Edge {
    /// Whether this request is S3 Transfer Acceleration.
    pub(super) fn is_accelerated<B>(&self, req: &Request<B>, conn: &Conn) -> bool {
        if conn.accelerate {
            return true;
        }
        let Some(domain) = &self.cfg.s3.accelerate_domain else {
            return false;
        };
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().authority().map(http::uri::Authority::as_str));
        host.is_some_and(|h| is_accelerate_host(h, domain))
    }

    /// Proxies the request to the store unchanged (see the module comment).
    pub(super) async fn accelerate(
        self: &Arc<Self>,
        req: Request<Incoming>,
        ctx: &mut Ctx,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        ctx.status = CacheStatus::Pass;
        let (Some(endpoint), Some(client)) = (&self.cfg.s3.endpoint, &self.accelerate_client)
        else {
            return Err(EdgeError::OriginConnect);
        };
        let (mut head, body) = req.into_parts();
        // HTTP/2 viewers carry the host in `:authority`: it becomes the `Host` the store sees.
        if !head.headers.contains_key(header::HOST) {
            if let Some(a) = head.uri.authority() {
                if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                    head.headers.insert(header::HOST, v);
                }
            }
        }
        strip_hop_by_hop(&mut head.headers);
        let target = head
            .uri
            .path_and_query()
            .map_or("/", PathAndQuery::as_str)
            .to_owned();
        let uri = Uri::builder()
            .scheme(endpoint.scheme.clone())
            .authority(endpoint.authority.clone())
            .path_and_query(format!("{}{target}", endpoint.path))
            .build()
            .map_err(|_| {
                EdgeError::Rejected(crate::h1guard::Reject::BadRequest("bad request target"))
            })?;
        let body = if body.is_end_stream() {
            OriginBody::Empty
        } else {
            OriginBody::Viewer {
                first: None,
                rest: body,
            }
        };
        let mut out = Request::new(body);
        *out.method_mut() = head.method;
        *out.uri_mut() = uri;
        *out.headers_mut() = head.headers;
        let t = std::time::Instant::now();
        let result = client.send(out).await;
        self.telemetry.metrics.observe_origin(
            match &result {
                Ok(_) => brink_telemetry::OriginOutcome::Ok,
                Err(brink_cache::FetchFailure::Connect) => {
                    brink_telemetry::OriginOutcome::ConnectError
                }
                Err(brink_cache::FetchFailure::Timeout) => brink_telemetry::OriginOutcome::Timeout,
                Err(_) => brink_telemetry::OriginOutcome::ProtocolError,
            },
            t.elapsed(),
        );
        let (mut parts, body) = result?.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        Ok(Response::from_parts(parts, EdgeBody::Origin(body)))
    }
}

#[cfg(test)]
mod tests {
    use super::is_accelerate_host;

    #[test]
    fn accelerate_hosts() {
        let d = "s3-accelerate.cdn.test";
        assert!(is_accelerate_host("bucket.s3-accelerate.cdn.test", d));
        assert!(is_accelerate_host("Bucket.S3-Accelerate.CDN.test:8080", d));
        assert!(is_accelerate_host("bucket.s3-accelerate.cdn.test.", d));
        assert!(!is_accelerate_host("s3-accelerate.cdn.test", d));
        assert!(!is_accelerate_host(".s3-accelerate.cdn.test", d));
        assert!(!is_accelerate_host("a.b.s3-accelerate.cdn.test", d));
        assert!(!is_accelerate_host("bucket.xs3-accelerate.cdn.test", d));
        assert!(!is_accelerate_host("d111.cdn.test", d));
    }
}

//! Phase 1, **admit**: refuse what must not go further — the HTTP/1 guard's framing
//! verdicts, the same head limits for HTTP/2, request loops (`Via`), and bodies on GET/HEAD.

use http::{header, Method, Request, Version};
use http_body::Body as _;
use hyper::body::Incoming;

use crate::errors::EdgeError;
use crate::h1guard::{MAX_HEAD, MAX_TARGET};
use crate::headers;

use super::{Conn, Edge};

impl Edge {
    /// Phase 1: refuse what must not go further.
    pub(super) fn admit(&self, req: &Request<Incoming>, conn: &Conn) -> Result<(), EdgeError> {
        if let Some(guard) = &conn.guard {
            if let Some(reject) = guard.reject_for(req.uri().path()) {
                return Err(EdgeError::Rejected(reject));
            }
        }
        if req.version() == Version::HTTP_2 {
            // HTTP/2 heads bypass the HTTP/1 guard: apply the same limits here.
            let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
            if target_len > MAX_TARGET {
                return Err(EdgeError::Rejected(crate::h1guard::Reject::TargetTooLong));
            }
            if headers::header_bytes(req.headers()) + target_len > MAX_HEAD {
                return Err(EdgeError::Rejected(crate::h1guard::Reject::HeadTooLarge));
            }
        }
        if let Some(via) = req.headers().get(header::VIA) {
            if via
                .to_str()
                .is_ok_and(|v| v.contains(self.via.host.as_str()))
            {
                return Err(EdgeError::Loop);
            }
        }
        if matches!(*req.method(), Method::GET | Method::HEAD) && !req.body().is_end_stream() {
            let declared_empty = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_some_and(|v| v == "0");
            if !declared_empty {
                return Err(EdgeError::BodyOnGet);
            }
        }
        Ok(())
    }
}

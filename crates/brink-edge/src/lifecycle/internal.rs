//! Reads the edge makes for itself (the RTMP front end, `rtmp.rs`): a byte range of an object
//! under a target, through the same *lookup* → *fetch* → *store* → *deliver* phases as a
//! viewer's range request — so it is cached, coalesced with everyone else's, and filled by
//! slices (`slice.rs`): the origin sees range requests, never a whole large file.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::uri::PathAndQuery;
use http::{header, HeaderMap, Request, StatusCode, Version};
use http_body_util::BodyExt;

use crate::errors::EdgeError;

use super::route::Target;
use super::{Edge, Fetching};

impl Edge {
    /// Bytes `[offset, offset + len)` of `path` under `target`: fewer at the end of the
    /// object, none past it (`len` > 0).
    ///
    /// # Errors
    /// The origin's failure, or its answer when it is not the object (a 404: no such file).
    pub(crate) async fn read_range(
        self: &Arc<Self>,
        target: Arc<Target>,
        path: &str,
        offset: u64,
        len: u64,
        peer: SocketAddr,
    ) -> Result<Bytes, RangeError> {
        // Offsets come from files (an MP4's sample table): never past what a range can say.
        let last = offset.saturating_add(len.max(1) - 1);
        let pq = PathAndQuery::try_from(path).map_err(|_| RangeError::Status(400))?;
        let mut headers = HeaderMap::new();
        if let Ok(v) = format!("bytes={offset}-{last}").parse() {
            headers.insert(header::RANGE, v);
        }
        let mut req = Request::new(());
        *req.uri_mut() = pq.clone().into();
        *req.headers_mut() = headers;
        let f = Fetching {
            route: target,
            target: pq,
            headers: HeaderMap::new(),
            peer,
            request_id: crate::headers::request_id(),
            version: Version::HTTP_11,
            https: false,
        };
        let (resp, _) = self.lookup(&req, f).await.map_err(RangeError::Edge)?;
        let status = resp.status();
        if status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(Bytes::new());
        }
        if status != StatusCode::PARTIAL_CONTENT && status != StatusCode::OK {
            return Err(RangeError::Status(status.as_u16()));
        }
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|_| RangeError::Edge(EdgeError::OriginConnect))?
            .to_bytes();
        if status == StatusCode::OK {
            // The whole object (its length was not known yet): cut the range here.
            let from = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(body.len());
            let to = usize::try_from(last.saturating_add(1))
                .unwrap_or(usize::MAX)
                .min(body.len());
            return Ok(body.slice(from..to));
        }
        Ok(body)
    }
}

/// Why [`Edge::read_range`] has no bytes.
#[derive(Debug)]
pub(crate) enum RangeError {
    /// The answer's status (the origin's 404 for a missing file, an error page's).
    Status(u16),
    /// The fetch failed.
    Edge(EdgeError),
}

impl std::fmt::Display for RangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RangeError::Status(s) => write!(f, "status {s}"),
            RangeError::Edge(e) => write!(f, "{e}"),
        }
    }
}

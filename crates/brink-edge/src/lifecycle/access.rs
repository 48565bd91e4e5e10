//! Phase 3, viewer access (cloudfront.md §1 steps 5 and 6): the distribution's geo
//! restriction, then signed URLs / signed cookies on behaviors that trust key groups or
//! signers. Runs on the routed behavior, before anything is looked up or forwarded; the
//! checks themselves are `Router::check_access` (compiled with the model). A refusal is an
//! `EdgeError` (403), filed under the distribution route already put on the context.
//!
//! The phase also writes the `CloudFront-*` viewer headers a behavior's policies name
//! (device type, country and the rest, cloudfront.md §3.2): they are facts about the viewer
//! it already holds (client address, geo database), and the cache key and origin request
//! built after it see them like any request header.

use http::uri::PathAndQuery;
use http::Request;
use hyper::body::Incoming;

use super::route::{Routing, Viewer};
use super::Ctx;
use crate::errors::EdgeError;
use crate::worker::Edge;

impl Edge {
    /// Checks the viewer's right to `routing`'s behavior; on success the routing to use from
    /// here on, its target without the signing parameters.
    pub(super) fn access<'a>(
        &self,
        req: &'a Request<Incoming>,
        ctx: &Ctx,
        routing: Routing<'a>,
    ) -> Result<Routing<'a>, EdgeError> {
        // Most configurations check nothing: no copy, no clock read on their requests.
        if !routing.router.needs_access() {
            return Ok(routing);
        }
        let original = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        // Route replaced the target only for the default root object.
        let root_object = (routing.target != original).then(|| routing.target.clone());
        let viewer = Viewer {
            host: routing.host,
            target: &original,
            https: ctx.https(),
            headers: req.headers(),
            peer: ctx.conn.peer.ip(),
            now: self
                .clock
                .now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        let allowed = routing.router.check_access(&viewer, root_object)?;
        let viewer_headers = match routing.route.rules.as_ref() {
            Some(rules) if !rules.viewer_headers.is_empty() => routing.router.viewer_headers(
                &rules.viewer_headers,
                &viewer,
                (ctx.conn.peer.port(), ctx.version, ctx.conn.tls.as_ref()),
            ),
            _ => Vec::new(),
        };
        let target = allowed.unwrap_or(original);
        Ok(Routing {
            target,
            viewer_headers,
            ..routing
        })
    }
}

//! HTTP routing mode (`brink dns --http-listen`): for clients that cannot be steered by DNS,
//! every request gets a redirect to the same URL on the POP the DNS answer would have named.
//!
//! The `Host` problem: an edge picks the distribution by `Host`, so a redirect to a bare
//! address would lose it. As Traffic Router does (`<cache>.<delivery service domain>`), the
//! redirect names the POP inside the distribution's own domain:
//!
//! `http://<pop code, lower case>.<distribution domain name>[:<pop port>]<path and query>`
//!
//! The router's DNS answers that name with exactly that POP ([`crate::handler`]), and an edge
//! serves `<one label>.<domain name>` as the distribution (`brink_model::HostRouter`). A
//! request whose `Host` is an alias is redirected to the per-POP name under the distribution's
//! domain name (an alias's own DNS is the user's, not ours).
//!
//! | request | answer |
//! |---|---|
//! | GET or HEAD, `Host` a distribution's name or alias | 302, `Location` as above |
//! | any other method | 307, same `Location` |
//! | no `Host` | 400 |
//! | `Host` no distribution serves | 404, the host named in the body |
//!
//! Why 307 for other methods: with 302 a user agent may replay a POST as a GET (RFC 9110
//! §15.4.3), dropping its body; 307 (§15.4.8) obliges it to repeat the same method and body at
//! the new location, which is what an edge that accepts every method needs. GET and HEAD keep
//! 302, which every client follows.
//!
//! The client is the TCP peer, or, when the peer is one of `--trusted-proxy`, the right-most
//! untrusted `X-Forwarded-For` entry (`brink_geo::forwarded_client`, as the edge does). The
//! answer depends on the client, so it is `Cache-Control: private, no-store`. The redirect
//! is always `http://`: the router listens on plain HTTP, and a per-POP name is two labels
//! under the CDN domain, which a `*.<cdn domain>` certificate would not cover.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::pops::Cidr;
use crate::select::Selector;
use crate::Zone;

/// The HTTP routing mode: zone, POP choice, trusted proxies.
#[derive(Debug)]
pub struct HttpRouter {
    zone: Arc<Zone>,
    selector: Arc<Selector>,
    trusted_proxies: Vec<Cidr>,
}

impl HttpRouter {
    /// A router over the same zone and selector as the DNS side.
    pub fn new(zone: Arc<Zone>, selector: Arc<Selector>, trusted_proxies: Vec<Cidr>) -> Self {
        HttpRouter {
            zone,
            selector,
            trusted_proxies,
        }
    }

    /// The answer to one request from `peer`.
    pub fn answer<B>(&self, req: &Request<B>, peer: IpAddr) -> Response<Full<Bytes>> {
        // Absolute-form targets carry the authority; otherwise the Host header does.
        let host = req
            .uri()
            .authority()
            .map(|a| a.as_str())
            .or_else(|| req.headers().get(header::HOST)?.to_str().ok());
        let Some(host) = host.filter(|h| !h.is_empty()) else {
            return text(
                StatusCode::BAD_REQUEST,
                "brink dns: the request has no Host\n",
            );
        };
        let Some((domain, class)) = self.zone.by_host(host) else {
            return text(
                StatusCode::NOT_FOUND,
                &format!("brink dns: no distribution is served at host {host:?}\n"),
            );
        };
        let client = brink_geo::forwarded_client(
            peer,
            &self.trusted_proxies,
            req.headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        let choice = self.selector.choose(client, class);
        let Some(pop) = self.selector.pops().get(choice.pop) else {
            return text(StatusCode::SERVICE_UNAVAILABLE, "brink dns: no POP\n");
        };
        let mut location = format!("http://{}.{domain}", pop.code.to_ascii_lowercase());
        if pop.port != 80 {
            location.push_str(&format!(":{}", pop.port));
        }
        location.push_str(req.uri().path_and_query().map_or("/", |pq| pq.as_str()));
        let Ok(value) = HeaderValue::from_str(&location) else {
            return text(
                StatusCode::BAD_REQUEST,
                "brink dns: unusable request target\n",
            );
        };
        let status = if matches!(*req.method(), Method::GET | Method::HEAD) {
            StatusCode::FOUND
        } else {
            StatusCode::TEMPORARY_REDIRECT
        };
        tracing::debug!(%host, %client, pop = %pop.code, %location, "redirect");
        let mut resp = text(status, &format!("{location}\n"));
        resp.headers_mut().insert(header::LOCATION, value);
        resp
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

/// Serves the HTTP routing mode on `listener` (HTTP/1.1, keep-alive) until the runtime stops.
pub async fn serve(router: Arc<HttpRouter>, listener: TcpListener) {
    loop {
        let (stream, peer): (_, SocketAddr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "HTTP router: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let router = router.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let resp = router.answer(&req, peer.ip());
                async move { Ok::<_, Infallible>(resp) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

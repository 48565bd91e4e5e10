//! The admin listener: health, purge, and (tests only) the manual clock.
//!
//! `GET /healthz` → `ok`, with header `brink-connections: <open viewer connections>` (the
//! request router's load figure); `POST /purge?path=/img/*` → `{"purged":N}` (entries removed
//! at once) plus `"ban":SEQ` when a ban covers the rest (a wildcard; an exact path's variants),
//! effective before the response (`brink edge`: `&distribution=<Id>` names the distribution, and an exact path
//! takes all its header/cookie/encoding variants); `POST /debug/clock/advance?seconds=N` with `--manual-clock`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::lifecycle::Edge;
use crate::process::{PurgeError, PurgeScopeError};

/// Serves the admin API on `listener` forever.
pub(crate) async fn serve_admin(edge: Arc<Edge>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let edge = edge.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let edge = edge.clone();
                async move { Ok::<_, Infallible>(handle(&edge, &req)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json_error(status: StatusCode, msg: &str) -> Response<Full<Bytes>> {
    let body = format!("{{\"error\":{}}}\n", json_string(msg));
    reply(status, "application/json", body)
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn query_param(req: &Request<Incoming>, name: &str) -> Option<String> {
    form_urlencoded::parse(req.uri().query()?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn handle(edge: &Edge, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => {
            let mut r = reply(StatusCode::OK, "text/plain", "ok\n".into());
            // Open viewer connections: the request router's load figure (brink-dns health).
            let open = edge.connections.load(std::sync::atomic::Ordering::Relaxed);
            r.headers_mut()
                .insert("brink-connections", HeaderValue::from(open));
            r
        }
        (&Method::GET, "/metrics") => reply(
            StatusCode::OK,
            brink_telemetry::metrics::CONTENT_TYPE,
            edge.telemetry.render(&edge.cache),
        ),
        (&Method::POST, "/purge") => {
            let Some(path) = query_param(req, "path") else {
                return json_error(StatusCode::BAD_REQUEST, "missing query parameter: path");
            };
            let distribution = query_param(req, "distribution");
            match crate::process::purge(&edge.cache, &edge.models, distribution.as_deref(), &path) {
                Ok(p) => reply(
                    StatusCode::OK,
                    "application/json",
                    match p.ban {
                        Some(seq) => format!("{{\"purged\":{},\"ban\":{seq}}}\n", p.removed),
                        None => format!("{{\"purged\":{}}}\n", p.removed),
                    },
                ),
                Err(PurgeError::Scope(PurgeScopeError::NoDistributions)) => json_error(
                    StatusCode::BAD_REQUEST,
                    "brink serve has no distributions: drop the distribution parameter",
                ),
                Err(PurgeError::Scope(PurgeScopeError::Missing)) => json_error(
                    StatusCode::BAD_REQUEST,
                    "missing query parameter: distribution (the distribution id)",
                ),
                Err(PurgeError::Scope(PurgeScopeError::Unknown)) => {
                    json_error(StatusCode::NOT_FOUND, "NoSuchDistribution")
                }
                Err(PurgeError::Pattern(e)) => json_error(StatusCode::BAD_REQUEST, &e),
            }
        }
        (&Method::POST, "/debug/clock/advance") => {
            let Some(clock) = &edge.manual_clock else {
                return json_error(
                    StatusCode::NOT_FOUND,
                    "the manual clock is off (start with --manual-clock)",
                );
            };
            match query_param(req, "seconds").and_then(|s| s.parse::<u64>().ok()) {
                Some(s) => {
                    clock.advance(Duration::from_secs(s));
                    reply(
                        StatusCode::OK,
                        "application/json",
                        format!("{{\"advanced\":{s}}}\n"),
                    )
                }
                None => json_error(
                    StatusCode::BAD_REQUEST,
                    "seconds must be a non-negative integer",
                ),
            }
        }
        (_, "/healthz" | "/metrics" | "/purge" | "/debug/clock/advance") => {
            json_error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => json_error(StatusCode::NOT_FOUND, "not found"),
    }
}

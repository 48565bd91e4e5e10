//! The edges' side of the control plane: the feed (long-poll), reports, the list of edges
//! and the metrics (cloudfront.md has no counterpart; the protocol is `brink-feed`'s).

use std::sync::Arc;
use std::time::Duration;

use brink_feed::{EdgeReport, FEED_PATH, REPORT_PATH};
use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use serde_json::json;

use crate::api::Resp;
use crate::{json_response, parse_query, Shared};

/// The longest a long-poll may wait.
const MAX_WAIT: Duration = Duration::from_secs(60);

fn text(status: StatusCode, body: impl Into<Bytes>) -> Resp {
    let mut r = http::Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

fn authorized(shared: &Shared, parts: &http::request::Parts) -> bool {
    let expected = format!("Bearer {}", shared.token);
    parts
        .headers
        .get(http::header::AUTHORIZATION)
        // Constant time: the token guards certificates' private keys.
        .is_some_and(|v| crate::sigv4::constant_time_eq(v.as_bytes(), expected.as_bytes()))
}

pub(crate) async fn serve(
    shared: &Arc<Shared>,
    parts: &http::request::Parts,
    path: &str,
    query: &str,
    body: &[u8],
) -> Resp {
    if path == "/healthz" {
        return text(StatusCode::OK, "ok\n");
    }
    if !authorized(shared, parts) {
        return text(
            StatusCode::FORBIDDEN,
            "the feed needs the bearer token of the control plane's data directory\n",
        );
    }
    match (parts.method.as_str(), path) {
        ("GET", FEED_PATH) => poll(shared, query).await,
        ("POST", REPORT_PATH) => match serde_json::from_slice::<EdgeReport>(body) {
            Ok(r) => {
                let (res, seq) = {
                    let mut st = shared.state.lock();
                    (st.report(&r), st.meta.seq)
                };
                shared.publish(seq);
                match res {
                    Ok(()) => text(StatusCode::NO_CONTENT, Bytes::new()),
                    Err(e) => text(e.status, e.message),
                }
            }
            Err(e) => text(StatusCode::BAD_REQUEST, format!("bad report: {e}\n")),
        },
        ("GET", "/brink/v1/edges") => {
            let st = shared.state.lock();
            let edges: Vec<_> = st.edges.values().cloned().collect();
            json_response(StatusCode::OK, &json!({ "edges": edges }))
        }
        ("GET", "/metrics") => metrics(shared),
        _ => text(StatusCode::NOT_FOUND, "no such path\n"),
    }
}

async fn poll(shared: &Arc<Shared>, query: &str) -> Resp {
    let q = parse_query(query);
    let num = |name: &str| {
        q.iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let after = num("after").unwrap_or(0);
    let config = num("config").unwrap_or(0);
    let wait = Duration::from_secs(num("wait").unwrap_or(0)).min(MAX_WAIT);
    let mut rx = shared.changes.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        rx.borrow_and_update();
        if let Some(update) = shared.state.lock().feed_update(after, config) {
            return json_response(
                StatusCode::OK,
                &serde_json::to_value(&update).unwrap_or_default(),
            );
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => continue,
            _ => return text(StatusCode::NO_CONTENT, Bytes::new()),
        }
    }
}

fn metrics(shared: &Shared) -> Resp {
    let st = shared.state.lock();
    let now = crate::time::now_millis();
    let live = st
        .edges
        .values()
        .filter(|e| now - e.last_report_ms <= crate::state::EDGE_LIVENESS_MS)
        .count();
    let in_progress = st
        .invs
        .values()
        .filter(|i| st.inv_status(i) == "InProgress")
        .count();
    let mut s = String::new();
    s.push_str("# HELP brink_control_distributions Distributions stored.\n");
    s.push_str("# TYPE brink_control_distributions gauge\n");
    s.push_str(&format!("brink_control_distributions {}\n", st.dists.len()));
    s.push_str(
        "# HELP brink_control_streaming_distributions Streaming (RTMP) distributions stored.\n",
    );
    s.push_str("# TYPE brink_control_streaming_distributions gauge\n");
    s.push_str(&format!(
        "brink_control_streaming_distributions {}\n",
        st.streams.len()
    ));
    s.push_str("# HELP brink_control_edges Edges known, by liveness.\n");
    s.push_str("# TYPE brink_control_edges gauge\n");
    s.push_str(&format!("brink_control_edges{{state=\"live\"}} {live}\n"));
    s.push_str(&format!(
        "brink_control_edges{{state=\"silent\"}} {}\n",
        st.edges.len() - live
    ));
    s.push_str("# HELP brink_control_invalidations_in_progress Invalidations not yet completed.\n");
    s.push_str("# TYPE brink_control_invalidations_in_progress gauge\n");
    s.push_str(&format!(
        "brink_control_invalidations_in_progress {in_progress}\n"
    ));
    s.push_str("# HELP brink_control_config_version Version of the published document.\n");
    s.push_str("# TYPE brink_control_config_version gauge\n");
    s.push_str(&format!(
        "brink_control_config_version {}\n",
        st.meta.config_version
    ));
    s.push_str("# HELP brink_control_edge_config_version Version each edge last reported.\n");
    s.push_str("# TYPE brink_control_edge_config_version gauge\n");
    for e in st.edges.values() {
        s.push_str(&format!(
            "brink_control_edge_config_version{{pop=\"{}\"}} {}\n",
            e.pop.replace(['"', '\\', '\n'], "_"),
            e.config_version
        ));
    }
    let mut r = text(StatusCode::OK, s);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

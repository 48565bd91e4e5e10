//! The RTMP front end (`--rtmp-listen`, issue 13): streaming distributions served to players
//! over RTMP by `brink_rtmp`, this edge answering its [`Source`] questions — which
//! distribution a `tcUrl` host names, whether the stream name's signature admits the player,
//! and the file's bytes, read by ranges through the cache (`lifecycle/internal.rs`).
//!
//! Signed streams (a distribution with `TrustedSigners`): the stream name carries the canned
//! (`Expires`) or custom (`Policy`) parameters, `Signature` and `Key-Pair-Id` after a `?`, as
//! CloudFront's RTMP signing did. The policy's resource is the stream name as played, without
//! the query; the name without its `mp4:` prefix is accepted too ([UNCONFIRMED] which of the
//! two AWS's RTMP signers used: both are taken). Refused streams end with a
//! `NetStream.Play.Failed` status.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use brink_rtmp::server::{
    BoxFuture, Event, LogLine, PlayRequest, RangeRead, ReadError, Refusal, Source,
};
use brink_signed::HashAlgorithm;
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::lifecycle::internal::RangeError;
use crate::lifecycle::route::{Router, Target};
use crate::worker::Edge;

/// Accepts RTMP connections until `shutdown` turns true; each is served by its own task.
pub(crate) async fn serve_rtmp(
    edge: Arc<Edge>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    // With --log-dir, the streaming log goes beside the web one (`rtmp.<POP>.<hour>.log`).
    let log = edge.cfg.access_log.as_ref().map(|s| {
        brink_telemetry::streaming_log::StreamingLog::new(
            s.dir.clone(),
            &format!("rtmp.{}", edge.cfg.pop),
        )
    });
    let source: Arc<dyn Source> = Arc::new(EdgeSource { edge, log });
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "rtmp accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let source = source.clone();
        tokio::spawn(async move {
            if let Err(e) = brink_rtmp::server::serve(stream, peer, source).await {
                tracing::debug!(%peer, error = %e, "rtmp connection ended");
            }
        });
    }
}

struct EdgeSource {
    edge: Arc<Edge>,
    log: Option<brink_telemetry::streaming_log::StreamingLog>,
}

fn refuse(code: &'static str, description: impl Into<String>) -> Refusal {
    Refusal {
        code,
        description: description.into(),
    }
}

impl Source for EdgeSource {
    fn open(&self, req: PlayRequest) -> BoxFuture<'_, Result<Box<dyn RangeRead>, Refusal>> {
        Box::pin(async move {
            let router = self.edge.router();
            let Router::Model {
                model, streaming, ..
            } = &*router
            else {
                return Err(refuse(
                    "NetStream.Play.StreamNotFound",
                    "this edge serves no streaming distributions",
                ));
            };
            let found = model.streaming_by_host(&req.host).and_then(|sd| {
                let i = model
                    .streaming_distributions()
                    .iter()
                    .position(|d| d.id == sd.id)?;
                Some((sd, streaming.get(i)?.clone()))
            });
            let Some((sd, target)) = found else {
                return Err(refuse(
                    "NetStream.Play.StreamNotFound",
                    format!("no streaming distribution for {}", req.host),
                ));
            };
            if !sd.enabled {
                return Err(refuse(
                    "NetStream.Play.Failed",
                    "the distribution is disabled",
                ));
            }
            if sd.requires_signature() {
                let now = self
                    .edge
                    .clock
                    .now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                check_signature(sd, &req, now).map_err(|why| {
                    refuse("NetStream.Play.Failed", format!("AccessDenied: {why}"))
                })?;
            }
            Ok(Box::new(EdgeRange {
                edge: self.edge.clone(),
                target,
                path: req.stream.path.clone(),
                peer: SocketAddr::new(req.peer, 0),
            }) as Box<dyn RangeRead>)
        })
    }

    fn log(&self, line: LogLine) {
        let event = match line.event {
            Event::Connect => "connect",
            Event::Play => "play",
            Event::Stop => "stop",
            Event::Disconnect => "disconnect",
        };
        if let Some(log) = &self.log {
            let client_id = format!("{:016X}", line.client_id);
            let (stem, query) = match line.tc_url.as_deref() {
                Some(u) => match u.split_once('?') {
                    Some((s, q)) => (Some(s), Some(q)),
                    None => (Some(u), None),
                },
                None => (None, None),
            };
            let rec = brink_telemetry::streaming_log::StreamingRecord {
                time: Some(self.edge.clock.now()),
                edge_location: &self.edge.cfg.pop,
                c_ip: Some(line.peer.ip()),
                event,
                sc_bytes: line.bytes_sent,
                status: line.refused.unwrap_or("OK"),
                client_id: &client_id,
                uri_stem: stem,
                uri_query: query,
                referrer: line.swf_url.as_deref(),
                page_url: line.page_url.as_deref(),
                user_agent: line.flash_ver.as_deref(),
                sname: line.stream.as_ref().map(|s| s.sname.as_str()),
                sname_query: line.stream.as_ref().and_then(|s| s.query.as_deref()),
                file_ext: line.stream.as_ref().map(|s| s.extension()),
                sid: line.stream_id,
            };
            if let Err(e) = log.write(&rec) {
                tracing::warn!(error = %e, "streaming log: write failed");
            }
        }
        tracing::info!(
            target: "brink_edge::rtmp_log",
            event,
            c_ip = %line.peer.ip(),
            x_sname = line.stream.as_ref().map_or("-", |s| s.sname.as_str()),
            x_sname_query = line.stream.as_ref().and_then(|s| s.query.as_deref()).unwrap_or("-"),
            x_file_ext = line.stream.as_ref().map_or("-", |s| s.extension()),
            x_sid = line.stream_id.unwrap_or(0),
            sc_bytes = line.bytes_sent,
            cs_bytes = line.bytes_received,
            refused = line.refused.unwrap_or("-"),
            "rtmp"
        );
    }
}

struct EdgeRange {
    edge: Arc<Edge>,
    target: Arc<Target>,
    path: String,
    peer: SocketAddr,
}

impl RangeRead for EdgeRange {
    fn read(&mut self, offset: u64, len: u64) -> BoxFuture<'_, Result<Bytes, ReadError>> {
        Box::pin(async move {
            self.edge
                .read_range(self.target.clone(), &self.path, offset, len, self.peer)
                .await
                .map_err(|e| match e {
                    RangeError::Status(404) => ReadError("no such file".into()),
                    other => ReadError(other.to_string()),
                })
        })
    }
}

/// The signing parameters of a stream name's query.
#[derive(Default)]
struct Params<'a> {
    expires: Option<&'a str>,
    policy: Option<&'a str>,
    signature: Option<&'a str>,
    key_pair_id: Option<&'a str>,
    hash: Option<&'a str>,
}

fn check_signature(
    sd: &brink_model::compiled::StreamingDistribution,
    req: &PlayRequest,
    now: u64,
) -> Result<(), &'static str> {
    let mut p = Params::default();
    for pair in req.stream.query.as_deref().unwrap_or("").split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match k {
            "Expires" => &mut p.expires,
            "Policy" => &mut p.policy,
            "Signature" => &mut p.signature,
            "Key-Pair-Id" => &mut p.key_pair_id,
            "Hash-Algorithm" => &mut p.hash,
            _ => continue,
        };
        slot.get_or_insert(v);
    }
    let key_id = p
        .key_pair_id
        .filter(|k| !k.is_empty())
        .ok_or("MissingKey")?;
    let public = sd.trusted_key(key_id).ok_or("InvalidKey")?;
    let ring = brink_signed::KeyRing::compile(
        [(public.id.as_str(), public.encoded_key.as_str())],
        &brink_signed::KeyOptions::default(),
    )
    .map_err(|_| "InvalidKey")?;
    let key = ring.get(key_id).ok_or("InvalidKey")?;
    let sig = p
        .signature
        .and_then(|s| brink_signed::decode_base64(s.as_bytes()).ok())
        .filter(|s| !s.is_empty())
        .ok_or("MalformedSignature")?;
    let hash = match p.hash {
        None | Some("SHA1") => HashAlgorithm::Sha1,
        Some("SHA256") => HashAlgorithm::Sha256,
        Some(_) => return Err("AccessDenied"),
    };
    let sname = req.stream.sname.as_str();
    let bare = sname
        .strip_prefix("mp4:")
        .or_else(|| sname.strip_prefix("flv:"))
        .unwrap_or(sname);
    if let Some(policy_text) = p.policy {
        let bytes =
            brink_signed::decode_base64(policy_text.as_bytes()).map_err(|_| "MalformedPolicy")?;
        let policy = brink_signed::policy::parse_policy(&bytes).map_err(|_| "MalformedPolicy")?;
        if now >= policy.date_less_than || policy.date_greater_than.is_some_and(|t| now <= t) {
            return Err("AccessDenied");
        }
        if let Some(net) = policy.ip_address {
            let v4 = match req.peer {
                IpAddr::V4(a) => Some(a),
                IpAddr::V6(a) => a.to_ipv4_mapped(),
            };
            if !v4.is_some_and(|a| net.contains(a)) {
                return Err("AccessDenied");
            }
        }
        if !key.verify(&bytes, &sig, hash) {
            return Err("AccessDenied");
        }
        let covered = policy.resource.as_deref().is_none_or(|r| {
            [sname, bare]
                .iter()
                .any(|n| brink_signed::resource::glob(r.as_bytes(), n.as_bytes(), false))
        });
        return if covered { Ok(()) } else { Err("AccessDenied") };
    }
    let expires = p.expires.ok_or("MalformedPolicy")?;
    let exp: u64 = expires.parse().map_err(|_| "MalformedPolicy")?;
    if now >= exp {
        return Err("AccessDenied");
    }
    let signed = [sname, bare].iter().any(|resource| {
        let message = brink_signed::policy::canned_policy(resource, expires);
        key.verify(message.as_bytes(), &sig, hash)
    });
    if signed {
        Ok(())
    } else {
        Err("AccessDenied")
    }
}

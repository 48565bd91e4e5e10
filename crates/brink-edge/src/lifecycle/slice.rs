//! **Slice fills** (a branch of phase 3, *lookup*): a single-range `GET` of a large object
//! the cache does not hold whole is answered from aligned slices of it, each fetched from the
//! origin with a `Range` request, stored as an object of its own and coalesced like any fill
//! (RFC 9111 §3.3–3.4 lets a cache store partial content and combine it). A seek into a
//! 10 GiB video waits for one slice, not the whole file; the origin sees range requests.
//! nginx's slice module works the same way.
//!
//! - `--range-fill-above SIZE` enables it: objects whose size is above it are sliced. As
//!   CloudFront does (cloudfront.md §2.7), a range miss asks the origin for a widened range
//!   (the aligned slice), and the answer decides: a `200` (an origin that ignores ranges) or
//!   a `206` that covers the whole object is stored as the whole object, and the range cut
//!   from it; a `206` of an object larger than SIZE is stored as a slice; a `206` of a
//!   smaller object that spans several slices is dropped and the request takes the ordinary
//!   path (a whole-object fill) — one extra request, for objects between one slice and SIZE.
//! - `--range-slice SIZE` is the slice size. Slice `i` covers bytes `[i·S, (i+1)·S)` and is
//!   stored under the object's key followed by `\nslice:i`, so an invalidation of the path
//!   (which takes every `<target>\n…` variant) removes its slices too.
//! - Slices of one object must agree: same total length, same `ETag` / `Last-Modified` as the
//!   first slice the response used. When one does not (the object changed at the origin),
//!   every slice of the key is purged and the response is cut short (the viewer retries and
//!   gets the new version, all of it).
//! - Not sliced: `HEAD`, multi-range and suffix (`bytes=-N`) requests, conditional ones
//!   (`If-Range`, `If-*`), behaviors that do not cache, and any origin answer other than a
//!   `206` with a valid `Content-Range` (a `200` from an origin ignoring ranges, an error):
//!   those take the ordinary path.

use std::sync::Arc;

use brink_cache::{Body, FillState, Lookup, Meta, Object};
use brink_http::freshness::AgeBase;
use brink_http::key::{CacheKey, PurgePattern};
use brink_http::range::{self, RangeItem};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;

use crate::body::{BodyError, EdgeBody, OriginBody};
use crate::errors::EdgeError;
use crate::policy::forward;

use super::store::{fill_body, verdict, Times};
use super::{Answer, CacheStatus, Edge, Fetching};

/// Slice fill settings (`--range-fill-above`, `--range-slice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeFill {
    /// Objects larger than this are filled by slices.
    pub above: u64,
    /// Slice size in bytes (> 0).
    pub slice: u64,
}

/// The byte range a request asks for, before the object's length is known: `first` and an
/// inclusive `last` (`None`: to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Wanted {
    first: u64,
    last: Option<u64>,
}

/// The request's range when it is one the slice path answers (see the module notes).
pub(super) fn sliceable(req: &Request<()>) -> Option<Wanted> {
    if req.method() != Method::GET {
        return None;
    }
    let h = req.headers();
    if h.keys().any(|n| n.as_str().starts_with("if-")) {
        return None;
    }
    let spec = range::parse_range(h.get(header::RANGE)?.as_bytes())?;
    match spec.items() {
        [RangeItem::Bounded { first, last }] => Some(Wanted {
            first: *first,
            last: Some(*last),
        }),
        [RangeItem::From { first }] => Some(Wanted {
            first: *first,
            last: None,
        }),
        _ => None,
    }
}

/// What one slice told about the whole object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    total: u64,
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
}

impl Identity {
    fn of(obj: &Object) -> Option<Identity> {
        let h = &obj.meta.headers;
        let (_, _, total) = content_range(h.get(&header::CONTENT_RANGE).as_ref())?;
        Some(Identity {
            total,
            etag: h.get(&header::ETAG),
            last_modified: h.get(&header::LAST_MODIFIED),
        })
    }
}

/// `Content-Range: bytes first-last/total` of a stored slice or an origin answer.
fn content_range(v: Option<&HeaderValue>) -> Option<(u64, u64, u64)> {
    let v = v?.to_str().ok()?;
    let rest = v.strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b, total): (u64, u64, u64) = (a.parse().ok()?, b.parse().ok()?, total.parse().ok()?);
    (a <= b && b < total).then_some((a, b, total))
}

/// A response body assembled from slices: bytes `[from, last]` of the object, whose first
/// slice is `first` and whose other slices must match its `identity`.
struct Assembly {
    first: Arc<Object>,
    identity: Identity,
    from: u64,
    last: u64,
    fill: RangeFill,
}

/// How getting one slice went.
enum SliceOutcome {
    /// The stored slice, and whether it came from the cache.
    Ready(Arc<Object>, bool),
    /// The origin answered with the whole object (a `200`, or a `206` covering all of it,
    /// already turned into the `200` it amounts to): to be stored as the whole object.
    Whole(http::response::Parts, hyper::body::Incoming, Times),
    /// The origin's answer is not one to slice (or the object is not large enough): take the
    /// ordinary path.
    NotSliced,
    /// The slice starts past the end of an object of this length (the origin's 416).
    PastEnd(u64),
}

impl Edge {
    /// Answers `req` (a range the slice path takes) from slices of `key`; `None` when the
    /// ordinary path must answer it instead.
    pub(super) async fn lookup_slices(
        self: &Arc<Self>,
        req: &Request<()>,
        f: &Fetching,
        key: &CacheKey,
        wanted: Wanted,
        fill: RangeFill,
    ) -> Option<Result<Answer, EdgeError>> {
        let first_index = wanted.first / fill.slice;
        let (first, from_cache) = match self.slice(f, key, first_index, fill).await {
            Ok(SliceOutcome::Ready(obj, cached)) => (obj, cached),
            Ok(SliceOutcome::Whole(parts, body, times)) => {
                return self.store_whole(req, f, key, parts, body, times).await
            }
            Ok(SliceOutcome::NotSliced) => return None,
            Ok(SliceOutcome::PastEnd(total)) => {
                return Some(Ok(past_end(total, CacheStatus::Miss)))
            }
            Err(e) => return Some(Err(e)),
        };
        let identity = Identity::of(&first)?;
        let total = identity.total;
        let status = if from_cache {
            CacheStatus::Hit
        } else {
            CacheStatus::Miss
        };
        let age = first.age(self.clock.now());
        let last = wanted.last.map_or(total - 1, |l| l.min(total - 1));
        if wanted.first >= total {
            // A range past the end (its slice holds the last bytes).
            return Some(Ok(past_end(total, status)));
        }
        let len = last - wanted.first + 1;
        let mut headers = first.meta.headers.to_map(super::deliver::ADDED_ON_DELIVERY);
        headers.remove(header::CONTENT_RANGE);
        set(
            &mut headers,
            header::CONTENT_RANGE,
            &format!("bytes {}-{last}/{total}", wanted.first),
        );
        set(
            &mut headers,
            header::CONTENT_LENGTH,
            itoa::Buffer::new().format(len),
        );
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if status != CacheStatus::Miss || age.as_secs() > 0 {
            headers.insert(header::AGE, HeaderValue::from(age.as_secs()));
        }
        status.write(&mut headers);

        let offset = first_index * fill.slice;
        let last_index = last / fill.slice;
        let body = if last_index == first_index {
            EdgeBody::stored(
                first.body.clone(),
                wanted.first - offset,
                Some(last - offset + 1),
            )
        } else {
            let (tx, rx) = tokio::sync::mpsc::channel(4);
            let edge = self.clone();
            let f = f.clone();
            let key = key.clone();
            let plan = Assembly {
                first,
                identity,
                from: wanted.first,
                last,
                fill,
            };
            tokio::spawn(async move { edge.stream_slices(tx, &f, &key, plan).await });
            EdgeBody::Channel { rx, len }
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
        *resp.headers_mut() = headers;
        Some(Ok((resp, status)))
    }

    /// Sends bytes `[from, last]` of the object, slice after slice, into `tx`; checks each
    /// later slice against the first one's identity.
    async fn stream_slices(
        self: Arc<Self>,
        tx: tokio::sync::mpsc::Sender<Result<Bytes, BodyError>>,
        f: &Fetching,
        key: &CacheKey,
        plan: Assembly,
    ) {
        let Assembly {
            first,
            identity,
            from,
            last,
            fill,
        } = plan;
        let mut index = from / fill.slice;
        let mut obj = first;
        loop {
            let offset = index * fill.slice;
            let lo = from.max(offset) - offset;
            let hi = last.min(offset + fill.slice - 1) - offset + 1;
            let mut part = EdgeBody::stored(obj.body.clone(), lo, Some(hi));
            while let Some(frame) = part.frame().await {
                let item = match frame {
                    Ok(frame) => match frame.into_data() {
                        Ok(data) => Ok(data),
                        Err(_) => continue,
                    },
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    return;
                }
            }
            if offset + fill.slice > last {
                return;
            }
            index += 1;
            obj = match self.slice(f, key, index, fill).await {
                Ok(SliceOutcome::Ready(o, _)) if Identity::of(&o).as_ref() == Some(&identity) => o,
                Ok(SliceOutcome::Ready(_, _)) => {
                    // The object changed at the origin between slices: none of its slices
                    // can be combined any more.
                    // A ban of the key's `\n` variants: its slices.
                    self.cache.purge(
                        key.scope(),
                        &PurgePattern::Prefix(format!("{}\n", key.target())),
                    );
                    tracing::info!(target = key.target(), "slices disagree; banned");
                    let _ = tx
                        .send(Err(BodyError::Incomplete(
                            "the object changed between slices",
                        )))
                        .await;
                    return;
                }
                Ok(
                    SliceOutcome::NotSliced | SliceOutcome::Whole(..) | SliceOutcome::PastEnd(_),
                )
                | Err(_) => {
                    let _ = tx
                        .send(Err(BodyError::Incomplete("a slice could not be fetched")))
                        .await;
                    return;
                }
            };
        }
    }

    /// Slice `index` of `key`: from the cache, another request's fill, or the origin.
    async fn slice(
        self: &Arc<Self>,
        f: &Fetching,
        key: &CacheKey,
        index: u64,
        fill: RangeFill,
    ) -> Result<SliceOutcome, EdgeError> {
        let skey = CacheKey::new(key.scope(), &format!("{}\nslice:{index}", key.target()));
        let now = self.clock.now();
        let mut lookup = self.cache.lookup(&skey, &f.headers, now, true);
        if let Lookup::Fresh(obj) | Lookup::StaleWhileRevalidate(obj, _) = &lookup {
            if obj.body.disk_file().is_some() && self.cache.open(obj.clone()).await.is_none() {
                lookup = self.cache.lookup(&skey, &f.headers, now, true);
            }
        }
        match lookup {
            // A stale slice is not refreshed in the background: its next miss fetches it.
            Lookup::Fresh(obj) | Lookup::StaleWhileRevalidate(obj, _) => {
                Ok(SliceOutcome::Ready(obj, true))
            }
            Lookup::Wait(shared) => match shared.wait().await {
                FillState::Ready(obj) => Ok(SliceOutcome::Ready(obj, false)),
                FillState::Failed(why) => Err(why.into()),
                FillState::Pass | FillState::Pending => Ok(SliceOutcome::NotSliced),
            },
            Lookup::Fetch(guard, _) => {
                let start = index * fill.slice;
                let end = start + fill.slice - 1;
                let request_time = self.clock.now();
                let resp = match self.send_slice_request(f, start, end).await {
                    Ok(r) => r,
                    Err(why) => {
                        guard.fail(why);
                        return Err(why.into());
                    }
                };
                let times = Times {
                    request: request_time,
                    response: self.clock.now(),
                };
                let (mut parts, body) = resp.into_parts();
                if parts.status == StatusCode::RANGE_NOT_SATISFIABLE {
                    guard.pass();
                    let total = parts
                        .headers
                        .get(header::CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("bytes */"))
                        .and_then(|t| t.parse().ok());
                    return Ok(total.map_or(SliceOutcome::NotSliced, SliceOutcome::PastEnd));
                }
                let range = content_range(parts.headers.get(header::CONTENT_RANGE));
                if parts.status == StatusCode::OK {
                    guard.pass();
                    return Ok(SliceOutcome::Whole(parts, body, times));
                }
                let Some((a, b, total)) =
                    range.filter(|_| parts.status == StatusCode::PARTIAL_CONTENT)
                else {
                    guard.pass();
                    return Ok(SliceOutcome::NotSliced);
                };
                if a == 0 && b + 1 == total {
                    // The whole object in one slice: the 200 it amounts to.
                    guard.pass();
                    parts.status = StatusCode::OK;
                    parts.headers.remove(header::CONTENT_RANGE);
                    set(
                        &mut parts.headers,
                        header::CONTENT_LENGTH,
                        itoa::Buffer::new().format(total),
                    );
                    return Ok(SliceOutcome::Whole(parts, body, times));
                }
                if a != start || b != end.min(total - 1) || total <= fill.above {
                    guard.pass();
                    return Ok(SliceOutcome::NotSliced);
                }
                // Judged as the 200 it is part of (a 206 is never stored as such).
                let (lifetimes, mut stored) = match verdict(
                    &f.route,
                    StatusCode::OK,
                    &parts.headers,
                    false,
                    times.response,
                ) {
                    Ok(v) => v,
                    Err(_) => {
                        guard.pass();
                        return Ok(SliceOutcome::NotSliced);
                    }
                };
                // The slice's own length; the range header says which part of what it is.
                if let Some(v) = parts.headers.get(header::CONTENT_RANGE) {
                    stored.insert(header::CONTENT_RANGE, v.clone());
                }
                let expected = range.map(|(a, b, _)| b - a + 1);
                let meta = Meta::new(
                    StatusCode::PARTIAL_CONTENT,
                    stored.into(),
                    lifetimes,
                    AgeBase::new(&parts.headers, times.request, times.response),
                    Default::default(),
                    Default::default(),
                );
                let obj = guard.store(meta, Body::writing(expected));
                let writer = self.cache.writer(&skey, &obj);
                tokio::spawn(fill_body(body, writer, f.route.client.read_timeout()));
                Ok(SliceOutcome::Ready(obj, false))
            }
        }
    }

    /// The origin's whole object, received for a slice request, stored under the object's
    /// own key (as a fill of it would) and the range cut from it; `None` when another request
    /// filled the key meanwhile (the ordinary path then answers from it).
    async fn store_whole(
        self: &Arc<Self>,
        req: &Request<()>,
        f: &Fetching,
        key: &CacheKey,
        parts: http::response::Parts,
        body: hyper::body::Incoming,
        times: Times,
    ) -> Option<Result<Answer, EdgeError>> {
        let Lookup::Fetch(guard, _) = self.cache.lookup(key, &f.headers, self.clock.now(), true)
        else {
            return None;
        };
        let resp = Response::from_parts(parts, body);
        let has_auth = f.origin_saw_authorization();
        Some(match self.store(guard, f, resp, has_auth, times).await {
            Ok(super::Fetched::Object(obj, served)) => Ok((
                super::deliver::deliver(req, &obj, served, self.clock.now()),
                served,
            )),
            Ok(super::Fetched::Pass(parts, body, why)) => {
                Ok(super::pass::pass_response(req, &f.route, parts, body, why))
            }
            Ok(super::Fetched::Made(resp, why)) => Ok((resp, super::CacheStatus::NotStored(why))),
            Err(e) => Err(e),
        })
    }

    /// The origin request of slice `[start, end]`: the behavior's forwarding rules, without
    /// `Accept-Encoding` (a range of one representation: identity), plus the `Range`.
    async fn send_slice_request(
        &self,
        f: &Fetching,
        start: u64,
        end: u64,
    ) -> Result<Response<hyper::body::Incoming>, brink_cache::FetchFailure> {
        let target = &f.route;
        let edge = self.to_origin(target, f);
        let mut viewer = f.headers.clone();
        viewer.remove(header::ACCEPT_ENCODING);
        let mut headers = match &target.rules {
            None => forward::cacheable_origin_headers(&viewer, &target.forward, &edge),
            Some(rules) => forward::policy_origin_headers(&viewer, rules, &edge),
        };
        headers.remove(header::ACCEPT_ENCODING);
        set(&mut headers, header::RANGE, &format!("bytes={start}-{end}"));
        let req = self.origin_request(target, f, Method::GET, headers, OriginBody::Empty);
        self.send_origin(target, req).await
    }
}

/// 416 for a range that starts past the end of an object of `total` bytes, as a whole object
/// would answer (RFC 9110 §15.5.17).
fn past_end(total: u64, status: CacheStatus) -> Answer {
    let mut resp = Response::new(EdgeBody::Empty);
    *resp.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
    let h = resp.headers_mut();
    set(h, header::CONTENT_RANGE, &format!("bytes */{total}"));
    set(h, header::CONTENT_LENGTH, "0");
    status.write(h);
    (resp, status)
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(range: &str, extra: Option<(&str, &str)>) -> Request<()> {
        let mut b = Request::get("/v.mp4").header("range", range);
        if let Some((n, v)) = extra {
            b = b.header(n, v);
        }
        b.body(()).expect("request")
    }

    #[test]
    fn which_requests_are_sliced() {
        assert_eq!(
            sliceable(&req("bytes=10-20", None)),
            Some(Wanted {
                first: 10,
                last: Some(20)
            })
        );
        assert_eq!(
            sliceable(&req("bytes=5-", None)),
            Some(Wanted {
                first: 5,
                last: None
            })
        );
        assert_eq!(sliceable(&req("bytes=-5", None)), None);
        assert_eq!(sliceable(&req("bytes=0-1,5-6", None)), None);
        assert_eq!(
            sliceable(&req("bytes=0-1", Some(("if-range", "\"e\"")))),
            None
        );
        assert_eq!(sliceable(&req("items=0-1", None)), None);
    }

    #[test]
    fn content_range_is_checked() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-99/1000"),
        );
        assert_eq!(
            content_range(h.get(header::CONTENT_RANGE)),
            Some((0, 99, 1000))
        );
        for bad in [
            "bytes 5-1/10",
            "bytes 0-10/10",
            "bytes */10",
            "bytes 0-1/x",
            "0-1/10",
        ] {
            h.insert(header::CONTENT_RANGE, HeaderValue::from_static(bad));
            assert_eq!(content_range(h.get(header::CONTENT_RANGE)), None, "{bad}");
        }
    }
}

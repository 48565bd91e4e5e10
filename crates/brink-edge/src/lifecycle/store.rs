//! Phase 5, **store**: the store verdict (storability under the behavior's TTLs, the
//! cleaned headers, the `Vary` the object is selected by), compression of eligible responses
//! (`compress.rs`), publishing the object and streaming the origin's body into it; and the
//! refresh of a stored object by a 304.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use brink_cache::{Body, FillGuard, Meta, Object, ObjectWriter};
use brink_http::freshness::{
    storability, AgeBase, Exchange, Lifetimes, NoStoreReason, Storability,
};
use brink_http::vary::VaryNames;
use http::header;
use http::{HeaderMap, Method, StatusCode};
use http_body::Body as _;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::errors::EdgeError;
use crate::headers;

use super::route::Target;
use super::{CacheStatus, Edge, Fetched, Fetching};

/// When the origin request went out and when its response came back (RFC 9111 §4.2.3).
#[derive(Debug, Clone, Copy)]
pub(super) struct Times {
    pub(super) request: SystemTime,
    pub(super) response: SystemTime,
}

/// May a response with `status` and `headers` be stored for `route`, and if so for how long
/// and with which headers: owned copies, cleaned of what the edge never stores
/// (`headers::clean_response_headers`) and, under a behavior, with the `Vary` tokens viewers
/// may see (cloudfront.md §2.8). The one verdict both a fill and a 304 refresh use.
pub(super) fn verdict(
    route: &Target,
    status: StatusCode,
    headers: &HeaderMap,
    has_auth: bool,
    response_time: SystemTime,
) -> Result<(Lifetimes, HeaderMap), NoStoreReason> {
    let ttl = route
        .rules
        .as_ref()
        .map_or(route.ttl, |r| r.ttl_for(status.as_u16()));
    let exchange = Exchange {
        method: &Method::GET,
        request_has_authorization: has_auth,
        status,
        headers,
        response_time,
    };
    match storability(&exchange, &ttl) {
        Storability::NoStore(why) => Err(why),
        Storability::Store(lifetimes) => {
            // Values still point into the origin connection's read buffer: the object's
            // `StoredHeaders` copies them into one block of its own when it is made.
            let mut stored = headers.clone();
            headers::clean_response_headers(&mut stored, route.strips_set_cookie());
            if let Some(r) = &route.rules {
                crate::policy::forward::filter_vary(&mut stored, r);
            }
            Ok((lifetimes, stored))
        }
    }
}

impl Edge {
    /// Phase 5: stores the origin's response for `guard`'s key when the verdict allows it
    /// (compressing it first when eligible), else hands it back to be passed to the viewer.
    pub(super) async fn store(
        &self,
        guard: FillGuard,
        f: &Fetching,
        resp: http::Response<Incoming>,
        has_auth: bool,
        times: Times,
    ) -> Result<Fetched, EdgeError> {
        let (parts, mut body) = resp.into_parts();
        let (lifetimes, mut stored_headers) = match verdict(
            &f.route,
            parts.status,
            &parts.headers,
            has_auth,
            times.response,
        ) {
            Ok(v) => v,
            Err(why) => {
                guard.pass();
                return Ok(Fetched::Pass(parts, body, why));
            }
        };
        let rules = f.route.rules.as_ref();
        // Under a behavior the policy makes the variants (cloudfront.md §2.8); the origin's
        // `Vary` still splits on headers it received without them being keyed.
        let vary = match rules {
            Some(r) => r.vary_names(&parts.headers),
            None => VaryNames::from_response(&parts.headers),
        };
        let vary_values = vary.select(&f.headers);
        let age = AgeBase::new(&parts.headers, times.request, times.response);
        // §8.3: an eligible response (≤ 10 MB) is stored compressed: read whole and encoded
        // in one go when small (a body that fails on the way stores nothing), encoded as it
        // arrives when larger (`compress::compress_into`: the first bytes do not wait).
        let mut compressing = rules.and_then(|r| {
            crate::compress::eligible_for(r, &f.headers, f.version, parts.status, &parts.headers)
        });
        let mut whole = None;
        if let Some((coding, len)) = compressing {
            if len > crate::compress::WHOLE_LIMIT {
                crate::compress::mark_encoded(&mut stored_headers, coding);
            } else {
                compressing = None;
                let read_timeout = f.route.client.read_timeout();
                let raw = match crate::compress::collect_body(&mut body, len, read_timeout).await {
                    Ok(raw) => raw,
                    Err(why) => return self.failed_fill(guard, None, why),
                };
                whole = Some(match crate::compress::encode_blocking(coding, raw).await {
                    Ok(encoded) => {
                        crate::compress::mark_encoded(&mut stored_headers, coding);
                        stored_headers.insert(header::CONTENT_LENGTH, encoded.len().into());
                        encoded
                    }
                    // Stored as the origin sent it after all.
                    Err(raw) if raw.len() as u64 == len => raw,
                    Err(_) => {
                        guard.fail(brink_cache::FetchFailure::Aborted);
                        return Err(brink_cache::FetchFailure::Aborted.into());
                    }
                });
            }
        }
        let expected = stored_headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let meta = Meta::new(
            parts.status,
            stored_headers.into(),
            lifetimes,
            age,
            vary,
            vary_values,
        );
        let key = guard.key().clone();
        let obj = guard.store(meta, Body::writing(expected));
        let mut writer = self.cache.writer(&key, &obj);
        if let Some(bytes) = whole {
            writer.push_owned(bytes);
            writer.finish();
            return Ok(Fetched::Object(obj, CacheStatus::Miss));
        }
        if let Some((coding, len)) = compressing {
            crate::compress::compress_into(
                body,
                writer,
                coding,
                len,
                f.route.client.read_timeout(),
            );
            return Ok(Fetched::Object(obj, CacheStatus::Miss));
        }
        // The viewer waits for the first bytes anyway: read them here, so that a small object
        // completes without a second task and goes out in one write with its head.
        match tokio::time::timeout(f.route.client.read_timeout(), body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    writer.push(data);
                }
                if body.is_end_stream() {
                    writer.finish();
                } else {
                    tokio::spawn(fill_body(body, writer, f.route.client.read_timeout()));
                }
            }
            Ok(None) => writer.finish(),
            // Dropping the writer fails the object: waiters see a truncated body.
            Ok(Some(Err(_))) | Err(_) => drop(writer),
        }
        Ok(Fetched::Object(obj, CacheStatus::Miss))
    }

    /// Phase 5 for a response the edge made itself (HLS from a stored MP4, `media.rs`):
    /// stored under the same verdict as an origin's, or handed back when it may not be.
    pub(super) fn store_made(
        &self,
        guard: FillGuard,
        f: &Fetching,
        status: StatusCode,
        headers: HeaderMap,
        body: bytes::Bytes,
        times: Times,
    ) -> Fetched {
        match verdict(&f.route, status, &headers, false, times.response) {
            Ok((lifetimes, stored_headers)) => {
                let vary = VaryNames::from_response(&headers);
                let vary_values = vary.select(&f.headers);
                let meta = Meta::new(
                    status,
                    stored_headers.into(),
                    lifetimes,
                    AgeBase::new(&headers, times.request, times.response),
                    vary,
                    vary_values,
                );
                let key = guard.key().clone();
                let obj = guard.store(meta, Body::writing(Some(body.len() as u64)));
                let mut writer = self.cache.writer(&key, &obj);
                writer.push_owned(body);
                writer.finish();
                Fetched::Object(obj, CacheStatus::Miss)
            }
            Err(why) => {
                guard.pass();
                let mut resp = http::Response::new(crate::body::EdgeBody::Full(Some(body)));
                *resp.status_mut() = status;
                *resp.headers_mut() = headers;
                Fetched::Made(resp, why)
            }
        }
    }

    /// A 304 answered a conditional fill: the stored body gets new metadata (RFC 9111 §4.3.4).
    pub(super) fn refresh(
        &self,
        route: &Target,
        guard: FillGuard,
        stale: Arc<Object>,
        not_modified: &HeaderMap,
        has_auth: bool,
        times: Times,
    ) -> Fetched {
        let merged = headers::merge_not_modified(&stale.meta.headers, not_modified);
        match verdict(route, stale.meta.status, &merged, has_auth, times.response) {
            Ok((lifetimes, headers)) => {
                let meta = Meta::new(
                    stale.meta.status,
                    headers.into(),
                    lifetimes,
                    AgeBase::new(not_modified, times.request, times.response),
                    stale.meta.vary().clone(),
                    stale.meta.vary_values().clone(),
                );
                let obj = guard.store(meta, stale.body.clone());
                Fetched::Object(obj, CacheStatus::RefreshHit)
            }
            Err(_) => {
                // Still valid for this request, but no longer storable.
                self.cache.remove_object(guard.key(), &stale);
                guard.share(stale.clone());
                Fetched::Object(stale, CacheStatus::RefreshHit)
            }
        }
    }
}

/// Phase 5, in the background: copies the origin's body into the stored object. Runs to the
/// end even if every viewer leaves, so the object completes for the next request; a stall
/// longer than the read timeout or a broken body fails the object (never served partially).
pub(super) async fn fill_body(mut body: Incoming, writer: ObjectWriter, read_timeout: Duration) {
    let mut writer = writer;
    // Frames that arrive back to back are gathered into chunks of up to FILL_CHUNK bytes
    // (fewer, larger writes when the object is served), but whatever has arrived is handed to
    // the readers as soon as the origin pauses: a slow origin still streams byte by byte.
    let mut gather = Gather::new(writer.object().body.expected_len());
    loop {
        let next = if gather.is_empty() {
            tokio::time::timeout(read_timeout, body.frame()).await
        } else {
            match tokio::time::timeout(Duration::ZERO, body.frame()).await {
                Err(_) => {
                    gather.flush(&mut writer);
                    continue;
                }
                ready => ready,
            }
        };
        match next {
            Err(_) => {
                tracing::warn!("origin body stalled past the read timeout; object dropped");
                return;
            }
            Ok(None) => {
                gather.flush(&mut writer);
                writer.finish();
                return;
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    gather.add(&data, &mut writer);
                }
                // An object spilling to disk: the origin is read no faster than the file is
                // written (beyond a margin), so memory holds at most that margin. Objects that
                // fit in memory (nearly all) never wait: no timer is armed for them.
                if writer.spills() {
                    match tokio::time::timeout(read_timeout, writer.room()).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!("disk tier: spill file failed; object dropped");
                            return;
                        }
                        Err(_) => {
                            tracing::warn!(
                                "disk tier behind the origin past the read timeout; object dropped"
                            );
                            return;
                        }
                    }
                }
            }
            Ok(Some(Err(e))) => {
                tracing::debug!(error = %e, "origin body failed; object dropped");
                return;
            }
        }
    }
}

/// The buffer a fill gathers the origin's frames in (they are slices of the origin
/// connection's read buffer, which storing would pin, so their bytes are copied once, here).
///
/// When the origin announced the body's length, each buffer is allocated at exactly the size
/// of the chunk it will become (the rest of the body, at most FILL_CHUNK) and handed over
/// without another copy: a chunk handed early (the origin paused) shares the buffer with the
/// chunks that follow, all of them this object's bytes, so nothing is pinned that the object
/// does not hold. Without a length, the gathered bytes are copied into an exactly sized chunk
/// and the buffer reused.
struct Gather {
    buf: bytes::BytesMut,
    /// Bytes of the announced length not yet in a buffer; `None` without a length.
    unallocated: Option<u64>,
}

impl Gather {
    fn new(expected: Option<u64>) -> Gather {
        let mut g = Gather {
            buf: bytes::BytesMut::new(),
            unallocated: expected,
        };
        g.next_buffer();
        g
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// With a length: a buffer for the next chunk of the body (none past its end).
    fn next_buffer(&mut self) {
        if let Some(left) = self.unallocated.filter(|l| *l > 0) {
            let size = left.min(FILL_CHUNK as u64);
            self.buf = bytes::BytesMut::with_capacity(size as usize);
            self.unallocated = Some(left - size);
        }
    }

    fn add(&mut self, mut data: &[u8], writer: &mut ObjectWriter) {
        if self.unallocated.is_none() {
            self.buf.extend_from_slice(data);
            if self.buf.len() >= FILL_CHUNK {
                self.flush(writer);
            }
            return;
        }
        while !data.is_empty() {
            let room = self.buf.capacity() - self.buf.len();
            if room == 0 {
                // Past the announced length (the HTTP layer refuses that; kept correct
                // anyway): the rest is gathered in a buffer of its own size.
                self.buf.reserve(data.len());
                self.buf.extend_from_slice(data);
                return;
            }
            let n = room.min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.buf.len() == self.buf.capacity() {
                self.flush(writer);
            }
        }
    }

    /// Hands whatever is gathered to the object.
    fn flush(&mut self, writer: &mut ObjectWriter) {
        if self.buf.is_empty() {
            return;
        }
        if self.unallocated.is_none() {
            writer.push_owned(bytes::Bytes::copy_from_slice(&self.buf));
            self.buf.clear();
            return;
        }
        let full = self.buf.len() == self.buf.capacity();
        writer.push_owned(self.buf.split().freeze());
        if full {
            self.next_buffer();
        }
    }
}

/// Largest chunk a fill gathers before handing it to readers (1 MiB: large-hit measured
/// 5,314 MB/s against 256 KiB chunks' 4,033 in quick runs on 2026-11-25).
const FILL_CHUNK: usize = 1024 * 1024;

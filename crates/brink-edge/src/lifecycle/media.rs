//! Fetch for HLS derived from a stored MP4 (issue 13; a behavior's `BrinkHls`, Brink's own
//! field): `…/video.mp4/index.m3u8` and `…/video.mp4/seg-N.ts` are not fetched from the
//! origin but made here, from byte ranges of `…/video.mp4` read through the cache
//! (`internal.rs`: the MP4's ranges are cached and filled by slices like anyone's), and then
//! stored like any fetched object — so a playlist or segment is made once per edge and TTL,
//! and HLS, RTMP and progressive download share one cached copy of the file.
//!
//! The MP4 is read under the same behavior as the HLS request (its origin, key policy and
//! TTLs): a behavior with `BrinkHls` must match both, e.g. `/videos/*`. The sample index
//! (`moov`) is parsed once and kept per file (`IndexMemo`); each use checks the first bytes
//! of `moov` again, so a replaced file is parsed anew. Invalidating `/videos/clip.mp4*`
//! removes the file and everything made from it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use brink_media::hls::{self, Derived, Segment};
use brink_media::{Index, Located, MediaError, ReadAt};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};

use crate::errors::EdgeError;

use super::internal::RangeError;
use super::route::Target;
use super::{Edge, Fetched, Fetching};

/// Largest span of the MP4 one segment may need (a file with a key frame every few minutes
/// at a high bit rate would need more: refused with a 502, not buffered).
const MAX_SEGMENT_SPAN: u64 = 64 * 1024 * 1024;
/// Files whose index is kept.
const MEMO_ENTRIES: usize = 64;

/// What an HLS request under a `BrinkHls` behavior asks for.
pub(super) struct HlsRequest<'a> {
    what: Derived<'a>,
    segment_seconds: u32,
}

/// The HLS request `f` makes, if its behavior serves HLS and its path names a playlist or a
/// segment of an MP4.
pub(super) fn hls_request(f: &Fetching) -> Option<HlsRequest<'_>> {
    let secs = f.route.rules.as_ref()?.behavior.hls_segment_seconds?;
    Some(HlsRequest {
        what: hls::derived(f.target.path())?,
        segment_seconds: secs,
    })
}

/// Parsed indexes and plans of recently used files, shared by the workers.
#[derive(Default)]
pub(crate) struct IndexMemo {
    entries: parking_lot::Mutex<HashMap<Box<str>, Memo>>,
}

struct Memo {
    index: Arc<Index>,
    located: Located,
    plans: Vec<(u32, Arc<Vec<Segment>>)>,
    used: Instant,
}

impl IndexMemo {
    fn get(&self, key: &str) -> Option<(Arc<Index>, Located)> {
        let mut m = self.entries.lock();
        let e = m.get_mut(key)?;
        e.used = Instant::now();
        Some((e.index.clone(), e.located.clone()))
    }

    fn plan(&self, key: &str, index: &Arc<Index>, secs: u32) -> Arc<Vec<Segment>> {
        if let Some(p) = self.entries.lock().get(key).and_then(|e| {
            e.plans
                .iter()
                .find(|(s, _)| *s == secs)
                .map(|(_, p)| p.clone())
        }) {
            return p;
        }
        let plan = Arc::new(hls::plan(index, i64::from(secs) * 1_000_000));
        let mut m = self.entries.lock();
        if let Some(e) = m.get_mut(key) {
            if Arc::ptr_eq(&e.index, index) {
                e.plans.push((secs, plan.clone()));
            }
        }
        plan
    }

    fn put(&self, key: &str, index: Arc<Index>, located: Located) {
        let mut m = self.entries.lock();
        if m.len() >= MEMO_ENTRIES && !m.contains_key(key) {
            if let Some(oldest) = m.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) {
                m.remove(&oldest);
            }
        }
        m.insert(
            key.into(),
            Memo {
                index,
                located,
                plans: Vec::new(),
                used: Instant::now(),
            },
        );
    }
}

/// Reads the MP4 through the edge's cache.
struct CacheReader<'a> {
    edge: &'a Arc<Edge>,
    route: Arc<Target>,
    path: &'a str,
    f: &'a Fetching,
    /// Why the last read failed.
    failed: Option<RangeError>,
}

impl CacheReader<'_> {
    /// A read failure as what the viewer gets: the MP4's own status (a 404 for a missing
    /// file), or the fetch's error.
    fn failure(&mut self) -> Failure {
        match self.failed.take() {
            Some(RangeError::Status(s)) => {
                Failure::Status(StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_GATEWAY))
            }
            Some(RangeError::Edge(e)) => Failure::Edge(e),
            None => Failure::Edge(EdgeError::OriginConnect),
        }
    }
}

impl ReadAt for CacheReader<'_> {
    fn read_at(
        &mut self,
        offset: u64,
        len: u64,
    ) -> impl Future<Output = Result<Bytes, String>> + Send {
        // Boxed: the read goes through lookup and fetch, which may come back here (an HLS
        // fill reads its MP4 through the same phases), so the future's type must not nest.
        let read: Pin<Box<dyn Future<Output = Result<Bytes, RangeError>> + Send + '_>> = Box::pin(
            self.edge
                .read_range(self.route.clone(), self.path, offset, len, self.f.peer),
        );
        let failed = &mut self.failed;
        async move {
            read.await.map_err(|e| {
                let text = e.to_string();
                *failed = Some(e);
                text
            })
        }
    }
}

/// Why nothing was made.
enum Failure {
    /// The MP4 is not there (its status), or the segment number is past the end: answered
    /// with that status.
    Status(StatusCode),
    /// The file could not be read (the origin failed).
    Edge(EdgeError),
    /// The file is not a streamable MP4.
    Media(MediaError),
}

impl Edge {
    /// Phases 4 and 5 for an HLS request: makes the playlist or segment and stores it.
    pub(super) async fn media_fill(
        self: &Arc<Self>,
        guard: brink_cache::FillGuard,
        f: &Fetching,
        req: HlsRequest<'_>,
    ) -> Result<Fetched, EdgeError> {
        let request = self.clock.now();
        let made = self.make(f, &req).await;
        let times = super::store::Times {
            request,
            response: self.clock.now(),
        };
        let (status, content_type, body) = match made {
            Ok((ct, body)) => (StatusCode::OK, ct, body),
            Err(Failure::Status(s)) => (
                s,
                "text/plain",
                Bytes::from(format!(
                    "{} {}\n",
                    s.as_u16(),
                    s.canonical_reason().unwrap_or("")
                )),
            ),
            Err(Failure::Edge(e)) => {
                guard.fail(match e {
                    EdgeError::OriginTimeout => brink_cache::FetchFailure::Timeout,
                    EdgeError::OriginProtocol => brink_cache::FetchFailure::Protocol,
                    _ => brink_cache::FetchFailure::Connect,
                });
                return Err(e);
            }
            Err(Failure::Media(e)) => {
                tracing::info!(path = f.target.path(), error = %e, "HLS: the MP4 cannot be streamed");
                guard.fail(brink_cache::FetchFailure::Protocol);
                return Err(EdgeError::OriginProtocol);
            }
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CONTENT_LENGTH, body.len().into());
        Ok(self.store_made(guard, f, status, headers, body, times))
    }

    async fn make(
        self: &Arc<Self>,
        f: &Fetching,
        req: &HlsRequest<'_>,
    ) -> Result<(&'static str, Bytes), Failure> {
        let (mp4, number) = match req.what {
            Derived::Playlist(p) => (p, None),
            Derived::Segment(p, n) => (p, Some(n)),
        };
        let mut reader = CacheReader {
            edge: self,
            route: f.route.clone(),
            path: mp4,
            f,
            failed: None,
        };
        let key = format!("{}\n{mp4}", f.route.scope);
        let index = self.media_index(&key, &mut reader).await?;
        let plan = self.media.plan(&key, &index, req.segment_seconds);
        let Some(n) = number else {
            let text = hls::playlist(&plan);
            return Ok(("application/vnd.apple.mpegurl", Bytes::from(text)));
        };
        let seg = plan.get(n).ok_or(Failure::Status(StatusCode::NOT_FOUND))?;
        let Some((lo, hi)) = seg.span(&index) else {
            return Err(Failure::Status(StatusCode::NOT_FOUND));
        };
        if hi - lo > MAX_SEGMENT_SPAN {
            return Err(Failure::Media(MediaError::TooLarge(format!(
                "segment {n} spans {} bytes of the file",
                hi - lo
            ))));
        }
        let data = match brink_media::read_exact(&mut reader, lo, hi - lo).await {
            Ok(d) => d,
            Err(MediaError::Read(_)) => return Err(reader.failure()),
            Err(e) => return Err(Failure::Media(e)),
        };
        let ts = brink_media::ts::segment(&index, seg, lo, &data).map_err(Failure::Media)?;
        Ok(("video/mp2t", Bytes::from(ts)))
    }

    /// The index of the MP4 `reader` reads: the memo's, when the file's `moov` still starts
    /// with the bytes it had, else parsed anew.
    async fn media_index(
        &self,
        key: &str,
        reader: &mut CacheReader<'_>,
    ) -> Result<Arc<Index>, Failure> {
        if let Some((index, located)) = self.media.get(key) {
            let now = reader
                .read_at(located.offset, located.head.len() as u64)
                .await;
            if now.as_deref().ok() == Some(&located.head[..]) {
                return Ok(index);
            }
        }
        let (index, located) = match brink_media::load_index(reader).await {
            Ok(x) => x,
            Err(MediaError::Read(_)) => return Err(reader.failure()),
            Err(e) => return Err(Failure::Media(e)),
        };
        let index = Arc::new(index);
        self.media.put(key, index.clone(), located);
        Ok(index)
    }
}

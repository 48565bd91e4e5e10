//! Response bodies the edge sends to viewers, and request bodies it sends to origins.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use brink_cache::{Body, BodyReader, TruncatedBody};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;

/// Why a viewer body stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The origin fetch behind a stored object failed mid-way.
    #[error(transparent)]
    Truncated(#[from] TruncatedBody),
    /// A streamed (uncached) origin body failed.
    #[error("origin body: {0}")]
    Origin(#[from] hyper::Error),
    /// The origin went silent for longer than the read timeout.
    #[error("origin read timeout")]
    Timeout,
    /// A body assembled from several stored parts could not be completed (a part failed,
    /// or the object changed between parts).
    #[error("incomplete body: {0}")]
    Incomplete(&'static str),
}

/// One part of a `multipart/byteranges` body.
#[derive(Debug)]
pub struct Part {
    /// The part's delimiter and headers.
    pub header: Bytes,
    /// Its bytes.
    pub reader: BodyReader,
}

/// A viewer response body. One enum rather than a boxed trait object: the hit path allocates
/// nothing for it.
#[derive(Debug)]
pub enum EdgeBody {
    /// Nothing (HEAD, 304, errors without a page).
    Empty,
    /// One buffer (error pages, small complete objects).
    Full(Option<Bytes>),
    /// A window of a stored body, read as it is written.
    Stored {
        /// The reader.
        reader: BodyReader,
        /// Bytes it will yield, when known.
        len: Option<u64>,
    },
    /// `multipart/byteranges` parts, then the closing delimiter.
    Multipart {
        /// Parts not yet sent (the front one is being sent).
        parts: VecDeque<Part>,
        /// Whether the front part's header was sent.
        header_sent: bool,
        /// The closing delimiter.
        trailer: Option<Bytes>,
        /// Total length.
        len: u64,
    },
    /// An origin body streamed through without storing.
    Origin(Incoming),
    /// A stored body sent from its file without a user-space copy (`zerocopy.rs`).
    ZeroCopy(crate::zerocopy::ZeroCopyBody),
    /// Chunks a task produces (a range assembled from slices, `lifecycle/slice.rs`); the
    /// task ends the body with an error item when it cannot complete it.
    Channel {
        /// The producer's chunks.
        rx: tokio::sync::mpsc::Receiver<Result<Bytes, BodyError>>,
        /// Bytes it will yield.
        len: u64,
    },
}

impl EdgeBody {
    /// All of a stored body, or a window `[start, end)` of it.
    pub(crate) fn stored(body: Arc<Body>, start: u64, end: Option<u64>) -> EdgeBody {
        if start == 0 && end.is_none() {
            // Complete single-chunk bodies (small hits) go out as one buffer.
            if let Some(chunks) = body.frozen() {
                match chunks.len() {
                    0 => return EdgeBody::Empty,
                    1 => return EdgeBody::Full(Some(chunks[0].clone())),
                    _ => {}
                }
            }
        }
        let len = match end {
            Some(e) => Some(e.saturating_sub(start)),
            None => body.known_len().map(|l| l.saturating_sub(start)),
        };
        EdgeBody::Stored {
            reader: BodyReader::new(body, start, end),
            len,
        }
    }

    /// On a connection that can send files (`queue`), a stored body whose window lies in a
    /// complete file becomes a zero-copy body; anything else is returned as it is.
    pub(crate) fn offer_zero_copy(self, queue: &Arc<crate::zerocopy::SendQueue>) -> EdgeBody {
        if let EdgeBody::Stored {
            reader,
            len: Some(len),
        } = &self
        {
            if let Some(region) = reader.file_region().filter(|r| r.len == *len) {
                return EdgeBody::ZeroCopy(crate::zerocopy::ZeroCopyBody::new(
                    queue.clone(),
                    region,
                ));
            }
        }
        self
    }
}

impl http_body::Body for EdgeBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match &mut *self {
            EdgeBody::Empty => Poll::Ready(None),
            EdgeBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            EdgeBody::Stored { reader, .. } => reader
                .poll_next(cx)
                .map(|o| o.map(|r| r.map(Frame::data).map_err(BodyError::from))),
            EdgeBody::Multipart {
                parts,
                header_sent,
                trailer,
                ..
            } => loop {
                let Some(part) = parts.front_mut() else {
                    return Poll::Ready(trailer.take().map(|t| Ok(Frame::data(t))));
                };
                if !*header_sent {
                    *header_sent = true;
                    return Poll::Ready(Some(Ok(Frame::data(part.header.clone()))));
                }
                match part.reader.poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(r)) => {
                        return Poll::Ready(Some(r.map(Frame::data).map_err(BodyError::from)))
                    }
                    Poll::Ready(None) => {
                        parts.pop_front();
                        *header_sent = false;
                    }
                }
            },
            EdgeBody::Origin(inc) => Pin::new(inc).poll_frame(cx).map_err(BodyError::from),
            EdgeBody::Channel { rx, .. } => rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data))),
            EdgeBody::ZeroCopy(z) => z.poll_frame(),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            EdgeBody::Empty => true,
            EdgeBody::Full(b) => b.is_none(),
            EdgeBody::Stored { len, .. } => *len == Some(0),
            EdgeBody::Multipart { .. } => false,
            EdgeBody::Origin(inc) => inc.is_end_stream(),
            EdgeBody::Channel { len, .. } => *len == 0,
            EdgeBody::ZeroCopy(z) => z.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            EdgeBody::Empty => SizeHint::with_exact(0),
            EdgeBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            EdgeBody::Stored { len: Some(l), .. } => SizeHint::with_exact(*l),
            EdgeBody::Stored { len: None, .. } => SizeHint::default(),
            EdgeBody::Multipart { len, .. } => SizeHint::with_exact(*len),
            EdgeBody::Origin(inc) => inc.size_hint(),
            EdgeBody::Channel { len, .. } => SizeHint::with_exact(*len),
            EdgeBody::ZeroCopy(z) => z.size_hint(),
        }
    }
}

/// A request body sent to the origin.
#[derive(Debug)]
pub enum OriginBody {
    /// No body (cache fills, conditional requests).
    Empty,
    /// A body held in memory (a viewer body read whole): can be sent again on a retry or a
    /// failover.
    Full(Option<Bytes>),
    /// The viewer's body, streamed; `first` is a frame already read to validate it before
    /// contacting the origin.
    Viewer {
        /// The frame read ahead, if any.
        first: Option<Frame<Bytes>>,
        /// The rest.
        rest: Incoming,
    },
}

impl http_body::Body for OriginBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match &mut *self {
            OriginBody::Empty => Poll::Ready(None),
            OriginBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            OriginBody::Viewer { first, rest } => {
                if let Some(f) = first.take() {
                    return Poll::Ready(Some(Ok(f)));
                }
                Pin::new(rest).poll_frame(cx)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            OriginBody::Empty => true,
            OriginBody::Full(b) => b.is_none(),
            OriginBody::Viewer { first, rest } => first.is_none() && rest.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            OriginBody::Empty => SizeHint::with_exact(0),
            OriginBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            OriginBody::Viewer { first, rest } => {
                let extra = first
                    .as_ref()
                    .and_then(|f| f.data_ref())
                    .map_or(0, |d| d.len() as u64);
                let h = rest.size_hint();
                let mut out = SizeHint::new();
                out.set_lower(h.lower() + extra);
                if let Some(u) = h.upper() {
                    out.set_upper(u + extra);
                }
                out
            }
        }
    }
}

//! Sending cached bodies that live in files without copying them through the edge's memory
//! (`sendfile(2)`), on plain-text HTTP/1 connections.
//!
//! The memory tier keeps large bodies in in-memory files and the disk tier keeps every body in
//! one (`brink_cache::FileRegion`); served through hyper, each hit would be read into a buffer
//! and written to the socket, a copy per byte per hit. hyper owns the HTTP/1 framing and writes
//! bodies through its connection's IO, with no way to hand it a file. So the two meet through
//! that IO:
//!
//! - the response body ([`ZeroCopyBody`]) yields frames whose bytes are a window of a static
//!   placeholder buffer ([`MARK`]) and queues, in the connection's [`SendQueue`], the file
//!   region each frame stands for;
//! - the connection's stream ([`ZeroCopyStream`]) recognises those windows by their address
//!   when hyper writes them and sends the queued region with `sendfile` instead.
//!
//! hyper is told to queue body buffers and write them with `writev` (`http1().writev(true)`),
//! so it passes them through untouched, in order, advancing each by what was written. The
//! stream checks that every placeholder window it is given has a region of exactly its
//! length at the head of the queue and fails the connection otherwise: a mismatch can only
//! cut a response short, never send the placeholder's bytes as content. Tests compare every
//! byte of bodies served this way.
//!
//! A frame hyper has taken from a body is always written (or the connection dies with its
//! queue), so the queue and the placeholders hyper writes stay in step.
//!
//! Not used for TLS (the bytes must be encrypted in user space; kTLS would lift that), nor
//! for HTTP/2 (frames are written by the h2 codec), nor for bodies still being written.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use brink_cache::FileRegion;
use brink_telemetry::metrics::EdgeMetrics;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

use crate::body::BodyError;

/// Length of the placeholder buffer, and so the most one frame stands for. Never read or
/// written: a zeroed static costs address space, not memory.
const MARK_LEN: usize = 4 << 20;

/// The placeholder whose windows stand for queued file regions (its address is what
/// matters: a `static` has a unique one).
static MARK: [u8; MARK_LEN] = [0; MARK_LEN];

/// True when `buf` is a non-empty window of [`MARK`].
fn is_mark(buf: &[u8]) -> bool {
    let base = MARK.as_ptr() as usize;
    let at = buf.as_ptr() as usize;
    !buf.is_empty() && at >= base && at + buf.len() <= base + MARK_LEN
}

/// The regions of one connection's placeholder frames, in the order hyper will write them.
#[derive(Debug)]
pub(crate) struct SendQueue {
    /// Each frame's region, advanced as it is sent.
    pending: Mutex<VecDeque<FileRegion>>,
    metrics: Arc<EdgeMetrics>,
}

impl SendQueue {
    pub(crate) fn new(metrics: Arc<EdgeMetrics>) -> Arc<SendQueue> {
        Arc::new(SendQueue {
            pending: Mutex::new(VecDeque::new()),
            metrics,
        })
    }
}

/// A response body sent from a file region through the connection's [`SendQueue`].
#[derive(Debug)]
pub struct ZeroCopyBody {
    queue: Arc<SendQueue>,
    /// What is left to hand out as frames.
    rest: FileRegion,
}

impl ZeroCopyBody {
    pub(crate) fn new(queue: Arc<SendQueue>, region: FileRegion) -> ZeroCopyBody {
        ZeroCopyBody {
            queue,
            rest: region,
        }
    }

    pub(crate) fn poll_frame(&mut self) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        if self.rest.len == 0 {
            return Poll::Ready(None);
        }
        let n = usize::try_from(self.rest.len).map_or(MARK_LEN, |l| l.min(MARK_LEN));
        self.queue.pending.lock().push_back(FileRegion {
            file: self.rest.file.clone(),
            offset: self.rest.offset,
            len: n as u64,
        });
        self.rest.offset += n as u64;
        self.rest.len -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&MARK[..n])))))
    }

    pub(crate) fn is_end_stream(&self) -> bool {
        self.rest.len == 0
    }

    pub(crate) fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len)
    }
}

/// A plain-text viewer connection that sends placeholder windows from their files.
#[derive(Debug)]
pub(crate) struct ZeroCopyStream {
    stream: TcpStream,
    queue: Arc<SendQueue>,
}

impl ZeroCopyStream {
    pub(crate) fn new(stream: TcpStream, queue: Arc<SendQueue>) -> ZeroCopyStream {
        ZeroCopyStream { stream, queue }
    }

    /// Sends up to `want` bytes (the length of the placeholder window hyper is writing) of
    /// the region at the head of the queue.
    fn poll_send_file(&self, cx: &mut Context<'_>, want: usize) -> Poll<io::Result<usize>> {
        let mut pending = self.queue.pending.lock();
        let Some(head) = pending.front_mut() else {
            return Poll::Ready(Err(io::Error::other(
                "zero-copy: a placeholder was written with no file region queued",
            )));
        };
        if head.len != want as u64 {
            return Poll::Ready(Err(io::Error::other(
                "zero-copy: the placeholder does not match its file region",
            )));
        }
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            let mut offset = head.offset;
            let sent = self.stream.try_io(Interest::WRITABLE, || {
                rustix::fs::sendfile(&self.stream, &*head.file, Some(&mut offset), want)
                    .map_err(io::Error::from)
            });
            match sent {
                Ok(0) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zero-copy: the file is shorter than its region",
                    )))
                }
                Ok(n) => {
                    head.offset += n as u64;
                    head.len -= n as u64;
                    if head.len == 0 {
                        pending.pop_front();
                    }
                    self.queue.metrics.add_zero_copy_bytes(n as u64);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncRead for ZeroCopyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ZeroCopyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if is_mark(buf) {
            return self.poll_send_file(cx, buf.len());
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // Ordinary buffers up to the first placeholder go out with one `writev`; a
        // placeholder at the front goes out by itself from its file.
        match bufs.iter().position(|b| is_mark(b)) {
            Some(i) if bufs[..i].iter().all(|b| b.is_empty()) => {
                self.poll_send_file(cx, bufs[i].len())
            }
            Some(i) => Pin::new(&mut self.stream).poll_write_vectored(cx, &bufs[..i]),
            None => Pin::new(&mut self.stream).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A connected pair: the edge's side wrapped, the viewer's side plain.
    async fn pair() -> (ZeroCopyStream, TcpStream, Arc<SendQueue>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let viewer = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (edge, _) = listener.accept().await.unwrap();
        let queue = SendQueue::new(Arc::new(EdgeMetrics::new()));
        (ZeroCopyStream::new(edge, queue.clone()), viewer, queue)
    }

    fn temp_file(bytes: &[u8]) -> Arc<File> {
        let path = std::env::temp_dir().join(format!("brink-zc-{}", fastrand::u64(..)));
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        f.write_all(bytes).unwrap();
        std::fs::remove_file(&path).unwrap();
        Arc::new(f)
    }

    #[tokio::test]
    async fn placeholders_go_out_as_their_regions_between_ordinary_bytes() {
        let (mut edge, mut viewer, queue) = pair().await;
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let file = temp_file(&data);
        let mut body = ZeroCopyBody::new(
            queue.clone(),
            FileRegion {
                file,
                offset: 1000,
                len: 150_000,
            },
        );
        let Poll::Ready(Some(Ok(frame))) = body.poll_frame() else {
            panic!("a frame");
        };
        let mark = frame.into_data().unwrap();
        assert!(body.is_end_stream());
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            viewer.read_to_end(&mut got).await.unwrap();
            got
        });
        // As hyper writes: the head and the placeholder in one writev, the rest as it goes.
        let mut bufs = vec![
            Bytes::from_static(b"HEAD\r\n"),
            mark,
            Bytes::from_static(b"TAIL"),
        ];
        while !bufs.is_empty() {
            let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
            let mut n = edge.write_vectored(&slices).await.unwrap();
            assert!(n > 0);
            while n > 0 {
                let first = bufs[0].len().min(n);
                bytes::Buf::advance(&mut bufs[0], first);
                n -= first;
                if bufs[0].is_empty() {
                    bufs.remove(0);
                }
            }
        }
        edge.shutdown().await.unwrap();
        drop(edge);
        let got = reader.await.unwrap();
        let mut expected = b"HEAD\r\n".to_vec();
        expected.extend_from_slice(&data[1000..151_000]);
        expected.extend_from_slice(b"TAIL");
        assert!(got == expected, "got {} bytes", got.len());
        assert!(queue.pending.lock().is_empty());
        assert!(queue
            .metrics
            .encode()
            .contains("brink_zero_copy_bytes_total 150000\n"));
    }

    #[tokio::test]
    async fn a_placeholder_without_its_region_fails_the_connection() {
        let (mut edge, _viewer, queue) = pair().await;
        let err = edge.write(&MARK[..10]).await.unwrap_err();
        assert!(err.to_string().contains("no file region"), "{err}");
        // A region of another length: refused as well, nothing sent.
        queue.pending.lock().push_back(FileRegion {
            file: temp_file(b"0123456789"),
            offset: 0,
            len: 5,
        });
        let err = edge.write(&MARK[..10]).await.unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
    }

    #[test]
    fn only_windows_of_the_placeholder_are_marks() {
        assert!(is_mark(&MARK[..1]));
        assert!(is_mark(&MARK[100..MARK_LEN]));
        assert!(!is_mark(&MARK[..0]));
        let copy = vec![0u8; 16];
        assert!(!is_mark(&copy));
        let bytes = Bytes::from_static(&MARK[..10]);
        assert!(is_mark(&bytes.slice(3..)));
    }
}

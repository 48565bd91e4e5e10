//! A strict HTTP/1.1 framing guard in front of hyper.
//!
//! hyper's parser is lenient where a CDN must not be: it accepts `Content-Length` together
//! with `Transfer-Encoding` (dropping the length), bare LF line ends, and reports oversized
//! heads as 431. A cache that disagrees with its origin about where a request ends can be
//! smuggled a second request, so every HTTP/1 request head is checked here *before* hyper
//! sees it, and bodies are followed so the next head is found:
//!
//! * request line + headers over [`MAX_HEAD`] bytes → 413 (cloudfront.md §1.1);
//! * a request target over [`MAX_TARGET`] bytes → 414;
//! * `Content-Length` with `Transfer-Encoding`, differing or invalid `Content-Length`,
//!   a `Transfer-Encoding` not ending in `chunked`, obs-fold, bare CR or LF → 400;
//! * invalid chunked framing in a body → 400.
//!
//! A rejected head never reaches hyper: the guard hands hyper a synthetic request carrying a
//! per-connection secret token instead, the edge answers it with the error page and
//! `Connection: close`, and the guard ends the stream. Connections that open with the HTTP/2
//! preface, and connections after an `Upgrade` request, pass through untouched.
//!
//! The parsing core ([`inspect_head`], [`ChunkedSkipper`]) is pure and has a fuzz target.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// CloudFront's limit on request line + headers, cookies included.
pub const MAX_HEAD: usize = 20_480;
/// CloudFront's limit on the URL.
pub const MAX_TARGET: usize = 8_192;
/// Most header lines accepted in one request.
pub const MAX_HEADERS: usize = 200;
/// Longest chunk-size line or trailer line accepted.
const MAX_CHUNK_LINE: usize = 4_096;
/// Most trailer bytes accepted after the last chunk.
const MAX_TRAILERS: usize = MAX_HEAD;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Why a request was refused before reaching the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// Request line + headers too large: 413.
    HeadTooLarge,
    /// Request target too long: 414.
    TargetTooLong,
    /// Malformed or ambiguous framing: 400. The string says which rule.
    BadRequest(&'static str),
}

impl Reject {
    /// The status code the viewer gets.
    pub fn status(&self) -> u16 {
        match self {
            Reject::HeadTooLarge => 413,
            Reject::TargetTooLong => 414,
            Reject::BadRequest(_) => 400,
        }
    }
}

/// How the body after a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// The result of [`inspect_head`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadVerdict {
    /// More bytes are needed.
    Incomplete,
    /// A valid head of `len` bytes.
    Head {
        /// Length of the head including the empty line.
        len: usize,
        /// How its body is delimited.
        framing: Framing,
        /// The request asks to switch protocols (`Upgrade`) or is `CONNECT`: the bytes after
        /// it are not HTTP/1 and are passed through unchecked.
        opaque_after: bool,
    },
    /// Refused.
    Reject(Reject),
}

/// Checks the request head at the start of `buf`.
pub fn inspect_head(buf: &[u8]) -> HeadVerdict {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            if buf.len() > MAX_HEAD {
                return HeadVerdict::Reject(Reject::HeadTooLarge);
            }
            if req.path.is_some_and(|p| p.len() > MAX_TARGET) || partial_target_too_long(buf) {
                return HeadVerdict::Reject(Reject::TargetTooLong);
            }
            return HeadVerdict::Incomplete;
        }
        Err(httparse::Error::TooManyHeaders) => return HeadVerdict::Reject(Reject::HeadTooLarge),
        Err(_) => {
            // A target too long for hyper's own parser is still a 414, whatever follows.
            if buf.len() > MAX_HEAD {
                return HeadVerdict::Reject(Reject::HeadTooLarge);
            }
            return HeadVerdict::Reject(Reject::BadRequest("malformed request head"));
        }
    };
    if len > MAX_HEAD {
        return HeadVerdict::Reject(Reject::HeadTooLarge);
    }
    if req.path.is_some_and(|p| p.len() > MAX_TARGET) {
        return HeadVerdict::Reject(Reject::TargetTooLong);
    }
    if let Some(why) = bare_cr_or_lf(&buf[..len]) {
        return HeadVerdict::Reject(Reject::BadRequest(why));
    }
    let http10 = req.version == Some(0);
    let mut content_length: Option<u64> = None;
    let mut te: Option<&[u8]> = None;
    let mut upgrade = false;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let Some(n) = parse_content_length(h.value) else {
                return HeadVerdict::Reject(Reject::BadRequest("invalid Content-Length"));
            };
            if content_length.is_some_and(|prev| prev != n) {
                return HeadVerdict::Reject(Reject::BadRequest(
                    "conflicting Content-Length values",
                ));
            }
            content_length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // Several lines form one list; only the last coding matters for framing.
            te = Some(h.value);
        } else if h.name.eq_ignore_ascii_case("upgrade") {
            upgrade = true;
        }
    }
    let connect = req.method == Some("CONNECT");
    let framing = match (te, content_length) {
        (Some(_), Some(_)) => {
            return HeadVerdict::Reject(Reject::BadRequest("Content-Length with Transfer-Encoding"))
        }
        (Some(_), None) if http10 => {
            return HeadVerdict::Reject(Reject::BadRequest("Transfer-Encoding in HTTP/1.0"))
        }
        (Some(v), None) => {
            let last = v
                .rsplit(|b| *b == b',')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if !last.eq_ignore_ascii_case(b"chunked") {
                return HeadVerdict::Reject(Reject::BadRequest(
                    "Transfer-Encoding must end in chunked",
                ));
            }
            Framing::Chunked
        }
        (None, Some(0)) | (None, None) => Framing::None,
        (None, Some(n)) => Framing::Length(n),
    };
    HeadVerdict::Head {
        len,
        framing,
        opaque_after: upgrade || connect,
    }
}

/// True when the request target still being received is already over [`MAX_TARGET`].
fn partial_target_too_long(buf: &[u8]) -> bool {
    let Some(sp) = buf.iter().position(|b| *b == b' ') else {
        return false;
    };
    let target = &buf[sp + 1..];
    let end = target
        .iter()
        .position(|b| matches!(b, b' ' | b'\r' | b'\n'))
        .unwrap_or(target.len());
    end > MAX_TARGET
}

/// RFC 9112 §6.3: digits only, no sign, no list (identical repeats are handled by the caller).
fn parse_content_length(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Finds a CR not followed by LF or an LF not preceded by CR (RFC 9112 §2.2), or a line that
/// starts with whitespace (obs-fold, RFC 9112 §5.2).
fn bare_cr_or_lf(head: &[u8]) -> Option<&'static str> {
    // Only CR and LF bytes need a look (memchr finds them a vector at a time: a signed
    // URL's 400-byte target is otherwise walked byte by byte on every request).
    for i in memchr::memchr2_iter(b'\r', b'\n', head) {
        if head[i] == b'\r' {
            if head.get(i + 1) != Some(&b'\n') {
                return Some("bare CR");
            }
        } else if i == 0 || head[i - 1] != b'\r' {
            return Some("bare LF");
        } else if matches!(head.get(i + 1), Some(b' ' | b'\t')) {
            return Some("obsolete line folding");
        }
    }
    None
}

/// Follows a chunked body (RFC 9112 §7.1) strictly, to find where it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedSkipper {
    state: ChunkState,
    line: usize,
    trailers: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading hex digits of a chunk size (`digits` so far, `size` value).
    Size {
        digits: u8,
        size: u64,
    },
    /// In a chunk extension, up to CR.
    Ext {
        size: u64,
    },
    /// Saw CR after a size line; LF must follow.
    SizeLf {
        size: u64,
    },
    /// Inside chunk data.
    Data(u64),
    /// After data: CR then LF.
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    /// Inside a trailer line.
    Trailer,
    /// Saw CR; LF must follow (`last`: the line was empty, so this ends the body).
    TrailerLf {
        last: bool,
    },
    /// The body is complete.
    Done,
}

/// Invalid chunked framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkError(pub &'static str);

impl Default for ChunkedSkipper {
    fn default() -> Self {
        ChunkedSkipper {
            state: ChunkState::Size { digits: 0, size: 0 },
            line: 0,
            trailers: 0,
        }
    }
}

impl ChunkedSkipper {
    /// True once the terminating empty line has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Consumes bytes of the body from `input`; returns how many belonged to it (fewer than
    /// `input.len()` only when the body ended).
    ///
    /// # Errors
    /// [`ChunkError`] on any framing violation.
    pub fn advance(&mut self, input: &[u8]) -> Result<usize, ChunkError> {
        use ChunkState as S;
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.state {
                S::Done => return Ok(i),
                S::Data(n) => {
                    let take = (input.len() - i).min(usize::try_from(n).unwrap_or(usize::MAX));
                    i += take;
                    let left = n - take as u64;
                    self.state = if left == 0 { S::DataCr } else { S::Data(left) };
                    continue;
                }
                S::Size { digits, size } => match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        if digits >= 16 {
                            return Err(ChunkError("chunk size too large"));
                        }
                        let d = u64::from(hex_value(b));
                        self.state = S::Size {
                            digits: digits + 1,
                            size: (size << 4) | d,
                        };
                    }
                    b';' | b' ' | b'\t' if digits > 0 => self.state = S::Ext { size },
                    b'\r' if digits > 0 => self.state = S::SizeLf { size },
                    _ => return Err(ChunkError("invalid chunk size")),
                },
                S::Ext { size } => match b {
                    b'\r' => self.state = S::SizeLf { size },
                    b'\n' => return Err(ChunkError("bare LF in chunk extension")),
                    _ => {}
                },
                S::SizeLf { size } => {
                    if b != b'\n' {
                        return Err(ChunkError("chunk size line not ended by CRLF"));
                    }
                    self.line = 0;
                    self.state = if size == 0 {
                        S::TrailerStart
                    } else {
                        S::Data(size)
                    };
                    i += 1;
                    continue;
                }
                S::DataCr => {
                    if b != b'\r' {
                        return Err(ChunkError("chunk data not followed by CRLF"));
                    }
                    self.state = S::DataLf;
                }
                S::DataLf => {
                    if b != b'\n' {
                        return Err(ChunkError("chunk data not followed by CRLF"));
                    }
                    self.line = 0;
                    self.state = S::Size { digits: 0, size: 0 };
                    i += 1;
                    continue;
                }
                S::TrailerStart => match b {
                    b'\r' => self.state = S::TrailerLf { last: true },
                    b'\n' => return Err(ChunkError("bare LF in trailers")),
                    _ => self.state = S::Trailer,
                },
                S::Trailer => match b {
                    b'\r' => self.state = S::TrailerLf { last: false },
                    b'\n' => return Err(ChunkError("bare LF in trailers")),
                    _ => {}
                },
                S::TrailerLf { last } => {
                    if b != b'\n' {
                        return Err(ChunkError("bare CR in trailers"));
                    }
                    self.line = 0;
                    self.state = if last { S::Done } else { S::TrailerStart };
                    i += 1;
                    if last {
                        return Ok(i);
                    }
                    continue;
                }
            }
            i += 1;
            self.line += 1;
            if matches!(self.state, S::Trailer | S::TrailerLf { .. }) {
                self.trailers += 1;
                if self.trailers > MAX_TRAILERS {
                    return Err(ChunkError("trailers too large"));
                }
            }
            if self.line > MAX_CHUNK_LINE {
                return Err(ChunkError("chunk line too long"));
            }
        }
        Ok(i)
    }
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// Per-connection state shared between the guard and the edge's request handler.
#[derive(Debug)]
pub struct GuardShared {
    token: String,
    rejected: Mutex<Option<Reject>>,
}

impl GuardShared {
    /// The reject behind a request, if the request is the guard's synthetic one.
    pub fn reject_for(&self, target: &str) -> Option<Reject> {
        if target.len() == self.token.len() + 1 && target.ends_with(self.token.as_str()) {
            return *self.rejected.lock();
        }
        None
    }
}

/// Timeouts the guard enforces on HTTP/1 connections.
#[derive(Debug, Clone, Copy)]
pub struct GuardTimeouts {
    /// From the first byte of a request head to its end (slowloris bound).
    pub header_read: Duration,
    /// No byte in either direction between requests for this long closes the connection.
    pub idle: Duration,
}

#[derive(Debug)]
enum Mode {
    /// Waiting to see whether the client speaks the HTTP/2 preface.
    Detect,
    Head,
    Length(u64),
    Chunked(ChunkedSkipper),
    Passthrough,
    /// A reject was handed to hyper: the stream ends.
    Closed,
}

/// The guarded stream: implements tokio's `AsyncRead`/`AsyncWrite` over the socket.
#[derive(Debug)]
pub struct GuardedIo<T> {
    io: T,
    shared: Arc<GuardShared>,
    mode: Mode,
    /// Bytes read from the socket and not yet inspected.
    inbuf: BytesMut,
    /// Bytes inspected and ready for hyper.
    out: BytesMut,
    timeouts: GuardTimeouts,
    timer: Pin<Box<Sleep>>,
    /// Whether `timer` measures a head being read (true) or idleness (false).
    timing_head: bool,
    eof: bool,
}

impl<T> GuardedIo<T> {
    /// Guards `io`.
    pub fn new(io: T, timeouts: GuardTimeouts) -> (GuardedIo<T>, Arc<GuardShared>) {
        let token = format!(
            "__brink_reject_{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        );
        let shared = Arc::new(GuardShared {
            token,
            rejected: Mutex::new(None),
        });
        let io = GuardedIo {
            io,
            shared: shared.clone(),
            mode: Mode::Detect,
            inbuf: BytesMut::with_capacity(4096),
            out: BytesMut::new(),
            timeouts,
            timer: Box::pin(tokio::time::sleep(timeouts.idle)),
            timing_head: false,
            eof: false,
        };
        (io, shared)
    }

    fn reject(&mut self, why: Reject) {
        *self.shared.rejected.lock() = Some(why);
        self.inbuf.clear();
        let synthetic = format!(
            "GET /{} HTTP/1.1\r\nhost: brink.invalid\r\nconnection: close\r\n\r\n",
            self.shared.token
        );
        self.out.extend_from_slice(synthetic.as_bytes());
        self.mode = Mode::Closed;
    }

    /// Moves inspected bytes from `inbuf` to `out` according to the mode. Returns false when
    /// more input is needed.
    fn step(&mut self) -> bool {
        match &mut self.mode {
            Mode::Closed => false,
            Mode::Passthrough => {
                if self.inbuf.is_empty() {
                    return false;
                }
                let all = self.inbuf.split();
                self.out.unsplit(all);
                true
            }
            Mode::Detect => {
                let n = self.inbuf.len().min(H2_PREFACE.len());
                if self.inbuf[..n] != H2_PREFACE[..n] {
                    self.mode = Mode::Head;
                    true
                } else if n == H2_PREFACE.len() {
                    self.mode = Mode::Passthrough;
                    true
                } else {
                    false
                }
            }
            Mode::Head => {
                if self.inbuf.is_empty() {
                    return false;
                }
                match inspect_head(&self.inbuf) {
                    HeadVerdict::Incomplete => false,
                    HeadVerdict::Reject(why) => {
                        self.reject(why);
                        true
                    }
                    HeadVerdict::Head {
                        len,
                        framing,
                        opaque_after,
                    } => {
                        let head = self.inbuf.split_to(len);
                        self.out.unsplit(head);
                        self.mode = if opaque_after {
                            Mode::Passthrough
                        } else {
                            match framing {
                                Framing::None => Mode::Head,
                                Framing::Length(n) => Mode::Length(n),
                                Framing::Chunked => Mode::Chunked(ChunkedSkipper::default()),
                            }
                        };
                        true
                    }
                }
            }
            Mode::Length(left) => {
                if self.inbuf.is_empty() {
                    return false;
                }
                let take = self
                    .inbuf
                    .len()
                    .min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= take as u64;
                if *left == 0 {
                    self.mode = Mode::Head;
                }
                let body = self.inbuf.split_to(take);
                self.out.unsplit(body);
                true
            }
            Mode::Chunked(skipper) => {
                if self.inbuf.is_empty() {
                    return false;
                }
                match skipper.advance(&self.inbuf) {
                    Ok(n) => {
                        if skipper.is_done() {
                            self.mode = Mode::Head;
                        }
                        let body = self.inbuf.split_to(n);
                        self.out.unsplit(body);
                        true
                    }
                    Err(ChunkError(why)) => {
                        // hyper is inside this body: hand it the bytes up to the error so its
                        // own decoder fails the body, then end the stream.
                        tracing::debug!(why, "invalid chunked framing");
                        *self.shared.rejected.lock() = Some(Reject::BadRequest(why));
                        let rest = self.inbuf.split();
                        self.out.unsplit(rest);
                        self.mode = Mode::Closed;
                        true
                    }
                }
            }
        }
    }

    fn between_requests(&self) -> bool {
        matches!(self.mode, Mode::Head | Mode::Detect) && self.inbuf.is_empty()
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.out.is_empty() {
                let n = this.out.len().min(buf.remaining());
                buf.put_slice(&this.out[..n]);
                this.out.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.step() {
                continue;
            }
            if this.eof || matches!(this.mode, Mode::Closed) {
                // Whatever is left of an incomplete head goes to hyper, which reports it.
                if !this.inbuf.is_empty() {
                    let rest = this.inbuf.split();
                    this.out.unsplit(rest);
                    continue;
                }
                return Poll::Ready(Ok(()));
            }
            // Timers only bound HTTP/1 heads and idle gaps, never bodies or h2.
            if matches!(this.mode, Mode::Head | Mode::Detect) {
                let reading_head = !this.inbuf.is_empty();
                if reading_head != this.timing_head {
                    this.timing_head = reading_head;
                    let d = if reading_head {
                        this.timeouts.header_read
                    } else {
                        this.timeouts.idle
                    };
                    this.timer.as_mut().reset(Instant::now() + d);
                }
                if this.timer.as_mut().poll(cx).is_ready() {
                    tracing::debug!(head = this.timing_head, "closing connection: timeout");
                    this.inbuf.clear();
                    this.mode = Mode::Closed;
                    return Poll::Ready(Ok(()));
                }
            }
            if this.inbuf.capacity() - this.inbuf.len() < 1024 {
                this.inbuf.reserve(8192);
            }
            let n = ready!(tokio_util::io::poll_read_buf(
                Pin::new(&mut this.io),
                cx,
                &mut this.inbuf
            ))?;
            if n == 0 {
                this.eof = true;
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        if this.between_requests() && matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            // Writing a response is activity: restart the idle clock.
            this.timing_head = true; // forces a reset on the next read poll
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if this.between_requests() && matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.timing_head = true;
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;

//! One RTMP connection: the handshake, then `rml_rtmp`'s server session for `connect`,
//! `createStream` and `play`, and the FLV file streamed tag by tag as audio, video and
//! metadata messages. Which distribution and file a `play` names, and whether it may be
//! played, is the [`Source`]'s answer; bytes come from its [`RangeRead`].
//!
//! Limits, so that a hostile client costs little: 10 s for the handshake and each `connect` /
//! `play` exchange before playback, 64 KiB received before the first `play` and no message
//! over 64 KiB (a player sends a few small commands and acknowledgements), 16 MiB received in
//! all; any protocol error closes the connection (other viewers are untouched: each
//! connection is its own task).
//!
//! The distribution is chosen by the host of `connect`'s `tcUrl` (CloudFront's RTMP
//! distributions were addressed as `rtmp://s….cloudfront.net/cfx/st`). `rml_rtmp` does not
//! hand `tcUrl` out, so the inbound bytes are also read by a second chunk deserializer that
//! looks only at commands and chunk-size changes.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rml_rtmp::chunk_io::ChunkDeserializer;
use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::messages::RtmpMessage;
use rml_rtmp::rml_amf0::Amf0Value;
use rml_rtmp::sessions::{
    ServerSession, ServerSessionConfig, ServerSessionEvent, ServerSessionResult, StreamMetadata,
};
use rml_rtmp::time::RtmpTimestamp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::flv::{self, TagKind};
use crate::mp4::{Mp4Tags, Next};
use crate::name::{self, Format, StreamName};

/// A boxed future (the traits below are used as objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a `play` asks for.
#[derive(Debug, Clone)]
pub struct PlayRequest {
    /// The host of `connect`'s `tcUrl` (port removed, lower case), or the address the client
    /// connected to when it sent none.
    pub host: String,
    /// The application (`cfx/st`).
    pub app: String,
    /// The stream name.
    pub stream: StreamName,
    /// The client.
    pub peer: IpAddr,
}

/// Why a `play` is refused: sent to the player as an `onStatus` error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `NetStream.Play.StreamNotFound`, `NetStream.Play.Failed`, …
    pub code: &'static str,
    /// Human-readable detail.
    pub description: String,
}

/// Reads a media object by byte ranges.
pub trait RangeRead: Send {
    /// `len` bytes from `offset`: fewer at the end of the object, none past it.
    fn read(&mut self, offset: u64, len: u64) -> BoxFuture<'_, Result<Bytes, ReadError>>;
}

/// A range that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("media read failed: {0}")]
pub struct ReadError(pub String);

/// What happened on a connection, for the streaming access log (CloudFront's streaming log
/// has one line per `connect`, `play`, `stop` and `disconnect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `connect` accepted.
    Connect,
    /// Playback started.
    Play,
    /// Playback ended (end of file, or the client stopped).
    Stop,
    /// The connection closed.
    Disconnect,
}

/// Facts of a log line.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// What happened.
    pub event: Event,
    /// The client.
    pub peer: SocketAddr,
    /// `tcUrl` as sent.
    pub tc_url: Option<String>,
    /// The stream, once `play` named one.
    pub stream: Option<StreamName>,
    /// Bytes sent to the client so far.
    pub bytes_sent: u64,
    /// Bytes received so far.
    pub bytes_received: u64,
    /// The stream id of `play` (the log's `x-sid`).
    pub stream_id: Option<u32>,
    /// A refusal's code, when `play` was refused.
    pub refused: Option<&'static str>,
    /// `connect`'s `flashVer` (the player; the log's `c-user-agent`).
    pub flash_ver: Option<String>,
    /// `connect`'s `pageUrl` (`x-page-url`).
    pub page_url: Option<String>,
    /// `connect`'s `swfUrl` (`c-referrer`).
    pub swf_url: Option<String>,
    /// This connection's id (`x-cf-client-id`).
    pub client_id: u64,
}

/// The edge's side: chooses and authorises, and supplies the bytes.
pub trait Source: Send + Sync + 'static {
    /// Opens the file `req` names, or refuses it.
    fn open(&self, req: PlayRequest) -> BoxFuture<'_, Result<Box<dyn RangeRead>, Refusal>>;

    /// One streaming log line.
    fn log(&self, line: LogLine);
}

/// Why a connection ended early.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The client broke the protocol.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The client took too long.
    #[error("timed out")]
    Timeout,
    /// The client sent more than a player ever does.
    #[error("too much inbound data")]
    TooMuch,
}

const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_MESSAGE: usize = 64 * 1024;
const MAX_INBOUND: u64 = 16 * 1024 * 1024;
/// What a client may send before its first `play` (handshake 3 KiB, commands well under 1).
const MAX_BEFORE_PLAY: u64 = 64 * 1024;
/// How much of the file one read asks for (several tags at a time).
const READ_AHEAD: u64 = 256 * 1024;

/// The largest data an FLV tag carries (a 24-bit size), less the 5 bytes of the AVC packet
/// header that the sample gets.
const MAX_TAG_DATA: u32 = 0xFF_FFFF - 5;

/// Serves one RTMP connection until the client leaves or breaks the protocol.
///
/// # Errors
/// [`SessionError`] when it ended for a reason other than the client closing.
pub async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    source: Arc<dyn Source>,
) -> Result<(), SessionError> {
    let local = stream.local_addr().ok();
    let mut conn = Conn {
        peer,
        source: source.clone(),
        tc_url: None,
        app: String::new(),
        stream: None,
        stream_id: None,
        sent: 0,
        received: 0,
        sniffer: ChunkDeserializer::new(),
        playing: None,
        connected: false,
        played: false,
        flash_ver: None,
        page_url: None,
        swf_url: None,
        client_id: next_client_id(),
    };
    let result = conn.run(&mut stream, local).await;
    conn.log(Event::Disconnect, None);
    let _ = stream.shutdown().await;
    result
}

struct Conn {
    peer: SocketAddr,
    source: Arc<dyn Source>,
    tc_url: Option<String>,
    app: String,
    stream: Option<StreamName>,
    stream_id: Option<u32>,
    sent: u64,
    received: u64,
    sniffer: ChunkDeserializer,
    playing: Option<(u32, FlvPlayer)>,
    connected: bool,
    /// A `play` was accepted on this connection.
    played: bool,
    flash_ver: Option<String>,
    page_url: Option<String>,
    swf_url: Option<String>,
    client_id: u64,
}

/// A process-unique connection id.
fn next_client_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Conn {
    fn log(&self, event: Event, refused: Option<&'static str>) {
        self.source.log(LogLine {
            event,
            peer: self.peer,
            tc_url: self.tc_url.clone(),
            stream: self.stream.clone(),
            bytes_sent: self.sent,
            bytes_received: self.received,
            stream_id: self.stream_id,
            refused,
            flash_ver: self.flash_ver.clone(),
            page_url: self.page_url.clone(),
            swf_url: self.swf_url.clone(),
            client_id: self.client_id,
        });
    }

    async fn write(&mut self, stream: &mut TcpStream, bytes: &[u8]) -> Result<(), SessionError> {
        stream.write_all(bytes).await?;
        self.sent += bytes.len() as u64;
        Ok(())
    }

    async fn run(
        &mut self,
        stream: &mut TcpStream,
        local: Option<SocketAddr>,
    ) -> Result<(), SessionError> {
        let mut buf = vec![0u8; 16 * 1024];
        // Handshake.
        let mut hs = Handshake::new(PeerType::Server);
        let remaining = loop {
            let n = tokio::time::timeout(EXCHANGE_TIMEOUT, stream.read(&mut buf))
                .await
                .map_err(|_| SessionError::Timeout)??;
            if n == 0 {
                return Ok(());
            }
            self.received += n as u64;
            match hs
                .process_bytes(&buf[..n])
                .map_err(|e| SessionError::Protocol(format!("handshake: {e:?}")))?
            {
                HandshakeProcessResult::InProgress { response_bytes } => {
                    self.write(stream, &response_bytes).await?;
                }
                HandshakeProcessResult::Completed {
                    response_bytes,
                    remaining_bytes,
                } => {
                    self.write(stream, &response_bytes).await?;
                    break remaining_bytes;
                }
            }
        };
        let (mut session, initial) = ServerSession::new(ServerSessionConfig::new())
            .map_err(|e| SessionError::Protocol(format!("session: {e:?}")))?;
        self.apply(stream, &mut session, initial, local).await?;
        if !remaining.is_empty() {
            self.input(stream, &mut session, &remaining, local).await?;
        }
        loop {
            let idle = if self.playing.is_some() {
                // A player may stay quiet for as long as it watches.
                Duration::from_secs(3600)
            } else {
                EXCHANGE_TIMEOUT * 6
            };
            tokio::select! {
                read = tokio::time::timeout(idle, stream.read(&mut buf)) => {
                    let n = read.map_err(|_| SessionError::Timeout)??;
                    if n == 0 {
                        return Ok(());
                    }
                    self.received += n as u64;
                    // Before playback a player has sent a handshake and a few commands; an
                    // unfinished message is buffered by the deserializers, so the bound is
                    // on what arrived.
                    let limit = if self.played { MAX_INBOUND } else { MAX_BEFORE_PLAY };
                    if self.received > limit {
                        return Err(SessionError::TooMuch);
                    }
                    self.input(stream, &mut session, &buf[..n], local).await?;
                }
                tag = next_tag(&mut self.playing) => {
                    self.send_batch(stream, &mut session, tag).await?;
                }
            }
        }
    }

    /// Inbound bytes: the sniffer first (tcUrl, limits), then the session.
    async fn input(
        &mut self,
        stream: &mut TcpStream,
        session: &mut ServerSession,
        bytes: &[u8],
        local: Option<SocketAddr>,
    ) -> Result<(), SessionError> {
        self.sniff(bytes)?;
        let results = session
            .handle_input(bytes)
            .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
        self.apply(stream, session, results, local).await
    }

    fn sniff(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        let mut next = self
            .sniffer
            .get_next_message(bytes)
            .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
        while let Some(payload) = next {
            if payload.data.len() > MAX_MESSAGE {
                return Err(SessionError::TooMuch);
            }
            match payload.to_rtmp_message() {
                Ok(RtmpMessage::SetChunkSize { size }) => {
                    self.sniffer
                        .set_max_chunk_size(size as usize)
                        .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
                }
                Ok(RtmpMessage::Amf0Command {
                    command_name,
                    command_object: Amf0Value::Object(props),
                    ..
                }) if command_name == "connect" => {
                    let text = |k: &str| match props.get(k) {
                        Some(Amf0Value::Utf8String(v)) => Some(v.clone()),
                        _ => None,
                    };
                    self.tc_url = text("tcUrl");
                    self.flash_ver = text("flashVer");
                    self.page_url = text("pageUrl");
                    self.swf_url = text("swfUrl");
                }
                _ => {}
            }
            next = self
                .sniffer
                .get_next_message(&[])
                .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
        }
        Ok(())
    }

    /// Sends the session's packets and acts on its events.
    async fn apply(
        &mut self,
        stream: &mut TcpStream,
        session: &mut ServerSession,
        results: Vec<ServerSessionResult>,
        local: Option<SocketAddr>,
    ) -> Result<(), SessionError> {
        let mut queue: std::collections::VecDeque<ServerSessionResult> = results.into();
        while let Some(r) = queue.pop_front() {
            match r {
                ServerSessionResult::OutboundResponse(p) => self.write(stream, &p.bytes).await?,
                ServerSessionResult::RaisedEvent(ServerSessionEvent::ConnectionRequested {
                    request_id,
                    app_name,
                }) => {
                    self.app = app_name;
                    let more = session
                        .accept_request(request_id)
                        .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
                    queue.extend(more);
                    self.connected = true;
                    self.log(Event::Connect, None);
                }
                ServerSessionResult::RaisedEvent(ServerSessionEvent::PlayStreamRequested {
                    request_id,
                    stream_key,
                    stream_id,
                    ..
                }) => {
                    self.stream_id = Some(stream_id);
                    let opened = self.open(&stream_key, local).await;
                    match opened {
                        Ok(player) => {
                            let more = session
                                .accept_request(request_id)
                                .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
                            queue.extend(more);
                            self.playing = Some((stream_id, player));
                            self.played = true;
                            self.log(Event::Play, None);
                        }
                        Err(refusal) => {
                            let more = session
                                .reject_request(request_id, refusal.code, &refusal.description)
                                .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
                            for p in more {
                                if let ServerSessionResult::OutboundResponse(p) = p {
                                    self.write(stream, &p.bytes).await?;
                                }
                            }
                            self.log(Event::Stop, Some(refusal.code));
                            return Err(SessionError::Protocol(format!(
                                "play refused: {} ({})",
                                refusal.code, refusal.description
                            )));
                        }
                    }
                }
                ServerSessionResult::RaisedEvent(ServerSessionEvent::PlayStreamFinished {
                    ..
                }) => {
                    if self.playing.take().is_some() {
                        self.log(Event::Stop, None);
                    }
                }
                // Publishing is not offered; acknowledgements and the like need nothing.
                ServerSessionResult::RaisedEvent(ServerSessionEvent::PublishStreamRequested {
                    request_id,
                    ..
                }) => {
                    let more = session
                        .reject_request(
                            request_id,
                            "NetStream.Publish.Denied",
                            "publishing is not supported",
                        )
                        .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
                    queue.extend(more);
                }
                // NetStream.seek(ms) and pause(flag, ms): rml_rtmp leaves them to us.
                ServerSessionResult::RaisedEvent(ServerSessionEvent::UnhandleableAmf0Command {
                    command_name,
                    additional_values,
                    ..
                }) => {
                    let number = |v: Option<&Amf0Value>| match v {
                        Some(Amf0Value::Number(n)) if n.is_finite() && *n >= 0.0 => Some(*n as u32),
                        _ => None,
                    };
                    match command_name.as_str() {
                        "seek" => {
                            if let (Some((sid, p)), Some(ms)) =
                                (self.playing.as_mut(), number(additional_values.first()))
                            {
                                let sid = *sid;
                                p.seek(ms).await.map_err(SessionError::Protocol)?;
                                // Players wait for these before taking media again.
                                for (code, what) in [
                                    ("NetStream.Seek.Notify", "Seeking."),
                                    ("NetStream.Play.Start", "Playing."),
                                ] {
                                    if let Some(bytes) = status_packet(sid, code, what) {
                                        self.write(stream, &bytes).await?;
                                    }
                                }
                            }
                        }
                        "pause" => {
                            let pause =
                                matches!(additional_values.first(), Some(Amf0Value::Boolean(true)));
                            if let Some((_, p)) = self.playing.as_mut() {
                                p.paused = pause;
                                // Real time restarts where the stream resumes.
                                p.clock = None;
                                if !pause {
                                    if let Some(ms) = number(additional_values.get(1)) {
                                        p.seek(ms).await.map_err(SessionError::Protocol)?;
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                ServerSessionResult::RaisedEvent(_)
                | ServerSessionResult::UnhandleableMessageReceived(_) => {}
            }
        }
        Ok(())
    }

    async fn open(
        &mut self,
        stream_key: &str,
        local: Option<SocketAddr>,
    ) -> Result<FlvPlayer, Refusal> {
        let name = name::parse(stream_key).map_err(|e| Refusal {
            code: "NetStream.Play.StreamNotFound",
            description: e.to_string(),
        })?;
        self.stream = Some(name.clone());
        let format = name.format;
        let host = self
            .tc_url
            .as_deref()
            .and_then(tc_url_host)
            .or_else(|| local.map(|l| l.ip().to_string()))
            .unwrap_or_default();
        let req = PlayRequest {
            host,
            app: self.app.clone(),
            stream: name,
            peer: self.peer.ip(),
        };
        let reader = tokio::time::timeout(EXCHANGE_TIMEOUT, self.source.open(req))
            .await
            .map_err(|_| Refusal {
                code: "NetStream.Play.Failed",
                description: "timed out opening the stream".into(),
            })??;
        let started = match format {
            Format::Flv => FlvPlayer::start(reader).await,
            Format::Mp4 => FlvPlayer::start_mp4(reader).await,
        };
        started.map_err(|e| Refusal {
            code: "NetStream.Play.Failed",
            description: e,
        })
    }

    /// The tag that came due, with every following tag due within [`BATCH`] (up to
    /// [`MAX_BATCH`] bytes), serialized into one buffer and written with one call: a viewer
    /// costs a few wake-ups and writes per second instead of one per audio or video message.
    async fn send_batch(
        &mut self,
        stream: &mut TcpStream,
        session: &mut ServerSession,
        tag: Result<Option<(flv::TagHeader, Bytes)>, String>,
    ) -> Result<(), SessionError> {
        let mut out = Vec::new();
        let mut more = self.queue_tag(session, tag, &mut out)?;
        let by = tokio::time::Instant::now() + BATCH;
        while more && out.len() < MAX_BATCH {
            let next = match &mut self.playing {
                Some((_, p)) if !p.paused => p.next_due_by(by).await,
                _ => break,
            };
            match next {
                Ok(None) => break,
                tag => more = self.queue_tag(session, tag, &mut out)?,
            }
        }
        self.write(stream, &out).await
    }

    /// Serializes one tag (or the end of the stream) onto `out`; `false` once playback ended.
    fn queue_tag(
        &mut self,
        session: &mut ServerSession,
        tag: Result<Option<(flv::TagHeader, Bytes)>, String>,
        out: &mut Vec<u8>,
    ) -> Result<bool, SessionError> {
        let Some((stream_id, _)) = &self.playing else {
            return Ok(false);
        };
        let stream_id = *stream_id;
        match tag {
            Ok(Some((h, data))) => {
                let ts = RtmpTimestamp::new(h.timestamp);
                let p = match h.kind {
                    TagKind::Video => session.send_video_data(stream_id, data, ts, false),
                    TagKind::Audio => session.send_audio_data(stream_id, data, ts, false),
                    TagKind::Script => match metadata(&data) {
                        Some(m) => session.send_metadata(stream_id, &m),
                        None => return Ok(true),
                    },
                };
                let packet = p.map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
                out.extend_from_slice(&packet.bytes);
                Ok(true)
            }
            Ok(None) => {
                self.playing = None;
                self.log(Event::Stop, None);
                let complete = session
                    .finish_playing(stream_id)
                    .map_err(|e| SessionError::Protocol(format!("{e:?}")))?;
                out.extend_from_slice(&complete.bytes);
                // Players end on `NetStream.Play.Stop` (ffmpeg, Flash's NetStream), which
                // rml_rtmp does not send: written with a full chunk header, nothing follows it
                // on the command chunk stream (the player leaves).
                if let Some(bytes) = stop_status(stream_id) {
                    out.extend_from_slice(&bytes);
                }
                Ok(false)
            }
            Err(e) => {
                self.playing = None;
                self.log(Event::Stop, Some("NetStream.Play.Failed"));
                Err(SessionError::Protocol(format!("media: {e}")))
            }
        }
    }
}

/// `onStatus(NetStream.Play.Stop)` on `stream_id`.
fn stop_status(stream_id: u32) -> Option<Vec<u8>> {
    status_packet(stream_id, "NetStream.Play.Stop", "Stopped playing.")
}

/// `onStatus(code)` on `stream_id`, serialized on its own (a full chunk header, the session's
/// 4096-byte chunk size): the statuses rml_rtmp's session does not send (`Play.Stop`,
/// `Seek.Notify`). [Decision] A full header leaves the player's state for the command chunk
/// stream as it was; the session only writes there again to answer a client command.
fn status_packet(stream_id: u32, code: &str, description: &str) -> Option<Vec<u8>> {
    use rml_rtmp::chunk_io::ChunkSerializer;
    let mut serializer = ChunkSerializer::new();
    serializer
        .set_max_chunk_size(ServerSessionConfig::new().chunk_size, RtmpTimestamp::new(0))
        .ok()?;
    let mut status = std::collections::HashMap::new();
    status.insert("level".to_owned(), Amf0Value::Utf8String("status".into()));
    status.insert("code".to_owned(), Amf0Value::Utf8String(code.into()));
    status.insert(
        "description".to_owned(),
        Amf0Value::Utf8String(description.into()),
    );
    let message = RtmpMessage::Amf0Command {
        command_name: "onStatus".into(),
        transaction_id: 0.0,
        command_object: Amf0Value::Null,
        additional_arguments: vec![Amf0Value::Object(status)],
    };
    let payload = message
        .into_message_payload(RtmpTimestamp::new(0), stream_id)
        .ok()?;
    serializer
        .serialize(&payload, true, false)
        .ok()
        .map(|p| p.bytes)
}

/// The next tag of the stream being played; never ready when nothing plays.
async fn next_tag(
    playing: &mut Option<(u32, FlvPlayer)>,
) -> Result<Option<(flv::TagHeader, Bytes)>, String> {
    match playing {
        Some((_, p)) if !p.paused => p.next_due().await,
        _ => std::future::pending().await,
    }
}

/// `rtmp://host[:port]/app…` → `host`, lower case.
fn tc_url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    (!host.is_empty()).then(|| host.trim_end_matches('.').to_ascii_lowercase())
}

/// `onMetaData` from a script tag, with the fields `rml_rtmp` can send.
fn metadata(data: &[u8]) -> Option<StreamMetadata> {
    let mut cursor = std::io::Cursor::new(data);
    let values = rml_rtmp::rml_amf0::deserialize(&mut cursor).ok()?;
    let mut it = values.into_iter();
    match it.next()? {
        Amf0Value::Utf8String(s) if s == "onMetaData" => {}
        _ => return None,
    }
    let props = match it.next()? {
        Amf0Value::Object(p) => p,
        _ => return None,
    };
    let num = |k: &str| match props.get(k) {
        Some(Amf0Value::Number(n)) if n.is_finite() && *n >= 0.0 => Some(*n),
        _ => None,
    };
    let mut m = StreamMetadata::new();
    m.video_width = num("width").map(|n| n as u32);
    m.video_height = num("height").map(|n| n as u32);
    m.video_codec_id = num("videocodecid").map(|n| n as u32);
    m.video_frame_rate = num("framerate").map(|n| n as f32);
    m.video_bitrate_kbps = num("videodatarate").map(|n| n as u32);
    m.audio_codec_id = num("audiocodecid").map(|n| n as u32);
    m.audio_bitrate_kbps = num("audiodatarate").map(|n| n as u32);
    m.audio_sample_rate = num("audiosamplerate").map(|n| n as u32);
    m.audio_is_stereo = match props.get("stereo") {
        Some(Amf0Value::Boolean(b)) => Some(*b),
        _ => None,
    };
    Some(m)
}

/// An FLV file read through a [`RangeRead`], tag by tag, [`READ_AHEAD`] bytes at a time.
struct FlvPlayer {
    reader: Box<dyn RangeRead>,
    /// Where the next tag header starts.
    offset: u64,
    /// Where the first tag starts.
    first_tag: u64,
    window: Bytes,
    window_start: u64,
    /// `pause(true)` until `pause(false)`.
    paused: bool,
    /// A tag read but not sent yet (waiting for its time).
    pending: Option<(flv::TagHeader, Bytes)>,
    /// Pacing: the media time and the wall-clock instant playback (re)started at.
    clock: Option<(u32, tokio::time::Instant)>,
    /// An MP4 file's position (`mp4.rs`): its samples become the tags.
    mp4: Option<Box<Mp4Tags>>,
}

/// How far ahead of real time a stream is sent (the player's buffer; nginx-rtmp's `buflen`
/// plays the same role): a viewer costs a steady trickle instead of the whole file at once,
/// and a seek takes effect within this much media.
const LEAD: Duration = Duration::from_secs(3);

/// Tags due within this much of the one that came due go out with it, in one write.
const BATCH: Duration = Duration::from_millis(500);

/// At most this many bytes per write (the first batch of a play holds [`LEAD`] of media).
const MAX_BATCH: usize = 256 * 1024;

impl FlvPlayer {
    async fn start(reader: Box<dyn RangeRead>) -> Result<FlvPlayer, String> {
        let mut p = FlvPlayer {
            reader,
            offset: 0,
            first_tag: 0,
            window: Bytes::new(),
            window_start: 0,
            paused: false,
            pending: None,
            clock: None,
            mp4: None,
        };
        let head = p
            .bytes(0, flv::HEADER_LEN as u64)
            .await?
            .ok_or("empty file")?;
        let header = flv::parse_header(&head).map_err(|e| e.to_string())?;
        p.offset = u64::from(header.data_offset) + flv::BACK_POINTER_LEN as u64;
        p.first_tag = p.offset;
        Ok(p)
    }

    /// An MP4 file: its index is read, its samples are sent as FLV tags.
    async fn start_mp4(mut reader: Box<dyn RangeRead>) -> Result<FlvPlayer, String> {
        let tags = Mp4Tags::open(reader.as_mut()).await?;
        Ok(FlvPlayer {
            reader,
            offset: 0,
            first_tag: 0,
            window: Bytes::new(),
            window_start: 0,
            paused: false,
            pending: None,
            clock: None,
            mp4: Some(Box::new(tags)),
        })
    }

    /// Moves to the last video key frame at or before `ms` (the first tag when there is none,
    /// or when the file has no video), walking the tag headers from the start: their bytes
    /// come through the cache, and only the first byte of each video tag's data is read.
    async fn seek(&mut self, ms: u32) -> Result<(), String> {
        if let Some(m) = &mut self.mp4 {
            m.seek(ms);
            self.pending = None;
            self.clock = None;
            return Ok(());
        }
        let mut at = self.first_tag;
        let mut best = self.first_tag;
        while let Some(head) = self.bytes(at, flv::TAG_HEADER_LEN as u64).await? {
            let h = flv::parse_tag_header(&head).map_err(|e| e.to_string())?;
            if h.timestamp > ms {
                break;
            }
            if h.kind == TagKind::Video && h.data_size > 0 {
                let first = self
                    .bytes(at + flv::TAG_HEADER_LEN as u64, 1)
                    .await?
                    .ok_or("FLV tag data past the end of the file")?;
                if flv::is_keyframe(&first) {
                    best = at;
                }
            }
            at += h.span();
        }
        self.offset = best;
        self.pending = None;
        self.clock = None;
        Ok(())
    }

    /// The next tag, when its time comes (at most [`LEAD`] ahead of real time). Cancel-safe:
    /// a tag read but not yet due is kept for the next call.
    async fn next_due(&mut self) -> Result<Option<(flv::TagHeader, Bytes)>, String> {
        if let Some(ts) = self.pending_time().await? {
            let due = self.due(ts);
            tokio::time::sleep_until(due).await;
        }
        Ok(self.pending.take())
    }

    /// The next tag if it is due by `by`; `None` when it is not (it stays pending) or at the
    /// end of the stream (which the next [`FlvPlayer::next_due`] reports).
    async fn next_due_by(
        &mut self,
        by: tokio::time::Instant,
    ) -> Result<Option<(flv::TagHeader, Bytes)>, String> {
        match self.pending_time().await? {
            Some(ts) if self.due(ts) <= by => Ok(self.pending.take()),
            _ => Ok(None),
        }
    }

    /// The media time of the pending tag, reading the next one first if none is pending;
    /// `None` at the end of the stream.
    async fn pending_time(&mut self) -> Result<Option<u32>, String> {
        if self.pending.is_none() {
            self.pending = self.next_tag().await?;
        }
        Ok(self.pending.as_ref().map(|(h, _)| h.timestamp))
    }

    /// When the tag at media time `ts` is to be sent: [`LEAD`] ahead of its place on the
    /// clock that starts at the first tag sent since playback (re)started.
    fn due(&mut self, ts: u32) -> tokio::time::Instant {
        let (base_ts, base) = *self.clock.get_or_insert((ts, tokio::time::Instant::now()));
        let media = Duration::from_millis(u64::from(ts.saturating_sub(base_ts)));
        (base + media).checked_sub(LEAD).unwrap_or(base)
    }

    /// `len` bytes at `at`, from the window or a new read; `None` at the end of the file.
    async fn bytes(&mut self, at: u64, len: u64) -> Result<Option<Bytes>, String> {
        let end = at + len;
        let w_end = self.window_start + self.window.len() as u64;
        if at < self.window_start || end > w_end {
            let data = self
                .reader
                .read(at, len.max(READ_AHEAD))
                .await
                .map_err(|e| e.to_string())?;
            self.window = data;
            self.window_start = at;
        }
        let from = usize::try_from(at - self.window_start).map_err(|e| e.to_string())?;
        let to = usize::try_from(end - self.window_start).map_err(|e| e.to_string())?;
        if to > self.window.len() {
            return if from >= self.window.len() && self.window.len() < len as usize {
                Ok(None)
            } else {
                Err("truncated FLV tag".into())
            };
        }
        Ok(Some(self.window.slice(from..to)))
    }

    async fn next_tag(&mut self) -> Result<Option<(flv::TagHeader, Bytes)>, String> {
        if let Some(m) = &mut self.mp4 {
            return match m.next() {
                None => Ok(None),
                Some(Next::Ready(h, data)) => Ok(Some((h, data))),
                Some(Next::Sample(kind, sample)) => {
                    // An FLV tag's data size has 24 bits: a larger sample cannot be sent, and
                    // a hostile sample table must not make the edge read gigabytes for one.
                    if sample.size > MAX_TAG_DATA {
                        return Err(format!(
                            "MP4 sample of {} bytes: too large for an FLV tag",
                            sample.size
                        ));
                    }
                    let data = self
                        .bytes(sample.offset, u64::from(sample.size))
                        .await?
                        .ok_or("MP4 sample past the end of the file")?;
                    let tag = self.mp4.as_ref().map(|m| m.tag(kind, &sample, &data));
                    Ok(tag)
                }
            };
        }
        let Some(head) = self.bytes(self.offset, flv::TAG_HEADER_LEN as u64).await? else {
            return Ok(None);
        };
        let h = flv::parse_tag_header(&head).map_err(|e| e.to_string())?;
        let data_at = self.offset + flv::TAG_HEADER_LEN as u64;
        let data = self
            .bytes(data_at, u64::from(h.data_size))
            .await?
            .ok_or("FLV tag data past the end of the file")?;
        self.offset += h.span();
        Ok(Some((h, data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tc_url_hosts() {
        assert_eq!(
            tc_url_host("rtmp://S123.cdn.test:1935/cfx/st").as_deref(),
            Some("s123.cdn.test")
        );
        assert_eq!(
            tc_url_host("rtmp://a.test/cfx/st").as_deref(),
            Some("a.test")
        );
        assert_eq!(tc_url_host("rtmp://[::1]:1935/x").as_deref(), Some("::1"));
        assert_eq!(tc_url_host("rtmp:///x"), None);
    }

    struct Mem(Bytes);
    impl RangeRead for Mem {
        fn read(&mut self, offset: u64, len: u64) -> BoxFuture<'_, Result<Bytes, ReadError>> {
            let total = self.0.len() as u64;
            let from = offset.min(total) as usize;
            let to = (offset + len).min(total) as usize;
            let out = self.0.slice(from..to);
            Box::pin(async move { Ok(out) })
        }
    }

    fn tag(kind: u8, ts: u32, data: &[u8]) -> Vec<u8> {
        let mut t = vec![kind];
        t.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
        let tsb = ts.to_be_bytes();
        t.extend_from_slice(&[tsb[1], tsb[2], tsb[3], tsb[0], 0, 0, 0]);
        t.extend_from_slice(data);
        t.extend_from_slice(&((data.len() + 11) as u32).to_be_bytes());
        t
    }

    #[tokio::test]
    async fn flv_files_are_read_tag_by_tag() {
        let mut file = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        file.extend(tag(9, 0, &[0x17, 0, 0, 0, 0]));
        file.extend(tag(8, 23, &[0xaf, 1, 2]));
        let big = vec![0x27u8; 300_000];
        file.extend(tag(9, 40, &big));
        let mut p = FlvPlayer::start(Box::new(Mem(Bytes::from(file.clone()))))
            .await
            .expect("start");
        let (h, d) = p.next_tag().await.expect("ok").expect("tag");
        assert_eq!((h.kind, h.timestamp, d.len()), (TagKind::Video, 0, 5));
        let (h, d) = p.next_tag().await.expect("ok").expect("tag");
        assert_eq!(
            (h.kind, h.timestamp, &d[..]),
            (TagKind::Audio, 23, &[0xafu8, 1, 2][..])
        );
        let (h, d) = p.next_tag().await.expect("ok").expect("tag");
        assert_eq!(
            (h.kind, h.timestamp, d.len()),
            (TagKind::Video, 40, 300_000)
        );
        assert!(p.next_tag().await.expect("ok").is_none());
        // A file cut inside a tag fails instead of ending quietly.
        let cut = Bytes::from(file[..file.len() - 1000].to_vec());
        let mut p = FlvPlayer::start(Box::new(Mem(cut))).await.expect("start");
        p.next_tag().await.expect("first");
        p.next_tag().await.expect("second");
        assert!(p.next_tag().await.is_err());
        // Not FLV at all.
        assert!(
            FlvPlayer::start(Box::new(Mem(Bytes::from_static(b"<html>...."))))
                .await
                .is_err()
        );
    }
}

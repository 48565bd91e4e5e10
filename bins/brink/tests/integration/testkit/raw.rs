//! Raw TCP exchanges, for requests no well-behaved client library would send.
//!
//! [`exchange`] writes the given bytes, then reads until the peer closes the connection,
//! an I/O error occurs, or the wait expires, and reports what happened.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What came back on a raw connection.
#[derive(Debug)]
pub(crate) struct RawReply {
    /// Everything read before the end.
    pub(crate) bytes: Vec<u8>,
    /// The peer closed the connection (EOF or reset) before the wait expired.
    pub(crate) closed: bool,
    /// The read ended with an error such as a connection reset.
    pub(crate) error: Option<String>,
    /// Time from the end of writing to the end of reading.
    pub(crate) elapsed: Duration,
}

impl RawReply {
    /// The status code of the first response, if a status line was received.
    pub(crate) fn status(&self) -> Option<u16> {
        let text = String::from_utf8_lossy(&self.bytes);
        let line = text.lines().next()?;
        let mut words = line.split_whitespace();
        if !words.next()?.starts_with("HTTP/1.") {
            return None;
        }
        words.next()?.parse().ok()
    }

    /// Number of response status lines seen (to detect a second, unexpected response).
    pub(crate) fn response_count(&self) -> usize {
        String::from_utf8_lossy(&self.bytes)
            .matches("HTTP/1.1 ")
            .count()
    }

    /// A short printable summary for assertion messages.
    pub(crate) fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.bytes);
        let head: String = text.chars().take(600).collect();
        format!(
            "closed={} error={:?} after {:?}; {} bytes read: {head:?}",
            self.closed,
            self.error,
            self.elapsed,
            self.bytes.len()
        )
    }
}

/// Connects to `addr`, writes `request` (write errors are tolerated: the peer may close
/// early), then reads for at most `wait`.
pub(crate) async fn exchange(addr: SocketAddr, request: &[u8], wait: Duration) -> RawReply {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("raw connect to the edge");
    let _ = stream.set_nodelay(true);
    let _ = stream.write_all(request).await;
    let _ = stream.flush().await;
    read_until_close(&mut stream, wait).await
}

/// Reads until EOF, error or `wait`.
pub(crate) async fn read_until_close(stream: &mut TcpStream, wait: Duration) -> RawReply {
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + wait;
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let (closed, error) = loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => break (false, None),
            Ok(Ok(0)) => break (true, None),
            Ok(Ok(n)) => bytes.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => break (true, Some(e.to_string())),
        }
    };
    RawReply {
        bytes,
        closed,
        error,
        elapsed: start.elapsed(),
    }
}

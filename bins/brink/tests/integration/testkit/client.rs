//! A small hyper (1.x, legacy client) HTTP/1.1 client for the tests.
//!
//! Each request uses its own client and therefore its own connection, so requests never
//! share keep-alive state. [`Req::send`] buffers the whole response into a [`Resp`];
//! [`Req::send_streaming`] hands back the live response for tests that watch a body arrive.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

use super::EXCHANGE_TIMEOUT;

/// Result item of a [`ChannelBody`].
pub(crate) type FrameResult = Result<Frame<Bytes>, io::Error>;

/// A body fed through a channel: a streaming request body for the client, a streaming
/// response body for the test origin.
pub(crate) struct ChannelBody {
    rx: mpsc::Receiver<FrameResult>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FrameResult>> {
        self.rx.poll_recv(cx)
    }
}

/// A [`ChannelBody`] and the sender that feeds it; dropping the sender ends the body.
pub(crate) fn channel_body() -> (mpsc::Sender<FrameResult>, ChannelBody) {
    let (tx, rx) = mpsc::channel(4);
    (tx, ChannelBody { rx })
}

/// A header value as text (lossy for non-UTF-8 bytes).
pub(crate) fn header_string(v: &HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

/// A fully received response.
#[derive(Clone, Debug)]
pub(crate) struct Resp {
    /// Status code.
    pub(crate) status: u16,
    /// Response headers.
    pub(crate) headers: HeaderMap,
    /// The complete body.
    pub(crate) body: Bytes,
}

impl Resp {
    /// First value of header `name`.
    /// Buffers `resp` whole; `what` names the request in the error.
    pub(crate) async fn collect(resp: Response<Incoming>, what: &str) -> Result<Resp, String> {
        let (head, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("{what}: body: {e:?}"))?;
        Ok(Resp {
            status: head.status.as_u16(),
            headers: head.headers,
            body: body.to_bytes(),
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(header_string)
    }

    /// Every value of header `name`.
    pub(crate) fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(header_string)
            .collect()
    }

    /// `X-Cache`, or `""` when absent.
    pub(crate) fn x_cache(&self) -> String {
        self.header("x-cache").unwrap_or_default()
    }

    /// `Age` as integer seconds (`None` when absent or not an integer).
    pub(crate) fn age(&self) -> Option<u64> {
        self.header("age").and_then(|a| a.trim().parse().ok())
    }

    /// The body as (lossy) text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

enum Body {
    Empty,
    Full(Bytes),
    /// Sent in `chunk`-sized frames with `Transfer-Encoding: chunked`.
    Streamed {
        data: Bytes,
        chunk: usize,
    },
}

/// A request under construction.
pub(crate) struct Req {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Req {
    /// A request with any method (`"GET"`, `"PROPFIND"`, ...).
    pub(crate) fn new(method: &str, url: &str) -> Req {
        Req {
            method: Method::from_bytes(method.as_bytes()).expect("valid method"),
            url: url.to_owned(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// `GET url`.
    pub(crate) fn get(url: &str) -> Req {
        Req::new("GET", url)
    }

    /// `HEAD url`.
    pub(crate) fn head(url: &str) -> Req {
        Req::new("HEAD", url)
    }

    /// Adds a request header (repeatable; `Host` replaces the default).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A body sent with `Content-Length`.
    pub(crate) fn body(mut self, data: impl Into<Bytes>) -> Req {
        self.body = Body::Full(data.into());
        self
    }

    /// A body streamed in `chunk`-byte frames (`Transfer-Encoding: chunked`).
    pub(crate) fn streamed_body(mut self, data: Bytes, chunk: usize) -> Req {
        self.body = Body::Streamed { data, chunk };
        self
    }

    fn build(self) -> Request<BoxBody<Bytes, io::Error>> {
        let body = match self.body {
            Body::Empty => Full::new(Bytes::new())
                .map_err(|never| match never {})
                .boxed(),
            Body::Full(b) => Full::new(b).map_err(|never| match never {}).boxed(),
            Body::Streamed { data, chunk } => {
                let (tx, body) = channel_body();
                tokio::spawn(async move {
                    let mut rest = data;
                    while !rest.is_empty() {
                        let piece = rest.split_to(chunk.min(rest.len()));
                        if tx.send(Ok(Frame::data(piece))).await.is_err() {
                            return;
                        }
                    }
                });
                body.boxed()
            }
        };
        let mut builder = Request::builder()
            .method(self.method)
            .uri(self.url.as_str());
        for (k, v) in &self.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        builder.body(body).expect("valid request")
    }

    /// Sends the request and returns the live response (head received, body streaming).
    pub(crate) async fn send_streaming(self) -> Result<Response<Incoming>, String> {
        let client = Client::builder(TokioExecutor::new())
            .retry_canceled_requests(false)
            .pool_max_idle_per_host(0)
            .build_http();
        let what = format!("{} {}", self.method, self.url);
        client
            .request(self.build())
            .await
            .map_err(|e| format!("{what}: {e:?}"))
    }

    /// Sends the request and buffers the response; `Err` on any transport error (including
    /// a body cut short).
    pub(crate) async fn try_send(self) -> Result<Resp, String> {
        let what = format!("{} {}", self.method, self.url);
        let exchange = async {
            let resp = self.send_streaming().await?;
            Resp::collect(resp, &what).await
        };
        match tokio::time::timeout(EXCHANGE_TIMEOUT, exchange).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "{what}: no complete response within {EXCHANGE_TIMEOUT:?}"
            )),
        }
    }

    /// Sends the request and buffers the response; panics on transport errors.
    pub(crate) async fn send(self) -> Resp {
        match self.try_send().await {
            Ok(r) => r,
            Err(e) => panic!("request failed: {e}"),
        }
    }
}

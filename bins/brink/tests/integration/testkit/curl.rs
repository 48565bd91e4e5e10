//! The `curl` command line as a client, for the checks a user would do by hand.
//!
//! Runs `curl -sS --http1.1 -D <headers file> -o <body file> [args] URL` and parses the
//! result into the same [`Resp`] the hyper client returns.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::Resp;

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn temp_path(ext: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("brink-it-curl-{}-{n}.{ext}", std::process::id()))
}

/// `curl` `url` with extra arguments (e.g. `["-H", "Range: bytes=0-9"]`); panics if curl
/// fails to produce a response.
pub(crate) async fn curl(url: &str, args: &[&str]) -> Resp {
    curl_full(url, args).await.resp
}

/// What [`curl_full`] saw.
pub(crate) struct CurlOutput {
    /// The response.
    pub(crate) resp: Resp,
    /// The final status line, e.g. `HTTP/2 200`.
    pub(crate) status_line: String,
    /// curl's stderr (with `-v`: the TLS and protocol details).
    pub(crate) stderr: String,
}

/// Like [`curl`], also returning the status line and curl's stderr.
pub(crate) async fn curl_full(url: &str, args: &[&str]) -> CurlOutput {
    let url = url.to_owned();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || curl_blocking(&url, &args))
        .await
        .expect("curl task panicked")
}

fn curl_blocking(url: &str, args: &[String]) -> CurlOutput {
    let (head_path, body_path) = (temp_path("head"), temp_path("body"));
    let out = Command::new("curl")
        .args(["-sS", "--http1.1", "--max-time", "30", "-D"])
        .arg(&head_path)
        .arg("-o")
        .arg(&body_path)
        .args(args)
        .arg(url)
        .output()
        .expect("run curl (is it installed?)");
    let head = std::fs::read_to_string(&head_path).unwrap_or_default();
    let body = std::fs::read(&body_path).unwrap_or_default();
    let _ = std::fs::remove_file(&head_path);
    let _ = std::fs::remove_file(&body_path);
    assert!(
        out.status.success(),
        "curl {args:?} {url} failed ({}): {}\nheaders so far:\n{head}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let resp = parse_head(&head, Bytes::from(body));
    let status_line = head
        .split("\r\n\r\n")
        .filter(|b| b.starts_with("HTTP/"))
        .last()
        .and_then(|b| b.split("\r\n").next())
        .unwrap_or_default()
        .trim_end()
        .to_owned();
    CurlOutput {
        resp,
        status_line,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Parses curl's `-D` dump; with interim responses (1xx) the last block wins.
fn parse_head(dump: &str, body: Bytes) -> Resp {
    let block = dump
        .split("\r\n\r\n")
        .filter(|b| b.starts_with("HTTP/"))
        .last()
        .unwrap_or_else(|| panic!("curl: no HTTP response head in {dump:?}"));
    let mut lines = block.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("curl: bad status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("curl: bad header line {line:?}"));
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).expect("header name"),
            HeaderValue::from_str(value.trim()).expect("header value"),
        );
    }
    Resp {
        status,
        headers,
        body,
    }
}

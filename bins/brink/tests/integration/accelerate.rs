//! S3 Transfer Acceleration through the edge: `<bucket>.s3-accelerate.<cdn domain>` on the
//! viewer listener, and everything on `--accelerate-listen` (path style), go to
//! `--s3-endpoint` unchanged — method, target, `Host` and the viewer's signature — with the
//! body streamed both ways, nothing cached, only hop-by-hop headers removed.
//!
//! The store is the in-process test origin, which records and counts what it receives; the
//! aws CLI test signs a real upload and botocore re-verifies the signature the store got.

use std::process::Command;

use bytes::Bytes;

use crate::testkit::control::{pyenv_bin, temp_dir};
use crate::testkit::*;

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// A distribution `www.cdn.test` on a separate (custom) origin, so a request that is not
/// accelerated visibly goes elsewhere.
fn config(web: &TestOrigin) -> String {
    format!(
        r#"{{"Distributions": [{{"Id": "E1ACCEL", "DomainName": "www.cdn.test", "DistributionConfig": {{
            "CallerReference": "accel", "Comment": "", "Enabled": true,
            "Origins": {{"Quantity": 1, "Items": [{{"Id": "web", "DomainName": "127.0.0.1",
                "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only", "HTTPPort": {port}, "HTTPSPort": 443}}}}]}},
            "DefaultCacheBehavior": {{"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "{CACHING_OPTIMIZED}"}}}}}}]}}"#,
        port = web.port()
    )
}

async fn start() -> (TestOrigin, TestOrigin, Edge) {
    let store = TestOrigin::start().await;
    let web = TestOrigin::start().await;
    web.route_prefix("/", Reply::cacheable("web page", "max-age=600"));
    let edge = Edge::start_config(
        &config(&web),
        &[
            "--cdn-domain",
            "cdn.test",
            "--s3-endpoint",
            &store.url(),
            "--accelerate-listen",
            "127.0.0.1:0",
        ],
    )
    .await;
    (store, web, edge)
}

const VIEWER_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIAVIEWER/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=abc123";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accelerate_host_streams_a_20_mib_upload_unchanged() {
    let (store, web, edge) = start().await;
    store.route_fn("/big.bin?x-id=PutObject", |r| {
        Reply::ok(format!("stored {} bytes", r.body.len())).header("etag", "\"e1\"")
    });
    let body = pseudo_random_bytes(20 << 20, 7);
    let host = "mybucket.s3-accelerate.cdn.test";
    let resp = edge
        .req("PUT", "/big.bin?x-id=PutObject")
        .header("host", host)
        .header("authorization", VIEWER_AUTH)
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        .header("x-amz-date", "20260101T000000Z")
        .header("x-amz-meta-note", "kept")
        .header("connection", "keep-alive, x-hop")
        .header("x-hop", "per-connection")
        .streamed_body(Bytes::from(body.clone()), 128 * 1024)
        .send()
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_body(
        &resp,
        format!("stored {} bytes", 20 << 20).as_bytes(),
        "PUT",
    );
    assert_eq!(resp.header("etag").as_deref(), Some("\"e1\""));
    let seen = store.expect_last("/big.bin?x-id=PutObject");
    assert_eq!(seen.method.as_str(), "PUT");
    assert!(
        seen.body.as_ref() == body.as_slice(),
        "body differs ({} bytes)",
        seen.body.len()
    );
    // As the viewer sent it: Host, signature, metadata.
    assert_eq!(seen.header("host").as_deref(), Some(host));
    assert_eq!(seen.header("authorization").as_deref(), Some(VIEWER_AUTH));
    assert_eq!(
        seen.header("x-amz-date").as_deref(),
        Some("20260101T000000Z")
    );
    assert_eq!(seen.header("x-amz-meta-note").as_deref(), Some("kept"));
    // Hop-by-hop ones removed, nothing of the CDN's added.
    for h in ["x-hop", "x-amz-cf-id", "via", "x-forwarded-for"] {
        assert!(!seen.has(h), "{h} reached the store: {:?}", seen.headers);
    }
    assert_origin_hits(&store, "/big.bin?x-id=PutObject", 1, "one upload");
    assert_eq!(web.total(), 0, "the distribution's origin saw nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accelerated_downloads_are_never_cached() {
    let (store, web, edge) = start().await;
    let object = pseudo_random_bytes(20 << 20, 9);
    store.route(
        "/photo.jpg",
        Reply::cacheable(object.clone(), "max-age=3600"),
    );
    for round in 1..=2 {
        let resp = edge
            .req("GET", "/photo.jpg")
            .header("host", "photos.s3-accelerate.cdn.test:443")
            .send()
            .await;
        assert_eq!(resp.status, 200, "round {round}: {resp:?}");
        assert_body(&resp, &object, &format!("round {round}"));
        assert!(
            resp.header("age").is_none(),
            "round {round}: no Age on a pass"
        );
    }
    assert_origin_hits(&store, "/photo.jpg", 2, "each download reaches the store");

    // The distribution's own name, and a dotted bucket (not accelerable), stay with the CDN.
    for host in ["www.cdn.test", "a.b.s3-accelerate.cdn.test"] {
        let _ = edge
            .req("GET", "/photo.jpg")
            .header("host", host)
            .send()
            .await;
    }
    assert_origin_hits(
        &store,
        "/photo.jpg",
        2,
        "only accelerate hosts reach the store",
    );
    assert_eq!(
        web.hits("/photo.jpg"),
        1,
        "www.cdn.test went to its own origin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accelerate_listener_is_path_style_to_the_store() {
    let (store, web, edge) = start().await;
    store.route_prefix("/bucket/", Reply::ok("from the store"));
    let addr = edge.accelerate_addr();
    // Whatever the Host, the listener proxies (path style: the bucket is in the path).
    let resp = Req::get(&format!("http://{addr}/bucket/some/key.txt?versionId=3"))
        .send()
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_body(&resp, b"from the store", "listener");
    let seen = store.expect_last("/bucket/some/key.txt?versionId=3");
    assert_eq!(seen.header("host"), Some(addr.to_string()));
    // The distribution's host on this listener is still acceleration.
    let resp = Req::get(&format!("http://{addr}/bucket/x"))
        .header("host", "www.cdn.test")
        .send()
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(web.total(), 0);
    assert_eq!(store.total(), 2);
}

/// The aws CLI signs an upload for the acceleration listener; the signature the store
/// receives still verifies (botocore recomputes it), so the edge changed no signed byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_upload_signature_survives_the_edge() {
    let (store, _web, edge) = start().await;
    store.route_prefix("/up-bucket/", Reply::ok("").header("etag", "\"abc\""));
    let dir = temp_dir("accel-cli");
    let file = dir.join("payload.bin");
    let data = pseudo_random_bytes(3 << 20, 5);
    std::fs::write(&file, &data).expect("write payload");
    let endpoint = format!("http://{}", edge.accelerate_addr());
    let out = Command::new(pyenv_bin().join("aws"))
        .args([
            "s3api",
            "put-object",
            "--bucket",
            "up-bucket",
            "--key",
            "dir/a b+c.bin",
        ])
        .arg("--body")
        .arg(&file)
        .args(["--endpoint-url", &endpoint, "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "AKIAUPLOADER")
        .env("AWS_SECRET_ACCESS_KEY", "uploader-secret")
        .env("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("aws runs");
    assert!(
        out.status.success(),
        "aws failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let puts: Vec<_> = store
        .requests()
        .into_iter()
        .filter(|r| r.method == http::Method::PUT)
        .collect();
    assert_eq!(puts.len(), 1, "{:?}", store.request_lines());
    let seen = &puts[0];
    assert!(seen.body.as_ref() == data.as_slice(), "body differs");
    let auth = seen.header("authorization").unwrap_or_default();
    assert!(auth.contains("Credential=AKIAUPLOADER/"), "{auth}");
    assert_eq!(
        crate::oac::botocore_verdicts(&[seen], "uploader-secret"),
        vec!["ok"],
        "the viewer's signature must verify at the store"
    );
}

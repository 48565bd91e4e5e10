//! The viewer-access phase through the real edge: signed URLs and signed cookies on a
//! behavior with `TrustedKeyGroups` (signed by `brink sign` and by botocore's
//! `CloudFrontSigner`), CloudFront's codes and XML bodies for every refusal, signing
//! parameters kept out of the cache key and the origin request, expiry on the edge's clock;
//! and geo restriction by the viewer's country (through a trusted proxy's
//! `X-Forwarded-For`, since every test connection comes from 127.0.0.1).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::testkit::control::{pyenv_bin, temp_dir};
use crate::testkit::*;

const HOST: &str = "d111111abcdef8.cloudfront.net";
const KEY_ID: &str = "K2TESTKEY00001";

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An RSA-2048 key pair made by openssl: (private key file, public PEM).
fn key_pair(dir: &Path) -> (PathBuf, String) {
    let private = dir.join("private.pem");
    run(Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&private)
        .arg("2048"));
    let public = run(Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(&private));
    (private, public)
}

fn config(origin_port: u16, public_pem: &str, geo: &str) -> String {
    serde_json::json!({
        "PublicKeys": [{"Id": KEY_ID, "PublicKeyConfig": {"CallerReference": "k", "Name": "test-key", "EncodedKey": public_pem}}],
        "KeyGroups": [{"Id": "11111111-2222-3333-4444-555555555555", "KeyGroupConfig": {"Name": "signers", "Items": [KEY_ID]}}],
        "Distributions": [{"Id": "EDIST", "DomainName": HOST, "DistributionConfig": {
            "CallerReference": "c", "Comment": "", "Enabled": true,
            "Restrictions": {"GeoRestriction": serde_json::from_str::<serde_json::Value>(geo).expect("geo json")},
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1",
                "CustomOriginConfig": {"HTTPPort": origin_port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
            "CacheBehaviors": {"Quantity": 1, "Items": [{
                "PathPattern": "/private/*", "TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "TrustedKeyGroups": {"Enabled": true, "Quantity": 1, "Items": ["11111111-2222-3333-4444-555555555555"]},
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}]}
        }}]
    })
    .to_string()
}

const NO_GEO: &str = r#"{"RestrictionType": "none", "Quantity": 0}"#;

fn sign(private: &Path, url: &str, expires: u64, extra: &[&str]) -> String {
    run(Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "sign",
            "--url",
            url,
            "--key-pair-id",
            KEY_ID,
            "--private-key",
        ])
        .arg(private)
        .args(["--date-less-than", &expires.to_string()])
        .args(extra))
    .trim()
    .to_owned()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The path and query of an absolute URL.
fn target(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    &rest[rest.find('/').unwrap_or(rest.len())..]
}

fn code_of(r: &Resp) -> String {
    let body = r.text();
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn signed_urls_and_cookies_guard_the_behavior() {
    let dir = temp_dir("signed");
    let (private, public) = key_pair(&dir);
    let origin = TestOrigin::start().await;
    origin.route(
        "/private/movie.mp4",
        Reply::cacheable("secret bytes", "max-age=3600"),
    );
    origin.route("/public.txt", Reply::cacheable("public", "max-age=3600"));
    let edge = Edge::start_config(&config(origin.port(), &public, NO_GEO), &[]).await;
    let get = |path: String, extra: Vec<(&'static str, String)>| {
        let edge = &edge;
        async move {
            let mut h: Vec<(&str, &str)> = vec![("host", HOST)];
            for (k, v) in &extra {
                h.push((k, v.as_str()));
            }
            edge.get_with(&path, &h).await
        }
    };
    // Other behaviors need nothing.
    let r = get("/public.txt".into(), vec![]).await;
    assert_eq!(r.status, 200);
    // Unsigned: MissingKey, CloudFront's XML, never reaching the origin.
    let r = get("/private/movie.mp4".into(), vec![]).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("content-type").as_deref(), Some("text/xml"));
    assert_eq!(code_of(&r), "MissingKey");
    assert_eq!(r.x_cache(), ERROR);
    assert_eq!(origin.hits("/private/movie.mp4"), 0);

    // A canned signed URL (brink sign): served; the origin sees no signing parameter.
    let url = format!("http://{HOST}/private/movie.mp4");
    let signed = sign(&private, &url, now() + 600, &[]);
    let r = get(target(&signed).to_owned(), vec![]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_body(&r, b"secret bytes", "signed");
    assert_miss(&r, "first signed request");
    let seen = origin
        .last_request("/private/movie.mp4")
        .expect("origin request");
    assert_eq!(
        seen.target, "/private/movie.mp4",
        "signing parameters stripped"
    );
    // Another signature for the same object is the same cache entry.
    let signed2 = sign(&private, &url, now() + 900, &[]);
    assert_ne!(signed, signed2);
    let r = get(target(&signed2).to_owned(), vec![]).await;
    assert_hit(&r, "signing parameters are not in the key");
    assert_origin_hits(&origin, "/private/movie.mp4", 1, "one fill");
    // Ranges are checked and served too.
    let r = get(
        target(&signed).to_owned(),
        vec![("range", "bytes=0-5".into())],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_body(&r, b"secret", "range");

    // Tampered, unknown key, malformed signature, malformed policy.
    let tampered = signed.replacen("Signature=", "Signature=AAAA", 1);
    assert_eq!(
        code_of(&get(target(&tampered).to_owned(), vec![]).await),
        "AccessDenied"
    );
    let unknown = signed.replace(KEY_ID, "KNOSUCHKEY0001");
    assert_eq!(
        code_of(&get(target(&unknown).to_owned(), vec![]).await),
        "InvalidKey"
    );
    let bad_sig = format!(
        "/private/movie.mp4?Expires={}&Signature=%%%&Key-Pair-Id={KEY_ID}",
        now() + 60
    );
    assert_eq!(code_of(&get(bad_sig, vec![]).await), "MalformedSignature");
    let bad_policy =
        format!("/private/movie.mp4?Policy=bm90LWpzb24_&Signature=AAAA&Key-Pair-Id={KEY_ID}");
    assert_eq!(code_of(&get(bad_policy, vec![]).await), "MalformedPolicy");
    // Another resource with this signature: AccessDenied.
    let other = target(&signed).replace("movie.mp4", "other.mp4");
    assert_eq!(code_of(&get(other, vec![]).await), "AccessDenied");

    // Signed cookies (custom policy with a wildcard resource).
    let cookies = sign(
        &private,
        &url,
        now() + 600,
        &[
            "--cookies",
            "--policy-resource",
            &format!("http://{HOST}/private/*"),
        ],
    );
    let cookie_header = cookies
        .lines()
        .map(|l| l.trim_start_matches("Set-Cookie:").trim())
        .map(|l| l.split(';').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("; ");
    let r = get(
        "/private/movie.mp4".into(),
        vec![("cookie", cookie_header.clone())],
    )
    .await;
    assert_eq!(r.status, 200, "cookies: {cookie_header}: {}", r.text());

    // Expiry follows the edge's clock: 10 minutes later the URL is refused.
    edge.advance_clock(601).await;
    assert_eq!(
        code_of(&get(target(&signed).to_owned(), vec![]).await),
        "AccessDenied"
    );

    // botocore's own signer (the aws SDK for Python), canned policy.
    let script = format!(
        r#"
import datetime
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key = serialization.load_pem_private_key(open({private:?}, "rb").read(), password=None)
signer = CloudFrontSigner({KEY_ID:?}, lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA1()))
print(signer.generate_presigned_url({url:?}, date_less_than=datetime.datetime.fromtimestamp({exp}, datetime.timezone.utc)))
"#,
        private = private.display().to_string(),
        exp = now() + 3600,
    );
    let boto = run(Command::new(pyenv_bin().join("python"))
        .arg("-c")
        .arg(&script));
    let r = get(target(boto.trim()).to_owned(), vec![]).await;
    assert_eq!(r.status, 200, "botocore URL {boto}: {}", r.text());
}

#[tokio::test]
async fn geo_restriction_by_the_viewers_country() {
    let dir = temp_dir("geo");
    let (_, public) = key_pair(&dir);
    let origin = TestOrigin::start().await;
    origin.route("/a.txt", Reply::cacheable("a", "max-age=3600"));
    // Block Germany; trust the loopback proxy's X-Forwarded-For.
    let blacklist = r#"{"RestrictionType": "blacklist", "Quantity": 1, "Items": ["DE"]}"#;
    let edge = Edge::start_config(
        &config(origin.port(), &public, blacklist),
        &["--trusted-proxy", "127.0.0.0/8"],
    )
    .await;
    let from = |ip: &'static str| {
        let edge = &edge;
        async move {
            edge.get_with("/a.txt", &[("host", HOST), ("x-forwarded-for", ip)])
                .await
        }
    };
    // test-ranges.csv: 79.192.1.1 is DE, 73.0.1.1 is US.
    let r = from("79.192.1.1").await;
    assert_eq!(r.status, 403);
    assert!(
        r.text()
            .contains("configured to block access from your country"),
        "{}",
        r.text()
    );
    assert_eq!(r.x_cache(), ERROR);
    assert_eq!(origin.hits("/a.txt"), 0);
    let r = from("73.0.1.1").await;
    assert_eq!(r.status, 200);
    // Unknown country (private space) is allowed; IPv4-mapped IPv6 is canonicalised.
    assert_eq!(from("10.1.2.3").await.status, 200);
    assert_eq!(from("::ffff:79.192.1.1").await.status, 403);
    // Without the trusted proxy, X-Forwarded-For is ignored (127.0.0.1 has no country).
    let untrusted = Edge::start_config(&config(origin.port(), &public, blacklist), &[]).await;
    let r = untrusted
        .get_with(
            "/a.txt",
            &[("host", HOST), ("x-forwarded-for", "79.192.1.1")],
        )
        .await;
    assert_eq!(r.status, 200);
    // A whitelist admits only its countries.
    let whitelist = r#"{"RestrictionType": "whitelist", "Quantity": 1, "Items": ["JP"]}"#;
    let jp_only = Edge::start_config(
        &config(origin.port(), &public, whitelist),
        &["--trusted-proxy", "127.0.0.1/32"],
    )
    .await;
    let r = jp_only
        .get_with(
            "/a.txt",
            &[("host", HOST), ("x-forwarded-for", "60.64.1.1")],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = jp_only
        .get_with("/a.txt", &[("host", HOST), ("x-forwarded-for", "73.0.1.1")])
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_custom_error_response_for_403_replaces_the_refusal_body() {
    let dir = temp_dir("geo-page");
    let (_, public) = key_pair(&dir);
    let origin = TestOrigin::start().await;
    origin.route("/a.txt", Reply::cacheable("a", "max-age=3600"));
    origin.route("/private/x", Reply::cacheable("x", "max-age=3600"));
    origin.route(
        "/denied.html",
        Reply::cacheable("<p>not here</p>", "max-age=3600"),
    );
    let blacklist = r#"{"RestrictionType": "blacklist", "Quantity": 1, "Items": ["DE"]}"#;
    let mut cfg: serde_json::Value =
        serde_json::from_str(&config(origin.port(), &public, blacklist)).expect("json");
    cfg["Distributions"][0]["DistributionConfig"]["CustomErrorResponses"] = serde_json::json!({
        "Quantity": 1, "Items": [{"ErrorCode": 403, "ResponsePagePath": "/denied.html",
            "ResponseCode": "403", "ErrorCachingMinTTL": 10}]});
    let edge = Edge::start_config(&cfg.to_string(), &["--trusted-proxy", "127.0.0.0/8"]).await;
    // Geo-blocked: the page, with 403.
    let r = edge
        .get_with(
            "/a.txt",
            &[("host", HOST), ("x-forwarded-for", "79.192.1.1")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_body(
        &r,
        b"<p>not here</p>",
        "geo refusal replaced by the custom page",
    );
    assert_eq!(
        origin.hits("/a.txt"),
        0,
        "the blocked object was never fetched"
    );
    // Unsigned request to the signed behavior: the page too, not the XML.
    let r = edge
        .get_with(
            "/private/x",
            &[("host", HOST), ("x-forwarded-for", "73.0.1.1")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_body(
        &r,
        b"<p>not here</p>",
        "signature refusal replaced by the custom page",
    );
    assert_eq!(origin.hits("/private/x"), 0);
}

//! Origin access control (cloudfront.md §7.5): `brink edge --s3-endpoint URL --oac-credentials
//! FILE` sends requests for S3 origins path-style to the local store and signs them (SigV4,
//! `UNSIGNED-PAYLOAD`, Brink's `x-amz-source-arn`) per each OAC's `SigningBehavior`.
//!
//! The store here is the in-process test origin (it records and counts requests); every
//! signature it received is checked independently by botocore's `S3SigV4Auth`, recomputed
//! over the request as S3 reads it (path and query decoded, then encoded once).

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::testkit::control::{pyenv_bin, temp_dir};
use crate::testkit::origin::Recorded;
use crate::testkit::*;

const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// AllViewerExceptHostHeader: forwards the viewer's `Authorization` (so `no-override` has one
/// to keep) and every query string.
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
const ALL_METHODS: &str = r#"{"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
    "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}"#;
const KEY_ID: &str = "AKIABRINKCDNSERVICE1";
const SECRET: &str = "cdn/service+secret/EXAMPLEKEY0123456789";
const ACCOUNT: &str = "123456789012";
const DIST: &str = "E1OACTEST";
const HOST: &str = "oac.test";

fn behavior(pattern: &str, origin: &str) -> String {
    format!(
        r#"{{"PathPattern": "{pattern}", "TargetOriginId": "{origin}", "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "{CACHING_DISABLED}", "OriginRequestPolicyId": "{ALL_VIEWER_EXCEPT_HOST}",
            "AllowedMethods": {ALL_METHODS}}}"#
    )
}

fn oac(id: &str, behavior: &str) -> String {
    format!(
        r#"{{"Id": "{id}", "OriginAccessControlConfig": {{"Name": "oac-{behavior}",
            "SigningProtocol": "sigv4", "SigningBehavior": "{behavior}",
            "OriginAccessControlOriginType": "s3"}}}}"#
    )
}

/// Three S3 origins (one per signing behavior, in three regions' name forms) and one without
/// an OAC; `/always/*`, `/nooverride/*`, `/never/*` and the default (`plain`) target them.
fn config() -> String {
    let s3 = |id: &str, domain: &str, oac: &str| {
        format!(
            r#"{{"Id": "{id}", "DomainName": "{domain}", "S3OriginConfig": {{"OriginAccessIdentity": ""}},
                "OriginAccessControlId": "{oac}"}}"#
        )
    };
    let origins = [
        s3(
            "always",
            "b-always.s3.eu-west-1.amazonaws.com",
            "EOACALWAYS",
        ),
        s3(
            "nooverride",
            "b-nooverride.s3.amazonaws.com",
            "EOACNOOVERRIDE",
        ),
        s3("never", "b-never.s3-us-west-2.amazonaws.com", "EOACNEVER"),
        s3("plain", "b-plain.s3.amazonaws.com", ""),
    ];
    let behaviors = [
        behavior("/always/*", "always"),
        behavior("/nooverride/*", "nooverride"),
        behavior("/never/*", "never"),
    ];
    format!(
        r#"{{"Distributions": [{{"Id": "{DIST}", "DomainName": "{HOST}", "DistributionConfig": {{
            "CallerReference": "oac", "Comment": "", "Enabled": true,
            "Origins": {{"Quantity": 4, "Items": [{origins}]}},
            "DefaultCacheBehavior": {{"TargetOriginId": "plain", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "{CACHING_DISABLED}", "AllowedMethods": {ALL_METHODS}}},
            "CacheBehaviors": {{"Quantity": 3, "Items": [{behaviors}]}}}}}}],
          "OriginAccessControls": [{a}, {n}, {v}]}}"#,
        origins = origins.join(", "),
        behaviors = behaviors.join(", "),
        a = oac("EOACALWAYS", "always"),
        n = oac("EOACNOOVERRIDE", "no-override"),
        v = oac("EOACNEVER", "never"),
    )
}

fn credentials_file() -> std::path::PathBuf {
    let dir = temp_dir("oac-creds");
    let path = dir.join("cdn-service-credentials.json");
    std::fs::write(
        &path,
        format!(r#"{{"AccessKeyId": "{KEY_ID}", "SecretAccessKey": "{SECRET}", "AccountId": "{ACCOUNT}"}}"#),
    )
    .expect("write credentials");
    path
}

async fn start() -> (TestOrigin, Edge) {
    let origin = TestOrigin::start().await;
    origin.route_prefix("/", Reply::ok("stored object"));
    let creds = credentials_file();
    let edge = Edge::start_config(
        &config(),
        &[
            "--s3-endpoint",
            &origin.url(),
            "--oac-credentials",
            creds.to_str().expect("utf-8 path"),
        ],
    )
    .await;
    (origin, edge)
}

/// botocore's verdict on each recorded request: `ok`, or why not.
const VERIFY: &str = r#"
import json, sys, urllib.parse
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

def s3_normal(part, safe):
    return urllib.parse.quote(urllib.parse.unquote(part), safe=safe)

for r in json.load(sys.stdin):
    auth = r["headers"].get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        print("unsigned"); continue
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key, day, region, service, _ = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    path, _, query = r["target"].partition("?")
    # As S3 reads the request: each path byte and query part decoded, then encoded once.
    pairs = [p.partition("=") for p in query.split("&") if p]
    q = "&".join(s3_normal(k, "-_.~") + "=" + s3_normal(v, "-_.~") for k, _, v in pairs)
    url = "http://" + r["headers"]["host"] + s3_normal(path, "/~") + ("?" + q if q else "")
    req = AWSRequest(method=r["method"], url=url,
                     headers={h: r["headers"][h] for h in signed})
    req.context["timestamp"] = r["headers"]["x-amz-date"]
    signer = S3SigV4Auth(Credentials(key, r["secret"]), service, region)
    want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
    print("ok" if want == fields["Signature"] else "mismatch " + signer.canonical_request(req).replace("\n", "|"))
"#;

/// Runs [`VERIFY`] over `requests` with `secret`.
pub(crate) fn botocore_verdicts(requests: &[&Recorded], secret: &str) -> Vec<String> {
    let list: Vec<serde_json::Value> = requests
        .iter()
        .map(|r| {
            let headers: serde_json::Map<String, serde_json::Value> = r
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into(),
                    )
                })
                .collect();
            serde_json::json!({"method": r.method.as_str(), "target": r.target,
                "headers": headers, "secret": secret})
        })
        .collect();
    let mut child = Command::new(pyenv_bin().join("python"))
        .arg("-c")
        .arg(VERIFY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::Value::Array(list).to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python ran");
    assert!(
        out.status.success(),
        "verifier failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn assert_signed(seen: &Recorded, region: &str, ctx: &str) {
    let auth = seen.header("authorization").unwrap_or_default();
    assert!(
        auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={KEY_ID}/")),
        "{ctx}: Authorization {auth:?}"
    );
    assert!(
        auth.contains(&format!("/{region}/s3/aws4_request")),
        "{ctx}: region in {auth:?}"
    );
    assert!(
        auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-source-arn,"),
        "{ctx}: {auth:?}"
    );
    assert_eq!(
        seen.header("x-amz-source-arn").as_deref(),
        Some(format!("arn:aws:cloudfront::{ACCOUNT}:distribution/{DIST}").as_str()),
        "{ctx}"
    );
    assert_eq!(
        seen.header("x-amz-content-sha256").as_deref(),
        Some("UNSIGNED-PAYLOAD"),
        "{ctx}"
    );
    assert_eq!(botocore_verdicts(&[seen], SECRET), vec!["ok"], "{ctx}");
}

fn req(edge: &Edge, method: &str, path: &str) -> Req {
    edge.req(method, path).header("host", HOST)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_signs_path_style_and_replaces_viewer_authorization() {
    let (origin, edge) = start().await;
    let resp = req(&edge, "GET", "/always/index.html")
        .header("authorization", "Bearer viewer-token")
        .send()
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_body(&resp, b"stored object", "always");
    // Path style on the store, Host the store's own (the one signed).
    let seen = origin.expect_last("/b-always/always/index.html");
    assert_eq!(seen.header("host"), Some(origin.authority()));
    assert_signed(&seen, "eu-west-1", "always");
    assert_origin_hits(
        &origin,
        "/b-always/always/index.html",
        1,
        "one origin request",
    );

    // The verifier is not a rubber stamp: another secret or another path fails.
    assert_ne!(botocore_verdicts(&[&seen], "wrong-secret"), vec!["ok"]);
    let mut moved = seen.clone();
    moved.target = "/b-always/always/other.html".into();
    assert_ne!(botocore_verdicts(&[&moved], SECRET), vec!["ok"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_keys_and_queries_sign_as_s3_reads_them() {
    let (origin, edge) = start().await;
    let targets = [
        "/always/a+b.txt",
        "/always/with%20space/and%2Bplus.txt",
        "/always/caf%C3%A9/%E2%9C%93.bin",
        "/always/100%25/done",
        "/always/q?b=2&a=1&a=0&flag&sp=x%20y&plus=a+b&slash=%2F",
        "/always/~user/x-y_z.v",
    ];
    for t in targets {
        let resp = req(&edge, "GET", t).send().await;
        assert_eq!(resp.status, 200, "{t}: {resp:?}");
    }
    let all = origin.requests();
    assert_eq!(all.len(), targets.len(), "one origin request each");
    for (seen, t) in all.iter().zip(targets) {
        assert_eq!(seen.target, format!("/b-always{t}"), "path sent unchanged");
        assert_signed(seen, "eu-west-1", t);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_override_keeps_a_viewer_signature_and_never_does_not_sign() {
    let (origin, edge) = start().await;
    // no-override without a viewer Authorization: signed.
    let resp = req(&edge, "GET", "/nooverride/a").send().await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_signed(
        &origin.expect_last("/b-nooverride/nooverride/a"),
        "us-east-1",
        "no-override",
    );

    // With one: the viewer's header goes through untouched, nothing added.
    let viewer = "AWS4-HMAC-SHA256 Credential=AKIAVIEWER/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
    let resp = req(&edge, "GET", "/nooverride/b")
        .header("authorization", viewer)
        .send()
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let seen = origin.expect_last("/b-nooverride/nooverride/b");
    assert_eq!(seen.header("authorization").as_deref(), Some(viewer));
    assert!(
        !seen.has("x-amz-source-arn"),
        "no-override with a viewer signature"
    );

    // never: no signature even with the credential configured.
    let resp = req(&edge, "GET", "/never/c").send().await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let seen = origin.expect_last("/b-never/never/c");
    assert!(
        !seen.has("authorization") && !seen.has("x-amz-source-arn"),
        "{seen:?}"
    );

    // No OAC at all: path style too, unsigned.
    let resp = req(&edge, "GET", "/d").send().await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let seen = origin.expect_last("/b-plain/d");
    assert!(!seen.has("authorization"), "{seen:?}");
    assert_eq!(origin.total(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_20_mib_put_is_streamed_and_signed_unsigned_payload() {
    let (origin, edge) = start().await;
    let body = pseudo_random_bytes(20 << 20, 11);
    let resp = req(&edge, "PUT", "/always/uploads/big.bin")
        .streamed_body(bytes::Bytes::from(body.clone()), 256 * 1024)
        .send()
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let seen = origin.expect_last("/b-always/always/uploads/big.bin");
    assert_eq!(seen.method.as_str(), "PUT");
    assert!(
        seen.body.as_ref() == body.as_slice(),
        "body differs ({} bytes)",
        seen.body.len()
    );
    assert_signed(&seen, "eu-west-1", "PUT");
    assert_origin_hits(&origin, "/b-always/always/uploads/big.bin", 1, "one PUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_file_is_a_config_error() {
    let dir = temp_dir("oac-bad");
    let path = dir.join("creds.json");
    std::fs::write(
        &path,
        r#"{"AccessKeyId": "A", "SecretAccessKey": "S", "AccountId": "12"}"#,
    )
    .expect("write");
    let cfg = write_config(&config());
    let out = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(["edge", "--config"])
        .arg(&cfg)
        .args(["--s3-endpoint", "http://127.0.0.1:9", "--oac-credentials"])
        .arg(&path)
        .args(["--listen", "127.0.0.1:0", "--check"])
        .output()
        .expect("brink runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--oac-credentials") && err.contains("AccountId"),
        "{err}"
    );
}

/// The control plane carries OACs to the edges: an origin naming an unknown OAC is refused
/// (`NoSuchOriginAccessControl`), one naming a created OAC is accepted, the feed document
/// lists the OAC, and an OAC in use cannot be deleted.
#[test]
fn control_plane_puts_oacs_in_the_edge_document() {
    use crate::testkit::control::Control;
    let c = Control::start();
    let oac = c.aws_ok(&[
        "cloudfront", "create-origin-access-control", "--origin-access-control-config",
        r#"{"Name": "bucket-oac", "Description": "", "SigningProtocol": "sigv4", "SigningBehavior": "no-override", "OriginAccessControlOriginType": "s3"}"#,
    ]);
    let oac_id = oac["OriginAccessControl"]["Id"]
        .as_str()
        .expect("id")
        .to_owned();
    let dist = |oac: &str| {
        let cfg = serde_json::json!({
            "CallerReference": format!("oac-{oac}"), "Comment": "", "Enabled": true,
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "bucket", "DomainName": "mybucket.s3.eu-west-1.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""},
                "OriginAccessControlId": oac
            }]},
            "DefaultCacheBehavior": {"TargetOriginId": "bucket", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
        });
        let p = temp_dir("oac-dist").join("c.json");
        std::fs::write(&p, cfg.to_string()).expect("write");
        format!("file://{}", p.display())
    };
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &dist("E0NOSUCHOAC"),
        ],
        "NoSuchOriginAccessControl",
    );
    c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--distribution-config",
        &dist(&oac_id),
    ]);
    let out = Command::new("curl")
        .args(["-s", "--max-time", "30", "-H"])
        .arg(format!("Authorization: Bearer {}", c.token))
        .arg(format!("{}/brink/v1/feed?after=0&config=0&wait=1", c.url()))
        .output()
        .expect("curl");
    let update: serde_json::Value = serde_json::from_slice(&out.stdout).expect("feed json");
    let oacs = &update["config"]["OriginAccessControls"];
    assert_eq!(oacs[0]["Id"], oac_id.as_str(), "{update}");
    assert_eq!(
        oacs[0]["OriginAccessControlConfig"]["SigningBehavior"],
        "no-override"
    );
    c.aws_err(
        &[
            "cloudfront",
            "delete-origin-access-control",
            "--id",
            &oac_id,
            "--if-match",
            oac["ETag"].as_str().expect("etag"),
        ],
        "OriginAccessControlInUse",
    );
}

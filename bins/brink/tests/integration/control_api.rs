//! `brink control` driven by the real aws CLI and boto3 (cloudfront.md §4, §11): every
//! operation, its errors with CloudFront's codes, persistence across restarts, and the edge
//! feed that turns `InProgress` into `Deployed` / `Completed`.

use std::process::Command;

use serde_json::Value;

use crate::testkit::control::{temp_dir, Control};

fn id_of(v: &Value) -> String {
    v["Distribution"]["Id"].as_str().expect("Id").to_owned()
}

fn etag_of(v: &Value) -> String {
    v["ETag"].as_str().expect("ETag").to_owned()
}

/// Writes a DistributionConfig JSON for `--distribution-config file://…`.
fn config_file(caller_ref: &str, comment: &str, enabled: bool) -> std::path::PathBuf {
    let path = temp_dir("dist-config").join("config.json");
    let cfg = serde_json::json!({
        "CallerReference": caller_ref,
        "Comment": comment,
        "Enabled": enabled,
        "Aliases": {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "web", "DomainName": "origin.example",
            "CustomOriginConfig": {"HTTPPort": 8080, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}
        }]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "web",
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"
        }
    });
    std::fs::write(&path, serde_json::to_vec(&cfg).expect("json")).expect("write config");
    path
}

fn file_arg(p: &std::path::Path) -> String {
    format!("file://{}", p.display())
}

/// curl against the control plane (feed paths), returning (status, body).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("status line");
    (code.trim().parse().expect("status"), body.to_owned())
}

#[test]
fn create_get_update_disable_delete_with_the_aws_cli() {
    let c = Control::start();
    let created = c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--origin-domain-name",
        "origin.example",
        "--default-root-object",
        "index.html",
    ]);
    let id = id_of(&created);
    assert!(id.starts_with('E') && id.len() == 14, "{id}");
    let dist = &created["Distribution"];
    let domain = dist["DomainName"].as_str().expect("domain");
    assert!(domain.starts_with('d') && domain.ends_with(".cdn.test") && domain.len() == 23);
    assert_eq!(
        dist["ARN"],
        format!("arn:aws:cloudfront::123456789012:distribution/{id}")
    );
    assert!(created["Location"]
        .as_str()
        .expect("Location")
        .ends_with(&format!("/2020-05-31/distribution/{id}")));
    // Every default filled in (§11.1): what Terraform dereferences is there.
    let cfg = &dist["DistributionConfig"];
    assert_eq!(cfg["DefaultRootObject"], "index.html");
    assert_eq!(cfg["PriceClass"], "PriceClass_All");
    assert_eq!(cfg["HttpVersion"], "http2");
    assert_eq!(cfg["DefaultCacheBehavior"]["AllowedMethods"]["Quantity"], 2);
    assert_eq!(
        cfg["DefaultCacheBehavior"]["TrustedKeyGroups"]["Enabled"],
        false
    );
    assert_eq!(
        cfg["Restrictions"]["GeoRestriction"]["RestrictionType"],
        "none"
    );
    assert_eq!(
        cfg["ViewerCertificate"]["CloudFrontDefaultCertificate"],
        true
    );
    assert_eq!(cfg["Origins"]["Items"][0]["ConnectionAttempts"], 3);
    // No edge reports to this control plane: nothing to wait for.
    assert_eq!(dist["Status"], "Deployed");
    let wait = c.aws(&["cloudfront", "wait", "distribution-deployed", "--id", &id]);
    assert!(wait.status.success());

    // Get and GetConfig share the ETag.
    let got = c.aws_ok(&["cloudfront", "get-distribution", "--id", &id]);
    let got_cfg = c.aws_ok(&["cloudfront", "get-distribution-config", "--id", &id]);
    assert_eq!(etag_of(&got), etag_of(&created));
    assert_eq!(etag_of(&got_cfg), etag_of(&created));
    assert_eq!(got_cfg["DistributionConfig"], *cfg);

    // Update: If-Match missing / stale / right; CallerReference immutable.
    let mut new_cfg = cfg.clone();
    new_cfg["Comment"] = "updated".into();
    let path = temp_dir("update").join("c.json");
    std::fs::write(&path, serde_json::to_vec(&new_cfg).expect("json")).expect("write");
    c.aws_err(
        &[
            "cloudfront",
            "update-distribution",
            "--id",
            &id,
            "--if-match",
            "E000000000000X",
            "--distribution-config",
            &file_arg(&path),
        ],
        "PreconditionFailed",
    );
    let updated = c.aws_ok(&[
        "cloudfront",
        "update-distribution",
        "--id",
        &id,
        "--if-match",
        &etag_of(&created),
        "--distribution-config",
        &file_arg(&path),
    ]);
    assert_eq!(
        updated["Distribution"]["DistributionConfig"]["Comment"],
        "updated"
    );
    let etag2 = etag_of(&updated);
    assert_ne!(etag2, etag_of(&created));
    let mut bad = new_cfg.clone();
    bad["CallerReference"] = "another".into();
    std::fs::write(&path, serde_json::to_vec(&bad).expect("json")).expect("write");
    c.aws_err(
        &[
            "cloudfront",
            "update-distribution",
            "--id",
            &id,
            "--if-match",
            &etag2,
            "--distribution-config",
            &file_arg(&path),
        ],
        "IllegalUpdate",
    );

    // Delete: enabled → 409; disabled → gone.
    c.aws_err(
        &[
            "cloudfront",
            "delete-distribution",
            "--id",
            &id,
            "--if-match",
            &etag2,
        ],
        "DistributionNotDisabled",
    );
    let mut off = new_cfg.clone();
    off["Enabled"] = false.into();
    std::fs::write(&path, serde_json::to_vec(&off).expect("json")).expect("write");
    let disabled = c.aws_ok(&[
        "cloudfront",
        "update-distribution",
        "--id",
        &id,
        "--if-match",
        &etag2,
        "--distribution-config",
        &file_arg(&path),
    ]);
    let etag3 = etag_of(&disabled);
    c.aws_err(
        &["cloudfront", "delete-distribution", "--id", &id],
        "InvalidIfMatchVersion",
    );
    c.aws_ok(&[
        "cloudfront",
        "delete-distribution",
        "--id",
        &id,
        "--if-match",
        &etag3,
    ]);
    c.aws_err(
        &["cloudfront", "get-distribution", "--id", &id],
        "NoSuchDistribution",
    );
}

#[test]
fn validation_errors_carry_the_models_codes() {
    let c = Control::start();
    let path = config_file("ref-1", "one", true);
    c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--distribution-config",
        &file_arg(&path),
    ]);
    // Same CallerReference, other content.
    let path2 = config_file("ref-1", "two", true);
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &file_arg(&path2),
        ],
        "DistributionAlreadyExists",
    );
    // An unknown TargetOriginId: the model's NoSuchOrigin.
    let mut cfg: Value =
        serde_json::from_slice(&std::fs::read(config_file("ref-2", "x", true)).expect("read"))
            .expect("json");
    cfg["DefaultCacheBehavior"]["TargetOriginId"] = "nope".into();
    let p = temp_dir("bad").join("c.json");
    std::fs::write(&p, serde_json::to_vec(&cfg).expect("json")).expect("write");
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &file_arg(&p),
        ],
        "NoSuchOrigin",
    );
    // MinTTL above DefaultTTL in legacy mode: InvalidTTLOrder.
    let mut cfg: Value =
        serde_json::from_slice(&std::fs::read(config_file("ref-3", "x", true)).expect("read"))
            .expect("json");
    let dcb = &mut cfg["DefaultCacheBehavior"];
    dcb.as_object_mut().expect("object").remove("CachePolicyId");
    dcb["ForwardedValues"] =
        serde_json::json!({"QueryString": false, "Cookies": {"Forward": "none"}});
    dcb["MinTTL"] = 100.into();
    dcb["DefaultTTL"] = 10.into();
    std::fs::write(&p, serde_json::to_vec(&cfg).expect("json")).expect("write");
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &file_arg(&p),
        ],
        "InvalidTTLOrder",
    );
    // An alias needs a certificate that covers it.
    let mut cfg: Value =
        serde_json::from_slice(&std::fs::read(config_file("ref-4", "x", true)).expect("read"))
            .expect("json");
    cfg["Aliases"] = serde_json::json!({"Quantity": 1, "Items": ["www.example.com"]});
    cfg["ViewerCertificate"] = serde_json::json!({
        "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0000",
        "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"});
    std::fs::write(&p, serde_json::to_vec(&cfg).expect("json")).expect("write");
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &file_arg(&p),
        ],
        "InvalidViewerCertificate",
    );
    // Only the first distribution exists.
    let list = c.aws_ok(&["cloudfront", "list-distributions"]);
    assert_eq!(
        list["DistributionList"]["Items"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn signatures_are_checked() {
    let c = Control::start();
    let out = c.aws_with(
        &["cloudfront", "list-distributions"],
        &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(SignatureDoesNotMatch)"), "{err}");
    let out = c.aws_with(
        &["cloudfront", "list-distributions"],
        &[("AWS_ACCESS_KEY_ID", "AKIANOTOURS0000000")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(InvalidClientTokenId)"), "{err}");
    // Unsigned: MissingAuthenticationToken, with CloudFront's XML error body.
    let (status, body) = curl(&[&format!("{}/2020-05-31/distribution", c.url())]);
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{body}"
    );
    assert!(!body.contains(&c.key.1), "the secret never appears");
}

#[test]
fn paging_tags_and_boto3() {
    let c = Control::start();
    let out = c.boto3(
        r#"
import boto3
cf = boto3.client("cloudfront")
ids = []
for i in range(3):
    r = cf.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": {
            "CallerReference": f"boto-{i}", "Comment": f"n{i}", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example",
                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}},
        "Tags": {"Items": [{"Key": "team", "Value": f"t{i}"}]}})
    ids.append(r["Distribution"]["Id"])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
seen = []
marker = ""
pages = 0
while True:
    r = cf.list_distributions(Marker=marker, MaxItems="2")["DistributionList"]
    pages += 1
    seen += [i["Id"] for i in r.get("Items", [])]
    if not r["IsTruncated"]:
        break
    marker = r["NextMarker"]
assert sorted(seen) == sorted(ids), (seen, ids)
assert pages == 2, pages
# The paginator does the same.
p = cf.get_paginator("list_distributions")
assert sum(len(pg["DistributionList"].get("Items", [])) for pg in p.paginate(PaginationConfig={"PageSize": 1})) == 3
arn = cf.get_distribution(Id=ids[0])["Distribution"]["ARN"]
assert cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"] == [{"Key": "team", "Value": "t0"}]
cf.tag_resource(Resource=arn, Tags={"Items": [{"Key": "env", "Value": "prod"}]})
cf.untag_resource(Resource=arn, TagKeys={"Items": ["team"]})
assert cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"] == [{"Key": "env", "Value": "prod"}]
cf.get_waiter("distribution_deployed").wait(Id=ids[1])
print("ok")
"#,
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn create_operations_need_a_body_and_a_caller_reference() {
    let c = Control::start();
    let out = c.boto3(
        r#"
import os, boto3, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

base = os.environ["AWS_ENDPOINT_URL_CLOUDFRONT"] + "/2020-05-31/"
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
# An empty body, signed: MissingBody for each kind of create.
for path in ["distribution", "distribution?WithTags", "streaming-distribution", "cache-policy"]:
    req = AWSRequest(method="POST", url=base + path, data=b"")
    SigV4Auth(creds, "cloudfront", "us-east-1").add_auth(req)
    try:
        urllib.request.urlopen(urllib.request.Request(req.url, data=b"", method="POST", headers=dict(req.headers)))
        raise SystemExit(path + ": accepted")
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        assert e.code == 400 and "<Code>MissingBody</Code>" in body, (path, e.code, body)

# An empty CallerReference (botocore's own check turned off so that it is sent).
cf = boto3.client("cloudfront", config=Config(parameter_validation=False))
dist = {"CallerReference": "", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example",
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
stream = {"CallerReference": "", "Comment": "", "Enabled": True,
          "S3Origin": {"DomainName": "media.s3.amazonaws.com", "OriginAccessIdentity": ""},
          "TrustedSigners": {"Enabled": False, "Quantity": 0}}
calls = [
    lambda: cf.create_distribution(DistributionConfig=dist),
    lambda: cf.create_distribution_with_tags(DistributionConfigWithTags={"DistributionConfig": dist, "Tags": {"Items": []}}),
    lambda: cf.create_streaming_distribution(StreamingDistributionConfig=stream),
]
for i, call in enumerate(calls):
    try:
        call()
        raise SystemExit(f"call {i}: accepted")
    except ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == "InvalidArgument" and err["Message"] == "CallerReference is required.", (i, err)
dist["CallerReference"] = "real"
did = cf.create_distribution(DistributionConfig=dist)["Distribution"]["Id"]
try:
    cf.create_invalidation(DistributionId=did, InvalidationBatch={
        "CallerReference": "", "Paths": {"Quantity": 1, "Items": ["/a"]}})
    raise SystemExit("invalidation accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidArgument", e.response["Error"]
# Nothing of the refused requests was created.
assert len(cf.list_distributions()["DistributionList"].get("Items", [])) == 1
assert cf.list_streaming_distributions()["StreamingDistributionList"].get("Items", []) == []
print("ok")
"#,
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn invalidations_follow_cloudfronts_rules_and_edge_reports() {
    let c = Control::start();
    let id = id_of(&c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--origin-domain-name",
        "origin.example",
    ]));
    // Bad paths.
    c.aws_err(
        &[
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            &id,
            "--paths",
            "img/a.jpg",
        ],
        "InvalidArgument",
    );
    c.aws_err(
        &[
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            &id,
            "--paths",
            "/a*b",
        ],
        "InvalidArgument",
    );
    c.aws_err(
        &[
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            "ENOSUCH",
            "--paths",
            "/a",
        ],
        "NoSuchDistribution",
    );
    // An edge that reports but has applied nothing yet keeps invalidations InProgress.
    let report = |seq: u64| {
        let body = format!(
            r#"{{"pop":"TST50-C1","address":"127.0.0.9:1","configVersion":{seq},"seq":{seq},"completedInvalidations":[]}}"#
        );
        curl(&[
            "-X",
            "POST",
            "-H",
            &format!("Authorization: Bearer {}", c.token),
            "-H",
            "Content-Type: application/json",
            "--data",
            &body,
            &format!("{}/brink/v1/report", c.url()),
        ])
    };
    assert_eq!(report(0).0, 204);
    let inv = c.aws_ok(&[
        "cloudfront",
        "create-invalidation",
        "--distribution-id",
        &id,
        "--paths",
        "/img/*",
        "/a.txt",
    ]);
    let inv_id = inv["Invalidation"]["Id"].as_str().expect("id").to_owned();
    assert!(inv_id.starts_with('I'));
    assert_eq!(inv["Invalidation"]["Status"], "InProgress");
    let dist = c.aws_ok(&["cloudfront", "get-distribution", "--id", &id]);
    assert_eq!(dist["Distribution"]["InProgressInvalidationBatches"], 1);
    assert_eq!(dist["Distribution"]["Status"], "InProgress");
    // 15 wildcard paths at most in progress.
    let many: Vec<String> = (0..15).map(|i| format!("/w{i}/*")).collect();
    let mut args = vec![
        "cloudfront",
        "create-invalidation",
        "--distribution-id",
        &id,
        "--paths",
    ];
    args.extend(many.iter().map(String::as_str));
    c.aws_err(&args, "TooManyInvalidationsInProgress");
    // The feed carries the invalidation; the edge applies everything and reports.
    let (status, body) = curl(&[
        "-H",
        &format!("Authorization: Bearer {}", c.token),
        &format!("{}/brink/v1/feed?after=0&config=0&wait=1", c.url()),
    ]);
    assert_eq!(status, 200);
    let update: Value = serde_json::from_str(&body).expect("feed JSON");
    let seq = update["seq"].as_u64().expect("seq");
    assert_eq!(
        update["invalidations"][0]["paths"],
        serde_json::json!(["/img/*", "/a.txt"])
    );
    assert_eq!(
        update["config"]["Distributions"][0]["Id"].as_str(),
        Some(id.as_str())
    );
    assert_eq!(report(seq).0, 204);
    let got = c.aws_ok(&[
        "cloudfront",
        "get-invalidation",
        "--distribution-id",
        &id,
        "--id",
        &inv_id,
    ]);
    assert_eq!(got["Invalidation"]["Status"], "Completed");
    let dist = c.aws_ok(&["cloudfront", "get-distribution", "--id", &id]);
    assert_eq!(dist["Distribution"]["Status"], "Deployed");
    // The same CallerReference with the same paths returns the same invalidation.
    let batch =
        serde_json::json!({"Paths": {"Quantity": 1, "Items": ["/x"]}, "CallerReference": "same"});
    let b = batch.to_string();
    let first = c.aws_ok(&[
        "cloudfront",
        "create-invalidation",
        "--distribution-id",
        &id,
        "--invalidation-batch",
        &b,
    ]);
    let again = c.aws_ok(&[
        "cloudfront",
        "create-invalidation",
        "--distribution-id",
        &id,
        "--invalidation-batch",
        &b,
    ]);
    assert_eq!(first["Invalidation"]["Id"], again["Invalidation"]["Id"]);
    let other =
        serde_json::json!({"Paths": {"Quantity": 1, "Items": ["/y"]}, "CallerReference": "same"})
            .to_string();
    c.aws_err(
        &[
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            &id,
            "--invalidation-batch",
            &other,
        ],
        "InvalidationBatchAlreadyExists",
    );
    // Listed newest first.
    let list = c.aws_ok(&["cloudfront", "list-invalidations", "--distribution-id", &id]);
    let ids: Vec<&str> = list["InvalidationList"]["Items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["Id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1], inv_id);
}

#[test]
fn the_feed_needs_its_token_and_long_polls() {
    let c = Control::start();
    let (status, _) = curl(&[&format!("{}/brink/v1/feed?after=0&wait=0", c.url())]);
    assert_eq!(status, 403);
    let (status, _) = curl(&[
        "-H",
        "Authorization: Bearer wrong",
        &format!("{}/brink/v1/feed?after=0&wait=0", c.url()),
    ]);
    assert_eq!(status, 403);
    // Nothing newer: 204 after the wait.
    let auth = format!("Authorization: Bearer {}", c.token);
    let (status, _) = curl(&[
        "-H",
        &auth,
        &format!("{}/brink/v1/feed?after=0&config=0&wait=1", c.url()),
    ]);
    assert_eq!(status, 204);
    // A waiting poll returns as soon as a distribution is created.
    let url = format!("{}/brink/v1/feed?after=0&config=0&wait=30", c.url());
    let poll = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let r = curl(&["-H", &auth, &url]);
        (r, started.elapsed())
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--origin-domain-name",
        "origin.example",
    ]);
    let ((status, body), took) = poll.join().expect("poll");
    assert_eq!(status, 200);
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    let update: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(update["configVersion"], 1);
    // The document is what `brink edge --config` reads: check it with the real binary.
    let doc = temp_dir("doc").join("edge.json");
    std::fs::write(&doc, update["config"].to_string()).expect("write");
    let check = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(["edge", "--check", "--cdn-domain", "cdn.test", "--config"])
        .arg(&doc)
        .output()
        .expect("brink edge --check");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn a_restarted_control_plane_has_everything() {
    let mut c = Control::start();
    let created = c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--origin-domain-name",
        "origin.example",
    ]);
    let id = id_of(&created);
    let inv = c.aws_ok(&[
        "cloudfront",
        "create-invalidation",
        "--distribution-id",
        &id,
        "--paths",
        "/a",
    ]);
    let dir = c.dir.clone();
    let key = c.key.clone();
    c.kill();
    let c2 = Control::start_in(&dir, "127.0.0.1:0");
    assert_eq!(c2.key, key, "the same credentials");
    let got = c2.aws_ok(&["cloudfront", "get-distribution", "--id", &id]);
    assert_eq!(etag_of(&got), etag_of(&created));
    assert_eq!(
        got["Distribution"]["DomainName"],
        created["Distribution"]["DomainName"]
    );
    let inv_id = inv["Invalidation"]["Id"].as_str().expect("id");
    let got_inv = c2.aws_ok(&[
        "cloudfront",
        "get-invalidation",
        "--distribution-id",
        &id,
        "--id",
        inv_id,
    ]);
    assert_eq!(
        got_inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"][0],
        "/a"
    );
}

#[test]
fn policies_keys_key_groups_and_oacs() {
    let c = Control::start();
    // Managed policies are listed with Type=managed, under their real ids, and immutable.
    let managed = c.aws_ok(&["cloudfront", "list-cache-policies", "--type", "managed"]);
    let ids: Vec<&str> = managed["CachePolicyList"]["Items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["CachePolicy"]["Id"].as_str())
        .collect();
    assert!(
        ids.contains(&"658327ea-f89d-4fab-a63d-7e88639e58f6"),
        "{ids:?}"
    );
    let got = c.aws_ok(&[
        "cloudfront",
        "get-cache-policy",
        "--id",
        "658327ea-f89d-4fab-a63d-7e88639e58f6",
    ]);
    assert_eq!(
        got["CachePolicy"]["CachePolicyConfig"]["Name"],
        "Managed-CachingOptimized"
    );
    c.aws_err(
        &[
            "cloudfront",
            "delete-cache-policy",
            "--id",
            "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "--if-match",
            "x",
        ],
        "IllegalDelete",
    );
    // A custom cache policy: create, get, update with If-Match, use, refuse deletion in use.
    let cfg = serde_json::json!({
        "Name": "short", "Comment": "", "DefaultTTL": 60, "MaxTTL": 600, "MinTTL": 0,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": false, "EnableAcceptEncodingBrotli": false,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "all"}}
    })
    .to_string();
    let created = c.aws_ok(&[
        "cloudfront",
        "create-cache-policy",
        "--cache-policy-config",
        &cfg,
    ]);
    let pid = created["CachePolicy"]["Id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(pid.len(), 36, "a UUID: {pid}");
    let etag = created["ETag"].as_str().expect("etag").to_owned();
    c.aws_err(
        &[
            "cloudfront",
            "create-cache-policy",
            "--cache-policy-config",
            &cfg,
        ],
        "CachePolicyAlreadyExists",
    );
    let mut bad: Value = serde_json::from_str(&cfg).expect("json");
    bad["Name"] = "bad".into();
    bad["MinTTL"] = 1000.into();
    c.aws_err(
        &[
            "cloudfront",
            "create-cache-policy",
            "--cache-policy-config",
            &bad.to_string(),
        ],
        "InvalidTTLOrder",
    );
    let mut upd: Value = serde_json::from_str(&cfg).expect("json");
    upd["DefaultTTL"] = 120.into();
    c.aws_err(
        &[
            "cloudfront",
            "update-cache-policy",
            "--id",
            &pid,
            "--if-match",
            "stale",
            "--cache-policy-config",
            &upd.to_string(),
        ],
        "PreconditionFailed",
    );
    let updated = c.aws_ok(&[
        "cloudfront",
        "update-cache-policy",
        "--id",
        &pid,
        "--if-match",
        &etag,
        "--cache-policy-config",
        &upd.to_string(),
    ]);
    assert_eq!(
        updated["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"],
        120
    );
    let etag = updated["ETag"].as_str().expect("etag").to_owned();
    let custom = c.aws_ok(&["cloudfront", "list-cache-policies", "--type", "custom"]);
    assert_eq!(custom["CachePolicyList"]["Items"][0]["Type"], "custom");
    // A distribution using it; the feed's document carries the policy.
    let mut dcfg: Value = serde_json::from_slice(
        &std::fs::read(config_file("uses-policy", "x", true)).expect("read"),
    )
    .expect("json");
    dcfg["DefaultCacheBehavior"]["CachePolicyId"] = pid.clone().into();
    let p = temp_dir("policy-dist").join("c.json");
    std::fs::write(&p, dcfg.to_string()).expect("write");
    c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--distribution-config",
        &file_arg(&p),
    ]);
    c.aws_err(
        &[
            "cloudfront",
            "delete-cache-policy",
            "--id",
            &pid,
            "--if-match",
            &etag,
        ],
        "CachePolicyInUse",
    );
    let (_, body) = curl(&[
        "-H",
        &format!("Authorization: Bearer {}", c.token),
        &format!("{}/brink/v1/feed?after=0&config=0&wait=1", c.url()),
    ]);
    let update: Value = serde_json::from_str(&body).expect("feed");
    assert_eq!(update["config"]["CachePolicies"][0]["Id"], pid.as_str());

    // Public key → key group → in use by the group.
    let key_pem = std::process::Command::new("sh")
        .arg("-c")
        .arg("openssl genrsa 2048 2>/dev/null | openssl rsa -pubout 2>/dev/null")
        .output()
        .expect("openssl");
    let key_pem = String::from_utf8_lossy(&key_pem.stdout).into_owned();
    let pk_cfg = serde_json::json!({"CallerReference": "k1", "Name": "signer", "EncodedKey": key_pem, "Comment": ""}).to_string();
    let pk = c.aws_ok(&[
        "cloudfront",
        "create-public-key",
        "--public-key-config",
        &pk_cfg,
    ]);
    let pk_id = pk["PublicKey"]["Id"].as_str().expect("id").to_owned();
    assert!(pk_id.starts_with('K') && pk_id.len() == 14, "{pk_id}");
    let kg_cfg =
        serde_json::json!({"Name": "group", "Items": [pk_id.clone()], "Comment": ""}).to_string();
    c.aws_ok(&[
        "cloudfront",
        "create-key-group",
        "--key-group-config",
        &kg_cfg,
    ]);
    c.aws_err(
        &[
            "cloudfront",
            "delete-public-key",
            "--id",
            &pk_id,
            "--if-match",
            pk["ETag"].as_str().expect("etag"),
        ],
        "PublicKeyInUse",
    );
    let groups = c.aws_ok(&["cloudfront", "list-key-groups"]);
    assert_eq!(
        groups["KeyGroupList"]["Items"][0]["KeyGroup"]["KeyGroupConfig"]["Items"][0],
        pk_id.as_str()
    );
    // Origin access control.
    let oac = c.aws_ok(&[
        "cloudfront", "create-origin-access-control", "--origin-access-control-config",
        r#"{"Name": "s3-oac", "Description": "", "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}"#,
    ]);
    let oac_id = oac["OriginAccessControl"]["Id"]
        .as_str()
        .expect("id")
        .to_owned();
    let listed = c.aws_ok(&["cloudfront", "list-origin-access-controls"]);
    assert_eq!(
        listed["OriginAccessControlList"]["Items"][0]["Id"],
        oac_id.as_str()
    );
    c.aws_ok(&[
        "cloudfront",
        "delete-origin-access-control",
        "--id",
        &oac_id,
        "--if-match",
        oac["ETag"].as_str().expect("etag"),
    ]);
    c.aws_err(
        &["cloudfront", "get-origin-access-control", "--id", &oac_id],
        "NoSuchOriginAccessControl",
    );
}

#[test]
fn acm_certificates_gate_aliases() {
    let c = Control::start();
    let dir = temp_dir("acm");
    let (cert, key) = crate::testkit::tls::self_signed(
        &dir,
        "www.example.com",
        &["www.example.com", "*.img.example.com"],
    );
    let imported = c.aws_ok(&[
        "acm",
        "import-certificate",
        "--certificate",
        &format!("fileb://{}", cert.display()),
        "--private-key",
        &format!("fileb://{}", key.display()),
    ]);
    let arn = imported["CertificateArn"].as_str().expect("arn").to_owned();
    assert!(
        arn.starts_with("arn:aws:acm:us-east-1:123456789012:certificate/"),
        "{arn}"
    );
    let described = c.aws_ok(&["acm", "describe-certificate", "--certificate-arn", &arn]);
    assert_eq!(described["Certificate"]["DomainName"], "www.example.com");
    assert_eq!(described["Certificate"]["Type"], "IMPORTED");
    let listed = c.aws_ok(&["acm", "list-certificates"]);
    assert_eq!(
        listed["CertificateSummaryList"][0]["CertificateArn"],
        arn.as_str()
    );
    let got = c.aws_ok(&["acm", "get-certificate", "--certificate-arn", &arn]);
    assert!(got["Certificate"]
        .as_str()
        .expect("pem")
        .contains("BEGIN CERTIFICATE"));
    // A distribution whose aliases the certificate covers is accepted; another is not.
    let with_aliases = |caller: &str, aliases: &[&str], arn: &str| {
        let mut cfg: Value =
            serde_json::from_slice(&std::fs::read(config_file(caller, "x", true)).expect("read"))
                .expect("json");
        cfg["Aliases"] = serde_json::json!({"Quantity": aliases.len(), "Items": aliases});
        cfg["ViewerCertificate"] = serde_json::json!({"ACMCertificateArn": arn,
            "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"});
        let p = temp_dir("acm-dist").join("c.json");
        std::fs::write(&p, cfg.to_string()).expect("write");
        p
    };
    let good = with_aliases("acm-1", &["www.example.com", "a.img.example.com"], &arn);
    c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--distribution-config",
        &file_arg(&good),
    ]);
    let bad = with_aliases("acm-2", &["shop.example.org"], &arn);
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &file_arg(&bad),
        ],
        "InvalidViewerCertificate",
    );
    let unknown = with_aliases(
        "acm-3",
        &["www.example.com"],
        "arn:aws:acm:us-east-1:123456789012:certificate/nope",
    );
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &file_arg(&unknown),
        ],
        "InvalidViewerCertificate",
    );
    // In use: not deletable. The feed carries the certificate and its key as files.
    let out = c.aws(&["acm", "delete-certificate", "--certificate-arn", &arn]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ResourceInUseException"));
    let (_, body) = curl(&[
        "-H",
        &format!("Authorization: Bearer {}", c.token),
        &format!("{}/brink/v1/feed?after=0&config=0&wait=1", c.url()),
    ]);
    let update: Value = serde_json::from_str(&body).expect("feed");
    let cert_file = update["config"]["Certificates"][0]["CertificateFile"]
        .as_str()
        .expect("file");
    let files = update["files"].as_array().expect("files");
    assert!(files.iter().any(|f| f["name"] == cert_file
        && f["contents"]
            .as_str()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE"))));
    assert!(files.iter().any(|f| f["contents"]
        .as_str()
        .is_some_and(|p| p.contains("PRIVATE KEY"))));
}

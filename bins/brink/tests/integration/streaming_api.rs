//! Streaming (RTMP) distributions through `brink control` with the real aws CLI and boto3:
//! every operation (Create, CreateWithTags, Get, GetConfig, List with paging, Update with
//! `If-Match`, Delete once disabled), their errors with CloudFront's codes, tags, `Deployed`
//! driven by a real `brink edge --control`'s reports (and the waiter), and `brink edge
//! --config` reading `StreamingDistributions` (a broken one is a config error naming the
//! field).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::testkit::control::{temp_dir, Control};

fn file_arg(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// A `StreamingDistributionConfig` with only what the API requires, plus an alias.
fn config(caller_ref: &str, alias: Option<&str>, enabled: bool) -> Value {
    let aliases = match alias {
        Some(a) => json!({"Quantity": 1, "Items": [a]}),
        None => json!({"Quantity": 0}),
    };
    json!({
        "CallerReference": caller_ref,
        "S3Origin": {"DomainName": "media.s3.amazonaws.com", "OriginAccessIdentity": ""},
        "Aliases": aliases,
        "Comment": "lectures",
        "TrustedSigners": {"Enabled": false, "Quantity": 0},
        "Enabled": enabled,
    })
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).expect("json")).expect("write");
    p
}

fn sd(v: &Value) -> &Value {
    &v["StreamingDistribution"]
}

fn id_of(v: &Value) -> String {
    sd(v)["Id"].as_str().expect("Id").to_owned()
}

fn etag_of(v: &Value) -> String {
    v["ETag"].as_str().expect("ETag").to_owned()
}

fn create(c: &Control, dir: &Path, cfg: &Value) -> Value {
    let p = write(dir, "create.json", cfg);
    c.aws_ok(&[
        "cloudfront",
        "create-streaming-distribution",
        "--streaming-distribution-config",
        &file_arg(&p),
    ])
}

fn update_args<'a>(id: &'a str, etag: Option<&'a str>, file: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "cloudfront",
        "update-streaming-distribution",
        "--id",
        id,
        "--streaming-distribution-config",
        file,
    ];
    if let Some(e) = etag {
        args.extend(["--if-match", e]);
    }
    args
}

#[test]
fn every_operation_and_its_errors_with_the_aws_cli() {
    let c = Control::start();
    let dir = temp_dir("stream-api");
    let created = create(&c, &dir, &config("s-1", Some("rtmp.example.com"), true));
    let id = id_of(&created);
    assert!(
        id.starts_with('E')
            && id.len() == 14
            && id[1..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{id}"
    );
    let s = sd(&created);
    let domain = s["DomainName"].as_str().expect("domain");
    let label = domain.strip_suffix(".cdn.test").expect("cdn domain");
    assert!(
        label.len() == 14
            && label.starts_with('s')
            && label[1..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{domain}"
    );
    assert_eq!(
        s["ARN"],
        format!("arn:aws:cloudfront::123456789012:streaming-distribution/{id}")
    );
    assert!(created["Location"]
        .as_str()
        .expect("Location")
        .ends_with(&format!("/2020-05-31/streaming-distribution/{id}")));
    // The complete structure comes back, defaults filled.
    let cfg = &s["StreamingDistributionConfig"];
    assert_eq!(cfg["S3Origin"]["DomainName"], "media.s3.amazonaws.com");
    assert_eq!(cfg["Aliases"]["Items"], json!(["rtmp.example.com"]));
    assert_eq!(cfg["PriceClass"], "PriceClass_All");
    assert_eq!(
        cfg["Logging"],
        json!({"Enabled": false, "Bucket": "", "Prefix": ""})
    );
    assert_eq!(s["ActiveTrustedSigners"]["Enabled"], false);
    assert!(s["LastModifiedTime"].as_str().is_some());
    // No edge reports to this control plane: nothing to wait for.
    assert_eq!(s["Status"], "Deployed");
    let wait = c.aws(&[
        "cloudfront",
        "wait",
        "streaming-distribution-deployed",
        "--id",
        &id,
    ]);
    assert!(wait.status.success(), "{wait:?}");

    // Get and GetConfig share the ETag and the configuration.
    let got = c.aws_ok(&["cloudfront", "get-streaming-distribution", "--id", &id]);
    let got_cfg = c.aws_ok(&[
        "cloudfront",
        "get-streaming-distribution-config",
        "--id",
        &id,
    ]);
    assert_eq!(etag_of(&got), etag_of(&created));
    assert_eq!(etag_of(&got_cfg), etag_of(&created));
    assert_eq!(got_cfg["StreamingDistributionConfig"], *cfg);
    assert_eq!(sd(&got)["DomainName"], domain);

    // A reused CallerReference.
    let p = write(&dir, "dup.json", &config("s-1", None, true));
    c.aws_err(
        &[
            "cloudfront",
            "create-streaming-distribution",
            "--streaming-distribution-config",
            &file_arg(&p),
        ],
        "StreamingDistributionAlreadyExists",
    );

    // Update: If-Match missing / stale / right; CallerReference immutable.
    let mut new_cfg = cfg.clone();
    new_cfg["Comment"] = "updated".into();
    let p = write(&dir, "update.json", &new_cfg);
    let f = file_arg(&p);
    c.aws_err(&update_args(&id, None, &f), "InvalidIfMatchVersion");
    c.aws_err(
        &update_args(&id, Some("E000000000000X"), &f),
        "PreconditionFailed",
    );
    let etag1 = etag_of(&created);
    let updated = c.aws_ok(&update_args(&id, Some(&etag1), &f));
    assert_eq!(
        sd(&updated)["StreamingDistributionConfig"]["Comment"],
        "updated"
    );
    let etag2 = etag_of(&updated);
    assert_ne!(etag2, etag1);
    assert_eq!(sd(&updated)["DomainName"], domain, "the name stays");
    let mut bad = new_cfg.clone();
    bad["CallerReference"] = "another".into();
    let p = write(&dir, "bad.json", &bad);
    c.aws_err(
        &update_args(&id, Some(&etag2), &file_arg(&p)),
        "IllegalUpdate",
    );
    // Validation is brink-model's, with CloudFront's codes.
    for (field, value, code) in [
        (
            "/S3Origin/OriginAccessIdentity",
            json!("E2OAI"),
            "InvalidOriginAccessIdentity",
        ),
        (
            "/S3Origin/DomainName",
            json!("http://media.example"),
            "InvalidOrigin",
        ),
        (
            "/Aliases",
            json!({"Quantity": 2, "Items": ["a.example.com"]}),
            "InconsistentQuantities",
        ),
        (
            "/TrustedSigners",
            json!({"Enabled": true, "Quantity": 6, "Items": ["self", "111111111111", "222222222222", "333333333333", "444444444444", "555555555555"]}),
            "TooManyTrustedSigners",
        ),
    ] {
        let mut v = new_cfg.clone();
        *v.pointer_mut(field).expect("field") = value;
        let p = write(&dir, "invalid.json", &v);
        c.aws_err(&update_args(&id, Some(&etag2), &file_arg(&p)), code);
    }
    // An alias a web distribution already has.
    let web = write(
        &dir,
        "web.json",
        &json!({
            "CallerReference": "web-1", "Comment": "", "Enabled": true,
            "Aliases": {"Quantity": 1, "Items": ["www.example.com"]},
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example",
                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
        }),
    );
    c.aws_ok(&[
        "cloudfront",
        "create-distribution",
        "--distribution-config",
        &file_arg(&web),
    ]);
    let p = write(
        &dir,
        "clash.json",
        &config("s-2", Some("www.example.com"), true),
    );
    c.aws_err(
        &[
            "cloudfront",
            "create-streaming-distribution",
            "--streaming-distribution-config",
            &file_arg(&p),
        ],
        "CNAMEAlreadyExists",
    );
    // And the other way round: a web distribution cannot take a streaming alias.
    let mut web2: Value =
        serde_json::from_slice(&std::fs::read(&web).expect("read")).expect("json");
    web2["CallerReference"] = "web-2".into();
    web2["Aliases"] = json!({"Quantity": 1, "Items": ["rtmp.example.com"]});
    let web2 = write(&dir, "web2.json", &web2);
    c.aws_err(
        &[
            "cloudfront",
            "create-distribution",
            "--distribution-config",
            &file_arg(&web2),
        ],
        "CNAMEAlreadyExists",
    );
    // Refused writes changed nothing.
    let still = c.aws_ok(&["cloudfront", "get-streaming-distribution", "--id", &id]);
    assert_eq!(etag_of(&still), etag2);

    // Delete: enabled → 409; disabled → gone.
    c.aws_err(
        &[
            "cloudfront",
            "delete-streaming-distribution",
            "--id",
            &id,
            "--if-match",
            &etag2,
        ],
        "StreamingDistributionNotDisabled",
    );
    let mut off = new_cfg.clone();
    off["Enabled"] = false.into();
    let p = write(&dir, "off.json", &off);
    let disabled = c.aws_ok(&update_args(&id, Some(&etag2), &file_arg(&p)));
    let etag3 = etag_of(&disabled);
    c.aws_err(
        &["cloudfront", "delete-streaming-distribution", "--id", &id],
        "InvalidIfMatchVersion",
    );
    c.aws_err(
        &[
            "cloudfront",
            "delete-streaming-distribution",
            "--id",
            &id,
            "--if-match",
            &etag2,
        ],
        "PreconditionFailed",
    );
    let deleted = c.aws(&[
        "cloudfront",
        "delete-streaming-distribution",
        "--id",
        &id,
        "--if-match",
        &etag3,
    ]);
    assert!(deleted.status.success(), "{deleted:?}");
    for op in [
        "get-streaming-distribution",
        "get-streaming-distribution-config",
    ] {
        c.aws_err(
            &["cloudfront", op, "--id", &id],
            "NoSuchStreamingDistribution",
        );
    }
    c.aws_err(
        &[
            "cloudfront",
            "delete-streaming-distribution",
            "--id",
            "E0000000000000",
            "--if-match",
            "E1",
        ],
        "NoSuchStreamingDistribution",
    );
    c.aws_err(
        &update_args("E0000000000000", Some("E1"), &file_arg(&p)),
        "NoSuchStreamingDistribution",
    );
    // A web distribution's id is no streaming distribution, and the other way round.
    let webs = c.aws_ok(&["cloudfront", "list-distributions"]);
    let web_id = webs["DistributionList"]["Items"][0]["Id"]
        .as_str()
        .expect("web id")
        .to_owned();
    c.aws_err(
        &["cloudfront", "get-streaming-distribution", "--id", &web_id],
        "NoSuchStreamingDistribution",
    );
}

#[test]
fn tags_paging_and_persistence_with_boto3() {
    let mut c = Control::start();
    let out = c.boto3(
        r#"
import boto3, json
cf = boto3.client("cloudfront")
ids = []
for i in range(3):
    r = cf.create_streaming_distribution_with_tags(StreamingDistributionConfigWithTags={
        "StreamingDistributionConfig": {
            "CallerReference": "tagged-%d" % i,
            "S3Origin": {"DomainName": "127.0.0.1:%d" % (9000 + i), "OriginAccessIdentity": ""},
            "Comment": "n%d" % i,
            "TrustedSigners": {"Enabled": i == 0, "Quantity": 1 if i == 0 else 0,
                               **({"Items": ["self"]} if i == 0 else {})},
            "PriceClass": "PriceClass_100",
            "Enabled": True},
        "Tags": {"Items": [{"Key": "team", "Value": "video"}, {"Key": "n", "Value": str(i)}]}})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    ids.append(r["StreamingDistribution"]["Id"])
first = cf.list_streaming_distributions(MaxItems="2")["StreamingDistributionList"]
assert first["IsTruncated"] is True and first["Quantity"] == 2, first
second = cf.list_streaming_distributions(Marker=first["NextMarker"], MaxItems="2")["StreamingDistributionList"]
assert second["IsTruncated"] is False and second["Quantity"] == 1, second
paged = [s["Id"] for p in cf.get_paginator("list_streaming_distributions").paginate(PaginationConfig={"PageSize": 1}) for s in p["StreamingDistributionList"].get("Items", [])]
summary = first["Items"][0]
arn = cf.get_streaming_distribution(Id=ids[0])["StreamingDistribution"]["ARN"]
tags = cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"]
cf.tag_resource(Resource=arn, Tags={"Items": [{"Key": "n", "Value": "zero"}]})
cf.untag_resource(Resource=arn, TagKeys={"Items": ["team"]})
after = cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"]
signers = cf.get_streaming_distribution(Id=ids[0])["StreamingDistribution"]["ActiveTrustedSigners"]
print(json.dumps({"ids": ids, "paged": paged, "summary": summary, "tags": tags, "after": after,
                  "signers": signers, "arn": arn}, default=str))
"#,
    );
    let v: Value = serde_json::from_str(out.trim()).expect("script output");
    let mut ids: Vec<String> = v["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|i| i.as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    // Paged one by one, every distribution exactly once, in id order.
    assert_eq!(v["paged"], json!(ids));
    let summary = &v["summary"];
    assert_eq!(summary["Id"], ids[0]);
    assert_eq!(summary["PriceClass"], "PriceClass_100");
    assert_eq!(summary["Status"], "Deployed");
    assert!(summary["S3Origin"]["DomainName"]
        .as_str()
        .expect("origin")
        .starts_with("127.0.0.1:900"));
    let tags: Vec<(String, String)> = v["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or_default().to_owned(),
                t["Value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(tags.contains(&("team".into(), "video".into())), "{tags:?}");
    assert_eq!(v["after"], json!([{"Key": "n", "Value": "zero"}]));
    // With TrustedSigners enabled and no public key yet: the signer, no key pair.
    assert_eq!(
        v["signers"],
        json!({"Enabled": true, "Quantity": 1, "Items": [{"AwsAccountNumber": "self", "KeyPairIds": {"Quantity": 0}}]})
    );

    // The aws CLI's list pages through them all; a restarted control plane has them all.
    let listen = c.addr.to_string();
    let dir = c.dir.clone();
    c.kill();
    let c2 = Control::start_in(&dir, &listen);
    let all = c2.aws_ok(&[
        "cloudfront",
        "list-streaming-distributions",
        "--page-size",
        "1",
    ]);
    let listed: Vec<&str> = all["StreamingDistributionList"]["Items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| s["Id"].as_str().expect("id"))
        .collect();
    assert_eq!(listed, ids);
    let arn = v["arn"].as_str().expect("arn");
    let tags = c2.aws_ok(&["cloudfront", "list-tags-for-resource", "--resource", arn]);
    assert_eq!(
        tags["Tags"]["Items"],
        json!([{"Key": "n", "Value": "zero"}])
    );
}

/// `brink edge --control` as a child (stderr kept in a file for failures).
struct FedEdge {
    child: Child,
}

impl FedEdge {
    fn start(control: &Control, state: &Path) -> FedEdge {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["edge", "--control", &control.url(), "--control-token-file"])
            .arg(control.dir.join("edge-token"))
            .arg("--state-dir")
            .arg(state)
            .args([
                "--pop",
                "TST50-C1",
                "--cdn-domain",
                "cdn.test",
                "--threads",
                "1",
                "--listen",
                "127.0.0.1:0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn edge");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        assert!(line.starts_with("brink ready listen="), "{line:?}");
        FedEdge { child }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }
}

impl Drop for FedEdge {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

fn status(c: &Control, id: &str) -> String {
    let v = c.aws_ok(&["cloudfront", "get-streaming-distribution", "--id", id]);
    sd(&v)["Status"].as_str().expect("Status").to_owned()
}

#[test]
fn deployed_once_the_edge_serves_it_and_the_waiter_sees_it() {
    let c = Control::start();
    let dir = temp_dir("stream-fed");
    let state = dir.join("edge");
    let edge = FedEdge::start(&c, &state);
    // The edge has reported (it is live): a change now waits for it.
    assert!(eventually(Duration::from_secs(30), || edge_known(&c)));
    let created = create(&c, &dir, &config("fed-1", Some("live.example.com"), true));
    let id = id_of(&created);
    let domain = sd(&created)["DomainName"]
        .as_str()
        .expect("domain")
        .to_owned();
    let wait = c.aws(&[
        "cloudfront",
        "wait",
        "streaming-distribution-deployed",
        "--id",
        &id,
    ]);
    assert!(wait.status.success(), "{wait:?}");
    assert_eq!(status(&c, &id), "Deployed");
    // What the edge applied (and keeps for a restart) lists it under StreamingDistributions,
    // in get-streaming-distribution's shape.
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("config.json")).expect("kept document"),
    )
    .expect("document JSON");
    let entry = &doc["StreamingDistributions"][0];
    assert_eq!(entry["Id"], id);
    assert_eq!(entry["DomainName"], domain);
    assert_eq!(
        entry["StreamingDistributionConfig"]["Aliases"]["Items"],
        json!(["live.example.com"])
    );

    // A stopped (but still live) edge holds an update InProgress; once it runs again it
    // applies and reports the new version, and the distribution is Deployed.
    edge.signal("STOP");
    let got = c.aws_ok(&[
        "cloudfront",
        "get-streaming-distribution-config",
        "--id",
        &id,
    ]);
    let mut cfg = got["StreamingDistributionConfig"].clone();
    cfg["Comment"] = "v2".into();
    let p = write(&dir, "v2.json", &cfg);
    let updated = c.aws_ok(&update_args(&id, Some(&etag_of(&got)), &file_arg(&p)));
    assert_eq!(sd(&updated)["Status"], "InProgress");
    assert_eq!(status(&c, &id), "InProgress");
    edge.signal("CONT");
    assert!(
        eventually(Duration::from_secs(30), || status(&c, &id) == "Deployed"),
        "never Deployed after the edge resumed"
    );
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("config.json")).expect("kept document"),
    )
    .expect("document JSON");
    assert_eq!(
        doc["StreamingDistributions"][0]["StreamingDistributionConfig"]["Comment"],
        "v2"
    );
}

/// Whether the control plane lists an edge that has reported.
fn edge_known(c: &Control) -> bool {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "-H"])
        .arg(format!("Authorization: Bearer {}", c.token))
        .arg(format!("{}/brink/v1/edges", c.url()))
        .output()
        .expect("curl");
    serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|v| v["edges"].as_array().map(|e| !e.is_empty()))
        .unwrap_or(false)
}

/// An edge file with a web distribution and a streaming one, as the aws CLI prints them.
fn edge_file(streaming_cfg: Value) -> Value {
    json!({
        "Distributions": [{
            "Id": "EWEB1",
            "DistributionConfig": {
                "CallerReference": "web", "Enabled": true,
                "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1",
                    "CustomOriginConfig": {"HTTPPort": 8080, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
                "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
            }
        }],
        "StreamingDistributions": [{
            "Id": "ESTREAM1",
            "ARN": "arn:aws:cloudfront::123456789012:streaming-distribution/ESTREAM1",
            "DomainName": "s5c39gqb8ow64r.cdn.test",
            "StreamingDistributionConfig": streaming_cfg
        }]
    })
}

#[test]
fn brink_edge_config_reads_streaming_distributions_and_names_a_broken_field() {
    let dir = temp_dir("stream-edge");
    let good = write(
        &dir,
        "good.json",
        &edge_file(config("file-1", Some("rtmp.example.com"), true)),
    );
    let run = |file: &Path| {
        Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["edge", "--check", "--config"])
            .arg(file)
            .output()
            .expect("brink edge --check")
    };
    let out = run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("config OK"));

    // So does the shipped example.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/edge/streaming.json");
    let out = run(&example);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A normal start loads it too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "edge",
            "--listen",
            "127.0.0.1:0",
            "--threads",
            "1",
            "--config",
        ])
        .arg(&good)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn edge");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("brink ready listen="), "{line:?}");

    // Broken ones: exit 64, CloudFront's code and the field's path, no panic.
    let mut bad_oai = config("file-1", None, true);
    bad_oai["S3Origin"]["OriginAccessIdentity"] = "E2OAI".into();
    let clash = config("file-1", Some("*.com"), true);
    let mut unknown = config("file-1", None, true);
    unknown["S3Origin"]["Bucket"] = "media".into();
    for (cfg, code, path) in [
        (
            bad_oai,
            "InvalidOriginAccessIdentity",
            "StreamingDistributions[0].StreamingDistributionConfig.S3Origin.OriginAccessIdentity",
        ),
        (
            clash,
            "InvalidArgument",
            "StreamingDistributions[0].StreamingDistributionConfig.Aliases.Items[0]",
        ),
        (
            unknown,
            "InvalidArgument",
            "StreamingDistributions[0].StreamingDistributionConfig.S3Origin",
        ),
    ] {
        let p = write(&dir, "bad.json", &edge_file(cfg));
        let out = run(&p);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{err}");
        assert!(
            err.contains(code) && err.contains(path),
            "{code} {path}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

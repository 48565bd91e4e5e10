//! `brink origin`, the embedded S3-compatible origin store (issue 11), driven by the real aws
//! CLI, boto3 and botocore-signed requests over sockets: round trips (multipart included),
//! ranges, conditionals, listing with paging, origin access control through bucket policies,
//! and hostile input.

use std::time::Duration;

use crate::testkit::pseudo_random_bytes;
use crate::testkit::raw::exchange;
use crate::testkit::s3store::{S3Store, ACCOUNT};

fn dist_arn(id: &str) -> String {
    format!("arn:aws:cloudfront::{ACCOUNT}:distribution/{id}")
}

/// The bucket policy CloudFront's console generates for an origin access control, verbatim
/// in shape.
fn oac_policy(bucket: &str, distribution: &str) -> String {
    format!(
        r#"{{
    "Version": "2008-10-17",
    "Id": "PolicyForCloudFrontPrivateContent",
    "Statement": [
        {{
            "Sid": "AllowCloudFrontServicePrincipal",
            "Effect": "Allow",
            "Principal": {{
                "Service": "cloudfront.amazonaws.com"
            }},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::{bucket}/*",
            "Condition": {{
                "StringEquals": {{
                    "AWS:SourceArn": "{}"
                }}
            }}
        }}
    ]
}}"#,
        dist_arn(distribution)
    )
}

/// `/bucket/key` with the key percent-encoded as S3 clients do (RFC 3986 unreserved and `/`
/// kept).
fn s3_path(bucket: &str, key: &str) -> String {
    let mut out = format!("/{bucket}/");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sha256_hex(data: &[u8]) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().expect("stdin").write_all(data)?;
            c.wait_with_output()
        })
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_round_trips_objects_multipart_and_ranges() {
    tokio::task::block_in_place(|| {
        let mut s3 = S3Store::start();
        let work = s3.dir.join("work");
        std::fs::create_dir_all(&work).expect("work dir");
        let p = |name: &str| work.join(name).to_string_lossy().into_owned();
        s3.aws_ok(&["s3", "mb", "s3://media"]);
        assert!(s3.aws_ok(&["s3", "ls"]).contains("media"));

        // Over the CLI's 8 MiB multipart threshold: two parts.
        let big = pseudo_random_bytes(9 * 1024 * 1024 + 123, 11);
        std::fs::write(p("big.bin"), &big).expect("big");
        let small_key = "dir/a b+c ü.txt";
        std::fs::write(p("small.txt"), "small object\n").expect("small");
        s3.aws_ok(&["s3", "cp", &p("big.bin"), "s3://media/big.bin"]);
        s3.aws_ok(&[
            "s3",
            "cp",
            &p("small.txt"),
            &format!("s3://media/{small_key}"),
            "--cache-control",
            "max-age=60",
            "--content-type",
            "text/plain; charset=utf-8",
        ]);
        let listing = s3.aws_ok(&["s3", "ls", "--recursive", "s3://media"]);
        assert!(listing.contains("big.bin"), "{listing}");
        assert!(listing.contains(small_key), "{listing}");
        assert!(listing.contains(&big.len().to_string()), "{listing}");

        s3.aws_ok(&["s3", "cp", "s3://media/big.bin", &p("back.bin")]);
        let back = std::fs::read(p("back.bin")).expect("back");
        assert_eq!(sha256_hex(&back), sha256_hex(&big));
        assert_eq!(back.len(), big.len());

        let head = s3.aws_json(&[
            "s3api",
            "head-object",
            "--bucket",
            "media",
            "--key",
            "big.bin",
        ]);
        assert_eq!(head["ContentLength"], big.len());
        let etag = head["ETag"].as_str().expect("etag");
        assert!(
            etag.ends_with("-2\""),
            "multipart ETag md5-of-md5s-2: {etag}"
        );
        let head = s3.aws_json(&[
            "s3api",
            "head-object",
            "--bucket",
            "media",
            "--key",
            small_key,
        ]);
        assert_eq!(head["CacheControl"], "max-age=60");
        assert_eq!(head["ContentType"], "text/plain; charset=utf-8");
        assert_eq!(head["ETag"], format!("\"{}\"", md5_hex(b"small object\n")));

        let got = s3.aws_json(&[
            "s3api",
            "get-object",
            "--bucket",
            "media",
            "--key",
            "big.bin",
            "--range",
            "bytes=1000-1999",
            &p("range.bin"),
        ]);
        assert_eq!(
            got["ContentRange"],
            format!("bytes 1000-1999/{}", big.len())
        );
        assert_eq!(got["ContentLength"], 1000);
        assert_eq!(
            std::fs::read(p("range.bin")).expect("range"),
            &big[1000..2000]
        );

        s3.aws_ok(&["s3", "rm", "s3://media/big.bin"]);
        let err = s3.aws_err(
            &[
                "s3api",
                "head-object",
                "--bucket",
                "media",
                "--key",
                "big.bin",
            ],
            &[],
            "404",
        );
        assert!(err.contains("Not Found"), "{err}");
        s3.aws_err(&["s3", "rb", "s3://media"], &[], "BucketNotEmpty");
        s3.aws_ok(&["s3", "rm", &format!("s3://media/{small_key}")]);
        s3.aws_ok(&["s3", "rb", "s3://media"]);
        assert!(!s3.aws_ok(&["s3", "ls"]).contains("media"));
        // Nothing left behind: no temp files, no upload directories.
        let leftovers = |d: &str| std::fs::read_dir(s3.data_dir().join(d)).expect(d).count();
        assert_eq!(leftovers("tmp"), 0);
        assert_eq!(leftovers("uploads"), 0);
        assert!(
            s3.terminate(),
            "SIGTERM: clean exit; stderr: {}",
            s3.stderr()
        );
    });
}

fn md5_hex(data: &[u8]) -> String {
    let out = std::process::Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().expect("stdin").write_all(data)?;
            c.wait_with_output()
        })
        .expect("md5sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_conditionals_metadata_odd_keys_and_paging() {
    tokio::task::block_in_place(|| {
        let s3 = S3Store::start();
        let out = s3.boto3(
            r#"
import boto3, json, datetime
from botocore.exceptions import ClientError
c = boto3.client("s3")
c.create_bucket(Bucket="bkt")
put = c.put_object(Bucket="bkt", Key="doc.txt", Body=b"0123456789abcdef",
                   ContentType="text/plain", CacheControl="public, max-age=300",
                   Metadata={"Owner": "ops", "x": "1"})
etag = put["ETag"]
g = c.get_object(Bucket="bkt", Key="doc.txt")
out = {"etag": etag, "body": g["Body"].read().decode(), "ct": g["ContentType"],
       "cc": g["CacheControl"], "meta": g["Metadata"], "lm": g["LastModified"].isoformat()}
def status(**kw):
    try:
        r = c.get_object(Bucket="bkt", Key="doc.txt", **kw)
        return [r["ResponseMetadata"]["HTTPStatusCode"], r["Body"].read().decode()]
    except ClientError as e:
        return [int(e.response["ResponseMetadata"]["HTTPStatusCode"]), e.response["Error"]["Code"]]
future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
out["inm_match"] = status(IfNoneMatch=etag)
out["inm_other"] = status(IfNoneMatch='"nope"')
out["ims_future"] = status(IfModifiedSince=future)
out["ims_past"] = status(IfModifiedSince=past)
out["im_wrong"] = status(IfMatch='"nope"')
out["im_right"] = status(IfMatch=etag)
out["ius_past"] = status(IfUnmodifiedSince=past)
out["suffix"] = status(Range="bytes=-4")
out["open"] = status(Range="bytes=10-")
out["unsatisfiable"] = status(Range="bytes=100-200")
try:
    c.head_object(Bucket="bkt", Key="doc.txt", IfNoneMatch=etag)
    out["head_inm"] = 200
except ClientError as e:
    out["head_inm"] = int(e.response["Error"]["Code"])
    out["cc_304"] = e.response["ResponseMetadata"]["HTTPHeaders"].get("cache-control")
keys = ["plus+sign", "with space", "ünïcödé/ключ", "pct%41", "a/1", "a/2", "a/b/3", "z"]
for k in keys:
    c.put_object(Bucket="bkt", Key=k, Body=k.encode())
out["odd"] = {k: c.get_object(Bucket="bkt", Key=k)["Body"].read().decode() for k in keys}
pages = c.get_paginator("list_objects_v2").paginate(Bucket="bkt", PaginationConfig={"PageSize": 2})
flat = []
npages = 0
for p in pages:
    npages += 1
    flat += [o["Key"] for o in p.get("Contents", [])]
out["flat"] = flat
out["flat_pages"] = npages
pages = c.get_paginator("list_objects_v2").paginate(Bucket="bkt", Delimiter="/", PaginationConfig={"PageSize": 2})
rolled = []
for p in pages:
    rolled += [o["Key"] for o in p.get("Contents", [])]
    rolled += [cp["Prefix"] for cp in p.get("CommonPrefixes", [])]
out["rolled"] = rolled
sub = c.list_objects_v2(Bucket="bkt", Prefix="a/", Delimiter="/")
out["sub"] = [o["Key"] for o in sub.get("Contents", [])] + [p["Prefix"] for p in sub.get("CommonPrefixes", [])]
out["start_after"] = [o["Key"] for o in c.list_objects_v2(Bucket="bkt", StartAfter="pct%41")["Contents"]]
v1 = []
for p in c.get_paginator("list_objects").paginate(Bucket="bkt", PaginationConfig={"PageSize": 3}):
    v1 += [o["Key"] for o in p.get("Contents", [])]
out["v1"] = v1
import urllib.request
url = c.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "plus+sign"}, ExpiresIn=300)
out["presigned"] = urllib.request.urlopen(url, timeout=30).read().decode()
print(json.dumps(out))
"#,
        );
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        assert_eq!(v["etag"], format!("\"{}\"", md5_hex(b"0123456789abcdef")));
        assert_eq!(v["body"], "0123456789abcdef");
        assert_eq!(v["ct"], "text/plain");
        assert_eq!(v["cc"], "public, max-age=300");
        assert_eq!(v["meta"], serde_json::json!({"owner": "ops", "x": "1"}));
        assert_eq!(v["inm_match"], serde_json::json!([304, "304"]));
        assert_eq!(v["inm_other"], serde_json::json!([200, "0123456789abcdef"]));
        assert_eq!(v["ims_future"], serde_json::json!([304, "304"]));
        assert_eq!(v["ims_past"], serde_json::json!([200, "0123456789abcdef"]));
        assert_eq!(
            v["im_wrong"],
            serde_json::json!([412, "PreconditionFailed"])
        );
        assert_eq!(v["im_right"], serde_json::json!([200, "0123456789abcdef"]));
        assert_eq!(
            v["ius_past"],
            serde_json::json!([412, "PreconditionFailed"])
        );
        assert_eq!(v["suffix"], serde_json::json!([206, "cdef"]));
        assert_eq!(v["open"], serde_json::json!([206, "abcdef"]));
        assert_eq!(v["unsatisfiable"], serde_json::json!([416, "InvalidRange"]));
        assert_eq!(v["head_inm"], 304);
        assert_eq!(
            v["cc_304"], "public, max-age=300",
            "a 304 carries Cache-Control"
        );
        for (k, body) in v["odd"].as_object().expect("odd") {
            assert_eq!(body.as_str(), Some(k.as_str()), "key {k:?} round-trips");
        }
        let all = [
            "a/1",
            "a/2",
            "a/b/3",
            "doc.txt",
            "pct%41",
            "plus+sign",
            "with space",
            "z",
            "ünïcödé/ключ",
        ];
        assert_eq!(
            v["flat"],
            serde_json::json!(all),
            "every key once, in UTF-8 byte order"
        );
        assert_eq!(v["flat_pages"], 5);
        // Within a page, boto3 gives contents and prefixes apart: compare as sorted lists.
        let mut rolled: Vec<String> = v["rolled"]
            .as_array()
            .expect("rolled")
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect();
        rolled.sort();
        assert_eq!(
            rolled,
            [
                "a/",
                "doc.txt",
                "pct%41",
                "plus+sign",
                "with space",
                "z",
                "ünïcödé/"
            ],
            "each key or common prefix once"
        );
        assert_eq!(v["sub"], serde_json::json!(["a/1", "a/2", "a/b/"]));
        assert_eq!(
            v["v1"],
            serde_json::json!(all),
            "ListObjects (v1) pages with markers"
        );
        assert_eq!(
            v["start_after"],
            serde_json::json!(["plus+sign", "with space", "z", "ünïcödé/ключ"])
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_distribution_named_by_the_bucket_policy_reads_through_the_cdn_credential() {
    tokio::task::block_in_place(|| {
        let s3 = S3Store::start();
        let work = s3.dir.join("work");
        std::fs::create_dir_all(&work).expect("work dir");
        let file = work.join("page.html");
        std::fs::write(&file, "<h1>private</h1>\n").expect("file");
        s3.aws_ok(&["s3", "mb", "s3://private"]);
        let odd_key = "docs/a b+c ü.html";
        for key in ["index.html", odd_key] {
            s3.aws_ok(&[
                "s3",
                "cp",
                &file.to_string_lossy(),
                &format!("s3://private/{key}"),
            ]);
        }
        let mine = dist_arn("E1MINE00000001");
        let other = dist_arn("E2OTHER0000002");
        let index = s3_path("private", "index.html");

        // A direct unsigned GET: AccessDenied, S3's XML error.
        let curl = std::process::Command::new("curl")
            .args(["-s", "--max-time", "10", "-w", "\n%{http_code}"])
            .arg(format!("{}{index}", s3.url()))
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&curl.stdout);
        assert!(text.ends_with("\n403"), "{text}");
        assert!(text.contains("<Code>AccessDenied</Code>"), "{text}");

        // No policy yet: the CDN's credential is refused too.
        let (st, _) = s3.cdn_request("GET", &index, Some(&mine), true, "");
        assert_eq!(st, 403, "no bucket policy → AccessDenied");

        let policy = oac_policy("private", "E1MINE00000001");
        s3.aws_ok(&[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "private",
            "--policy",
            &policy,
        ]);
        let got = s3.aws_json(&["s3api", "get-bucket-policy", "--bucket", "private"]);
        assert_eq!(got["Policy"], policy, "stored as put");

        let (st, body) = s3.cdn_request("GET", &index, Some(&mine), true, "");
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(body, b"<h1>private</h1>\n");
        let (st, body) = s3.cdn_request("GET", &s3_path("private", odd_key), Some(&mine), true, "");
        assert_eq!(
            (st, body.as_slice()),
            (200, &b"<h1>private</h1>\n"[..]),
            "key with + space ü"
        );
        let (st, body) = s3.cdn_request("HEAD", &index, Some(&mine), true, "");
        assert_eq!((st, body.len()), (200, 0));

        let (st, body) = s3.cdn_request("GET", &index, Some(&other), true, "");
        assert_eq!(st, 403, "another distribution");
        assert!(String::from_utf8_lossy(&body).contains("AccessDenied"));
        let (st, _) = s3.cdn_request("GET", &index, None, true, "");
        assert_eq!(st, 403, "no source ARN");
        let (st, _) = s3.cdn_request("GET", &index, Some(&mine), false, "");
        assert_eq!(st, 403, "a source ARN outside SignedHeaders is ignored");
        let (st, _) = s3.cdn_request(
            "PUT",
            &s3_path("private", "new.txt"),
            Some(&mine),
            true,
            "x",
        );
        assert_eq!(st, 403, "the policy grants s3:GetObject only");
        let (st, _) = s3.cdn_request("GET", "/private", Some(&mine), true, "");
        assert_eq!(st, 403, "listing is not granted");
        let curl = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "--max-time",
                "10",
                "-w",
                "%{http_code}",
            ])
            .arg(format!("{}{index}", s3.url()))
            .output()
            .expect("curl");
        assert_eq!(
            String::from_utf8_lossy(&curl.stdout),
            "403",
            "still private to anonymous"
        );
        // The owner signs as well: same request, owner's key, full access.
        let (st, _) = s3.signed_request(
            &s3.owner,
            "PUT",
            &s3_path("private", "new.txt"),
            None,
            true,
            "x",
        );
        assert_eq!(st, 200);

        // Transfer acceleration: the edge forwards `Host: <bucket>.s3-accelerate.<domain>`
        // unchanged; the store reads the bucket from it (virtual-hosted style).
        let accel = format!("private.s3-accelerate.cdn.test:{}", s3.addr.port());
        let (st, body) = s3.signed_request_to(
            &s3.owner,
            &accel,
            "PUT",
            "/accel/%C3%BC%20%2B.txt",
            None,
            true,
            "fast",
        );
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
        let (st, body) = s3.signed_request(
            &s3.owner,
            "GET",
            &s3_path("private", "accel/ü +.txt"),
            None,
            true,
            "",
        );
        assert_eq!(
            (st, body.as_slice()),
            (200, &b"fast"[..]),
            "landed in the bucket"
        );
        let (st, _) = s3.signed_request_to(
            &s3.owner,
            &accel,
            "GET",
            "/index.html",
            Some(&mine),
            true,
            "",
        );
        assert_eq!(st, 200, "virtual-hosted GET");

        // A public-read policy lets anonymous requests in, for the objects it names only.
        s3.aws_ok(&["s3", "mb", "s3://public-site"]);
        s3.aws_ok(&[
            "s3",
            "cp",
            &file.to_string_lossy(),
            "s3://public-site/www/index.html",
        ]);
        s3.aws_ok(&[
            "s3",
            "cp",
            &file.to_string_lossy(),
            "s3://public-site/private.html",
        ]);
        let public = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead",
            "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::public-site/www/*"]}]}"#;
        s3.aws_ok(&[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "public-site",
            "--policy",
            public,
        ]);
        let anonymous = |path: &str| {
            let out = std::process::Command::new("curl")
                .args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "--max-time",
                    "10",
                    "-w",
                    "%{http_code}",
                ])
                .arg(format!("{}{path}", s3.url()))
                .output()
                .expect("curl");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        assert_eq!(anonymous("/public-site/www/index.html"), "200");
        assert_eq!(anonymous("/public-site/private.html"), "403");
        assert_eq!(anonymous("/public-site"), "403", "listing not granted");

        s3.aws_ok(&["s3api", "delete-bucket-policy", "--bucket", "private"]);
        let (st, _) = s3.cdn_request("GET", &index, Some(&mine), true, "");
        assert_eq!(st, 403, "policy removed");
        s3.aws_err(
            &["s3api", "get-bucket-policy", "--bucket", "private"],
            &[],
            "NoSuchBucketPolicy",
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_clean_4xx_and_nothing_is_written_outside_the_data_dir() {
    let s3 = tokio::task::block_in_place(S3Store::start);
    tokio::task::block_in_place(|| {
        s3.aws_ok(&["s3", "mb", "s3://box"]);
        s3.aws_err(
            &["s3", "ls", "s3://box"],
            &[("AWS_SECRET_ACCESS_KEY", "wrong")],
            "SignatureDoesNotMatch",
        );
        s3.aws_err(
            &["s3", "ls", "s3://box"],
            &[("AWS_ACCESS_KEY_ID", "AKIANOBODY0000000000")],
            "InvalidAccessKeyId",
        );
        // The CDN's credential cannot act as the owner.
        s3.aws_err(
            &["s3", "ls", "s3://box"],
            &[
                ("AWS_ACCESS_KEY_ID", s3.cdn.0.as_str()),
                ("AWS_SECRET_ACCESS_KEY", s3.cdn.1.as_str()),
            ],
            "AccessDenied",
        );
        s3.aws_err(
            &[
                "s3api",
                "put-bucket-policy",
                "--bucket",
                "box",
                "--policy",
                "{\"Statement\": 1}",
            ],
            &[],
            "MalformedPolicy",
        );
        s3.aws_err(
            &[
                "s3api",
                "put-bucket-policy",
                "--bucket",
                "box",
                "--policy",
                &oac_policy("another-bucket", "E1"),
            ],
            &[],
            "MalformedPolicy",
        );
        // Keys that look like paths out of the bucket are just keys.
        let out = s3.boto3(
            r#"
import boto3, json
from botocore.exceptions import ClientError
c = boto3.client("s3")
keys = ["../../escape-origin-test.txt", "a/../../../escape-origin-test-2.txt", "..", "./.", "a//b"]
got = {}
for k in keys:
    c.put_object(Bucket="box", Key=k, Body=k.encode())
    got[k] = c.get_object(Bucket="box", Key=k)["Body"].read().decode()
got["listed"] = [o["Key"] for o in c.list_objects_v2(Bucket="box")["Contents"]]
try:
    c.put_object(Bucket="box", Key="md5", Body=b"abc", ContentMD5="kAFQmDzST7DWlj99KOF/cA==")
    got["bad_md5"] = "stored"
except ClientError as e:
    got["bad_md5"] = e.response["Error"]["Code"]
try:
    c.head_object(Bucket="box", Key="md5")
    got["md5_stored"] = True
except ClientError as e:
    got["md5_stored"] = False
c.put_object(Bucket="box", Key="md5", Body=b"abc", ContentMD5="kAFQmDzST7DWlj99KOF/cg==")
got["good_md5"] = c.get_object(Bucket="box", Key="md5")["Body"].read().decode()
try:
    c.put_object(Bucket="box", Key="meta", Body=b"x", Metadata={"big": "m" * 3000})
    got["big_meta"] = "stored"
except ClientError as e:
    got["big_meta"] = e.response["Error"]["Code"]
print(json.dumps(got))
"#,
        );
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        for k in [
            "../../escape-origin-test.txt",
            "a/../../../escape-origin-test-2.txt",
            "..",
            "./.",
            "a//b",
        ] {
            assert_eq!(v[k], k, "{v}");
        }
        assert_eq!(v["listed"].as_array().map(Vec::len), Some(5), "{v}");
        assert_eq!(v["bad_md5"], "BadDigest", "a wrong Content-MD5 is refused");
        assert_eq!(v["md5_stored"], false, "and nothing was stored");
        assert_eq!(v["good_md5"], "abc");
        assert_eq!(v["big_meta"], "MetadataTooLarge");
    });
    // Raw requests a client library would not send: dot segments kept, a huge head.
    let put = b"PUT /box/../../../escape-raw.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
    let r = exchange(s3.addr, put, Duration::from_secs(10)).await;
    let status = r.status().unwrap_or(0);
    assert!((400..500).contains(&status), "{}", r.describe());
    let mut huge = b"GET /box/k HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..2000 {
        huge.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(60)).as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    let r = exchange(s3.addr, &huge, Duration::from_secs(10)).await;
    assert_eq!(r.status(), Some(431), "{}", r.describe());
    let bad_bucket = b"GET /Not_A..Bucket/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let r = exchange(s3.addr, bad_bucket, Duration::from_secs(10)).await;
    let status = r.status().unwrap_or(0);
    assert!((400..500).contains(&status), "{}", r.describe());

    // Nothing named like the hostile keys anywhere around the store.
    let mut stack = vec![s3.dir.clone(), std::env::temp_dir()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with("escape-"),
                "{} written",
                e.path().display()
            );
            seen += 1;
            if e.path().starts_with(&s3.dir) && e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(e.path());
            }
        }
    }
    assert!(seen > 5);
    let mut s3 = s3;
    assert!(s3.is_running(), "still serving; stderr: {}", s3.stderr());
}

#[test]
fn configuration_mistakes_name_the_flag_and_exit_64() {
    let dir = crate::testkit::control::temp_dir("origin-config");
    std::fs::write(
        dir.join("owner"),
        "aws_access_key_id=AKIAX\naws_secret_access_key=s\n",
    )
    .expect("owner");
    std::fs::write(dir.join("cdn.json"), "{\"AccessKeyId\": \"AKIAX\"}").expect("cdn");
    std::fs::write(
        dir.join("same.json"),
        r#"{"AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#,
    )
    .expect("same");
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["origin", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .args(extra)
            .output()
            .expect("brink origin");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let owner = dir.join("owner").to_string_lossy().into_owned();
    let cases: [(Vec<String>, &str); 4] = [
        (
            vec![
                "--credentials".into(),
                dir.join("missing").to_string_lossy().into(),
            ],
            "--credentials",
        ),
        (
            vec![
                "--credentials".into(),
                owner.clone(),
                "--cdn-credentials".into(),
                dir.join("cdn.json").to_string_lossy().into(),
            ],
            "--cdn-credentials",
        ),
        (
            vec![
                "--credentials".into(),
                owner.clone(),
                "--cdn-credentials".into(),
                dir.join("same.json").to_string_lossy().into(),
            ],
            "must not be the owner's key pair",
        ),
        (
            vec![
                "--credentials".into(),
                owner,
                "--vhost-domain".into(),
                "bad domain".into(),
            ],
            "--vhost-domain",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, err) = run(&args);
        assert_eq!(code, Some(64), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// A write is all or nothing: while a PUT's body is still arriving, readers see the previous
/// object; a PUT cut off midway leaves it in place and nothing behind in `DIR/tmp`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_written_object_is_never_visible() {
    use tokio::io::AsyncWriteExt as _;
    let s3 = tokio::task::block_in_place(S3Store::start);
    let public_rw = r#"{"Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::atomic/*"}]}"#;
    tokio::task::block_in_place(|| {
        s3.aws_ok(&["s3", "mb", "s3://atomic"]);
        s3.aws_ok(&[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "atomic",
            "--policy",
            public_rw,
        ]);
    });
    let get = |s3: &S3Store| {
        let out = std::process::Command::new("curl")
            .args(["-s", "--max-time", "10", "-w", "\n%{http_code}"])
            .arg(format!("{}/atomic/obj", s3.url()))
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let old = "old version";
    let put = format!(
        "PUT /atomic/obj HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{old}",
        old.len()
    );
    let r = exchange(s3.addr, put.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(r.status(), Some(200), "{}", r.describe());

    // 1 MiB announced, half sent, connection held open.
    let mut conn = tokio::net::TcpStream::connect(s3.addr)
        .await
        .expect("connect");
    conn.write_all(b"PUT /atomic/obj HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
        .await
        .expect("head");
    conn.write_all(&vec![b'n'; 512 * 1024])
        .await
        .expect("half the body");
    conn.flush().await.expect("flush");
    let tmp = s3.data_dir().join("tmp");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&tmp).expect("tmp").count() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the PUT never started writing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = tokio::task::block_in_place(|| get(&s3));
    assert_eq!(
        seen,
        format!("{old}\n200"),
        "readers see the previous object"
    );

    drop(conn);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&tmp).expect("tmp").count() != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "temp file left behind"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = tokio::task::block_in_place(|| get(&s3));
    assert_eq!(seen, format!("{old}\n200"), "a cut-off PUT changes nothing");
}

//! Mistakes in a distribution file, through the real binary. Each one is made in the example
//! file (`examples/edge/two-distributions.json`) and given to `brink edge --check --config`
//! (a few to a normal start): the process exits 64 and stderr names CloudFront's error code
//! and the field's path, without a panic. A running edge that is handed a broken file (by a
//! change to it, or SIGHUP) keeps serving its distributions and its cache, and logs why.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};

use crate::testkit::*;

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const D0: &str = "Distributions[0].DistributionConfig";

/// A file under the system temp dir, removed on drop.
struct TempFile(PathBuf);
impl TempFile {
    fn new(ext: &str, text: &str) -> TempFile {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!(
            "brink-it-bad-{}-{n}-{:x}.{ext}",
            std::process::id(),
            unique()
        ));
        std::fs::write(&p, text).expect("write config");
        TempFile(p)
    }
}
impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Distinct enough file names for tests running in parallel within one nanosecond.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn example(web_port: u16, api_port: u16) -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/edge/two-distributions.json"
    ))
    .expect("example config")
    .replace("\"HTTPPort\": 8080", &format!("\"HTTPPort\": {web_port}"))
    .replace("\"HTTPPort\": 8081", &format!("\"HTTPPort\": {api_port}"));
    serde_json::from_str(&text).expect("example is JSON")
}

/// The first distribution's `DistributionConfig`.
fn d0(f: &mut Value) -> &mut Value {
    &mut f["Distributions"][0]["DistributionConfig"]
}

fn origin(f: &mut Value, i: usize) -> &mut Value {
    &mut d0(f)["Origins"]["Items"][i]
}

fn custom_policy(min: u64, default: u64, max: u64) -> Value {
    json!([{
        "Id": "11111111-1111-1111-1111-111111111111",
        "CachePolicyConfig": {
            "Name": "mine", "MinTTL": min, "DefaultTTL": default, "MaxTTL": max,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": true,
                "HeadersConfig": {"HeaderBehavior": "none"},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "none"}
            }
        }
    }])
}

fn group(members: &[&str], codes: &[u16]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"OriginId": m})).collect();
    json!({"Quantity": 1, "Items": [{
        "Id": "group",
        "FailoverCriteria": {"StatusCodes": {"Quantity": codes.len(), "Items": codes}},
        "Members": {"Quantity": members.len(), "Items": members}
    }]})
}

/// One mistake: what to break, and the code and path CloudFront would answer with.
struct Mistake {
    name: &'static str,
    make: fn(&mut Value),
    code: &'static str,
    path: String,
}

fn mistakes() -> Vec<Mistake> {
    let m = |name, make, code, path: &str| Mistake {
        name,
        make,
        code,
        path: path.replace("D0", D0),
    };
    vec![
        m(
            "TTLs out of order in a cache policy",
            |f| {
                f["CachePolicies"] = custom_policy(100, 10, 1000);
                d0(f)["DefaultCacheBehavior"]["CachePolicyId"] =
                    json!("11111111-1111-1111-1111-111111111111");
            },
            "InvalidTTLOrder",
            "CachePolicies[0].CachePolicyConfig.DefaultTTL",
        ),
        m(
            "TTLs out of order in a legacy behavior",
            |f| {
                let b = &mut d0(f)["DefaultCacheBehavior"];
                b.as_object_mut().map(|o| o.remove("CachePolicyId"));
                b["ForwardedValues"] = json!({"QueryString": false, "Cookies": {"Forward": "none"}});
                b["MinTTL"] = json!(0);
                b["DefaultTTL"] = json!(5000);
                b["MaxTTL"] = json!(100);
            },
            "InvalidTTLOrder",
            "D0.DefaultCacheBehavior.",
        ),
        m(
            "unknown TargetOriginId",
            |f| d0(f)["CacheBehaviors"]["Items"][1]["TargetOriginId"] = json!("nowhere"),
            "NoSuchOrigin",
            "D0.CacheBehaviors.Items[1].TargetOriginId",
        ),
        m(
            "origin without S3OriginConfig or CustomOriginConfig",
            |f| {
                origin(f, 1)
                    .as_object_mut()
                    .map(|o| o.remove("CustomOriginConfig"));
            },
            "InvalidOrigin",
            "D0.Origins.Items[1]",
        ),
        m(
            "origin with both S3OriginConfig and CustomOriginConfig",
            |f| origin(f, 1)["S3OriginConfig"] = json!({"OriginAccessIdentity": ""}),
            "InvalidOrigin",
            "D0.Origins.Items[1]",
        ),
        m(
            "DefaultRootObject starting with /",
            |f| d0(f)["DefaultRootObject"] = json!("/index.html"),
            "InvalidDefaultRootObject",
            "D0.DefaultRootObject",
        ),
        m(
            "custom error response for 200",
            |f| d0(f)["CustomErrorResponses"]["Items"][0]["ErrorCode"] = json!(200),
            "InvalidErrorCode",
            "D0.CustomErrorResponses.Items[0].ErrorCode",
        ),
        m(
            "ResponseCode 299",
            |f| d0(f)["CustomErrorResponses"]["Items"][0]["ResponseCode"] = json!("299"),
            "InvalidResponseCode",
            "D0.CustomErrorResponses.Items[0].ResponseCode",
        ),
        m(
            "ResponsePagePath without a leading /",
            |f| {
                d0(f)["CustomErrorResponses"]["Items"][0]["ResponsePagePath"] = json!("index.html");
            },
            "InvalidRelativePath",
            "D0.CustomErrorResponses.Items[0].ResponsePagePath",
        ),
        m(
            "geo restriction with a three-letter country",
            |f| {
                d0(f)["Restrictions"] = json!({"GeoRestriction": {
                    "RestrictionType": "whitelist", "Quantity": 2, "Items": ["FR", "USA"]}});
            },
            "InvalidLocationCode",
            "D0.Restrictions.GeoRestriction.Items[1]",
        ),
        m(
            "allow-list geo restriction without locations",
            |f| {
                d0(f)["Restrictions"] = json!({"GeoRestriction": {
                    "RestrictionType": "whitelist", "Quantity": 0}});
            },
            "InvalidGeoRestrictionParameter",
            "D0.Restrictions.GeoRestriction",
        ),
        m(
            "76 cache behaviors",
            |f| {
                let items: Vec<Value> = (0..76)
                    .map(|i| {
                        json!({"PathPattern": format!("/p{i}/*"), "TargetOriginId": "web",
                        "ViewerProtocolPolicy": "allow-all", "CachePolicyId": CACHING_OPTIMIZED})
                    })
                    .collect();
                d0(f)["CacheBehaviors"] = json!({"Quantity": 76, "Items": items});
            },
            "TooManyCacheBehaviors",
            "D0.CacheBehaviors",
        ),
        m(
            "an alias used by another distribution",
            |f| {
                f["Distributions"][1]["DistributionConfig"]["Aliases"] =
                    json!({"Quantity": 1, "Items": ["www.a.test"]});
            },
            "CNAMEAlreadyExists",
            "Distributions[1].DistributionConfig.Aliases.Items[0]",
        ),
        m(
            "Quantity that does not match Items",
            |f| d0(f)["Aliases"]["Quantity"] = json!(2),
            "InconsistentQuantities",
            "D0.Aliases.Quantity",
        ),
        m(
            "unknown cache policy",
            |f| {
                d0(f)["DefaultCacheBehavior"]["CachePolicyId"] =
                    json!("00000000-0000-0000-0000-000000000000");
            },
            "NoSuchCachePolicy",
            "D0.DefaultCacheBehavior.CachePolicyId",
        ),
        m(
            "unknown origin request policy",
            |f| {
                d0(f)["CacheBehaviors"]["Items"][0]["OriginRequestPolicyId"] =
                    json!("00000000-0000-0000-0000-000000000000");
            },
            "NoSuchOriginRequestPolicy",
            "D0.CacheBehaviors.Items[0].OriginRequestPolicyId",
        ),
        m(
            "unknown response headers policy",
            |f| {
                d0(f)["CacheBehaviors"]["Items"][2]["ResponseHeadersPolicyId"] =
                    json!("00000000-0000-0000-0000-000000000000");
            },
            "NoSuchResponseHeadersPolicy",
            "D0.CacheBehaviors.Items[2].ResponseHeadersPolicyId",
        ),
        m(
            "HTTPPort 0",
            |f| origin(f, 1)["CustomOriginConfig"]["HTTPPort"] = json!(0),
            "InvalidOrigin",
            "D0.Origins.Items[1].CustomOriginConfig.HTTPPort",
        ),
        m(
            "HTTPSPort 444",
            |f| origin(f, 1)["CustomOriginConfig"]["HTTPSPort"] = json!(444),
            "InvalidOrigin",
            "D0.Origins.Items[1].CustomOriginConfig.HTTPSPort",
        ),
        m(
            "OriginPath with a trailing /",
            |f| origin(f, 0)["OriginPath"] = json!("/site/"),
            "InvalidArgument",
            "D0.Origins.Items[0].OriginPath",
        ),
        m(
            "OriginPath without a leading /",
            |f| origin(f, 0)["OriginPath"] = json!("site"),
            "InvalidArgument",
            "D0.Origins.Items[0].OriginPath",
        ),
        m(
            "origin custom header name with a space",
            |f| {
                origin(f, 0)["CustomHeaders"]["Items"][0]["HeaderName"] = json!("X Origin Secret");
            },
            "InvalidArgument",
            "D0.Origins.Items[0].CustomHeaders.Items[0].HeaderName",
        ),
        m(
            "origin custom header CloudFront does not let you set",
            |f| origin(f, 0)["CustomHeaders"]["Items"][0]["HeaderName"] = json!("Host"),
            "InvalidArgument",
            "D0.Origins.Items[0].CustomHeaders.Items[0].HeaderName",
        ),
        m(
            "cache policy header name that is not a token",
            |f| {
                let mut p = custom_policy(0, 10, 100);
                p[0]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
                    ["HeadersConfig"] = json!({"HeaderBehavior": "whitelist",
                        "Headers": {"Quantity": 1, "Items": ["bad header"]}});
                f["CachePolicies"] = p;
            },
            "InvalidArgument",
            "CachePolicies[0].CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers.Items[0]",
        ),
        m(
            "unknown ViewerProtocolPolicy",
            |f| d0(f)["DefaultCacheBehavior"]["ViewerProtocolPolicy"] = json!("sometimes"),
            "InvalidArgument",
            "D0.DefaultCacheBehavior.ViewerProtocolPolicy",
        ),
        m(
            "misspelt field",
            |f| d0(f)["DefaultCacheBehavior"]["TargetOrigin"] = json!("web"),
            "InvalidArgument",
            "D0.DefaultCacheBehavior.TargetOrigin",
        ),
        m(
            "number where a boolean goes",
            |f| d0(f)["Enabled"] = json!(1),
            "InvalidArgument",
            "D0.Enabled",
        ),
        m(
            "OriginReadTimeout 0",
            |f| origin(f, 1)["CustomOriginConfig"]["OriginReadTimeout"] = json!(0),
            "InvalidOriginReadTimeout",
            "D0.Origins.Items[1].CustomOriginConfig.OriginReadTimeout",
        ),
        m(
            "OriginKeepaliveTimeout 121",
            |f| origin(f, 1)["CustomOriginConfig"]["OriginKeepaliveTimeout"] = json!(121),
            "InvalidOriginKeepaliveTimeout",
            "D0.Origins.Items[1].CustomOriginConfig.OriginKeepaliveTimeout",
        ),
        m(
            "ConnectionAttempts 5",
            |f| origin(f, 1)["ConnectionAttempts"] = json!(5),
            "InvalidArgument",
            "D0.Origins.Items[1].ConnectionAttempts",
        ),
        m(
            "two distributions with one Id",
            |f| f["Distributions"][1]["Id"] = json!("EDFDVBD6EXAMPLE"),
            "DistributionAlreadyExists",
            "Distributions[1].Id",
        ),
        m(
            "path pattern with a space",
            |f| d0(f)["CacheBehaviors"]["Items"][0]["PathPattern"] = json!("/a b/*"),
            "InvalidArgument",
            "D0.CacheBehaviors.Items[0].PathPattern",
        ),
        m(
            "11 origin custom headers",
            |f| {
                let items: Vec<Value> = (0..11)
                    .map(|i| json!({"HeaderName": format!("X-H{i}"), "HeaderValue": "v"}))
                    .collect();
                origin(f, 0)["CustomHeaders"] = json!({"Quantity": 11, "Items": items});
            },
            "TooManyOriginCustomHeaders",
            "D0.Origins.Items[0].CustomHeaders",
        ),
        m(
            "origin group member that is not an origin",
            |f| d0(f)["OriginGroups"] = group(&["web", "ghost"], &[502]),
            "NoSuchOrigin",
            "D0.OriginGroups.Items[0].Members.Items[1].OriginId",
        ),
        m(
            "origin group failing over on 200",
            |f| d0(f)["OriginGroups"] = group(&["web", "api"], &[200]),
            "InvalidArgument",
            "D0.OriginGroups.Items[0].FailoverCriteria.StatusCodes.Items[0]",
        ),
        m(
            "ACM certificate outside us-east-1",
            |f| {
                d0(f)["ViewerCertificate"] = json!({
                    "ACMCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
                    "SSLSupportMethod": "sni-only",
                    "MinimumProtocolVersion": "TLSv1.2_2021"});
            },
            "InvalidViewerCertificate",
            "D0.ViewerCertificate.ACMCertificateArn",
        ),
    ]
}

/// `brink edge --check --config <file>`.
fn check(file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(["edge", "--check", "--config"])
        .arg(file)
        .output()
        .expect("run brink edge --check")
}

/// Exit 64, the code and the path on stderr, no panic; returns stderr.
fn refused(out: &Output, code: &str, path: &str, what: &str) -> Result<String, String> {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code() != Some(64) {
        return Err(format!("{what}: exit {:?}, stderr: {err}", out.status));
    }
    if err.contains("panicked") {
        return Err(format!("{what}: panic: {err}"));
    }
    if !err.contains(code) || !err.contains(path) {
        return Err(format!("{what}: expected {code} at {path}, stderr: {err}"));
    }
    Ok(err)
}

#[test]
fn the_example_file_passes_the_check() {
    let file = TempFile::new("json", &example(8080, 8081).to_string());
    let out = check(&file.0);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("config OK (2 distributions)"));
}

#[test]
fn each_mistake_is_refused_with_its_code_and_path() {
    let all = mistakes();
    assert!(all.len() >= 30, "{} mistakes", all.len());
    let mut failures = Vec::new();
    for m in &all {
        let mut f = example(8080, 8081);
        (m.make)(&mut f);
        let file = TempFile::new("json", &serde_json::to_string_pretty(&f).expect("json"));
        if let Err(e) = refused(&check(&file.0), m.code, &m.path, m.name) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} mistakes not reported as expected:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let mut f = example(8080, 8081);
    d0(&mut f)["DefaultRootObject"] = json!("/index.html");
    d0(&mut f)["CacheBehaviors"]["Items"][0]["TargetOriginId"] = json!("nowhere");
    origin(&mut f, 1)["CustomOriginConfig"]["HTTPPort"] = json!(1);
    let file = TempFile::new("json", &f.to_string());
    let out = check(&file.0);
    let err = refused(
        &out,
        "InvalidDefaultRootObject",
        &format!("{D0}.DefaultRootObject"),
        "three mistakes",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(err.contains(&format!(
        "NoSuchOrigin at {D0}.CacheBehaviors.Items[0].TargetOriginId"
    )));
    assert!(err.contains(&format!(
        "InvalidOrigin at {D0}.Origins.Items[1].CustomOriginConfig.HTTPPort"
    )));
}

#[test]
fn syntax_errors_name_the_line_and_column() {
    // JSON: a stray comma after DomainName on line 4.
    let json_text = "{\n  \"Distributions\": [\n    {\"Id\": \"E1\",\n     \"DomainName\": \"x.test\",,\n    }\n  ]\n}\n";
    let file = TempFile::new("json", json_text);
    let err = refused(
        &check(&file.0),
        "InvalidArgument",
        "Distributions[0]",
        "JSON syntax",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        err.contains("JSON") && err.contains("line 4, column"),
        "{err}"
    );

    // YAML: an unterminated quoted string.
    let yaml = "Distributions:\n  - Id: E1\n    DomainName: \"x.test\n    DistributionConfig: {}\n";
    let file = TempFile::new("yaml", yaml);
    let err = refused(
        &check(&file.0),
        "InvalidArgument",
        "Distributions[0].DomainName",
        "YAML syntax",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        err.contains("YAML") && err.contains("(line 5, column"),
        "{err}"
    );

    // YAML: a well-formed file with a value of the wrong type.
    let yaml = "Distributions:\n  - Id: E1\n    DomainName: x.test\n    DistributionConfig:\n      Enabled: maybe\n";
    let file = TempFile::new("yml", yaml);
    let err = refused(
        &check(&file.0),
        "InvalidArgument",
        "Distributions[0].DistributionConfig.Enabled",
        "YAML type",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(err.contains("line 5, column"), "{err}");

    // An empty file and a missing one.
    let file = TempFile::new("json", "");
    refused(&check(&file.0), "InvalidArgument", "line 1", "empty file")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = check(Path::new("/nonexistent/brink.json"));
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/brink.json"));
}

/// The normal start refuses the same files as `--check`, before binding anything.
#[test]
fn a_normal_start_refuses_a_broken_file() {
    for (make, code, path) in [
        (
            (|f: &mut Value| d0(f)["DefaultCacheBehavior"]["TargetOriginId"] = json!("nowhere"))
                as fn(&mut Value),
            "NoSuchOrigin",
            format!("{D0}.DefaultCacheBehavior.TargetOriginId"),
        ),
        (
            |f: &mut Value| {
                f["Distributions"][1]["DistributionConfig"]["Aliases"] =
                    json!({"Quantity": 1, "Items": ["a.test"]});
            },
            "CNAMEAlreadyExists",
            "Distributions[1].DistributionConfig.Aliases.Items[0]".to_owned(),
        ),
        (
            |f: &mut Value| d0(f)["PriceClass"] = json!("PriceClass_300"),
            "InvalidArgument",
            format!("{D0}.PriceClass"),
        ),
    ] {
        let mut f = example(8080, 8081);
        make(&mut f);
        let file = TempFile::new("json", &f.to_string());
        let out = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["edge", "--listen", "127.0.0.1:0", "--config"])
            .arg(&file.0)
            .output()
            .expect("run brink edge");
        refused(&out, code, &path, code).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("brink ready"),
            "never started"
        );
    }
}

/// Extends `distributions::the_configuration_reloads_on_sighup_and_on_change_and_refuses_a_broken_one`
/// (which refuses a file that does not parse): files that parse but fail validation, by a
/// change alone and by SIGHUP, with the codes logged and the cache shown intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_edge_refuses_an_invalid_reload_and_keeps_serving_from_its_cache() {
    let web = TestOrigin::start().await;
    let api = TestOrigin::start().await;
    web.route("/site/page", Reply::cacheable("page", "max-age=3600"));
    web.route_prefix("/site/new", Reply::cacheable("new", "max-age=3600"));
    let good = example(web.port(), api.port());
    let file = TempFile::new("json", &good.to_string());
    let edge = Edge::start_distributions(&file.0, &[]).await;
    let get = |path: &'static str| edge.get_with(path, &[("host", "a.test")]);
    assert_miss(&get("/page").await, "first");
    assert_hit(&get("/page").await, "second");
    assert_origin_hits(&web, "/site/page", 1, "filled once");

    // 1. The file changes (no signal) to one with two mistakes: refused, both named.
    let mut bad = good.clone();
    d0(&mut bad)["DefaultCacheBehavior"]["TargetOriginId"] = json!("nowhere");
    d0(&mut bad)["CustomErrorResponses"]["Items"][0]["ErrorCode"] = json!(200);
    std::fs::write(&file.0, bad.to_string()).expect("break the file");
    assert!(
        eventually(Duration::from_secs(5), || {
            let err = edge.stderr();
            err.contains("configuration reload refused")
                && err.contains("why=\"file changed\"")
                && err.contains(&format!(
                    "NoSuchOrigin at {D0}.DefaultCacheBehavior.TargetOriginId"
                ))
                && err.contains(&format!(
                    "InvalidErrorCode at {D0}.CustomErrorResponses.Items[0].ErrorCode"
                ))
        })
        .await,
        "the refusal and its codes are logged: {}",
        edge.stderr()
    );
    let r = get("/page").await;
    assert_hit(&r, "cache kept after a refused change");
    assert_body(&r, b"page", "same object");
    assert_origin_hits(&web, "/site/page", 1, "no refetch");
    // Still the running configuration: OriginPath /site on the web origin.
    assert_body(&get("/new1").await, b"new", "served as before");
    assert_origin_hits(&web, "/site/new1", 1, "through the old distribution");

    // 2. Another broken version, and SIGHUP.
    let mut bad = good.clone();
    f_alias_clash(&mut bad);
    std::fs::write(&file.0, bad.to_string()).expect("break the file again");
    edge.signal("HUP");
    assert!(
        eventually(Duration::from_secs(5), || {
            let err = edge.stderr();
            err.contains("why=\"SIGHUP\"")
                && err.contains(
                    "CNAMEAlreadyExists at Distributions[1].DistributionConfig.Aliases.Items[0]",
                )
        })
        .await,
        "the SIGHUP refusal is logged with its code: {}",
        edge.stderr()
    );
    let r = get("/page").await;
    assert_hit(&r, "cache kept after a refused SIGHUP");
    assert_origin_hits(&web, "/site/page", 1, "still no refetch");
    assert_body(&get("/new2").await, b"new", "served as before");
    assert_eq!(
        edge.get_with("/", &[("host", "b.test")]).await.status,
        403,
        "the disabled distribution is still the running one's"
    );
    assert!(!edge.stderr().contains("panicked"));
}

/// Distribution 1 takes distribution 0's alias.
fn f_alias_clash(f: &mut Value) {
    f["Distributions"][1]["DistributionConfig"]["Aliases"] =
        json!({"Quantity": 1, "Items": ["www.a.test"]});
}

/// `--check` checks the command-line options too, for `brink serve` as for `brink edge`.
#[test]
fn check_covers_the_options() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(args)
            .output()
            .expect("run brink")
    };
    let out = run(&["serve", "--check", "--origin", "http://127.0.0.1:1"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "config OK\n");
    let out = run(&[
        "serve",
        "--check",
        "--origin",
        "ftp://127.0.0.1",
        "--log-fields",
        "date",
    ]);
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--origin") && err.contains("--log-fields needs --log-dir"),
        "{err}"
    );
    let file = TempFile::new("json", &example(8080, 8081).to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(["edge", "--check", "--memory-cache", "lots", "--config"])
        .arg(&file.0)
        .output()
        .expect("run brink");
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--memory-cache"));
    let out = run(&[
        "serve",
        "--check",
        "--origin",
        "http://127.0.0.1:1",
        "--sendfile",
        "maybe",
    ]);
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--sendfile") && err.contains("expected on, remote or off"),
        "{err}"
    );
}

//! `brink up` and `brink edge --control`: the README's walkthrough with the real aws CLI
//! (create, wait deployed, Miss then Hit through every edge, invalidate, wait completed, Miss
//! again, update with If-Match, disable, delete), a restart that finds everything again, and
//! static stability: edges keep serving while the control plane is killed, catch up when it
//! returns, and a killed edge restarts serving before the control plane is back.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::testkit::control::{pyenv_bin, temp_dir, Control};
use crate::testkit::{Reply, TestOrigin};

/// A running `brink up`.
struct Up {
    child: Child,
    env: Vec<(String, String)>,
    edges: Vec<(String, SocketAddr)>,
}

impl Up {
    fn start(dir: &Path, edges: usize) -> Up {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["up", "--edges", &edges.to_string()])
            .args([
                "--control-listen",
                "127.0.0.1:0",
                "--edge-port",
                "0",
                "--edge-tls-port",
                "0",
                "--origin-listen",
                "127.0.0.1:0",
                "--dns-listen",
                "127.0.0.1:0",
                "--http-router-listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("up.log")).expect("log file"))
            .spawn()
            .expect("spawn brink up");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        assert!(line.starts_with("brink ready control="), "{line:?}");
        let text = std::fs::read_to_string(dir.join("env")).expect("DIR/env");
        let env: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
            .collect();
        let edges = edges_in(&env, "BRINK_EDGES");
        Up { child, env, edges }
    }

    fn aws(&self, args: &[&str]) -> Value {
        aws_with(&self.env, args)
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `POP=host:port` list of `DIR/env`'s variable `name`.
fn edges_in(env: &[(String, String)], name: &str) -> Vec<(String, SocketAddr)> {
    env.iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} in DIR/env"))
        .1
        .split_whitespace()
        .map(|e| {
            let (pop, addr) = e.split_once('=').expect("POP=addr");
            (pop.to_owned(), addr.parse().expect("address"))
        })
        .collect()
}

/// What `aws cloudfront create-distribution` answered.
struct Created {
    id: String,
    host: String,
    arn: String,
}

/// `aws cloudfront create-distribution` with the configuration file `cfg`, run by `aws`.
fn create_distribution(aws: impl Fn(&[&str]) -> Value, cfg: &std::path::Path) -> Created {
    let created = aws(&[
        "cloudfront",
        "create-distribution",
        "--distribution-config",
        &file_arg(cfg),
    ]);
    let field = |name: &str| {
        created["Distribution"][name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {created}"))
            .to_owned()
    };
    Created {
        id: field("Id"),
        host: field("DomainName"),
        arn: field("ARN"),
    }
}

fn aws_with(env: &[(String, String)], args: &[&str]) -> Value {
    let mut cmd = Command::new(pyenv_bin().join("aws"));
    cmd.args(args).args(["--output", "json"]);
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("aws");
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("json")
}

/// GET through an edge with the distribution's Host: (status, X-Cache, body).
fn get(edge: SocketAddr, host: &str, path: &str) -> (u16, String, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "10",
            "-D",
            "-",
            "-H",
            &format!("Host: {host}"),
        ])
        .arg(format!("http://{edge}{path}"))
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let x_cache = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("x-cache:")
                .then(|| l[8..].trim().to_owned())
        })
        .unwrap_or_default();
    (status, x_cache, body.to_owned())
}

fn config_file(dir: &Path, origin: &TestOrigin, caller_ref: &str) -> PathBuf {
    let p = dir.join(format!("{caller_ref}.json"));
    let cfg = serde_json::json!({
        "CallerReference": caller_ref, "Comment": "walkthrough", "Enabled": true,
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": "127.0.0.1",
            "CustomOriginConfig": {"HTTPPort": origin.port(), "HTTPSPort": 443,
                "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
    });
    std::fs::write(&p, cfg.to_string()).expect("write");
    p
}

fn file_arg(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// Polls `cond` every 20 ms for up to `limit` (state that arrives over the network; nothing
/// here waits for time to pass).
fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_through_brink_up() {
    let origin = TestOrigin::start().await;
    origin.route(
        "/hello.txt",
        Reply::cacheable("hello, edge\n", "max-age=3600"),
    );
    let dir = temp_dir("up");
    let up = tokio::task::block_in_place(|| Up::start(&dir, 2));
    let cfg = config_file(&dir, &origin, "walkthrough");
    tokio::task::block_in_place(|| {
        assert_eq!(up.edges.len(), 2);
        assert_eq!(up.edges[0].0, "IAD50-C1");
        assert_eq!(
            up.edges[1].1.ip().to_string(),
            "127.0.0.3",
            "each edge on its own address"
        );
        let Created { id, host, .. } = create_distribution(|a| up.aws(a), &cfg);
        assert!(host.ends_with(".cdn.test"), "{host}");
        up.aws(&["cloudfront", "wait", "distribution-deployed", "--id", &id]);
        let got = up.aws(&["cloudfront", "get-distribution", "--id", &id]);
        assert_eq!(got["Distribution"]["Status"], "Deployed");
        // The geo-DNS router answers the new name with the nearest edge: Germany → FRA,
        // the United States → IAD (test-ranges.csv).
        let dns = up
            .env
            .iter()
            .find(|(k, _)| k == "BRINK_DNS")
            .expect("BRINK_DNS")
            .1
            .clone();
        let (dns_host, dns_port) = dns.rsplit_once(':').expect("host:port");
        let dig = |subnet: &str| {
            let out = Command::new("dig")
                .args([
                    &format!("@{dns_host}"),
                    "-p",
                    dns_port,
                    "+short",
                    "+time=5",
                    "+tries=1",
                ])
                .args([&format!("+subnet={subnet}"), host.as_str(), "A"])
                .output()
                .expect("dig");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        assert_eq!(
            dig("79.192.0.0/16"),
            up.edges[1].1.ip().to_string(),
            "DE → FRA50-C1"
        );
        assert_eq!(
            dig("73.0.0.0/16"),
            up.edges[0].1.ip().to_string(),
            "US → IAD50-C1"
        );
        // Deployed means every edge serves it: Miss then Hit on each, one origin fetch each.
        for (i, (pop, edge)) in up.edges.iter().enumerate() {
            let (status, x_cache, body) = get(*edge, &host, "/hello.txt");
            assert_eq!(
                (status, x_cache.as_str(), body.as_str()),
                (200, "Miss from cloudfront", "hello, edge\n"),
                "{pop}"
            );
            let (_, x_cache, _) = get(*edge, &host, "/hello.txt");
            assert_eq!(x_cache, "Hit from cloudfront", "{pop}");
            assert_eq!(origin.hits("/hello.txt"), i + 1);
        }
        // Invalidate everything; once Completed, every edge misses again.
        let inv = up.aws(&[
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            &id,
            "--paths",
            "/*",
        ]);
        let inv_id = inv["Invalidation"]["Id"].as_str().expect("id").to_owned();
        up.aws(&[
            "cloudfront",
            "wait",
            "invalidation-completed",
            "--distribution-id",
            &id,
            "--id",
            &inv_id,
        ]);
        for (pop, edge) in &up.edges {
            let (_, x_cache, _) = get(*edge, &host, "/hello.txt");
            assert_eq!(
                x_cache, "Miss from cloudfront",
                "{pop} after the invalidation"
            );
        }
        assert_eq!(origin.hits("/hello.txt"), 4);
        // Update with If-Match: a default root object reaches the edges.
        let got_cfg = up.aws(&["cloudfront", "get-distribution-config", "--id", &id]);
        let etag = got_cfg["ETag"].as_str().expect("etag").to_owned();
        let mut new_cfg = got_cfg["DistributionConfig"].clone();
        new_cfg["DefaultRootObject"] = "hello.txt".into();
        let p = dir.join("update.json");
        std::fs::write(&p, new_cfg.to_string()).expect("write");
        let updated = up.aws(&[
            "cloudfront",
            "update-distribution",
            "--id",
            &id,
            "--if-match",
            &etag,
            "--distribution-config",
            &file_arg(&p),
        ]);
        up.aws(&["cloudfront", "wait", "distribution-deployed", "--id", &id]);
        for (pop, edge) in &up.edges {
            let (status, _, body) = get(*edge, &host, "/");
            assert_eq!(
                (status, body.as_str()),
                (200, "hello, edge\n"),
                "{pop}: / is the root object"
            );
        }
        // Disable, wait, delete.
        new_cfg["Enabled"] = false.into();
        std::fs::write(&p, new_cfg.to_string()).expect("write");
        let etag = updated["ETag"].as_str().expect("etag").to_owned();
        let disabled = up.aws(&[
            "cloudfront",
            "update-distribution",
            "--id",
            &id,
            "--if-match",
            &etag,
            "--distribution-config",
            &file_arg(&p),
        ]);
        up.aws(&["cloudfront", "wait", "distribution-deployed", "--id", &id]);
        let (status, _, _) = get(up.edges[0].1, &host, "/hello.txt");
        assert_eq!(status, 403, "a disabled distribution is not served");
        let etag = disabled["ETag"].as_str().expect("etag");
        up.aws(&[
            "cloudfront",
            "delete-distribution",
            "--id",
            &id,
            "--if-match",
            etag,
        ]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_brink_up_on_the_same_directory_finds_everything() {
    let origin = TestOrigin::start().await;
    origin.route("/a", Reply::cacheable("a", "max-age=3600"));
    let dir = temp_dir("up-again");
    let cfg = config_file(&dir, &origin, "again");
    tokio::task::block_in_place(|| {
        let mut up = Up::start(&dir, 1);
        let Created { id, host, .. } = create_distribution(|a| up.aws(a), &cfg);
        let key = up
            .env
            .iter()
            .find(|(k, _)| k == "AWS_ACCESS_KEY_ID")
            .cloned();
        up.stop();
        assert!(!dir.join("env").exists(), "env is removed on stop");
        let up2 = Up::start(&dir, 1);
        assert_eq!(
            up2.env
                .iter()
                .find(|(k, _)| k == "AWS_ACCESS_KEY_ID")
                .cloned(),
            key
        );
        let got = up2.aws(&["cloudfront", "get-distribution", "--id", &id]);
        assert_eq!(got["Distribution"]["DomainName"], host.as_str());
        let edge = up2.edges[0].1;
        assert!(eventually(Duration::from_secs(10), || get(
            edge, &host, "/a"
        )
        .0 == 200));
    });
}

/// `brink edge --control` on its own (not under `brink up`, so the test can kill pieces).
struct FedEdge {
    child: Child,
    addr: SocketAddr,
}

impl FedEdge {
    fn start(control: &str, token: &Path, state: &Path, ip: &str) -> FedEdge {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["edge", "--control", control, "--control-token-file"])
            .arg(token)
            .arg("--state-dir")
            .arg(state)
            .args([
                "--pop",
                &format!("T{}50-C1", ip.rsplit('.').next().unwrap_or("0")),
                "--cdn-domain",
                "cdn.test",
                "--threads",
                "1",
            ])
            .args(["--listen", &format!("{ip}:0")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn edge");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready");
        let addr = line
            .trim()
            .strip_prefix("brink ready listen=")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("{line:?}"))
            .parse()
            .expect("addr");
        FedEdge { child, addr }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for FedEdge {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edges_outlive_the_control_plane_and_catch_up() {
    let origin = TestOrigin::start().await;
    origin.route("/x", Reply::cacheable("x1", "max-age=3600"));
    origin.route("/y", Reply::cacheable("y", "max-age=3600"));
    tokio::task::block_in_place(|| {
        let mut control = Control::start();
        let listen = control.addr.to_string();
        let url = control.url();
        let token = control.dir.join("edge-token");
        let states = temp_dir("fed");
        let mut e1 = FedEdge::start(&url, &token, &states.join("e1"), "127.0.0.5");
        let e2 = FedEdge::start(&url, &token, &states.join("e2"), "127.0.0.6");
        let cfg = config_file(&states, &origin, "fed");
        let Created { id, host, .. } = create_distribution(|a| control.aws_ok(a), &cfg);
        control.aws_ok(&["cloudfront", "wait", "distribution-deployed", "--id", &id]);
        for e in [&e1, &e2] {
            assert_eq!(get(e.addr, &host, "/x").1, "Miss from cloudfront");
        }
        // kill -9 the control plane: both edges keep serving the configuration they have.
        control.kill();
        for e in [&e1, &e2] {
            assert_eq!(get(e.addr, &host, "/x").1, "Hit from cloudfront");
            assert_eq!(get(e.addr, &host, "/y").0, 200);
        }
        // kill -9 an edge too, and restart it while the control plane is still down: it
        // serves its last configuration (and its disk-less cache is empty: a miss).
        e1.kill();
        let e1b = FedEdge::start(&url, &token, &states.join("e1"), "127.0.0.5");
        let (status, x_cache, body) = get(e1b.addr, &host, "/x");
        assert_eq!(
            (status, x_cache.as_str(), body.as_str()),
            (200, "Miss from cloudfront", "x1")
        );
        // The control plane returns on the same address with everything it had.
        let control2 = Control::start_in(&control.dir, &listen);
        let got = control2.aws_ok(&["cloudfront", "get-distribution-config", "--id", &id]);
        let etag = got["ETag"].as_str().expect("etag").to_owned();
        let mut new_cfg = got["DistributionConfig"].clone();
        new_cfg["DefaultRootObject"] = "y".into();
        let p = states.join("u.json");
        std::fs::write(&p, new_cfg.to_string()).expect("write");
        control2.aws_ok(&[
            "cloudfront",
            "update-distribution",
            "--id",
            &id,
            "--if-match",
            &etag,
            "--distribution-config",
            &file_arg(&p),
        ]);
        // The update made after it returned reaches every edge.
        for e in [&e1b, &e2] {
            assert!(
                eventually(Duration::from_secs(30), || get(e.addr, &host, "/").2 == "y"),
                "the update never reached {}",
                e.addr
            );
        }
        let status = control2.aws_ok(&["cloudfront", "get-distribution", "--id", &id]);
        assert!(
            eventually(Duration::from_secs(30), || {
                control2.aws_ok(&["cloudfront", "get-distribution", "--id", &id])["Distribution"]
                    ["Status"]
                    == "Deployed"
            }),
            "{status}"
        );
    });
}

/// Issue 10: certificates imported with `aws acm import-certificate` reach every edge with the
/// configuration, and each edge answers HTTPS for the distribution's alias by SNI on its TLS
/// port (`BRINK_EDGES_HTTPS`), next to plain HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edges_answer_https_with_an_imported_certificate() {
    let origin = TestOrigin::start().await;
    origin.route("/s.txt", Reply::cacheable("secure\n", "max-age=3600"));
    let dir = temp_dir("up-tls");
    let mut up = Up::start(&dir, 2);
    let (cert, key) =
        crate::testkit::tls::self_signed(&dir, "www.example.com", &["www.example.com"]);
    let imported = up.aws(&[
        "acm",
        "import-certificate",
        "--certificate",
        &format!("fileb://{}", cert.display()),
        "--private-key",
        &format!("fileb://{}", key.display()),
    ]);
    let arn = imported["CertificateArn"].as_str().expect("arn").to_owned();
    let p = config_file(&dir, &origin, "tls-1");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&p).expect("read")).expect("json");
    cfg["Aliases"] = serde_json::json!({"Quantity": 1, "Items": ["www.example.com"]});
    cfg["ViewerCertificate"] = serde_json::json!({"ACMCertificateArn": arn,
        "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"});
    std::fs::write(&p, cfg.to_string()).expect("write");
    let Created { id, .. } = create_distribution(|a| up.aws(a), &p);
    up.aws(&["cloudfront", "wait", "distribution-deployed", "--id", &id]);
    let https = edges_in(&up.env, "BRINK_EDGES_HTTPS");
    assert_eq!(https.len(), 2, "{:?}", up.env);
    for (pop, addr) in &https {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "-D", "-", "--cacert"])
            .arg(&cert)
            .arg("--resolve")
            .arg(format!("www.example.com:{}:{}", addr.port(), addr.ip()))
            .arg(format!("https://www.example.com:{}/s.txt", addr.port()))
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with("HTTP/2 200") || text.starts_with("HTTP/1.1 200"),
            "{pop}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.ends_with("secure\n"), "{pop}: {text}");
        assert!(
            text.to_ascii_lowercase()
                .contains(&format!("x-amz-cf-pop: {}", pop.to_ascii_lowercase())),
            "{pop}: {text}"
        );
    }
    up.stop();
}

/// `brink up` runs the origin store: `source DIR/env` points `aws s3` at it with the owner's
/// key, a direct unsigned GET is refused, and objects and the CDN's service credential survive
/// a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brink_up_runs_the_origin_store_and_keeps_its_objects() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_dir("up-origin");
    let file = dir.join("hello.txt");
    std::fs::write(&file, "hello, origin\n").expect("file");
    tokio::task::block_in_place(|| {
        let mut up = Up::start(&dir, 1);
        let endpoint = up
            .env
            .iter()
            .find(|(k, _)| k == "AWS_ENDPOINT_URL_S3")
            .expect("AWS_ENDPOINT_URL_S3 in DIR/env")
            .1
            .clone();
        aws_s3(&up.env, &["mb", "s3://kept"]);
        aws_s3(
            &up.env,
            &["cp", &file.to_string_lossy(), "s3://kept/hello.txt"],
        );
        let listed = up.aws(&["s3api", "list-objects-v2", "--bucket", "kept"]);
        assert_eq!(listed["Contents"][0]["Key"], "hello.txt", "{listed}");
        let direct = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "10",
            ])
            .arg(format!("{endpoint}/kept/hello.txt"))
            .output()
            .expect("curl");
        assert_eq!(String::from_utf8_lossy(&direct.stdout), "403");
        let creds_path = dir.join("cdn-service-credentials.json");
        let creds = std::fs::read_to_string(&creds_path).expect("cdn credentials");
        let json: Value = serde_json::from_str(&creds).expect("JSON");
        assert_eq!(json["AccountId"], "123456789012");
        assert!(json["AccessKeyId"]
            .as_str()
            .is_some_and(|k| k.starts_with("AKIA")));
        let mode = std::fs::metadata(&creds_path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");
        up.stop();
        let up2 = Up::start(&dir, 1);
        let out = dir.join("back.txt");
        aws_s3(
            &up2.env,
            &["cp", "s3://kept/hello.txt", &out.to_string_lossy()],
        );
        assert_eq!(
            std::fs::read_to_string(&out).expect("back"),
            "hello, origin\n"
        );
        assert_eq!(
            std::fs::read_to_string(&creds_path).expect("cdn credentials"),
            creds,
            "generated once, kept"
        );
    });
}

/// `aws s3 <args>` (text output) that must succeed.
fn aws_s3(env: &[(String, String)], args: &[&str]) {
    let mut cmd = Command::new(pyenv_bin().join("aws"));
    cmd.arg("s3").args(args);
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("aws");
    assert!(
        out.status.success(),
        "aws s3 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 11 end to end through `brink up`: `aws s3 cp` into the embedded store; a
/// distribution whose origin is the bucket by its AWS name, with an origin access control
/// created by `aws cloudfront create-origin-access-control` and the console's bucket policy;
/// the object is served through the edge (signed by the CDN's credential) while a direct
/// unsigned GET to the store is refused; a PUT through the edge lands in the store; and an
/// `aws s3 cp` of a multipart-sized file through the edge's Transfer Acceleration endpoint
/// lands byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oac_through_brink_up_serves_private_objects_and_writes_and_accelerates() {
    let dir = temp_dir("up-oac");
    tokio::task::block_in_place(|| {
        let mut up = Up::start(&dir, 1);
        let env_of = |k: &str| {
            up.env
                .iter()
                .find(|(n, _)| n == k)
                .unwrap_or_else(|| panic!("{k} in DIR/env"))
                .1
                .clone()
        };
        let store = env_of("AWS_ENDPOINT_URL_S3");
        let accelerate = env_of("BRINK_S3_ACCELERATE");
        let file = dir.join("private.txt");
        std::fs::write(&file, "for the CDN only\n").expect("file");
        aws_s3(&up.env, &["mb", "s3://media"]);
        aws_s3(
            &up.env,
            &["cp", &file.to_string_lossy(), "s3://media/private.txt"],
        );

        let oac = up.aws(&[
            "cloudfront",
            "create-origin-access-control",
            "--origin-access-control-config",
            "Name=media-oac,SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3",
        ]);
        let oac_id = oac["OriginAccessControl"]["Id"]
            .as_str()
            .expect("oac id")
            .to_owned();
        let cfg = serde_json::json!({
            "CallerReference": "oac-1", "Comment": "private bucket", "Enabled": true,
            "Origins": {"Quantity": 1, "Items": [{"Id": "media",
                "DomainName": "media.s3.us-east-1.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""},
                "OriginAccessControlId": oac_id}]},
            "DefaultCacheBehavior": {"TargetOriginId": "media", "ViewerProtocolPolicy": "allow-all",
                "AllowedMethods": {"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                    "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
        });
        let p = dir.join("oac-dist.json");
        std::fs::write(&p, cfg.to_string()).expect("write");
        let Created { id, arn, host } = create_distribution(|a| up.aws(a), &p);
        // The bucket policy CloudFront's console writes for an OAC, verbatim.
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "AllowCloudFrontServicePrincipal", "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::media/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": arn}}}]});
        up.aws(&[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "media",
            "--policy",
            &policy.to_string(),
        ]);
        up.aws(&["cloudfront", "wait", "distribution-deployed", "--id", &id]);
        let edge = up.edges[0].1;

        let (status, _, body) = get(edge, &host, "/private.txt");
        assert_eq!(
            (status, body.as_str()),
            (200, "for the CDN only\n"),
            "through the edge"
        );
        let direct = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "10",
            ])
            .arg(format!("{store}/media/private.txt"))
            .output()
            .expect("curl");
        assert_eq!(
            String::from_utf8_lossy(&direct.stdout),
            "403",
            "direct unsigned GET"
        );

        // A PUT through the edge lands in the store.
        let put = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "10",
                "-X",
                "PUT",
            ])
            .args([
                "-H",
                &format!("Host: {host}"),
                "--data-binary",
                "written through the edge\n",
            ])
            .arg(format!("http://{edge}/uploads/note.txt"))
            .output()
            .expect("curl");
        assert_eq!(String::from_utf8_lossy(&put.stdout), "200");
        let back = dir.join("note.txt");
        aws_s3(
            &up.env,
            &["cp", "s3://media/uploads/note.txt", &back.to_string_lossy()],
        );
        assert_eq!(
            std::fs::read_to_string(&back).expect("back"),
            "written through the edge\n"
        );

        // Transfer Acceleration: a multipart upload through the edge, byte-identical.
        let big = dir.join("big.bin");
        std::fs::write(
            &big,
            crate::testkit::pseudo_random_bytes(40 * 1024 * 1024, 5),
        )
        .expect("big");
        let mut accel_env = up.env.clone();
        accel_env.retain(|(k, _)| k != "AWS_ENDPOINT_URL_S3");
        accel_env.push(("AWS_ENDPOINT_URL_S3".into(), accelerate.clone()));
        aws_s3(
            &accel_env,
            &["cp", &big.to_string_lossy(), "s3://media/big.bin"],
        );
        let head = up.aws(&[
            "s3api",
            "head-object",
            "--bucket",
            "media",
            "--key",
            "big.bin",
        ]);
        assert!(
            head["ETag"].as_str().is_some_and(|e| e.contains('-')),
            "a multipart ETag: {head}"
        );
        let copy = dir.join("big.back");
        aws_s3(
            &up.env,
            &["cp", "s3://media/big.bin", &copy.to_string_lossy()],
        );
        assert!(
            std::fs::read(&copy).expect("copy") == std::fs::read(&big).expect("big"),
            "the accelerated upload is byte-identical"
        );
        up.stop();
    });
    std::fs::remove_dir_all(&dir).ok();
}

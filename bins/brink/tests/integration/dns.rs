//! `brink dns` with the real `dig`: every public test range of `data/geo/test-ranges.csv` sent
//! as EDNS Client Subnet gets the POP that the centroid + great-circle rule predicts (computed
//! here independently of the router), health checks take a dead POP out and bring it back,
//! and bad queries get FORMERR / NOTIMP / REFUSED without taking the server down.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::testkit::control::temp_dir;

const DOMAIN: &str = "d111111abcdef8.cdn.test";

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/geo")
        .join(p)
}

fn edge_file(dir: &Path) -> PathBuf {
    edge_file_to(dir, "origin.example", 80)
}

/// One distribution, `DOMAIN` with alias `www.example.test`, in front of `host:port`.
fn edge_file_to(dir: &Path, host: &str, port: u16) -> PathBuf {
    let p = dir.join("edge.json");
    let doc = serde_json::json!({"Distributions": [{
    "Id": "E1", "DomainName": DOMAIN,
    "DistributionConfig": {
        "CallerReference": "x", "Comment": "", "Enabled": true,
        "Aliases": {"Quantity": 1, "Items": ["www.example.test"]},
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": host,
            "CustomOriginConfig": {"HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
    }}]});
    std::fs::write(&p, doc.to_string()).expect("write config");
    p
}

/// The 20 default POPs, each on 127.0.0.(i+1).
fn pops_file(dir: &Path, health: &[(usize, String)]) -> (PathBuf, Vec<(String, f64, f64)>) {
    let csv = std::fs::read_to_string(data("pops.csv")).expect("pops.csv");
    let mut out = String::from("code,city,country,lat,lon,address,health_url\n");
    let mut pops = Vec::new();
    for (i, line) in csv.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let url = health
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, u)| u.as_str())
            .unwrap_or("");
        out.push_str(&format!(
            "{},{},{},{},{},127.0.0.{},{url}\n",
            f[0],
            f[1],
            f[2],
            f[3],
            f[4],
            i + 1
        ));
        pops.push((
            f[0].to_owned(),
            f[3].parse().expect("lat"),
            f[4].parse().expect("lon"),
        ));
    }
    let p = dir.join("pops.csv");
    std::fs::write(&p, out).expect("write pops");
    (p, pops)
}

struct Dns {
    child: Child,
    addr: SocketAddr,
    /// The HTTP mode's address, with --http-listen.
    http: Option<SocketAddr>,
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, pops: &Path, extra: &[&str]) -> Dns {
    start_with(&edge_file(dir), pops, extra)
}

fn start_with(config: &Path, pops: &Path, extra: &[&str]) -> Dns {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "dns",
            "--listen",
            "127.0.0.1:0",
            "--zone",
            "cdn.test",
            "--config",
        ])
        .arg(config)
        .arg("--pops")
        .arg(pops)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn brink dns");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let rest = line
        .trim()
        .strip_prefix("brink ready ")
        .unwrap_or_else(|| panic!("ready line {line:?}"));
    let get = |k: &str| {
        rest.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            .map(|v| v.parse::<SocketAddr>().expect("addr"))
    };
    let addr = get("dns").unwrap_or_else(|| panic!("ready line {line:?}"));
    Dns {
        child,
        addr,
        http: get("http"),
    }
}

/// `dig` with the given extra arguments; its full output.
fn dig(dns: &Dns, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg(format!("@{}", dns.addr.ip()))
        .args(["-p", &dns.addr.port().to_string(), "+time=5", "+tries=1"])
        .args(args)
        .output()
        .expect("dig (scripts/test.sh installs bind9-dnsutils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn centroids() -> Vec<(String, f64, f64)> {
    std::fs::read_to_string(data("country-centroids.csv"))
        .expect("centroids")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.rsplitn(3, ',');
            let lon: f64 = it.next()?.parse().ok()?;
            let lat: f64 = it.next()?.parse().ok()?;
            Some((l.split(',').next()?.to_owned(), lat, lon))
        })
        .collect()
}

/// Great-circle distance (haversine), written here again so the test does not trust the
/// router's.
fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = |d: f64| d * std::f64::consts::PI / 180.0;
    let h = ((r(b.0) - r(a.0)) / 2.0).sin().powi(2)
        + r(a.0).cos() * r(b.0).cos() * ((r(b.1) - r(a.1)) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[test]
fn every_test_range_gets_its_nearest_pop() {
    let dir = temp_dir("dns");
    let (pops_path, pops) = pops_file(&dir, &[]);
    let dns = start(&dir, &pops_path, &[]);
    let centroids = centroids();
    let ranges = std::fs::read_to_string(data("test-ranges.csv")).expect("ranges");
    let mut checked = 0;
    for line in ranges.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (country, cidr) = (f[0], f[2]);
        let c = centroids
            .iter()
            .find(|c| c.0 == country)
            .unwrap_or_else(|| panic!("no centroid for {country}"));
        let expected = pops
            .iter()
            .enumerate()
            .min_by(|a, b| {
                km((c.1, c.2), (a.1 .1, a.1 .2)).total_cmp(&km((c.1, c.2), (b.1 .1, b.1 .2)))
            })
            .map(|(i, _)| format!("127.0.0.{}", i + 1))
            .expect("a POP");
        let out = dig(&dns, &[DOMAIN, "A", &format!("+subnet={cidr}"), "+norec"]);
        let answer = out
            .lines()
            .find(|l| l.starts_with(DOMAIN) && l.contains("\tA\t"))
            .unwrap_or_else(|| panic!("{cidr}: no A record in\n{out}"));
        assert!(
            answer.ends_with(&expected),
            "{cidr} ({country}): expected {expected}, got {answer}"
        );
        assert_eq!(
            answer.split_whitespace().nth(1),
            Some("60"),
            "TTL: {answer}"
        );
        // The option is echoed with a scope.
        assert!(
            out.contains(&format!("CLIENT-SUBNET: {cidr}/")),
            "{cidr}: ECS not echoed\n{out}"
        );
        assert!(out.contains("flags: qr aa"), "authoritative: {out}");
        checked += 1;
    }
    assert_eq!(checked, 120);
    // Without ECS the resolver's own address counts: 127.0.0.1 has no country, so the default
    // (first) POP answers.
    let out = dig(&dns, &[DOMAIN, "A", "+short"]);
    assert_eq!(out.trim(), "127.0.0.1");
    // Over TCP too.
    let out = dig(
        &dns,
        &[DOMAIN, "A", "+tcp", "+short", "+subnet=60.64.0.0/16"],
    );
    let nrt = pops.iter().position(|p| p.0 == "NRT").expect("NRT") + 1;
    assert_eq!(out.trim(), format!("127.0.0.{nrt}"));
}

#[test]
fn zone_answers_and_refusals() {
    let dir = temp_dir("dns-zone");
    let (pops_path, _) = pops_file(&dir, &[]);
    let dns = start(&dir, &pops_path, &[]);
    let status = |args: &[&str]| {
        let out = dig(&dns, args);
        out.lines()
            .find_map(|l| l.split("status: ").nth(1))
            .map(|s| s.split(',').next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no status in {out}"))
    };
    assert_eq!(status(&["nope.cdn.test", "A"]), "NXDOMAIN");
    assert_eq!(status(&["example.com", "A"]), "REFUSED");
    assert_eq!(status(&[DOMAIN, "A", "-c", "CH"]), "REFUSED");
    assert_eq!(status(&[DOMAIN, "ANY"]), "NOTIMP");
    // dig reports a refused transfer as a failed one.
    let out = dig(&dns, &["cdn.test", "AXFR"]);
    assert!(out.contains("Transfer failed"), "{out}");
    // An unknown type at an existing name: no data, with the SOA.
    let out = dig(&dns, &[DOMAIN, "TYPE999"]);
    assert!(
        out.contains("status: NOERROR") && out.contains("ANSWER: 0"),
        "{out}"
    );
    assert!(out.contains("SOA"), "{out}");
    assert_eq!(
        dig(&dns, &["cdn.test", "SOA", "+short"]).trim(),
        "ns1.cdn.test. hostmaster.cdn.test. 1 3600 600 86400 60"
    );
    assert_eq!(
        dig(&dns, &["cdn.test", "NS", "+short"]).trim(),
        "ns1.cdn.test."
    );
    // IPv4 POPs: AAAA has no data.
    let out = dig(&dns, &[DOMAIN, "AAAA"]);
    assert!(
        out.contains("status: NOERROR") && out.contains("ANSWER: 0"),
        "{out}"
    );
}

#[test]
fn malformed_and_odd_packets_never_take_it_down() {
    let dir = temp_dir("dns-bad");
    let (pops_path, _) = pops_file(&dir, &[]);
    let dns = start(&dir, &pops_path, &[]);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let ask = |packet: &[u8]| -> Option<Vec<u8>> {
        sock.send_to(packet, dns.addr).expect("send");
        let mut buf = [0u8; 4096];
        sock.recv_from(&mut buf)
            .ok()
            .map(|(n, _)| buf[..n].to_vec())
    };
    let rcode = |r: &[u8]| r[3] & 0x0f;
    // A header claiming one question, then garbage.
    let r = ask(&[
        0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
    ])
    .expect("answer");
    assert_eq!(&r[..2], &[0x12, 0x34]);
    assert_eq!(rcode(&r), 1, "FORMERR");
    // NOTIFY (opcode 4) for the zone: not implemented.
    let mut notify = vec![0xab, 0xcd, 0x20, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    notify.extend_from_slice(b"\x03cdn\x04test\x00\x00\x06\x00\x01");
    let r = ask(&notify).expect("answer");
    assert_eq!(rcode(&r), 4, "NOTIMP");
    // Two questions: FORMERR.
    let mut two = vec![0x00, 0x07, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0];
    for _ in 0..2 {
        two.extend_from_slice(b"\x03cdn\x04test\x00\x00\x01\x00\x01");
    }
    let r = ask(&two).expect("answer");
    assert_eq!(rcode(&r), 1, "FORMERR");
    // Random bytes of every length up to 600: whatever comes back, the server lives.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in (0..600).step_by(7) {
        let p: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x & 0xff) as u8
            })
            .collect();
        sock.send_to(&p, dns.addr).expect("send");
    }
    // An oversized TCP message (64 KiB of junk) is dropped.
    if let Ok(mut tcp) = std::net::TcpStream::connect(dns.addr) {
        let _ = tcp.write_all(&[0xff, 0xff]);
        let _ = tcp.write_all(&vec![0u8; 65_535]);
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
        let mut sink = Vec::new();
        let _ = tcp.read_to_end(&mut sink);
    }
    let out = dig(&dns, &[DOMAIN, "A", "+short", "+subnet=79.192.0.0/16"]);
    assert!(out.trim().starts_with("127.0.0."), "still answering: {out}");
}

/// A health endpoint that answers 200 while `up`, and refuses connections' requests with 503
/// otherwise.
fn health_server(up: Arc<AtomicBool>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut s) = stream else { continue };
            let up = up.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 1024];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {
                            let status = if up.load(Ordering::Relaxed) {
                                "200 OK"
                            } else {
                                "503 Service Unavailable"
                            };
                            if s.write_all(
                                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n")
                                    .as_bytes(),
                            )
                            .is_err()
                            {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}/healthz")
}

#[test]
fn a_failing_pop_leaves_the_answers_and_comes_back() {
    let dir = temp_dir("dns-health");
    let up = Arc::new(AtomicBool::new(true));
    let csv = std::fs::read_to_string(data("pops.csv")).expect("pops");
    let fra = csv
        .lines()
        .skip(1)
        .position(|l| l.starts_with("FRA,"))
        .expect("FRA");
    let (pops_path, _) = pops_file(&dir, &[(fra, health_server(up.clone()))]);
    let interval = 0.2;
    let dns = start(&dir, &pops_path, &["--health-interval", "0.2"]);
    let fra_addr = format!("127.0.0.{}", fra + 1);
    let answer = || {
        dig(&dns, &[DOMAIN, "A", "+short", "+subnet=79.192.0.0/16"])
            .trim()
            .to_owned()
    };
    assert_eq!(answer(), fra_addr);
    up.store(false, Ordering::Relaxed);
    let t = Instant::now();
    while answer() == fra_addr {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "FRA never left the answers"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = t.elapsed().as_secs_f64();
    // Within two intervals, plus dig's own time per query.
    assert!(took <= 2.0 * interval + 0.3, "took {took:.2}s");
    let other = answer();
    assert!(other.starts_with("127.0.0.") && other != fra_addr);
    up.store(true, Ordering::Relaxed);
    let t = Instant::now();
    while answer() != fra_addr {
        assert!(t.elapsed() < Duration::from_secs(10), "FRA never came back");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Three POPs for the HTTP mode and load tests: IAD (first, so the default), FRA and SYD,
/// with viewer ports and optional health URL / capacity per POP.
fn three_pops(dir: &Path, rows: [(&str, u16, &str, &str); 3]) -> PathBuf {
    let coords = [
        ("IAD50-C1", "US", "38.947456", "-77.459929"),
        ("FRA50-C1", "DE", "50.0264", "8.54313"),
        ("SYD1", "AU", "-33.9461", "151.177"),
    ];
    let mut out = String::from("code,city,country,lat,lon,address,port,health_url,capacity\n");
    for ((code, cc, lat, lon), (address, port, health, capacity)) in coords.iter().zip(rows) {
        out.push_str(&format!(
            "{code},x,{cc},{lat},{lon},{address},{port},{health},{capacity}\n"
        ));
    }
    let p = dir.join("pops3.csv");
    std::fs::write(&p, out).expect("write pops");
    p
}

/// HTTP mode: 302 to `<pop>.<distribution>:<port>` with path and query kept, the client taken
/// from X-Forwarded-For only for a trusted proxy, the per-POP name answered by the router's
/// own DNS, and curl -L landing on that real edge with the object's bytes.
#[tokio::test]
async fn http_mode_redirects_to_the_nearest_pop_and_curl_follows_it() {
    use crate::testkit::curl::curl;
    use crate::testkit::{Edge, Reply, TestOrigin};

    let dir = temp_dir("dns-http");
    let origin = TestOrigin::start().await;
    let body = crate::testkit::pseudo_random_bytes(50_000, 7);
    // The cache policy (CachingOptimized) forwards no query string: the origin sees `/obj`.
    origin.route(
        "/obj",
        Reply::cacheable(body.clone(), "max-age=600")
            .header("content-type", "application/octet-stream"),
    );
    let config = edge_file_to(&dir, "127.0.0.1", origin.port());
    let iad = Edge::start_distributions(&config, &["--pop", "IAD50-C1"]).await;
    let fra = Edge::start_distributions(&config, &["--pop", "FRA50-C1"]).await;
    let pops = three_pops(
        &dir,
        [
            ("127.0.0.1", iad.addr().port(), "", ""),
            ("127.0.0.1", fra.addr().port(), "", ""),
            ("127.0.0.9", 8443, "", ""),
        ],
    );
    let dns = start_with(
        &config,
        &pops,
        &[
            "--http-listen",
            "127.0.0.1:0",
            "--trusted-proxy",
            "127.0.0.2/32",
        ],
    );
    let http = dns.http.expect("http= in the ready line");
    let url = format!("http://{http}/obj?v=1");
    let host = ["-H", "Host: d111111abcdef8.cdn.test"];
    let fra_url = format!("http://fra50-c1.{DOMAIN}:{}/obj?v=1", fra.addr().port());

    // A trusted proxy (curl bound to 127.0.0.2) forwarding a German client: FRA.
    let de = [
        &host[..],
        &[
            "--interface",
            "127.0.0.2",
            "-H",
            "X-Forwarded-For: 79.192.1.1",
        ],
    ]
    .concat();
    let r = curl(&url, &de).await;
    assert_eq!(r.status, 302, "{}", r.text());
    assert_eq!(r.header("location").as_deref(), Some(fra_url.as_str()));
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    assert_eq!(origin.total(), 0, "the router itself never fetches");
    // An Australian one: SYD, its port in the URL.
    let au = [
        &host[..],
        &[
            "--interface",
            "127.0.0.2",
            "-H",
            "X-Forwarded-For: 1.128.0.1",
        ],
    ]
    .concat();
    let r = curl(&url, &au).await;
    assert_eq!(
        r.header("location").as_deref(),
        Some(format!("http://syd1.{DOMAIN}:8443/obj?v=1").as_str())
    );
    // The same header from an untrusted peer is ignored: 127.0.0.1 has no location, so the
    // default POP (IAD).
    let untrusted = [&host[..], &["-H", "X-Forwarded-For: 79.192.1.1"]].concat();
    let r = curl(&url, &untrusted).await;
    assert_eq!(
        r.header("location").as_deref(),
        Some(format!("http://iad50-c1.{DOMAIN}:{}/obj?v=1", iad.addr().port()).as_str())
    );
    // An alias redirects to the per-POP name under the distribution's domain name; HEAD 302,
    // POST 307.
    let r = curl(
        &url,
        &[
            "-H",
            "Host: WWW.example.test",
            "--interface",
            "127.0.0.2",
            "-H",
            "X-Forwarded-For: 79.192.1.1",
            "-I",
        ],
    )
    .await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location").as_deref(), Some(fra_url.as_str()));
    let r = curl(&url, &[&de[..], &["-X", "POST", "--data", "x=1"]].concat()).await;
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location").as_deref(), Some(fra_url.as_str()));
    // Unknown Host: 404 naming it.
    let r = curl(&url, &["-H", "Host: nope.example.test"]).await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("nope.example.test"), "{}", r.text());

    // The router's DNS answers the per-POP name with exactly that POP, whatever the subnet.
    let out = dig(
        &dns,
        &[
            &format!("syd1.{DOMAIN}"),
            "A",
            "+short",
            "+subnet=79.192.0.0/16",
        ],
    );
    assert_eq!(out.trim(), "127.0.0.9");
    let out = dig(&dns, &[&format!("fra50-c1.{DOMAIN}"), "A", "+short"]);
    assert_eq!(out.trim(), "127.0.0.1");
    let out = dig(&dns, &[&format!("lhr.{DOMAIN}"), "A"]);
    assert!(out.contains("status: NXDOMAIN"), "{out}");

    // curl -L follows to the real FRA edge (the name resolved as the router's DNS says) and
    // gets the object: a miss that reached the origin once, then a hit.
    let resolve = format!("fra50-c1.{DOMAIN}:{}:127.0.0.1", fra.addr().port());
    let follow = [&de[..], &["-L", "--resolve", &resolve]].concat();
    let r = curl(&url, &follow).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], &body[..], "exact bytes through the redirect");
    assert_eq!(r.header("x-amz-cf-pop").as_deref(), Some("FRA50-C1"));
    assert_eq!(origin.hits("/obj"), 1);
    let r = curl(&url, &follow).await;
    assert_eq!(&r.body[..], &body[..]);
    assert!(r.x_cache().starts_with("Hit"), "{}", r.x_cache());
    assert_eq!(origin.hits("/obj"), 1, "second one served from FRA's cache");
    // IAD never saw the request, and serves its own per-POP name as the distribution.
    let r = curl(
        &iad.url("/obj?v=1"),
        &["-H", &format!("Host: iad50-c1.{DOMAIN}")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.x_cache().starts_with("Miss"), "{}", r.x_cache());
}

/// Load shedding through real processes: FRA's edge reports its open viewer connections on
/// /healthz; with capacity 3, three idle connections saturate it and German clients go to the
/// next nearest POP (IAD); once they close (below 80 %), FRA answers again.
#[tokio::test]
async fn a_saturated_pop_sheds_to_the_next_nearest() {
    use crate::testkit::{Edge, TestOrigin};

    let dir = temp_dir("dns-load");
    let origin = TestOrigin::start().await;
    let config = edge_file_to(&dir, "127.0.0.1", origin.port());
    let fra = Edge::start_distributions(&config, &["--pop", "FRA50-C1"]).await;
    let health = fra.admin_url("/healthz");
    let pops = three_pops(
        &dir,
        [
            ("127.0.0.2", 80, "", ""),
            ("127.0.0.3", fra.addr().port(), &health, "3"),
            ("127.0.0.4", 80, "", ""),
        ],
    );
    let dns = start_with(&config, &pops, &["--health-interval", "0.1"]);
    let answer = || {
        dig(&dns, &[DOMAIN, "A", "+short", "+subnet=79.192.0.0/16"])
            .trim()
            .to_owned()
    };
    assert_eq!(answer(), "127.0.0.3");
    // The figure the router reads.
    let r = crate::testkit::Req::get(&health).send().await;
    assert_eq!(r.header("brink-connections").as_deref(), Some("0"));
    let held: Vec<std::net::TcpStream> = (0..3)
        .map(|_| std::net::TcpStream::connect(fra.addr()).expect("connect"))
        .collect();
    let t = Instant::now();
    while answer() != "127.0.0.2" {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "FRA never shed its load"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = crate::testkit::Req::get(&health).send().await;
    assert_eq!(r.header("brink-connections").as_deref(), Some("3"));
    drop(held);
    let t = Instant::now();
    while answer() != "127.0.0.3" {
        assert!(t.elapsed() < Duration::from_secs(10), "FRA never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

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
    let p = dir.join("edge.json");
    let doc = serde_json::json!({"Distributions": [{
    "Id": "E1", "DomainName": DOMAIN,
    "DistributionConfig": {
        "CallerReference": "x", "Comment": "", "Enabled": true,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example",
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
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
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, pops: &Path, extra: &[&str]) -> Dns {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "dns",
            "--listen",
            "127.0.0.1:0",
            "--zone",
            "cdn.test",
            "--config",
        ])
        .arg(edge_file(dir))
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
    let addr = line
        .trim()
        .strip_prefix("brink ready dns=")
        .unwrap_or_else(|| panic!("ready line {line:?}"))
        .parse()
        .expect("addr");
    Dns { child, addr }
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

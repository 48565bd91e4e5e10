//! The router's own input files: the POP list and the coverage zone. Parsed strictly, every
//! problem named with its line (these are our parsers: `fuzz/fuzz_targets/dns_files.rs`).

use std::net::IpAddr;

/// CloudFront's price classes (cloudfront.md §8.4), the widest last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PriceClass {
    /// North America, Europe and Israel.
    Class100,
    /// Adds most of Asia, India, the Middle East and Africa.
    Class200,
    /// Every location (adds South America and Oceania).
    All,
}

impl PriceClass {
    /// From a distribution's `PriceClass` (`None` means all, as CloudFront's console shows).
    pub fn parse(s: &str) -> PriceClass {
        match s {
            "PriceClass_100" => PriceClass::Class100,
            "PriceClass_200" => PriceClass::Class200,
            _ => PriceClass::All,
        }
    }
}

/// The price-class region of each of the 20 default POPs (`data/geo/pops.csv`), following
/// AWS's published grouping: North America and Europe in 100; Asia, India, the Middle East
/// and Africa added by 200; South America and Australia only in All. A POP not listed here
/// (an operator's own) serves every class.
pub const PRICE_CLASS_OF_POP: [(&str, PriceClass); 20] = [
    ("IAD", PriceClass::Class100),
    ("ORD", PriceClass::Class100),
    ("DFW", PriceClass::Class100),
    ("LAX", PriceClass::Class100),
    ("YYZ", PriceClass::Class100),
    ("LHR", PriceClass::Class100),
    ("FRA", PriceClass::Class100),
    ("CDG", PriceClass::Class100),
    ("ARN", PriceClass::Class100),
    ("DXB", PriceClass::Class200),
    ("JNB", PriceClass::Class200),
    ("LOS", PriceClass::Class200),
    ("BOM", PriceClass::Class200),
    ("SIN", PriceClass::Class200),
    ("NRT", PriceClass::Class200),
    ("ICN", PriceClass::Class200),
    ("HKG", PriceClass::Class200),
    ("GRU", PriceClass::All),
    ("SCL", PriceClass::All),
    ("SYD", PriceClass::All),
];

/// One edge location.
#[derive(Debug, Clone, PartialEq)]
pub struct Pop {
    /// IATA-style code (`IAD`, or `IAD50-C1`).
    pub code: String,
    /// City, for logs.
    pub city: String,
    /// ISO country of the POP.
    pub country: String,
    /// Latitude and longitude in degrees.
    pub lat_lon: (f64, f64),
    /// The address the POP answers viewers on.
    pub address: IpAddr,
    /// Polled for health when present.
    pub health_url: Option<String>,
    /// The port viewers reach the POP's HTTP listener on (HTTP routing mode's redirects);
    /// column `port`, default 80.
    pub port: u16,
    /// Open viewer connections at which the POP counts as saturated (load shedding,
    /// [`crate::health`]); column `capacity`, empty or absent = never saturated.
    pub capacity: Option<u64>,
    /// The narrowest price class that includes it.
    pub price_class: PriceClass,
}

/// A problem in an input file, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> FileError {
    FileError {
        line,
        message: message.into(),
    }
}

/// Parses `code,city,country,lat,lon,address[,health_url][,port][,capacity]` with that header
/// line (the columns of `data/geo/pops.csv` plus `address` and the optional `health_url`,
/// `port` and `capacity`, in any order). Every problem is reported.
///
/// # Errors
/// Each bad line, or a missing header, or no POP at all.
pub fn parse_pops(text: &str) -> Result<Vec<Pop>, Vec<FileError>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    let Some((_, header)) = lines.next() else {
        return Err(vec![err(1, "empty file: expected a header line")]);
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let idx = |name: &str| cols.iter().position(|c| *c == name);
    let (Some(c_code), Some(c_city), Some(c_country), Some(c_lat), Some(c_lon), Some(c_addr)) = (
        idx("code"),
        idx("city"),
        idx("country"),
        idx("lat"),
        idx("lon"),
        idx("address"),
    ) else {
        return Err(vec![err(
            1,
            "header must name code,city,country,lat,lon,address (and optionally health_url)",
        )]);
    };
    let c_health = idx("health_url");
    let c_port = idx("port");
    let c_capacity = idx("capacity");
    let mut pops = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != cols.len() {
            errors.push(err(
                n,
                format!("expected {} columns, found {}", cols.len(), f.len()),
            ));
            continue;
        }
        let code = f[c_code];
        // The code, lower-cased, is also a DNS label (`<pop>.<distribution>`).
        if code.is_empty()
            || code.len() > 63
            || code.starts_with('-')
            || code.ends_with('-')
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            errors.push(err(
                n,
                format!("code {code:?}: 1-63 letters, digits and inner '-'"),
            ));
            continue;
        }
        let lat: Option<f64> = f[c_lat]
            .parse()
            .ok()
            .filter(|v: &f64| (-90.0..=90.0).contains(v));
        let lon: Option<f64> = f[c_lon]
            .parse()
            .ok()
            .filter(|v: &f64| (-180.0..=180.0).contains(v));
        let (Some(lat), Some(lon)) = (lat, lon) else {
            errors.push(err(n, "lat/lon: degrees within ±90 / ±180"));
            continue;
        };
        let Ok(address) = f[c_addr].parse::<IpAddr>() else {
            errors.push(err(
                n,
                format!("address {:?}: not an IP address", f[c_addr]),
            ));
            continue;
        };
        let health_url = c_health.map(|c| f[c]).filter(|u| !u.is_empty());
        if let Some(u) = health_url {
            if !u.starts_with("http://") {
                errors.push(err(n, format!("health_url {u:?}: an http:// URL")));
                continue;
            }
        }
        let port = match c_port.map(|c| f[c]).filter(|v| !v.is_empty()) {
            None => 80,
            Some(v) => match v.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    errors.push(err(n, format!("port {v:?}: 1-65535")));
                    continue;
                }
            },
        };
        let capacity = match c_capacity.map(|c| f[c]).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => match v.parse::<u64>() {
                Ok(c) if c > 0 => Some(c),
                _ => {
                    errors.push(err(
                        n,
                        format!("capacity {v:?}: a positive number of connections"),
                    ));
                    continue;
                }
            },
        };
        if pops.iter().any(|p: &Pop| p.code.eq_ignore_ascii_case(code)) {
            errors.push(err(n, format!("code {code:?} listed twice")));
            continue;
        }
        let iata = code.get(..3).unwrap_or(code);
        let price_class = PRICE_CLASS_OF_POP
            .iter()
            .find(|(c, _)| *c == iata)
            .map_or(PriceClass::Class100, |(_, p)| *p);
        pops.push(Pop {
            code: code.to_owned(),
            city: f[c_city].to_owned(),
            country: f[c_country].to_owned(),
            lat_lon: (lat, lon),
            address,
            health_url: health_url.map(str::to_owned),
            port,
            capacity,
            price_class,
        });
    }
    if pops.is_empty() && errors.is_empty() {
        errors.push(err(1, "no POP listed"));
    }
    if errors.is_empty() {
        Ok(pops)
    } else {
        Err(errors)
    }
}

pub use brink_geo::{mask, Cidr};

/// The operator's CIDR → POP overrides (Traffic Router's coverage zone file), as lines
/// `CIDR POP` (`#` comments). The most specific network wins.
#[derive(Debug, Clone, Default)]
pub struct CoverageZone {
    /// (network, index into the POP list), most specific first.
    entries: Vec<(Cidr, usize)>,
}

impl CoverageZone {
    /// Parses the file against the POP list.
    ///
    /// # Errors
    /// Every bad line.
    pub fn parse(text: &str, pops: &[Pop]) -> Result<CoverageZone, Vec<FileError>> {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let mut f = line.split_whitespace();
            let (Some(net), Some(pop), None) = (f.next(), f.next(), f.next()) else {
                errors.push(err(i + 1, "expected `CIDR POP`"));
                continue;
            };
            let Some(cidr) = Cidr::parse(net) else {
                errors.push(err(i + 1, format!("{net:?}: not a CIDR")));
                continue;
            };
            let Some(p) = pops.iter().position(|p| p.code == pop) else {
                errors.push(err(i + 1, format!("{pop:?}: not in the POP list")));
                continue;
            };
            entries.push((cidr, p));
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.0.len));
        if errors.is_empty() {
            Ok(CoverageZone { entries })
        } else {
            Err(errors)
        }
    }

    /// The POP for `ip` and the matching prefix length, if a network covers it.
    pub fn lookup(&self, ip: IpAddr) -> Option<(usize, u8)> {
        self.entries
            .iter()
            .find(|(c, _)| c.contains(ip))
            .map(|(c, p)| (*p, c.len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POPS: &str = "code,city,country,lat,lon,address,health_url\n\
        IAD,Washington DC,US,38.9,-77.4,127.0.0.2,http://127.0.0.2:9/healthz\n\
        FRA,Frankfurt,DE,50.0,8.5,127.0.0.3,\n";

    #[test]
    fn pops_parse_with_price_classes() {
        let p = parse_pops(POPS).expect("parse");
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].health_url.as_deref(),
            Some("http://127.0.0.2:9/healthz")
        );
        assert_eq!(p[1].health_url, None);
        assert_eq!(p[1].price_class, PriceClass::Class100);
        assert_eq!((p[0].port, p[0].capacity), (80, None));
        let p = parse_pops(
            "code,city,country,lat,lon,address,port,capacity\nIAD,x,US,1,1,127.0.0.2,8080,100\nFRA,x,DE,1,1,127.0.0.3,,\n",
        )
        .expect("parse");
        assert_eq!((p[0].port, p[0].capacity), (8080, Some(100)));
        assert_eq!((p[1].port, p[1].capacity), (80, None));
        let e = parse_pops(
            "code,city,country,lat,lon,address,port,capacity\nIAD,x,US,1,1,127.0.0.2,0,1\nFRA,x,DE,1,1,127.0.0.3,80,-1\n-X,x,DE,1,1,127.0.0.3,80,1\nfra,x,DE,1,1,127.0.0.3,80,1\n",
        )
        .expect_err("bad");
        assert_eq!(e.iter().map(|e| e.line).collect::<Vec<_>>(), vec![2, 3, 4]);
    }

    #[test]
    fn every_bad_line_is_reported() {
        let e = parse_pops(
            "code,city,country,lat,lon,address\nIAD,x,US,91,0,127.0.0.1\nFRA,x,DE,1,1,nope\nA B,x,US,1,1,127.0.0.1\nIAD,x,US,1,1\n",
        )
        .expect_err("bad");
        assert_eq!(
            e.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![2, 3, 4, 5]
        );
        assert!(parse_pops("").is_err());
        assert!(parse_pops("code,city\n").is_err());
    }

    #[test]
    fn coverage_zone_prefers_the_most_specific_network() {
        let p = parse_pops(POPS).expect("parse");
        let z = CoverageZone::parse(
            "10.0.0.0/8 IAD\n10.1.0.0/16 FRA # office\n\n2001:db8::/32 FRA\n",
            &p,
        )
        .expect("parse");
        assert_eq!(z.lookup("10.1.2.3".parse().expect("ip")), Some((1, 16)));
        assert_eq!(z.lookup("10.2.2.3".parse().expect("ip")), Some((0, 8)));
        assert_eq!(z.lookup("2001:db8::1".parse().expect("ip")), Some((1, 32)));
        assert_eq!(z.lookup("192.0.2.1".parse().expect("ip")), None);
        let e = CoverageZone::parse("10.0.0.0/33 IAD\nfoo\n10.0.0.0/8 XXX\n", &p).expect_err("bad");
        assert_eq!(e.len(), 3);
    }

    #[test]
    fn masks() {
        assert_eq!(
            Cidr::parse("10.1.2.3/8").map(|c| c.addr),
            "10.0.0.0".parse().ok()
        );
        assert!(Cidr::parse("10.0.0.0/8")
            .expect("cidr")
            .contains("::ffff:10.9.9.9".parse().expect("ip")));
        assert_eq!(
            mask("1.2.3.4".parse().expect("ip"), 0),
            "0.0.0.0".parse::<IpAddr>().expect("ip")
        );
    }
}

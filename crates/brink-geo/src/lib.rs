//! IP geolocation for Brink: which country (and, when the database knows, which coordinates)
//! an address belongs to, each country's centroid, and great-circle distances.
//!
//! Reads MaxMind DB files in either of two layouts, told apart per record:
//! * flat records `{"country_code": "US"}` — the iptoasn database the project ships
//!   (`data/geo/iptoasn-country.mmdb`, whose `AP` "Asia/Pacific" is not a country and counts
//!   as unknown);
//! * GeoIP2 / GeoLite2 Country and City (`country.iso_code`, City also
//!   `location.latitude/longitude`).
//!
//! Owns no policy: geo restriction (the edge) and nearest-POP routing (the DNS router) decide
//! what a country means for them. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are
//! canonicalised first, since the shipped file does not alias them.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The centroids table the project ships (`data/geo/country-centroids.csv`).
const CENTROIDS_CSV: &str = include_str!("../../../data/geo/country-centroids.csv");

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// Parses `"US"` (two ASCII letters, any case).
    pub fn parse(s: &str) -> Option<Country> {
        let b = s.as_bytes();
        (b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic))
            .then(|| Country([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()]))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Two ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the database says of an address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    /// The country.
    pub country: Country,
    /// Coordinates, when the database has them (GeoIP2 City).
    pub coordinates: Option<(f64, f64)>,
    /// Length of the database network the address fell in (for ECS scope prefixes).
    pub prefix_len: u8,
}

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
#[error("geo database {path}: {message}")]
pub struct GeoError {
    path: PathBuf,
    message: String,
}

/// Both record layouts at once; serde ignores the fields a layout lacks.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(borrow, default)]
    country: Option<Named<'a>>,
    #[serde(borrow, default)]
    registered_country: Option<Named<'a>>,
    #[serde(default)]
    location: Option<Coordinates>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct Coordinates {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

/// An open MaxMind DB.
pub struct GeoDb {
    reader: maxminddb::Reader<Vec<u8>>,
    path: PathBuf,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoDb").field("path", &self.path).finish()
    }
}

impl GeoDb {
    /// Reads the whole file into memory (5 MB for the shipped one).
    ///
    /// # Errors
    /// The file cannot be read or is not a MaxMind DB.
    pub fn open(path: &Path) -> Result<GeoDb, GeoError> {
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| GeoError {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Ok(GeoDb {
            reader,
            path: path.to_owned(),
        })
    }

    /// The database the project ships (`data/geo/iptoasn-country.mmdb`, PDDL-1.0), built into
    /// the binary so `brink up` and `brink dns` work with no file at hand.
    ///
    /// # Errors
    /// Only if the embedded bytes were damaged at build time.
    pub fn shipped() -> Result<GeoDb, GeoError> {
        const SHIPPED: &[u8] = include_bytes!("../../../data/geo/iptoasn-country.mmdb");
        let reader = maxminddb::Reader::from_source(SHIPPED.to_vec()).map_err(|e| GeoError {
            path: PathBuf::from("<built-in iptoasn-country.mmdb>"),
            message: e.to_string(),
        })?;
        Ok(GeoDb {
            reader,
            path: PathBuf::from("<built-in iptoasn-country.mmdb>"),
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The location of `ip`, or `None` when the database has no (usable) record: private
    /// and unrouted space, `AP`, malformed records.
    pub fn lookup(&self, ip: IpAddr) -> Option<Location> {
        let ip = ip.to_canonical();
        let result = self.reader.lookup(ip).ok()?;
        let prefix_len = result.network().map_or(0, |n| n.prefix());
        let record: Record<'_> = result.decode().ok()??;
        let code = record
            .country_code
            .or_else(|| record.country.as_ref().and_then(|c| c.iso_code))
            .or_else(|| record.registered_country.as_ref().and_then(|c| c.iso_code))?;
        let country = Country::parse(code).filter(|c| c.as_str() != "AP")?;
        let coordinates = record
            .location
            .and_then(|l| Some((l.latitude?, l.longitude?)));
        Some(Location {
            country,
            coordinates,
            prefix_len,
        })
    }
}

/// Everything the database says of an address, for the `CloudFront-Viewer-*` headers
/// (cloudfront.md §3.2). Fields the database lacks are `None`: the shipped file knows only
/// the country; GeoIP2/GeoLite2 City files add the rest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Details {
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<Country>,
    /// The country's English name (the database's, else the shipped centroids table's).
    pub country_name: Option<String>,
    /// ISO 3166-2 subdivision code (the part after the country, e.g. `WA`).
    pub region: Option<String>,
    /// The subdivision's English name.
    pub region_name: Option<String>,
    /// The city's English name.
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// US metro (DMA) code.
    pub metro_code: Option<u16>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// Latitude and longitude, when the database has them.
    pub coordinates: Option<(f64, f64)>,
}

#[derive(Deserialize, Default)]
struct DetailRecord<'a> {
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(borrow, default)]
    country: Option<NamedPlace<'a>>,
    #[serde(borrow, default)]
    registered_country: Option<NamedPlace<'a>>,
    #[serde(borrow, default)]
    subdivisions: Option<Vec<NamedPlace<'a>>>,
    #[serde(borrow, default)]
    city: Option<NamedPlace<'a>>,
    #[serde(borrow, default)]
    postal: Option<Postal<'a>>,
    #[serde(borrow, default)]
    location: Option<FullLocation<'a>>,
}

#[derive(Deserialize, Default)]
struct NamedPlace<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
    #[serde(borrow, default)]
    names: Option<std::collections::BTreeMap<&'a str, &'a str>>,
}

impl NamedPlace<'_> {
    fn english(&self) -> Option<String> {
        self.names
            .as_ref()
            .and_then(|n| n.get("en"))
            .map(|s| (*s).to_owned())
    }
}

#[derive(Deserialize, Default)]
struct Postal<'a> {
    #[serde(borrow, default)]
    code: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct FullLocation<'a> {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    #[serde(default)]
    metro_code: Option<u16>,
    #[serde(borrow, default)]
    time_zone: Option<&'a str>,
}

impl GeoDb {
    /// Every detail the database has of `ip` (slower than [`GeoDb::lookup`]: it allocates
    /// the names); `None` when it has no record.
    pub fn details(&self, ip: IpAddr) -> Option<Details> {
        let ip = ip.to_canonical();
        let result = self.reader.lookup(ip).ok()?;
        let record: DetailRecord<'_> = result.decode().ok()??;
        let code = record
            .country_code
            .or_else(|| record.country.as_ref().and_then(|c| c.iso_code))
            .or_else(|| record.registered_country.as_ref().and_then(|c| c.iso_code));
        let country = code.and_then(Country::parse).filter(|c| c.as_str() != "AP");
        let country_name = record
            .country
            .as_ref()
            .and_then(NamedPlace::english)
            .or_else(|| country.and_then(country_name).map(str::to_owned));
        let first = record.subdivisions.as_ref().and_then(|s| s.first());
        let location = record.location.unwrap_or_default();
        Some(Details {
            country,
            country_name,
            region: first.and_then(|s| s.iso_code).map(str::to_owned),
            region_name: first.and_then(NamedPlace::english),
            city: record.city.as_ref().and_then(NamedPlace::english),
            postal_code: record.postal.and_then(|p| p.code).map(str::to_owned),
            metro_code: location.metro_code,
            time_zone: location.time_zone.map(str::to_owned),
            coordinates: location.latitude.zip(location.longitude),
        })
    }
}

/// The English name of `country` from the shipped centroids table.
pub fn country_name(country: Country) -> Option<&'static str> {
    static NAMES: std::sync::OnceLock<Vec<(Country, &'static str)>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let mut rows: Vec<(Country, &'static str)> = CENTROIDS_CSV
            .lines()
            .skip(1)
            .filter_map(|l| {
                // code,name,lat,lon; a name with a comma is quoted.
                let (code, rest) = l.split_once(',')?;
                let mut it = rest.rsplitn(3, ',');
                let (_lon, _lat, name) = (it.next()?, it.next()?, it.next()?);
                Some((Country::parse(code.trim())?, name.trim().trim_matches('"')))
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        rows
    });
    names
        .binary_search_by_key(&country, |r| r.0)
        .ok()
        .map(|i| names[i].1)
}

/// A database file that may be replaced while the process runs (`--geo-db FILE`, reloaded
/// when it changes): readers take the current one, [`WatchedGeoDb::reload_if_changed`]
/// swaps in a new one once it opens as a valid database. A file caught half-written fails to
/// open and is tried again at its next change; the running database stays meanwhile.
#[derive(Debug)]
pub struct WatchedGeoDb {
    current: std::sync::RwLock<std::sync::Arc<GeoDb>>,
    /// The file and the modification time of the version in use (`None`: built in).
    file: Option<(PathBuf, std::sync::Mutex<Option<std::time::SystemTime>>)>,
}

/// The outcome of [`WatchedGeoDb::reload_if_changed`].
#[derive(Debug)]
pub enum Reload {
    /// Same file as before (or a built-in database).
    Unchanged,
    /// The new file is in use.
    Reloaded,
    /// The file changed but could not be used; the previous database stays.
    Failed(GeoError),
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl WatchedGeoDb {
    /// Opens `path` and remembers its modification time.
    ///
    /// # Errors
    /// The file cannot be read or is not a MaxMind DB.
    pub fn open(path: &Path) -> Result<WatchedGeoDb, GeoError> {
        let stamp = modified(path);
        let db = GeoDb::open(path)?;
        Ok(WatchedGeoDb {
            current: std::sync::RwLock::new(std::sync::Arc::new(db)),
            file: Some((path.to_owned(), std::sync::Mutex::new(stamp))),
        })
    }

    /// A database that never changes (the built-in one).
    pub fn fixed(db: GeoDb) -> WatchedGeoDb {
        WatchedGeoDb {
            current: std::sync::RwLock::new(std::sync::Arc::new(db)),
            file: None,
        }
    }

    /// The database in use.
    pub fn current(&self) -> std::sync::Arc<GeoDb> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the file if its modification time is not the one in use.
    pub fn reload_if_changed(&self) -> Reload {
        let Some((path, stamp)) = &self.file else {
            return Reload::Unchanged;
        };
        let mut stamp = stamp
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = modified(path);
        if now.is_none() || now == *stamp {
            return Reload::Unchanged;
        }
        // Remembered whatever the outcome, so a broken file is reported once per change.
        *stamp = now;
        match GeoDb::open(path) {
            Ok(db) => {
                *self
                    .current
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(db);
                Reload::Reloaded
            }
            Err(e) => Reload::Failed(e),
        }
    }
}

/// Country centroids (latitude, longitude in degrees).
#[derive(Debug, Clone)]
pub struct Centroids {
    rows: Vec<(Country, f64, f64)>,
}

impl Default for Centroids {
    fn default() -> Self {
        Centroids::shipped()
    }
}

impl Centroids {
    /// The table the project ships (251 rows).
    pub fn shipped() -> Centroids {
        let mut rows: Vec<(Country, f64, f64)> = CENTROIDS_CSV
            .lines()
            .skip(1)
            .filter_map(|l| {
                // code,name,lat,lon — names may hold commas inside quotes, so read the
                // numbers from the end.
                let mut it = l.rsplitn(3, ',');
                let lon: f64 = it.next()?.trim().parse().ok()?;
                let lat: f64 = it.next()?.trim().parse().ok()?;
                let code = Country::parse(l.split(',').next()?.trim())?;
                Some((code, lat, lon))
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        Centroids { rows }
    }

    /// The centroid of `country`.
    pub fn get(&self, country: Country) -> Option<(f64, f64)> {
        self.rows
            .binary_search_by_key(&country, |r| r.0)
            .ok()
            .map(|i| (self.rows[i].1, self.rows[i].2))
    }

    /// Number of countries.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// An IP network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits zero).
    pub addr: IpAddr,
    /// Prefix length.
    pub len: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::/n` (a bare address is a host route).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, l) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len: u8 = if l.is_empty() {
            max
        } else {
            l.trim().parse().ok()?
        };
        (len <= max).then(|| Cidr {
            addr: mask(addr, len),
            len,
        })
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.len) == self.addr
    }
}

/// The viewer behind a connection: `peer` itself, or, when `peer` is inside one of
/// `trusted` (a proxy or load balancer in front of us), the right-most `X-Forwarded-For`
/// entry that is not itself trusted. `forwarded_for` are the header's values in order; an
/// entry that is not an address stops the walk (the last good one is kept). Shared by the
/// edge (geo restriction) and the request router's HTTP mode.
pub fn forwarded_client<'a>(
    peer: IpAddr,
    trusted: &[Cidr],
    forwarded_for: impl Iterator<Item = &'a str>,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.iter().any(|c| c.contains(peer)) {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for e in entries.iter().rev() {
        let Ok(ip) = e.parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !trusted.iter().any(|c| c.contains(client)) {
            break;
        }
    }
    client
}

/// `ip` with every bit after `len` cleared.
pub fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

/// Great-circle distance in kilometres between two (latitude, longitude) points, by the
/// haversine formula on a sphere of radius 6,371 km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(p: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/geo")
            .join(p)
    }

    #[test]
    fn forwarded_client_trusts_only_listed_proxies() {
        let trusted = [Cidr::parse("10.0.0.0/8").expect("cidr")];
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let xff = ["198.51.100.7, 10.1.1.1", "10.2.2.2"];
        // A trusted peer: skip the trusted hops from the right.
        assert_eq!(
            forwarded_client(ip("10.9.9.9"), &trusted, xff.iter().copied()),
            ip("198.51.100.7")
        );
        // An untrusted peer: the header is ignored.
        assert_eq!(
            forwarded_client(ip("203.0.113.1"), &trusted, xff.iter().copied()),
            ip("203.0.113.1")
        );
        // Garbage stops the walk at the last good entry.
        assert_eq!(
            forwarded_client(ip("10.9.9.9"), &trusted, ["nope, 10.1.1.1"].into_iter()),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn the_shipped_database_answers_the_documented_addresses() {
        let db = GeoDb::open(&data("iptoasn-country.mmdb")).expect("open");
        for (ip, cc) in [
            ("8.8.8.8", "US"),
            ("81.2.69.160", "GB"),
            ("79.192.1.1", "DE"),
            ("60.64.1.1", "JP"),
            ("2001:4860:4860::8888", "US"),
            ("2a00:2000::1", "GB"),
            // Not aliased in the file: canonicalised first.
            ("::ffff:81.2.69.160", "GB"),
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            let loc = db.lookup(ip).unwrap_or_else(|| panic!("{ip}: no record"));
            assert_eq!(loc.country.as_str(), cc, "{ip}");
            assert!(loc.coordinates.is_none());
        }
        assert_eq!(
            db.lookup("8.8.8.8".parse().expect("ip"))
                .map(|l| l.prefix_len),
            Some(15)
        );
        for private in ["10.0.0.1", "127.0.0.1", "::1"] {
            assert!(
                db.lookup(private.parse().expect("ip")).is_none(),
                "{private}"
            );
        }
    }

    #[test]
    fn every_test_range_maps_to_its_country() {
        let db = GeoDb::open(&data("iptoasn-country.mmdb")).expect("open");
        let csv = std::fs::read_to_string(data("test-ranges.csv")).expect("csv");
        let mut n = 0;
        for line in csv.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let ip: IpAddr = f[3].parse().expect("sample ip");
            assert_eq!(
                db.lookup(ip).map(|l| l.country.to_string()).as_deref(),
                Some(f[0]),
                "{line}"
            );
            n += 1;
        }
        assert_eq!(n, 120);
    }

    #[test]
    fn geoip2_layouts_are_read_too() {
        let country = GeoDb::open(&data("test/GeoIP2-Country-Test.mmdb")).expect("open");
        let loc = country
            .lookup("81.2.69.160".parse().expect("ip"))
            .expect("record");
        assert_eq!(loc.country.as_str(), "GB");
        // MaxMind's own files alias IPv4-mapped addresses; canonicalising does no harm.
        let mapped = country
            .lookup("::ffff:81.2.69.160".parse().expect("ip"))
            .expect("record");
        assert_eq!(mapped.country.as_str(), "GB");
        let city = GeoDb::open(&data("test/GeoIP2-City-Test.mmdb")).expect("open");
        let loc = city
            .lookup("81.2.69.160".parse().expect("ip"))
            .expect("record");
        assert_eq!(loc.country.as_str(), "GB");
        let (lat, lon) = loc.coordinates.expect("City has coordinates");
        assert!(
            (50.0..56.0).contains(&lat) && (-3.0..1.0).contains(&lon),
            "{lat},{lon}"
        );
        let lite = GeoDb::open(&data("test/GeoLite2-Country-Test.mmdb")).expect("open");
        assert!(lite.lookup("81.2.69.160".parse().expect("ip")).is_some());
    }

    #[test]
    fn the_built_in_copy_is_the_shipped_file() {
        let db = GeoDb::shipped().expect("built in");
        let loc = db.lookup("60.64.1.1".parse().expect("ip")).expect("record");
        assert_eq!(loc.country.as_str(), "JP");
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let e = GeoDb::open(&data("pops.csv")).expect_err("not a db");
        assert!(e.to_string().contains("pops.csv"), "{e}");
    }

    #[test]
    fn centroids_and_distances() {
        let c = Centroids::shipped();
        assert!(c.len() >= 250, "{}", c.len());
        let us = c.get(Country::parse("us").expect("cc")).expect("US");
        assert!(
            (us.0 - 38.0).abs() < 1.0 && (us.1 + 97.0).abs() < 1.0,
            "{us:?}"
        );
        assert!(c.get(Country::parse("QQ").expect("cc")).is_none());
        // London–Paris ≈ 344 km; antipodes ≈ half the circumference.
        let d = distance_km((51.5074, -0.1278), (48.8566, 2.3522));
        assert!((d - 344.0).abs() < 5.0, "{d}");
        let half = distance_km((0.0, 0.0), (0.0, 180.0));
        assert!((half - std::f64::consts::PI * 6371.0).abs() < 1.0, "{half}");
    }

    #[test]
    fn city_details_come_from_a_geoip2_city_file() {
        let db = GeoDb::open(&data("test/GeoIP2-City-Test.mmdb")).expect("open");
        let d = db
            .details("216.160.83.56".parse().expect("ip"))
            .expect("record");
        assert_eq!(d.country.map(|c| c.to_string()).as_deref(), Some("US"));
        assert_eq!(d.country_name.as_deref(), Some("United States"));
        assert_eq!(d.city.as_deref(), Some("Milton"));
        assert_eq!(d.region.as_deref(), Some("WA"));
        assert_eq!(d.region_name.as_deref(), Some("Washington"));
        assert_eq!(d.postal_code.as_deref(), Some("98354"));
        assert_eq!(d.metro_code, Some(819));
        assert_eq!(d.time_zone.as_deref(), Some("America/Los_Angeles"));
        assert_eq!(d.coordinates, Some((47.2513, -122.3149)));
    }

    #[test]
    fn the_shipped_file_gives_the_country_and_the_table_its_name() {
        let db = GeoDb::open(&data("iptoasn-country.mmdb")).expect("open");
        let d = db.details("8.8.8.8".parse().expect("ip")).expect("record");
        assert_eq!(d.country.map(|c| c.to_string()).as_deref(), Some("US"));
        assert_eq!(d.country_name.as_deref(), Some("United States"));
        assert_eq!(d.city, None);
        assert_eq!(d.coordinates, None);
        let bq = Country::parse("BQ").expect("code");
        assert_eq!(country_name(bq), Some("Bonaire, Sint Eustatius and Saba"));
    }

    #[test]
    fn a_watched_file_is_replaced_only_by_a_valid_database() {
        let dir = std::env::temp_dir().join(format!("brink-geo-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("geo.mmdb");
        std::fs::copy(data("test/GeoIP2-Country-Test.mmdb"), &file).expect("copy");
        let watched = WatchedGeoDb::open(&file).expect("open");
        let ip: IpAddr = "50.114.0.1".parse().expect("ip");
        assert_eq!(
            watched.current().lookup(ip).map(|l| l.country.to_string()),
            Some("US".to_owned())
        );
        assert!(matches!(watched.reload_if_changed(), Reload::Unchanged));
        // A half-written file: refused, the running database stays.
        let set_mtime = |secs: u64| {
            let f = std::fs::File::options()
                .write(true)
                .open(&file)
                .expect("open");
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
                .expect("mtime");
        };
        std::fs::write(&file, b"not a database").expect("write");
        set_mtime(1_000_000);
        assert!(matches!(watched.reload_if_changed(), Reload::Failed(_)));
        assert!(watched.current().lookup(ip).is_some());
        // A valid database in its place is taken.
        std::fs::copy(data("iptoasn-country.mmdb"), &file).expect("copy");
        set_mtime(2_000_000);
        assert!(matches!(watched.reload_if_changed(), Reload::Reloaded));
        let google: IpAddr = "8.8.8.8".parse().expect("ip");
        assert_eq!(
            watched
                .current()
                .lookup(google)
                .map(|l| l.country.to_string()),
            Some("US".to_owned())
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

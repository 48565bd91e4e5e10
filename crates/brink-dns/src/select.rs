//! Which POP answers a client: the routing rule, kept free of DNS so it can be tested (and
//! reused by the HTTP routing mode) on its own.
//!
//! The rule, in order:
//! 1. the POPs allowed by the distribution's price class that are healthy and not saturated
//!    (load shedding, [`crate::health`]) are the candidates; if every healthy one is
//!    saturated, the healthy ones are (a saturated POP beats a down one); if none is healthy,
//!    every allowed POP is (fail open); if the class allows none (an operator POP list without
//!    such regions), every POP is;
//! 2. a coverage-zone network containing the client names its POP, if that POP is a
//!    candidate (scope = the network's prefix);
//! 3. else the client's country (geo database) → that country's centroid → the candidate at
//!    the smallest great-circle distance (ties: the earlier in the POP file; scope = the
//!    database network's prefix);
//! 4. else (no record, no centroid) the default POP if it is a candidate, else the first
//!    candidate.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use std::collections::HashMap;

use brink_geo::{distance_km, Centroids, Country, GeoDb};

use crate::pops::{CoverageZone, Pop, PriceClass};

/// The answer for one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// Index into the POP list.
    pub pop: usize,
    /// How much of the client's address the answer depended on (RFC 7871 scope prefix).
    pub scope: u8,
}

/// POPs, their health, and the data the rule needs.
#[derive(Debug)]
pub struct Selector {
    pops: Vec<Pop>,
    healthy: Vec<AtomicBool>,
    saturated: Vec<AtomicBool>,
    /// Lower-cased POP codes (the labels of per-POP names), with their index.
    labels: HashMap<String, usize>,
    geo: Option<GeoDb>,
    /// Per country with a centroid: every POP, nearest first (ties in file order), computed
    /// once so that a query does no trigonometry.
    ranking: HashMap<Country, Box<[usize]>>,
    coverage: CoverageZone,
    default_pop: usize,
}

impl Selector {
    /// Every POP starts healthy (a POP without `health_url` stays so).
    pub fn new(
        pops: Vec<Pop>,
        geo: Option<GeoDb>,
        coverage: CoverageZone,
        default_pop: usize,
    ) -> Selector {
        let healthy = pops.iter().map(|_| AtomicBool::new(true)).collect();
        let saturated = pops.iter().map(|_| AtomicBool::new(false)).collect();
        let labels = pops
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.to_ascii_lowercase(), i))
            .collect();
        let centroids = Centroids::shipped();
        let mut ranking = HashMap::new();
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let code = [a, b];
                let Some(country) = std::str::from_utf8(&code).ok().and_then(Country::parse) else {
                    continue;
                };
                let Some(centre) = centroids.get(country) else {
                    continue;
                };
                let d: Vec<f64> = pops
                    .iter()
                    .map(|p| distance_km(centre, p.lat_lon))
                    .collect();
                let mut order: Vec<usize> = (0..pops.len()).collect();
                // Stable: equal distances keep file order.
                order.sort_by(|&x, &y| d[x].total_cmp(&d[y]));
                ranking.insert(country, order.into_boxed_slice());
            }
        }
        Selector {
            pops,
            healthy,
            saturated,
            labels,
            geo,
            ranking,
            coverage,
            default_pop,
        }
    }

    /// The POPs.
    pub fn pops(&self) -> &[Pop] {
        &self.pops
    }

    /// Marks a POP up or down (the health poller).
    pub fn set_healthy(&self, pop: usize, up: bool) {
        if let Some(h) = self.healthy.get(pop) {
            h.store(up, Ordering::Relaxed);
        }
    }

    /// Whether a POP is currently up.
    pub fn is_healthy(&self, pop: usize) -> bool {
        self.healthy
            .get(pop)
            .is_some_and(|h| h.load(Ordering::Relaxed))
    }

    /// Marks a POP saturated or not (the health poller, from the load it reports).
    pub fn set_saturated(&self, pop: usize, saturated: bool) {
        if let Some(s) = self.saturated.get(pop) {
            s.store(saturated, Ordering::Relaxed);
        }
    }

    /// Whether a POP currently reports itself saturated.
    pub fn is_saturated(&self, pop: usize) -> bool {
        self.saturated
            .get(pop)
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// The POP whose lower-cased code is `label` (per-POP names `<label>.<distribution>`).
    pub fn by_label(&self, label: &str) -> Option<usize> {
        self.labels.get(label).copied()
    }

    /// The POP for `client`, under price class `class`. Allocates nothing.
    pub fn choose(&self, client: IpAddr, class: PriceClass) -> Choice {
        let client = client.to_canonical();
        let n = self.pops.len();
        // The candidate sets of the rule are nested (usable ⊂ healthy ⊂ allowed ⊂ all): a
        // POP's tier is the first set it is in, and the candidates are the POPs at or below
        // the best tier present.
        let tier = |i: usize| -> u8 {
            if self.pops[i].price_class > class {
                3
            } else if !self.is_healthy(i) {
                2
            } else if self.is_saturated(i) {
                1
            } else {
                0
            }
        };
        let best = (0..n).map(tier).min().unwrap_or(3);
        let candidate = |i: usize| i < n && tier(i) <= best;
        if let Some((p, len)) = self.coverage.lookup(client) {
            if candidate(p) {
                return Choice { pop: p, scope: len };
            }
        }
        if let Some(loc) = self.geo.as_ref().and_then(|g| g.lookup(client)) {
            if let Some(order) = self.ranking.get(&loc.country) {
                if let Some(&pop) = order.iter().find(|&&i| candidate(i)) {
                    return Choice {
                        pop,
                        scope: loc.prefix_len,
                    };
                }
            }
        }
        let pop = if candidate(self.default_pop) {
            self.default_pop
        } else {
            (0..n).find(|&i| candidate(i)).unwrap_or(0)
        };
        // Unknown everywhere we looked: valid for the whole source network the client gave.
        let scope = if client.is_ipv4() { 24 } else { 56 };
        Choice { pop, scope }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pops::parse_pops;

    fn selector(coverage: &str) -> Selector {
        let pops = parse_pops(
            "code,city,country,lat,lon,address\n\
             IAD,Washington,US,38.947456,-77.459929,127.0.0.2\n\
             FRA,Frankfurt,DE,50.0264,8.54313,127.0.0.3\n\
             SYD,Sydney,AU,-33.9461,151.177,127.0.0.4\n",
        )
        .expect("pops");
        let cz = CoverageZone::parse(coverage, &pops).expect("cz");
        let geo = GeoDb::open(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/geo/iptoasn-country.mmdb"),
        )
        .expect("geo");
        Selector::new(pops, Some(geo), cz, 0)
    }

    #[test]
    fn nearest_healthy_allowed_pop() {
        let s = selector("");
        let de: IpAddr = "79.192.1.1".parse().expect("ip");
        let au: IpAddr = "1.128.0.1".parse().expect("ip");
        assert_eq!(s.choose(de, PriceClass::All).pop, 1);
        assert_eq!(s.choose(de, PriceClass::All).scope, 10);
        // Price class 100 has no Sydney.
        let au_all = s.choose(au, PriceClass::All).pop;
        let au_100 = s.choose(au, PriceClass::Class100).pop;
        assert_ne!(au_100, 2);
        // FRA down: Germany goes to the next nearest; all down: fail open.
        s.set_healthy(1, false);
        assert_eq!(s.choose(de, PriceClass::All).pop, 0);
        for i in 0..3 {
            s.set_healthy(i, false);
        }
        assert_eq!(s.choose(de, PriceClass::All).pop, 1);
        let _ = au_all;
    }

    #[test]
    fn a_saturated_pop_sheds_to_the_next_nearest() {
        let s = selector("79.192.0.0/16 FRA\n");
        let de: IpAddr = "79.192.1.1".parse().expect("ip");
        let de2: IpAddr = "79.200.1.1".parse().expect("ip");
        s.set_saturated(1, true);
        // Neither the coverage zone nor geography picks a saturated POP.
        assert_eq!(s.choose(de, PriceClass::All).pop, 0);
        assert_eq!(s.choose(de2, PriceClass::All).pop, 0);
        // All healthy ones saturated: load is ignored, nearest again.
        s.set_saturated(0, true);
        s.set_saturated(2, true);
        assert_eq!(s.choose(de2, PriceClass::All).pop, 1);
        // A saturated POP beats a down one.
        s.set_healthy(0, false);
        s.set_healthy(1, false);
        assert_eq!(s.choose(de2, PriceClass::All).pop, 2);
        assert_eq!(s.by_label("syd"), Some(2));
        assert_eq!(s.by_label("SYD"), None);
    }

    #[test]
    fn coverage_zone_and_unknown_clients() {
        let s = selector("79.192.0.0/16 SYD\n");
        let ip: IpAddr = "79.192.1.1".parse().expect("ip");
        assert_eq!(s.choose(ip, PriceClass::All), Choice { pop: 2, scope: 16 });
        // Not allowed by the class: geography decides.
        assert_eq!(s.choose(ip, PriceClass::Class100).pop, 1);
        // Private space: the default POP.
        assert_eq!(
            s.choose("10.1.1.1".parse().expect("ip"), PriceClass::All)
                .pop,
            0
        );
    }
}

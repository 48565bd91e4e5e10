//! Fuzzes the DNS router's own parsers: the POP list and, against the POPs it produced (or
//! two fixed ones), the coverage zone. Neither may panic; every POP parsed has a valid
//! coordinate pair and a code of letters, digits and '-'; a coverage-zone lookup on what was
//! parsed never panics either.
#![no_main]

use brink_dns::{parse_pops, CoverageZone};
use libfuzzer_sys::fuzz_target;

const FALLBACK: &str = "code,city,country,lat,lon,address\nIAD,a,US,1,1,127.0.0.2\nFRA,b,DE,2,2,::1\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pops_text, zone_text) = text.split_once("\n---\n").unwrap_or((text, text));
    let pops = match parse_pops(pops_text) {
        Ok(p) => {
            for pop in &p {
                assert!((-90.0..=90.0).contains(&pop.lat_lon.0));
                assert!((-180.0..=180.0).contains(&pop.lat_lon.1));
                assert!(pop.code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
                assert!(!pop.code.is_empty() && pop.code.len() <= 63 && pop.port > 0);
            }
            p
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            parse_pops(FALLBACK).expect("fallback POPs")
        }
    };
    if let Ok(zone) = CoverageZone::parse(zone_text, &pops) {
        for ip in ["10.1.2.3", "::1", "255.255.255.255", "2001:db8::1"] {
            if let Some((p, len)) = zone.lookup(ip.parse().expect("ip")) {
                assert!(p < pops.len());
                assert!(len <= 128);
            }
        }
    }
});

//! Brink's request router: an authoritative DNS server for the CDN's domain that answers the
//! name of every distribution with the one edge POP nearest to the client (Apache Traffic
//! Control calls this component Traffic Router; CloudFront does the same with its DNS).
//!
//! * Built on `hickory-server` (UDP and TCP, EDNS); this crate is only the zone logic
//!   ([`handler`]) and the choice of POP ([`select`]).
//! * The client is the EDNS Client Subnet (RFC 7871) when the query carries one, else the
//!   resolver's address; its country comes from a MaxMind DB (`brink-geo`), then that
//!   country's centroid and the great-circle distance to each POP. An operator's coverage
//!   zone (CIDR → POP) overrides geography; an unknown location gets the default POP.
//! * A distribution's `PriceClass` limits the POPs that may answer for it
//!   ([`pops::PRICE_CLASS_OF_POP`]).
//! * POPs with a `health_url` are polled ([`health`]); one that fails is out of answers until
//!   it recovers; if every allowed POP is down, the router answers with the nearest anyway
//!   (fail open: a possibly-down edge beats no answer).
//!
//! Does not own the distributions: they come as a set of names ([`Zone::set_names`]) from
//! whoever reads the configuration (a file today, the control plane's feed next).

pub mod handler;
pub mod health;
pub mod pops;
pub mod select;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

pub use handler::Router;
pub use pops::{parse_pops, CoverageZone, FileError, Pop, PriceClass};
pub use select::{Choice, Selector};

/// The names the router is authoritative for, and the price class of each.
#[derive(Debug, Default)]
pub struct Zone {
    names: RwLock<Arc<HashMap<String, PriceClass>>>,
}

impl Zone {
    /// Replaces the set of distribution names (lower case, without the trailing dot).
    pub fn set_names(&self, names: HashMap<String, PriceClass>) {
        *self.names.write() = Arc::new(names);
    }

    /// The price class of `name`, if it is a distribution's.
    pub fn class_of(&self, name: &str) -> Option<PriceClass> {
        self.names.read().get(name).copied()
    }

    /// How many names are served.
    pub fn len(&self) -> usize {
        self.names.read().len()
    }

    /// Whether no name is served.
    pub fn is_empty(&self) -> bool {
        self.names.read().is_empty()
    }
}

/// The distribution names of a validated model, with their price classes.
pub fn names_of(model: &brink_model::Model) -> HashMap<String, PriceClass> {
    model
        .distributions()
        .iter()
        .map(|d| {
            (
                d.domain_name.trim_end_matches('.').to_ascii_lowercase(),
                PriceClass::parse(d.price_class.as_str()),
            )
        })
        .collect()
}

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
//! * HTTP routing mode ([`redirect`]): a 302 to the chosen POP's own name
//!   `<pop>.<distribution domain>`, which this DNS answers with exactly that POP and the edge
//!   accepts as the distribution.
//! * Load shedding: edges report open connections on their health answer; a saturated POP
//!   gives way to the next nearest ([`health`]).
//!
//! Does not own the distributions: they come as a set of names ([`Zone::set_names`]) from
//! whoever reads the configuration (a file today, the control plane's feed next).

pub mod handler;
pub mod health;
pub mod pops;
pub mod redirect;
pub mod select;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

pub use handler::Router;
pub use pops::{parse_pops, CoverageZone, FileError, Pop, PriceClass};
pub use redirect::HttpRouter;
pub use select::{Choice, Selector};

/// The distributions the router serves: their domain names (DNS) and every name a viewer
/// may send as `Host` (HTTP mode: domain names and aliases, as the edge routes them).
#[derive(Debug, Default)]
pub struct Names {
    by_name: HashMap<String, PriceClass>,
    hosts: brink_model::HostRouter,
    /// Domain name and price class, by the model's distribution index.
    distributions: Vec<(String, PriceClass)>,
}

impl Names {
    /// How many distributions.
    pub fn len(&self) -> usize {
        self.distributions.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.distributions.is_empty()
    }
}

/// The names the router is authoritative for, and the price class of each.
#[derive(Debug, Default)]
pub struct Zone {
    names: RwLock<Arc<Names>>,
    /// Bumped by every [`Zone::set_names`]: answering threads keep their own copy of the
    /// `Arc` and only take the lock when it moved, so queries on several threads do not
    /// all write the lock's shared counter (one cache line bouncing between cores).
    version: AtomicU64,
}

thread_local! {
    /// This thread's copy of a zone's names: (zone address, version, names).
    static CACHED: RefCell<Option<(usize, u64, Arc<Names>)>> = const { RefCell::new(None) };
}

impl Zone {
    /// Replaces the distributions.
    pub fn set_names(&self, names: Names) {
        // Versions are unique in the process (0 = never set, empty), so a thread's copy can
        // never be mistaken for another zone's that reused this address.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let mut w = self.names.write();
        *w = Arc::new(names);
        self.version
            .store(NEXT.fetch_add(1, Ordering::Relaxed), Ordering::Release);
    }

    /// The current names, from this thread's copy when it is still current.
    fn current(&self) -> Arc<Names> {
        let id = self as *const Zone as usize;
        let version = self.version.load(Ordering::Acquire);
        CACHED.with(|c| {
            let mut c = c.borrow_mut();
            match &*c {
                Some((i, v, names)) if *i == id && *v == version => names.clone(),
                _ => {
                    let names = self.names.read().clone();
                    *c = Some((id, version, names.clone()));
                    names
                }
            }
        })
    }

    /// The price class of `name` (lower case, without the trailing dot), if it is a
    /// distribution's domain name.
    pub fn class_of(&self, name: &str) -> Option<PriceClass> {
        self.current().by_name.get(name).copied()
    }

    /// The domain name and price class of the distribution a viewer's `Host` names (any case,
    /// `:port` ignored; aliases and wildcard aliases too).
    pub fn by_host(&self, host: &str) -> Option<(String, PriceClass)> {
        let names = self.names.read();
        let i = names.hosts.route(host)?;
        names.distributions.get(i.get()).cloned()
    }

    /// How many distributions are served.
    pub fn len(&self) -> usize {
        self.names.read().len()
    }

    /// Whether no distribution is served.
    pub fn is_empty(&self) -> bool {
        self.names.read().is_empty()
    }
}

/// The distributions of a validated model.
pub fn names_of(model: &brink_model::Model) -> Names {
    let distributions: Vec<(String, PriceClass)> = model
        .distributions()
        .iter()
        .map(|d| {
            (
                d.domain_name.trim_end_matches('.').to_ascii_lowercase(),
                PriceClass::parse(d.price_class.as_str()),
            )
        })
        .collect();
    Names {
        by_name: distributions.iter().cloned().collect(),
        hosts: model.router().clone(),
        distributions,
    }
}

//! A memo of signatures already verified, so a URL or cookie set used for many requests (a
//! video's segments, a page's images, range requests) costs one RSA/ECDSA operation per
//! configuration version instead of one per request.
//!
//! Only the signature check is memoised: the conditions (expiry, start, IP, resource) are
//! evaluated on every request, since they depend on the request and the clock. An entry is
//! the SHA-256 of (key id, hash algorithm, exact policy bytes, signature bytes), length-
//! prefixed, so a hit needs the very same signed policy under the very same key: producing a
//! false hit is a SHA-256 second preimage. Direct-mapped slots, one small lock each: a
//! collision evicts, nothing grows. It lives in [`crate::TrustedKeys`], which is rebuilt with
//! each configuration version, so a removed key's entries go with it.

use parking_lot::Mutex;
use sha2::Digest as _;

use crate::keys::HashAlgorithm;

/// Slots of the memo that [`crate::KeyRing::trusted_keys`] gives each behavior (≈ 40 KiB).
pub const DEFAULT_VERIFIED_CACHE_SLOTS: usize = 1024;

#[derive(Debug)]
pub(crate) struct VerifiedCache {
    slots: Box<[Mutex<[u8; 32]>]>,
    mask: usize,
}

impl VerifiedCache {
    /// `slots` rounded up to a power of two (at least 1).
    pub(crate) fn new(slots: usize) -> VerifiedCache {
        let n = slots.max(1).next_power_of_two();
        VerifiedCache {
            slots: (0..n).map(|_| Mutex::new([0u8; 32])).collect(),
            mask: n - 1,
        }
    }

    pub(crate) fn digest(
        key_id: &str,
        hash: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update((key_id.len() as u64).to_be_bytes());
        h.update(key_id.as_bytes());
        h.update([hash as u8]);
        h.update((message.len() as u64).to_be_bytes());
        h.update(message);
        h.update(signature);
        h.finalize().into()
    }

    fn slot(&self, d: &[u8; 32]) -> &Mutex<[u8; 32]> {
        let i = usize::from(d[0]) | usize::from(d[1]) << 8 | usize::from(d[2]) << 16;
        &self.slots[i & self.mask]
    }

    pub(crate) fn contains(&self, d: &[u8; 32]) -> bool {
        *self.slot(d).lock() == *d
    }

    pub(crate) fn insert(&self, d: [u8; 32]) {
        *self.slot(&d).lock() = d;
    }
}

/// What a request that passed every check depended on besides its exact text: the time and
/// address conditions, evaluated again on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conditions {
    pub(crate) date_less_than: u64,
    pub(crate) date_greater_than: Option<u64>,
    pub(crate) ip: Option<crate::policy::Ipv4Net>,
}

/// One remembered request: its digest, conditions and what was accepted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepted {
    pub(crate) digest: [u8; 32],
    pub(crate) conditions: Conditions,
    pub(crate) policy: crate::verify::PolicyKind,
    pub(crate) hash: HashAlgorithm,
}

/// A memo of whole requests already accepted, keyed by the SHA-256 of everything the
/// checks read from the request except the clock and the peer (source, `Key-Pair-Id`, the
/// signature, policy, expiry and hash-algorithm texts as sent, scheme, host, path and
/// query): a hit skips decoding the signature, rebuilding or parsing the policy and the
/// signature check, which depend on nothing else, and re-evaluates only the conditions.
/// Same shape as [`VerifiedCache`]: direct-mapped, a collision evicts.
#[derive(Debug)]
pub(crate) struct RequestMemo {
    slots: Box<[Mutex<Option<Accepted>>]>,
    mask: usize,
}

impl RequestMemo {
    pub(crate) fn new(slots: usize) -> RequestMemo {
        let n = slots.max(1).next_power_of_two();
        RequestMemo {
            slots: (0..n).map(|_| Mutex::new(None)).collect(),
            mask: n - 1,
        }
    }

    fn slot(&self, d: &[u8; 32]) -> &Mutex<Option<Accepted>> {
        let i = usize::from(d[0]) | usize::from(d[1]) << 8 | usize::from(d[2]) << 16;
        &self.slots[i & self.mask]
    }

    pub(crate) fn get(&self, d: &[u8; 32]) -> Option<Accepted> {
        self.slot(d).lock().filter(|a| a.digest == *d)
    }

    pub(crate) fn insert(&self, a: Accepted) {
        *self.slot(&a.digest).lock() = Some(a);
    }
}

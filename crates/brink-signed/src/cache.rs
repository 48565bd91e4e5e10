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

/// What was accepted for a remembered request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepted {
    pub(crate) conditions: Conditions,
    pub(crate) policy: crate::verify::PolicyKind,
    pub(crate) hash: HashAlgorithm,
}

/// Everything the checks read from a request except the clock and the peer, as a list of
/// parts (source, `Key-Pair-Id`, the signature, policy, expiry and hash-algorithm texts as
/// sent, scheme, host, path and query); an absent part differs from an empty one.
#[derive(Debug, Default)]
pub(crate) struct MemoKey<'a> {
    parts: [Option<&'a [u8]>; MemoKey::PARTS],
    len: usize,
}

impl<'a> MemoKey<'a> {
    const PARTS: usize = 10;

    /// Appends a part (ignored past [`MemoKey::PARTS`]: callers push a fixed list).
    pub(crate) fn push(&mut self, part: Option<&'a str>) {
        if let Some(slot) = self.parts.get_mut(self.len) {
            *slot = part.map(str::as_bytes);
            self.len += 1;
        }
    }

    fn parts(&self) -> &[Option<&'a [u8]>] {
        &self.parts[..self.len]
    }

    /// The key's bytes: per part, `0` when absent, else `1`, its length (4 bytes) and itself.
    fn encode(&self) -> Box<[u8]> {
        let mut out = Vec::with_capacity(self.bytes());
        for p in self.parts() {
            match p {
                None => out.push(0),
                Some(b) => {
                    out.push(1);
                    out.extend_from_slice(
                        &u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes(),
                    );
                    out.extend_from_slice(b);
                }
            }
        }
        out.into_boxed_slice()
    }

    /// Whether `stored` is this key's [`MemoKey::encode`], compared part by part (no copy).
    fn matches(&self, mut stored: &[u8]) -> bool {
        for p in self.parts() {
            match (p, stored.split_first()) {
                (None, Some((0, rest))) => stored = rest,
                (Some(b), Some((1, rest))) => {
                    let Some((len, rest)) = rest.split_first_chunk::<4>() else {
                        return false;
                    };
                    if u32::from_be_bytes(*len) as usize != b.len() {
                        return false;
                    }
                    let Some((text, rest)) = rest.split_at_checked(b.len()) else {
                        return false;
                    };
                    if text != *b {
                        return false;
                    }
                    stored = rest;
                }
                _ => return false,
            }
        }
        stored.is_empty()
    }

    /// The length of [`MemoKey::encode`].
    fn bytes(&self) -> usize {
        self.parts()
            .iter()
            .map(|p| p.map_or(1, |b| 5 + b.len()))
            .sum()
    }
}

/// Requests whose memo key is longer than this are not remembered (checked in full each
/// time): the memo's memory stays bounded by slots × this.
const MAX_MEMO_KEY: usize = 4096;

/// One slot of [`RequestMemo`]: a remembered key's bytes and what was accepted.
type MemoSlot = Mutex<Option<(Box<[u8]>, Accepted)>>;

/// A memo of whole requests already accepted, keyed by their [`MemoKey`]: a hit skips
/// decoding the signature, rebuilding or parsing the policy and the signature check, which
/// depend on nothing else, and re-evaluates only the conditions. A hit needs the very same
/// bytes (compared in full, not by digest); the slot is chosen by a randomly seeded hash.
/// Direct-mapped like [`VerifiedCache`]: a collision evicts, nothing grows.
#[derive(Debug)]
pub(crate) struct RequestMemo {
    slots: Box<[MemoSlot]>,
    mask: usize,
    seed: foldhash::fast::RandomState,
}

impl RequestMemo {
    pub(crate) fn new(slots: usize) -> RequestMemo {
        let n = slots.max(1).next_power_of_two();
        RequestMemo {
            slots: (0..n).map(|_| Mutex::new(None)).collect(),
            mask: n - 1,
            seed: foldhash::fast::RandomState::default(),
        }
    }

    fn slot(&self, key: &MemoKey<'_>) -> &MemoSlot {
        use std::hash::{BuildHasher, Hasher};
        let mut h = self.seed.build_hasher();
        for p in key.parts() {
            match p {
                None => h.write_u8(0),
                Some(b) => {
                    h.write_usize(b.len());
                    h.write(b);
                }
            }
        }
        // Truncation intended: the low bits pick the slot.
        #[allow(clippy::cast_possible_truncation)]
        let i = h.finish() as usize;
        &self.slots[i & self.mask]
    }

    pub(crate) fn get(&self, key: &MemoKey<'_>) -> Option<Accepted> {
        match &*self.slot(key).lock() {
            Some((stored, a)) if key.matches(stored) => Some(*a),
            _ => None,
        }
    }

    pub(crate) fn insert(&self, key: &MemoKey<'_>, a: Accepted) {
        if key.bytes() <= MAX_MEMO_KEY {
            let stored = key.encode();
            *self.slot(key).lock() = Some((stored, a));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(parts: &[Option<&'a str>]) -> MemoKey<'a> {
        let mut k = MemoKey::default();
        for p in parts {
            k.push(*p);
        }
        k
    }

    #[test]
    fn memo_keys_match_only_themselves() {
        let a = key(&[Some("url"), Some("K1"), Some("/a"), None]);
        let stored = a.encode();
        assert!(a.matches(&stored));
        assert_eq!(stored.len(), a.bytes());
        // Absent is not empty; parts do not slide into each other.
        assert!(!key(&[Some("url"), Some("K1"), Some("/a"), Some("")]).matches(&stored));
        assert!(!key(&[Some("url"), Some("K1/"), Some("a"), None]).matches(&stored));
        assert!(!key(&[Some("url"), Some("K1"), Some("/a")]).matches(&stored));
        assert!(!key(&[Some("url"), Some("K1"), Some("/a"), None, None]).matches(&stored));
        assert!(!key(&[Some("url"), Some("K1"), Some("/b"), None]).matches(&stored));
        assert!(!a.matches(&stored[..stored.len() - 1]));
    }

    #[test]
    fn the_memo_answers_for_the_same_key_only() {
        let memo = RequestMemo::new(4);
        let accepted = Accepted {
            conditions: Conditions {
                date_less_than: 10,
                date_greater_than: None,
                ip: None,
            },
            policy: crate::verify::PolicyKind::Canned,
            hash: HashAlgorithm::Sha1,
        };
        let a = key(&[Some("url"), Some("K1"), Some("/a")]);
        assert!(memo.get(&a).is_none());
        memo.insert(&a, accepted);
        assert!(memo
            .get(&a)
            .is_some_and(|x| x.conditions == accepted.conditions));
        assert!(memo
            .get(&key(&[Some("url"), Some("K1"), Some("/b")]))
            .is_none());
        let long = "x".repeat(MAX_MEMO_KEY);
        let big = key(&[Some(&long)]);
        memo.insert(&big, accepted);
        assert!(memo.get(&big).is_none());
    }
}

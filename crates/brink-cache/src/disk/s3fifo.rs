//! S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023), as
//! pure bookkeeping: which ids live in which queue and how many bytes each queue holds. The
//! disk tier keeps its files beside it; the simulation in `sim` drives it with a trace.
//!
//! - New entries go to the small queue (a tenth of the budget), unless the key's hash is in
//!   the ghost list (evicted from the small queue lately): then straight to the main queue.
//! - Leaving the small queue, an entry read since it came in moves to the main queue; one
//!   never read again (a one-hit wonder, a scan) leaves, and its key hash enters the ghost list.
//! - The main queue is a CLOCK of 2-bit counters: an entry read since it was last passed goes
//!   round again with its counter decremented.
//!
//! Entries are identified by a per-file id (never reused); ghosts by the cache key's hash,
//! since the next file for the same key gets a new id. Removing an entry (purge, replacement,
//! corruption) subtracts its bytes from its queue at once; its id stays in the queue until the
//! eviction pointer passes it (or a compaction drops it).

use std::collections::{HashMap, VecDeque};

/// Which queue an entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Small,
    Main,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    key_hash: u64,
    size: u64,
    freq: u8,
    queue: Queue,
}

/// The S3-FIFO queues.
#[derive(Debug, Default)]
pub(crate) struct S3Fifo {
    nodes: HashMap<u64, Node>,
    small: VecDeque<u64>,
    main: VecDeque<u64>,
    /// Key hashes evicted from the small queue, oldest first, with the eviction's number.
    ghost: VecDeque<(u64, u64)>,
    /// The ghosts still remembered: key hash → number of its latest eviction (an entry of
    /// `ghost` whose number differs is stale: consumed by a reinsertion or superseded).
    ghost_set: HashMap<u64, u64>,
    ghost_seq: u64,
    small_bytes: u64,
    main_bytes: u64,
}

/// Ghost entries kept at least (small tiers would otherwise remember almost nothing).
const MIN_GHOSTS: usize = 1024;

impl S3Fifo {
    /// Adds entry `id` of `size` bytes stored under a key hashing to `key_hash`.
    pub(crate) fn insert(&mut self, id: u64, key_hash: u64, size: u64) {
        if let Some(old) = self.nodes.get(&id).copied() {
            // Never happens for file ids; keep the counts right anyway.
            self.sub(old);
        }
        let to_main = self.ghost_set.remove(&key_hash).is_some();
        let queue = if to_main { Queue::Main } else { Queue::Small };
        self.nodes.insert(
            id,
            Node {
                key_hash,
                size,
                freq: 0,
                queue,
            },
        );
        match queue {
            Queue::Main => {
                self.main.push_back(id);
                self.main_bytes += size;
            }
            Queue::Small => {
                self.small.push_back(id);
                self.small_bytes += size;
            }
        }
        self.compact();
    }

    /// Notes a read of entry `id`.
    pub(crate) fn touch(&mut self, id: u64) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.freq = (n.freq + 1).min(3);
        }
    }

    /// Forgets entry `id` (purged, replaced, corrupt). Returns its size.
    pub(crate) fn remove(&mut self, id: u64) -> Option<u64> {
        let node = self.nodes.remove(&id)?;
        self.sub(node);
        self.compact();
        Some(node.size)
    }

    fn sub(&mut self, node: Node) {
        match node.queue {
            Queue::Small => self.small_bytes -= node.size,
            Queue::Main => self.main_bytes -= node.size,
        }
    }

    /// Bytes held by both queues.
    pub(crate) fn used(&self) -> u64 {
        self.small_bytes + self.main_bytes
    }

    /// Entries held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Chooses and forgets one victim for a budget of `capacity` bytes; `None` only when
    /// nothing is held.
    pub(crate) fn evict(&mut self, capacity: u64) -> Option<(u64, u64)> {
        loop {
            if self.nodes.is_empty() {
                return None;
            }
            // Evict from the small queue while it holds more than a tenth of the budget (or
            // the main queue holds nothing).
            let small_first = self.small_bytes > capacity / 10 || self.main_bytes == 0;
            let from_small = if small_first {
                self.small_bytes > 0
            } else {
                self.main_bytes == 0
            };
            if from_small {
                let id = self.small.pop_front()?;
                let Some(node) = self.nodes.get_mut(&id).filter(|n| n.queue == Queue::Small) else {
                    continue; // removed earlier
                };
                if node.freq > 0 {
                    // Read again while in the small queue: promote.
                    node.freq = 0;
                    node.queue = Queue::Main;
                    let size = node.size;
                    self.small_bytes -= size;
                    self.main_bytes += size;
                    self.main.push_back(id);
                    continue;
                }
                let node = *node;
                self.nodes.remove(&id);
                self.small_bytes -= node.size;
                self.ghost_seq += 1;
                self.ghost.push_back((node.key_hash, self.ghost_seq));
                self.ghost_set.insert(node.key_hash, self.ghost_seq);
                let ghost_cap = self.nodes.len().max(MIN_GHOSTS);
                while self.ghost.len() > ghost_cap {
                    if let Some((old, seq)) = self.ghost.pop_front() {
                        if self.ghost_set.get(&old) == Some(&seq) {
                            self.ghost_set.remove(&old);
                        }
                    }
                }
                return Some((id, node.size));
            }
            let id = self.main.pop_front()?;
            let Some(node) = self.nodes.get_mut(&id).filter(|n| n.queue == Queue::Main) else {
                continue;
            };
            if node.freq > 0 {
                node.freq -= 1;
                self.main.push_back(id);
                continue;
            }
            let size = node.size;
            self.nodes.remove(&id);
            self.main_bytes -= size;
            return Some((id, size));
        }
    }

    /// Drops ids of removed entries from the queues once they outnumber the live ones.
    fn compact(&mut self) {
        let live = self.nodes.len();
        if self.small.len() + self.main.len() > 2 * live + 64 {
            let nodes = &self.nodes;
            self.small
                .retain(|id| nodes.get(id).is_some_and(|n| n.queue == Queue::Small));
            self.main
                .retain(|id| nodes.get(id).is_some_and(|n| n.queue == Queue::Main));
        }
    }

    /// True when entry `id` is in the main queue (tests).
    #[cfg(test)]
    pub(crate) fn in_main(&self, id: u64) -> bool {
        self.nodes.get(&id).is_some_and(|n| n.queue == Queue::Main)
    }

    /// Recomputes every count from the entries and compares (tests).
    #[cfg(test)]
    pub(crate) fn check(&self) -> Result<(), String> {
        let (mut small, mut main) = (0u64, 0u64);
        for (id, n) in &self.nodes {
            let (q, sum) = match n.queue {
                Queue::Small => (&self.small, &mut small),
                Queue::Main => (&self.main, &mut main),
            };
            *sum += n.size;
            if !q.contains(id) {
                return Err(format!("entry {id} missing from its queue {:?}", n.queue));
            }
        }
        if small != self.small_bytes || main != self.main_bytes {
            return Err(format!(
                "queue bytes small {} main {} but entries add up to {small} / {main}",
                self.small_bytes, self.main_bytes
            ));
        }
        if self.ghost_set.len() > self.ghost.len() {
            return Err(format!(
                "ghost set {} larger than list {}",
                self.ghost_set.len(),
                self.ghost.len()
            ));
        }
        Ok(())
    }
}

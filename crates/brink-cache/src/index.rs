//! One shard of the memory tier's index: primary key → stored variants and fills in flight.
//!
//! Most keys hold exactly one stored object and nothing in flight, and the object carries its
//! key. Such an entry is one pointer ([`Slot::One`]), 16 bytes in the table, instead of a
//! 64-byte key-and-lists pair (issue 9 part 7: about 80 bytes less per object at the table's
//! usual load). Keys with several variants, or with a fetch in flight, take the general form
//! ([`Slot::Many`]), a box of their own.

use std::sync::Arc;

use brink_http::key::CacheKey;
use hashbrown::HashTable;
use smallvec::SmallVec;

use crate::fill::Fill;
use crate::object::Object;

/// Everything stored or in flight under one primary key, in general form.
#[derive(Debug)]
pub(crate) struct Entries {
    key: CacheKey,
    pub(crate) variants: SmallVec<[Arc<Object>; 1]>,
    pub(crate) fills: SmallVec<[Arc<Fill>; 1]>,
}

/// One key's entry.
#[derive(Debug)]
pub(crate) enum Slot {
    /// One stored variant, nothing in flight.
    One(Arc<Object>),
    /// Anything else (never empty while in the table).
    Many(Box<Entries>),
}

impl Slot {
    pub(crate) fn key(&self) -> &CacheKey {
        match self {
            Slot::One(o) => &o.key,
            Slot::Many(e) => &e.key,
        }
    }

    /// The stored variants, oldest first.
    pub(crate) fn variants(&self) -> &[Arc<Object>] {
        match self {
            Slot::One(o) => std::slice::from_ref(o),
            Slot::Many(e) => &e.variants,
        }
    }

    /// The fills in flight.
    pub(crate) fn fills(&self) -> &[Arc<Fill>] {
        match self {
            Slot::One(_) => &[],
            Slot::Many(e) => &e.fills,
        }
    }

    /// The general form, for changing the lists (turns a `One` into a `Many`; always `Some`).
    fn entries(&mut self) -> Option<&mut Entries> {
        if let Slot::One(o) = self {
            let o = o.clone();
            *self = Slot::Many(Box::new(Entries {
                key: o.key.clone(),
                variants: SmallVec::from_buf([o]),
                fills: SmallVec::new(),
            }));
        }
        match self {
            Slot::Many(e) => Some(e),
            Slot::One(_) => None,
        }
    }

    /// Back to the compact form when it fits; false when the slot is empty (to be removed).
    fn settle(&mut self) -> bool {
        let Slot::Many(e) = self else {
            return true;
        };
        if e.fills.is_empty() && e.variants.len() == 1 {
            if let Some(o) = e.variants.pop() {
                *self = Slot::One(o);
            }
            return true;
        }
        !(e.fills.is_empty() && e.variants.is_empty())
    }
}

/// The hash the table uses. The shard is chosen by the key hash's top bits, and hashbrown
/// takes its 7-bit tag from the top bits too: rotated, so that the keys of one shard do not
/// all share a tag (which would make every probe compare keys).
fn table_hash(key: &CacheKey) -> u64 {
    key.hash_value().rotate_left(32)
}

fn slot_hash(slot: &Slot) -> u64 {
    table_hash(slot.key())
}

/// One shard's table.
#[derive(Debug, Default)]
pub(crate) struct Index(HashTable<Slot>);

impl Index {
    pub(crate) fn get(&self, key: &CacheKey) -> Option<&Slot> {
        self.0.find(table_hash(key), |s| s.key() == key)
    }

    /// Runs `f` on `key`'s lists, creating the entry when `create` is true and there is none
    /// (`None` when there is none and `create` is false). The entry is compacted or removed
    /// afterwards as its lists require.
    pub(crate) fn update<R>(
        &mut self,
        key: &CacheKey,
        create: bool,
        f: impl FnOnce(&mut Entries) -> R,
    ) -> Option<R> {
        let hash = table_hash(key);
        let entry = match self.0.find_entry(hash, |s| s.key() == key) {
            Ok(entry) => entry,
            Err(_) if create => self.0.insert_unique(
                hash,
                Slot::Many(Box::new(Entries {
                    key: key.clone(),
                    variants: SmallVec::new(),
                    fills: SmallVec::new(),
                })),
                slot_hash,
            ),
            Err(_) => return None,
        };
        let mut entry = entry;
        let out = f(entry.get_mut().entries()?);
        if !entry.get_mut().settle() {
            entry.remove();
        }
        Some(out)
    }

    /// Takes `object` out of its key's variants, without converting a compact entry.
    pub(crate) fn remove_object(&mut self, object: &Arc<Object>) {
        let hash = table_hash(&object.key);
        if let Ok(entry) = self.0.find_entry(hash, |s| s.key() == &object.key) {
            if let Slot::One(o) = entry.get() {
                if Arc::ptr_eq(o, object) {
                    entry.remove();
                }
                return;
            }
        }
        self.update(&object.key, false, |e| {
            e.variants.retain(|v| !Arc::ptr_eq(v, object));
        });
    }

    /// Puts `new` in the place of `old` (same key); false if `old` is no longer there.
    pub(crate) fn replace(&mut self, old: &Arc<Object>, new: Arc<Object>) -> bool {
        let hash = table_hash(&old.key);
        let Some(slot) = self.0.find_mut(hash, |s| s.key() == &old.key) else {
            return false;
        };
        match slot {
            Slot::One(o) => {
                let here: &mut Arc<Object> = o;
                if !Arc::ptr_eq(here, old) {
                    return false;
                }
                *here = new;
                true
            }
            Slot::Many(e) => match e.variants.iter_mut().find(|o| Arc::ptr_eq(o, old)) {
                Some(o) => {
                    *o = new;
                    true
                }
                None => false,
            },
        }
    }

    /// Removes `key`'s entry, returning its stored variants.
    pub(crate) fn remove(&mut self, key: &CacheKey) -> SmallVec<[Arc<Object>; 1]> {
        match self.0.find_entry(table_hash(key), |s| s.key() == key) {
            Ok(entry) => match entry.remove().0 {
                Slot::One(o) => SmallVec::from_buf([o]),
                Slot::Many(e) => e.variants,
            },
            Err(_) => SmallVec::new(),
        }
    }

    /// Every entry.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Slot> {
        self.0.iter()
    }
}

//! One shard of the memory tier's index: primary key → stored variants and fills in flight.
//!
//! Most keys hold exactly one stored object and nothing in flight, and the object carries its
//! key. Such an entry holds just that object (a [`Slot`] is two optional pointers, 16 bytes in
//! the table) instead of a 64-byte key-and-lists pair (issue 9 part 7: about 80 bytes less per
//! object at the table's usual load). Keys with several variants, or with a fetch in flight,
//! take the general form ([`Entries`]), a box of their own.

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

impl Entries {
    fn new(key: CacheKey) -> Entries {
        Entries {
            key,
            variants: SmallVec::new(),
            fills: SmallVec::new(),
        }
    }
}

/// One key's entry: exactly one of the two forms is set while it is in the table.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    /// The compact form: one stored variant, nothing in flight.
    one: Option<Arc<Object>>,
    /// The general form: anything else.
    many: Option<Box<Entries>>,
}

impl Slot {
    pub(crate) fn key(&self) -> Option<&CacheKey> {
        match (&self.one, &self.many) {
            (Some(o), _) => Some(&o.key),
            (None, Some(e)) => Some(&e.key),
            (None, None) => None,
        }
    }

    /// The stored variants, oldest first.
    pub(crate) fn variants(&self) -> &[Arc<Object>] {
        match (&self.one, &self.many) {
            (Some(o), _) => std::slice::from_ref(o),
            (None, Some(e)) => &e.variants,
            (None, None) => &[],
        }
    }

    /// The fills in flight.
    pub(crate) fn fills(&self) -> &[Arc<Fill>] {
        self.many.as_ref().map_or(&[], |e| &e.fills)
    }

    /// The general form, for changing the lists (a compact slot is converted).
    fn entries(&mut self, key: &CacheKey) -> &mut Entries {
        if let Some(o) = self.one.take() {
            let mut e = Entries::new(o.key.clone());
            e.variants.push(o);
            self.many = Some(Box::new(e));
        }
        self.many
            .get_or_insert_with(|| Box::new(Entries::new(key.clone())))
    }

    /// Back to the compact form when it fits; false when the slot is empty (to be removed).
    fn settle(&mut self) -> bool {
        let Some(e) = &mut self.many else {
            return self.one.is_some();
        };
        if e.fills.is_empty() && e.variants.len() == 1 {
            self.one = e.variants.pop();
            self.many = None;
            return true;
        }
        !(e.fills.is_empty() && e.variants.is_empty())
    }

    fn is(&self, key: &CacheKey) -> bool {
        self.key() == Some(key)
    }
}

/// The hash the table uses. The shard is chosen by the key hash's top bits, and hashbrown
/// takes its 7-bit tag from the top bits too: rotated, so that the keys of one shard do not
/// all share a tag (which would make every probe compare keys).
fn table_hash(key: &CacheKey) -> u64 {
    key.hash_value().rotate_left(32)
}

fn slot_hash(slot: &Slot) -> u64 {
    slot.key().map_or(0, table_hash)
}

/// One shard's table.
#[derive(Debug, Default)]
pub(crate) struct Index(HashTable<Slot>);

impl Index {
    pub(crate) fn get(&self, key: &CacheKey) -> Option<&Slot> {
        self.0.find(table_hash(key), |s| s.is(key))
    }

    /// Runs `f` on `key`'s lists, creating the entry if there is none; the entry is compacted
    /// or removed afterwards as its lists require.
    pub(crate) fn upsert<R>(&mut self, key: &CacheKey, f: impl FnOnce(&mut Entries) -> R) -> R {
        let hash = table_hash(key);
        let entry = match self.0.find_entry(hash, |s| s.is(key)) {
            Ok(entry) => entry,
            Err(_) => self.0.insert_unique(hash, Slot::default(), slot_hash),
        };
        Self::apply(entry, key, f)
    }

    /// Runs `f` on `key`'s lists if it has an entry (`None` otherwise); the entry is
    /// compacted or removed afterwards as its lists require.
    pub(crate) fn update<R>(
        &mut self,
        key: &CacheKey,
        f: impl FnOnce(&mut Entries) -> R,
    ) -> Option<R> {
        let entry = self.0.find_entry(table_hash(key), |s| s.is(key)).ok()?;
        Some(Self::apply(entry, key, f))
    }

    fn apply<R>(
        mut entry: hashbrown::hash_table::OccupiedEntry<'_, Slot>,
        key: &CacheKey,
        f: impl FnOnce(&mut Entries) -> R,
    ) -> R {
        let out = f(entry.get_mut().entries(key));
        if !entry.get_mut().settle() {
            entry.remove();
        }
        out
    }

    /// Takes `object` out of its key's variants, without converting a compact entry.
    pub(crate) fn remove_object(&mut self, object: &Arc<Object>) {
        let key = &object.key;
        if let Ok(entry) = self.0.find_entry(table_hash(key), |s| s.is(key)) {
            if let Some(o) = &entry.get().one {
                if Arc::ptr_eq(o, object) {
                    entry.remove();
                }
                return;
            }
        }
        self.update(key, |e| {
            e.variants.retain(|v| !Arc::ptr_eq(v, object));
        });
    }

    /// Puts `new` in the place of `old` (same key); false if `old` is no longer there.
    pub(crate) fn replace(&mut self, old: &Arc<Object>, new: Arc<Object>) -> bool {
        let key = &old.key;
        let Some(slot) = self.0.find_mut(table_hash(key), |s| s.is(key)) else {
            return false;
        };
        let here = match (&mut slot.one, &mut slot.many) {
            (Some(o), _) => Some(o).filter(|o| Arc::ptr_eq(o, old)),
            (None, Some(e)) => e.variants.iter_mut().find(|o| Arc::ptr_eq(o, old)),
            (None, None) => None,
        };
        match here {
            Some(o) => {
                *o = new;
                true
            }
            None => false,
        }
    }

    /// Removes `key`'s entry, returning its stored variants.
    pub(crate) fn remove(&mut self, key: &CacheKey) -> SmallVec<[Arc<Object>; 1]> {
        match self.0.find_entry(table_hash(key), |s| s.is(key)) {
            Ok(entry) => {
                let slot = entry.remove().0;
                match (slot.one, slot.many) {
                    (Some(o), _) => SmallVec::from_buf([o]),
                    (None, Some(e)) => e.variants,
                    (None, None) => SmallVec::new(),
                }
            }
            Err(_) => SmallVec::new(),
        }
    }

    /// Every entry.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Slot> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Body, Meta};
    use brink_http::freshness::{AgeBase, Lifetimes};
    use std::time::{Duration, UNIX_EPOCH};

    fn object(key: &CacheKey) -> Arc<Object> {
        let meta = Meta::new(
            http::StatusCode::OK,
            http::HeaderMap::new().into(),
            Lifetimes {
                fresh: Duration::from_secs(60),
                stale_while_revalidate: Duration::ZERO,
                stale_if_error: Duration::ZERO,
                must_revalidate: false,
            },
            AgeBase {
                response_time: UNIX_EPOCH,
                initial_age: Duration::ZERO,
            },
            Default::default(),
            Default::default(),
        );
        Arc::new(Object::new(
            key.clone(),
            meta,
            Body::complete(bytes::Bytes::new()),
        ))
    }

    fn compact(index: &Index, key: &CacheKey) -> bool {
        index
            .get(key)
            .is_some_and(|s| s.one.is_some() && s.many.is_none())
    }

    #[test]
    fn entries_take_the_compact_form_whenever_they_fit() {
        let mut index = Index::default();
        let key = CacheKey::new("", "/a");
        let other = CacheKey::new("", "/b");
        let (a, b) = (object(&key), object(&key));
        // A new key with one variant and nothing in flight ends compact.
        index.upsert(&key, |e| e.variants.push(a.clone()));
        assert!(compact(&index, &key));
        assert_eq!(index.get(&key).map(|s| s.variants().len()), Some(1));
        assert!(index.get(&other).is_none());
        // Two variants: general form; back to compact when one goes.
        index.upsert(&key, |e| e.variants.push(b.clone()));
        assert!(!compact(&index, &key));
        assert_eq!(index.get(&key).map(|s| s.variants().len()), Some(2));
        index.remove_object(&a);
        assert!(compact(&index, &key));
        // Replacing in a compact entry, and not replacing what is not there.
        let c = object(&key);
        assert!(index.replace(&b, c.clone()));
        assert!(!index.replace(&b, object(&key)));
        assert!(index
            .get(&key)
            .is_some_and(|s| Arc::ptr_eq(&s.variants()[0], &c)));
        // Removing the last variant removes the entry; `update` never creates one.
        index.remove_object(&c);
        assert!(index.get(&key).is_none());
        assert_eq!(index.update(&key, |_| ()), None);
        // `remove` hands back what was stored.
        index.upsert(&key, |e| e.variants.push(a.clone()));
        assert_eq!(index.remove(&key).len(), 1);
        assert!(index.get(&key).is_none());
        assert_eq!(index.iter().count(), 0);
    }
}

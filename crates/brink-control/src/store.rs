//! Where the control plane's state lives: a narrow key-value interface with one transaction
//! per write, and its embedded implementation on redb.
//!
//! Everything the API creates is one record under a key (`dist/E…`, `inv/E…/I…`, `meta`);
//! a write (one API call) puts and deletes several keys atomically. That is all the state
//! needs, and what etcd's transactions offer, so a later store on etcd implements the same
//! trait.

use std::path::Path;

use redb::{ReadableTable, TableDefinition};

const TABLE: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("brink-control");

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
#[error("control-plane store: {0}")]
pub struct StoreError(String);

/// One atomic change: keys to put, keys to delete.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) puts: Vec<(String, Vec<u8>)>,
    pub(crate) deletes: Vec<String>,
}

impl Batch {
    pub(crate) fn put(&mut self, key: impl Into<String>, value: Vec<u8>) {
        self.puts.push((key.into(), value));
    }
    pub(crate) fn delete(&mut self, key: impl Into<String>) {
        self.deletes.push(key.into());
    }
}

/// The control plane's persistence.
pub(crate) trait Store: Send + Sync {
    /// Every record, for loading the state at start.
    fn load_all(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Applies a batch in one transaction, durable when this returns.
    fn write(&self, batch: &Batch) -> Result<(), StoreError>;
}

/// redb in the data directory (`control.redb`).
pub(crate) struct RedbStore {
    db: redb::Database,
}

impl RedbStore {
    /// Opens or creates the database.
    pub(crate) fn open(dir: &Path) -> Result<RedbStore, StoreError> {
        let db = redb::Database::create(dir.join("control.redb"))
            .map_err(|e| StoreError(e.to_string()))?;
        let tx = db.begin_write().map_err(|e| StoreError(e.to_string()))?;
        tx.open_table(TABLE)
            .map_err(|e| StoreError(e.to_string()))?;
        tx.commit().map_err(|e| StoreError(e.to_string()))?;
        Ok(RedbStore { db })
    }
}

impl Store for RedbStore {
    fn load_all(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let tx = self
            .db
            .begin_read()
            .map_err(|e| StoreError(e.to_string()))?;
        let table = tx
            .open_table(TABLE)
            .map_err(|e| StoreError(e.to_string()))?;
        let mut out = Vec::new();
        for row in table.iter().map_err(|e| StoreError(e.to_string()))? {
            let (k, v) = row.map_err(|e| StoreError(e.to_string()))?;
            out.push((k.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn write(&self, batch: &Batch) -> Result<(), StoreError> {
        let tx = self
            .db
            .begin_write()
            .map_err(|e| StoreError(e.to_string()))?;
        {
            let mut table = tx
                .open_table(TABLE)
                .map_err(|e| StoreError(e.to_string()))?;
            for (k, v) in &batch.puts {
                table
                    .insert(k.as_str(), v.as_slice())
                    .map_err(|e| StoreError(e.to_string()))?;
            }
            for k in &batch.deletes {
                table
                    .remove(k.as_str())
                    .map_err(|e| StoreError(e.to_string()))?;
            }
        }
        tx.commit().map_err(|e| StoreError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_durable_across_reopen() {
        let dir = std::env::temp_dir().join(format!("brink-store-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).expect("dir");
        {
            let s = RedbStore::open(&dir).expect("open");
            let mut b = Batch::default();
            b.put("a", b"1".to_vec());
            b.put("b", b"2".to_vec());
            s.write(&b).expect("write");
            let mut b = Batch::default();
            b.delete("a");
            s.write(&b).expect("write");
        }
        let s = RedbStore::open(&dir).expect("reopen");
        assert_eq!(
            s.load_all().expect("load"),
            vec![("b".to_owned(), b"2".to_vec())]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

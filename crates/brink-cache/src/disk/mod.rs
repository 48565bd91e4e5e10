//! The disk tier: one checksummed file per stored object, written by a dedicated thread,
//! read on tokio's blocking pool, recovered by scanning at start, evicted with S3-FIFO.
//!
//! The request path never touches the disk: it hands chunks to the writer thread through a
//! bounded queue (full queue → that object is simply not persisted) and reads through
//! `spawn_blocking`. A failing disk (full, read-only) only stops persisting for a while:
//! the memory tier and the origin keep serving. See `docs/decisions/0001-disk-tier.md`.

pub mod file;
pub mod format;
pub(crate) mod s3fifo;

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;

pub use file::DiskFile;
use format::BlockHasher;
use s3fifo::S3Fifo;

use crate::object::{Meta, Object};

/// Told by the writer thread when an object's file is complete.
pub(crate) trait Persisted: Send + Sync + std::fmt::Debug {
    fn persisted(&self, object: &Arc<Object>);
    /// The active bans, encoded as the ban file holds them.
    fn ban_lines(&self) -> String;
}

/// Operations queued to the writer thread.
#[derive(Debug)]
enum Op {
    Begin {
        id: u64,
        head: Vec<u8>,
    },
    Append {
        id: u64,
        data: Bytes,
    },
    /// The object is too large for memory: persisted chunks leave it from now on.
    Spill {
        id: u64,
        body: Weak<crate::body::Body>,
    },
    Finish {
        id: u64,
        object: Weak<Object>,
        head_len: u64,
        body_len: u64,
        crcs: Vec<u32>,
    },
    Abort {
        id: u64,
    },
    Delete {
        path: PathBuf,
    },
    /// Rewrite the ban file with the active bans (queued after the deletions of the objects
    /// the retired bans removed, so a crash never leaves a file without its ban).
    RewriteBans,
}

/// Counters of the disk tier.
#[derive(Debug, Default)]
pub struct DiskStats {
    /// Objects persisted.
    pub writes: AtomicU64,
    /// Files evicted.
    pub evictions: AtomicU64,
    /// I/O errors (full, unwritable, corrupt reads).
    pub errors: AtomicU64,
    /// Objects not persisted because the writer was behind or the disk failing.
    pub skipped: AtomicU64,
    /// Corrupt files found (at start or on read) and dropped.
    pub corrupt: AtomicU64,
}

/// Settings of the disk tier.
#[derive(Debug, Clone)]
pub struct DiskConfig {
    /// Directory (created if missing).
    pub dir: PathBuf,
    /// Bytes of files it may hold.
    pub capacity: u64,
}

/// A file the tier holds (its place in the eviction queues is kept by [`S3Fifo`]).
#[derive(Debug)]
struct Entry {
    file: Arc<DiskFile>,
    object: Weak<Object>,
}

/// The disk tier.
#[derive(Debug)]
pub struct DiskStore {
    dir: PathBuf,
    capacity: u64,
    used: AtomicU64,
    next_id: AtomicU64,
    entries: Mutex<(HashMap<u64, Entry>, S3Fifo)>,
    ops: SyncSender<Op>,
    /// Told when an object's file is complete (the memory tier may then drop its copy).
    on_persisted: Mutex<Option<Weak<dyn Persisted>>>,
    failing_until: Mutex<Option<Instant>>,
    /// The ban file's append handle (opened on first use, reset by a rewrite).
    ban_file: Mutex<Option<fs::File>>,
    /// How its files are read on the request path (from the directory's file system).
    reads: file::Reads,
    /// Counters.
    pub stats: DiskStats,
}

/// The file, in the tier's directory, that keeps the bans not yet retired.
const BAN_FILE: &str = "bans";

/// Queue length between the request path and the writer thread.
const QUEUE: usize = 16_384;
/// How long persisting pauses after a write error (disk full, read-only).
const BACKOFF: Duration = Duration::from_secs(10);

fn file_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{:02x}", id & 0xff))
        .join(format!("{id:016x}"))
}

impl DiskStore {
    /// Opens (creating) the tier in `cfg.dir` and starts its writer thread. Leftover
    /// temporary files of an interrupted run are removed; complete files are returned with
    /// their metadata by [`DiskStore::recover`].
    ///
    /// # Errors
    /// The directory cannot be created or read.
    pub fn open(cfg: &DiskConfig) -> io::Result<Arc<DiskStore>> {
        fs::create_dir_all(cfg.dir.join("tmp"))?;
        for entry in fs::read_dir(cfg.dir.join("tmp"))? {
            let _ = fs::remove_file(entry?.path());
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let store = Arc::new(DiskStore {
            dir: cfg.dir.clone(),
            capacity: cfg.capacity,
            used: AtomicU64::new(0),
            next_id: AtomicU64::new(fastrand::u64(..) | 1),
            entries: Mutex::new((HashMap::new(), S3Fifo::default())),
            ops: tx,
            on_persisted: Mutex::new(None),
            failing_until: Mutex::new(None),
            ban_file: Mutex::new(None),
            reads: file::Reads::for_dir(&cfg.dir),
            stats: DiskStats::default(),
        });
        let weak = Arc::downgrade(&store);
        std::thread::Builder::new()
            .name("brink-disk-writer".into())
            .spawn(move || writer_thread(weak, rx))?;
        Ok(store)
    }

    pub(crate) fn set_on_persisted(&self, hook: Weak<dyn Persisted>) {
        *self.on_persisted.lock() = Some(hook);
    }

    /// Bytes of files held.
    pub fn used_bytes(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Files held.
    pub fn file_count(&self) -> usize {
        self.entries.lock().0.len()
    }

    fn failing(&self) -> bool {
        let mut f = self.failing_until.lock();
        match *f {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                *f = None;
                false
            }
            None => false,
        }
    }

    fn note_error(&self, what: &str, e: &io::Error) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        let mut f = self.failing_until.lock();
        if f.is_none() {
            tracing::warn!(error = %e, what, "disk tier: write failed; serving from memory and origin, retrying in 10 s");
        }
        *f = Some(Instant::now() + BACKOFF);
    }

    /// Starts persisting an object; `None` when the tier is failing or behind (the object
    /// then lives in memory only).
    pub(crate) fn begin(self: &Arc<Self>, key: &str, meta: &Meta) -> Option<DiskWrite> {
        if self.failing() {
            self.stats.skipped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let head = format::encode_head(key, meta);
        let head_len = head.len() as u64;
        self.send(Op::Begin { id, head }).then(|| DiskWrite {
            store: self.clone(),
            id,
            head_len,
            hasher: BlockHasher::default(),
            ok: true,
            finished: false,
        })
    }

    fn send(&self, op: Op) -> bool {
        match self.ops.try_send(op) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats.skipped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Registers a complete file (after a write or at recovery) under the hash of its
    /// cache key, and evicts if over budget.
    pub(crate) fn register(
        &self,
        id: u64,
        key_hash: u64,
        file: Arc<DiskFile>,
        object: Weak<Object>,
    ) {
        let size = file.file_len;
        let mut victims = Vec::new();
        {
            let mut guard = self.entries.lock();
            let (entries, fifo) = &mut *guard;
            entries.insert(id, Entry { file, object });
            fifo.insert(id, key_hash, size);
            while fifo.used() > self.capacity {
                let Some((victim, _)) = fifo.evict(self.capacity) else {
                    break;
                };
                if let Some(e) = entries.remove(&victim) {
                    victims.push(e);
                }
            }
            self.used.store(fifo.used(), Ordering::Relaxed);
        }
        for v in victims {
            self.stats.evictions.fetch_add(1, Ordering::Relaxed);
            if let Some(obj) = v.object.upgrade() {
                obj.disk_evicted();
            }
            let _ = self.ops.try_send(Op::Delete {
                path: v.file.path.clone(),
            });
        }
    }

    /// Notes a read of file `id` (S3-FIFO frequency).
    pub(crate) fn touch(&self, id: u64) {
        self.entries.lock().1.touch(id);
    }

    /// Forgets and deletes file `id` (purged, replaced or corrupt).
    pub(crate) fn remove(&self, id: u64) {
        let removed = {
            let mut guard = self.entries.lock();
            let (entries, fifo) = &mut *guard;
            fifo.remove(id);
            self.used.store(fifo.used(), Ordering::Relaxed);
            entries.remove(&id)
        };
        if let Some(e) = removed {
            let path = e.file.path.clone();
            if let Err(TrySendError::Full(Op::Delete { path })) =
                self.ops.try_send(Op::Delete { path })
            {
                // The writer is far behind: delete here rather than leave a file that a
                // restart would serve again.
                let _ = fs::remove_file(path);
            }
        }
    }

    /// The ban file's contents (empty if there is none).
    pub(crate) fn load_bans(&self) -> String {
        fs::read(self.dir.join(BAN_FILE))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Appends one encoded ban to the ban file, synchronously (one small write): once the
    /// purge that added it returns, a restart still knows it.
    pub(crate) fn append_ban(&self, line: &str) {
        let mut file = self.ban_file.lock();
        if file.is_none() {
            match fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(BAN_FILE))
            {
                Ok(f) => *file = Some(f),
                Err(e) => {
                    self.note_error("ban file", &e);
                    return;
                }
            }
        }
        if let Some(f) = file.as_mut() {
            if let Err(e) = f.write_all(line.as_bytes()) {
                self.note_error("ban file", &e);
                *file = None;
            }
        }
    }

    /// Asks the writer thread to rewrite the ban file with the active bans, after the
    /// deletions queued so far. Waits for room in the queue (the lurker calls it).
    pub(crate) fn rewrite_bans(&self) {
        let _ = self.ops.send(Op::RewriteBans);
    }

    fn rewrite_ban_file(&self) {
        let hook = self.on_persisted.lock().as_ref().and_then(Weak::upgrade);
        let Some(hook) = hook else { return };
        let mut file = self.ban_file.lock();
        let text = hook.ban_lines();
        let tmp = self.dir.join("tmp").join(BAN_FILE);
        let res = fs::write(&tmp, text.as_bytes())
            .and_then(|()| fs::rename(&tmp, self.dir.join(BAN_FILE)));
        if let Err(e) = res {
            self.note_error("ban file", &e);
        }
        // Appends go to the new file from now on.
        *file = None;
    }

    /// Checks the tier's books: bytes used within the budget, the queues' byte counts equal
    /// to their entries' sizes, every file in exactly one queue (tests).
    #[cfg(test)]
    pub(crate) fn check_accounting(&self) -> Result<(), String> {
        let guard = self.entries.lock();
        let (entries, fifo) = &*guard;
        fifo.check()?;
        let sum: u64 = entries.values().map(|e| e.file.file_len).sum();
        if entries.len() != fifo.len() || sum != fifo.used() || sum != self.used_bytes() {
            return Err(format!(
                "{} files of {sum} bytes, queues {} entries / {} bytes, used {}",
                entries.len(),
                fifo.len(),
                fifo.used(),
                self.used_bytes()
            ));
        }
        if sum > self.capacity {
            return Err(format!("{sum} bytes over the budget of {}", self.capacity));
        }
        Ok(())
    }

    /// Scans the directory for complete files: returns each with its id, key and metadata.
    /// Damaged files are deleted. Runs on the calling thread (at start, before serving).
    pub fn recover(&self) -> Vec<(u64, String, Meta, Arc<DiskFile>)> {
        let mut out = Vec::new();
        let Ok(dirs) = fs::read_dir(&self.dir) else {
            return out;
        };
        for d in dirs.flatten() {
            let name = d.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.len() != 2 || !d.path().is_dir() {
                continue;
            }
            let Ok(files) = fs::read_dir(d.path()) else {
                continue;
            };
            for f in files.flatten() {
                let path = f.path();
                let id = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| u64::from_str_radix(n, 16).ok());
                match (id, load(&path)) {
                    (Some(id), Ok((key, meta, file))) => {
                        out.push((id, key, meta, Arc::new(file.with_reads(self.reads))));
                    }
                    (_, res) => {
                        if let Err(e) = res {
                            tracing::warn!(path = %path.display(), error = %e, "disk tier: dropping damaged file");
                        }
                        self.stats.corrupt.fetch_add(1, Ordering::Relaxed);
                        let _ = fs::remove_file(&path);
                    }
                }
            }
        }
        out
    }

    /// Counts a corrupt file found on read.
    pub(crate) fn note_corrupt(&self, id: u64) {
        self.stats.corrupt.fetch_add(1, Ordering::Relaxed);
        self.remove(id);
    }
}

/// Reads a file's head and trailer and checks that their sizes agree with the file's.
fn load(path: &Path) -> io::Result<(String, Meta, DiskFile)> {
    use std::os::unix::fs::FileExt;
    let bad = |e: format::FormatError| io::Error::new(io::ErrorKind::InvalidData, e);
    let f = fs::File::open(path)?;
    let file_len = f.metadata()?.len();
    let mut first = [0u8; 8];
    f.read_exact_at(&mut first, 0)?;
    let head_len = format::head_len(&first).map_err(bad)?;
    if head_len + format::TRAILER_FIXED > file_len {
        return Err(bad(format::FormatError::Malformed(
            "file shorter than its head",
        )));
    }
    let mut head = vec![0u8; usize::try_from(head_len).unwrap_or(0)];
    f.read_exact_at(&mut head, 0)?;
    let (key, meta) = format::decode_head(&head).map_err(bad)?;
    let mut last = [0u8; 12];
    f.read_exact_at(&mut last, file_len - format::TRAILER_FIXED)?;
    let body_len = format::trailer_body_len(&last).map_err(bad)?;
    let n_blocks = format::blocks(body_len);
    if head_len + body_len + n_blocks * 4 + format::TRAILER_FIXED != file_len {
        return Err(bad(format::FormatError::Malformed("sizes do not add up")));
    }
    let mut crcs = vec![0u8; usize::try_from(n_blocks * 4).unwrap_or(0)];
    f.read_exact_at(&mut crcs, head_len + body_len)?;
    let file = DiskFile::new(
        path.to_path_buf(),
        head_len,
        body_len,
        format::decode_crcs(&crcs),
    );
    Ok((key, meta, file))
}

/// An object being persisted; dropped without [`DiskWrite::finish`] it is abandoned.
#[derive(Debug)]
pub(crate) struct DiskWrite {
    store: Arc<DiskStore>,
    id: u64,
    head_len: u64,
    hasher: BlockHasher,
    ok: bool,
    finished: bool,
}

impl DiskWrite {
    /// False once a chunk could not be queued (the object will not be persisted).
    pub(crate) fn is_ok(&self) -> bool {
        self.ok
    }

    /// From now on, chunks already written leave the body's memory (readers behind read them
    /// back from the file being written).
    pub(crate) fn spill(&mut self, body: &Arc<crate::body::Body>) {
        if self.ok {
            self.ok = self.store.send(Op::Spill {
                id: self.id,
                body: Arc::downgrade(body),
            });
        }
    }

    pub(crate) fn append(&mut self, data: &Bytes) {
        if self.ok {
            self.hasher.update(data);
            self.ok = self.store.send(Op::Append {
                id: self.id,
                data: data.clone(),
            });
        }
    }

    pub(crate) fn finish(mut self, object: &Arc<Object>) {
        self.finished = true;
        if !self.ok {
            let _ = self.store.ops.try_send(Op::Abort { id: self.id });
            return;
        }
        let (crcs, body_len) = std::mem::take(&mut self.hasher).finish();
        let op = Op::Finish {
            id: self.id,
            object: Arc::downgrade(object),
            head_len: self.head_len,
            body_len,
            crcs,
        };
        if !self.store.send(op) {
            let _ = self.store.ops.try_send(Op::Abort { id: self.id });
        }
    }
}

impl Drop for DiskWrite {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.store.ops.try_send(Op::Abort { id: self.id });
        }
    }
}

/// A file being written by the writer thread.
struct Writing {
    file: Arc<fs::File>,
    head_len: u64,
    /// Body bytes written so far.
    written: u64,
    spill: Option<Weak<crate::body::Body>>,
}

fn writer_thread(store: Weak<DiskStore>, rx: Receiver<Op>) {
    let mut open: HashMap<u64, Writing> = HashMap::new();
    while let Ok(op) = rx.recv() {
        let Some(store) = store.upgrade() else { return };
        match op {
            Op::Begin { id, head } => {
                let tmp = store.dir.join("tmp").join(format!("{id:016x}"));
                // Read access too: readers of a spilled body read back through this handle.
                let created = fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&tmp);
                match created.and_then(|mut f| f.write_all(&head).map(|()| f)) {
                    Ok(f) => {
                        open.insert(
                            id,
                            Writing {
                                file: Arc::new(f),
                                head_len: head.len() as u64,
                                written: 0,
                                spill: None,
                            },
                        );
                    }
                    Err(e) => store.note_error("create", &e),
                }
            }
            Op::Append { id, data } => {
                if let Some(w) = open.get_mut(&id) {
                    if let Err(e) = (&*w.file).write_all(&data) {
                        store.note_error("write", &e);
                        if let Some(body) = w.spill.as_ref().and_then(Weak::upgrade) {
                            body.spill_failed();
                        }
                        open.remove(&id);
                        let _ = fs::remove_file(store.dir.join("tmp").join(format!("{id:016x}")));
                        continue;
                    }
                    w.written += data.len() as u64;
                    if let Some(body) = w.spill.as_ref().and_then(Weak::upgrade) {
                        body.release_persisted(w.written);
                    }
                }
            }
            Op::Spill { id, body } => {
                if let (Some(w), Some(b)) = (open.get_mut(&id), body.upgrade()) {
                    b.start_spill(crate::body::Spill {
                        file: w.file.clone(),
                        body_offset: w.head_len,
                        memory: false,
                    });
                    b.release_persisted(w.written);
                    w.spill = Some(body);
                }
            }
            Op::Finish {
                id,
                object,
                head_len,
                body_len,
                crcs,
            } => {
                let Some(w) = open.remove(&id) else {
                    continue;
                };
                let f = w.file;
                let tmp = store.dir.join("tmp").join(format!("{id:016x}"));
                let Some(obj) = object.upgrade().filter(|o| !o.is_detached()) else {
                    let _ = fs::remove_file(&tmp);
                    continue;
                };
                let trailer = format::encode_trailer(&crcs, body_len);
                let dest = file_path(&store.dir, id);
                let res = (&*f)
                    .write_all(&trailer)
                    .and_then(|()| dest.parent().map_or(Ok(()), fs::create_dir_all))
                    .and_then(|()| fs::rename(&tmp, &dest));
                match res {
                    Ok(()) => {
                        let file = Arc::new(
                            DiskFile::new(dest, head_len, body_len, crcs).with_reads(store.reads),
                        );
                        obj.set_disk(id, file.clone(), Arc::downgrade(&store));
                        store.register(id, obj.key.hash_value(), file, Arc::downgrade(&obj));
                        store.stats.writes.fetch_add(1, Ordering::Relaxed);
                        let hook = store.on_persisted.lock().as_ref().and_then(Weak::upgrade);
                        if let Some(hook) = hook {
                            hook.persisted(&obj);
                        }
                    }
                    Err(e) => {
                        store.note_error("finish", &e);
                        let _ = fs::remove_file(&tmp);
                    }
                }
            }
            Op::Abort { id } => {
                if open.remove(&id).is_some() {
                    let _ = fs::remove_file(store.dir.join("tmp").join(format!("{id:016x}")));
                }
            }
            Op::Delete { path } => {
                let _ = fs::remove_file(path);
            }
            Op::RewriteBans => store.rewrite_ban_file(),
        }
    }
}

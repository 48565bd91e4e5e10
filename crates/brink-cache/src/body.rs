//! Object bodies as lists of chunks, readable while they are still being written.
//!
//! A body is never assumed to fit in one buffer: the origin's chunks are appended as they
//! arrive and every reader (the request that caused the fill and any number of collapsed
//! followers) walks the list at its own pace, parking until more bytes come. Once complete the
//! list is frozen so hits read it without taking a lock.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

use crate::disk::format::BLOCK;

/// Blocks read from disk at once (1 MiB): large enough that a big transfer costs few trips to
/// the blocking pool, small enough that a range reads little beyond what it asks.
const READ_SPAN_BLOCKS: u64 = 16;
use crate::disk::DiskFile;

/// How a body's writing ended (or not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    /// Chunks may still be appended.
    Writing,
    /// Every byte is there.
    Complete,
    /// The fetch failed part-way: readers get an error at the end of what was written, and
    /// the object is never served to new requests.
    Failed,
}

/// What only a body being written needs (or one read back from its spill file, or one whose
/// fetch failed): dropped once a complete body is frozen, so a stored object does not carry it.
#[derive(Debug)]
struct Writing {
    len: u64,
    state: BodyState,
    chunks: Vec<Bytes>,
    wakers: Vec<Waker>,
    /// Spilled bodies: chunks below this index were released from memory (their slots hold
    /// empty placeholders) and are read back from the spill file.
    released: usize,
    /// Offset of each chunk (kept only once spilling starts).
    starts: Vec<u64>,
    /// The file the body is spilling to, once it does.
    spill: Option<Spill>,
    /// Body bytes on the spill file.
    persisted: u64,
    /// The spill file could not be written: what is not on it stays in memory.
    spill_failed: bool,
    /// The writer waiting for the spill file to catch up ([`Body::poll_room`]).
    room_waker: Option<Waker>,
}

/// The file a body is being written to: chunks already on it leave memory, and readers behind
/// the writer read them back from here. Either a disk-tier file (a body too large for memory)
/// or an in-memory file ([`Body::use_memory_file`]).
#[derive(Debug, Clone)]
pub(crate) struct Spill {
    pub(crate) file: Arc<std::fs::File>,
    /// Where the body starts in the file.
    pub(crate) body_offset: u64,
    /// An in-memory file the body's writer fills itself (reads from it never block on a
    /// device); `false` for a disk-tier file its writer thread fills.
    pub(crate) memory: bool,
}

/// A complete body held in an anonymous in-memory file (`memfd_create(2)`) instead of chunks:
/// the memory tier's large objects, which the edge can then hand to the kernel with
/// `sendfile(2)` instead of copying them through user space on every hit. Its pages are
/// ordinary memory (they count in the process's RSS and in the tier's budget).
#[derive(Debug)]
pub struct MemFile {
    file: Arc<std::fs::File>,
    len: u64,
}

/// Bytes of a file that a body's window covers: what can be sent without a user-space copy.
#[derive(Debug, Clone)]
pub struct FileRegion {
    /// The open file (kept open while the region is in use, even if the tier drops it).
    pub file: Arc<std::fs::File>,
    /// Where the window starts in the file.
    pub offset: u64,
    /// Its length (at least 1 from [`BodyReader::file_region`]).
    pub len: u64,
}

/// Bytes a reader of an in-memory file copies out at once (on the async worker: the read is
/// a memory copy, never a device wait).
const MEM_READ_SPAN: u64 = 256 * 1024;

/// Reads `len` bytes at `offset` of an in-memory file into a new buffer (not zeroed first:
/// the reads fill its uninitialised capacity).
fn read_at(file: &std::fs::File, offset: u64, len: u64) -> std::io::Result<Bytes> {
    let n =
        usize::try_from(len).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let mut buf = Vec::with_capacity(n);
    while buf.len() < n {
        let at = offset + buf.len() as u64;
        if rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), at)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    // The spare capacity may have been larger than asked for.
    buf.truncate(n);
    Ok(Bytes::from(buf))
}

/// A new anonymous in-memory file.
fn memory_file() -> std::io::Result<std::fs::File> {
    let fd = rustix::fs::memfd_create(c"brink-body", rustix::fs::MemfdFlags::CLOEXEC)?;
    Ok(std::fs::File::from(fd))
}

/// A complete body: most small bodies are one chunk, kept inline; the rest behind one pointer,
/// so that the common case stays 32 bytes.
#[derive(Debug)]
enum Frozen {
    One(Bytes),
    Other(Box<Larger>),
}

/// A complete body that is not one chunk.
#[derive(Debug)]
enum Larger {
    Many(Box<[Bytes]>),
    File(Arc<MemFile>),
}

impl Frozen {
    fn new(mut chunks: Vec<Bytes>) -> Frozen {
        if chunks.len() == 1 {
            if let Some(one) = chunks.pop() {
                return Frozen::One(one);
            }
        }
        Frozen::Other(Box::new(Larger::Many(chunks.into_boxed_slice())))
    }

    /// The chunks; `None` for a body in a file.
    fn chunks(&self) -> Option<&[Bytes]> {
        match self {
            Frozen::One(one) => Some(std::slice::from_ref(one)),
            Frozen::Other(other) => match &**other {
                Larger::Many(many) => Some(many),
                Larger::File(_) => None,
            },
        }
    }

    fn file(&self) -> Option<&Arc<MemFile>> {
        match self {
            Frozen::Other(other) => match &**other {
                Larger::File(m) => Some(m),
                Larger::Many(_) => None,
            },
            Frozen::One(_) => None,
        }
    }
}

/// `Body::expected_len` of a body whose origin announced no length (no body is that long).
const UNKNOWN_LEN: u64 = u64::MAX;

/// A body being written or complete.
#[derive(Debug)]
pub struct Body {
    /// The chunks of a complete body in memory: readers look here first, without a lock.
    frozen: OnceLock<Frozen>,
    /// The writing state; `None` once frozen, and for bodies that live only on disk.
    writing: Mutex<Option<Box<Writing>>>,
    /// The origin's announced length; [`UNKNOWN_LEN`] when it announced none.
    expected_len: u64,
    /// Set for bodies that live only on disk: readers fetch checksummed blocks from it.
    disk: Option<Arc<DiskFile>>,
}

/// What [`Body::poll_chunk`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkPoll {
    /// The chunk at the asked index.
    Chunk(Bytes),
    /// There is no chunk at that index and never will be: the body is complete.
    End,
    /// The writer failed before reaching that index.
    Failed,
    /// The chunk left memory: read `len` bytes at body offset `start` from the spill file.
    Spilled {
        /// Body offset.
        start: u64,
        /// Length.
        len: u64,
    },
}

impl Body {
    fn new(
        writing: Option<Box<Writing>>,
        expected_len: Option<u64>,
        disk: Option<Arc<DiskFile>>,
    ) -> Body {
        Body {
            frozen: OnceLock::new(),
            writing: Mutex::new(writing),
            expected_len: expected_len.unwrap_or(UNKNOWN_LEN),
            disk,
        }
    }

    /// An empty body that is still being written; `expected_len` is the origin's
    /// `Content-Length`, when it sent one.
    pub fn writing(expected_len: Option<u64>) -> Arc<Body> {
        let writing = Writing {
            len: 0,
            state: BodyState::Writing,
            chunks: Vec::new(),
            wakers: Vec::new(),
            released: 0,
            starts: Vec::new(),
            spill: None,
            persisted: 0,
            spill_failed: false,
            room_waker: None,
        };
        Arc::new(Body::new(Some(Box::new(writing)), expected_len, None))
    }

    /// A complete body that lives only in `file`.
    pub fn on_disk(file: Arc<DiskFile>) -> Arc<Body> {
        Arc::new(Body::new(None, Some(file.body_len), Some(file)))
    }

    /// The file of a disk-only body.
    pub fn disk_file(&self) -> Option<&Arc<DiskFile>> {
        self.disk.as_ref()
    }

    /// Reads and verifies the first block of a disk-only body (the whole body when it is at
    /// most one block). `Ok(None)` for bodies in memory.
    ///
    /// # Errors
    /// I/O errors; `InvalidData` when the checksum does not match (the file is damaged).
    pub async fn read_first_block(&self) -> std::io::Result<Option<Bytes>> {
        let Some(file) = self.disk.clone() else {
            return Ok(None);
        };
        match tokio::task::spawn_blocking(move || file.read_block(0)).await {
            Ok(r) => r.map(Some),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// A complete body holding `bytes`.
    pub fn complete(bytes: Bytes) -> Arc<Body> {
        let len = bytes.len() as u64;
        let chunks = if bytes.is_empty() {
            Vec::new()
        } else {
            vec![bytes]
        };
        let body = Body::new(None, Some(len), None);
        let _ = body.frozen.set(Frozen::new(chunks));
        Arc::new(body)
    }

    /// The chunks of a complete body, without locking; `None` while writing, after failure,
    /// and for bodies in a file.
    pub fn frozen(&self) -> Option<&[Bytes]> {
        self.frozen.get().and_then(Frozen::chunks)
    }

    /// The in-memory file of a complete body kept in one.
    fn mem_file(&self) -> Option<&Arc<MemFile>> {
        self.frozen.get().and_then(Frozen::file)
    }

    /// From the first byte on, keep this body in an in-memory file rather than in chunks
    /// ([`MemFile`]); `false` (nothing changes) if it cannot be created, or the body already
    /// has bytes or a file. Chunks pushed from now on are copied into the file and dropped.
    pub(crate) fn use_memory_file(&self) -> bool {
        let file = match memory_file() {
            Ok(f) => Arc::new(f),
            Err(e) => {
                tracing::debug!(error = %e, "memfd_create failed; body kept in chunks");
                return false;
            }
        };
        let mut writing = self.writing.lock();
        let Some(w) = writing.as_deref_mut() else {
            return false;
        };
        if w.spill.is_some() || !w.chunks.is_empty() || w.state != BodyState::Writing {
            return false;
        }
        w.spill = Some(Spill {
            file,
            body_offset: 0,
            memory: true,
        });
        true
    }

    /// The origin's announced length, if any.
    pub fn expected_len(&self) -> Option<u64> {
        (self.expected_len != UNKNOWN_LEN).then_some(self.expected_len)
    }

    /// The total length once known: when complete, or announced by the origin.
    pub fn known_len(&self) -> Option<u64> {
        match self.complete_len() {
            Some(len) => Some(len),
            None => self.expected_len(),
        }
    }

    /// The length of a complete body: frozen (in chunks or a file) or disk-only.
    pub fn complete_len(&self) -> Option<u64> {
        if let Some(m) = self.mem_file() {
            return Some(m.len);
        }
        if let Some(chunks) = self.frozen() {
            return Some(chunks.iter().map(|c| c.len() as u64).sum());
        }
        self.disk.as_ref().map(|f| f.body_len)
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        if let Some(len) = self.complete_len() {
            return len;
        }
        self.writing.lock().as_ref().map_or(0, |w| w.len)
    }

    /// Where writing stands.
    pub fn state(&self) -> BodyState {
        match self.writing.lock().as_ref() {
            Some(w) => w.state,
            // Frozen, or disk-only.
            None => BodyState::Complete,
        }
    }

    /// Appends a chunk and wakes waiting readers. Ignored after `finish`/`fail`.
    pub fn push(&self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        let mut writing = self.writing.lock();
        let to_file = match writing.as_deref() {
            Some(w) if w.state == BodyState::Writing => w
                .spill
                .as_ref()
                .filter(|s| s.memory && !w.spill_failed)
                .map(|s| (s.file.clone(), s.body_offset + w.len)),
            _ => return,
        };
        // A body in an in-memory file: the chunk is copied there outside the lock (there is
        // one writer, so the offset cannot move meanwhile) and only a placeholder is kept.
        let written = match to_file {
            Some((file, at)) => {
                drop(writing);
                let r = std::os::unix::fs::FileExt::write_all_at(&*file, &chunk, at);
                writing = self.writing.lock();
                Some(r)
            }
            None => None,
        };
        let Some(w) = writing.as_deref_mut() else {
            return;
        };
        if w.state != BodyState::Writing {
            return;
        }
        if w.spill.is_some() {
            w.starts.push(w.len);
        }
        w.len += chunk.len() as u64;
        if let Some(Ok(())) = written {
            w.chunks.push(Bytes::new());
            w.released += 1;
            w.persisted = w.len;
        } else {
            if let Some(Err(e)) = written {
                // Out of memory for the file: this chunk and the rest stay in chunks.
                tracing::warn!(error = %e, "in-memory body file failed; keeping chunks");
                w.spill_failed = true;
            }
            // The writer hands a body meant for an in-memory file its buffers uncopied
            // (`ObjectWriter::push`): what such a body keeps in chunks is copied.
            let memory = w.spill.as_ref().is_some_and(|s| s.memory);
            w.chunks.push(if memory {
                Bytes::copy_from_slice(&chunk)
            } else {
                chunk
            });
        }
        let wakers = std::mem::take(&mut w.wakers);
        drop(writing);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Marks the body complete (freezing it) and wakes readers.
    pub fn finish(&self) {
        self.end(BodyState::Complete);
    }

    /// Marks the body failed and wakes readers.
    pub fn fail(&self) {
        self.end(BodyState::Failed);
    }

    fn end(&self, state: BodyState) {
        let wakers = {
            let mut writing = self.writing.lock();
            let Some(w) = writing.as_deref_mut() else {
                return;
            };
            if w.state != BodyState::Writing {
                return;
            }
            w.state = state;
            let wakers = std::mem::take(&mut w.wakers);
            // A body spilled to disk has released chunks: it is never frozen (the
            // placeholders are not its bytes); readers keep going through the spill file.
            if state == BodyState::Complete && w.released == 0 {
                // The chunks move to the frozen list (readers look there first) and the
                // writing state goes: one list, no spare capacity, no second handle per chunk.
                let chunks = std::mem::take(&mut w.chunks);
                let _ = self.frozen.set(Frozen::new(chunks));
                *writing = None;
            } else if state == BodyState::Complete && w.released == w.chunks.len() {
                // Every byte in an in-memory file: the file is the body.
                if let Some(s) = w.spill.as_ref().filter(|s| s.memory) {
                    let file = MemFile {
                        file: s.file.clone(),
                        len: w.len,
                    };
                    let _ = self
                        .frozen
                        .set(Frozen::Other(Box::new(Larger::File(Arc::new(file)))));
                    *writing = None;
                }
            }
            wakers
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Starts spilling: from now on, chunks the disk writer has persisted leave memory.
    pub(crate) fn start_spill(&self, spill: Spill) {
        let mut writing = self.writing.lock();
        let Some(w) = writing.as_deref_mut() else {
            return;
        };
        if w.spill.is_none() {
            w.spill = Some(spill);
            let mut at = 0;
            w.starts = w
                .chunks
                .iter()
                .map(|c| {
                    let s = at;
                    at += c.len() as u64;
                    s
                })
                .collect();
        }
    }

    /// The spill file and the body's offset in it, once spilling started.
    fn spill(&self) -> Option<Spill> {
        self.writing.lock().as_ref()?.spill.clone()
    }

    /// The first `persisted` body bytes are on the spill file: release the chunks they cover.
    pub(crate) fn release_persisted(&self, persisted: u64) {
        let mut writing = self.writing.lock();
        let Some(w) = writing.as_deref_mut() else {
            return;
        };
        w.persisted = w.persisted.max(persisted);
        if let Some(waker) = w.room_waker.take() {
            waker.wake();
        }
        while w.released < w.chunks.len() {
            let i = w.released;
            let end = w.starts.get(i + 1).copied().unwrap_or(w.len);
            if end > persisted {
                break;
            }
            w.chunks[i] = Bytes::new();
            w.released += 1;
        }
    }

    /// The spill file could not be written: the writer waiting for room is told so.
    pub(crate) fn spill_failed(&self) {
        let mut writing = self.writing.lock();
        if let Some(w) = writing.as_deref_mut() {
            w.spill_failed = true;
            if let Some(waker) = w.room_waker.take() {
                waker.wake();
            }
        }
    }

    /// For the writer of a body that spills to disk: ready with `true` once at most `ahead`
    /// written bytes are not yet on the spill file (at once for a body that does not spill),
    /// with `false` if the spill file failed. Without this a fill from a fast origin to a
    /// slow disk would hold the difference in memory.
    pub fn poll_room(&self, cx: &mut Context<'_>, ahead: u64) -> Poll<bool> {
        let mut writing = self.writing.lock();
        let Some(w) = writing.as_deref_mut() else {
            return Poll::Ready(true);
        };
        if w.spill_failed {
            return Poll::Ready(false);
        }
        if w.spill.is_none() || w.len.saturating_sub(w.persisted) <= ahead {
            return Poll::Ready(true);
        }
        w.room_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Bytes of body held in memory (an in-memory file's included).
    pub fn resident_bytes(&self) -> u64 {
        let sum = |chunks: &[Bytes]| chunks.iter().map(|c| c.len() as u64).sum();
        if let Some(m) = self.mem_file() {
            return m.len;
        }
        if let Some(frozen) = self.frozen() {
            return sum(frozen);
        }
        self.writing.lock().as_ref().map_or(0, |w| {
            let in_file = if w.spill.as_ref().is_some_and(|s| s.memory) {
                w.persisted
            } else {
                0
            };
            sum(&w.chunks) + in_file
        })
    }

    /// The chunk at `index`, parking the task until it is written or the body ends.
    pub fn poll_chunk(&self, index: usize, cx: &mut Context<'_>) -> Poll<ChunkPoll> {
        let from_frozen = |frozen: &Frozen| {
            Poll::Ready(match frozen.chunks() {
                Some(chunks) => chunks
                    .get(index)
                    .cloned()
                    .map_or(ChunkPoll::End, ChunkPoll::Chunk),
                // In a file: readers read it by offset (`BodyReader`), not by chunk.
                None => ChunkPoll::Failed,
            })
        };
        if let Some(frozen) = self.frozen.get() {
            return from_frozen(frozen);
        }
        let mut writing = self.writing.lock();
        // Frozen while this waited for the lock: the chunks moved there.
        if let Some(frozen) = self.frozen.get() {
            return from_frozen(frozen);
        }
        // No writing state and not frozen: a disk-only body, no chunks in memory.
        let Some(w) = writing.as_deref_mut() else {
            return Poll::Ready(ChunkPoll::End);
        };
        if index < w.released {
            let Some(&start) = w.starts.get(index) else {
                return Poll::Ready(ChunkPoll::Failed);
            };
            let end = w.starts.get(index + 1).copied().unwrap_or(w.len);
            return Poll::Ready(ChunkPoll::Spilled {
                start,
                len: end - start,
            });
        }
        if let Some(c) = w.chunks.get(index) {
            return Poll::Ready(ChunkPoll::Chunk(c.clone()));
        }
        match w.state {
            BodyState::Complete => Poll::Ready(ChunkPoll::End),
            BodyState::Failed => Poll::Ready(ChunkPoll::Failed),
            BodyState::Writing => {
                if !w.wakers.iter().any(|wk| wk.will_wake(cx.waker())) {
                    w.wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

/// Bytes read back on the blocking pool, and the handle a first read of a disk-only body
/// opened.
type ReadBack = (Bytes, Option<Arc<std::fs::File>>);

/// Reads a byte window of a [`Body`], chunk by chunk, waiting for the writer when it catches up.
#[derive(Debug)]
pub struct BodyReader {
    body: Arc<Body>,
    index: usize,
    /// Offset of the chunk at `index`.
    chunk_start: u64,
    start: u64,
    end: Option<u64>,
    /// Disk-only or spilled bodies: the read in flight (with the handle it opened, for a
    /// disk-only body read the first time).
    pending: Option<JoinHandle<std::io::Result<ReadBack>>>,
    /// Disk-only bodies: this reader's handle on the file, once opened (on the blocking
    /// pool); closed with the reader.
    disk_handle: Option<Arc<std::fs::File>>,
}

/// A reader reached bytes the writer never wrote (the origin fetch failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruncatedBody;

impl std::fmt::Display for TruncatedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("origin fetch failed before the body was complete")
    }
}
impl std::error::Error for TruncatedBody {}

impl BodyReader {
    /// Reads bytes `[start, end)` of `body` (`end = None`: to the end).
    pub fn new(body: Arc<Body>, start: u64, end: Option<u64>) -> BodyReader {
        BodyReader {
            body,
            index: 0,
            chunk_start: 0,
            start,
            end,
            pending: None,
            disk_handle: None,
        }
    }

    /// A chunk of a spilled body, read back from the spill file.
    fn poll_spilled(
        &mut self,
        start: u64,
        len: u64,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Bytes, TruncatedBody>> {
        if self.pending.is_none() {
            let spill = self.body.spill().or_else(|| {
                // Frozen into its in-memory file since the chunk was reported spilled.
                self.body.mem_file().map(|m| Spill {
                    file: m.file.clone(),
                    body_offset: 0,
                    memory: true,
                })
            });
            let Some(spill) = spill else {
                return Poll::Ready(Err(TruncatedBody));
            };
            let file = spill.file;
            let offset = spill.body_offset + start;
            if spill.memory {
                return Poll::Ready(read_at(&file, offset, len).map_err(|_| TruncatedBody));
            }
            self.pending = Some(tokio::task::spawn_blocking(move || {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
                file.read_exact_at(&mut buf, offset)
                    .map(|()| (Bytes::from(buf), None))
            }));
        }
        let Some(handle) = self.pending.as_mut() else {
            return Poll::Pending;
        };
        let res = match Pin::new(handle).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        self.pending = None;
        match res {
            Ok(Ok((b, _))) => Poll::Ready(Ok(b)),
            _ => Poll::Ready(Err(TruncatedBody)),
        }
    }

    /// Disk-only bodies: reads block by block from `start`, each checksum-verified.
    fn poll_disk(
        &mut self,
        file: &Arc<DiskFile>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TruncatedBody>>> {
        let end = self.end.unwrap_or(file.body_len).min(file.body_len);
        if self.start >= end {
            return Poll::Ready(None);
        }
        let block = self.start / BLOCK;
        // Only the blocks the window covers, at most READ_SPAN_BLOCKS per read.
        let last = (end - 1) / BLOCK;
        let n = (last - block + 1).min(READ_SPAN_BLOCKS);
        // What cannot wait for the device is read here, through the handle a first read
        // opened; the rest on the blocking pool.
        let in_place = match (&self.disk_handle, &self.pending) {
            (Some(h), None) => file.read_blocks_in_place(h, block, n),
            _ => None,
        };
        let res = match in_place {
            Some(r) => Ok(r),
            None => {
                let handle = self.pending.get_or_insert_with(|| {
                    let file = file.clone();
                    let opened = self.disk_handle.clone();
                    tokio::task::spawn_blocking(move || {
                        let h = match opened {
                            Some(h) => h,
                            None => file.open()?,
                        };
                        file.read_blocks_from(&h, block, n).map(|b| (b, Some(h)))
                    })
                });
                let res = match Pin::new(handle).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                };
                self.pending = None;
                res.map(|r| {
                    r.map(|(data, h)| {
                        if self.disk_handle.is_none() {
                            self.disk_handle = h;
                        }
                        data
                    })
                })
            }
        };
        match res {
            Ok(Ok(data)) => {
                let from = usize::try_from(self.start - block * BLOCK).unwrap_or(0);
                let to = usize::try_from(end.min((block + n) * BLOCK) - block * BLOCK).unwrap_or(0);
                if from >= to || to > data.len() {
                    return Poll::Ready(Some(Err(TruncatedBody)));
                }
                self.start += (to - from) as u64;
                Poll::Ready(Some(Ok(data.slice(from..to))))
            }
            Ok(Err(e)) => {
                tracing::warn!(path = %file.path.display(), error = %e, "disk tier: read failed");
                Poll::Ready(Some(Err(TruncatedBody)))
            }
            Err(_) => Poll::Ready(Some(Err(TruncatedBody))),
        }
    }

    /// A body complete in an in-memory file: copies the next span of the window out.
    fn next_from_mem_file(&mut self, mem: &MemFile) -> Option<Result<Bytes, TruncatedBody>> {
        // Where the window continues: chunks already walked (before the body was frozen
        // into its file) count as read.
        let pos = self.start.max(self.chunk_start);
        let end = self.end.unwrap_or(mem.len).min(mem.len);
        if pos >= end {
            return None;
        }
        let n = (end - pos).min(MEM_READ_SPAN);
        self.start = pos + n;
        self.chunk_start = self.start;
        Some(read_at(&mem.file, pos, n).map_err(|_| TruncatedBody))
    }

    /// The whole window as a region of a file, when the body is complete in one (an
    /// in-memory file, or a disk-tier file whose blocks this process has verified), nothing
    /// of it was read yet and it is not empty: the caller may then send it without reading
    /// it through this reader.
    pub fn file_region(&self) -> Option<FileRegion> {
        if self.index != 0 || self.chunk_start != 0 || self.pending.is_some() {
            return None;
        }
        let mem = self.body.mem_file();
        let disk = self.body.disk.as_ref();
        let (len, base) = match (mem, disk) {
            (Some(m), _) => (m.len, 0),
            (None, Some(d)) => (d.body_len, d.head_len),
            (None, None) => return None,
        };
        let end = self.end.unwrap_or(len).min(len);
        if self.start >= end {
            return None;
        }
        let file = match (mem, disk) {
            (Some(m), _) => m.file.clone(),
            (None, Some(d)) if d.is_verified(self.start, end) => match &self.disk_handle {
                Some(h) => h.clone(),
                None => d.open().ok()?,
            },
            _ => return None,
        };
        Some(FileRegion {
            file,
            offset: base + self.start,
            len: end - self.start,
        })
    }

    /// The next piece of the window, `Ready(None)` at its end.
    pub fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TruncatedBody>>> {
        if let Some(file) = self.body.disk.clone() {
            return self.poll_disk(&file, cx);
        }
        if let Some(mem) = self.body.mem_file().cloned() {
            return Poll::Ready(self.next_from_mem_file(&mem));
        }
        loop {
            if self
                .end
                .is_some_and(|e| self.chunk_start >= e || self.start >= e)
            {
                return Poll::Ready(None);
            }
            let chunk = match self.body.poll_chunk(self.index, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(ChunkPoll::End) => return Poll::Ready(None),
                Poll::Ready(ChunkPoll::Failed) => return Poll::Ready(Some(Err(TruncatedBody))),
                Poll::Ready(ChunkPoll::Chunk(c)) => c,
                Poll::Ready(ChunkPoll::Spilled { start, len }) => {
                    match self.poll_spilled(start, len, cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(c)) => c,
                        Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                    }
                }
            };
            let chunk_end = self.chunk_start + chunk.len() as u64;
            let from = self.start.max(self.chunk_start);
            let to = self.end.map_or(chunk_end, |e| e.min(chunk_end));
            let chunk_start = self.chunk_start;
            self.index += 1;
            self.chunk_start = chunk_end;
            if from < to {
                // Both bounds lie within this chunk, so the casts cannot truncate.
                let a = (from - chunk_start) as usize;
                let b = (to - chunk_start) as usize;
                return Poll::Ready(Some(Ok(chunk.slice(a..b))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    async fn read_all(mut r: BodyReader) -> Result<Vec<u8>, TruncatedBody> {
        let mut out = Vec::new();
        while let Some(c) = poll_fn(|cx| r.poll_next(cx)).await {
            out.extend_from_slice(&c?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn readers_follow_the_writer() {
        let body = Body::writing(None);
        let r1 = tokio::spawn(read_all(BodyReader::new(body.clone(), 0, None)));
        let r2 = tokio::spawn(read_all(BodyReader::new(body.clone(), 3, Some(7))));
        tokio::task::yield_now().await;
        body.push(Bytes::from_static(b"abcd"));
        tokio::task::yield_now().await;
        body.push(Bytes::from_static(b"efgh"));
        body.finish();
        assert_eq!(r1.await.unwrap().unwrap(), b"abcdefgh");
        assert_eq!(r2.await.unwrap().unwrap(), b"defg");
        assert!(body.frozen().is_some());
        assert_eq!(body.known_len(), Some(8));
    }

    #[test]
    fn a_spilling_writer_waits_for_its_file() {
        let path = std::env::temp_dir().join(format!("brink-room-{}", std::process::id()));
        let file = Arc::new(std::fs::File::create(&path).expect("temp file"));
        let body = Body::writing(None);
        let mut cx = Context::from_waker(Waker::noop());
        // Not spilling: always room.
        body.push(Bytes::from(vec![0u8; 100]));
        assert_eq!(body.poll_room(&mut cx, 10), Poll::Ready(true));
        body.start_spill(Spill {
            file,
            body_offset: 0,
            memory: false,
        });
        body.push(Bytes::from(vec![0u8; 100]));
        // 200 bytes written, none on the file: 10 bytes ahead is too far.
        assert_eq!(body.poll_room(&mut cx, 10), Poll::Pending);
        assert_eq!(body.poll_room(&mut cx, 200), Poll::Ready(true));
        body.release_persisted(195);
        assert_eq!(body.poll_room(&mut cx, 10), Poll::Ready(true));
        assert_eq!(body.resident_bytes(), 100, "the first chunk left memory");
        body.spill_failed();
        assert_eq!(body.poll_room(&mut cx, 10), Poll::Ready(false));
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn a_body_in_a_memory_file_is_read_while_written_and_after() {
        let body = Body::writing(Some(12));
        assert!(body.use_memory_file());
        let r1 = tokio::spawn(read_all(BodyReader::new(body.clone(), 0, None)));
        let r2 = tokio::spawn(read_all(BodyReader::new(body.clone(), 2, Some(10))));
        tokio::task::yield_now().await;
        body.push(Bytes::from_static(b"abcdef"));
        tokio::task::yield_now().await;
        // Nothing of it left in chunks, yet it counts as held.
        assert_eq!(body.resident_bytes(), 6);
        assert!(BodyReader::new(body.clone(), 0, None)
            .file_region()
            .is_none());
        body.push(Bytes::from_static(b"ghijkl"));
        body.finish();
        assert_eq!(r1.await.unwrap().unwrap(), b"abcdefghijkl");
        assert_eq!(r2.await.unwrap().unwrap(), b"cdefghij");
        assert!(body.frozen().is_none(), "in a file, not in chunks");
        assert_eq!(body.complete_len(), Some(12));
        assert_eq!(body.resident_bytes(), 12);
        assert_eq!(
            read_all(BodyReader::new(body.clone(), 5, Some(7)))
                .await
                .unwrap(),
            b"fg"
        );
        // The window as a file region: exactly its bytes.
        let region = BodyReader::new(body.clone(), 3, Some(9))
            .file_region()
            .expect("a region");
        assert_eq!((region.offset, region.len), (3, 6));
        let mut buf = [0u8; 6];
        std::os::unix::fs::FileExt::read_exact_at(&*region.file, &mut buf, region.offset)
            .expect("read");
        assert_eq!(&buf, b"defghi");
        let whole = BodyReader::new(body.clone(), 0, None)
            .file_region()
            .expect("a region");
        assert_eq!((whole.offset, whole.len), (0, 12));
        // Empty windows and readers already under way have none.
        assert!(BodyReader::new(body.clone(), 12, None)
            .file_region()
            .is_none());
        let mut started = BodyReader::new(body.clone(), 0, None);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            started.poll_next(&mut cx),
            Poll::Ready(Some(Ok(_)))
        ));
        assert!(started.file_region().is_none());
        // A body with bytes already in chunks stays there; chunk bodies have no region.
        let chunked = Body::writing(None);
        chunked.push(Bytes::from_static(b"x"));
        assert!(!chunked.use_memory_file());
        chunked.finish();
        assert!(BodyReader::new(chunked, 0, None).file_region().is_none());
    }

    #[tokio::test]
    async fn a_failed_body_in_a_memory_file_fails_its_readers() {
        let body = Body::writing(Some(10));
        assert!(body.use_memory_file());
        let r = tokio::spawn(read_all(BodyReader::new(body.clone(), 0, None)));
        body.push(Bytes::from_static(b"abc"));
        body.fail();
        assert_eq!(r.await.unwrap(), Err(TruncatedBody));
        assert!(body.complete_len().is_none());
    }

    #[tokio::test]
    async fn failure_reaches_readers() {
        let body = Body::writing(Some(10));
        let r = tokio::spawn(read_all(BodyReader::new(body.clone(), 0, None)));
        body.push(Bytes::from_static(b"abc"));
        body.fail();
        assert_eq!(r.await.unwrap(), Err(TruncatedBody));
        assert!(body.frozen().is_none());
    }

    #[tokio::test]
    async fn windows_over_complete_bodies() {
        let body = Body::complete(Bytes::from_static(b"0123456789"));
        assert_eq!(
            read_all(BodyReader::new(body.clone(), 0, Some(1)))
                .await
                .unwrap(),
            b"0"
        );
        assert_eq!(
            read_all(BodyReader::new(body.clone(), 9, None))
                .await
                .unwrap(),
            b"9"
        );
        assert_eq!(
            read_all(BodyReader::new(body.clone(), 4, Some(4)))
                .await
                .unwrap(),
            b""
        );
        let empty = Body::complete(Bytes::new());
        assert_eq!(
            read_all(BodyReader::new(empty, 0, None)).await.unwrap(),
            b""
        );
    }
}

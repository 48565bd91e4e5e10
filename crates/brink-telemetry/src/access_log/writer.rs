//! The access-log writer: a bounded queue in front of one thread that owns every log file.
//!
//! The request path only ever calls [`AccessLog::log`], which is a `try_send` into a
//! `std::sync::mpsc::sync_channel`: no lock is held across I/O, nothing blocks, and when the
//! queue is full the record is dropped and counted. The writer thread *polls* the queue (drains
//! it, then parks for [`POLL_INTERVAL`]) instead of blocking in `recv`: a blocked receiver would
//! make every `try_send` wake it with a futex syscall, which is exactly the per-request cost this
//! design avoids. With a 20 ms poll the default 65,536-record queue holds ~0.5 s of traffic at
//! the edge's ~130k req/s, 25 poll periods; the writer formats and writes ~700k records/s.
//!
//! Files follow `cloudfront.md` §9: `<prefix>.YYYY-MM-DD-HH.<unique>[.gz]`, named after the UTC
//! hour of the records they hold, each opening with `#Version: 1.0` and `#Fields: …`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, UNIX_EPOCH};

use flate2::write::GzEncoder;
use flate2::Compression;

use super::{civil_from_days, AccessRecord, LogFields};

/// Records the queue holds by default before [`AccessLog::log`] starts dropping.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// How long the writer sleeps when the queue is empty.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Buffered lines reach the disk at least this often (the brief's "at least every second").
const FLUSH_INTERVAL: Duration = Duration::from_millis(500);
/// A file of an earlier hour stays open this long after its last record, for records that
/// finished just before the hour turned but were queued just after.
const STRAGGLER_GRACE: Duration = Duration::from_secs(2);
/// A file that received nothing for this long is closed (a gzip file is only a complete stream
/// once closed); the next record of that prefix and hour opens a new one.
const IDLE_CLOSE: Duration = Duration::from_secs(60);
/// After a file could not be opened, records of that prefix are discarded (and counted) for
/// this long before the next attempt, so a full disk is not hammered once per record.
const OPEN_RETRY: Duration = Duration::from_secs(1);
/// At most one `tracing::warn!` per this period; the rest are counted in the next warning.
const WARN_EVERY: Duration = Duration::from_secs(10);
/// Records the writer handles between two looks at the flush timer.
const BATCH: usize = 4096;
/// Size of each file's write buffer.
const BUF_SIZE: usize = 64 * 1024;

/// Settings of an [`AccessLog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogConfig {
    /// Directory the files are written to; created by [`AccessLog::start`] if missing.
    pub dir: PathBuf,
    /// File prefix for records without a `distribution_id` (e.g. the POP name). Characters
    /// other than ASCII letters, digits, `-` and `_` are replaced by `_` in file names.
    pub default_prefix: String,
    /// Compress each file as one gzip stream and add `.gz` to its name, as CloudFront does.
    pub gzip: bool,
    /// Records buffered between the request path and the writer thread. The queue is allocated
    /// and touched up front, `size_of::<AccessRecord>()` (544 bytes on x86-64) per slot: the
    /// default costs ~36 MiB. The writer drains it every 20 ms, so at 130k req/s ~2,600 slots are
    /// in use; a smaller value (8,192 ≈ 60 ms of traffic) trades memory for burst tolerance.
    pub capacity: usize,
    /// The fields of each line and of the `#Fields:` header: the 33 standard fields by
    /// default, or a CloudFront v2 selection (see [`super::LogField`]).
    pub fields: LogFields,
}

impl AccessLogConfig {
    /// CloudFront-like settings: gzip on, [`DEFAULT_CAPACITY`] records of buffer.
    pub fn new(dir: impl Into<PathBuf>, default_prefix: impl Into<String>) -> Self {
        AccessLogConfig {
            dir: dir.into(),
            default_prefix: default_prefix.into(),
            gzip: true,
            capacity: DEFAULT_CAPACITY,
            fields: LogFields::legacy(),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    dropped: AtomicU64,
    write_errors: AtomicU64,
    written: AtomicU64,
}

/// A cheap, cloneable view of an [`AccessLog`]'s counters that outlives it (for metrics).
#[derive(Debug, Clone)]
pub struct AccessLogStats(Arc<Counters>);

impl AccessLogStats {
    /// Records discarded by [`AccessLog::log`] because the queue was full (or the writer gone).
    pub fn dropped(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }

    /// I/O failures: each record that could not be written (file not openable, write failed)
    /// counts one, and so does each failed flush or close, which may lose several buffered lines.
    pub fn write_errors(&self) -> u64 {
        self.0.write_errors.load(Ordering::Relaxed)
    }

    /// Lines handed to a file's buffer (a later flush error can still lose them).
    pub fn written(&self) -> u64 {
        self.0.written.load(Ordering::Relaxed)
    }
}

/// The sending half, apart from the thread so the drop-when-full rule is testable on its own.
#[derive(Debug)]
struct Queue {
    tx: SyncSender<AccessRecord>,
    counters: Arc<Counters>,
}

impl Queue {
    fn push(&self, rec: AccessRecord) {
        // Records travel unboxed: boxing each one cost ~4x more per call in measurements
        // (tests/hot_path.rs), the fresh allocation being freed on another thread.
        match self.tx.try_send(rec) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// CloudFront-format access logs, written by a dedicated thread.
///
/// Create one per edge process with [`AccessLog::start`], share it (it is `Sync`), call
/// [`AccessLog::log`] from the logging phase of each request, and [`AccessLog::shutdown`] when
/// the process stops (dropping it does the same).
#[derive(Debug)]
pub struct AccessLog {
    queue: Option<Queue>,
    thread: Option<JoinHandle<()>>,
    stats: AccessLogStats,
}

impl AccessLog {
    /// Creates `cfg.dir` if needed and starts the writer thread.
    ///
    /// # Errors
    /// The directory cannot be created, `cfg.default_prefix` is empty, or the thread cannot be
    /// spawned. Later I/O errors are not returned: they are counted in
    /// [`AccessLog::write_errors`] and reported with `tracing::warn!`.
    pub fn start(cfg: AccessLogConfig) -> io::Result<AccessLog> {
        if cfg.default_prefix.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "access log: default_prefix must not be empty",
            ));
        }
        std::fs::create_dir_all(&cfg.dir)?;
        // A zero-capacity sync_channel is a rendezvous channel on which try_send fails unless
        // the writer happens to be waiting, i.e. nearly always: treat 0 as 1.
        let (tx, rx) = std::sync::mpsc::sync_channel(cfg.capacity.max(1));
        let counters = Arc::new(Counters::default());
        let writer = Writer {
            rx,
            prefixes: HashMap::new(),
            opener: Opener {
                default_prefix: sanitize(&cfg.default_prefix),
                dir: cfg.dir,
                gzip: cfg.gzip,
                rng: fastrand::Rng::new(),
                fields: cfg.fields.clone(),
            },
            errors: Errors {
                counters: Arc::clone(&counters),
                last_warn: None,
                suppressed: 0,
            },
            line: Vec::with_capacity(1024),
            fields: cfg.fields,
        };
        let thread = thread::Builder::new()
            .name("brink-access-log".into())
            .spawn(move || writer.run())?;
        Ok(AccessLog {
            queue: Some(Queue {
                tx,
                counters: Arc::clone(&counters),
            }),
            thread: Some(thread),
            stats: AccessLogStats(counters),
        })
    }

    /// Queues a record for writing. Never blocks and makes no syscall: when the queue is full
    /// the record is dropped and [`AccessLog::dropped`] goes up by one.
    pub fn log(&self, rec: AccessRecord) {
        match &self.queue {
            Some(q) => q.push(rec),
            // Only reachable during drop; counted for completeness.
            None => {
                self.stats.0.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Records dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.stats.dropped()
    }

    /// I/O failures so far (see [`AccessLogStats::write_errors`]).
    pub fn write_errors(&self) -> u64 {
        self.stats.write_errors()
    }

    /// A handle on the counters that stays valid after shutdown (e.g. for
    /// [`crate::metrics::EdgeMetrics::attach_access_log`]).
    pub fn stats(&self) -> AccessLogStats {
        self.stats.clone()
    }

    /// Writes every queued record, flushes and closes all files, and waits for the writer
    /// thread to end.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        // Dropping the sender is the stop signal: the writer drains what is left, sees the
        // channel disconnected and closes its files.
        self.queue = None;
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            if t.join().is_err() {
                tracing::warn!("access log: writer thread panicked");
            }
        }
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Replaces anything but ASCII letters, digits, `-` and `_`, so an id can never name a path
/// outside the log directory.
fn sanitize(prefix: &str) -> String {
    prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A file's output: a 64 KiB buffer over the file, or over a gzip encoder over the file.
enum Sink {
    Plain(BufWriter<File>),
    Gzip(BufWriter<GzEncoder<File>>),
}

impl Sink {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(buf),
            Sink::Gzip(w) => w.write_all(buf),
        }
    }

    /// Pushes buffered lines to the file; for gzip this is a sync flush, after which every line
    /// so far can be decompressed even though the stream is not finished.
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }

    /// Flushes and, for gzip, writes the stream trailer; the file is closed when dropped.
    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.into_inner().map_err(io::IntoInnerError::into_error)?,
            Sink::Gzip(w) => w
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?
                .finish()?,
        };
        Ok(())
    }
}

struct OpenFile {
    /// UTC hour (seconds since the epoch / 3600) of every record in the file.
    hour: u64,
    sink: Sink,
    path: PathBuf,
    last_write: Instant,
    dirty: bool,
}

/// Files of one prefix: at most two open (this hour and, briefly, the previous one).
#[derive(Default)]
struct Prefix {
    files: Vec<OpenFile>,
    /// Set after an open failure: no new attempt before this instant.
    retry_at: Option<Instant>,
}

/// Creates files; separate from the rest of the writer's state to keep borrows disjoint.
struct Opener {
    dir: PathBuf,
    default_prefix: String,
    gzip: bool,
    rng: fastrand::Rng,
    fields: LogFields,
}

impl Opener {
    /// Creates `<dir>/<prefix>.YYYY-MM-DD-HH.<unique>[.gz]` and writes the header lines.
    fn open(&mut self, prefix: &str, hour: u64, now: Instant) -> io::Result<OpenFile> {
        const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let (y, m, d) = civil_from_days(hour / 24);
        let ext = if self.gzip { ".gz" } else { "" };
        let mut tries = 0;
        let (file, path) = loop {
            let unique: String = (0..8)
                .map(|_| char::from(ALPHABET[self.rng.usize(..ALPHABET.len())]))
                .collect();
            let name = format!(
                "{prefix}.{y:04}-{m:02}-{d:02}-{:02}.{unique}{ext}",
                hour % 24
            );
            let path = self.dir.join(name);
            // create_new: never append to (or clobber) another file, even on a token collision.
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => break (f, path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 8 => tries += 1,
                Err(e) => return Err(e),
            }
        };
        let mut sink = if self.gzip {
            Sink::Gzip(BufWriter::with_capacity(
                BUF_SIZE,
                GzEncoder::new(file, Compression::default()),
            ))
        } else {
            Sink::Plain(BufWriter::with_capacity(BUF_SIZE, file))
        };
        let mut header = Vec::with_capacity(512);
        self.fields.write_header(&mut header);
        sink.write_all(&header)?;
        Ok(OpenFile {
            hour,
            sink,
            path,
            last_write: now,
            dirty: true,
        })
    }
}

/// Counts I/O failures and reports them, at most once per [`WARN_EVERY`].
struct Errors {
    counters: Arc<Counters>,
    last_warn: Option<Instant>,
    suppressed: u64,
}

impl Errors {
    fn record(&mut self, now: Instant, what: &str, path: &Path, err: &io::Error) {
        self.counters.write_errors.fetch_add(1, Ordering::Relaxed);
        if self
            .last_warn
            .is_none_or(|t| now.duration_since(t) >= WARN_EVERY)
        {
            tracing::warn!(
                error = %err,
                path = %path.display(),
                suppressed = self.suppressed,
                "access log: {what} failed, log lines lost"
            );
            self.last_warn = Some(now);
            self.suppressed = 0;
        } else {
            self.suppressed += 1;
        }
    }

    /// A record discarded while waiting to retry an open: counted, not reported again.
    fn discard(&mut self) {
        self.counters.write_errors.fetch_add(1, Ordering::Relaxed);
        self.suppressed += 1;
    }
}

struct Writer {
    rx: Receiver<AccessRecord>,
    /// Keyed by the record's distribution id as given (`""` for the default prefix).
    prefixes: HashMap<String, Prefix>,
    opener: Opener,
    errors: Errors,
    /// Reused for every line, so steady-state writing allocates nothing.
    line: Vec<u8>,
    fields: LogFields,
}

impl Writer {
    fn run(mut self) {
        let mut last_flush = Instant::now();
        loop {
            let now = Instant::now();
            let mut empty = false;
            for _ in 0..BATCH {
                match self.rx.try_recv() {
                    Ok(rec) => self.write(&rec, now),
                    Err(TryRecvError::Empty) => {
                        empty = true;
                        break;
                    }
                    Err(TryRecvError::Disconnected) => {
                        self.close_all(Instant::now());
                        return;
                    }
                }
            }
            let now = Instant::now();
            if now.duration_since(last_flush) >= FLUSH_INTERVAL {
                self.housekeeping(now);
                last_flush = now;
            }
            if empty {
                // AccessLog::stop unparks us, so shutdown does not wait out the poll.
                thread::park_timeout(POLL_INTERVAL);
            }
        }
    }

    fn write(&mut self, rec: &AccessRecord, now: Instant) {
        let hour = rec
            .end
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 3600);
        let key = rec.distribution_id.as_deref().unwrap_or("");
        self.line.clear();
        rec.write_fields(self.fields.fields(), &mut self.line);

        if !self.prefixes.contains_key(key) {
            self.prefixes.insert(key.to_owned(), Prefix::default());
        }
        let Some(p) = self.prefixes.get_mut(key) else {
            return;
        };
        let idx = match p.files.iter().position(|f| f.hour == hour) {
            Some(i) => i,
            None => {
                if p.retry_at.is_some_and(|t| now < t) {
                    self.errors.discard();
                    return;
                }
                let name = if key.is_empty() {
                    self.opener.default_prefix.clone()
                } else {
                    sanitize(key)
                };
                match self.opener.open(&name, hour, now) {
                    Ok(f) => {
                        p.retry_at = None;
                        p.files.push(f);
                    }
                    Err(e) => {
                        p.retry_at = Some(now + OPEN_RETRY);
                        self.errors
                            .record(now, "opening a file", &self.opener.dir, &e);
                        return;
                    }
                }
                // Hour rotation: at most two files per prefix, so opening a third closes the
                // oldest of the *other* two (never the one this record is about to go to).
                if p.files.len() > 2 {
                    let others = p.files.len() - 1;
                    let oldest = p.files[..others]
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, f)| f.hour)
                        .map_or(0, |(i, _)| i);
                    let old = p.files.remove(oldest);
                    close(old, now, &mut self.errors);
                }
                p.files.len() - 1
            }
        };
        let f = &mut p.files[idx];
        match f.sink.write_all(&self.line) {
            Ok(()) => {
                f.last_write = now;
                f.dirty = true;
                self.errors.counters.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                // The buffer's state is unknown after a failed write: abandon this file, the
                // next record opens a fresh one.
                let f = p.files.swap_remove(idx);
                self.errors.record(now, "writing", &f.path, &e);
            }
        }
    }

    /// Flushes what was written since the last call and closes files that are done: those of
    /// an earlier hour once the stragglers' grace has passed, and idle ones.
    fn housekeeping(&mut self, now: Instant) {
        for p in self.prefixes.values_mut() {
            let newest = p.files.iter().map(|f| f.hour).max().unwrap_or(0);
            let mut i = 0;
            while i < p.files.len() {
                let f = &p.files[i];
                let idle = now.duration_since(f.last_write);
                if (f.hour < newest && idle >= STRAGGLER_GRACE) || idle >= IDLE_CLOSE {
                    let f = p.files.swap_remove(i);
                    close(f, now, &mut self.errors);
                    continue;
                }
                let f = &mut p.files[i];
                if f.dirty {
                    if let Err(e) = f.sink.flush() {
                        let f = p.files.swap_remove(i);
                        self.errors.record(now, "flushing", &f.path, &e);
                        continue;
                    }
                    f.dirty = false;
                }
                i += 1;
            }
        }
        self.prefixes
            .retain(|_, p| !p.files.is_empty() || p.retry_at.is_some_and(|t| now < t));
    }

    fn close_all(&mut self, now: Instant) {
        for (_, p) in self.prefixes.drain() {
            for f in p.files {
                close(f, now, &mut self.errors);
            }
        }
    }
}

fn close(f: OpenFile, now: Instant, errors: &mut Errors) {
    let OpenFile { sink, path, .. } = f;
    if let Err(e) = sink.finish() {
        errors.record(now, "closing", &path, &e);
    }
}

#[cfg(test)]
mod tests;

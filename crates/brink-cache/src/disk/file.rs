//! Reading a stored file: block-aligned, checksum-verified, through a handle per transfer; in
//! place when that cannot wait for a device, otherwise on a blocking thread.
//!
//! Each block's checksum is verified the first time the block is read in this process and
//! remembered (one bit per 64 KiB block): what the checksums guard against — a torn write, a
//! file damaged while the process was down, bit rot on the device — shows on that first read,
//! and computing CRC32 again on every hit of a large object cost CPU per byte served (issue 9
//! part 5). A block found damaged fails the read and its object is dropped.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

use super::format::{self, FormatError, BLOCK};

/// A complete object file on disk.
#[derive(Debug)]
pub struct DiskFile {
    /// Where it is.
    pub path: PathBuf,
    /// Offset of the body in the file.
    pub head_len: u64,
    /// Body length.
    pub body_len: u64,
    /// Size of the whole file (what the disk budget counts).
    pub file_len: u64,
    /// Per-block checksums.
    crcs: Vec<u32>,
    /// One bit per block: verified since this process opened the file.
    verified: Box<[std::sync::atomic::AtomicU64]>,
    /// How [`DiskFile::read_blocks_in_place`] reads: a [`Reads`] as a number, downgraded to
    /// [`Reads::Blocking`] the first time the file system refuses `RWF_NOWAIT`.
    reads: std::sync::atomic::AtomicU8,
}

/// How a disk tier's files are read on the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// The files live in memory (tmpfs): every read is a memory copy, done in place.
    Memory,
    /// Read in place what the page cache holds (`preadv2` with `RWF_NOWAIT`); the rest on
    /// the blocking pool.
    Cached,
    /// Always on the blocking pool.
    Blocking,
}

impl Reads {
    /// For files in `dir`: [`Reads::Memory`] on tmpfs, else [`Reads::Cached`].
    pub fn for_dir(dir: &std::path::Path) -> Reads {
        // TMPFS_MAGIC, statfs(2).
        const TMPFS: u64 = 0x0102_1994;
        match rustix::fs::statfs(dir) {
            Ok(st) if u64::try_from(st.f_type).is_ok_and(|t| t == TMPFS) => Reads::Memory,
            _ => Reads::Cached,
        }
    }
}

impl DiskFile {
    pub(crate) fn new(path: PathBuf, head_len: u64, body_len: u64, crcs: Vec<u32>) -> DiskFile {
        let file_len = head_len + body_len + crcs.len() as u64 * 4 + format::TRAILER_FIXED;
        DiskFile {
            path,
            head_len,
            body_len,
            file_len,
            verified: (0..crcs.len().div_ceil(64))
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            crcs,
            reads: std::sync::atomic::AtomicU8::new(Reads::Blocking as u8),
        }
    }

    /// The same file, read as `reads` says.
    pub(crate) fn with_reads(self, reads: Reads) -> DiskFile {
        self.reads
            .store(reads as u8, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Whether block `index` holds `data`: its checksum, computed once per process.
    fn block_ok(&self, index: usize, data: &[u8]) -> bool {
        use std::sync::atomic::Ordering;
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        let Some(w) = self.verified.get(word) else {
            return false;
        };
        if w.load(Ordering::Relaxed) & bit != 0 {
            return true;
        }
        let ok = self.crcs.get(index).copied() == Some(crc32fast::hash(data));
        if ok {
            w.fetch_or(bit, Ordering::Relaxed);
        }
        ok
    }

    /// True when every block covering body bytes `[start, end)` has been verified in this
    /// process (so those bytes may be sent without reading them here).
    pub fn is_verified(&self, start: u64, end: u64) -> bool {
        use std::sync::atomic::Ordering;
        if start >= end || end > self.body_len {
            return false;
        }
        (start / BLOCK..=(end - 1) / BLOCK).all(|index| {
            usize::try_from(index).is_ok_and(|index| {
                self.verified
                    .get(index / 64)
                    .is_some_and(|w| w.load(Ordering::Relaxed) & (1u64 << (index % 64)) != 0)
            })
        })
    }

    /// A handle of its own on the file (readers keep one for a whole transfer: the file
    /// stays readable if the tier evicts it meanwhile, and no handle outlives the transfer).
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(&self) -> io::Result<Arc<File>> {
        File::open(&self.path).map(Arc::new)
    }

    /// Reads and verifies up to `n` consecutive blocks from block `first` as one buffer,
    /// through `file` (from [`DiskFile::open`]), into memory that is not zeroed first
    /// (blocking: call from a blocking thread). One larger read instead of many small ones
    /// keeps the blocking pool's overhead out of large transfers; zeroing a 1 MiB buffer
    /// before every read had cost 6.5 % of the CPU of serving a large object from the disk
    /// tier (perf, 2026-12-03).
    ///
    /// # Errors
    /// I/O errors, or `InvalidData` when a block's checksum does not match.
    pub fn read_blocks_from(&self, file: &File, first: u64, n: u64) -> io::Result<Bytes> {
        let Some((at, len)) = self.span(first, n) else {
            return Ok(Bytes::new());
        };
        let mut buf = Vec::with_capacity(len);
        while buf.len() < len {
            let offset = at + buf.len() as u64;
            if rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), offset)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        // The spare capacity may have been larger than asked for.
        buf.truncate(len);
        self.verified_blocks(first, buf)
    }

    /// File offset and length of up to `n` blocks from `first`; `None` past the end.
    fn span(&self, first: u64, n: u64) -> Option<(u64, usize)> {
        let start = first * BLOCK;
        if start >= self.body_len || n == 0 {
            return None;
        }
        let end = ((first + n) * BLOCK).min(self.body_len);
        Some((self.head_len + start, usize::try_from(end - start).ok()?))
    }

    /// Like [`DiskFile::read_blocks_from`], on the calling thread, when that cannot wait for
    /// the device: files on tmpfs, and spans the page cache holds (`RWF_NOWAIT`). `None` when
    /// the caller must read on a blocking thread instead (part of the span is not in memory,
    /// the file system does not do `RWF_NOWAIT`, any error). A span in memory so costs a
    /// memory copy, not two thread hand-offs: measured on ext4, large hits from the disk tier
    /// went from 4,030 to 4,700 MB/s (docs/bench/2026-12-04-sendfile).
    pub fn read_blocks_in_place(
        &self,
        file: &File,
        first: u64,
        n: u64,
    ) -> Option<io::Result<Bytes>> {
        use rustix::io::{Errno, ReadWriteFlags};
        use std::io::IoSliceMut;
        use std::sync::atomic::Ordering;
        let mode = self.reads.load(Ordering::Relaxed);
        if mode == Reads::Blocking as u8 {
            return None;
        }
        if mode == Reads::Memory as u8 {
            return Some(self.read_blocks_from(file, first, n));
        }
        let Some((at, len)) = self.span(first, n) else {
            return Some(Ok(Bytes::new()));
        };
        let mut buf = vec![0u8; len];
        let mut done = 0;
        while done < len {
            let mut slices = [IoSliceMut::new(&mut buf[done..])];
            match rustix::io::preadv2(file, &mut slices, at + done as u64, ReadWriteFlags::NOWAIT) {
                Ok(k) if k > 0 => done += k,
                Err(Errno::OPNOTSUPP | Errno::INVAL) => {
                    self.reads.store(Reads::Blocking as u8, Ordering::Relaxed);
                    return None;
                }
                // Not cached (EAGAIN), end of file early, an I/O error: the blocking path
                // reads again and reports what is wrong.
                _ => return None,
            }
        }
        Some(self.verified_blocks(first, buf))
    }

    /// `buf` (blocks from `first` on) as `Bytes`, once each block's checksum is known good.
    fn verified_blocks(&self, first: u64, buf: Vec<u8>) -> io::Result<Bytes> {
        let block = usize::try_from(BLOCK).unwrap_or(usize::MAX);
        for (i, chunk) in buf.chunks(block).enumerate() {
            let index = usize::try_from(first)
                .unwrap_or(usize::MAX)
                .saturating_add(i);
            if !self.block_ok(index, chunk) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    FormatError::Checksum,
                ));
            }
        }
        Ok(Bytes::from(buf))
    }

    /// Reads and verifies body block `index` (blocking: call from a blocking thread).
    ///
    /// # Errors
    /// I/O errors, or `InvalidData` when the checksum does not match.
    pub fn read_block(&self, index: u64) -> io::Result<Bytes> {
        if index * BLOCK >= self.body_len {
            return Ok(Bytes::new());
        }
        self.read_blocks_from(&*self.open()?, index, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `head` bytes of head, then `body`, with the body's block checksums.
    fn file_with(body: &[u8], tag: &str) -> (DiskFile, PathBuf) {
        let path = std::env::temp_dir().join(format!("brink-file-{tag}-{}", std::process::id()));
        let mut bytes = vec![7u8; 100];
        bytes.extend_from_slice(body);
        std::fs::write(&path, &bytes).expect("write");
        let block = usize::try_from(BLOCK).unwrap();
        let crcs = body.chunks(block).map(crc32fast::hash).collect();
        let len = body.len() as u64;
        (DiskFile::new(path.clone(), 100, len, crcs), path)
    }

    #[test]
    fn reads_in_place_match_the_blocking_path_and_catch_damage() {
        let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        for reads in [Reads::Memory, Reads::Cached] {
            let (file, path) = file_with(&body, &format!("{reads:?}"));
            let file = file.with_reads(reads);
            let handle = file.open().expect("open");
            // Just written: in the page cache, so the read in place succeeds on any file
            // system that does RWF_NOWAIT (and tmpfs); where it does not, the caller falls
            // back to the blocking path.
            // The single-block path, block by block.
            let blocking: Vec<u8> = (1..4)
                .flat_map(|i| file.read_block(i).expect("read").to_vec())
                .collect();
            assert_eq!(
                file.read_blocks_from(&handle, 1, 3).expect("read"),
                blocking
            );
            match file.read_blocks_in_place(&handle, 1, 3) {
                Some(r) => assert_eq!(r.expect("read"), blocking),
                None => assert_eq!(reads, Reads::Cached, "memory reads never defer"),
            }
            assert_eq!(&blocking[..], &body[BLOCK as usize..4 * BLOCK as usize]);
            let last = file.read_blocks_from(&handle, 4, 16).expect("read");
            assert_eq!(&last[..], &body[4 * BLOCK as usize..]);
            assert!(file.is_verified(BLOCK, body.len() as u64));
            assert!(!file.is_verified(0, 10), "block 0 was never read");
            let _ = std::fs::remove_file(path);
        }
        let (file, path) = file_with(&body, "blocking");
        let handle = file.open().expect("open");
        assert!(
            file.read_blocks_in_place(&handle, 0, 1).is_none(),
            "blocking: always deferred"
        );
        let _ = std::fs::remove_file(path);
        // A damaged block is refused in place as on the blocking path.
        let mut damaged = body.clone();
        let (file, path) = file_with(&body, "damaged");
        damaged[70_000] ^= 1;
        let mut bytes = vec![7u8; 100];
        bytes.extend_from_slice(&damaged);
        std::fs::write(&path, &bytes).expect("write");
        let file = file.with_reads(Reads::Memory);
        let handle = file.open().expect("open");
        let err = file
            .read_blocks_in_place(&handle, 0, 2)
            .expect("read in place")
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(file.read_block(0).is_ok(), "the first block is intact");
        // A handle keeps an evicted file readable.
        std::fs::remove_file(&path).expect("remove");
        assert!(file.read_blocks_from(&handle, 0, 1).is_ok());
    }
}

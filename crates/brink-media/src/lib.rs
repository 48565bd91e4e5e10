//! Media containers for streaming from stored files (issue 13).
//!
//! One stored MP4 serves three ways at the edge: progressive download (plain byte ranges),
//! HLS (a playlist and MPEG-TS segments cut on key frames at request time) and RTMP (FLV
//! messages). This crate does the container work and no I/O:
//!
//! - [`index`]: the sample index of an H.264/AAC MP4 — where each sample's bytes are, when it
//!   is decoded and shown, which are key frames — from the file's `moov` box, parsed by
//!   Mozilla's `mp4parse`. [`load_index`] finds `moov` by reading top-level box headers
//!   through a [`ReadAt`], so only the header boxes are read, never the media data.
//! - [`hls`]: the segment plan (cuts on video key frames) and the `index.m3u8` playlist.
//! - [`ts`]: an MPEG-TS segment from the samples of one planned segment.
//! - [`flv`]: FLV tag bodies (AVC and AAC sequence headers and frames) for RTMP.

pub mod flv;
pub mod hls;
pub mod index;
mod tables;
pub mod ts;

use std::future::Future;

use bytes::{Bytes, BytesMut};

pub use index::{AudioTrack, Index, Sample, VideoTrack};

/// Why a file cannot be served as media.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// Not an ISO BMFF file, or one without a `moov` box where it was looked for.
    #[error("not an MP4 file: {0}")]
    NotMp4(String),
    /// An MP4 whose codecs or layout this edge does not serve (only H.264 video and AAC
    /// audio, unfragmented).
    #[error("unsupported MP4: {0}")]
    Unsupported(String),
    /// Sample tables or sample data that contradict themselves.
    #[error("corrupt MP4: {0}")]
    Corrupt(String),
    /// Past a limit (the `moov` box size, the number of samples).
    #[error("MP4 too large: {0}")]
    TooLarge(String),
    /// The bytes could not be read.
    #[error("read failed: {0}")]
    Read(String),
}

/// Reads a stored object by byte ranges (the edge's cache, or a test's memory).
pub trait ReadAt: Send {
    /// Up to `len` bytes from `offset`: fewer at the end of the object, none past it.
    fn read_at(
        &mut self,
        offset: u64,
        len: u64,
    ) -> impl Future<Output = Result<Bytes, String>> + Send;
}

/// Largest `moov` box read (a two-hour film at 60 frames per second has a `moov` of a few
/// MiB; 64 MiB leaves room and bounds what a hostile file can make the edge hold).
pub const MAX_MOOV: u64 = 64 * 1024 * 1024;
/// Top-level boxes walked before giving up on finding `moov`.
const MAX_TOP_LEVEL_BOXES: usize = 64;

/// Where [`load_index`] found `moov`: its offset and first bytes (they hold the movie header's
/// times and duration), so a caller can tell cheaply whether the file changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The `moov` box's offset in the file.
    pub offset: u64,
    /// Its first [`FINGERPRINT_LEN`] bytes (fewer when it is shorter).
    pub head: Bytes,
}

/// Bytes of `moov` kept in [`Located::head`].
pub const FINGERPRINT_LEN: u64 = 128;

/// The sample index of the MP4 `r` reads: walks the top-level box headers (16 bytes each)
/// until `moov`, reads `ftyp` and `moov`, and parses them. Works with `moov` before or after
/// the media data.
///
/// # Errors
/// [`MediaError`] when the file is not an MP4, has no `moov` within the first boxes, has a
/// `moov` over [`MAX_MOOV`], or is not H.264/AAC.
pub async fn load_index<R: ReadAt>(r: &mut R) -> Result<(Index, Located), MediaError> {
    let mut at = 0u64;
    let mut ftyp = Bytes::new();
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        let head = r.read_at(at, 16).await.map_err(MediaError::Read)?;
        if head.len() < 8 {
            break;
        }
        let b = index::box_header(&head)?;
        match &b.kind {
            b"ftyp" if b.size <= 4096 => ftyp = read_exact(r, at, b.size).await?,
            b"moov" => {
                if b.size > MAX_MOOV {
                    return Err(MediaError::TooLarge(format!(
                        "moov box of {} bytes (limit {MAX_MOOV})",
                        b.size
                    )));
                }
                let moov = read_exact(r, at, b.size).await?;
                let mut whole = BytesMut::with_capacity(ftyp.len() + moov.len());
                whole.extend_from_slice(&ftyp);
                whole.extend_from_slice(&moov);
                let head = moov.slice(..moov.len().min(FINGERPRINT_LEN as usize));
                return Ok((Index::parse(&whole)?, Located { offset: at, head }));
            }
            _ => {}
        }
        if b.size == 0 {
            break; // "to the end of the file": nothing follows.
        }
        at = at
            .checked_add(b.size)
            .ok_or_else(|| MediaError::Corrupt("box size overflows".into()))?;
    }
    Err(MediaError::NotMp4("no moov box".into()))
}

/// Exactly `len` bytes at `at` (several reads if the reader returns fewer).
///
/// # Errors
/// [`MediaError::Read`] when the reader fails, [`MediaError::Corrupt`] when the object ends
/// first.
pub async fn read_exact<R: ReadAt>(r: &mut R, at: u64, len: u64) -> Result<Bytes, MediaError> {
    let first = r.read_at(at, len).await.map_err(MediaError::Read)?;
    if first.len() as u64 >= len {
        return Ok(first.slice(..usize::try_from(len).unwrap_or(first.len())));
    }
    let mut out = BytesMut::with_capacity(usize::try_from(len).unwrap_or(0));
    out.extend_from_slice(&first);
    while (out.len() as u64) < len {
        let got = out.len() as u64;
        let more = r
            .read_at(at + got, len - got)
            .await
            .map_err(MediaError::Read)?;
        if more.is_empty() {
            return Err(MediaError::Corrupt(format!(
                "{len} bytes at {at} run past the end of the file"
            )));
        }
        let take = usize::try_from((len - got).min(more.len() as u64)).unwrap_or(0);
        out.extend_from_slice(&more[..take]);
    }
    Ok(out.freeze())
}

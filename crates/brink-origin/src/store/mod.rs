//! Where objects live: one directory per bucket under the data directory, one file per object.
//!
//! ```text
//! DIR/buckets/<bucket>/bucket.json          creation time, bucket policy
//! DIR/buckets/<bucket>/objects/<sha256(key)> the body, then its metadata (trailer)
//! DIR/uploads/<upload id>/upload.json        a multipart upload: bucket, key, metadata
//! DIR/uploads/<upload id>/part-<n>           one part, same layout as an object file
//! DIR/tmp/                                   files being written
//! ```
//!
//! An object file is the body followed by its metadata as JSON, the JSON's length (u32,
//! big-endian) and the magic `BRK1`; the metadata goes last because its ETag is only known
//! once the body has been streamed through MD5. Every file is written under `tmp/` and renamed
//! into place, so a reader sees the old object or the new one, never half of one, and one open
//! file descriptor always pairs a body with its own metadata.
//!
//! File names are the SHA-256 of the key (bucket names are validated by s3s before they reach
//! here), so no key — `../x`, `a/../../b`, a NUL, 1,024 bytes of anything — names a path
//! outside the bucket's directory. An in-memory index per bucket (a `BTreeMap` by key, rebuilt
//! from the trailers at start) answers listings in key order.
//!
//! Durability: a file's data is synced before it is renamed into place; the directory is not,
//! so a crash can lose the last writes but never exposes a torn object.

use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::{Digest as _, Md5};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::policy::Policy;

mod multipart;
pub use multipart::PartInfo;

/// The trailer's magic, last 4 bytes of every object and part file.
const MAGIC: &[u8; 4] = b"BRK1";

/// Longest metadata trailer accepted when reading: more than any request head can carry
/// ([`crate::MAX_HEAD_BYTES`]) plus a key, JSON-escaped.
const MAX_TRAILER: u32 = 1024 * 1024;

/// Longest key, in UTF-8 bytes (S3's limit).
pub const MAX_KEY_LEN: usize = 1024;

/// Smallest part other than the last in a multipart upload (S3's limit: 5 MiB).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// Highest part number (S3's limit).
pub const MAX_PART_NUMBER: i32 = 10_000;

/// What the store refuses, each mapped to one S3 error code by the S3 layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The bucket does not exist.
    #[error("The specified bucket does not exist")]
    NoSuchBucket,
    /// CreateBucket on a bucket that exists (there is one owner).
    #[error("Your previous request to create the named bucket succeeded and you already own it")]
    BucketAlreadyOwnedByYou,
    /// DeleteBucket on a bucket that still holds objects.
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty,
    /// The key does not exist.
    #[error("The specified key does not exist")]
    NoSuchKey,
    /// The bucket has no policy.
    #[error("The bucket policy does not exist")]
    NoSuchBucketPolicy,
    /// The upload id is unknown (never created, completed or aborted) or names another object.
    #[error("The specified upload does not exist")]
    NoSuchUpload,
    /// A completed part is missing or its ETag does not match.
    #[error("One or more of the specified parts could not be found or did not match")]
    InvalidPart,
    /// Parts listed out of ascending order.
    #[error("The list of parts was not in ascending order")]
    InvalidPartOrder,
    /// A part other than the last is under 5 MiB.
    #[error("Your proposed upload is smaller than the minimum allowed object size")]
    EntityTooSmall,
    /// The body's MD5 is not the `Content-MD5` the client sent.
    #[error("The Content-MD5 you specified did not match what we received")]
    BadDigest,
    /// A key over 1,024 bytes.
    #[error("Your key is too long")]
    KeyTooLong,
    /// The request body ended early or failed.
    #[error("the request body could not be read: {0}")]
    Body(String),
    /// A disk error.
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

/// The metadata kept with an object (and with a part).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The object's key.
    pub key: String,
    /// Body length in bytes.
    pub size: u64,
    /// The ETag without quotes: the body's MD5 in hex, or `md5-of-md5s-N` for a multipart
    /// object.
    pub etag: String,
    /// Last-Modified, seconds since the Unix epoch (S3 serves it with second precision).
    pub last_modified: u64,
    /// `Content-Type` as uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Cache-Control` as uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `Content-Disposition` as uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// `Content-Encoding` as uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `Content-Language` as uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// User metadata (`x-amz-meta-*`), names in lower case.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Number of parts, for a multipart object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BucketFile {
    created: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
}

struct Bucket {
    created: u64,
    policy: Option<(String, Arc<Policy>)>,
    objects: BTreeMap<String, Arc<ObjectMeta>>,
}

/// One page of a listing.
#[derive(Debug, Default)]
pub struct Listing {
    /// Objects, in key order.
    pub objects: Vec<Arc<ObjectMeta>>,
    /// Common prefixes (when a delimiter was given), in order.
    pub common_prefixes: Vec<String>,
    /// Where the next page starts, when this one is truncated.
    pub next: Option<String>,
}

/// The object store on disk.
pub struct Store {
    root: PathBuf,
    buckets: RwLock<BTreeMap<String, Bucket>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn random_hex(n: usize) -> Result<String, StoreError> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(hex(&b))
}

fn key_file(key: &str) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(key.as_bytes()))
}

/// Reads the metadata trailer of an object or part file and returns it with the body length.
async fn read_trailer(file: &mut tokio::fs::File) -> Result<ObjectMeta, StoreError> {
    let len = file.metadata().await?.len();
    let corrupt = || StoreError::Io(std::io::Error::other("corrupt object file"));
    if len < 8 {
        return Err(corrupt());
    }
    file.seek(SeekFrom::Start(len - 8)).await?;
    let mut tail = [0u8; 8];
    file.read_exact(&mut tail).await?;
    if &tail[4..] != MAGIC {
        return Err(corrupt());
    }
    let json_len = u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]);
    if json_len > MAX_TRAILER || u64::from(json_len) + 8 > len {
        return Err(corrupt());
    }
    file.seek(SeekFrom::Start(len - 8 - u64::from(json_len)))
        .await?;
    let mut json = vec![0u8; json_len as usize];
    file.read_exact(&mut json).await?;
    let meta: ObjectMeta = serde_json::from_slice(&json).map_err(|_| corrupt())?;
    if meta.size != len - 8 - u64::from(json_len) {
        return Err(corrupt());
    }
    Ok(meta)
}

fn trailer(meta: &ObjectMeta) -> Result<Vec<u8>, StoreError> {
    let mut json = serde_json::to_vec(meta).map_err(std::io::Error::other)?;
    let len = u32::try_from(json.len()).map_err(std::io::Error::other)?;
    json.extend_from_slice(&len.to_be_bytes());
    json.extend_from_slice(MAGIC);
    Ok(json)
}

/// A file under `tmp/` that is removed unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    kept: bool,
}

impl TempFile {
    async fn new(root: &Path) -> Result<Self, StoreError> {
        let path = root.join("tmp").join(random_hex(16)?);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Self {
            path,
            file: Some(tokio::io::BufWriter::with_capacity(256 * 1024, file)),
            kept: false,
        })
    }

    fn writer(&mut self) -> Result<&mut tokio::io::BufWriter<tokio::fs::File>, StoreError> {
        self.file
            .as_mut()
            .ok_or_else(|| StoreError::Io(std::io::Error::other("temp file closed")))
    }

    async fn finish(&mut self) -> Result<(), StoreError> {
        if let Some(mut f) = self.file.take() {
            f.flush().await?;
            f.into_inner().sync_data().await.ok();
        }
        Ok(())
    }

    fn rename_to(&mut self, dest: &Path) -> Result<(), StoreError> {
        std::fs::rename(&self.path, dest)?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Streams `body` into `tmp`, returning its MD5 (hex) and length; [`StoreError::BadDigest`]
/// when it is not `expect_md5`.
async fn copy_body<S, E>(
    tmp: &mut TempFile,
    mut body: S,
    expect_md5: Option<[u8; 16]>,
) -> Result<(String, u64), StoreError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut md5 = Md5::new();
    let mut size = 0u64;
    let w = tmp.writer()?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| StoreError::Body(e.to_string()))?;
        md5.update(&chunk);
        size += chunk.len() as u64;
        w.write_all(&chunk).await?;
    }
    let md5 = md5.finalize();
    if expect_md5.is_some_and(|e| e[..] != md5[..]) {
        return Err(StoreError::BadDigest);
    }
    Ok((hex(&md5), size))
}

impl Store {
    /// Opens (creating when missing) the store under `root` and indexes every object.
    ///
    /// # Errors
    /// The directory cannot be created or read.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        for d in ["buckets", "uploads", "tmp"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        // Leftovers of writes interrupted by a crash.
        for e in std::fs::read_dir(root.join("tmp"))? {
            let _ = std::fs::remove_file(e?.path());
        }
        let mut buckets = BTreeMap::new();
        for e in std::fs::read_dir(root.join("buckets"))? {
            let e = e?;
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let dir = e.path();
            let Ok(text) = std::fs::read(dir.join("bucket.json")) else {
                continue;
            };
            let Ok(bf) = serde_json::from_slice::<BucketFile>(&text) else {
                tracing::warn!(bucket = %name, "unreadable bucket.json; bucket skipped");
                continue;
            };
            let policy = bf
                .policy
                .and_then(|p| Policy::parse(&p, &name).ok().map(|c| (p, Arc::new(c))));
            let mut objects = BTreeMap::new();
            for o in std::fs::read_dir(dir.join("objects"))? {
                let path = o?.path();
                match read_trailer_sync(&path) {
                    Ok(meta) => {
                        objects.insert(meta.key.clone(), Arc::new(meta));
                    }
                    Err(err) => tracing::warn!(path = %path.display(), %err, "object skipped"),
                }
            }
            buckets.insert(
                name,
                Bucket {
                    created: bf.created,
                    policy,
                    objects,
                },
            );
        }
        Ok(Self {
            root: root.to_owned(),
            buckets: RwLock::new(buckets),
        })
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket)
    }

    fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.bucket_dir(bucket).join("objects").join(key_file(key))
    }

    fn write_bucket_file(&self, bucket: &str, b: &Bucket) -> Result<(), StoreError> {
        let bf = BucketFile {
            created: b.created,
            policy: b.policy.as_ref().map(|(t, _)| t.clone()),
        };
        let dir = self.bucket_dir(bucket);
        let tmp = dir.join("bucket.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(&bf).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, dir.join("bucket.json"))?;
        Ok(())
    }

    /// Creates a bucket.
    ///
    /// # Errors
    /// [`StoreError::BucketAlreadyOwnedByYou`], or a disk error.
    pub fn create_bucket(&self, name: &str) -> Result<(), StoreError> {
        let mut buckets = self.buckets.write();
        if buckets.contains_key(name) {
            return Err(StoreError::BucketAlreadyOwnedByYou);
        }
        std::fs::create_dir_all(self.bucket_dir(name).join("objects"))?;
        let b = Bucket {
            created: now_secs(),
            policy: None,
            objects: BTreeMap::new(),
        };
        self.write_bucket_file(name, &b)?;
        buckets.insert(name.to_owned(), b);
        Ok(())
    }

    /// Deletes an empty bucket.
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`], [`StoreError::BucketNotEmpty`], or a disk error.
    pub fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        let mut buckets = self.buckets.write();
        let b = buckets.get(name).ok_or(StoreError::NoSuchBucket)?;
        if !b.objects.is_empty() {
            return Err(StoreError::BucketNotEmpty);
        }
        std::fs::remove_dir_all(self.bucket_dir(name))?;
        buckets.remove(name);
        Ok(())
    }

    /// Every bucket with its creation time (seconds since the epoch), by name.
    #[must_use]
    pub fn list_buckets(&self) -> Vec<(String, u64)> {
        self.buckets
            .read()
            .iter()
            .map(|(n, b)| (n.clone(), b.created))
            .collect()
    }

    /// Whether the bucket exists.
    #[must_use]
    pub fn bucket_exists(&self, name: &str) -> bool {
        self.buckets.read().contains_key(name)
    }

    /// The bucket's compiled policy: `None` when the bucket does not exist, `Some(None)` when
    /// it has no policy.
    #[must_use]
    pub fn policy(&self, bucket: &str) -> Option<Option<Arc<Policy>>> {
        self.buckets
            .read()
            .get(bucket)
            .map(|b| b.policy.as_ref().map(|(_, p)| Arc::clone(p)))
    }

    /// The bucket's policy document as it was put.
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`], [`StoreError::NoSuchBucketPolicy`].
    pub fn policy_text(&self, bucket: &str) -> Result<String, StoreError> {
        let buckets = self.buckets.read();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        b.policy
            .as_ref()
            .map(|(t, _)| t.clone())
            .ok_or(StoreError::NoSuchBucketPolicy)
    }

    /// Sets (`Some`) or removes (`None`) the bucket's policy.
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`], or a disk error.
    pub fn set_policy(
        &self,
        bucket: &str,
        policy: Option<(String, Policy)>,
    ) -> Result<(), StoreError> {
        let mut buckets = self.buckets.write();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        let old = b.policy.take();
        b.policy = policy.map(|(t, p)| (t, Arc::new(p)));
        if let Err(e) = self.write_bucket_file(bucket, b) {
            b.policy = old;
            return Err(e);
        }
        Ok(())
    }

    fn check_key(key: &str) -> Result<(), StoreError> {
        if key.len() > MAX_KEY_LEN {
            return Err(StoreError::KeyTooLong);
        }
        Ok(())
    }

    /// Writes an object from a body stream; visible (whole) once this returns.
    ///
    /// `template` carries the content headers and user metadata; key, size, ETag and time are
    /// filled here. `expect_md5` is the request's `Content-MD5`, when it sent one.
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`], [`StoreError::KeyTooLong`], [`StoreError::Body`] when the
    /// client's body fails, [`StoreError::BadDigest`], or a disk error.
    pub async fn put_object<S, E>(
        &self,
        bucket: &str,
        key: &str,
        template: ObjectMeta,
        body: S,
        expect_md5: Option<[u8; 16]>,
    ) -> Result<Arc<ObjectMeta>, StoreError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        Self::check_key(key)?;
        if !self.bucket_exists(bucket) {
            return Err(StoreError::NoSuchBucket);
        }
        let mut tmp = TempFile::new(&self.root).await?;
        let (etag, size) = copy_body(&mut tmp, body, expect_md5).await?;
        let meta = ObjectMeta {
            key: key.to_owned(),
            size,
            etag,
            last_modified: now_secs(),
            parts: None,
            ..template
        };
        tmp.writer()?.write_all(&trailer(&meta)?).await?;
        tmp.finish().await?;
        self.install(bucket, &mut tmp, meta)
    }

    /// Renames a finished temp file into place and indexes it, under the bucket lock so the
    /// index and the files agree (and a bucket deleted meanwhile is noticed).
    fn install(
        &self,
        bucket: &str,
        tmp: &mut TempFile,
        meta: ObjectMeta,
    ) -> Result<Arc<ObjectMeta>, StoreError> {
        let mut buckets = self.buckets.write();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        tmp.rename_to(&self.object_path(bucket, &meta.key))?;
        let meta = Arc::new(meta);
        b.objects.insert(meta.key.clone(), Arc::clone(&meta));
        Ok(meta)
    }

    /// Opens an object: the file (positioned anywhere) and its metadata, from the same file.
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`], [`StoreError::NoSuchKey`], or a disk error.
    pub async fn open_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<(tokio::fs::File, ObjectMeta), StoreError> {
        if key.len() > MAX_KEY_LEN {
            return Err(StoreError::NoSuchKey);
        }
        if !self.bucket_exists(bucket) {
            return Err(StoreError::NoSuchBucket);
        }
        let mut file = match tokio::fs::File::open(self.object_path(bucket, key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NoSuchKey)
            }
            Err(e) => return Err(e.into()),
        };
        let meta = read_trailer(&mut file).await?;
        if meta.key != key {
            // A SHA-256 collision would land here; treat it as absent.
            return Err(StoreError::NoSuchKey);
        }
        Ok((file, meta))
    }

    /// Deletes an object; deleting a missing key succeeds, as in S3.
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`], or a disk error.
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<(), StoreError> {
        let mut buckets = self.buckets.write();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        if key.len() > MAX_KEY_LEN {
            return Ok(());
        }
        match std::fs::remove_file(self.object_path(bucket, key)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        b.objects.remove(key);
        Ok(())
    }

    /// One page of keys under `prefix`, after `after` (exclusive; when `after` is a common
    /// prefix, after everything under it), rolled up at `delimiter`, at most `max` entries.
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`].
    pub fn list(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max: usize,
    ) -> Result<Listing, StoreError> {
        let buckets = self.buckets.read();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        let delimiter = delimiter.filter(|d| !d.is_empty());
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a.to_owned()),
            _ => Bound::Included(prefix.to_owned()),
        };
        let mut out = Listing::default();
        let mut count = 0usize;
        let mut last: Option<String> = None;
        for (key, meta) in b.objects.range((start, Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            // Resuming after a common prefix skips everything under it.
            if let (Some(a), Some(d)) = (after, delimiter) {
                if a.ends_with(d) && a.len() > prefix.len() && key.starts_with(a) {
                    continue;
                }
            }
            let rolled = delimiter.and_then(|d| {
                key[prefix.len()..]
                    .find(d)
                    .map(|i| key[..prefix.len() + i + d.len()].to_owned())
            });
            if let Some(cp) = &rolled {
                if out.common_prefixes.last() == Some(cp) {
                    continue;
                }
            }
            if count == max {
                out.next = last;
                return Ok(out);
            }
            count += 1;
            match rolled {
                Some(cp) => {
                    last = Some(cp.clone());
                    out.common_prefixes.push(cp);
                }
                None => {
                    last = Some(key.clone());
                    out.objects.push(Arc::clone(meta));
                }
            }
        }
        Ok(out)
    }
}

fn read_trailer_sync(path: &Path) -> Result<ObjectMeta, StoreError> {
    use std::io::{Read, Seek};
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let corrupt = || StoreError::Io(std::io::Error::other("corrupt object file"));
    if len < 8 {
        return Err(corrupt());
    }
    f.seek(SeekFrom::Start(len - 8))?;
    let mut tail = [0u8; 8];
    f.read_exact(&mut tail)?;
    if &tail[4..] != MAGIC {
        return Err(corrupt());
    }
    let json_len = u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]);
    if json_len > MAX_TRAILER || u64::from(json_len) + 8 > len {
        return Err(corrupt());
    }
    f.seek(SeekFrom::Start(len - 8 - u64::from(json_len)))?;
    let mut json = vec![0u8; json_len as usize];
    f.read_exact(&mut json)?;
    serde_json::from_slice(&json).map_err(|_| corrupt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    fn temp_root() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "brink-origin-test-{}",
            random_hex(8).unwrap_or_default()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[tokio::test]
    async fn put_get_list_survive_reopen() {
        let root = temp_root();
        let s = Store::open(&root).expect("open");
        s.create_bucket("b").expect("create");
        assert!(matches!(
            s.create_bucket("b"),
            Err(StoreError::BucketAlreadyOwnedByYou)
        ));
        for k in ["a/1", "a/2", "b/1", "c", "../escape", "sp ace+plus/ü"] {
            let m = s
                .put_object(
                    "b",
                    k,
                    ObjectMeta::default(),
                    body(&[b"hello ", k.as_bytes().to_vec().leak()]),
                    None,
                )
                .await
                .expect("put");
            assert_eq!(m.size, 6 + k.len() as u64);
        }
        let (_, m) = s.open_object("b", "c").await.expect("open");
        assert_eq!(m.etag, hex(&Md5::digest(b"hello c")));
        // Nothing escaped the bucket's directory.
        assert!(!root.join("buckets").join("escape").exists());
        assert!(!root.join("escape").exists());
        let l = s.list("b", "", Some("/"), None, 1000).expect("list");
        assert_eq!(l.common_prefixes, vec!["../", "a/", "b/", "sp ace+plus/"]);
        assert_eq!(
            l.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
            vec!["c"]
        );
        // Paging two at a time, with a delimiter, resumes after common prefixes.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let l = s
                .list("b", "", Some("/"), after.as_deref(), 2)
                .expect("list");
            seen.extend(l.common_prefixes.clone());
            seen.extend(l.objects.iter().map(|o| o.key.clone()));
            match l.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, vec!["../", "a/", "b/", "c", "sp ace+plus/"]);
        drop(s);
        let s = Store::open(&root).expect("reopen");
        let l = s.list("b", "a/", None, None, 1000).expect("list");
        assert_eq!(l.objects.len(), 2);
        assert!(matches!(
            s.delete_bucket("b"),
            Err(StoreError::BucketNotEmpty)
        ));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[tokio::test]
    async fn multipart_etag_is_md5_of_md5s() {
        let root = temp_root();
        let s = Store::open(&root).expect("open");
        s.create_bucket("b").expect("create");
        let id = s
            .create_upload("b", "k", ObjectMeta::default())
            .expect("create upload");
        let big: &'static [u8] = vec![7u8; MIN_PART_SIZE as usize].leak();
        let e1 = s
            .put_part(&id, "b", "k", 1, body(&[big]), None)
            .await
            .expect("part 1");
        let e2 = s
            .put_part(&id, "b", "k", 2, body(&[b"tail"]), None)
            .await
            .expect("part 2");
        assert!(matches!(
            s.complete_upload(&id, "b", "k", &[(2, e2.clone()), (1, e1.clone())])
                .await,
            Err(StoreError::InvalidPartOrder)
        ));
        assert!(matches!(
            s.complete_upload(&id, "b", "k", &[(1, e2.clone())]).await,
            Err(StoreError::InvalidPart)
        ));
        let m = s
            .complete_upload(&id, "b", "k", &[(1, e1.clone()), (2, e2.clone())])
            .await
            .expect("complete");
        let mut cat = Md5::digest(big).to_vec();
        cat.extend_from_slice(&Md5::digest(b"tail"));
        assert_eq!(m.etag, format!("{}-2", hex(&Md5::digest(&cat))));
        assert_eq!(m.size, MIN_PART_SIZE + 4);
        assert!(matches!(
            s.abort_upload(&id, "b", "k"),
            Err(StoreError::NoSuchUpload)
        ));
        assert!(matches!(
            s.abort_upload("../../etc", "b", "k"),
            Err(StoreError::NoSuchUpload)
        ));
        let _ = std::fs::remove_dir_all(&root);
    }
}

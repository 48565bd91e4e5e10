//! Multipart uploads: `DIR/uploads/<id>/upload.json` (bucket, key, the object's metadata) and
//! one file per part (`part-<n>`, the object file layout), joined into the object on
//! completion. S3's rules: parts 1–10,000, every part but the last at least 5 MiB, the parts
//! listed in ascending order with their ETags, the object's ETag the MD5 of the parts' MD5s
//! followed by `-N`.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::{
    copy_body, hex, now_secs, random_hex, read_trailer, trailer, ObjectMeta, Store, StoreError,
    TempFile, MIN_PART_SIZE,
};

#[derive(Debug, Serialize, Deserialize)]
struct UploadFile {
    bucket: String,
    key: String,
    meta: ObjectMeta,
    initiated: u64,
}

/// One part of a multipart upload in progress.
#[derive(Debug, Clone)]
pub struct PartInfo {
    /// Part number, 1–10,000.
    pub number: i32,
    /// MD5 of the part, hex, without quotes.
    pub etag: String,
    /// Length in bytes.
    pub size: u64,
    /// When it was uploaded (seconds since the epoch).
    pub last_modified: u64,
}

fn is_upload_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Store {
    fn upload_dir(&self, id: &str) -> Result<PathBuf, StoreError> {
        if !is_upload_id(id) {
            return Err(StoreError::NoSuchUpload);
        }
        Ok(self.root.join("uploads").join(id))
    }

    fn read_upload(&self, id: &str, bucket: &str, key: &str) -> Result<UploadFile, StoreError> {
        let dir = self.upload_dir(id)?;
        let text = match std::fs::read(dir.join("upload.json")) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NoSuchUpload)
            }
            Err(e) => return Err(e.into()),
        };
        let up: UploadFile =
            serde_json::from_slice(&text).map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        if up.bucket != bucket || up.key != key {
            return Err(StoreError::NoSuchUpload);
        }
        Ok(up)
    }

    /// Starts a multipart upload and returns its id (32 hex digits).
    ///
    /// # Errors
    /// [`StoreError::NoSuchBucket`], [`StoreError::KeyTooLong`], or a disk error.
    pub fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        template: ObjectMeta,
    ) -> Result<String, StoreError> {
        Self::check_key(key)?;
        if !self.bucket_exists(bucket) {
            return Err(StoreError::NoSuchBucket);
        }
        let id = random_hex(16)?;
        let dir = self.upload_dir(&id)?;
        std::fs::create_dir_all(&dir)?;
        let up = UploadFile {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            meta: template,
            initiated: now_secs(),
        };
        let tmp = dir.join("upload.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(&up).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, dir.join("upload.json"))?;
        Ok(id)
    }

    /// Stores one part (replacing an earlier upload of the same number) and returns its ETag.
    ///
    /// # Errors
    /// [`StoreError::NoSuchUpload`], [`StoreError::Body`], [`StoreError::BadDigest`], or a
    /// disk error.
    pub async fn put_part<S, E>(
        &self,
        id: &str,
        bucket: &str,
        key: &str,
        number: i32,
        body: S,
        expect_md5: Option<[u8; 16]>,
    ) -> Result<String, StoreError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        self.read_upload(id, bucket, key)?;
        let mut tmp = TempFile::new(&self.root).await?;
        let (etag, size) = copy_body(&mut tmp, body, expect_md5).await?;
        let meta = ObjectMeta {
            key: number.to_string(),
            size,
            etag: etag.clone(),
            last_modified: now_secs(),
            ..ObjectMeta::default()
        };
        tmp.writer()?.write_all(&trailer(&meta)?).await?;
        tmp.finish().await?;
        let dir = self.upload_dir(id)?;
        // Aborted or completed meanwhile: the part is dropped with the temp file.
        if !dir.join("upload.json").exists() {
            return Err(StoreError::NoSuchUpload);
        }
        tmp.rename_to(&dir.join(format!("part-{number:05}")))?;
        Ok(etag)
    }

    /// The parts uploaded so far, by number.
    ///
    /// # Errors
    /// [`StoreError::NoSuchUpload`], or a disk error.
    pub async fn list_parts(
        &self,
        id: &str,
        bucket: &str,
        key: &str,
    ) -> Result<Vec<PartInfo>, StoreError> {
        self.read_upload(id, bucket, key)?;
        let dir = self.upload_dir(id)?;
        let mut parts = Vec::new();
        for e in std::fs::read_dir(&dir)? {
            let e = e?;
            let name = e.file_name();
            let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_prefix("part-"))
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            let mut f = tokio::fs::File::open(e.path()).await?;
            let meta = read_trailer(&mut f).await?;
            parts.push(PartInfo {
                number: n,
                etag: meta.etag,
                size: meta.size,
                last_modified: meta.last_modified,
            });
        }
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    /// Joins the listed parts (number, ETag without quotes) into the object and ends the
    /// upload. The ETag is the MD5 of the parts' binary MD5s, `-N`.
    ///
    /// # Errors
    /// [`StoreError::NoSuchUpload`], [`StoreError::InvalidPartOrder`],
    /// [`StoreError::InvalidPart`], [`StoreError::EntityTooSmall`], or a disk error.
    pub async fn complete_upload(
        &self,
        id: &str,
        bucket: &str,
        key: &str,
        wanted: &[(i32, String)],
    ) -> Result<Arc<ObjectMeta>, StoreError> {
        let up = self.read_upload(id, bucket, key)?;
        if wanted.is_empty() {
            return Err(StoreError::InvalidPart);
        }
        if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(StoreError::InvalidPartOrder);
        }
        let have = self.list_parts(id, bucket, key).await?;
        let dir = self.upload_dir(id)?;
        let mut md5s = Md5::new();
        let mut size = 0u64;
        let mut sources = Vec::with_capacity(wanted.len());
        for (i, (n, etag)) in wanted.iter().enumerate() {
            let Some(p) = have.iter().find(|p| p.number == *n) else {
                return Err(StoreError::InvalidPart);
            };
            if &p.etag != etag {
                return Err(StoreError::InvalidPart);
            }
            if i + 1 < wanted.len() && p.size < MIN_PART_SIZE {
                return Err(StoreError::EntityTooSmall);
            }
            let mut raw = [0u8; 16];
            for (j, b) in raw.iter_mut().enumerate() {
                *b = u8::from_str_radix(p.etag.get(2 * j..2 * j + 2).unwrap_or("00"), 16)
                    .unwrap_or(0);
            }
            md5s.update(raw);
            sources.push((dir.join(format!("part-{n:05}")), p.size));
            size += p.size;
        }
        let meta = ObjectMeta {
            key: key.to_owned(),
            size,
            etag: format!("{}-{}", hex(&md5s.finalize()), wanted.len()),
            last_modified: now_secs(),
            parts: u32::try_from(wanted.len()).ok(),
            ..up.meta
        };
        let mut tmp = TempFile::new(&self.root).await?;
        tmp.finish().await?;
        let path = tmp.path.clone();
        let tail = trailer(&meta)?;
        // One blocking task with std's copy, which the kernel does (copy_file_range) instead of
        // bytes through user space in small asynchronous reads.
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::{Read as _, Write as _};
            let mut out = std::fs::OpenOptions::new().append(true).open(&path)?;
            for (part, len) in sources {
                let mut from = std::fs::File::open(part)?.take(len);
                if std::io::copy(&mut from, &mut out)? != len {
                    return Err(std::io::Error::other("part file shorter than its metadata"));
                }
            }
            out.write_all(&tail)?;
            out.sync_data()
        })
        .await
        .map_err(std::io::Error::other)??;
        let meta = self.install(bucket, &mut tmp, meta)?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(meta)
    }

    /// Abandons an upload and its parts.
    ///
    /// # Errors
    /// [`StoreError::NoSuchUpload`], or a disk error.
    pub fn abort_upload(&self, id: &str, bucket: &str, key: &str) -> Result<(), StoreError> {
        self.read_upload(id, bucket, key)?;
        std::fs::remove_dir_all(self.upload_dir(id)?)?;
        Ok(())
    }
}

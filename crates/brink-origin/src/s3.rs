//! The S3 operations: s3s's `S3` trait over [`Store`]. s3s parses and serialises the REST-XML;
//! this file maps inputs to store calls and store refusals to S3's error codes. Operations not
//! listed here answer s3s's `NotImplemented` (501).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::Stream;
use s3s::dto::*;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, S3};

use crate::policy::Policy;
use crate::store::{ObjectMeta, Store, StoreError, MAX_PART_NUMBER};

/// The S3 service over one [`Store`].
#[derive(Debug, Clone)]
pub(crate) struct Backend {
    pub(crate) store: Arc<Store>,
}

impl From<StoreError> for S3Error {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NoSuchBucket => S3ErrorCode::NoSuchBucket,
            StoreError::BucketAlreadyOwnedByYou => S3ErrorCode::BucketAlreadyOwnedByYou,
            StoreError::BucketNotEmpty => S3ErrorCode::BucketNotEmpty,
            StoreError::NoSuchKey => S3ErrorCode::NoSuchKey,
            StoreError::NoSuchBucketPolicy => S3ErrorCode::NoSuchBucketPolicy,
            StoreError::NoSuchUpload => S3ErrorCode::NoSuchUpload,
            StoreError::InvalidPart => S3ErrorCode::InvalidPart,
            StoreError::InvalidPartOrder => S3ErrorCode::InvalidPartOrder,
            StoreError::EntityTooSmall => S3ErrorCode::EntityTooSmall,
            StoreError::KeyTooLong => S3ErrorCode::KeyTooLongError,
            StoreError::BadDigest => S3ErrorCode::BadDigest,
            StoreError::Body(_) => S3ErrorCode::IncompleteBody,
            StoreError::Io(err) => {
                tracing::error!(%err, "origin store I/O error");
                return S3Error::with_message(S3ErrorCode::InternalError, "storage error");
            }
        };
        S3Error::with_message(code, e.to_string())
    }
}

fn timestamp(secs: u64) -> Timestamp {
    Timestamp::from(UNIX_EPOCH + Duration::from_secs(secs))
}

fn unix(ts: &Timestamp) -> i64 {
    time::OffsetDateTime::from(ts.clone()).unix_timestamp()
}

fn etag(meta: &ObjectMeta) -> ETag {
    ETag::Strong(meta.etag.clone())
}

/// Preconditions of a read, in RFC 9110 §13.2.2's order: `If-Match` (else
/// `If-Unmodified-Since`) → 412, then `If-None-Match` (else `If-Modified-Since`) → 304.
fn check_conditions(
    meta: &ObjectMeta,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let lm = i64::try_from(meta.last_modified).unwrap_or(i64::MAX);
    let matches = |c: &ETagCondition| match c {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == meta.etag,
    };
    let failed = match (if_match, if_unmodified_since) {
        (Some(c), _) => !matches(c),
        (None, Some(t)) => lm > unix(t),
        (None, None) => false,
    };
    if failed {
        return Err(s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        ));
    }
    let not_modified = match (if_none_match, if_modified_since) {
        (Some(c), _) => matches(c),
        (None, Some(t)) => lm <= unix(t),
        (None, None) => false,
    };
    if not_modified {
        let mut e = S3Error::new(S3ErrorCode::NotModified);
        let mut h = hyper::HeaderMap::new();
        if let Ok(v) = hyper::header::HeaderValue::from_str(&format!("\"{}\"", meta.etag)) {
            h.insert(hyper::header::ETAG, v);
        }
        if let Ok(v) = hyper::header::HeaderValue::from_str(&httpdate(meta.last_modified)) {
            h.insert(hyper::header::LAST_MODIFIED, v);
        }
        // RFC 9110 §15.4.5: a 304 carries the Cache-Control a 200 would (a cache refreshing
        // its copy takes it from here).
        if let Some(v) = meta
            .cache_control
            .as_deref()
            .and_then(|c| hyper::header::HeaderValue::from_str(c).ok())
        {
            h.insert(hyper::header::CACHE_CONTROL, v);
        }
        e.set_headers(h);
        return Err(e);
    }
    Ok(())
}

fn httpdate(secs: u64) -> String {
    let mut out = Vec::new();
    let _ = timestamp(secs).format(TimestampFormat::HttpDate, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn metadata_of(m: &ObjectMeta) -> Option<Metadata> {
    (!m.metadata.is_empty()).then(|| {
        m.metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

#[allow(clippy::too_many_arguments)]
/// S3's limit on user metadata: names and values together, in UTF-8 bytes.
const MAX_USER_METADATA: usize = 2 * 1024;

fn template(
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    metadata: Option<Metadata>,
) -> S3Result<ObjectMeta> {
    let size: usize = metadata
        .iter()
        .flatten()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if size > MAX_USER_METADATA {
        return Err(s3_error!(
            MetadataTooLarge,
            "Your metadata headers exceed the maximum allowed metadata size"
        ));
    }
    Ok(ObjectMeta {
        content_type,
        cache_control,
        content_disposition,
        content_encoding,
        content_language,
        metadata: metadata
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        ..ObjectMeta::default()
    })
}

/// The `Content-MD5` header's digest; a value that is not base64 of 16 bytes is
/// `InvalidDigest`, as in S3.
fn content_md5(v: Option<&str>) -> S3Result<Option<[u8; 16]>> {
    use base64::Engine as _;
    let Some(v) = v else { return Ok(None) };
    base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .map(Some)
        .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid"))
}

type Body = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, s3s::StdError>> + Send + Sync>>;

fn body_of(blob: Option<StreamingBlob>) -> Body {
    match blob {
        Some(b) => Box::pin(b),
        None => Box::pin(futures_util::stream::empty()),
    }
}

/// A range of an open object file as a body stream.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Vec<u8>,
}

impl Stream for FileBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        use tokio::io::AsyncRead;
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining.min(256 * 1024)).unwrap_or(256 * 1024);
        this.buf.resize(want, 0);
        let mut rb = tokio::io::ReadBuf::new(&mut this.buf[..want]);
        match std::pin::Pin::new(&mut this.file).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    this.remaining = 0;
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "object file shorter than its metadata says",
                    ))));
                }
                this.remaining -= n as u64;
                Poll::Ready(Some(Ok(Bytes::copy_from_slice(&this.buf[..n]))))
            }
        }
    }
}

/// Percent-encodes what ListObjectsV2 returns when the client asked for `encoding-type=url`
/// (the aws CLI always does; botocore decodes with `unquote_plus`, so `+` must be encoded).
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Continuation tokens are the hex of the last key or prefix returned: opaque to clients and
/// safe in XML and URLs.
fn decode_token(t: &str) -> S3Result<String> {
    let bad = || {
        s3_error!(
            InvalidArgument,
            "The continuation token provided is incorrect"
        )
    };
    let pairs = t.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(bad());
    }
    let bytes = pairs
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    String::from_utf8(bytes).map_err(|_| bad())
}

/// One page of a listing as both ListObjects versions return it.
struct Page {
    contents: Vec<Object>,
    prefixes: Vec<CommonPrefix>,
    next: Option<String>,
    max: usize,
    url: bool,
}

impl Page {
    fn encode(&self, s: &str) -> String {
        if self.url {
            url_encode(s)
        } else {
            s.to_owned()
        }
    }
}

impl Backend {
    /// A page of at most `max_keys` (default and ceiling 1,000) entries after `after`.
    fn page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<String>,
        max_keys: Option<i32>,
        encoding: Option<&EncodingType>,
    ) -> S3Result<Page> {
        let max = max_keys.unwrap_or(1000);
        if max < 0 {
            return Err(s3_error!(InvalidArgument, "max-keys must not be negative"));
        }
        let max = usize::try_from(max.min(1000)).unwrap_or(1000);
        let listing = self
            .store
            .list(bucket, prefix, delimiter, after.as_deref(), max)?;
        let url = encoding.is_some_and(|e| e.as_str() == EncodingType::URL);
        let enc = |s: &str| if url { url_encode(s) } else { s.to_owned() };
        let contents = listing
            .objects
            .iter()
            .map(|m| Object {
                key: Some(enc(&m.key)),
                e_tag: Some(etag(m)),
                last_modified: Some(timestamp(m.last_modified)),
                size: i64::try_from(m.size).ok(),
                storage_class: Some(ObjectStorageClass::from_static(
                    ObjectStorageClass::STANDARD,
                )),
                ..Object::default()
            })
            .collect();
        let prefixes = listing
            .common_prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some(enc(p)),
            })
            .collect();
        Ok(Page {
            contents,
            prefixes,
            next: listing.next,
            max,
            url,
        })
    }
}

#[async_trait::async_trait]
impl S3 for Backend {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let bucket = req.input.bucket;
        self.store.create_bucket(&bucket)?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.store.delete_bucket(&req.input.bucket)?;
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        if !self.store.bucket_exists(&req.input.bucket) {
            return Err(StoreError::NoSuchBucket.into());
        }
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some("us-east-1".into()),
            ..HeadBucketOutput::default()
        }))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        if !self.store.bucket_exists(&req.input.bucket) {
            return Err(StoreError::NoSuchBucket.into());
        }
        Ok(S3Response::new(GetBucketLocationOutput::default()))
    }

    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self
            .store
            .list_buckets()
            .into_iter()
            .map(|(name, created)| Bucket {
                name: Some(name),
                creation_date: Some(timestamp(created)),
                bucket_region: None,
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            ..ListBucketsOutput::default()
        }))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let i = req.input;
        if let Some(ETagCondition::Any) = i.if_none_match {
            if self.store.open_object(&i.bucket, &i.key).await.is_ok() {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
        let md5 = content_md5(i.content_md5.as_deref())?;
        let t = template(
            i.content_type,
            i.cache_control,
            i.content_disposition,
            i.content_encoding,
            i.content_language,
            i.metadata,
        )?;
        let meta = self
            .store
            .put_object(&i.bucket, &i.key, t, body_of(i.body), md5)
            .await?;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(etag(&meta)),
            size: i64::try_from(meta.size).ok(),
            ..PutObjectOutput::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        use tokio::io::AsyncSeekExt;
        let i = req.input;
        if i.part_number.is_some() {
            return Err(s3_error!(NotImplemented, "partNumber is not supported"));
        }
        let (mut file, meta) = self.store.open_object(&i.bucket, &i.key).await?;
        check_conditions(
            &meta,
            i.if_match.as_ref(),
            i.if_none_match.as_ref(),
            i.if_modified_since.as_ref(),
            i.if_unmodified_since.as_ref(),
        )?;
        let (range, content_range) = match i.range {
            None => (0..meta.size, None),
            Some(r) => {
                let r = r.check(meta.size)?;
                let cr = format!("bytes {}-{}/{}", r.start, r.end - 1, meta.size);
                (r, Some(cr))
            }
        };
        file.seek(std::io::SeekFrom::Start(range.start))
            .await
            .map_err(StoreError::from)?;
        let len = range.end - range.start;
        let body = FileBody {
            file,
            remaining: len,
            buf: Vec::new(),
        };
        Ok(S3Response::new(GetObjectOutput {
            body: Some(StreamingBlob::wrap(body)),
            accept_ranges: Some("bytes".into()),
            content_length: i64::try_from(len).ok(),
            content_range,
            e_tag: Some(etag(&meta)),
            last_modified: Some(timestamp(meta.last_modified)),
            content_type: meta.content_type.clone(),
            cache_control: meta.cache_control.clone(),
            content_disposition: meta.content_disposition.clone(),
            content_encoding: meta.content_encoding.clone(),
            content_language: meta.content_language.clone(),
            metadata: metadata_of(&meta),
            ..GetObjectOutput::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let i = req.input;
        let (_, meta) = self.store.open_object(&i.bucket, &i.key).await?;
        check_conditions(
            &meta,
            i.if_match.as_ref(),
            i.if_none_match.as_ref(),
            i.if_modified_since.as_ref(),
            i.if_unmodified_since.as_ref(),
        )?;
        Ok(S3Response::new(HeadObjectOutput {
            accept_ranges: Some("bytes".into()),
            content_length: i64::try_from(meta.size).ok(),
            e_tag: Some(etag(&meta)),
            last_modified: Some(timestamp(meta.last_modified)),
            content_type: meta.content_type.clone(),
            cache_control: meta.cache_control.clone(),
            content_disposition: meta.content_disposition.clone(),
            content_encoding: meta.content_encoding.clone(),
            content_language: meta.content_language.clone(),
            metadata: metadata_of(&meta),
            ..HeadObjectOutput::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.store
            .delete_object(&req.input.bucket, &req.input.key)?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let i = req.input;
        if i.delete.objects.len() > 1000 {
            return Err(s3_error!(MalformedXML, "at most 1000 keys per request"));
        }
        let mut deleted = Vec::new();
        for o in i.delete.objects {
            self.store.delete_object(&i.bucket, &o.key)?;
            deleted.push(DeletedObject {
                key: Some(o.key),
                ..DeletedObject::default()
            });
        }
        let quiet = i.delete.quiet.unwrap_or(false);
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            ..DeleteObjectsOutput::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let i = req.input;
        let prefix = i.prefix.clone().unwrap_or_default();
        let p = self.page(
            &i.bucket,
            &prefix,
            i.delimiter.as_deref(),
            i.marker.clone(),
            i.max_keys,
            i.encoding_type.as_ref(),
        )?;
        let enc = |s: &str| p.encode(s);
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(i.bucket),
            prefix: Some(enc(&prefix)),
            delimiter: i.delimiter.as_deref().map(enc),
            marker: Some(i.marker.as_deref().map(enc).unwrap_or_default()),
            max_keys: i32::try_from(p.max).ok(),
            is_truncated: Some(p.next.is_some()),
            // S3 gives NextMarker only with a delimiter (clients use the last key otherwise);
            // giving it always is harmless and simpler for clients.
            next_marker: p.next.as_deref().map(enc),
            encoding_type: i.encoding_type,
            contents: (!p.contents.is_empty()).then_some(p.contents),
            common_prefixes: (!p.prefixes.is_empty()).then_some(p.prefixes),
            ..ListObjectsOutput::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let i = req.input;
        let after = match (&i.continuation_token, &i.start_after) {
            (Some(t), _) => Some(decode_token(t)?),
            (None, Some(s)) => Some(s.clone()),
            (None, None) => None,
        };
        let prefix = i.prefix.clone().unwrap_or_default();
        let p = self.page(
            &i.bucket,
            &prefix,
            i.delimiter.as_deref(),
            after,
            i.max_keys,
            i.encoding_type.as_ref(),
        )?;
        let enc = |s: &str| p.encode(s);
        let key_count = i32::try_from(p.contents.len() + p.prefixes.len()).unwrap_or(i32::MAX);
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(i.bucket),
            prefix: Some(enc(&prefix)),
            delimiter: i.delimiter.as_deref().map(enc),
            start_after: i.start_after.as_deref().map(enc),
            continuation_token: i.continuation_token,
            encoding_type: i.encoding_type,
            max_keys: i32::try_from(p.max).ok(),
            key_count: Some(key_count),
            is_truncated: Some(p.next.is_some()),
            next_continuation_token: p.next.as_ref().map(|n| crate::store::hex(n.as_bytes())),
            contents: (!p.contents.is_empty()).then_some(p.contents),
            common_prefixes: (!p.prefixes.is_empty()).then_some(p.prefixes),
            ..ListObjectsV2Output::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let i = req.input;
        let t = template(
            i.content_type,
            i.cache_control,
            i.content_disposition,
            i.content_encoding,
            i.content_language,
            i.metadata,
        )?;
        let id = self.store.create_upload(&i.bucket, &i.key, t)?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(i.bucket),
            key: Some(i.key),
            upload_id: Some(id),
            ..CreateMultipartUploadOutput::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let i = req.input;
        if !(1..=MAX_PART_NUMBER).contains(&i.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let md5 = content_md5(i.content_md5.as_deref())?;
        let e = self
            .store
            .put_part(
                &i.upload_id,
                &i.bucket,
                &i.key,
                i.part_number,
                body_of(i.body),
                md5,
            )
            .await?;
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(e)),
            ..UploadPartOutput::default()
        }))
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let i = req.input;
        let marker = i.part_number_marker.unwrap_or(0);
        let max = usize::try_from(i.max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let all = self
            .store
            .list_parts(&i.upload_id, &i.bucket, &i.key)
            .await?;
        let rest: Vec<_> = all.into_iter().filter(|p| p.number > marker).collect();
        let truncated = rest.len() > max;
        let page: Vec<Part> = rest
            .into_iter()
            .take(max)
            .map(|p| Part {
                part_number: Some(p.number),
                e_tag: Some(ETag::Strong(p.etag)),
                size: i64::try_from(p.size).ok(),
                last_modified: Some(timestamp(p.last_modified)),
                ..Part::default()
            })
            .collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(i.bucket),
            key: Some(i.key),
            upload_id: Some(i.upload_id),
            part_number_marker: Some(marker),
            next_part_number_marker: page.last().and_then(|p| p.part_number),
            max_parts: i32::try_from(max).ok(),
            is_truncated: Some(truncated),
            parts: Some(page),
            ..ListPartsOutput::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let i = req.input;
        let parts = i.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
        let mut wanted = Vec::with_capacity(parts.len());
        for p in parts {
            let (Some(n), Some(e)) = (p.part_number, p.e_tag) else {
                return Err(s3_error!(
                    InvalidPart,
                    "every part needs a PartNumber and an ETag"
                ));
            };
            wanted.push((n, e.value().to_owned()));
        }
        let meta = self
            .store
            .complete_upload(&i.upload_id, &i.bucket, &i.key, &wanted)
            .await?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            location: Some(format!("/{}/{}", i.bucket, i.key)),
            bucket: Some(i.bucket),
            key: Some(i.key),
            e_tag: Some(etag(&meta)),
            ..CompleteMultipartUploadOutput::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let i = req.input;
        self.store.abort_upload(&i.upload_id, &i.bucket, &i.key)?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let i = req.input;
        if !self.store.bucket_exists(&i.bucket) {
            return Err(StoreError::NoSuchBucket.into());
        }
        if i.policy.len() > 20 * 1024 {
            return Err(s3_error!(MalformedPolicy, "Policies are limited to 20 KB"));
        }
        let compiled = Policy::parse(&i.policy, &i.bucket)
            .map_err(|e| S3Error::with_message(S3ErrorCode::MalformedPolicy, e.0))?;
        self.store
            .set_policy(&i.bucket, Some((i.policy, compiled)))?;
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let text = self.store.policy_text(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketPolicyOutput {
            policy: Some(text),
        }))
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        self.store.set_policy(&req.input.bucket, None)?;
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }
}

//! Who may do what: SigV4 keys (s3s verifies the signatures), the authorisation rule of the
//! origin-access-control contract, and virtual-hosted-style bucket names.
//!
//! - a request signed with the owner key pair is the bucket owner: full access;
//! - a request signed with the CDN's service credential is the service principal
//!   `cloudfront.amazonaws.com`, with `aws:SourceArn` taken from its `x-amz-source-arn` header
//!   — only when that header is among the signed headers, so nobody can replay a signature
//!   with another distribution's ARN — and `aws:SourceAccount` the credential's account;
//! - an unsigned request is anonymous.
//!
//! The service principal and anonymous requests are decided by the bucket's policy
//! (`policy.rs`); a bucket without one denies them (403 `AccessDenied`, as S3 does).

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::host::{S3Host, VirtualHost};
use s3s::path::S3Path;
use s3s::{s3_error, S3Result};

use crate::policy::{Principal, Request};
use crate::store::Store;
use crate::Credential;

/// The service principal the CDN's credential stands for.
pub(crate) const CDN_SERVICE: &str = "cloudfront.amazonaws.com";

/// The header carrying the distribution's ARN on requests the edge signs for origin access
/// control. [UNCONFIRMED] How CloudFront tells S3 the source ARN is internal to AWS; this
/// header is Brink's own convention (shared with `brink edge`, see the OAC contract).
pub(crate) const SOURCE_ARN_HEADER: &str = "x-amz-source-arn";

/// The owner's and the CDN's secret keys, by access key id.
pub(crate) struct Keys {
    pub(crate) owner: Credential,
    pub(crate) cdn: Option<Credential>,
}

#[async_trait::async_trait]
impl S3Auth for Keys {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if access_key == self.owner.access_key_id {
            return Ok(SecretKey::from(self.owner.secret_access_key.as_str()));
        }
        if let Some(c) = self.cdn.as_ref().filter(|c| c.access_key_id == access_key) {
            return Ok(SecretKey::from(c.secret_access_key.as_str()));
        }
        Err(s3_error!(
            InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records."
        ))
    }
}

/// The authorisation rule (module docs).
pub(crate) struct Access {
    pub(crate) store: Arc<Store>,
    pub(crate) owner_key: String,
    pub(crate) cdn: Option<(String, Option<String>)>,
}

/// The IAM action an S3 operation needs (AWS's "Actions, resources, and condition keys for
/// Amazon S3" table, for the operations `brink origin` serves).
fn action_of(op: &str) -> String {
    match op {
        "HeadObject" => "s3:GetObject".into(),
        "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => "s3:PutObject".into(),
        "ListParts" => "s3:ListMultipartUploadParts".into(),
        "ListObjects" | "ListObjectsV2" | "HeadBucket" => "s3:ListBucket".into(),
        "DeleteObjects" => "s3:DeleteObject".into(),
        "ListBuckets" => "s3:ListAllMyBuckets".into(),
        other => format!("s3:{other}"),
    }
}

/// The names of the signed headers (header `Authorization` or a presigned URL's
/// `X-Amz-SignedHeaders`), lower case.
fn signed_headers(cx: &S3AccessContext<'_>) -> Vec<String> {
    if let Some(auth) = cx
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return auth
            .split([',', ' '])
            .find_map(|part| part.trim().strip_prefix("SignedHeaders="))
            .map(|list| list.split(';').map(str::to_ascii_lowercase).collect())
            .unwrap_or_default();
    }
    cx.uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-SignedHeaders="))
        .map(|list| {
            list.split("%3B")
                .flat_map(|s| s.split(';'))
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let denied = || s3_error!(AccessDenied, "Access Denied");
        let (principal, source_arn, source_account) = match cx.credentials() {
            Some(c) if c.access_key == self.owner_key => return Ok(()),
            Some(c) => match &self.cdn {
                Some((key, account)) if *key == c.access_key => {
                    let signed = signed_headers(cx);
                    let arn = signed
                        .iter()
                        .any(|h| h == SOURCE_ARN_HEADER)
                        .then(|| cx.headers().get(SOURCE_ARN_HEADER))
                        .flatten()
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    (Principal::Service(CDN_SERVICE), arn, account.clone())
                }
                _ => return Err(denied()),
            },
            None => (Principal::Anonymous, None, None),
        };
        let (bucket, resource) = match cx.s3_path() {
            S3Path::Root => return Err(denied()),
            S3Path::Bucket { bucket } => (bucket.to_string(), format!("arn:aws:s3:::{bucket}")),
            S3Path::Object { bucket, key } => {
                (bucket.to_string(), format!("arn:aws:s3:::{bucket}/{key}"))
            }
        };
        let Some(Some(policy)) = self.store.policy(&bucket) else {
            return Err(denied());
        };
        let action = action_of(cx.s3_op().name());
        let req = Request {
            principal,
            action: &action,
            resource: &resource,
            source_arn: source_arn.as_deref(),
            source_account: source_account.as_deref(),
            secure_transport: false,
        };
        if policy.allows(&req) {
            Ok(())
        } else {
            Err(denied())
        }
    }
}

/// Virtual-hosted-style names under the configured domains (`<bucket>.<domain>`); any other
/// Host is path style.
pub(crate) struct Hosts {
    pub(crate) domains: Vec<String>,
}

impl S3Host for Hosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        let name = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        // Host names compare without regard to case (RFC 9110 §4.2.3); bucket names are lower
        // case, so a mixed-case Host still names the same bucket.
        let lower = name.to_ascii_lowercase();
        for d in &self.domains {
            if let Some(bucket) = lower
                .strip_suffix(d.as_str())
                .and_then(|h| h.strip_suffix('.'))
                .filter(|b| !b.is_empty())
            {
                return Ok(VirtualHost::with_bucket(d.as_str(), bucket.to_owned()));
            }
        }
        Ok(VirtualHost::new(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let h = Hosts {
            domains: vec!["s3-accelerate.cdn.test".into()],
        };
        let v = h
            .parse_host_header("media.s3-accelerate.cdn.test:8080")
            .expect("vhost");
        assert_eq!(v.bucket(), Some("media"));
        let v = h
            .parse_host_header("Media.S3-Accelerate.CDN.test")
            .expect("vhost, any case");
        assert_eq!(v.bucket(), Some("media"));
        let v = h.parse_host_header("127.0.0.1:9000").expect("path style");
        assert_eq!(v.bucket(), None);
        let v = h.parse_host_header("s3-accelerate.cdn.test").expect("bare");
        assert_eq!(v.bucket(), None);
    }

    #[test]
    fn actions() {
        assert_eq!(action_of("HeadObject"), "s3:GetObject");
        assert_eq!(action_of("GetObject"), "s3:GetObject");
        assert_eq!(action_of("UploadPart"), "s3:PutObject");
        assert_eq!(action_of("ListObjectsV2"), "s3:ListBucket");
    }
}

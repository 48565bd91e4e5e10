//! Streaming (RTMP) distributions: identity, origin, aliases, signers, logging, and the
//! host router the RTMP listener looks them up in.
//!
//! The rules follow the 2020-05-31 API's `CreateStreamingDistribution` errors
//! (`InvalidOrigin`, `InvalidOriginAccessIdentity`, `TooManyStreamingDistributionCNAMEs`,
//! `TooManyTrustedSigners`, `CNAMEAlreadyExists`, `StreamingDistributionAlreadyExists`,
//! `TooManyStreamingDistributions`, `InconsistentQuantities`, `InvalidArgument`).

use std::collections::HashMap;
use std::sync::Arc;

use super::behaviors::signers;
use super::policies::Registry;
use super::{Ctx, ValidateOptions};
use crate::compiled::{Distribution, Logging, StreamingDistribution, StreamingOrigin};
use crate::error::codes;
use crate::host::{generated_streaming_domain_name, DistributionIndex, HostRouter};
use crate::raw;

/// Most streaming distributions per file (CloudFront's account quota for RTMP
/// distributions was 100).
pub const MAX_STREAMING_DISTRIBUTIONS: usize = 100;
/// Most aliases per streaming distribution [UNCONFIRMED: the quota of web distributions,
/// which CloudFront's documentation gave for RTMP distributions too].
pub const MAX_STREAMING_ALIASES: usize = 100;

/// Compiles every streaming distribution of the file, checks ids and caller references
/// among them, and builds their router (names must differ from every web distribution's).
pub(crate) fn compile_all(
    cx: &mut Ctx,
    reg: &Registry,
    file: &raw::EdgeFile,
    web: &[Distribution],
    opts: &ValidateOptions,
) -> (
    Vec<StreamingDistribution>,
    HostRouter,
    HashMap<String, DistributionIndex>,
) {
    let list = &file.streaming_distributions;
    if list.len() > MAX_STREAMING_DISTRIBUTIONS {
        cx.err(
            codes::TOO_MANY_STREAMING_DISTRIBUTIONS,
            "StreamingDistributions",
            format!(
                "{} streaming distributions; at most {MAX_STREAMING_DISTRIBUTIONS} are allowed",
                list.len()
            ),
        );
    }
    let mut out = Vec::with_capacity(list.len());
    let mut by_id: HashMap<String, DistributionIndex> = HashMap::new();
    let mut caller_refs: HashMap<&str, usize> = HashMap::new();
    for (i, d) in list.iter().enumerate() {
        let base = format!("StreamingDistributions[{i}]");
        if by_id.contains_key(&d.id) || web.iter().any(|w| w.id == d.id) {
            cx.err(
                codes::STREAMING_DISTRIBUTION_ALREADY_EXISTS,
                format!("{base}.Id"),
                format!("distribution id {:?} is used twice", d.id),
            );
        } else {
            by_id.insert(d.id.clone(), DistributionIndex(i));
        }
        let caller_ref = d.streaming_distribution_config.caller_reference.as_str();
        if !caller_ref.is_empty() {
            if let Some(first) = caller_refs.insert(caller_ref, i) {
                cx.err(
                    codes::STREAMING_DISTRIBUTION_ALREADY_EXISTS,
                    format!("{base}.StreamingDistributionConfig.CallerReference"),
                    format!(
                        "CallerReference {caller_ref:?} is used by streaming distribution {:?}",
                        list[first].id
                    ),
                );
            }
        }
        out.push(compile(cx, reg, d, &base, opts));
    }
    let router = build_router(cx, &out, web);
    (out, router, by_id)
}

fn compile(
    cx: &mut Ctx,
    reg: &Registry,
    d: &raw::StreamingDistribution,
    base: &str,
    opts: &ValidateOptions,
) -> StreamingDistribution {
    let cfg_path = format!("{base}.StreamingDistributionConfig");
    let c = &d.streaming_distribution_config;

    let domain_name = cx.distribution_identity(
        (&d.id, d.domain_name.as_deref()),
        (&c.caller_reference, &c.comment),
        (base, &cfg_path),
        || generated_streaming_domain_name(&d.id, &opts.cdn_domain),
    );

    let opath = format!("{cfg_path}.S3Origin");
    let origin = match StreamingOrigin::parse(&c.s3_origin.domain_name) {
        Ok(o) => o,
        Err(why) => {
            cx.err(
                codes::INVALID_ORIGIN,
                format!("{opath}.DomainName"),
                format!("{:?} {why}", c.s3_origin.domain_name),
            );
            StreamingOrigin::Http {
                host: String::new(),
                port: 80,
            }
        }
    };
    let oai = &c.s3_origin.origin_access_identity;
    if !oai.is_empty() {
        let ok = oai
            .strip_prefix("origin-access-identity/cloudfront/")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !ok {
            cx.err(
                codes::INVALID_ORIGIN_ACCESS_IDENTITY,
                format!("{opath}.OriginAccessIdentity"),
                format!("{oai:?} is not of the form origin-access-identity/cloudfront/<id>"),
            );
        }
    }

    let aliases = aliases(cx, &c.aliases, &cfg_path);
    let trusted_signers = signers(cx, &c.trusted_signers, &cfg_path);
    let trusted_keys = if trusted_signers.is_empty() {
        Vec::new()
    } else {
        let mut keys: Vec<_> = reg.public_keys.values().map(Arc::clone).collect();
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        keys
    };

    let logging = if c.logging.enabled {
        if c.logging.bucket.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{cfg_path}.Logging.Bucket"),
                "logging is enabled but no bucket is given",
            );
        }
        Some(Logging {
            include_cookies: false,
            bucket: c.logging.bucket.clone(),
            prefix: c.logging.prefix.clone(),
        })
    } else {
        None
    };

    StreamingDistribution {
        id: d.id.clone(),
        arn: d.arn.clone(),
        domain_name,
        aliases,
        enabled: c.enabled,
        comment: c.comment.clone(),
        origin,
        origin_access_identity: (!oai.is_empty()).then(|| oai.clone()),
        trusted_signers,
        trusted_keys,
        price_class: c.price_class,
        logging,
    }
}

fn aliases(cx: &mut Ctx, list: &raw::Aliases, base: &str) -> Vec<String> {
    let path = format!("{base}.Aliases");
    let items = cx.list(list, &path);
    if items.len() > MAX_STREAMING_ALIASES {
        cx.err(
            codes::TOO_MANY_STREAMING_DISTRIBUTION_CNAMES,
            format!("{path}.Items"),
            format!(
                "{} aliases; at most {MAX_STREAMING_ALIASES} are allowed",
                items.len()
            ),
        );
    }
    cx.alias_items(items, &path)
}

/// Domain names and aliases must be unique across every distribution, web and streaming
/// (`CNAMEAlreadyExists`).
fn build_router(
    cx: &mut Ctx,
    streaming: &[StreamingDistribution],
    web: &[Distribution],
) -> HostRouter {
    let mut owners: HashMap<&str, String> = HashMap::new();
    for d in web {
        owners.insert(d.domain_name.as_str(), format!("distribution {:?}", d.id));
        for a in &d.aliases {
            owners
                .entry(a.as_str())
                .or_insert_with(|| format!("distribution {:?}", d.id));
        }
    }
    let mut router = HostRouter::new();
    for (i, d) in streaming.iter().enumerate() {
        let path = format!("StreamingDistributions[{i}].DomainName");
        match owners.get(d.domain_name.as_str()) {
            Some(owner) => cx.err(
                codes::CNAME_ALREADY_EXISTS,
                path,
                format!("domain name {:?} is already used by {owner}", d.domain_name),
            ),
            None => {
                owners.insert(
                    d.domain_name.as_str(),
                    format!("streaming distribution {:?}", d.id),
                );
                router.insert_exact(&d.domain_name, DistributionIndex(i));
            }
        }
    }
    for (i, d) in streaming.iter().enumerate() {
        for (k, alias) in d.aliases.iter().enumerate() {
            let path = format!(
                "StreamingDistributions[{i}].StreamingDistributionConfig.Aliases.Items[{k}]"
            );
            let mine = format!("streaming distribution {:?}", d.id);
            match owners.get(alias.as_str()) {
                Some(owner) if *owner == mine => {} // a duplicate within, reported already
                Some(owner) => cx.err(
                    codes::CNAME_ALREADY_EXISTS,
                    path,
                    format!("alias {alias:?} is already used by {owner}"),
                ),
                None => {
                    owners.insert(alias.as_str(), mine);
                    if alias.starts_with("*.") {
                        router.insert_wildcard(alias, DistributionIndex(i));
                    } else {
                        router.insert_exact(alias, DistributionIndex(i));
                    }
                }
            }
        }
    }
    router
}

//! Public keys and key groups (§5).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::Ctx;
use crate::compiled::{KeyGroup, PublicKey};
use crate::error::codes;
use crate::raw;

/// Key groups per file.
pub const MAX_KEY_GROUPS: usize = 10;
/// Public keys per key group.
pub const MAX_KEYS_PER_GROUP: usize = 5;
pub(super) fn public_keys(
    cx: &mut Ctx,
    keys: &[raw::PublicKey],
) -> HashMap<String, Arc<PublicKey>> {
    let mut out = HashMap::new();
    let mut names = HashSet::new();
    for (i, k) in keys.iter().enumerate() {
        let base = format!("PublicKeys[{i}]");
        let cfg = &k.public_key_config;
        let cfg_path = format!("{base}.PublicKeyConfig");
        if k.id.is_empty() || !k.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{base}.Id"),
                format!(
                    "public key id {:?} must be non-empty letters and digits",
                    k.id
                ),
            );
        }
        if cfg.caller_reference.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{cfg_path}.CallerReference"),
                "the caller reference is empty",
            );
        }
        cx.resource_name(&cfg.name, format!("{cfg_path}.Name"));
        if let Some(c) = &cfg.comment {
            cx.comment(c, format!("{cfg_path}.Comment"));
        }
        let pem = cfg.encoded_key.trim();
        if !(pem.starts_with("-----BEGIN PUBLIC KEY-----")
            && pem.ends_with("-----END PUBLIC KEY-----"))
        {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{cfg_path}.EncodedKey"),
                "the key must be a PEM SubjectPublicKeyInfo (-----BEGIN PUBLIC KEY-----)",
            );
        }
        if out.contains_key(&k.id) {
            cx.err(
                codes::PUBLIC_KEY_ALREADY_EXISTS,
                format!("{base}.Id"),
                format!("public key id {:?} is used twice", k.id),
            );
            continue;
        }
        if !names.insert(cfg.name.clone()) {
            cx.err(
                codes::PUBLIC_KEY_ALREADY_EXISTS,
                format!("{cfg_path}.Name"),
                format!("public key name {:?} is used twice", cfg.name),
            );
        }
        out.insert(
            k.id.clone(),
            Arc::new(PublicKey {
                id: k.id.clone(),
                name: cfg.name.clone(),
                encoded_key: cfg.encoded_key.clone(),
            }),
        );
    }
    out
}

pub(super) fn key_groups(
    cx: &mut Ctx,
    groups: &[raw::KeyGroup],
    keys: &HashMap<String, Arc<PublicKey>>,
) -> HashMap<String, Arc<KeyGroup>> {
    if groups.len() > MAX_KEY_GROUPS {
        cx.err(
            codes::TOO_MANY_KEY_GROUPS,
            "KeyGroups",
            format!("at most {MAX_KEY_GROUPS} key groups are allowed"),
        );
    }
    let mut out = HashMap::new();
    let mut names = HashSet::new();
    for (i, g) in groups.iter().enumerate() {
        let base = format!("KeyGroups[{i}]");
        let cfg = &g.key_group_config;
        let cfg_path = format!("{base}.KeyGroupConfig");
        if g.id.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{base}.Id"),
                "the key group id is empty",
            );
        }
        cx.resource_name(&cfg.name, format!("{cfg_path}.Name"));
        if let Some(c) = &cfg.comment {
            cx.comment(c, format!("{cfg_path}.Comment"));
        }
        let ipath = format!("{cfg_path}.Items");
        if cfg.items.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                ipath.clone(),
                "a key group needs at least one public key",
            );
        } else if cfg.items.len() > MAX_KEYS_PER_GROUP {
            cx.err(
                codes::TOO_MANY_PUBLIC_KEYS_IN_KEY_GROUP,
                ipath.clone(),
                format!("at most {MAX_KEYS_PER_GROUP} public keys are allowed in a key group"),
            );
        }
        let mut members: Vec<Arc<PublicKey>> = Vec::new();
        for (j, id) in cfg.items.iter().enumerate() {
            match keys.get(id) {
                None => cx.err(
                    codes::NO_SUCH_PUBLIC_KEY,
                    format!("{ipath}[{j}]"),
                    format!("no public key has id {id:?}"),
                ),
                Some(_) if members.iter().any(|k| &k.id == id) => cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{ipath}[{j}]"),
                    format!("public key {id:?} is listed twice"),
                ),
                Some(k) => members.push(Arc::clone(k)),
            }
        }
        if out.contains_key(&g.id) {
            cx.err(
                codes::KEY_GROUP_ALREADY_EXISTS,
                format!("{base}.Id"),
                format!("key group id {:?} is used twice", g.id),
            );
            continue;
        }
        if !names.insert(cfg.name.clone()) {
            cx.err(
                codes::KEY_GROUP_ALREADY_EXISTS,
                format!("{cfg_path}.Name"),
                format!("key group name {:?} is used twice", cfg.name),
            );
        }
        out.insert(
            g.id.clone(),
            Arc::new(KeyGroup {
                id: g.id.clone(),
                name: cfg.name.clone(),
                keys: members,
            }),
        );
    }
    out
}

//! Bucket policies: the subset of the IAM policy language `brink origin` evaluates.
//!
//! Pure code: a policy document is compiled once, when `PutBucketPolicy` stores it (a document
//! using anything outside the subset is refused there with `MalformedPolicy`, naming what is
//! not supported, rather than being stored and silently misread), and evaluated per request.
//!
//! Supported (everything CloudFront's console writes for origin access control, and the usual
//! public-read policy):
//! - `Version` (`2012-10-17` or `2008-10-17`, optional), `Id`, `Statement` (one object or a list);
//! - per statement: `Sid`, `Effect` (`Allow` | `Deny`), `Principal` (`"*"`, `{"AWS": "*"}`,
//!   `{"AWS": <account id | arn:aws:iam::<account>:root | …>}`, `{"Service": <name>}`; a string
//!   or a list each), `Action` (a string or a list; `*` and `?` wildcards, matched without
//!   regard to case), `Resource` (a string or a list; wildcards; each must name this bucket or
//!   objects in it), `Condition`;
//! - condition operators `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`,
//!   `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`,
//!   `ArnNotEquals`, `ArnNotLike`, `Bool`, each also with the `IfExists` suffix; condition keys
//!   `aws:SourceArn`, `aws:SourceAccount`, `aws:SecureTransport` (any case, as in IAM).
//!
//! Not supported (refused): `NotPrincipal`, `NotAction`, `NotResource`, other condition
//! operators and keys, `CanonicalUser` and `Federated` principals.
//!
//! Evaluation follows IAM's rule for a resource policy: an explicit `Deny` that matches wins,
//! else a matching `Allow` allows, else the request is denied. The bucket owner is not subject
//! to the bucket policy here (it always has full access; AWS lets an owner lock itself out,
//! Brink does not).

use serde_json::Value;

/// Who is asking, as the store authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    /// The bucket owner (the owner key pair): full access, no policy consulted.
    Owner,
    /// An AWS service principal such as `cloudfront.amazonaws.com` (the CDN's service
    /// credential).
    Service(&'a str),
    /// An unsigned request.
    Anonymous,
}

/// One request as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who is asking.
    pub principal: Principal<'a>,
    /// The IAM action, e.g. `s3:GetObject`.
    pub action: &'a str,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/key`.
    pub resource: &'a str,
    /// `aws:SourceArn`, when the request carries one.
    pub source_arn: Option<&'a str>,
    /// `aws:SourceAccount`, when known.
    pub source_account: Option<&'a str>,
    /// `aws:SecureTransport`: whether the request came over TLS.
    pub secure_transport: bool,
}

/// A policy document refused by [`Policy::parse`]: the message says which field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// A compiled bucket policy.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone)]
struct Statement {
    allow: bool,
    principal: PrincipalSet,
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Default)]
struct PrincipalSet {
    anyone: bool,
    aws: Vec<String>,
    services: Vec<String>,
}

#[derive(Debug, Clone)]
struct Condition {
    op: Op,
    if_exists: bool,
    key: Key,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    SourceArn,
    SourceAccount,
    SecureTransport,
}

fn err<T>(msg: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(msg.into()))
}

/// A JSON string or a list of strings, as IAM allows for most fields.
fn strings(v: &Value, field: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => err(format!("{field}: every element must be a string")),
            })
            .collect(),
        _ => err(format!("{field}: a string or a non-empty list of strings")),
    }
}

impl Policy {
    /// Compiles a policy document for `bucket`.
    ///
    /// # Errors
    /// [`PolicyError`] naming the first field that is not valid JSON policy syntax, names
    /// another bucket, or uses something outside the supported subset (module docs).
    pub fn parse(text: &str, bucket: &str) -> Result<Self, PolicyError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError(format!("Policies must be valid JSON: {e}")))?;
        let Value::Object(doc) = doc else {
            return err("Policies must be a JSON object");
        };
        for (k, v) in &doc {
            match k.as_str() {
                "Version" => match v.as_str() {
                    Some("2012-10-17" | "2008-10-17") => {}
                    _ => return err("Version: 2012-10-17 or 2008-10-17"),
                },
                "Id" | "Statement" => {}
                other => return err(format!("Unknown field {other}")),
            }
        }
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => list.iter().collect::<Vec<_>>(),
            Some(s @ Value::Object(_)) => vec![s],
            _ => return err("Missing required field Statement"),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| Statement::parse(s, bucket, i))
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    /// Whether the policy allows `req`. The owner is always allowed.
    #[must_use]
    pub fn allows(&self, req: &Request<'_>) -> bool {
        if req.principal == Principal::Owner {
            return true;
        }
        let mut allowed = false;
        for s in &self.statements {
            if s.matches(req) {
                if !s.allow {
                    return false;
                }
                allowed = true;
            }
        }
        allowed
    }
}

impl Statement {
    fn parse(v: &Value, bucket: &str, i: usize) -> Result<Self, PolicyError> {
        let Value::Object(s) = v else {
            return err(format!("Statement[{i}]: must be an object"));
        };
        for k in s.keys() {
            match k.as_str() {
                "Sid" | "Effect" | "Principal" | "Action" | "Resource" | "Condition" => {}
                "NotPrincipal" | "NotAction" | "NotResource" => {
                    return err(format!("Statement[{i}].{k}: not supported by brink origin"))
                }
                other => return err(format!("Statement[{i}]: unknown field {other}")),
            }
        }
        let allow = match s.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            _ => return err(format!("Statement[{i}].Effect: Allow or Deny")),
        };
        let principal = match s.get("Principal") {
            Some(p) => PrincipalSet::parse(p, i)?,
            None => return err(format!("Statement[{i}]: missing required field Principal")),
        };
        let actions = match s.get("Action") {
            Some(a) => strings(a, &format!("Statement[{i}].Action"))?,
            None => return err(format!("Statement[{i}]: missing required field Action")),
        };
        for a in &actions {
            if a != "*" && !a.to_ascii_lowercase().starts_with("s3:") {
                return err(format!("Statement[{i}].Action: {a} is not an s3: action"));
            }
        }
        let resources = match s.get("Resource") {
            Some(r) => strings(r, &format!("Statement[{i}].Resource"))?,
            None => return err(format!("Statement[{i}]: missing required field Resource")),
        };
        let arn = format!("arn:aws:s3:::{bucket}");
        for r in &resources {
            let ok = r
                .strip_prefix(&arn)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if !ok {
                return err(format!(
                    "Statement[{i}].Resource: Policy has invalid resource {r}"
                ));
            }
        }
        let conditions = match s.get("Condition") {
            None => Vec::new(),
            Some(Value::Object(ops)) => {
                let mut out = Vec::new();
                for (op_name, body) in ops {
                    let (base, if_exists) = match op_name.strip_suffix("IfExists") {
                        Some(b) => (b, true),
                        None => (op_name.as_str(), false),
                    };
                    let op = match base {
                        "StringEquals" | "ArnEquals" => Op::StringEquals,
                        "StringNotEquals" | "ArnNotEquals" => Op::StringNotEquals,
                        "StringEqualsIgnoreCase" => Op::StringEqualsIgnoreCase,
                        "StringNotEqualsIgnoreCase" => Op::StringNotEqualsIgnoreCase,
                        "StringLike" | "ArnLike" => Op::StringLike,
                        "StringNotLike" | "ArnNotLike" => Op::StringNotLike,
                        "Bool" => Op::Bool,
                        other => {
                            return err(format!(
                                "Statement[{i}].Condition: operator {other} is not supported by brink origin"
                            ))
                        }
                    };
                    let Value::Object(keys) = body else {
                        return err(format!(
                            "Statement[{i}].Condition.{op_name}: must be an object"
                        ));
                    };
                    for (key, values) in keys {
                        let k = match key.to_ascii_lowercase().as_str() {
                            "aws:sourcearn" => Key::SourceArn,
                            "aws:sourceaccount" => Key::SourceAccount,
                            "aws:securetransport" => Key::SecureTransport,
                            _ => {
                                return err(format!(
                                    "Statement[{i}].Condition.{op_name}: key {key} is not supported by brink origin"
                                ))
                            }
                        };
                        let values = match values {
                            Value::Bool(b) => vec![b.to_string()],
                            v => strings(v, &format!("Statement[{i}].Condition.{op_name}.{key}"))?,
                        };
                        out.push(Condition {
                            op,
                            if_exists,
                            key: k,
                            values,
                        });
                    }
                }
                out
            }
            Some(_) => return err(format!("Statement[{i}].Condition: must be an object")),
        };
        Ok(Self {
            allow,
            principal,
            actions,
            resources,
            conditions,
        })
    }

    fn matches(&self, req: &Request<'_>) -> bool {
        self.principal.matches(req.principal)
            && self
                .actions
                .iter()
                .any(|a| wildcard_match(a.as_bytes(), req.action.as_bytes(), true))
            && self
                .resources
                .iter()
                .any(|r| wildcard_match(r.as_bytes(), req.resource.as_bytes(), false))
            && self.conditions.iter().all(|c| c.holds(req))
    }
}

impl PrincipalSet {
    fn parse(v: &Value, i: usize) -> Result<Self, PolicyError> {
        let mut set = Self::default();
        match v {
            Value::String(s) if s == "*" => set.anyone = true,
            Value::Object(m) if !m.is_empty() => {
                for (k, v) in m {
                    let names = strings(v, &format!("Statement[{i}].Principal.{k}"))?;
                    match k.as_str() {
                        "AWS" => {
                            for n in names {
                                if n == "*" {
                                    set.anyone = true;
                                } else {
                                    set.aws.push(n);
                                }
                            }
                        }
                        "Service" => set.services.extend(names),
                        other => {
                            return err(format!(
                                "Statement[{i}].Principal: {other} principals are not supported by brink origin"
                            ))
                        }
                    }
                }
            }
            _ => {
                return err(format!(
                    "Statement[{i}].Principal: \"*\" or an object of AWS/Service principals"
                ))
            }
        }
        Ok(set)
    }

    fn matches(&self, p: Principal<'_>) -> bool {
        if self.anyone {
            return true;
        }
        match p {
            // The owner never reaches here (Policy::allows); an `AWS` principal naming the
            // owner account would match it.
            Principal::Owner => !self.aws.is_empty(),
            Principal::Service(name) => self.services.iter().any(|s| s == name),
            Principal::Anonymous => false,
        }
    }
}

impl Condition {
    fn holds(&self, req: &Request<'_>) -> bool {
        let secure = if req.secure_transport {
            "true"
        } else {
            "false"
        };
        let value = match self.key {
            Key::SourceArn => req.source_arn,
            Key::SourceAccount => req.source_account,
            Key::SecureTransport => Some(secure),
        };
        let Some(value) = value else {
            // IAM: a missing key fails every operator except the `…IfExists` forms (and the
            // negated operators, which IAM also treats as not matching when absent).
            return self.if_exists;
        };
        let any = |f: &dyn Fn(&str) -> bool| self.values.iter().any(|v| f(v));
        match self.op {
            Op::StringEquals => any(&|v| v == value),
            Op::StringNotEquals => !any(&|v| v == value),
            Op::StringEqualsIgnoreCase => any(&|v| v.eq_ignore_ascii_case(value)),
            Op::StringNotEqualsIgnoreCase => !any(&|v| v.eq_ignore_ascii_case(value)),
            Op::StringLike => any(&|v| wildcard_match(v.as_bytes(), value.as_bytes(), false)),
            Op::StringNotLike => !any(&|v| wildcard_match(v.as_bytes(), value.as_bytes(), false)),
            Op::Bool => any(&|v| v.eq_ignore_ascii_case(value)),
        }
    }
}

/// IAM's wildcard match: `*` is any run of characters (none included), `?` one character.
/// Iterative with one backtrack point, so linear-ish and never recursive.
fn wildcard_match(pattern: &[u8], text: &[u8], ignore_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || eq(pattern[p], text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIST: &str = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE";

    /// The policy CloudFront's console generates for an OAC, verbatim in shape.
    fn oac_policy(bucket: &str, dist: &str) -> String {
        format!(
            r#"{{
        "Version": "2012-10-17",
        "Statement": {{
            "Sid": "AllowCloudFrontServicePrincipalReadOnly",
            "Effect": "Allow",
            "Principal": {{ "Service": "cloudfront.amazonaws.com" }},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::{bucket}/*",
            "Condition": {{ "StringEquals": {{ "AWS:SourceArn": "{dist}" }} }}
        }}
    }}"#
        )
    }

    fn req<'a>(
        p: Principal<'a>,
        action: &'a str,
        resource: &'a str,
        arn: Option<&'a str>,
    ) -> Request<'a> {
        Request {
            principal: p,
            action,
            resource,
            source_arn: arn,
            source_account: None,
            secure_transport: false,
        }
    }

    #[test]
    fn oac_policy_allows_only_the_named_distribution() {
        let p = Policy::parse(&oac_policy("b", DIST), "b").expect("valid");
        let cf = Principal::Service("cloudfront.amazonaws.com");
        assert!(p.allows(&req(
            cf,
            "s3:GetObject",
            "arn:aws:s3:::b/a/b.txt",
            Some(DIST)
        )));
        let other = "arn:aws:cloudfront::123456789012:distribution/EOTHER";
        assert!(!p.allows(&req(cf, "s3:GetObject", "arn:aws:s3:::b/x", Some(other))));
        assert!(!p.allows(&req(cf, "s3:GetObject", "arn:aws:s3:::b/x", None)));
        assert!(!p.allows(&req(cf, "s3:PutObject", "arn:aws:s3:::b/x", Some(DIST))));
        assert!(!p.allows(&req(
            Principal::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::b/x",
            Some(DIST)
        )));
        assert!(!p.allows(&req(
            Principal::Service("s3.amazonaws.com"),
            "s3:GetObject",
            "arn:aws:s3:::b/x",
            Some(DIST)
        )));
        // The bucket itself is not `b/*`.
        assert!(!p.allows(&req(cf, "s3:GetObject", "arn:aws:s3:::b", Some(DIST))));
        assert!(p.allows(&req(
            Principal::Owner,
            "s3:DeleteBucket",
            "arn:aws:s3:::b",
            None
        )));
    }

    #[test]
    fn deny_wins_and_wildcards_match() {
        let text = r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::b/secret/*"}
        ]}"#;
        let p = Policy::parse(text, "b").expect("valid");
        let anon = Principal::Anonymous;
        assert!(p.allows(&req(anon, "s3:GetObject", "arn:aws:s3:::b/public/x", None)));
        assert!(p.allows(&req(anon, "S3:GETOBJECT", "arn:aws:s3:::b/public/x", None)));
        assert!(!p.allows(&req(anon, "s3:GetObject", "arn:aws:s3:::b/secret/x", None)));
        assert!(!p.allows(&req(anon, "s3:PutObject", "arn:aws:s3:::b/public/x", None)));
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            ("not json", "valid JSON"),
            (r#"{"Statement":[]}"#, "Statement"),
            (
                r#"{"Statement":{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b"}}"#,
                "Effect",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}}"#,
                "invalid resource",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bb/*"}}"#,
                "invalid resource",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b"}}"#,
                "NotPrincipal",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.4/32"}}}}"#,
                "IpAddress",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"aws:UserAgent":"x"}}}}"#,
                "aws:UserAgent",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"ec2:*","Resource":"arn:aws:s3:::b"}}"#,
                "Action",
            ),
        ];
        for (text, needle) in cases {
            let e = Policy::parse(text, "b").expect_err(text);
            assert!(e.0.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn conditions() {
        let text = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["cloudfront.amazonaws.com"]},
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::123456789012:distribution/*"},
                         "StringEquals":{"aws:SourceAccount":"123456789012"}}}}"#;
        let p = Policy::parse(text, "b").expect("valid");
        let cf = Principal::Service("cloudfront.amazonaws.com");
        let mut r = req(cf, "s3:GetObject", "arn:aws:s3:::b/k", Some(DIST));
        assert!(!p.allows(&r), "no source account");
        r.source_account = Some("123456789012");
        assert!(p.allows(&r));
        r.source_account = Some("999999999999");
        assert!(!p.allows(&r));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"*", b"", false));
        assert!(wildcard_match(b"a*c", b"abbbc", false));
        assert!(wildcard_match(b"a?c", b"abc", false));
        assert!(!wildcard_match(b"a?c", b"ac", false));
        assert!(wildcard_match(b"*b*", b"aaabaaa", false));
        assert!(!wildcard_match(b"*b", b"aaabaaa", false));
        assert!(!wildcard_match(b"A", b"a", false));
        assert!(wildcard_match(b"A", b"a", true));
    }
}

//! `brink sign`: signed URLs and signed cookies from a private key, like `aws cloudfront sign`
//! (same policy bytes, same output for RSA keys), plus SHA-256, ECDSA, `--policy-resource`
//! and `--cookies`. The work is in `brink_signed`; this is argument handling only.

use anyhow::{bail, Context as _};
use brink_signed::{HashAlgorithm, SignPolicy, Signer, SigningKey};

/// Arguments of `brink sign`.
#[derive(Debug, clap::Args)]
pub(crate) struct SignArgs {
    /// The URL to sign (the canned policy's resource).
    #[arg(long)]
    url: String,
    /// The public key's id in CloudFront (`Key-Pair-Id`).
    #[arg(long)]
    key_pair_id: String,
    /// PEM private key file: RSA (PKCS#1 or PKCS#8) or ECDSA P-256 (PKCS#8 or SEC1);
    /// a `file://` prefix is accepted, as aws takes it.
    #[arg(long)]
    private_key: String,
    /// Expiry: epoch seconds, or ISO 8601 (`2030-01-01`, `2030-01-01T00:00:00`, with `Z` or
    /// `+hh:mm`; UTC when no offset is given).
    #[arg(long)]
    date_less_than: String,
    /// Start of validity (makes the policy custom).
    #[arg(long)]
    date_greater_than: Option<String>,
    /// Allowed viewer address or IPv4 range, `x.x.x.x` or `x.x.x.x/n` (makes the policy
    /// custom).
    #[arg(long)]
    ip_address: Option<String>,
    /// Resource of a custom policy, wildcards allowed (default: the URL; makes the policy
    /// custom).
    #[arg(long)]
    policy_resource: Option<String>,
    /// SHA1 (default) or SHA256.
    #[arg(long, default_value = "SHA1")]
    hash_algorithm: String,
    /// Print `Set-Cookie` values (one per line) instead of a signed URL.
    #[arg(long)]
    cookies: bool,
}

/// Runs `brink sign`: prints the signed URL, or the cookies.
pub(crate) fn run(args: SignArgs) -> anyhow::Result<()> {
    let path = args
        .private_key
        .strip_prefix("file://")
        .unwrap_or(&args.private_key);
    let pem = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let key = SigningKey::from_pem(&pem)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("--private-key {path}"))?;
    let hash = HashAlgorithm::parse(&args.hash_algorithm)
        .with_context(|| format!("--hash-algorithm {:?}: SHA1 or SHA256", args.hash_algorithm))?;
    let dlt = parse_date(&args.date_less_than).context("--date-less-than")?;
    let dgt = args
        .date_greater_than
        .as_deref()
        .map(parse_date)
        .transpose()
        .context("--date-greater-than")?;
    if let Some(ip) = &args.ip_address {
        if brink_signed::policy::Ipv4Net::parse(ip).is_none() {
            bail!("--ip-address {ip:?}: an IPv4 address or range x.x.x.x/n");
        }
    }
    // As aws does: canned unless a custom condition is given.
    let policy = if dgt.is_some() || args.ip_address.is_some() || args.policy_resource.is_some() {
        SignPolicy::Custom(brink_signed::policy::custom_policy(
            args.policy_resource.as_deref().unwrap_or(&args.url),
            dlt,
            dgt,
            args.ip_address.as_deref(),
        ))
    } else {
        SignPolicy::Canned { expires: dlt }
    };
    let signer = Signer {
        key_pair_id: args.key_pair_id,
        key,
        hash,
    };
    if args.cookies {
        let (secure, host) = match args.url.split_once("://") {
            Some((scheme, rest)) => (
                scheme.eq_ignore_ascii_case("https"),
                rest.split(['/', '?']).next().unwrap_or(""),
            ),
            None => bail!("--url {:?} is not an absolute URL", args.url),
        };
        let domain = host.rsplit_once(':').map_or(host, |(h, _)| h);
        for (name, value) in signer
            .cookies(&args.url, &policy)
            .map_err(anyhow::Error::msg)?
        {
            let secure = if secure { "; Secure" } else { "" };
            println!("{name}={value}; Domain={domain}; Path=/{secure}; HttpOnly");
        }
    } else {
        println!(
            "{}",
            signer
                .signed_url(&args.url, &policy)
                .map_err(anyhow::Error::msg)?
        );
    }
    Ok(())
}

/// Epoch seconds, or ISO 8601 date / date-time (UTC unless an offset is given).
fn parse_date(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().with_context(|| format!("{s:?} is too large"));
    }
    let bad =
        || anyhow::anyhow!("{s:?}: epoch seconds or ISO 8601 (YYYY-MM-DD[Thh:mm:ss][Z|±hh:mm])");
    let num = |t: &str| -> anyhow::Result<i64> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse().map_err(|_| bad())
    };
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = date.split('-');
    let (Some(y), Some(m), Some(dd), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let (y, m, dd) = (num(y)?, num(m)?, num(dd)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m, dd) * 86_400;
    if let Some(t) = time {
        // Offset: `Z`, `+hh:mm`, `-hh:mm`, `+hhmm`.
        let (clock, offset) = if let Some(c) = t.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else if let Some(i) = t.rfind(['+', '-']) {
            let (c, o) = t.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let o = o[1..].replace(':', "");
            if o.len() != 4 {
                return Err(bad());
            }
            (c, sign * (num(&o[..2])? * 3600 + num(&o[2..])? * 60))
        } else {
            (t, 0)
        };
        // Fractional seconds are dropped.
        let clock = clock.split('.').next().unwrap_or(clock);
        let mut parts = clock.split(':');
        let h = num(parts.next().ok_or_else(bad)?)?;
        let mi = parts.next().map(num).transpose()?.unwrap_or(0);
        let se = parts.next().map(num).transpose()?.unwrap_or(0);
        if parts.next().is_some() || h > 23 || mi > 59 || se > 60 {
            return Err(bad());
        }
        secs += h * 3600 + mi * 60 + se - offset;
    }
    u64::try_from(secs).map_err(|_| anyhow::anyhow!("{s:?} is before 1970"))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates() {
        for (s, want) in [
            ("1893456000", 1_893_456_000),
            ("2030-01-01", 1_893_456_000),
            ("2030-01-01T00:00:00", 1_893_456_000),
            ("2030-01-01T00:00:00Z", 1_893_456_000),
            ("2030-01-01T01:00:00+01:00", 1_893_456_000),
            ("2029-12-31T23:00:00-0100", 1_893_456_000),
            ("2027-01-15T08:00:00.5Z", 1_800_000_000),
            ("1970-01-01", 0),
            ("2000-02-29T12:00:00", 951_825_600),
        ] {
            assert_eq!(parse_date(s).expect(s), want, "{s}");
        }
        for bad in [
            "",
            "soon",
            "2030-13-01",
            "2030-01",
            "2030-01-01T25:00",
            "1969-12-31",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}

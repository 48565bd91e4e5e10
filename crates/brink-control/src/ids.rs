//! Identifiers in CloudFront's formats (cloudfront.md §11.2).

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn pick(alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[fastrand::usize(..alphabet.len())] as char)
        .collect()
}

/// A distribution id: `E` + 13 upper-case letters and digits.
pub(crate) fn distribution_id() -> String {
    format!("E{}", pick(UPPER, 13))
}

/// An invalidation id: `I` + 13 (the length AWS used; newer ids may be longer).
pub(crate) fn invalidation_id() -> String {
    format!("I{}", pick(UPPER, 13))
}

/// A public key id: `K` + 13.
pub(crate) fn public_key_id() -> String {
    format!("K{}", pick(UPPER, 13))
}

/// An origin access control id: `E` + 13 [UNCONFIRMED length; AWS shows 13-14].
pub(crate) fn oac_id() -> String {
    format!("E{}", pick(UPPER, 13))
}

/// An ETag: `E` + 13, a new one for every version of a resource.
pub(crate) fn etag() -> String {
    format!("E{}", pick(UPPER, 13))
}

/// A distribution's domain name label: `d` + 13 lower-case letters and digits.
pub(crate) fn domain_label() -> String {
    format!("d{}", pick(LOWER, 13))
}

/// A streaming distribution's domain name label: `s` + 13 lower-case letters and digits.
pub(crate) fn streaming_domain_label() -> String {
    format!("s{}", pick(LOWER, 13))
}

/// A lower-case UUID (version 4 layout), for request ids and policy / key group ids.
pub(crate) fn uuid() -> String {
    let mut b = [0u8; 16];
    fastrand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::sigv4::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Characters drawn from the operating system's CSPRNG (credentials must not be guessable,
/// which `fastrand` does not promise).
fn pick_secure(alphabet: &[u8], n: usize) -> std::io::Result<String> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    // 256 is a multiple of neither alphabet length; the bias of `% len` is below 2^-2 per
    // character for 36 and 64 symbols, accepted for generated credentials [decided].
    Ok(b.iter()
        .map(|x| alphabet[*x as usize % alphabet.len()] as char)
        .collect())
}

/// An access key id (`AKIA` + 16) and a 40-character secret, for a new data directory.
pub(crate) fn access_key_pair() -> std::io::Result<(String, String)> {
    const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    Ok((
        format!("AKIA{}", pick_secure(UPPER, 16)?),
        pick_secure(SECRET, 40)?,
    ))
}

/// A bearer token for the edge feed.
pub(crate) fn token() -> std::io::Result<String> {
    pick_secure(LOWER, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let id = distribution_id();
        assert_eq!(id.len(), 14);
        assert!(
            id.starts_with('E')
                && id
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        let d = domain_label();
        assert_eq!(d.len(), 14);
        assert!(d
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}

//! Signing, as `aws cloudfront sign` and botocore's `CloudFrontSigner` do (for `brink sign`
//! and tests): the same policy bytes, the same base64, the same parameter order.

use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _, LineEnding};
use sha1::Digest as _;

use crate::b64;
use crate::keys::HashAlgorithm;
use crate::policy;

/// A private key: RSA (PEM PKCS#1 or PKCS#8) or ECDSA P-256 (PEM PKCS#8 or SEC1).
#[derive(Clone)]
pub enum SigningKey {
    /// RSA, PKCS#1 v1.5 signatures.
    Rsa(Box<rsa::RsaPrivateKey>),
    /// ECDSA P-256, DER signatures (deterministic, RFC 6979).
    EcdsaP256(p256::ecdsa::SigningKey),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SigningKey::Rsa(_) => "SigningKey(RSA)",
            SigningKey::EcdsaP256(_) => "SigningKey(ECDSA P-256)",
        })
    }
}

/// The body of the first PEM block labelled `label` in `pem`, with its armour.
fn pem_block<'a>(pem: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let s = pem.find(&begin)?;
    let e = pem[s..].find(&end)? + s + end.len();
    Some(&pem[s..e])
}

impl SigningKey {
    /// Reads a PEM private key: `RSA PRIVATE KEY` (PKCS#1), `PRIVATE KEY` (PKCS#8, RSA or
    /// P-256) or `EC PRIVATE KEY` (SEC1, P-256; an `EC PARAMETERS` block before it, as
    /// `openssl ecparam -genkey` writes, is skipped).
    ///
    /// # Errors
    /// A message saying which form was found and why it did not parse.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        if let Some(b) = pem_block(pem, "RSA PRIVATE KEY") {
            return rsa::RsaPrivateKey::from_pkcs1_pem(b)
                .map(|k| SigningKey::Rsa(Box::new(k)))
                .map_err(|e| format!("RSA PRIVATE KEY (PKCS#1): {e}"));
        }
        if let Some(b) = pem_block(pem, "EC PRIVATE KEY") {
            return p256::SecretKey::from_sec1_pem(b)
                .map(|k| SigningKey::EcdsaP256(k.into()))
                .map_err(|e| format!("EC PRIVATE KEY (SEC1, P-256 only): {e}"));
        }
        if let Some(b) = pem_block(pem, "PRIVATE KEY") {
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(b) {
                return Ok(SigningKey::Rsa(Box::new(k)));
            }
            return p256::ecdsa::SigningKey::from_pkcs8_pem(b)
                .map(SigningKey::EcdsaP256)
                .map_err(|e| format!("PRIVATE KEY (PKCS#8): neither RSA nor P-256: {e}"));
        }
        Err("no PEM private key found (RSA PRIVATE KEY, PRIVATE KEY or EC PRIVATE KEY)".into())
    }

    /// Signs `message` with `hash` (raw signature bytes, before base64).
    ///
    /// # Errors
    /// The RSA operation failed (a key too small for the digest).
    pub fn sign(&self, message: &[u8], hash: HashAlgorithm) -> Result<Vec<u8>, String> {
        match self {
            SigningKey::Rsa(k) => {
                let r = match hash {
                    HashAlgorithm::Sha1 => k.sign(
                        rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                        &sha1::Sha1::digest(message),
                    ),
                    HashAlgorithm::Sha256 => k.sign(
                        rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                        &sha2::Sha256::digest(message),
                    ),
                };
                r.map_err(|e| format!("RSA signing failed: {e}"))
            }
            SigningKey::EcdsaP256(k) => {
                let r: Result<p256::ecdsa::Signature, _> = match hash {
                    HashAlgorithm::Sha1 => k.sign_prehash(&sha1::Sha1::digest(message)),
                    HashAlgorithm::Sha256 => k.sign_prehash(&sha2::Sha256::digest(message)),
                };
                r.map(|s| s.to_der().as_bytes().to_vec())
                    .map_err(|e| format!("ECDSA signing failed: {e}"))
            }
        }
    }

    /// The public half as PEM `SubjectPublicKeyInfo` (what goes into `EncodedKey`).
    ///
    /// # Errors
    /// Encoding failed (should not happen for a parsed key).
    pub fn public_key_pem(&self) -> Result<String, String> {
        match self {
            SigningKey::Rsa(k) => k
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| e.to_string()),
            SigningKey::EcdsaP256(k) => k
                .verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| e.to_string()),
        }
    }
}

/// What to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignPolicy {
    /// A canned policy for exactly the URL being signed, valid until this epoch second.
    Canned {
        /// `DateLessThan`.
        expires: u64,
    },
    /// A custom policy, as JSON text (e.g. from [`policy::custom_policy`]).
    Custom(String),
}

/// A key with its `Key-Pair-Id` and the digest to use.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The public key's id.
    pub key_pair_id: String,
    /// The private key.
    pub key: SigningKey,
    /// SHA-1 (default) or SHA-256; SHA-256 adds `Hash-Algorithm=SHA256`.
    pub hash: HashAlgorithm,
}

impl Signer {
    fn policy_bytes(url: &str, p: &SignPolicy) -> String {
        match p {
            SignPolicy::Canned { expires } => policy::canned_policy(url, &expires.to_string()),
            SignPolicy::Custom(json) => json.clone(),
        }
    }

    /// The `(name, value)` pairs without prefix: `Expires` or `Policy`, then `Signature`,
    /// `Key-Pair-Id`, and `Hash-Algorithm` when SHA-256.
    ///
    /// # Errors
    /// Signing failed.
    pub fn params(&self, url: &str, p: &SignPolicy) -> Result<Vec<(&'static str, String)>, String> {
        let policy = Self::policy_bytes(url, p);
        let sig = b64::encode(&self.key.sign(policy.as_bytes(), self.hash)?);
        let mut out = Vec::with_capacity(4);
        match p {
            SignPolicy::Canned { expires } => out.push(("Expires", expires.to_string())),
            SignPolicy::Custom(_) => out.push(("Policy", b64::encode(policy.as_bytes()))),
        }
        out.push(("Signature", sig));
        out.push(("Key-Pair-Id", self.key_pair_id.clone()));
        if self.hash == HashAlgorithm::Sha256 {
            out.push(("Hash-Algorithm", HashAlgorithm::Sha256.as_str().to_string()));
        }
        Ok(out)
    }

    /// A signed URL: `url` + (`&` if it has a `?`, else `?`) + the parameters, as botocore's
    /// `generate_presigned_url` builds it.
    ///
    /// # Errors
    /// Signing failed.
    pub fn signed_url(&self, url: &str, p: &SignPolicy) -> Result<String, String> {
        let params = self.params(url, p)?;
        let mut s = String::from(url);
        s.push(if url.contains('?') { '&' } else { '?' });
        for (i, (k, v)) in params.iter().enumerate() {
            if i > 0 {
                s.push('&');
            }
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        Ok(s)
    }

    /// The signed cookies (`CloudFront-…` name, value) for `url` (the resource of a canned
    /// policy; a custom policy carries its own).
    ///
    /// # Errors
    /// Signing failed.
    pub fn cookies(&self, url: &str, p: &SignPolicy) -> Result<Vec<(String, String)>, String> {
        Ok(self
            .params(url, p)?
            .into_iter()
            .map(|(k, v)| (format!("CloudFront-{k}"), v))
            .collect())
    }
}

//! The certificate files distributions may name.

/// Where a viewer certificate's files are (from the file's `Certificates` list).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateFiles {
    /// The id distributions name it by (ACM ARN or IAM certificate id).
    pub id: String,
    /// Position in `Certificates`, for error paths (`Certificates[index].CertificateFile`).
    pub index: usize,
    /// The certificate chain, PEM, as written (the loader resolves relative paths).
    pub certificate_file: String,
    /// The private key, PEM, as written.
    pub private_key_file: String,
}

impl CertificateFiles {
    /// The path of this entry in the file, e.g. `Certificates[2]`.
    pub fn path(&self) -> String {
        format!("Certificates[{}]", self.index)
    }
}

//! Stream names as players send them in `play` (CloudFront's RTMP conventions): `mp4:` before
//! an MP4 file (`mp4:videos/a.mp4`, or `mp4:videos/a`, the extension implied), otherwise an
//! FLV file (`videos/a.flv`, or `videos/a`). A `?query` carries the signing parameters of a
//! private distribution; it is not part of the object's name.

/// The container of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// FLV, streamed tag by tag.
    Flv,
    /// MP4 (H.264/AAC), demuxed into FLV messages.
    Mp4,
}

/// A parsed stream name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamName {
    /// The object's path at the origin, with a leading `/` and the extension.
    pub path: String,
    /// The container.
    pub format: Format,
    /// What followed `?`, as sent.
    pub query: Option<String>,
    /// The name as sent, minus the query (the `x-sname` of the streaming log).
    pub sname: String,
}

impl StreamName {
    /// The file extension (`flv` or `mp4`), the log's `x-file-ext`.
    pub fn extension(&self) -> &'static str {
        match self.format {
            Format::Flv => "flv",
            Format::Mp4 => "mp4",
        }
    }
}

/// Why a stream name cannot be played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing to play.
    #[error("empty stream name")]
    Empty,
    /// Control characters, a backslash, or a `.`/`..` segment.
    #[error("invalid stream name")]
    Invalid,
}

/// Parses `play`'s stream name.
///
/// # Errors
/// [`NameError`] for an empty name, or one with control characters, backslashes or dot
/// segments (no path may climb out of the distribution's origin).
pub fn parse(stream: &str) -> Result<StreamName, NameError> {
    let (name, query) = match stream.split_once('?') {
        Some((n, q)) => (n, Some(q.to_owned())),
        None => (stream, None),
    };
    let (format, bare) = match name.strip_prefix("mp4:") {
        Some(rest) => (Format::Mp4, rest),
        None => (Format::Flv, name.strip_prefix("flv:").unwrap_or(name)),
    };
    let bare = bare.trim_start_matches('/');
    if bare.is_empty() {
        return Err(NameError::Empty);
    }
    if bare.chars().any(|c| c.is_control() || c == '\\')
        || bare
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(NameError::Invalid);
    }
    let last = bare.rsplit('/').next().unwrap_or(bare);
    let has_ext = |ext: &str| {
        last.len() > ext.len() + 1 && last.to_ascii_lowercase().ends_with(&format!(".{ext}"))
    };
    let path = match format {
        Format::Mp4 if has_ext("mp4") || has_ext("m4v") || has_ext("mov") || has_ext("f4v") => {
            format!("/{bare}")
        }
        Format::Mp4 => format!("/{bare}.mp4"),
        Format::Flv if has_ext("flv") => format!("/{bare}"),
        Format::Flv => format!("/{bare}.flv"),
    };
    Ok(StreamName {
        path,
        format,
        query,
        sname: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = parse("mp4:videos/a.mp4").expect("mp4");
        assert_eq!((n.path.as_str(), n.format), ("/videos/a.mp4", Format::Mp4));
        assert_eq!(parse("mp4:videos/a").expect("mp4").path, "/videos/a.mp4");
        let n = parse("videos/a.flv?Expires=1&Signature=x&Key-Pair-Id=K").expect("flv");
        assert_eq!((n.path.as_str(), n.format), ("/videos/a.flv", Format::Flv));
        assert_eq!(
            n.query.as_deref(),
            Some("Expires=1&Signature=x&Key-Pair-Id=K")
        );
        assert_eq!(n.sname, "videos/a.flv");
        assert_eq!(parse("videos/a").expect("flv").path, "/videos/a.flv");
        assert_eq!(parse("a.FLV").expect("flv").path, "/a.FLV");
        for bad in [
            "",
            "mp4:",
            "../etc/passwd",
            "a/./b",
            "a//b",
            "a\\b",
            "a\u{1}b",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}

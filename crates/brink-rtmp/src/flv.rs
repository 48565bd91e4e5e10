//! The FLV container (Adobe's FLV file format, version 1): a 9-byte header, then tags, each
//! an 11-byte header (type, data size, timestamp, stream id), its data, and the 4-byte size of
//! the tag just ended. Parsed from byte slices; no I/O. Fuzzed (`fuzz_targets/flv_tags.rs`).

/// Length of the file header.
pub const HEADER_LEN: usize = 9;
/// Length of a tag header.
pub const TAG_HEADER_LEN: usize = 11;
/// Length of the back pointer after each tag (and before the first).
pub const BACK_POINTER_LEN: usize = 4;

/// Why bytes are not FLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FlvError {
    /// Fewer bytes than the structure needs.
    #[error("truncated FLV data")]
    Truncated,
    /// No `FLV` signature, or a version other than 1.
    #[error("not an FLV file (signature or version)")]
    NotFlv,
    /// A header offset smaller than the header itself.
    #[error("FLV header length {0} is invalid")]
    BadOffset(u32),
    /// A tag type other than audio (8), video (9) or script data (18), or an encrypted tag.
    #[error("unsupported FLV tag type {0}")]
    TagType(u8),
}

/// The file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlvHeader {
    /// The audio flag.
    pub has_audio: bool,
    /// The video flag.
    pub has_video: bool,
    /// Where the first back pointer starts.
    pub data_offset: u32,
}

/// Parses the file header from the first [`HEADER_LEN`] bytes.
///
/// # Errors
/// [`FlvError`] when `b` is too short or not FLV version 1.
pub fn parse_header(b: &[u8]) -> Result<FlvHeader, FlvError> {
    let h = b.get(..HEADER_LEN).ok_or(FlvError::Truncated)?;
    if &h[..3] != b"FLV" || h[3] != 1 {
        return Err(FlvError::NotFlv);
    }
    let data_offset = u32::from_be_bytes([h[5], h[6], h[7], h[8]]);
    if (data_offset as usize) < HEADER_LEN {
        return Err(FlvError::BadOffset(data_offset));
    }
    Ok(FlvHeader {
        has_audio: h[4] & 0x04 != 0,
        has_video: h[4] & 0x01 != 0,
        data_offset,
    })
}

/// What a tag carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// Audio data (type 8).
    Audio,
    /// Video data (type 9).
    Video,
    /// Script data (type 18), e.g. `onMetaData`.
    Script,
}

/// A tag header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagHeader {
    /// Its type.
    pub kind: TagKind,
    /// Bytes of data after the header.
    pub data_size: u32,
    /// Milliseconds (32 bits: the 24-bit field and its extension byte).
    pub timestamp: u32,
}

impl TagHeader {
    /// Bytes from this tag's header to the next one's: header, data, back pointer.
    pub fn span(&self) -> u64 {
        (TAG_HEADER_LEN + BACK_POINTER_LEN) as u64 + u64::from(self.data_size)
    }
}

/// Parses a tag header from the first [`TAG_HEADER_LEN`] bytes of `b`.
///
/// # Errors
/// [`FlvError`] when `b` is too short, or the tag type is not audio, video or script data
/// (the filter bit of encrypted FLV is refused too).
pub fn parse_tag_header(b: &[u8]) -> Result<TagHeader, FlvError> {
    let h = b.get(..TAG_HEADER_LEN).ok_or(FlvError::Truncated)?;
    let kind = match h[0] {
        8 => TagKind::Audio,
        9 => TagKind::Video,
        18 => TagKind::Script,
        t => return Err(FlvError::TagType(t)),
    };
    let data_size = u32::from_be_bytes([0, h[1], h[2], h[3]]);
    let timestamp = u32::from_be_bytes([h[7], h[4], h[5], h[6]]);
    Ok(TagHeader {
        kind,
        data_size,
        timestamp,
    })
}

/// Whether video tag data starts a key frame (frame type 1 in its first byte).
pub fn is_keyframe(video_data: &[u8]) -> bool {
    video_data.first().is_some_and(|b| b >> 4 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_tags() {
        let h = parse_header(b"FLV\x01\x05\x00\x00\x00\x09").expect("header");
        assert_eq!(
            h,
            FlvHeader {
                has_audio: true,
                has_video: true,
                data_offset: 9
            }
        );
        assert_eq!(
            parse_header(b"FLV\x02\x05\x00\x00\x00\x09"),
            Err(FlvError::NotFlv)
        );
        assert_eq!(
            parse_header(b"FLV\x01\x05\x00\x00\x00\x08"),
            Err(FlvError::BadOffset(8))
        );
        assert_eq!(parse_header(b"FLV"), Err(FlvError::Truncated));
        // Video, 0x000102 bytes, timestamp 0x01020304 (extension byte first in value).
        let t = parse_tag_header(b"\x09\x00\x01\x02\x02\x03\x04\x01\x00\x00\x00").expect("tag");
        assert_eq!(t.kind, TagKind::Video);
        assert_eq!(t.data_size, 0x102);
        assert_eq!(t.timestamp, 0x0102_0304);
        assert_eq!(t.span(), 15 + 0x102);
        assert_eq!(
            parse_tag_header(b"\x28\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
            Err(FlvError::TagType(0x28))
        );
        assert!(is_keyframe(&[0x17, 0x01]));
        assert!(!is_keyframe(&[0x27, 0x01]));
        assert!(!is_keyframe(&[]));
    }
}

//! FLV tag bodies (Adobe's FLV specification v10, E.4.2 and E.4.3) for samples of an MP4: what
//! an RTMP server sends as video and audio messages. H.264 samples keep their length-prefixed
//! NAL units (FLV's AVC packets use the `avcC` layout too); AAC frames go as they are.

use bytes::{BufMut, Bytes, BytesMut};

use crate::index::Sample;

/// Video tag: AVC sequence header (the `avcC` record).
pub fn avc_sequence_header(avcc: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(5 + avcc.len());
    b.put_slice(&[0x17, 0x00, 0, 0, 0]);
    b.put_slice(avcc);
    b.freeze()
}

/// Video tag: one H.264 frame (`data` as stored: length-prefixed NAL units).
pub fn avc_frame(s: &Sample, data: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(5 + data.len());
    b.put_u8(if s.key { 0x17 } else { 0x27 });
    b.put_u8(0x01);
    // Composition time offset, signed 24-bit milliseconds.
    let cto = (s.cto / 1000).clamp(-0x80_0000, 0x7F_FFFF);
    let c = cto.to_be_bytes();
    b.put_slice(&c[1..]);
    b.put_slice(data);
    b.freeze()
}

/// The first byte of every AAC audio tag: AAC, 44 kHz, 16-bit, stereo (FLV fixes these for
/// AAC; the real parameters are in the AudioSpecificConfig).
const AAC: u8 = 0xAF;

/// Audio tag: AAC sequence header (the AudioSpecificConfig).
pub fn aac_sequence_header(config: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(2 + config.len());
    b.put_slice(&[AAC, 0x00]);
    b.put_slice(config);
    b.freeze()
}

/// Audio tag: one raw AAC frame.
pub fn aac_frame(data: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(2 + data.len());
    b.put_slice(&[AAC, 0x01]);
    b.put_slice(data);
    b.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_bodies() {
        let s = Sample {
            offset: 0,
            dts: 0,
            size: 3,
            cto: 80_000,
            key: true,
        };
        assert_eq!(&avc_frame(&s, b"abc")[..], b"\x17\x01\x00\x00\x50abc");
        let s = Sample {
            key: false,
            cto: -40_000,
            ..s
        };
        assert_eq!(&avc_frame(&s, b"")[..], b"\x27\x01\xff\xff\xd8");
        assert_eq!(
            &avc_sequence_header(b"\x01\x64")[..],
            b"\x17\x00\x00\x00\x00\x01\x64"
        );
        assert_eq!(&aac_sequence_header(b"\x12\x10")[..], b"\xaf\x00\x12\x10");
        assert_eq!(&aac_frame(b"x")[..], b"\xaf\x01x");
    }
}

//! MPEG-TS segments (ISO/IEC 13818-1) from the samples of one planned HLS segment: a PAT and
//! a PMT, then one PES per video frame (Annex B, the parameter sets before each key frame,
//! an access unit delimiter first) and one per AAC frame (with an ADTS header), interleaved
//! by decode time. Each segment stands alone: its first packet of every PID carries the
//! discontinuity indicator, so continuity counters restart without a player complaining.

use crate::hls::Segment;
use crate::index::{AudioTrack, Index, Sample, VideoTrack};
use crate::MediaError;

const PACKET: usize = 188;
const PMT_PID: u16 = 0x1000;
const VIDEO_PID: u16 = 0x100;
const AUDIO_PID: u16 = 0x101;
/// Timestamps start this far in (90 kHz ticks, 1 s): samples before the edit list's start
/// (B-frame delay, audio priming) keep positive times.
const TIME_OFFSET: i64 = 90_000;
/// The PCR runs this far behind the DTS it is sent with (the decoder's buffer, 0.5 s).
const PCR_LEAD: u64 = 45_000;

/// The MPEG-TS bytes of `seg`. `data` holds the file's bytes from `base` on, covering
/// [`Segment::span`].
///
/// # Errors
/// [`MediaError::Corrupt`] when a sample lies outside `data` or its NAL units overrun it.
pub fn segment(
    index: &Index,
    seg: &Segment,
    base: u64,
    data: &[u8],
) -> Result<Vec<u8>, MediaError> {
    let video = index.video.as_ref();
    let audio = index.audio.as_ref();
    let v = video.map_or(&[][..], |t| &t.samples[seg.video.clone()]);
    let a = audio.map_or(&[][..], |t| &t.samples[seg.audio.clone()]);
    let pcr_pid = if video.is_some() {
        VIDEO_PID
    } else {
        AUDIO_PID
    };
    // Samples of a real file do not overlap, so their sizes add up to no more than the
    // bytes they lie in; a hostile table can declare many large samples over the same
    // bytes, and would make the output (and its reservation) as large as it likes.
    let bytes: u64 = v.iter().chain(a).map(|s| u64::from(s.size)).sum();
    if bytes > data.len() as u64 {
        return Err(MediaError::Corrupt(format!(
            "the segment's samples declare {bytes} bytes in {} bytes of file",
            data.len()
        )));
    }
    let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
    let mut mux = Muxer {
        out: Vec::with_capacity(bytes + bytes / 8 + 4 * PACKET),
        cc: [0; 2],
        first: [true; 2],
        pes: Vec::new(),
    };
    mux.tables(video.is_some(), audio.is_some(), pcr_pid);
    let (mut i, mut j) = (0, 0);
    while i < v.len() || j < a.len() {
        let take_video = match (v.get(i), a.get(j)) {
            (Some(x), Some(y)) => x.dts <= y.dts,
            (Some(_), None) => true,
            _ => false,
        };
        if take_video {
            if let Some(track) = video {
                mux.video(
                    track,
                    &v[i],
                    sample_bytes(&v[i], base, data)?,
                    pcr_pid == VIDEO_PID,
                )?;
            }
            i += 1;
        } else {
            if let Some(track) = audio {
                mux.audio(
                    track,
                    &a[j],
                    sample_bytes(&a[j], base, data)?,
                    pcr_pid == AUDIO_PID,
                );
            }
            j += 1;
        }
    }
    Ok(mux.out)
}

fn sample_bytes<'d>(s: &Sample, base: u64, data: &'d [u8]) -> Result<&'d [u8], MediaError> {
    let from = s
        .offset
        .checked_sub(base)
        .and_then(|o| usize::try_from(o).ok());
    from.and_then(|f| data.get(f..f.checked_add(s.size as usize)?))
        .ok_or_else(|| MediaError::Corrupt(format!("sample at {} outside the file", s.offset)))
}

/// 90 kHz ticks, 33 bits.
fn ticks(us: i64) -> u64 {
    let t = (i128::from(us) * 9 / 100 + i128::from(TIME_OFFSET)).max(0);
    (t as u64) & 0x1_FFFF_FFFF
}

struct Muxer {
    out: Vec<u8>,
    /// Continuity counters: video, audio.
    cc: [u8; 2],
    /// Whether the next packet is the PID's first in this segment.
    first: [bool; 2],
    /// The PES being built (reused).
    pes: Vec<u8>,
}

impl Muxer {
    fn tables(&mut self, has_video: bool, has_audio: bool, pcr_pid: u16) {
        // PAT: program 1 → PMT_PID.
        let mut pat = vec![0x00, 0xB0, 0, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01];
        pat.extend_from_slice(&(0xE000 | PMT_PID).to_be_bytes());
        self.section(0, pat);
        // PMT: H.264 (0x1B) and AAC in ADTS (0x0F).
        let mut pmt = vec![0x02, 0xB0, 0, 0x00, 0x01, 0xC1, 0x00, 0x00];
        pmt.extend_from_slice(&(0xE000 | pcr_pid).to_be_bytes());
        pmt.extend_from_slice(&[0xF0, 0x00]);
        if has_video {
            pmt.push(0x1B);
            pmt.extend_from_slice(&(0xE000 | VIDEO_PID).to_be_bytes());
            pmt.extend_from_slice(&[0xF0, 0x00]);
        }
        if has_audio {
            pmt.push(0x0F);
            pmt.extend_from_slice(&(0xE000 | AUDIO_PID).to_be_bytes());
            pmt.extend_from_slice(&[0xF0, 0x00]);
        }
        self.section(PMT_PID, pmt);
    }

    /// One PSI section in one packet: `s` from `table_id` with a placeholder length; the
    /// length and CRC are filled in here.
    fn section(&mut self, pid: u16, mut s: Vec<u8>) {
        let len = s.len() - 3 + 4; // after the length field, CRC included
        s[1] = 0xB0 | ((len >> 8) as u8 & 0x0F);
        s[2] = len as u8;
        let crc = crc32_mpeg2(&s);
        s.extend_from_slice(&crc.to_be_bytes());
        let start = self.out.len();
        self.out.push(0x47);
        self.out.extend_from_slice(&(0x4000 | pid).to_be_bytes());
        self.out.push(0x10);
        self.out.push(0x00); // pointer field
        self.out.extend_from_slice(&s);
        self.out.resize(start + PACKET, 0xFF);
    }

    fn video(
        &mut self,
        track: &VideoTrack,
        s: &Sample,
        data: &[u8],
        pcr: bool,
    ) -> Result<(), MediaError> {
        let dts = ticks(s.dts);
        let pts = ticks(s.pts());
        let mut pes = std::mem::take(&mut self.pes);
        pes.clear();
        pes_header(&mut pes, 0xE0, pts, Some(dts), None);
        // Access unit delimiter, then the parameter sets before a key frame.
        pes.extend_from_slice(&[0, 0, 0, 1, 0x09, 0xF0]);
        if s.key {
            for set in &track.parameter_sets {
                pes.extend_from_slice(&[0, 0, 0, 1]);
                pes.extend_from_slice(set);
            }
        }
        let n = usize::from(track.nal_length_size);
        let mut at = 0usize;
        while at < data.len() {
            let len_bytes = data
                .get(at..at + n)
                .ok_or_else(|| MediaError::Corrupt("NAL length cut short".into()))?;
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            at += n;
            let nal = data
                .get(at..at + len)
                .ok_or_else(|| MediaError::Corrupt("NAL unit overruns its sample".into()))?;
            // The file's own delimiters would repeat ours.
            if nal.first().is_some_and(|b| b & 0x1F != 9) {
                pes.extend_from_slice(&[0, 0, 0, 1]);
                pes.extend_from_slice(nal);
            }
            at += len;
        }
        let pcr = pcr.then(|| dts.saturating_sub(PCR_LEAD));
        self.packets(0, VIDEO_PID, &pes, pcr, s.key);
        self.pes = pes;
        Ok(())
    }

    fn audio(&mut self, track: &AudioTrack, s: &Sample, data: &[u8], pcr: bool) {
        let pts = ticks(s.dts);
        let frame_len = data.len() + 7;
        let mut pes = std::mem::take(&mut self.pes);
        pes.clear();
        pes_header(&mut pes, 0xC0, pts, None, Some(frame_len));
        // ADTS header without CRC (ISO/IEC 14496-3 §1.A.2).
        pes.extend_from_slice(&[
            0xFF,
            0xF1,
            ((track.object_type - 1) & 0x03) << 6
                | (track.frequency_index & 0x0F) << 2
                | (track.channels >> 2) & 0x01,
            (track.channels & 0x03) << 6 | ((frame_len >> 11) & 0x03) as u8,
            (frame_len >> 3) as u8,
            ((frame_len & 0x07) as u8) << 5 | 0x1F,
            0xFC,
        ]);
        pes.extend_from_slice(data);
        let pcr = pcr.then(|| pts.saturating_sub(PCR_LEAD));
        self.packets(1, AUDIO_PID, &pes, pcr, true);
        self.pes = pes;
    }

    /// Splits one PES into packets: the first starts the unit (and carries the PCR and the
    /// random-access flag), the last is padded by adaptation-field stuffing.
    fn packets(
        &mut self,
        which: usize,
        pid: u16,
        pes: &[u8],
        pcr: Option<u64>,
        random_access: bool,
    ) {
        let mut at = 0usize;
        let mut start = true;
        while at < pes.len() {
            let mut flags = 0u8;
            if start && self.first[which] {
                flags |= 0x80; // discontinuity: counters restart in every segment
            }
            if start && random_access {
                flags |= 0x40;
            }
            let pcr_here = if start { pcr } else { None };
            if pcr_here.is_some() {
                flags |= 0x10;
            }
            let base_af = if flags != 0 {
                2 + if pcr_here.is_some() { 6 } else { 0 }
            } else {
                0
            };
            let remaining = pes.len() - at;
            let take = remaining.min(PACKET - 4 - base_af);
            let af_total = PACKET - 4 - take; // bytes of adaptation field, length byte included
            let begin = self.out.len();
            self.out.push(0x47);
            let pusi = if start { 0x4000 } else { 0 };
            self.out.extend_from_slice(&(pusi | pid).to_be_bytes());
            let control = if af_total > 0 { 0x30 } else { 0x10 };
            self.out.push(control | self.cc[which]);
            self.cc[which] = (self.cc[which] + 1) & 0x0F;
            if af_total > 0 {
                self.out.push((af_total - 1) as u8);
                if af_total > 1 {
                    self.out.push(flags);
                    if let Some(p) = pcr_here {
                        self.out.extend_from_slice(&[
                            (p >> 25) as u8,
                            (p >> 17) as u8,
                            (p >> 9) as u8,
                            (p >> 1) as u8,
                            ((p & 1) as u8) << 7 | 0x7E,
                            0x00,
                        ]);
                    }
                    self.out.resize(begin + 4 + af_total, 0xFF);
                }
            }
            self.out.extend_from_slice(&pes[at..at + take]);
            debug_assert_eq!(self.out.len() - begin, PACKET);
            at += take;
            start = false;
            self.first[which] = false;
        }
    }
}

/// A PES header with a PTS (and a DTS when it differs); `payload` is the length of what
/// follows when it fits the 16-bit field (audio), else the length is left 0 (video).
fn pes_header(
    out: &mut Vec<u8>,
    stream_id: u8,
    pts: u64,
    dts: Option<u64>,
    payload: Option<usize>,
) {
    let dts = dts.filter(|&d| d != pts);
    let header_data = if dts.is_some() { 10 } else { 5 };
    out.extend_from_slice(&[0, 0, 1, stream_id]);
    let len = payload
        .map(|p| p + 3 + header_data)
        .filter(|&l| l <= 0xFFFF)
        .unwrap_or(0);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.push(0x80);
    out.push(if dts.is_some() { 0xC0 } else { 0x80 });
    out.push(header_data as u8);
    stamp(out, if dts.is_some() { 0x3 } else { 0x2 }, pts);
    if let Some(d) = dts {
        stamp(out, 0x1, d);
    }
}

/// A 33-bit timestamp in the PES header's 5-byte form.
fn stamp(out: &mut Vec<u8>, prefix: u8, t: u64) {
    out.extend_from_slice(&[
        prefix << 4 | ((t >> 29) as u8 & 0x0E) | 1,
        (t >> 22) as u8,
        ((t >> 14) as u8 & 0xFE) | 1,
        (t >> 7) as u8,
        ((t << 1) as u8 & 0xFE) | 1,
    ]);
}

/// CRC-32/MPEG-2 (polynomial 0x04C11DB7, not reflected, initial all ones), for PSI sections.
fn crc32_mpeg2(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_E6E7);
    }

    #[test]
    fn timestamps_encode_with_markers() {
        let mut out = Vec::new();
        stamp(&mut out, 0x2, 0x1_2345_6789);
        // Decode it back.
        let t = (u64::from(out[0] >> 1) & 0x07) << 30
            | u64::from(out[1]) << 22
            | u64::from(out[2] >> 1) << 15
            | u64::from(out[3]) << 7
            | u64::from(out[4] >> 1);
        assert_eq!(t, 0x1_2345_6789);
        assert_eq!(out[0] & 0xF1, 0x21);
        assert_eq!(out[2] & 1, 1);
        assert_eq!(out[4] & 1, 1);
    }

    #[test]
    fn packets_are_188_bytes_and_count_continuity() {
        let mut m = Muxer {
            out: Vec::new(),
            cc: [0; 2],
            first: [true; 2],
            pes: Vec::new(),
        };
        for len in [1usize, 176, 177, 182, 183, 184, 185, 1000] {
            m.out.clear();
            m.first = [true; 2];
            let pes = vec![0xAB; len];
            m.packets(0, VIDEO_PID, &pes, Some(12345), true);
            assert_eq!(m.out.len() % PACKET, 0, "len {len}");
            // Payload bytes survive in order.
            let mut payload = Vec::new();
            for p in m.out.chunks(PACKET) {
                assert_eq!(p[0], 0x47);
                let af = if p[3] & 0x20 != 0 {
                    1 + usize::from(p[4])
                } else {
                    0
                };
                payload.extend_from_slice(&p[4 + af..]);
            }
            assert_eq!(payload, pes, "len {len}");
        }
    }
}

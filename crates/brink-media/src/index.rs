//! The sample index of an H.264/AAC MP4: every sample's place in the file and its times, on
//! one clock (microseconds of presentation, edit lists applied), from the `moov` box.

use std::io::Cursor;

use mp4parse::unstable::{create_sample_table, CheckedInteger};
use mp4parse::{AudioCodecSpecific, CodecType, SampleEntry, Track, TrackType, VideoCodecSpecific};

use crate::MediaError;

/// Most samples a track may have (about 18 hours of 60 fps video; each costs 32 bytes here
/// and about 50 while the tables are expanded).
pub const MAX_SAMPLES: usize = 4_000_000;

/// One sample (a video frame or an audio frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Where its bytes start in the file.
    pub offset: u64,
    /// Decode time, microseconds on the index's clock (may be negative before an edit
    /// list's start: B-frame delay, audio priming).
    pub dts: i64,
    /// Its length in bytes.
    pub size: u32,
    /// Presentation minus decode time, microseconds.
    pub cto: i32,
    /// A sync sample (a video key frame; every audio sample).
    pub key: bool,
}

impl Sample {
    /// Presentation time, microseconds.
    pub fn pts(&self) -> i64 {
        self.dts + i64::from(self.cto)
    }

    /// One past its last byte.
    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.size)
    }
}

/// The H.264 track.
#[derive(Debug, Clone)]
pub struct VideoTrack {
    /// Its samples in decode order.
    pub samples: Vec<Sample>,
    /// The `avcC` box's body (AVCDecoderConfigurationRecord): the FLV sequence header.
    pub avcc: Vec<u8>,
    /// Sequence and picture parameter sets, each without a length prefix.
    pub parameter_sets: Vec<Vec<u8>>,
    /// Bytes of each NAL unit's length prefix in the samples (1, 2 or 4).
    pub nal_length_size: u8,
    /// Picture size.
    pub width: u16,
    /// Picture size.
    pub height: u16,
    /// When the last sample ends, microseconds.
    pub end: i64,
}

/// The AAC track.
#[derive(Debug, Clone)]
pub struct AudioTrack {
    /// Its samples (one AAC frame each).
    pub samples: Vec<Sample>,
    /// The AudioSpecificConfig: the FLV sequence header.
    pub config: Vec<u8>,
    /// MPEG-4 audio object type (2 = AAC LC).
    pub object_type: u8,
    /// Sampling frequency index (ISO/IEC 14496-3 table 1.16).
    pub frequency_index: u8,
    /// Channel configuration.
    pub channels: u8,
    /// Samples per second.
    pub sample_rate: u32,
    /// When the last sample ends, microseconds.
    pub end: i64,
}

/// What the edge needs of an MP4 to stream it.
#[derive(Debug, Clone)]
pub struct Index {
    /// The first H.264 track, if any.
    pub video: Option<VideoTrack>,
    /// The first AAC track, if any.
    pub audio: Option<AudioTrack>,
}

impl Index {
    /// Parses `ftyp` + `moov` (the media data is not needed: sample offsets are absolute).
    ///
    /// # Errors
    /// [`MediaError`] when `mp4parse` refuses the boxes, the tables are inconsistent, or
    /// the file has neither an H.264 nor an AAC track.
    pub fn parse(header: &[u8]) -> Result<Index, MediaError> {
        crate::tables::check(header)?;
        let ctx = mp4parse::read_mp4(&mut Cursor::new(header))
            .map_err(|e| MediaError::NotMp4(format!("{e:?}")))?;
        let mut video = None;
        let mut audio = None;
        let movie_scale = ctx.timescale.map_or(0, |t| t.0);
        for track in ctx.tracks.iter() {
            match track.track_type {
                TrackType::Video if video.is_none() => video = video_track(track, movie_scale)?,
                TrackType::Audio if audio.is_none() => audio = audio_track(track, movie_scale)?,
                _ => {}
            }
        }
        if video.is_none() && audio.is_none() {
            return Err(MediaError::Unsupported(
                "no H.264 video or AAC audio track".into(),
            ));
        }
        Ok(Index { video, audio })
    }

    /// When the presentation ends, microseconds (the later of the tracks).
    pub fn end(&self) -> i64 {
        let v = self.video.as_ref().map_or(0, |v| v.end);
        let a = self.audio.as_ref().map_or(0, |a| a.end);
        v.max(a)
    }

    /// The earliest decode time of any sample (negative with B-frames or audio priming).
    pub fn first_dts(&self) -> i64 {
        let v = self
            .video
            .as_ref()
            .and_then(|v| v.samples.first())
            .map_or(i64::MAX, |s| s.dts);
        let a = self
            .audio
            .as_ref()
            .and_then(|a| a.samples.first())
            .map_or(i64::MAX, |s| s.dts);
        match v.min(a) {
            i64::MAX => 0,
            t => t,
        }
    }
}

/// A box header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    /// Its four-character type.
    pub kind: [u8; 4],
    /// Its size including the header; 0 = to the end of the file.
    pub size: u64,
    /// Bytes of header (8, or 16 with a 64-bit size).
    pub header_len: u8,
}

/// Parses a box header at the start of `b` (8 bytes, 16 with a 64-bit size).
///
/// # Errors
/// [`MediaError::Corrupt`] for a header that is cut short or sized below its own header.
pub fn box_header(b: &[u8]) -> Result<BoxHeader, MediaError> {
    let short = || MediaError::Corrupt("box header cut short".into());
    let size32 = u32::from_be_bytes(
        b.get(0..4)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?,
    );
    let kind: [u8; 4] = b
        .get(4..8)
        .ok_or_else(short)?
        .try_into()
        .map_err(|_| short())?;
    let (size, header_len) = match size32 {
        1 => {
            let big = b.get(8..16).ok_or_else(short)?;
            (u64::from_be_bytes(big.try_into().map_err(|_| short())?), 16)
        }
        s => (u64::from(s), 8),
    };
    if size != 0 && size < u64::from(header_len) {
        return Err(MediaError::Corrupt(format!(
            "box {} sized {size}, below its header",
            String::from_utf8_lossy(&kind)
        )));
    }
    Ok(BoxHeader {
        kind,
        size,
        header_len,
    })
}

fn video_track(track: &Track, movie_scale: u64) -> Result<Option<VideoTrack>, MediaError> {
    let Some(SampleEntry::Video(entry)) = track.stsd.as_ref().and_then(|d| d.descriptions.first())
    else {
        return Ok(None);
    };
    let VideoCodecSpecific::AVCConfig(avcc) = &entry.codec_specific else {
        return Ok(None);
    };
    if entry.codec_type != CodecType::H264 {
        return Ok(None);
    }
    let (nal_length_size, parameter_sets) = parse_avcc(avcc)?;
    let (samples, end) = samples(track, movie_scale)?;
    Ok(Some(VideoTrack {
        samples,
        avcc: avcc.to_vec(),
        parameter_sets,
        nal_length_size,
        width: entry.width,
        height: entry.height,
        end,
    }))
}

fn audio_track(track: &Track, movie_scale: u64) -> Result<Option<AudioTrack>, MediaError> {
    let Some(SampleEntry::Audio(entry)) = track.stsd.as_ref().and_then(|d| d.descriptions.first())
    else {
        return Ok(None);
    };
    let AudioCodecSpecific::ES_Descriptor(esds) = &entry.codec_specific else {
        return Ok(None);
    };
    if esds.audio_codec != CodecType::AAC {
        return Ok(None);
    }
    let config = esds.decoder_specific_data.to_vec();
    let (object_type, frequency_index, channels) = parse_audio_config(&config)?;
    let (mut samples, end) = samples(track, movie_scale)?;
    // Frames that end before presentation starts (the encoder's priming, cut by the edit
    // list) are not played: a player of the MP4 drops them, so they are not sent.
    let before = samples.windows(2).take_while(|w| w[1].dts <= 0).count();
    samples.drain(..before);
    Ok(Some(AudioTrack {
        samples,
        config,
        object_type,
        frequency_index,
        channels,
        sample_rate: entry.samplerate as u32,
        end,
    }))
}

/// The track's samples on the common clock, and when its presentation ends (the edit list's
/// duration when there is one: it cuts the encoder's padding off the last frames).
fn samples(track: &Track, movie_scale: u64) -> Result<(Vec<Sample>, i64), MediaError> {
    let scale = track
        .timescale
        .map(|t| t.0)
        .filter(|&t| t > 0)
        .ok_or_else(|| MediaError::Corrupt(format!("track {} has no timescale", track.id)))?;
    let count = sample_count(track);
    if count > MAX_SAMPLES as u64 {
        return Err(MediaError::TooLarge(format!(
            "{count} samples in track {} (limit {MAX_SAMPLES})",
            track.id
        )));
    }
    let table = create_sample_table(track, CheckedInteger(0)).ok_or_else(|| {
        MediaError::Corrupt(format!("track {}: inconsistent sample tables", track.id))
    })?;
    if table.len() > MAX_SAMPLES {
        return Err(MediaError::TooLarge(format!(
            "{} samples in track {} (limit {MAX_SAMPLES})",
            table.len(),
            track.id
        )));
    }
    // The edit list's first media time is where presentation starts (B-frame delay, audio
    // priming): shifted to zero, so the tracks share one clock.
    let shift = track.media_time.map_or(0, |t| t.0);
    let us = |ticks: i128| -> i64 {
        let v = ticks * 1_000_000 / i128::from(scale);
        i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
    };
    let mut out = Vec::with_capacity(table.len());
    let mut end = 0i64;
    for s in table.iter() {
        let start = s.start_offset.0;
        let stop = s.end_offset.0;
        let size = stop
            .checked_sub(start)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| MediaError::Corrupt(format!("track {}: bad sample size", track.id)))?;
        let dts_ticks = i128::from(s.start_decode.0) - i128::from(shift);
        let pts_ticks = i128::from(s.start_composition.0) - i128::from(shift);
        let dts = us(dts_ticks);
        let cto = i32::try_from(us(pts_ticks) - dts).map_err(|_| {
            MediaError::Corrupt(format!(
                "track {}: composition offset out of range",
                track.id
            ))
        })?;
        end = end.max(us(i128::from(s.end_composition.0) - i128::from(shift)));
        out.push(Sample {
            offset: start,
            dts,
            size,
            cto,
            key: s.sync,
        });
    }
    if let (Some(d), true) = (track.edited_duration, movie_scale > 0) {
        let edited = i128::from(d.0) * 1_000_000 / i128::from(movie_scale);
        end = end.min(i64::try_from(edited).unwrap_or(i64::MAX));
    }
    if out.windows(2).any(|w| w[1].dts < w[0].dts) {
        return Err(MediaError::Corrupt(format!(
            "track {}: decode times go backwards",
            track.id
        )));
    }
    Ok((out, end))
}

/// How many samples `create_sample_table` will list (and reserve room for) from the
/// `stsc` and `stco` tables, counted the way it walks them: each `stsc` entry covers the
/// chunks up to the next entry's first chunk (the last one: every chunk left), an entry
/// with the same first chunk as the next is skipped, and the walk ends at the first entry
/// covering no chunk or more chunks than are left. Counting any other way let a hostile
/// table past the limit: the fuzz target found one that made mp4parse reserve 32 GB.
fn sample_count(track: &Track) -> u64 {
    let (Some(stsc), Some(stco)) = (&track.stsc, &track.stco) else {
        return 0;
    };
    let mut left = u32::try_from(stco.offsets.len()).unwrap_or(u32::MAX);
    let entries = stsc.samples.as_slice();
    let mut total = 0u64;
    for (i, e) in entries.iter().enumerate() {
        let chunks = match entries.get(i + 1) {
            Some(next) if next.first_chunk == e.first_chunk => continue,
            Some(next) if e.first_chunk > 0 && next.first_chunk > 0 => {
                next.first_chunk.saturating_sub(e.first_chunk)
            }
            None if e.first_chunk > 0 && e.first_chunk.checked_add(left).is_some() => left,
            _ => 0,
        };
        if chunks == 0 || chunks > left {
            break;
        }
        left -= chunks;
        total = total.saturating_add(u64::from(chunks) * u64::from(e.samples_per_chunk));
    }
    total
}

/// `avcC` → (NAL length size, SPS and PPS).
fn parse_avcc(avcc: &[u8]) -> Result<(u8, Vec<Vec<u8>>), MediaError> {
    let bad = |what: &str| MediaError::Corrupt(format!("avcC: {what}"));
    if avcc.len() < 7 || avcc[0] != 1 {
        return Err(bad("not version 1"));
    }
    let nal_length_size = (avcc[4] & 0x03) + 1;
    if nal_length_size == 3 {
        return Err(bad("3-byte NAL lengths"));
    }
    let mut sets = Vec::new();
    let mut at = 5usize;
    for group in 0..2 {
        let n = *avcc.get(at).ok_or_else(|| bad("cut short"))?;
        let n = if group == 0 { n & 0x1F } else { n };
        at += 1;
        for _ in 0..n {
            let len = avcc.get(at..at + 2).ok_or_else(|| bad("cut short"))?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            at += 2;
            let set = avcc.get(at..at + len).ok_or_else(|| bad("cut short"))?;
            sets.push(set.to_vec());
            at += len;
        }
    }
    Ok((nal_length_size, sets))
}

/// AudioSpecificConfig → (object type, frequency index, channel configuration).
fn parse_audio_config(c: &[u8]) -> Result<(u8, u8, u8), MediaError> {
    if c.len() < 2 {
        return Err(MediaError::Unsupported(
            "AAC without an AudioSpecificConfig".into(),
        ));
    }
    let object_type = c[0] >> 3;
    let frequency_index = ((c[0] & 0x07) << 1) | (c[1] >> 7);
    let channels = (c[1] >> 3) & 0x0F;
    if object_type == 0 || object_type > 4 {
        // ADTS carries object types 1–4 (Main, LC, SSR, LTP); HE-AAC signalled
        // explicitly (5, 29) would need its extension dropped.
        return Err(MediaError::Unsupported(format!(
            "AAC object type {object_type}"
        )));
    }
    if frequency_index > 12 || channels == 0 || channels > 7 {
        return Err(MediaError::Unsupported(format!(
            "AAC frequency index {frequency_index}, channel configuration {channels}"
        )));
    }
    Ok((object_type, frequency_index, channels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_headers() {
        let h = box_header(b"\x00\x00\x00\x20ftypisom").expect("header");
        assert_eq!(&h.kind, b"ftyp");
        assert_eq!(h.size, 32);
        assert_eq!(h.header_len, 8);
        let h = box_header(b"\x00\x00\x00\x01mdat\x00\x00\x00\x01\x00\x00\x00\x00").expect("large");
        assert_eq!(h.size, 1 << 32);
        assert_eq!(h.header_len, 16);
        assert!(box_header(b"\x00\x00\x00\x04moov").is_err());
        assert!(box_header(b"\x00\x00\x00").is_err());
        assert!(box_header(b"\x00\x00\x00\x01mdat\x00\x00").is_err());
    }

    #[test]
    fn avcc_and_audio_config() {
        // Version 1, profile 0x64, 4-byte lengths, one SPS (3 bytes), one PPS (2 bytes).
        let avcc = [
            1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 3, 0x67, 1, 2, 1, 0, 2, 0x68, 9,
        ];
        let (n, sets) = parse_avcc(&avcc).expect("avcC");
        assert_eq!(n, 4);
        assert_eq!(sets, vec![vec![0x67, 1, 2], vec![0x68, 9]]);
        assert!(parse_avcc(&avcc[..10]).is_err());
        assert!(parse_avcc(&[0, 0, 0, 0, 0, 0, 0]).is_err());
        // AAC LC, 44.1 kHz (index 4), stereo.
        assert_eq!(parse_audio_config(&[0x12, 0x10]), Ok((2, 4, 2)));
        assert!(parse_audio_config(&[0x12]).is_err());
        // HE-AAC signalled explicitly.
        assert!(parse_audio_config(&[0x2b, 0x92]).is_err());
    }

    #[test]
    fn garbage_is_refused_cleanly() {
        assert!(Index::parse(b"").is_err());
        assert!(Index::parse(b"\x00\x00\x00\x08moov").is_err());
        assert!(Index::parse(&[0xff; 64]).is_err());
    }
}

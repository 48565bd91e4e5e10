//! MP4 files played over RTMP (`mp4:videos/clip.mp4`): the file's H.264 and AAC samples,
//! located by `brink_media`'s index, become FLV messages — `onMetaData` and the two sequence
//! headers first, then the samples of both tracks in decode order. Only `moov` and the
//! samples' own bytes are read (through the player's window over the cache), so a seek
//! reads from the key frame it lands on.

use brink_media::{flv as tags, Index, ReadAt, Sample};
use bytes::Bytes;
use rml_rtmp::rml_amf0::{self, Amf0Value};

use crate::flv::{TagHeader, TagKind};
use crate::server::RangeRead;

/// What comes next from an MP4.
pub(crate) enum Next {
    /// A tag made without reading the file (metadata, sequence headers).
    Ready(TagHeader, Bytes),
    /// A sample, whose bytes are read at its offset.
    Sample(TagKind, Sample),
}

/// The play position in an MP4.
pub(crate) struct Mp4Tags {
    index: Index,
    /// Tags to send before the samples (metadata, sequence headers).
    preamble: Vec<(TagKind, Bytes)>,
    video: usize,
    audio: usize,
    /// Subtracted from decode times so the first tag is at 0 ms.
    origin_us: i64,
}

/// The player's reader as `brink_media`'s.
struct Reader<'a>(&'a mut dyn RangeRead);

impl ReadAt for Reader<'_> {
    async fn read_at(&mut self, offset: u64, len: u64) -> Result<Bytes, String> {
        self.0.read(offset, len).await.map_err(|e| e.to_string())
    }
}

impl Mp4Tags {
    /// Reads the file's index.
    pub(crate) async fn open(reader: &mut dyn RangeRead) -> Result<Mp4Tags, String> {
        let (index, _) = brink_media::load_index(&mut Reader(reader))
            .await
            .map_err(|e| e.to_string())?;
        let mut preamble = Vec::new();
        if let Some(meta) = metadata(&index) {
            preamble.push((TagKind::Script, meta));
        }
        if let Some(v) = &index.video {
            preamble.push((TagKind::Video, tags::avc_sequence_header(&v.avcc)));
        }
        if let Some(a) = &index.audio {
            preamble.push((TagKind::Audio, tags::aac_sequence_header(&a.config)));
        }
        preamble.reverse(); // popped from the back
        let origin_us = index.first_dts();
        Ok(Mp4Tags {
            index,
            preamble,
            video: 0,
            audio: 0,
            origin_us,
        })
    }

    /// The next tag or sample in decode order; `None` at the end.
    pub(crate) fn next(&mut self) -> Option<Next> {
        if let Some((kind, data)) = self.preamble.pop() {
            let h = TagHeader {
                kind,
                data_size: data.len() as u32,
                timestamp: self.ms(self.position()),
            };
            return Some(Next::Ready(h, data));
        }
        let v = self
            .index
            .video
            .as_ref()
            .and_then(|t| t.samples.get(self.video));
        let a = self
            .index
            .audio
            .as_ref()
            .and_then(|t| t.samples.get(self.audio));
        match (v, a) {
            (Some(v), Some(a)) if a.dts < v.dts => {
                self.audio += 1;
                Some(Next::Sample(TagKind::Audio, *a))
            }
            (Some(v), _) => {
                self.video += 1;
                Some(Next::Sample(TagKind::Video, *v))
            }
            (None, Some(a)) => {
                self.audio += 1;
                Some(Next::Sample(TagKind::Audio, *a))
            }
            (None, None) => None,
        }
    }

    /// The tag of a sample whose bytes are `data`.
    pub(crate) fn tag(&self, kind: TagKind, s: &Sample, data: &[u8]) -> (TagHeader, Bytes) {
        let body = match kind {
            TagKind::Video => tags::avc_frame(s, data),
            _ => tags::aac_frame(data),
        };
        let h = TagHeader {
            kind,
            data_size: body.len() as u32,
            timestamp: self.ms(s.dts),
        };
        (h, body)
    }

    /// Moves to the last video key frame at or before `ms` (audio from there on), or to the
    /// audio frame at `ms` when the file has no video.
    pub(crate) fn seek(&mut self, ms: u32) {
        let target = self.origin_us + i64::from(ms) * 1000;
        let audio = self
            .index
            .audio
            .as_ref()
            .map_or(&[][..], |a| &a.samples[..]);
        match &self.index.video {
            Some(v) if !v.samples.is_empty() => {
                let before = v.samples.partition_point(|s| s.dts <= target);
                let k = v.samples[..before].iter().rposition(|s| s.key).unwrap_or(0);
                self.video = k;
                let from = v.samples[k].dts;
                self.audio = audio.partition_point(|s| s.dts < from);
            }
            _ => self.audio = audio.partition_point(|s| s.dts < target),
        }
    }

    /// Decode time of the next sample (for the preamble's timestamps).
    fn position(&self) -> i64 {
        let v = self
            .index
            .video
            .as_ref()
            .and_then(|t| t.samples.get(self.video))
            .map(|s| s.dts);
        let a = self
            .index
            .audio
            .as_ref()
            .and_then(|t| t.samples.get(self.audio))
            .map(|s| s.dts);
        v.into_iter().chain(a).min().unwrap_or(self.origin_us)
    }

    fn ms(&self, us: i64) -> u32 {
        u32::try_from((us - self.origin_us).max(0) / 1000).unwrap_or(u32::MAX)
    }
}

/// `onMetaData` for the file, AMF0-encoded as an FLV script tag's data.
fn metadata(index: &Index) -> Option<Bytes> {
    let mut props = std::collections::HashMap::new();
    let end = (index.end() - index.first_dts().min(0)).max(0);
    props.insert("duration".to_owned(), Amf0Value::Number(end as f64 / 1e6));
    if let Some(v) = &index.video {
        props.insert("width".to_owned(), Amf0Value::Number(f64::from(v.width)));
        props.insert("height".to_owned(), Amf0Value::Number(f64::from(v.height)));
        props.insert("videocodecid".to_owned(), Amf0Value::Number(7.0));
        if v.samples.len() > 1 && v.end > 0 {
            let fps = v.samples.len() as f64 / (v.end as f64 / 1e6);
            props.insert("framerate".to_owned(), Amf0Value::Number(fps.round()));
        }
    }
    if let Some(a) = &index.audio {
        props.insert("audiocodecid".to_owned(), Amf0Value::Number(10.0));
        props.insert(
            "audiosamplerate".to_owned(),
            Amf0Value::Number(f64::from(a.sample_rate)),
        );
        props.insert("stereo".to_owned(), Amf0Value::Boolean(a.channels >= 2));
    }
    let values = vec![
        Amf0Value::Utf8String("onMetaData".into()),
        Amf0Value::Object(props),
    ];
    rml_amf0::serialize(&values).ok().map(Bytes::from)
}

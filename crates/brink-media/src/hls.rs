//! HLS from a stored MP4: the segment plan (cuts on video key frames, at least the target
//! duration apart) and the VOD playlist that lists it (RFC 8216).
//!
//! The plan depends only on the index and the target duration, so every edge cuts the same
//! file the same way: `seg-N.ts` names the same media wherever it is asked for, and each is
//! cached like any object.

use std::fmt::Write as _;
use std::ops::Range;

use crate::index::{Index, Sample};

/// One segment of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Its place in the playlist (`seg-N.ts`).
    pub number: usize,
    /// When it starts and ends on the index's clock, microseconds (presentation times of its
    /// first video key frame and of the next segment's).
    pub start: i64,
    /// See `start`.
    pub end: i64,
    /// Its video samples (indices into the video track).
    pub video: Range<usize>,
    /// Its audio samples.
    pub audio: Range<usize>,
}

impl Segment {
    /// Its duration in seconds.
    pub fn seconds(&self) -> f64 {
        (self.end - self.start).max(0) as f64 / 1e6
    }

    /// The bytes of the file its samples lie in: `[start, end)`, `None` when it has none.
    pub fn span(&self, index: &Index) -> Option<(u64, u64)> {
        let v = index
            .video
            .as_ref()
            .map_or(&[][..], |v| &v.samples[self.video.clone()]);
        let a = index
            .audio
            .as_ref()
            .map_or(&[][..], |a| &a.samples[self.audio.clone()]);
        let lo = v.iter().chain(a).map(|s| s.offset).min()?;
        let hi = v.iter().chain(a).map(Sample::end).max()?;
        Some((lo, hi))
    }
}

/// Cuts `index` into segments of at least `target_us` microseconds, each starting on a video
/// key frame (on any audio frame when there is no video). Audio frames go with the segment
/// their decode time falls in.
pub fn plan(index: &Index, target_us: i64) -> Vec<Segment> {
    let target_us = target_us.max(1);
    // The cut points: decode times where a segment starts, the first at the file's start.
    let mut cuts: Vec<(i64, usize)> = Vec::new();
    match &index.video {
        Some(v) if !v.samples.is_empty() => {
            let mut last = None;
            for (i, s) in v.samples.iter().enumerate() {
                // Presentation times: a key frame's decode time runs ahead of it by the
                // B-frame delay, and durations are about what is shown.
                let due = match last {
                    None => true,
                    Some(t) => s.key && s.pts() - t >= target_us,
                };
                if due {
                    cuts.push((s.pts(), i));
                    last = Some(s.pts());
                }
            }
        }
        _ => {
            if let Some(a) = &index.audio {
                let mut last = None;
                for (i, s) in a.samples.iter().enumerate() {
                    if last.is_none_or(|t| s.dts - t >= target_us) {
                        cuts.push((s.dts, i));
                        last = Some(s.dts);
                    }
                }
            }
        }
    }
    let has_video = index.video.as_ref().is_some_and(|v| !v.samples.is_empty());
    let video_len = index.video.as_ref().map_or(0, |v| v.samples.len());
    let audio = index.audio.as_ref().map_or(&[][..], |a| &a.samples[..]);
    let end = index.end();
    let mut out = Vec::with_capacity(cuts.len());
    for (n, &(start, first)) in cuts.iter().enumerate() {
        let next = cuts.get(n + 1);
        let seg_end = next.map_or(end, |c| c.0);
        // Audio by decode time; the first segment takes what precedes the first cut, the last
        // what follows the last.
        let a_from = if n == 0 {
            0
        } else {
            audio.partition_point(|s| s.dts < start)
        };
        let a_to = match next {
            Some(c) => audio.partition_point(|s| s.dts < c.0),
            None => audio.len(),
        };
        let (video, audio_range) = if has_video {
            (
                first..next.map_or(video_len, |c| c.1),
                a_from..a_to.max(a_from),
            )
        } else {
            (0..0, first..next.map_or(audio.len(), |c| c.1))
        };
        out.push(Segment {
            number: n,
            start: if n == 0 { start.min(0) } else { start },
            end: seg_end.max(start),
            video,
            audio: audio_range,
        });
    }
    out
}

/// The VOD playlist of `segments` (`seg-N.ts`, relative to the playlist's URL).
pub fn playlist(segments: &[Segment]) -> String {
    let target = segments
        .iter()
        .map(Segment::seconds)
        .fold(1.0f64, f64::max)
        .ceil() as u64;
    let mut out = String::with_capacity(128 + segments.len() * 32);
    out.push_str("#EXTM3U\n#EXT-X-VERSION:3\n");
    let _ = writeln!(out, "#EXT-X-TARGETDURATION:{target}");
    out.push_str(
        "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n",
    );
    for s in segments {
        let _ = writeln!(out, "#EXTINF:{:.6},\nseg-{}.ts", s.seconds(), s.number);
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

/// What a path under an MP4 names: `…/video.mp4/index.m3u8` or `…/video.mp4/seg-N.ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived<'a> {
    /// The playlist of the MP4 at the given path.
    Playlist(&'a str),
    /// Segment N of the MP4 at the given path.
    Segment(&'a str, usize),
}

/// Recognises an HLS path derived from an MP4 (`None` for anything else). The MP4's own path
/// must end in `.mp4` (any case).
pub fn derived(path: &str) -> Option<Derived<'_>> {
    let (mp4, leaf) = path.rsplit_once('/')?;
    if mp4.len() < 5 || !mp4[mp4.len() - 4..].eq_ignore_ascii_case(".mp4") {
        return None;
    }
    if leaf == "index.m3u8" {
        return Some(Derived::Playlist(mp4));
    }
    let n = leaf.strip_prefix("seg-")?.strip_suffix(".ts")?;
    if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if n.len() > 1 && n.starts_with('0') {
        return None; // one name per segment: no `seg-01.ts` beside `seg-1.ts`.
    }
    Some(Derived::Segment(mp4, n.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{AudioTrack, VideoTrack};

    fn sample(dts: i64, key: bool, offset: u64) -> Sample {
        Sample {
            offset,
            dts,
            size: 10,
            cto: 0,
            key,
        }
    }

    /// 10 s of 25 fps video with a key frame every 2 s, and audio frames every 20 ms.
    fn index() -> Index {
        let video = (0..250)
            .map(|i| sample(i * 40_000, i % 50 == 0, i as u64 * 100))
            .collect();
        let audio = (0..500)
            .map(|i| sample(i * 20_000, true, i as u64 * 100 + 50))
            .collect();
        Index {
            video: Some(VideoTrack {
                samples: video,
                avcc: vec![],
                parameter_sets: vec![],
                nal_length_size: 4,
                width: 64,
                height: 64,
                end: 10_000_000,
            }),
            audio: Some(AudioTrack {
                samples: audio,
                config: vec![0x12, 0x10],
                object_type: 2,
                frequency_index: 4,
                channels: 2,
                sample_rate: 44_100,
                end: 10_000_000,
            }),
        }
    }

    #[test]
    fn cuts_on_key_frames_at_least_the_target_apart() {
        let idx = index();
        let plan = plan(&idx, 3_000_000);
        // Key frames at 0, 2, 4, 6, 8 s; cuts at 0, 4, 8.
        let starts: Vec<i64> = plan.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![0, 4_000_000, 8_000_000]);
        assert_eq!(plan[0].video, 0..100);
        assert_eq!(plan[1].video, 100..200);
        assert_eq!(plan[2].video, 200..250);
        assert_eq!(plan[0].audio, 0..200);
        assert_eq!(plan[2].audio, 400..500);
        assert_eq!(plan[2].end, 10_000_000);
        // Every sample in exactly one segment.
        let v: usize = plan.iter().map(|s| s.video.len()).sum();
        let a: usize = plan.iter().map(|s| s.audio.len()).sum();
        assert_eq!((v, a), (250, 500));
        assert_eq!(plan[1].span(&idx), Some((10_000, 39_960)));
    }

    #[test]
    fn playlist_lists_every_segment() {
        let p = playlist(&plan(&index(), 3_000_000));
        assert!(p.starts_with("#EXTM3U\n"));
        assert!(p.contains("#EXT-X-TARGETDURATION:4\n"));
        assert!(p.contains("#EXTINF:4.000000,\nseg-0.ts\n"));
        assert!(p.contains("#EXTINF:2.000000,\nseg-2.ts\n"));
        assert!(p.ends_with("#EXT-X-ENDLIST\n"));
        assert_eq!(p.matches(".ts\n").count(), 3);
    }

    #[test]
    fn audio_only_files_are_cut_on_any_frame() {
        let mut idx = index();
        idx.video = None;
        let plan = plan(&idx, 3_000_000);
        assert_eq!(plan.len(), 4);
        assert_eq!(plan[0].audio, 0..150);
        assert_eq!(plan[3].audio, 450..500);
    }

    #[test]
    fn derived_paths() {
        assert_eq!(
            derived("/v/a.mp4/index.m3u8"),
            Some(Derived::Playlist("/v/a.mp4"))
        );
        assert_eq!(
            derived("/v/A.MP4/seg-12.ts"),
            Some(Derived::Segment("/v/A.MP4", 12))
        );
        assert_eq!(derived("/v/a.mp4"), None);
        assert_eq!(derived("/v/a.mov/index.m3u8"), None);
        assert_eq!(derived("/v/a.mp4/seg-.ts"), None);
        assert_eq!(derived("/v/a.mp4/seg-01.ts"), None);
        assert_eq!(derived("/v/a.mp4/seg-1x.ts"), None);
        assert_eq!(derived("/v/a.mp4/seg-9999999999.ts"), None);
    }
}

//! The RTMP front end of a Brink edge (issue 13): players connect to
//! `rtmp://s….<cdn domain>/cfx/st` and play `path/video.flv`, `path/video` (FLV) or
//! `mp4:path/video.mp4`, as they did with CloudFront's RTMP distributions.
//!
//! * [`flv`]: the FLV container, read tag by tag (our own small parser; fuzzed).
//! * `mp4`: MP4 files as FLV messages (the index and tag bodies from `brink_media`).
//! * [`name`]: stream names (`mp4:` prefix, extension, the signing query).
//! * [`server`]: one RTMP connection — handshake, `connect`, `createStream`, `play` — driven by
//!   `rml_rtmp`, with the distribution chosen by the `tcUrl` host, media read through a
//!   [`server::Source`] the edge implements over its cache (range reads, so the origin sees
//!   range requests and a cached file serves every viewer).
//!
//! No policy here: which distribution, whether a signature is valid and where bytes come from
//! are the edge's answers to [`server::Source`].

pub mod flv;
mod mp4;
pub mod name;
pub mod server;

//! The streaming (RTMP) access log, in the format of CloudFront's RTMP distributions' logs:
//! a `#Version` and a `#Fields` line, then one tab-separated line per event — `connect`,
//! `play`, `stop`, `disconnect` — with the stream name, its query, its file extension and the
//! stream id. Hourly files `<dir>/<prefix>.YYYY-MM-DD-HH.log`, appended to.
//!
//! Values are written with spaces, tabs, `%` and non-printable bytes percent-encoded, and `-`
//! for an empty value, as in the web log.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::SystemTime;

/// The fields of every line, in order.
pub const STREAMING_FIELDS: &str = "date time x-edge-location c-ip x-event sc-bytes x-cf-status \
x-cf-client-id cs-uri-stem cs-uri-query c-referrer x-page-url c-user-agent x-sname \
x-sname-query x-file-ext x-sid";

/// One event.
#[derive(Debug, Clone, Default)]
pub struct StreamingRecord<'a> {
    /// When it happened (the edge's clock).
    pub time: Option<SystemTime>,
    /// The POP.
    pub edge_location: &'a str,
    /// The client.
    pub c_ip: Option<IpAddr>,
    /// `connect`, `play`, `stop`, `disconnect`.
    pub event: &'a str,
    /// Bytes sent to the client so far on the connection.
    pub sc_bytes: u64,
    /// `OK`, or the status code a refusal sent (`NetStream.Play.Failed`, …).
    pub status: &'a str,
    /// The connection's id.
    pub client_id: &'a str,
    /// `tcUrl`.
    pub uri_stem: Option<&'a str>,
    /// The query of `tcUrl`.
    pub uri_query: Option<&'a str>,
    /// `swfUrl`.
    pub referrer: Option<&'a str>,
    /// `pageUrl`.
    pub page_url: Option<&'a str>,
    /// `flashVer`.
    pub user_agent: Option<&'a str>,
    /// The stream name, without its query.
    pub sname: Option<&'a str>,
    /// The stream name's query.
    pub sname_query: Option<&'a str>,
    /// `flv` or `mp4`.
    pub file_ext: Option<&'a str>,
    /// The stream id.
    pub sid: Option<u32>,
}

fn push_value(out: &mut String, v: Option<&str>) {
    match v {
        None | Some("") => out.push('-'),
        Some(v) => {
            for b in v.bytes() {
                if b.is_ascii_graphic() && b != b'%' {
                    out.push(char::from(b));
                } else {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
    }
}

/// `(YYYY-MM-DD, HH:MM:SS)` in UTC.
pub fn utc_date_time(t: SystemTime) -> (String, String) {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = crate::access_log::civil_from_days(secs / 86_400);
    let s = secs % 86_400;
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
    )
}

impl StreamingRecord<'_> {
    /// The line, without its newline.
    pub fn line(&self) -> String {
        let (date, time) = utc_date_time(self.time.unwrap_or(SystemTime::UNIX_EPOCH));
        let mut out = String::with_capacity(256);
        let ip = self.c_ip.map(|i| i.to_string());
        let bytes = self.sc_bytes.to_string();
        let sid = self.sid.map(|s| s.to_string());
        let fields: [Option<&str>; 17] = [
            Some(&date),
            Some(&time),
            Some(self.edge_location),
            ip.as_deref(),
            Some(self.event),
            Some(&bytes),
            Some(self.status),
            Some(self.client_id),
            self.uri_stem,
            self.uri_query,
            self.referrer,
            self.page_url,
            self.user_agent,
            self.sname,
            self.sname_query,
            self.file_ext,
            sid.as_deref(),
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            push_value(&mut out, *f);
        }
        out
    }
}

/// Hourly streaming log files in a directory.
#[derive(Debug)]
pub struct StreamingLog {
    dir: PathBuf,
    prefix: String,
    current: std::sync::Mutex<Option<(String, std::fs::File)>>,
}

impl StreamingLog {
    /// Files `<dir>/<prefix>.YYYY-MM-DD-HH.log`.
    pub fn new(dir: PathBuf, prefix: &str) -> StreamingLog {
        StreamingLog {
            dir,
            prefix: prefix.to_owned(),
            current: std::sync::Mutex::new(None),
        }
    }

    /// Appends `rec` (a new hour starts a new file with the header lines).
    ///
    /// # Errors
    /// The directory or the file cannot be written.
    pub fn write(&self, rec: &StreamingRecord<'_>) -> std::io::Result<()> {
        let (date, time) = utc_date_time(rec.time.unwrap_or(SystemTime::UNIX_EPOCH));
        let hour = format!("{date}-{}", &time[..2]);
        let mut cur = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cur.as_ref().is_none_or(|(h, _)| *h != hour) {
            std::fs::create_dir_all(&self.dir)?;
            let path = self.dir.join(format!("{}.{hour}.log", self.prefix));
            let fresh = !path.exists();
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            if fresh {
                writeln!(f, "#Version: 1.0\n#Fields: {STREAMING_FIELDS}")?;
            }
            *cur = Some((hour, f));
        }
        if let Some((_, f)) = cur.as_mut() {
            writeln!(f, "{}", rec.line())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_every_field_escaped() {
        let rec = StreamingRecord {
            time: Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_764_756_000)),
            edge_location: "IAD50-C1",
            c_ip: Some("192.0.2.7".parse().expect("ip")),
            event: "play",
            sc_bytes: 3914,
            status: "OK",
            client_id: "0000000000000001",
            uri_stem: Some("rtmp://s1.cdn.test/cfx/st"),
            user_agent: Some("LNX 9,0,124,2"),
            sname: Some("videos/a.flv"),
            sname_query: Some("Expires=1&Signature=x"),
            file_ext: Some("flv"),
            sid: Some(1),
            ..Default::default()
        };
        let line = rec.line();
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), STREAMING_FIELDS.split(' ').count());
        assert_eq!(f[0], "2025-12-03");
        assert_eq!(f[4], "play");
        assert_eq!(f[9], "-");
        assert_eq!(f[12], "LNX%209,0,124,2");
        assert_eq!(
            &f[13..],
            ["videos/a.flv", "Expires=1&Signature=x", "flv", "1"]
        );
    }
}

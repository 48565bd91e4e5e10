//! A check of the `moov` box's structure before `mp4parse` reads it.
//!
//! `mp4parse` sizes its buffers from what the file declares, before reading: a table box's
//! entry count (`stts`, `ctts`, `stss`, `stsc`, `stsz`, `stco`, `co64`, `elst`, `stsd`) or a
//! box's own size (`avcC`, `esds`, `pssh`, metadata items…, read whole). A 100-byte file
//! declaring 4 billion `stss` entries made it ask the allocator for 16 GiB, one declaring a
//! 3.8 GB sample-entry child box for 3.8 GB (both found by the `media_mp4` fuzz target,
//! 2026-12-04). A machine that overcommits memory may grant such a reservation, and a few
//! concurrent requests for hostile files could then exhaust the edge's address space.
//!
//! So the boxes `mp4parse` descends into are walked here first, the same way: every box
//! must fit in its parent, and every table's declared entries in its box. What passes holds
//! no declared size larger than the bytes given, so `mp4parse` reserves no more than that.

use crate::MediaError;

/// Nesting deeper than any box `mp4parse` reads (moov/udta/meta/ilst/item/data is 6).
const MAX_DEPTH: usize = 12;

/// Checks `header` (`ftyp` + `moov`, as [`crate::load_index`] passes them).
///
/// # Errors
/// [`MediaError::Corrupt`] naming the first box that overruns its parent, or table whose
/// declared entries overrun its box.
pub(crate) fn check(header: &[u8]) -> Result<(), MediaError> {
    walk(header, b"    ", 0, &mut None)
}

/// Walks the boxes in `bytes` (the children of a `parent` box), descending where `mp4parse`
/// does. `handler` is the current track's `hdlr` type (it decides how `stsd` entries read).
fn walk(
    mut bytes: &[u8],
    parent: &[u8; 4],
    depth: usize,
    handler: &mut Option<[u8; 4]>,
) -> Result<(), MediaError> {
    if depth > MAX_DEPTH {
        return Err(MediaError::Corrupt("boxes nested too deep".into()));
    }
    while let Some((kind, payload, rest)) = next_box(bytes)? {
        if kind == *b"trak" {
            *handler = None;
        }
        if kind == *b"hdlr" {
            *handler = payload.get(8..12).and_then(|h| h.try_into().ok());
        }
        if depth > 0 {
            table(&kind, payload)?;
        }
        if let Some(at) = children_at(&kind, payload, parent, *handler) {
            walk(
                payload.get(at..).unwrap_or_default(),
                &kind,
                depth + 1,
                handler,
            )?;
        }
        bytes = rest;
    }
    Ok(())
}

/// Where the child boxes of a `kind` box inside `parent` start, for the boxes whose
/// children `mp4parse` reads (mirroring its `read_*` functions); `None` for the others.
fn children_at(
    kind: &[u8; 4],
    payload: &[u8],
    parent: &[u8; 4],
    handler: Option<[u8; 4]>,
) -> Option<usize> {
    match kind {
        b"moov" | b"trak" | b"edts" | b"mdia" | b"minf" | b"stbl" | b"tref" | b"mvex" | b"udta"
        | b"ilst" | b"sinf" | b"schi" | b"wave" | b"dinf" => Some(0),
        // Full boxes: version and flags first.
        b"meta" => Some(4),
        // Version, flags and the entry count.
        b"stsd" => Some(8),
        _ if parent == b"ilst" => Some(0),
        // Sample entries, read by the track's handler type.
        _ if parent == b"stsd" => match handler.as_ref().map(|h| &h[..]) {
            Some(b"vide" | b"pict" | b"auxv") => Some(78),
            Some(b"soun") => match payload.get(8..10) {
                Some([0, 0]) => Some(28),
                // QuickTime sound sample descriptions, versions 1 and 2.
                Some([0, 1]) => Some(44),
                Some([0, 2]) => Some(64),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// A box's type, its payload and the bytes after it.
type NextBox<'a> = ([u8; 4], &'a [u8], &'a [u8]);

/// The next box of `bytes`: its type, its payload and the bytes after it; `None` when no
/// whole box header is left (or one is malformed: `mp4parse` reports it).
///
/// # Errors
/// [`MediaError::Corrupt`] when the box declares more bytes than `bytes` holds.
fn next_box(bytes: &[u8]) -> Result<Option<NextBox<'_>>, MediaError> {
    let (Some(size), Some(kind)) = (bytes.get(0..4), bytes.get(4..8)) else {
        return Ok(None);
    };
    let size = u32::from_be_bytes([size[0], size[1], size[2], size[3]]);
    let kind = [kind[0], kind[1], kind[2], kind[3]];
    let (header, size) = match size {
        0 => (8, bytes.len() as u64),
        1 => match bytes.get(8..16).and_then(|b| b.try_into().ok()) {
            Some(b) => (16, u64::from_be_bytes(b)),
            None => return Ok(None),
        },
        n => (8, u64::from(n)),
    };
    if size < header {
        return Ok(None);
    }
    if size > bytes.len() as u64 {
        return Err(MediaError::Corrupt(format!(
            "{} box declares {size} bytes, {} left in its parent",
            String::from_utf8_lossy(&kind),
            bytes.len()
        )));
    }
    // Both within `bytes.len()`, checked above.
    let (size, header) = (size as usize, header as usize);
    Ok(Some((kind, &bytes[header..size], &bytes[size..])))
}

/// A table box: version/flags, then the count at `count_at` and entries of `entry` bytes
/// each from `count_at + 4`.
fn table(kind: &[u8; 4], payload: &[u8]) -> Result<(), MediaError> {
    let version = payload.first().copied().unwrap_or(0);
    let (count_at, entry) = match kind {
        b"stts" | b"ctts" | b"co64" => (4, 8),
        b"stss" | b"stco" => (4, 4),
        b"stsc" => (4, 12),
        b"elst" if version == 1 => (4, 20),
        b"elst" => (4, 12),
        // Entries are boxes of 8 bytes at least.
        b"stsd" => (4, 8),
        // Sizes are listed only when the common sample size is 0.
        b"stsz" if payload.get(4..8).is_some_and(|s| s == [0; 4]) => (8, 4),
        _ => return Ok(()),
    };
    let Some(count) = payload
        .get(count_at..count_at + 4)
        .and_then(|c| c.try_into().ok())
        .map(u32::from_be_bytes)
    else {
        // Too short to hold a count: mp4parse reports it.
        return Ok(());
    };
    let room = payload.len().saturating_sub(count_at + 4) as u64;
    if u64::from(count) * entry > room {
        return Err(MediaError::Corrupt(format!(
            "{} declares {count} entries of {entry} bytes in {room} bytes",
            String::from_utf8_lossy(kind)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(payload);
        v
    }

    fn moov_with(table: Vec<u8>) -> Vec<u8> {
        let stbl = boxed(b"stbl", &table);
        let minf = boxed(b"minf", &stbl);
        let mdia = boxed(b"mdia", &minf);
        let trak = boxed(b"trak", &mdia);
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend(boxed(b"moov", &trak));
        file
    }

    #[test]
    fn tables_that_fit_pass_and_overrunning_counts_fail() {
        // stss: version/flags, count 2, two entries.
        let ok = moov_with(boxed(
            b"stss",
            &[0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 9],
        ));
        assert!(check(&ok).is_ok());
        let bad = moov_with(boxed(
            b"stss",
            &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 1],
        ));
        assert!(matches!(check(&bad), Err(MediaError::Corrupt(m)) if m.starts_with("stss")));
        // stsz with a common size lists nothing; with size 0 it lists every sample.
        let common = moov_with(boxed(
            b"stsz",
            &[0, 0, 0, 0, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff],
        ));
        assert!(check(&common).is_ok());
        let listed = moov_with(boxed(b"stsz", &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]));
        assert!(check(&listed).is_err());
        // A box larger than its parent.
        let mut over = boxed(b"avcC", &[1, 2, 3, 4]);
        over[3] = 200;
        assert!(
            matches!(check(&moov_with(over)), Err(MediaError::Corrupt(m)) if m.starts_with("avcC box"))
        );
    }
}

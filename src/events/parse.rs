//! Reading a log: every complete line that is an event, and the rest named, never fatal; the
//! limit on a line's size; what identifies a line when two logs are joined.

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Event;
use crate::error::{Error, Result};

/// A line of an append-only log of ours: an event of an incident's log, or a change of the
/// changes log. Both are read, appended, repaired and joined by the same code.
pub trait Record: serde::Serialize + DeserializeOwned {
    /// Its id, unique in the log: what a union joins lines by.
    fn id(&self) -> &str;
    /// What kind of line it is, for people (an error about its size).
    fn kind(&self) -> &'static str;
}

impl Record for Event {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        self.body.kind()
    }
}

/// A complete line of a log that could not be read (not JSON, not an event, a torn line that
/// was committed and merged into the middle): every reader skips it, `doctor` lists it and
/// `doctor --fix` moves it to `rejected.jsonl` (README, "Nothing bricks an incident").
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

/// A line of a log of ours read for its id alone: how a sync joins a log whose records it
/// does not otherwise read (the changes log), with the same code as an event log.
#[derive(Debug, serde::Serialize, Deserialize)]
pub struct AnyRecord {
    pub id: String,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl Record for AnyRecord {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "line"
    }
}

/// What reading a log gave.
#[derive(Debug)]
pub struct Log<T = Event> {
    pub events: Vec<T>,
    /// Complete lines that were skipped, in order.
    pub unreadable: Vec<Unreadable>,
    /// The 1-based line number of an incomplete last line that was left out.
    pub torn_line: Option<usize>,
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log { events: Vec::new(), unreadable: Vec::new(), torn_line: None }
    }
}

/// Reads the log at `path`, never through a symlink (the folders above it are
/// checked by `Repo::events_path`).
pub fn read(path: &Path) -> Result<Log> {
    read_as(path)
}

/// Reads a log of records of type `T` at `path`, never through a symlink.
pub fn read_as<T: Record>(path: &Path) -> Result<Log<T>> {
    let bytes = crate::fsutil::read(path).map_err(Error::io(path))?;
    Ok(parse_as(&bytes))
}

/// Reads every complete line it can; no content makes it fail (only I/O can, in [`read`]).
pub fn parse(bytes: &[u8]) -> Log {
    parse_as(bytes)
}

/// [`parse`] for a log of records of type `T`.
pub fn parse_as<T: Record>(bytes: &[u8]) -> Log<T> {
    let mut log = Log::default();
    let (lines, tail) = split(bytes);
    for (lineno, line) in lines.enumerate().map(|(i, l)| (i + 1, l)) {
        match read_line(line) {
            Ok(Some(event)) => log.events.push(event),
            Ok(None) => {}
            Err(reason) => log.unreadable.push(Unreadable { line: lineno, reason }),
        }
    }
    if let Some(torn) = torn(bytes, tail) {
        // A crash mid-write leaves a partial line; if it is whole but for its newline, keep it.
        match read_line::<T>(tail) {
            Ok(Some(event)) => log.events.push(event),
            Ok(None) => {}
            Err(_) => log.torn_line = Some(torn),
        }
    }
    log
}

/// The complete lines, each with its newline, and what follows the last newline.
fn split(bytes: &[u8]) -> (std::slice::SplitInclusive<'_, u8, impl FnMut(&u8) -> bool>, &[u8]) {
    let complete_end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let (complete, tail) = bytes.split_at(complete_end);
    (complete.split_inclusive(|b| *b == b'\n'), tail)
}

/// The 1-based number of the last line when it is incomplete and not blank.
fn torn(bytes: &[u8], tail: &[u8]) -> Option<usize> {
    if tail.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(bytes[..bytes.len() - tail.len()].iter().filter(|b| **b == b'\n').count() + 1)
}

/// One complete line (with or without its newline): a record, nothing (blank), or why not.
fn read_line<T: Record>(line: &[u8]) -> std::result::Result<Option<T>, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // However it got here (a hand edit, a `git pull`), a line no write could have made is
    // not read: it would cost every command its size, and the postmortem could not hold it.
    if let Some(why) = too_large(line.strip_suffix(b"\n").unwrap_or(line).len()) {
        return Err(why);
    }
    let event = serde_json::from_slice::<T>(line).map_err(|e| reason(&e.to_string()))?;
    if !crate::ids::is_event_id(event.id()) {
        return Err(reason(&format!(
            "{:?} is not an event id (1 to 64 ASCII letters, digits, - or _)",
            event.id()
        )));
    }
    Ok(Some(event))
}

/// Why a line is unreadable, fit for a terminal: serde's message may quote the line (an
/// unknown `kind`), so control characters are escaped and the length is capped.
fn reason(message: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::new();
    for (i, c) in message.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a log into what a reader can use (every readable or blank line, byte for byte, and
/// a last line whole but for its newline, given one) and the unreadable lines (numbered from
/// 1, without their newline), as [`reject_unreadable`](super::reject_unreadable) does under the lock.
pub fn without_unreadable(bytes: &[u8]) -> (Vec<u8>, Vec<(usize, Vec<u8>)>) {
    without_unreadable_as::<Event>(bytes)
}

/// [`without_unreadable`] for a log of records of type `T`.
pub(super) fn without_unreadable_as<T: Record>(bytes: &[u8]) -> (Vec<u8>, Vec<(usize, Vec<u8>)>) {
    let (lines, tail) = split(bytes);
    let mut keep = Vec::with_capacity(bytes.len());
    let mut moved: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, line) in lines.enumerate() {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        match read_line::<T>(content) {
            Ok(_) => keep.extend_from_slice(line),
            Err(_) => moved.push((i + 1, content.to_vec())),
        }
    }
    if let Some(torn) = torn(bytes, tail) {
        if matches!(read_line::<T>(tail), Ok(Some(_))) {
            keep.extend_from_slice(tail);
            keep.push(b'\n');
        } else {
            moved.push((torn, tail.to_vec()));
        }
    }
    (keep, moved)
}

/// The largest event the tool writes, as a line of the log: 4 MiB (a 3 MB pasted trace goes
/// in). Every command reads the whole log and the postmortem prints every note, so a pasted
/// 20 MB dump as one note would make every later command slow and the postmortem too large
/// to render.
pub const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// Why a line of `len` bytes (without its newline) cannot be an event, if it cannot.
pub(super) fn too_large(len: usize) -> Option<String> {
    (len > MAX_EVENT_BYTES).then(|| {
        format!("{len} bytes, larger than the {} MiB an event may be", MAX_EVENT_BYTES / (1024 * 1024))
    })
}

/// What identifies a line for a union: its event's id, or (for a line no reader can use)
/// its bytes, so an unreadable line is kept once and never taken for an event.
pub(super) fn line_key(line: &[u8]) -> Option<Vec<u8>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(match serde_json::from_slice::<Id>(line) {
        Ok(Id { id }) => [b"id:".as_slice(), id.as_bytes()].concat(),
        Err(_) => [b"raw:".as_slice(), line].concat(),
    })
}

/// The complete lines of a log, without their newlines; a last line without one is included
/// (a committed log may lack the final newline; a torn line never reaches a commit).
pub(super) fn lines_of(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace))
}

/// The complete-line prefix of a log: what a commit may hold. A line still being written
/// (or torn by a crash) stays in the working file for the next commit, never in history.
pub fn complete_prefix(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)]
}

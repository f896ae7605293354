//! The append-only event log, `incidents/<id>/events.jsonl`: one JSON object a line,
//! the incident's single source of truth. Appends take an exclusive lock, repair a torn last
//! line left by a crash, write whole lines and fsync; reads tolerate a torn last line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::phase::Phase;

mod union;
pub use union::{Incoming, SetAside, Union, union_checked, union_raw};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    /// When it was logged.
    #[serde(with = "ts")]
    pub at: DateTime<Utc>,
    pub by: String,
    /// When it happened, when that differs from `at` (`--at`, `--started-at`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ts_opt")]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub body: Body,
}

impl Event {
    /// A new event with a fresh id. Its body and `by` are redacted here ([`Body::redacted`],
    /// `crate::redact`): every writer makes its events with this, so nothing reaches the log
    /// unredacted, whichever command built it.
    pub fn new(body: Body, by: &str, at: DateTime<Utc>, occurred_at: Option<DateTime<Utc>>) -> Event {
        Event {
            id: uuid::Uuid::new_v4().simple().to_string(),
            at,
            by: crate::redact::redact(by),
            occurred_at: occurred_at.filter(|o| *o != at),
            body: body.redacted(),
        }
    }

    /// The moment the event stands for: when it happened if told, else when it was logged.
    pub fn when(&self) -> DateTime<Utc> {
        self.occurred_at.unwrap_or(self.at)
    }
}

/// The key moments (README, "Key times"), in their order. One enum: the log, the fold,
/// `mark` and the metrics all name them through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Milestone {
    Started,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

impl Milestone {
    pub const ALL: [Milestone; 5] = [
        Milestone::Started,
        Milestone::Detected,
        Milestone::Acknowledged,
        Milestone::Mitigated,
        Milestone::Resolved,
    ];

    /// How people read it: "impact started", "mitigated".
    pub fn name(self) -> &'static str {
        match self {
            Milestone::Started => "impact started",
            Milestone::Detected => "detected",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }
}

/// The public state of an incident on the status page, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum PublicStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl PublicStatus {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Done,
    Skipped,
    Failed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    Opened {
        title: String,
        severity: String,
        #[serde(default)]
        services: Vec<String>,
        #[serde(default)]
        drill: bool,
    },
    Note {
        text: String,
    },
    Mark {
        milestone: Milestone,
    },
    Severity {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Role {
        role: String,
        name: String,
    },
    Runbook {
        runbook: String,
        /// SHA-256 (hex) of the runbook file when attached, so that a later change to it is
        /// flagged before one of its commands runs. Absent in logs written before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
    Phase {
        phase: Phase,
    },
    Step {
        step: String,
        phase: Phase,
        outcome: Outcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// The runbook the step belongs to (several may be attached).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
    },
    Command {
        step: String,
        command: String,
        #[serde(default)]
        exit_code: Option<i32>,
        output: String,
        #[serde(default)]
        truncated: bool,
        duration_ms: u64,
        /// The runbook the step belongs to (several may be attached).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
        /// The limit it ran under, in seconds (absent in logs written before timeouts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_s: Option<u64>,
        /// Killed at that limit (`exit_code` is then null).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        timed_out: bool,
        /// Killed because the responder pressed Ctrl-C, or because the tool was asked to stop
        /// (`exit_code` is then null).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        interrupted: bool,
        /// The signal the tool was asked to stop with (`SIGTERM`, `SIGHUP`); absent for Ctrl-C.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
        /// SHA-256 (hex) of the runbook file the command was read from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook_sha256: Option<String>,
    },
    Action {
        title: String,
        owner: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<String>,
        #[serde(rename = "type")]
        action_type: String,
        /// Where the work is tracked (an issue, a ticket): an http(s) URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
    },
    /// Action item `action` (its `action` event's id) was done.
    ActionDone {
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Action item `action` (its `action` event's id) will not be done, and why.
    ActionDropped {
        action: String,
        reason: String,
    },
    /// A customer or stakeholder update, logged before any delivery.
    Update {
        channel: String,
        message: String,
        /// The public state it announces: investigating, identified, monitoring, resolved.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<PublicStatus>,
        /// The estimated time of resolution it gives.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "ts_opt")]
        eta: Option<DateTime<Utc>>,
    },
    /// One attempt to deliver update `update` to its channel's target.
    Delivery {
        update: String,
        channel: String,
        attempt: u32,
        delivered: bool,
        /// The HTTP status, for a webhook target.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
        /// The exit code, for a command target.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        latency_ms: u64,
        /// What went wrong, when it did (redacted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    Retro {
        section: String,
        text: String,
    },
    /// Customer impact as it stands from this moment: the share (percent) of the affected
    /// services' traffic failing, and counts for the postmortem. What is not given is unchanged.
    Impact {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customers: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failed_orders: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tickets: Option<u64>,
    },
    Resolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<String>,
    },
    Closed {},
    /// A correction of event `event`: when it happened, and/or its text. The original line
    /// stays in the log; the fold applies the correction.
    Amend {
        event: String,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "ts_opt")]
        time: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// Event `event` was not true: the fold leaves it out; the line stays in the log.
    Retract {
        event: String,
        reason: String,
    },
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

/// What reading a log gave.
#[derive(Debug, Default)]
pub struct Log {
    pub events: Vec<Event>,
    /// Complete lines that were skipped, in order.
    pub unreadable: Vec<Unreadable>,
    /// The 1-based line number of an incomplete last line that was left out.
    pub torn_line: Option<usize>,
}

/// Reads the log at `path`, never through a symlink (the folders above it are
/// checked by `Repo::events_path`).
pub fn read(path: &Path) -> Result<Log> {
    let bytes = crate::fsutil::read(path).map_err(Error::io(path))?;
    Ok(parse(&bytes))
}

/// Reads every complete line it can; no content makes it fail (only I/O can, in [`read`]).
pub fn parse(bytes: &[u8]) -> Log {
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
        match read_line(tail) {
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

/// One complete line (with or without its newline): an event, nothing (blank), or why not.
fn read_line(line: &[u8]) -> std::result::Result<Option<Event>, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // However it got here (a hand edit, a `git pull`), a line no write could have made is
    // not read: it would cost every command its size, and the postmortem could not hold it.
    if let Some(why) = too_large(line.strip_suffix(b"\n").unwrap_or(line).len()) {
        return Err(why);
    }
    let event = serde_json::from_slice::<Event>(line).map_err(|e| reason(&e.to_string()))?;
    if !crate::ids::is_event_id(&event.id) {
        return Err(reason(&format!(
            "{:?} is not an event id (1 to 64 ASCII letters, digits, - or _)",
            event.id
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
/// 1, without their newline), as [`reject_unreadable`] does under the lock.
pub fn without_unreadable(bytes: &[u8]) -> (Vec<u8>, Vec<(usize, Vec<u8>)>) {
    let (lines, tail) = split(bytes);
    let mut keep = Vec::with_capacity(bytes.len());
    let mut moved: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, line) in lines.enumerate() {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        match read_line(content) {
            Ok(_) => keep.extend_from_slice(line),
            Err(_) => moved.push((i + 1, content.to_vec())),
        }
    }
    if let Some(torn) = torn(bytes, tail) {
        if matches!(read_line(tail), Ok(Some(_))) {
            keep.extend_from_slice(tail);
            keep.push(b'\n');
        } else {
            moved.push((torn, tail.to_vec()));
        }
    }
    (keep, moved)
}

/// Moves every unreadable line of the log at `path` (complete lines that do not parse, and a
/// torn last line) to the end of `rejected` (created when needed, never truncated), then
/// replaces the log by a copy without them: a temp file, fsync, rename, under the lock appends
/// take. Every other byte stays as it was. The lines are found again under the lock, so a
/// write that landed since the caller looked is never taken for one. Returns the lines moved
/// (their numbers in the old log, and their bytes without the newline).
pub fn reject_unreadable(path: &Path, rejected: &Path) -> Result<Vec<(usize, Vec<u8>)>> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    let mut file = open_locked(path, false)?;
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.read_to_end(&mut bytes).map_err(io)?;
    let (keep, moved) = without_unreadable(&bytes);
    if moved.is_empty() {
        return Ok(moved);
    }
    // The rejected lines are safe before the log loses them: a crash in between leaves them
    // in both files, never in neither.
    let mut out = Vec::new();
    for (_, line) in &moved {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    append_rejected(rejected, &out)?;
    crate::fsutil::write_atomic(path, &keep)?;
    drop(file);
    Ok(moved)
}

/// Appends `lines` (each ending in a newline) to `rejected`, created when needed and never
/// truncated, durably: the bytes are safe there before the log loses them.
fn append_rejected(rejected: &Path, lines: &[u8]) -> Result<()> {
    let write = || -> std::io::Result<()> {
        let created = !rejected.exists();
        let mut f = crate::fsutil::nofollow().append(true).create(true).open(rejected)?;
        f.write_all(lines)?;
        f.sync_data()?;
        if created {
            File::open(rejected.parent().unwrap_or(Path::new(".")))?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(Error::io(rejected))
}

/// The rejected-lines file beside a log (`incidents/<id>/rejected.jsonl`).
pub fn rejected_path(log: &Path) -> PathBuf {
    log.with_file_name("rejected.jsonl")
}

/// Opens the log and takes its exclusive lock, on the file the path names *now*:
/// [`reject_unreadable`] replaces the log by renaming a new file over it, and a writer that
/// was waiting for the old file's lock must not append to a file no path names any more.
/// A symlink is never opened (`O_NOFOLLOW`): appending through one writes outside the
/// repository.
fn open_locked(path: &Path, create: bool) -> Result<File> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    loop {
        let file = crate::fsutil::nofollow()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(path)
            .map_err(Error::io(path))?;
        file.lock().map_err(io)?;
        let held = file.metadata().map_err(io)?;
        match std::fs::symlink_metadata(path) {
            Ok(now) if same_file(&now, &held) => return Ok(file),
            Err(e) if !create => return Err(io(e)),
            _ => {} // replaced (or removed) while we waited: take the new one
        }
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}

/// The largest event the tool writes, as a line of the log: 4 MiB (a 3 MB pasted trace goes
/// in). Every command reads the whole log and the postmortem prints every note, so a pasted
/// 20 MB dump as one note would make every later command slow and the postmortem too large
/// to render.
pub const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// Why a line of `len` bytes (without its newline) cannot be an event, if it cannot.
fn too_large(len: usize) -> Option<String> {
    (len > MAX_EVENT_BYTES).then(|| {
        format!("{len} bytes, larger than the {} MiB an event may be", MAX_EVENT_BYTES / (1024 * 1024))
    })
}

/// Appends whole events under an exclusive lock, then fsyncs. A torn last line is cut off
/// (or, if it parses, completed with its newline) before writing, so it never hides the
/// next event. Returns the line number of a torn line that was removed.
pub fn append(path: &Path, events: &[Event]) -> Result<Option<usize>> {
    append_then(path, events, |_, _| {})
}

/// [`append`], then `then(before, after)` with the log's metadata before and after the write,
/// still under the lock: so a cache of the log (the incident's head) follows every append in
/// the order they happened, and costs what the new events cost, not what the log does.
pub fn append_then(
    path: &Path,
    events: &[Event],
    then: impl FnOnce(&std::fs::Metadata, &std::fs::Metadata),
) -> Result<Option<usize>> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    // Every event is checked against the limit before anything is made or written: the limit
    // lives here, where every writer's events pass, so none can skip it.
    let mut buf = Vec::with_capacity(256 * events.len());
    for e in events {
        let start = buf.len();
        serde_json::to_writer(&mut buf, e)
            .map_err(|e| Error::Io { path: path.to_path_buf(), source: e.into() })?;
        let bytes = buf.len() - start;
        if bytes > MAX_EVENT_BYTES {
            return Err(Error::EventTooLarge { kind: e.body.kind(), bytes, limit: MAX_EVENT_BYTES });
        }
        buf.push(b'\n');
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let created = !path.exists();
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let mut file = open_locked(path, true)?;
    let removed = repair_tail(path, &mut file)?;
    let before = file.metadata().map_err(io)?;
    file.seek(SeekFrom::End(0)).map_err(io)?;
    file.write_all(&buf).map_err(io)?;
    // The cache follows before the fsync, so readers (who take no lock) see a log and a head
    // that disagree for as short a time as possible. A crash that loses the write leaves a
    // head the log no longer matches, which is then simply not used.
    let after = file.metadata().map_err(io)?;
    then(&before, &after);
    file.sync_data().map_err(io)?;
    if created {
        // The new file's name must survive a crash too.
        File::open(&dir).and_then(|d| d.sync_all()).map_err(Error::io(&dir))?;
    }
    Ok(removed)
}

/// What identifies a line for a union: its event's id, or (for a line no reader can use)
/// its bytes, so an unreadable line is kept once and never taken for an event.
fn line_key(line: &[u8]) -> Option<Vec<u8>> {
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
fn lines_of(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace))
}

/// The complete-line prefix of a log: what a commit may hold. A line still being written
/// (or torn by a crash) stays in the working file for the next commit, never in history.
pub fn complete_prefix(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)]
}

/// Brings the log at `path` to `merged` (a sync's result, a superset of what the last
/// commit held), under the lock appends take: the file becomes `merged` byte for byte, then
/// every line written since the sync read the file (a writer racing the sync) that `merged`
/// lacks. So clones that synced hold identical logs, and nothing written is lost. The file
/// is replaced by a rename, which writers waiting for the lock notice (`open_locked`).
///
/// `merged` came from elsewhere: its new lines are held to the log's limits, and an id it
/// holds with other content than the file is kept once ([`union_checked`]); what is set aside
/// goes to `rejected.jsonl` first (durably), and is returned with how many events the file
/// gained.
pub fn merge_into(path: &Path, merged: &[u8], now: DateTime<Utc>) -> Result<(usize, Vec<SetAside>)> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let mut file = open_locked(path, true)?;
    repair_tail(path, &mut file)?;
    let mut current = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.read_to_end(&mut current).map_err(io)?;
    let have: std::collections::HashSet<Vec<u8>> = lines_of(&current).filter_map(line_key).collect();
    let joined = union_checked(merged, &current, Incoming::First, now);
    let gained = lines_of(&joined.bytes).filter_map(line_key).filter(|k| !have.contains(k)).count();
    keep_set_aside(path, &joined.set_aside)?;
    if joined.bytes != current && !(joined.bytes.is_empty() && lines_of(&current).next().is_none()) {
        crate::fsutil::write_atomic(path, &joined.bytes)?;
    }
    drop(file);
    Ok((gained, joined.set_aside))
}

/// Moves the log at `from` into the log at `into` (an incident folder renamed elsewhere): every
/// line of it joins `into` as [`merge_into`] joins lines, its `rejected.jsonl` joins `into`'s,
/// and then `from` is removed, all while `from`'s lock is held, so no append to it is lost in
/// between.
pub fn move_into(from: &Path, into: &Path, now: DateTime<Utc>) -> Result<Vec<SetAside>> {
    let io = |e| Error::Io { path: from.to_path_buf(), source: e };
    let mut file = match open_locked(from, false) {
        Ok(f) => f,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let (_, set_aside) = merge_into(into, complete_prefix(&bytes), now)?;
    let rejected = rejected_path(from);
    if let Ok(lines) = crate::fsutil::read(&rejected) {
        let target = rejected_path(into);
        let existing = crate::fsutil::read(&target).unwrap_or_default();
        let both = union_raw(&existing, &lines);
        if both != existing {
            crate::fsutil::write_atomic(&target, &both)?;
        }
        std::fs::remove_file(&rejected).map_err(Error::io(&rejected))?;
    }
    std::fs::remove_file(from).map_err(io)?;
    drop(file);
    Ok(set_aside)
}

/// Appends the records of lines set aside from the log at `log` to its `rejected.jsonl`, each
/// once: a record already there (the same line set aside by an earlier sync) is not added
/// again.
pub fn keep_set_aside(log: &Path, set_aside: &[SetAside]) -> Result<()> {
    if set_aside.is_empty() {
        return Ok(());
    }
    let rejected = rejected_path(log);
    let existing = match crate::fsutil::read(&rejected) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(&rejected)(e)),
    };
    let mut records: Vec<u8> = Vec::new();
    for s in set_aside {
        records.extend(s.record());
    }
    let all = union_raw(&existing, &records);
    let new = &all[existing.len().min(all.len())..];
    if all.starts_with(&existing) && !new.is_empty() {
        if existing.last().is_some_and(|b| *b != b'\n') {
            append_rejected(&rejected, b"\n")?;
        }
        append_rejected(&rejected, new)?;
    }
    Ok(())
}

fn repair_tail(path: &Path, file: &mut File) -> Result<Option<usize>> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1)).map_err(io)?;
    file.read_exact(&mut last).map_err(io)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.read_to_end(&mut bytes).map_err(io)?;
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[keep..];
    if serde_json::from_slice::<Event>(tail).is_ok() {
        file.seek(SeekFrom::End(0)).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        return Ok(None);
    }
    let line = bytes[..keep].iter().filter(|b| **b == b'\n').count() + 1;
    // Cut from the log, never lost: the torn bytes go to `rejected.jsonl` first, as `doctor
    // --fix` would move them.
    let mut torn = tail.to_vec();
    torn.push(b'\n');
    append_rejected(&rejected_path(path), &torn)?;
    file.set_len(keep as u64).map_err(io)?;
    Ok(Some(line))
}

/// RFC 3339 in UTC with a `Z`, whole seconds unless the moment has a fraction.
mod ts {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::timefmt::stored(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::timefmt::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not an RFC 3339 time")))
    }
}

mod ts_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::ts::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::ts")] DateTime<Utc>);
        Ok(Option::<W>::deserialize(d)?.map(|W(t)| t))
    }
}

impl Body {
    /// Whether this event corrects another (and so is not itself a fact about the incident).
    pub fn is_correction(&self) -> bool {
        matches!(self, Body::Amend { .. } | Body::Retract { .. })
    }

    /// The event's free text, the one `amend --text` replaces; `None` for kinds without one.
    pub fn with_text(&self, text: String) -> Option<Body> {
        let mut b = self.clone();
        match &mut b {
            Body::Opened { title, .. } | Body::Action { title, .. } => *title = text,
            Body::Note { text: t } | Body::Retro { text: t, .. } => *t = text,
            Body::Update { message, .. } => *message = text,
            Body::Step { note, .. } | Body::ActionDone { note, .. } => *note = Some(text),
            Body::ActionDropped { reason, .. } => *reason = text,
            Body::Severity { reason, .. } => *reason = Some(text),
            Body::Resolved { root_cause } => *root_cause = Some(text),
            Body::Role { name, .. } => *name = text,
            _ => return None,
        }
        Some(b)
    }

    /// The kind, as the log names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Opened { .. } => "opened",
            Body::Note { .. } => "note",
            Body::Mark { .. } => "mark",
            Body::Severity { .. } => "severity",
            Body::Role { .. } => "role",
            Body::Runbook { .. } => "runbook",
            Body::Phase { .. } => "phase",
            Body::Step { .. } => "step",
            Body::Command { .. } => "command",
            Body::Action { .. } => "action",
            Body::ActionDone { .. } => "action_done",
            Body::ActionDropped { .. } => "action_dropped",
            Body::Update { .. } => "update",
            Body::Delivery { .. } => "delivery",
            Body::Retro { .. } => "retro",
            Body::Impact { .. } => "impact",
            Body::Resolved { .. } => "resolved",
            Body::Closed {} => "closed",
            Body::Amend { .. } => "amend",
            Body::Retract { .. } => "retract",
        }
    }

    /// Every string the event carries passed through secret redaction: free text,
    /// names and owners, and ids too (a severity, a service or a channel is free text when
    /// `incident.yaml` declares none). Only references to other events (`action`, `event`,
    /// `update`) are kept as they are: the tool made them, and masking one would break the
    /// link. Every variant is destructured field by field, with no `..`, so a new field does
    /// not compile until it is placed here.
    pub fn redacted(self) -> Body {
        use crate::redact::redact;
        let r = |s: String| redact(&s);
        let ro = |s: Option<String>| s.map(|s| redact(&s));
        let rv = |v: Vec<String>| v.into_iter().map(|s| redact(&s)).collect();
        match self {
            Body::Opened { title, severity, services, drill } => {
                Body::Opened { title: r(title), severity: r(severity), services: rv(services), drill }
            }
            Body::Note { text } => Body::Note { text: r(text) },
            Body::Mark { milestone } => Body::Mark { milestone },
            Body::Severity { from, to, reason } => {
                Body::Severity { from: r(from), to: r(to), reason: ro(reason) }
            }
            Body::Role { role, name } => Body::Role { role: r(role), name: r(name) },
            Body::Runbook { runbook, sha256 } => Body::Runbook { runbook: r(runbook), sha256: ro(sha256) },
            Body::Phase { phase } => Body::Phase { phase },
            Body::Step { step, phase, outcome, choice, note, runbook } => Body::Step {
                step: r(step),
                phase,
                outcome,
                choice: ro(choice),
                note: ro(note),
                runbook: ro(runbook),
            },
            Body::Command {
                step,
                command,
                exit_code,
                output,
                truncated,
                duration_ms,
                runbook,
                timeout_s,
                timed_out,
                interrupted,
                signal,
                runbook_sha256,
            } => Body::Command {
                step: r(step),
                command: r(command),
                exit_code,
                output: r(output),
                truncated,
                duration_ms,
                runbook: ro(runbook),
                timeout_s,
                timed_out,
                interrupted,
                signal: ro(signal),
                runbook_sha256: ro(runbook_sha256),
            },
            Body::Action { title, owner, due, action_type, link } => Body::Action {
                title: r(title),
                owner: r(owner),
                due: ro(due),
                action_type: r(action_type),
                link: ro(link),
            },
            Body::ActionDone { action, note } => Body::ActionDone { action, note: ro(note) },
            Body::ActionDropped { action, reason } => Body::ActionDropped { action, reason: r(reason) },
            Body::Update { channel, message, status, eta } => {
                Body::Update { channel: r(channel), message: r(message), status, eta }
            }
            Body::Delivery {
                update,
                channel,
                attempt,
                delivered,
                http_status,
                exit_code,
                latency_ms,
                error,
            } => Body::Delivery {
                update,
                channel: r(channel),
                attempt,
                delivered,
                http_status,
                exit_code,
                latency_ms,
                error: ro(error),
            },
            Body::Retro { section, text } => Body::Retro { section: r(section), text: r(text) },
            Body::Impact { share, customers, failed_orders, tickets } => {
                Body::Impact { share, customers, failed_orders, tickets }
            }
            Body::Resolved { root_cause } => Body::Resolved { root_cause: ro(root_cause) },
            Body::Closed {} => Body::Closed {},
            Body::Amend { event, time, text } => Body::Amend { event, time, text: ro(text) },
            Body::Retract { event, reason } => Body::Retract { event, reason: r(reason) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the size limit was checked where a command made its event, so a writer
    /// that made its own events (`open`) skipped it. It lives where events are written now,
    /// and a refused append makes nothing, not even the incident's folder.
    #[test]
    fn an_event_over_the_limit_is_refused_by_append_and_nothing_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("incidents/x/events.jsonl");
        let at = Utc::now();
        let small = Event::new(Body::Note { text: "fits".into() }, "a", at, None);
        let huge = Event::new(Body::Note { text: "x".repeat(MAX_EVENT_BYTES) }, "a", at, None);
        match append(&log, &[small.clone(), huge]) {
            Err(Error::EventTooLarge { kind: "note", limit: MAX_EVENT_BYTES, .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(!log.parent().unwrap().exists(), "the folder was made");
        append(&log, &[small]).unwrap();
        assert_eq!(read(&log).unwrap().events.len(), 1);
    }

    fn every_kind() -> Vec<Body> {
        vec![
            Body::Opened {
                title: "t".into(),
                severity: "SEV1".into(),
                services: vec!["web".into()],
                drill: true,
            },
            Body::Note { text: "n".into() },
            Body::Mark { milestone: Milestone::Mitigated },
            Body::Severity { from: "SEV2".into(), to: "SEV1".into(), reason: Some("r".into()) },
            Body::Role { role: "commander".into(), name: "A".into() },
            Body::Runbook { runbook: "bad-deploy".into(), sha256: None },
            Body::Runbook { runbook: "bad-deploy".into(), sha256: Some("cd".repeat(32)) },
            Body::Phase { phase: Phase::Assess },
            Body::Step {
                step: "s".into(),
                phase: Phase::Diagnose,
                outcome: Outcome::Done,
                choice: Some("yes".into()),
                note: Some("n".into()),
                runbook: Some("bad-deploy".into()),
            },
            Body::Command {
                step: "s".into(),
                command: "ls".into(),
                exit_code: Some(3),
                output: "o".into(),
                truncated: true,
                duration_ms: 12,
                runbook: None,
                timeout_s: None,
                timed_out: false,
                interrupted: false,
                signal: None,
                runbook_sha256: None,
            },
            Body::Command {
                step: "s".into(),
                command: "yes".into(),
                exit_code: None,
                output: "y\n[… 9 bytes of output dropped …]\ny\n".into(),
                truncated: true,
                duration_ms: 5012,
                runbook: Some("bad-deploy".into()),
                timeout_s: Some(5),
                timed_out: true,
                interrupted: false,
                signal: None,
                runbook_sha256: Some("ab".repeat(32)),
            },
            Body::Action {
                title: "a".into(),
                owner: "o".into(),
                due: Some("2026-12-01".into()),
                action_type: "prevent".into(),
                link: Some("https://tracker.example.com/OPS-1".into()),
            },
            Body::Action {
                title: "a".into(),
                owner: "o".into(),
                due: None,
                action_type: "process".into(),
                link: None,
            },
            Body::ActionDone { action: "a1".into(), note: Some("n".into()) },
            Body::ActionDone { action: "a1".into(), note: None },
            Body::ActionDropped { action: "a2".into(), reason: "r".into() },
            Body::Update {
                channel: "status-page".into(),
                message: "m".into(),
                status: Some(PublicStatus::Identified),
                eta: Some(Utc::now()),
            },
            Body::Delivery {
                update: "u1".into(),
                channel: "status-page".into(),
                attempt: 2,
                delivered: false,
                http_status: Some(503),
                exit_code: None,
                latency_ms: 120,
                error: Some("HTTP 503".into()),
            },
            Body::Retro { section: "lucky".into(), text: "t".into() },
            Body::Impact { share: Some(7.5), customers: Some(120), failed_orders: None, tickets: Some(3) },
            Body::Resolved { root_cause: Some("rc".into()) },
            Body::Closed {},
            Body::Amend { event: "e1".into(), time: Some(Utc::now()), text: Some("t".into()) },
            Body::Amend { event: "e1".into(), time: None, text: None },
            Body::Retract { event: "e2".into(), reason: "r".into() },
        ]
    }

    /// Regression (issue 13): a role's name and an action's owner were logged unredacted. Every
    /// string field of every kind, planted with a secret, is redacted, except the references to
    /// other events (and the fields whose type refuses the planted text: enums).
    #[test]
    fn every_string_field_of_every_kind_is_redacted() {
        const SECRET: &str = "password=PlantedLeak9";
        const REFERENCES: [&str; 4] = ["kind", "action", "event", "update"];
        let mut planted = 0;
        for body in every_kind() {
            let value = serde_json::to_value(&body).unwrap();
            let fields: Vec<(String, serde_json::Value)> =
                value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for (key, v) in fields {
                let with = match v {
                    serde_json::Value::String(_) => serde_json::Value::String(SECRET.into()),
                    serde_json::Value::Array(a) if a.iter().all(serde_json::Value::is_string) => {
                        serde_json::json!([SECRET])
                    }
                    _ => continue,
                };
                let mut value = value.clone();
                value[key.as_str()] = with;
                let Ok(b) = serde_json::from_value::<Body>(value) else { continue };
                let line = serde_json::to_string(&b.redacted()).unwrap();
                if REFERENCES.contains(&key.as_str()) {
                    continue;
                }
                planted += 1;
                assert!(!line.contains("PlantedLeak9"), "{key} of {}: {line}", body.kind());
            }
        }
        assert!(planted > 25, "only {planted} fields planted");
    }

    #[test]
    fn round_trip_every_kind() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T14:02:00Z").map(|t| t.with_timezone(&Utc)).unwrap();
        for body in every_kind() {
            let e = Event::new(body, "me", at, Some(at + chrono::Duration::minutes(1)));
            let line = serde_json::to_string(&e).unwrap();
            let back: Event = serde_json::from_str(&line).unwrap();
            assert_eq!(back, e, "{line}");
        }
    }

    /// Logs written before timeouts and runbook digests still read, with the new fields at
    /// their defaults.
    #[test]
    fn command_and_runbook_events_of_older_logs_still_read() {
        let old = r#"{"id":"a","at":"2026-11-27T14:02:00Z","by":"me","kind":"command","step":"s","command":"ls","exit_code":0,"output":"o","truncated":false,"duration_ms":3}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert!(matches!(
            e.body,
            Body::Command { timeout_s: None, timed_out: false, interrupted: false, runbook_sha256: None, .. }
        ));
        let old = r#"{"id":"b","at":"2026-11-27T14:02:00Z","by":"me","kind":"runbook","runbook":"r"}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert!(matches!(e.body, Body::Runbook { sha256: None, .. }));
    }

    fn line(body: Body) -> String {
        let at = DateTime::parse_from_rfc3339("2026-11-27T14:02:00Z").map(|t| t.with_timezone(&Utc)).unwrap();
        serde_json::to_string(&Event::new(body, "me", at, None)).unwrap()
    }

    /// Nothing bricks an incident: a bad line mid-file is skipped and named, the rest is read.
    #[test]
    fn unreadable_lines_are_skipped_and_named() {
        let (a, b) = (line(Body::Note { text: "a".into() }), line(Body::Note { text: "b".into() }));
        let torn = &a[..a.len() / 2];
        let text = format!("{a}\n{{not json\n\n{torn}\n[1,2]\n{{\"kind\":\"nope\"}}\n{b}\n");
        let log = parse(text.as_bytes());
        assert_eq!(log.events.len(), 2);
        assert_eq!(log.unreadable.iter().map(|u| u.line).collect::<Vec<_>>(), [2, 4, 5, 6]);
        assert!(log.unreadable.iter().all(|u| !u.reason.is_empty()));
        assert_eq!(log.torn_line, None);
    }

    #[test]
    fn torn_last_line_is_still_only_torn() {
        let a = line(Body::Note { text: "a".into() });
        let log = parse(format!("{a}\n{}", &a[..10]).as_bytes());
        assert_eq!((log.events.len(), log.unreadable.len(), log.torn_line), (1, 0, Some(2)));
        // Whole but for its newline: kept.
        let log = parse(format!("{a}\n{a}").as_bytes());
        assert_eq!((log.events.len(), log.torn_line), (2, None));
        let log = parse(b"\xff\xfe");
        assert_eq!((log.events.len(), log.unreadable.len(), log.torn_line), (0, 0, Some(1)));
    }

    #[test]
    fn rejecting_moves_bad_lines_byte_for_byte_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (path, rejected) = (dir.path().join("events.jsonl"), dir.path().join("rejected.jsonl"));
        let (a, b) = (line(Body::Note { text: "a".into() }), line(Body::Note { text: "b".into() }));
        let text = format!("{a}\n{{bad\\x\r\n\n{b}\r\n\u{e9}t\u{e9}\n{}", &b[..7]);
        std::fs::write(&path, &text).unwrap();
        std::fs::write(&rejected, "old\n").unwrap();
        let moved = reject_unreadable(&path, &rejected).unwrap();
        assert_eq!(moved.iter().map(|m| m.0).collect::<Vec<_>>(), [2, 5, 6]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{a}\n\n{b}\r\n"));
        let expected = format!("old\n{{bad\\x\r\n\u{e9}t\u{e9}\n{}\n", &b[..7]);
        assert_eq!(std::fs::read_to_string(&rejected).unwrap(), expected);
        // Nothing left to move: nothing changes.
        assert!(reject_unreadable(&path, &rejected).unwrap().is_empty());
        assert_eq!(std::fs::read_to_string(&rejected).unwrap(), expected);
        append(&path, &[]).unwrap();
    }

    /// A writer that waited for the lock while the log was replaced by renaming appends to the
    /// new log, not to the unlinked old one (where its event would be lost).
    #[test]
    fn a_writer_waiting_through_a_rewrite_appends_to_the_new_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let a = line(Body::Note { text: "a".into() });
        std::fs::write(&path, format!("{a}\nbad\n")).unwrap();
        let held = open_locked(&path, false).unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                let at = Utc::now();
                append(&path, &[Event::new(Body::Note { text: "late".into() }, "w", at, None)]).unwrap();
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        crate::fsutil::write_atomic(&path, format!("{a}\n").as_bytes()).unwrap();
        drop(held);
        writer.join().unwrap();
        let log = read(&path).unwrap();
        assert_eq!(log.events.len(), 2, "{:?}", std::fs::read_to_string(&path));
        assert!(log.unreadable.is_empty());
    }
}

//! The log on disk under its lock: appends of whole lines with fsync, a torn last line
//! repaired, unreadable lines moved to `rejected.jsonl`, and a sync's result merged in.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::parse::{MAX_EVENT_BYTES, Record, complete_prefix, line_key, lines_of, without_unreadable_as};
use super::{Event, Incoming, SetAside, union_checked, union_raw};
use crate::error::{Error, InputError, Result, SystemError};

/// Moves every unreadable line of the log at `path` (complete lines that do not parse, and a
/// torn last line) to the end of `rejected` (created when needed, never truncated), then
/// replaces the log by a copy without them: a temp file, fsync, rename, under the lock appends
/// take. Every other byte stays as it was. The lines are found again under the lock, so a
/// write that landed since the caller looked is never taken for one. Returns the lines moved
/// (their numbers in the old log, and their bytes without the newline).
pub fn reject_unreadable(path: &Path, rejected: &Path) -> Result<Vec<(usize, Vec<u8>)>> {
    reject_unreadable_as::<Event>(path, rejected)
}

/// [`reject_unreadable`] for a log of records of type `T` (the changes log).
pub fn reject_unreadable_as<T: Record>(path: &Path, rejected: &Path) -> Result<Vec<(usize, Vec<u8>)>> {
    let io = |e| -> Error { SystemError::Io { path: path.to_path_buf(), source: e }.into() };
    let mut file = open_locked(path, false)?;
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.read_to_end(&mut bytes).map_err(io)?;
    let (keep, moved) = without_unreadable_as::<T>(&bytes);
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
pub(super) fn open_locked(path: &Path, create: bool) -> Result<File> {
    let io = |e| -> Error { SystemError::Io { path: path.to_path_buf(), source: e }.into() };
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

/// Appends whole events under an exclusive lock, then fsyncs. A torn last line is cut off
/// (or, if it parses, completed with its newline) before writing, so it never hides the
/// next event. Returns the line number of a torn line that was removed.
///
/// Then, still under the lock, calls `then(before, after)` with the log's metadata before
/// and after the write: so a cache of the log (the incident's head) follows every append in
/// the order they happened, and costs what the new events cost, not what the log does.
pub fn append_then<T: Record>(
    path: &Path,
    events: &[T],
    then: impl FnOnce(&std::fs::Metadata, &std::fs::Metadata),
) -> Result<Option<usize>> {
    let io = |e| -> Error { SystemError::Io { path: path.to_path_buf(), source: e }.into() };
    // Every event is checked against the limit before anything is made or written: the limit
    // lives here, where every writer's events pass, so none can skip it.
    let mut buf = Vec::with_capacity(256 * events.len());
    for e in events {
        let start = buf.len();
        serde_json::to_writer(&mut buf, e)
            .map_err(|e| SystemError::Io { path: path.to_path_buf(), source: e.into() })?;
        let bytes = buf.len() - start;
        if bytes > MAX_EVENT_BYTES {
            return Err(InputError::EventTooLarge { kind: e.kind(), bytes, limit: MAX_EVENT_BYTES }.into());
        }
        buf.push(b'\n');
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let created = !path.exists();
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let mut file = open_locked(path, true)?;
    let removed = repair_tail::<T>(path, &mut file)?;
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
    merge_into_as::<Event>(path, merged, now)
}

/// [`merge_into`] for a log of records of type `T` (the changes log).
pub fn merge_into_as<T: Record>(
    path: &Path,
    merged: &[u8],
    now: DateTime<Utc>,
) -> Result<(usize, Vec<SetAside>)> {
    let io = |e| -> Error { SystemError::Io { path: path.to_path_buf(), source: e }.into() };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let mut file = open_locked(path, true)?;
    repair_tail::<T>(path, &mut file)?;
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
    let io = |e| -> Error { SystemError::Io { path: from.to_path_buf(), source: e }.into() };
    let mut file = match open_locked(from, false) {
        Ok(f) => f,
        Err(Error::System(SystemError::Io { source, .. }))
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
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

fn repair_tail<T: Record>(path: &Path, file: &mut File) -> Result<Option<usize>> {
    let io = |e| -> Error { SystemError::Io { path: path.to_path_buf(), source: e }.into() };
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
    if serde_json::from_slice::<T>(tail).is_ok() {
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

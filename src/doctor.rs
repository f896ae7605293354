//! `incident doctor`: what in a repository would make a command skip, refuse or
//! lie, found without following a single symlink, and the repairs that are safe to make.
//!
//! Nothing here loses data: unreadable log lines move to `incidents/<id>/rejected.jsonl`
//! (appended, never truncated), a folder is removed only when empty, a symlink is unlinked
//! (never its target), a temp file only when the process that wrote it is gone, a cache
//! only because the next command rebuilds it, and a git lock only when a sync or commit of
//! ours that was killed made it (`repo`'s markers say so) and no git runs in the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, RepoError};
use crate::events;
use crate::index;
use crate::repo::Repo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A symlink inside `incidents/`, or in place of a cache under `.git/`: no command
    /// follows it.
    Symlink,
    /// A complete line of a log that cannot be read.
    UnreadableLine,
    /// An incomplete last line (a crash mid-write).
    TornLine,
    /// A log without a readable `opened` event: not an incident any command can read.
    NoOpenedEvent,
    /// An incident folder without `events.jsonl` (an interrupted `open`).
    NoLog,
    /// A temp file of an atomic write whose process is gone.
    TempFile,
    /// A cache under `.git/` whose entries do not match the logs.
    StaleCache,
    /// An event dated before 1970 or more than a day after now (edited by hand, or written
    /// by a machine with a wrong clock and brought in by a sync): every duration and figure
    /// computed from it is wrong.
    ImpossibleTime,
    /// An event logged (`at`) before its incident's opening was: the machine that wrote it
    /// had a clock running slow, and what it says happened may be misplaced (a "resolved"
    /// update before the opening is ignored by the public state).
    BeforeOpening,
    /// A line a sync set aside in `rejected.jsonl` instead of taking it into the log (over a
    /// limit, or another version of an event already there): kept for a person to look at.
    SetAside,
    /// A git lock file (`.git/index.lock`, `.git/refs/heads/main.lock`…) left by a sync or
    /// commit of ours that was killed: every git write refuses while it is there.
    GitLock,
    /// A git lock file nothing of ours accounts for: a git command using the repository now,
    /// or one that was killed. Only a person can tell.
    ForeignGitLock,
    /// The mark of a sync or commit of ours that was killed (`.git/incident-sync.*.running`).
    StaleMarker,
}

/// One problem: `doctor` prints one a line, `--json` an array of these.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// Relative to the repository's root when inside it.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
    pub fixed: bool,
    /// What `--fix` would do, or what to do by hand.
    #[serde(skip)]
    pub hint: &'static str,
    /// What `--fix` did, or why it left the problem alone.
    #[serde(skip)]
    pub outcome: Option<String>,
    #[serde(skip)]
    abs: PathBuf,
}

impl Finding {
    fn new(repo: &Repo, kind: Kind, abs: &Path, line: Option<usize>, message: String) -> Finding {
        let path = abs.strip_prefix(&repo.root).unwrap_or(abs).display().to_string();
        let hint = match kind {
            Kind::Symlink => "--fix removes the link, never its target",
            Kind::UnreadableLine | Kind::TornLine => "--fix moves it to rejected.jsonl",
            Kind::NoOpenedEvent => "restore the `opened` event from git history (`git log -p` on the file)",
            Kind::NoLog => {
                "--fix removes the folder when empty; else look inside, then restore its log or remove it"
            }
            Kind::TempFile => "--fix removes it",
            Kind::StaleCache => "deleting it is safe, the next command rebuilds it; --fix does",
            Kind::SetAside => {
                "kept, never part of the incident; if it holds a real fact, log it again, then delete the line"
            }
            Kind::ImpossibleTime => {
                "not fixed by --fix (the event may hold a real fact): correct it with `incident amend ID --at T`, or `incident retract ID`"
            }
            Kind::BeforeOpening => {
                "not fixed by --fix: if the fact's time is wrong, `incident amend ID --at T`; if it is not true, `incident retract ID`"
            }
            Kind::GitLock => "--fix removes it (so does the next `incident sync`)",
            Kind::ForeignGitLock => {
                "not removed by --fix: if no git command is running in this repository, remove it by hand (`rm PATH`)"
            }
            Kind::StaleMarker => "--fix removes it (so does the next `incident sync`)",
        };
        Finding { kind, path, line, message, fixed: false, hint, outcome: None, abs: abs.to_path_buf() }
    }

    /// `path[:line]: message`, as compilers print.
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        }
    }

    fn done(&mut self, outcome: impl Into<String>) {
        self.fixed = true;
        self.outcome = Some(outcome.into());
    }

    fn left(&mut self, why: impl Into<String>) {
        self.outcome = Some(why.into());
    }
}

/// Every problem in the repository, in a stable order (by path, then line).
pub fn check(repo: &Repo) -> Vec<Finding> {
    let mut out = Vec::new();
    let incidents = repo.incidents_dir();
    let linked = std::fs::symlink_metadata(&incidents).is_ok_and(|m| m.is_symlink());
    if linked {
        // Not followed, and not removed either: it may be how someone keeps every incident.
        let mut f = symlink(repo, &incidents);
        f.message = f.message.replace("inside incidents/", "in place of incidents/");
        f.hint = "no command reads through it: replace it by the folder it points to";
        out.push(f);
    }
    let listed = if linked { Vec::new() } else { entries(&incidents) };
    for (path, meta) in listed {
        if meta.is_symlink() {
            out.push(symlink(repo, &path));
        } else if meta.is_dir() {
            check_incident(repo, &path, &mut out);
        } else if let Some(f) = temp_file(repo, &path) {
            out.push(f);
        }
    }
    // Temp files of the caches' own atomic replacements, in git's folder; and links planted
    // in place of a cache (or a head), which no command uses or writes through.
    if let Some(git_dir) = repo.git_dir() {
        let heads = git_dir.join("incident-heads");
        let heads_linked = std::fs::symlink_metadata(&heads).is_ok_and(|m| m.is_symlink());
        let in_heads = if heads_linked { Vec::new() } else { entries(&heads) };
        for (path, meta) in entries(&git_dir).into_iter().chain(in_heads) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let in_heads = path.parent() == Some(heads.as_path());
            if meta.is_symlink() && (in_heads || name.starts_with("incident-")) {
                out.push(cache_symlink(repo, &path));
            } else if name.starts_with(".incident-") && meta.is_file() {
                out.extend(temp_file(repo, &path));
            }
        }
    }
    check_changes(repo, &mut out);
    git_leftovers(repo, &mut out);
    for stale in index::stale_caches(repo) {
        let more = match stale.reasons.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let first = stale.reasons.first().cloned().unwrap_or_default();
        let message = format!("stale cache: {first}{more}");
        out.push(Finding::new(repo, Kind::StaleCache, &stale.path, None, message));
    }
    out.sort_by(|a, b| (&a.path, a.line, a.kind).cmp(&(&b.path, b.line, b.kind)));
    out
}

/// A folder's entries, sorted, with their own metadata (a symlink is seen as one).
fn entries(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut v: Vec<(PathBuf, std::fs::Metadata)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            std::fs::symlink_metadata(&path).ok().map(|m| (path, m))
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn symlink(repo: &Repo, path: &Path) -> Finding {
    let target = std::fs::read_link(path).map(|t| format!(" (to {})", t.display())).unwrap_or_default();
    let message = format!("symlink inside incidents/{target}, never followed");
    Finding::new(repo, Kind::Symlink, path, None, message)
}

fn cache_symlink(repo: &Repo, path: &Path) -> Finding {
    let target = std::fs::read_link(path).map(|t| format!(" (to {})", t.display())).unwrap_or_default();
    let message = format!("symlink in place of a cache{target}, never used or written through");
    Finding::new(repo, Kind::Symlink, path, None, message)
}

fn check_incident(repo: &Repo, dir: &Path, out: &mut Vec<Finding>) {
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Not `Repo::events_path`: doctor looks at what is there, links and odd names included.
    let log = dir.join("events.jsonl");
    match std::fs::symlink_metadata(&log) {
        Err(_) => {
            // Stale temp files go first under --fix: a folder holding only those is empty.
            let empty = entries(dir).iter().all(|(p, m)| m.is_file() && temp_file(repo, p).is_some());
            let what = if empty { "empty" } else { "not empty" };
            let message = format!("incident folder without events.jsonl (an interrupted `open`?), {what}");
            out.push(Finding::new(repo, Kind::NoLog, dir, None, message));
        }
        Ok(meta) if meta.is_file() => {
            check_log(repo, &id, &log, out);
            set_aside(repo, &events::rejected_path(&log), out);
        }
        Ok(meta) if meta.is_symlink() => {} // listed below, with the folder's other entries
        Ok(_) => out.push(Finding::new(repo, Kind::NoLog, dir, None, "events.jsonl is not a file".into())),
    }
    walk(repo, dir, out);
}

/// Symlinks and temp files anywhere below an incident's folder.
fn walk(repo: &Repo, dir: &Path, out: &mut Vec<Finding>) {
    for (path, meta) in entries(dir) {
        if meta.is_symlink() {
            out.push(symlink(repo, &path));
        } else if meta.is_dir() {
            walk(repo, &path, out);
        } else if let Some(f) = temp_file(repo, &path) {
            out.push(f);
        }
    }
}

fn check_log(repo: &Repo, id: &str, log: &Path, out: &mut Vec<Finding>) {
    // Not through a symlink (the folders above were checked by the caller's listing).
    let bytes = match crate::fsutil::read(log).map_err(Error::io(log)) {
        Ok(bytes) => bytes,
        Err(e) => {
            // Unreadable as a whole (permissions?): nothing to fix here, but say so.
            out.push(Finding::new(
                repo,
                Kind::UnreadableLine,
                log,
                None,
                format!("cannot read the log: {e}"),
            ));
            return;
        }
    };
    let read = events::parse(&bytes);
    for u in &read.unreadable {
        let message = format!("unreadable line ({})", u.reason);
        out.push(Finding::new(repo, Kind::UnreadableLine, log, Some(u.line), message));
    }
    if let Some(line) = read.torn_line {
        let message = "incomplete last line (a crash mid-write?)".to_string();
        out.push(Finding::new(repo, Kind::TornLine, log, Some(line), message));
    }
    impossible_times(repo, id, log, &bytes, out);
    if let Err(Error::Repo(RepoError::NoOpenedEvent { .. })) = index::load(repo, id) {
        let message = "no readable `opened` event, so no command can read this incident".to_string();
        out.push(Finding::new(repo, Kind::NoOpenedEvent, log, None, message));
    }
}

/// The changes logs' unreadable and torn lines, and what a sync set aside from them.
fn check_changes(repo: &Repo, out: &mut Vec<Finding>) {
    for log in crate::changes::log_files(repo).unwrap_or_default() {
        if std::fs::symlink_metadata(&log).is_ok_and(|m| m.is_symlink()) {
            out.push(symlink(repo, &log));
            continue;
        }
        let read = match events::read_as::<crate::changes::Change>(&log) {
            Ok(read) => read,
            Err(e) => {
                let message = format!("cannot read the log: {e}");
                out.push(Finding::new(repo, Kind::UnreadableLine, &log, None, message));
                continue;
            }
        };
        for u in &read.unreadable {
            let message = format!("unreadable line ({})", u.reason);
            out.push(Finding::new(repo, Kind::UnreadableLine, &log, Some(u.line), message));
        }
        if let Some(line) = read.torn_line {
            let message = "incomplete last line (a crash mid-write?)".to_string();
            out.push(Finding::new(repo, Kind::TornLine, &log, Some(line), message));
        }
    }
    set_aside(repo, &repo.root.join(crate::changes::DIR).join("rejected.jsonl"), out);
}

/// Every line a sync set aside in `rejected.jsonl` (its records carry `set_aside`, the reason);
/// the raw lines `--fix` moved there were named when they were found.
fn set_aside(repo: &Repo, rejected: &Path, out: &mut Vec<Finding>) {
    #[derive(serde::Deserialize)]
    struct Record {
        set_aside: String,
    }
    let Ok(bytes) = crate::fsutil::read(rejected) else { return };
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if let Ok(r) = serde_json::from_slice::<Record>(line) {
            let message = format!("an incoming line a sync set aside: {}", crate::ui::visible(&r.set_aside));
            out.push(Finding::new(repo, Kind::SetAside, rejected, Some(n + 1), message));
        }
    }
}

/// Every event of the log dated before 1970-01-01 or more than a day after now: what a
/// command refuses when given (`--at`), but a hand edit or another machine's clock can
/// write; and every event logged before the incident's opening was, by a clock running
/// slow. An event corrected since (retracted, or its time amended) is not one any more.
fn impossible_times(repo: &Repo, id: &str, log: &Path, bytes: &[u8], out: &mut Vec<Finding>) {
    let now = chrono::Utc::now();
    let latest = now + chrono::Duration::days(1);
    let earliest = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let read: Vec<(usize, events::Event)> = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(n, line)| serde_json::from_slice::<events::Event>(line).ok().map(|e| (n, e)))
        .collect();
    let corrected: std::collections::HashSet<&str> = read
        .iter()
        .filter_map(|(_, e)| match &e.body {
            events::Body::Retract { event, .. } | events::Body::Amend { event, time: Some(_), .. } => {
                Some(event.as_str())
            }
            _ => None,
        })
        .collect();
    for (n, e) in read.iter().filter(|(_, e)| !corrected.contains(e.id.as_str())) {
        for (what, t) in [("logged", Some(e.at)), ("occurred", e.occurred_at)] {
            let Some(t) = t.filter(|t| *t < earliest || *t > latest) else { continue };
            let message = format!(
                "event {} ({}) {what} at {}, {}",
                e.id.chars().take(8).collect::<String>(),
                e.body.kind(),
                crate::timefmt::rfc3339(t),
                if t < earliest { "before 1970" } else { "in the future" }
            );
            out.push(Finding::new(repo, Kind::ImpossibleTime, log, Some(n + 1), message));
        }
    }
    let opened = read
        .iter()
        .filter(|(_, e)| matches!(e.body, events::Body::Opened { .. }) && !corrected.contains(e.id.as_str()))
        .map(|(_, e)| e.at)
        .min();
    let Some(opened) = opened else { return };
    let slow =
        read.iter().filter(|(_, e)| e.at < opened && e.at >= earliest && !corrected.contains(e.id.as_str()));
    for (n, e) in slow {
        let message = format!(
            "event {} ({}) logged at {}, before incident {id} was opened at {}: the clock that stamped it ran slow",
            e.id.chars().take(8).collect::<String>(),
            e.body.kind(),
            crate::timefmt::rfc3339(e.at),
            crate::timefmt::rfc3339(opened)
        );
        out.push(Finding::new(repo, Kind::BeforeOpening, log, Some(n + 1), message));
    }
}

/// git locks in the way of every write, and the marks of writers of ours that were killed.
fn git_leftovers(repo: &Repo, out: &mut Vec<Finding>) {
    let found = repo.git_leftovers();
    for lock in &found.killed {
        let mut f = Finding::new(
            repo,
            Kind::GitLock,
            lock,
            None,
            "git lock left by an `incident` sync or commit that was killed; git refuses to write while it is there"
                .into(),
        );
        if found.git_running {
            f.message.push_str(" (a git command is running in this repository now)");
            f.hint = "--fix leaves it while git runs in this repository; run `incident doctor --fix` again when it ends";
        }
        out.push(f);
    }
    for lock in &found.foreign {
        let message =
            "git lock file: a git command is using the repository, or one was killed and left it".to_string();
        out.push(Finding::new(repo, Kind::ForeignGitLock, lock, None, message));
    }
    for marker in &found.markers {
        let message = "left by an `incident` sync or commit that was killed".to_string();
        out.push(Finding::new(repo, Kind::StaleMarker, marker, None, message));
    }
}

/// A temp file of [`crate::fsutil`]'s atomic writes (`.NAME.PID.tmp`) whose process is gone.
fn temp_file(repo: &Repo, path: &Path) -> Option<Finding> {
    let pid = crate::fsutil::temp_pid(path)?;
    if pid.is_some_and(alive) {
        return None; // a write in progress
    }
    let message = "temporary file left by an interrupted write".to_string();
    Some(Finding::new(repo, Kind::TempFile, path, None, message))
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn alive(_: u32) -> bool {
    false
}

/// Repairs what is safe to repair, in an order where one repair helps the next (links first,
/// so nothing after follows one; temp files before empty folders). Each finding says what
/// was done, or why not.
pub fn fix(repo: &Repo, findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.kind == Kind::Symlink) {
        if f.path == "incidents" {
            f.left("left in place: replace it by the folder it points to");
            continue;
        }
        // Only if it is still a link: `remove_file` on a link removes the link, not its target.
        let still = std::fs::symlink_metadata(&f.abs).is_ok_and(|m| m.is_symlink());
        match still.then(|| std::fs::remove_file(&f.abs)) {
            Some(Ok(())) => f.done("link removed"),
            Some(Err(e)) => f.left(format!("not removed: {e}")),
            None => f.done("already gone"),
        }
    }
    for f in findings.iter_mut().filter(|f| f.kind == Kind::TempFile) {
        if crate::fsutil::temp_pid(&f.abs).flatten().is_some_and(alive) {
            f.left("its process is running again; left alone");
            continue;
        }
        match std::fs::remove_file(&f.abs) {
            Ok(()) => f.done("removed"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => f.done("already gone"),
            Err(e) => f.left(format!("not removed: {e}")),
        }
    }
    if findings.iter().any(|f| matches!(f.kind, Kind::GitLock | Kind::StaleMarker)) {
        // Found again and removed under the writers' lock: what was a killed writer's a moment
        // ago is still one, and nothing of ours started since.
        let cleared = repo.clear_git_leftovers();
        let gone: Vec<&PathBuf> = if cleared.git_running {
            Vec::new()
        } else {
            cleared.killed.iter().chain(&cleared.markers).collect()
        };
        for f in findings.iter_mut().filter(|f| matches!(f.kind, Kind::GitLock | Kind::StaleMarker)) {
            if gone.contains(&&f.abs) {
                f.done("removed");
            } else if !f.abs.exists() {
                f.done("already gone");
            } else if cleared.git_running {
                f.left("left in place: a git command is running in this repository");
            } else {
                f.left("left in place: a sync or commit of incident started meanwhile");
            }
        }
    }
    for f in findings.iter_mut().filter(|f| f.kind == Kind::ForeignGitLock) {
        f.left("left in place: remove it by hand if no git command is running here");
    }
    let mut logs: BTreeMap<PathBuf, Vec<&mut Finding>> = BTreeMap::new();
    for f in findings.iter_mut() {
        if matches!(f.kind, Kind::UnreadableLine | Kind::TornLine) && f.line.is_some() {
            logs.entry(f.abs.clone()).or_default().push(f);
        }
    }
    for (log, lines) in logs {
        let rejected = events::rejected_path(&log);
        let shown = events::rejected_path(Path::new(&lines[0].path)).display().to_string();
        let changes_log = log.parent() == Some(repo.root.join(crate::changes::DIR).as_path());
        let moved = if changes_log {
            events::reject_unreadable_as::<crate::changes::Change>(&log, &rejected)
        } else {
            events::reject_unreadable(&log, &rejected)
        };
        match moved {
            Ok(moved) => {
                // The log was rewritten: its head starts again from a fold.
                if !changes_log
                    && let Some(id) = log.parent().and_then(|d| d.file_name()).and_then(|n| n.to_str())
                {
                    crate::head::forget(repo, id);
                }
                for f in lines {
                    if moved.iter().any(|(line, _)| Some(*line) == f.line) {
                        f.done(format!("moved to {shown}"));
                    } else {
                        f.left("no longer unreadable (written since?); left alone");
                    }
                }
            }
            Err(e) => lines.into_iter().for_each(|f| f.left(format!("not moved: {e}"))),
        }
    }
    for f in findings.iter_mut() {
        match f.kind {
            Kind::NoLog => match std::fs::remove_dir(&f.abs) {
                Ok(()) => f.done("empty folder removed"),
                Err(_) => f.left("not empty: left in place"),
            },
            Kind::StaleCache => match std::fs::remove_file(&f.abs) {
                Ok(()) => f.done("deleted"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => f.done("already gone"),
                Err(e) => f.left(format!("not deleted: {e}")),
            },
            Kind::NoOpenedEvent => f.left("not fixed: restore the `opened` event from git history"),
            Kind::ImpossibleTime | Kind::BeforeOpening => {
                f.left("not fixed: amend or retract it (it may hold a real fact)");
            }
            Kind::SetAside => f.left("not fixed: a person reads it, then deletes the line"),
            Kind::UnreadableLine if f.line.is_none() => f.left("not fixed"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_those_fsutil_writes() {
        assert_eq!(crate::fsutil::temp_pid(Path::new("x/.postmortem.md.4242.tmp")), Some(Some(4242)));
        assert_eq!(crate::fsutil::temp_pid(Path::new(".events.jsonl.tmp")), Some(None));
        assert_eq!(crate::fsutil::temp_pid(Path::new("postmortem.md.1.tmp")), None);
        assert_eq!(crate::fsutil::temp_pid(Path::new(".tmp")), None);
        assert_eq!(crate::fsutil::temp_pid(Path::new("events.jsonl")), None);
    }

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX));
    }
}

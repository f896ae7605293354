//! Changes (a deploy, a configuration push) recorded beside the incidents: most outages follow
//! one, and "what changed before it broke?" is the first question of a response. They live in
//! `changes/<yyyy-mm>.jsonl` (the month of the change's start, UTC), one JSON object a line,
//! append-only: written, read, repaired and joined by a sync with the event logs' own code
//! (`events::append_then`, `events::parse_as`, `events::merge_into_as`), so they have the
//! same durability (a lock, whole lines, fsync), the same limits and the same tolerance of a
//! line that cannot be read.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::{Log, Record, ts, ts_opt};
use crate::repo::Repo;

/// The folder of the changes logs, at the repository's root.
pub const DIR: &str = crate::repo::CHANGES_DIR;

/// One change, as its line in the log holds it (and `changes --json` prints it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: String,
    pub title: String,
    pub services: Vec<String>,
    /// When it started (or was made, for one recorded with `change add`).
    #[serde(with = "ts")]
    pub at: DateTime<Utc>,
    /// When the command that made it ended; `None` for a change made elsewhere.
    #[serde(default, with = "ts_opt")]
    pub ended_at: Option<DateTime<Utc>>,
    /// The command's exit code; `None` when it was killed, or the change was made elsewhere.
    #[serde(default)]
    pub exit: Option<i32>,
    pub by: String,
    #[serde(default)]
    pub link: Option<String>,
    /// The command that made it (`change record`), as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its output, redacted, the middle dropped past the runner's cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// How it ended when it did not exit: `timed out after 10m`, `interrupted (Ctrl-C)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<String>,
}

impl Record for Change {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "change"
    }
}

/// What a change is made from, before it gets an id and is redacted.
#[derive(Debug, Clone, Default)]
pub struct NewChange {
    pub title: String,
    pub services: Vec<String>,
    pub at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub exit: Option<i32>,
    pub by: String,
    pub link: Option<String>,
    pub command: Option<String>,
    pub output: Option<String>,
    pub ending: Option<String>,
}

impl Change {
    /// A change with a fresh id, every text redacted (title, who, link, command, output):
    /// the one door a change is made through, so none reaches the log unredacted.
    pub fn new(c: NewChange) -> Change {
        let r = |s: &str| crate::redact::redact(s);
        Change {
            id: uuid::Uuid::new_v4().simple().to_string(),
            title: r(&c.title),
            services: c.services.iter().map(|s| r(s)).collect(),
            at: c.at,
            ended_at: c.ended_at,
            exit: c.exit,
            by: r(&c.by),
            link: c.link.as_deref().map(r),
            command: c.command.as_deref().map(r),
            output: c.output.as_deref().map(r),
            ending: c.ending,
        }
    }

    /// Whether it touched one of `services` (every change does when the list is empty).
    pub fn touches(&self, services: &[String]) -> bool {
        services.is_empty() || self.services.iter().any(|s| services.contains(s))
    }

    /// How it ended, in words: `exit 0`, `timed out after 10m`, or nothing for one made
    /// elsewhere.
    pub fn outcome(&self) -> String {
        match (self.exit, &self.ending) {
            (Some(c), _) => format!("exit {c}"),
            (None, Some(e)) => e.clone(),
            (None, None) => String::new(),
        }
    }
}

/// The changes as a table: when, services, title, how it ended, who, link.
pub fn table(changes: &[&Change]) -> crate::ui::Table {
    let mut t = crate::ui::table(&["Started (UTC)", "Services", "Change", "Ended", "By", "Link"]);
    for c in changes {
        let ended = match (c.ended_at, c.outcome()) {
            (Some(e), o) => format!("{} ({o})", crate::timefmt::table(e)),
            (None, o) => o,
        };
        t.add_row([
            crate::timefmt::table(c.at),
            c.services.join(", "),
            c.title.clone(),
            ended,
            c.by.clone(),
            c.link.clone().unwrap_or_default(),
        ]);
    }
    t
}

/// `changes/<yyyy-mm>.jsonl` for the month of `at` (UTC).
pub fn month_file(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}.jsonl", at.year(), at.month())
}

/// Whether `name` (a file name in `changes/`) is a month's log: `yyyy-mm.jsonl`.
pub fn is_month_file(name: &str) -> bool {
    crate::repo::is_changes_month(name)
}

/// The month's log of `at` in the repository, never through a symlink.
pub fn log_path(repo: &Repo, at: DateTime<Utc>) -> Result<PathBuf> {
    let path = repo.root.join(DIR).join(month_file(at));
    crate::fsutil::no_symlinks(&repo.root, &path)?;
    Ok(path)
}

/// Appends a change to its month's log, under the lock event logs take, durably.
pub fn append(repo: &Repo, change: &Change) -> Result<()> {
    let path = log_path(repo, change.at)?;
    crate::events::append_then(&path, std::slice::from_ref(change), |_, _| {})?;
    Ok(())
}

/// Every change the logs hold from the month of `since` on (all of them when `None`), each
/// id once, oldest first; and, per file, the lines that could not be read.
pub fn read(repo: &Repo, since: Option<DateTime<Utc>>) -> Result<Read> {
    let from = since.map(month_file);
    let files = log_files(repo)?.into_iter().filter(|p| {
        from.as_deref().is_none_or(|f| p.file_name().is_some_and(|n| n.to_string_lossy().as_ref() >= f))
    });
    let mut out = read_files(repo, files)?;
    if let Some(since) = since {
        out.changes.retain(|c| c.at >= since);
    }
    Ok(out)
}

/// The changes in `files` (a month without a log has none), oldest first, each id once.
fn read_files(repo: &Repo, files: impl Iterator<Item = PathBuf>) -> Result<Read> {
    let mut out = Read::default();
    for path in files {
        crate::fsutil::no_symlinks(&repo.root, &path)?;
        match crate::events::read_as::<Change>(&path) {
            Ok(log) => out.add(&path, log),
            Err(Error::System(crate::error::SystemError::Io { source, .. }))
                if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    out.changes.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    out.changes.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

/// Every month's log in `changes/`, oldest first (a symlink is listed: readers refuse it).
pub fn log_files(repo: &Repo) -> Result<Vec<PathBuf>> {
    let dir = repo.root.join(DIR);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| is_month_file(n))
            .map(|n| dir.join(n))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(&dir)(e)),
    };
    files.sort();
    Ok(files)
}

/// The changes read, and what could not be read.
#[derive(Debug, Default)]
pub struct Read {
    pub changes: Vec<Change>,
    /// A line skipped: its file, its line number and why.
    pub unreadable: Vec<(PathBuf, usize, String)>,
}

impl Read {
    fn add(&mut self, path: &Path, log: Log<Change>) {
        self.unreadable.extend(log.unreadable.into_iter().map(|u| (path.to_path_buf(), u.line, u.reason)));
        if let Some(line) = log.torn_line {
            self.unreadable.push((path.to_path_buf(), line, "an incomplete last line".into()));
        }
        self.changes.extend(log.events);
    }
}

/// The changes to `services` (every change when the list is empty) that started in
/// `[until - lookback_s, until]`, oldest first: the candidates for what set an incident off.
/// Reads only the months the window touches; lines that cannot be read are skipped here
/// (`changes` names them).
pub fn before(
    repo: &Repo,
    services: &[String],
    until: DateTime<Utc>,
    lookback_s: i64,
) -> Result<Vec<Change>> {
    let from = until - Duration::seconds(lookback_s.max(0));
    let read = read_files(repo, months(from, until).map(|name| repo.root.join(DIR).join(name)))?;
    Ok(read.changes.into_iter().filter(|c| c.at >= from && c.at <= until && c.touches(services)).collect())
}

/// The candidates for what set an incident off: the changes to `services` in the
/// repository's `changes.lookback` before impact `started`. A changes log that cannot be read
/// leaves its changes out and says so in the second value: what is asked during a response
/// (`open`, `brief`) never fails on it, and never after the incident was written.
pub fn candidates(repo: &Repo, services: &[String], started: DateTime<Utc>) -> (Vec<Change>, Option<String>) {
    match before(repo, services, started, repo.config.lookback_s()) {
        Ok(found) => (found, None),
        Err(e) => (Vec::new(), Some(format!("candidate changes left out: {e}"))),
    }
}

/// The months' logs (relative to the root) from `from`'s month to `until`'s, those that
/// exist: what [`before`] reads, and what a postmortem that lists its changes commits with it.
pub fn window_files(repo: &Repo, until: DateTime<Utc>, lookback_s: i64) -> Vec<PathBuf> {
    months(until - Duration::seconds(lookback_s.max(0)), until)
        .map(|name| Path::new(DIR).join(name))
        .filter(|rel| repo.root.join(rel).is_file())
        .collect()
}

/// The month files' names from `from`'s month to `until`'s.
fn months(from: DateTime<Utc>, until: DateTime<Utc>) -> impl Iterator<Item = String> {
    let last = (until.year(), until.month());
    std::iter::successors(Some((from.year(), from.month())), |&(y, m)| {
        Some(if m == 12 { (y + 1, 1) } else { (y, m + 1) })
    })
    .take_while(move |m| *m <= last)
    .map(|(y, m)| format!("{y:04}-{m:02}.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_files_are_named_and_recognised() {
        let at = crate::timefmt::parse_rfc3339("2026-11-30T23:59:00Z").unwrap();
        assert_eq!(month_file(at), "2026-11.jsonl");
        for ok in ["2026-11.jsonl", "1999-01.jsonl"] {
            assert!(is_month_file(ok), "{ok}");
        }
        for bad in [
            "rejected.jsonl",
            "2026-13.jsonl",
            "2026-1.jsonl",
            "2026-11.json",
            "x026-11.jsonl",
            "2026-00.jsonl",
        ] {
            assert!(!is_month_file(bad), "{bad}");
        }
        assert!(crate::repo::is_changes_log("changes/2026-11.jsonl"));
        assert!(!crate::repo::is_changes_log("changes/a/2026-11.jsonl"));
        assert!(!crate::repo::is_changes_log("changes/rejected.jsonl"));
    }

    #[test]
    fn a_change_is_made_redacted() {
        let c = Change::new(NewChange {
            title: "deploy password=hunter22".into(),
            by: "me".into(),
            link: Some("https://u:pw@example.com/x".into()),
            command: Some("deploy --password hunter22".into()),
            output: Some("token=ghp_abcdefghijklmnopqrstuvwxyz0123456789".into()),
            ..NewChange::default()
        });
        let line = serde_json::to_string(&c).unwrap();
        assert!(!line.contains("hunter22"), "{line}");
        assert!(!line.contains("ghp_abcdefghij"), "{line}");
    }
}

//! A file as earlier commits had it: what `load` falls back to when the working copy of
//! `incident.yaml` or a runbook fails lint. Which version is good is `load`'s choice; this
//! only walks history and hands each distinct content over.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use git2::{Repository, Sort};

/// Where the version `accept` took was found (the caller kept what it made of the bytes).
#[derive(Debug, Clone)]
pub struct Version {
    /// The newest commit walked that holds these bytes, abbreviated as `git log --oneline` does.
    pub commit: String,
    /// When that commit was made (its committer time).
    pub time: DateTime<Utc>,
}

/// How many commits a search looks at, newest first, before it gives up. A configuration
/// that has been broken for longer than this many commits has no fallback, and the command
/// stops with the error as it would without history; the bound keeps a command that falls
/// back quick in a repository of years of incidents.
pub const HISTORY_LIMIT: usize = 500;

/// The newest version of `rel` (a path relative to the repository at `root`) committed in
/// HEAD's history that `accept` takes. Each distinct content is offered once, newest first,
/// within the last [`HISTORY_LIMIT`] commits; a symlink or a folder at that path is not a
/// version. `None` without git, without a commit, or when nothing is accepted: a history
/// that cannot be read is no fallback, never an error of its own.
pub fn newest_committed(root: &Path, rel: &Path, mut accept: impl FnMut(&[u8]) -> bool) -> Option<Version> {
    let repo = Repository::open(root).ok()?;
    let mut walk = repo.revwalk().ok()?;
    walk.push_head().ok()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME).ok()?;
    let mut seen = HashSet::new();
    for oid in walk.take(HISTORY_LIMIT) {
        let Ok(commit) = oid.and_then(|oid| repo.find_commit(oid)) else {
            continue;
        };
        let Ok(entry) = commit.tree().and_then(|t| t.get_path(rel)) else {
            continue;
        };
        let regular = matches!(entry.filemode(), 0o100644 | 0o100755);
        if !regular || !seen.insert(entry.id()) {
            continue;
        }
        let Ok(blob) = repo.find_blob(entry.id()) else {
            continue;
        };
        if accept(blob.content()) {
            let short = commit.as_object().short_id().ok();
            let commit_hex = commit.id().to_string();
            return Some(Version {
                commit: short.and_then(|s| s.as_str().ok().map(str::to_string)).unwrap_or(commit_hex),
                time: DateTime::from_timestamp(commit.time().seconds(), 0).unwrap_or_default(),
            });
        }
    }
    None
}

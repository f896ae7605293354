//! Summaries of incidents without folding a thousand logs on every command.
//!
//! Two caches live under `.git/` (never committed, never the truth; deleting them costs one
//! slower command):
//! - `incident-closed`: the ids of closed incidents, one a line. Closing is final, so finding
//!   "the only open incident" skips them without even a `stat`, and folds only the live ones.
//! - `incident-index.json`: every incident's summary for `list`, keyed by each log's size and
//!   modification time, recomputed for the logs that changed.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::metrics;
use crate::phase::Phase;
use crate::repo::Repo;
use crate::state::{Incident, State};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub state: State,
    pub phase: Phase,
    pub services: Vec<String>,
    pub opened_at: DateTime<Utc>,
    pub drill: bool,
    pub commander: Option<String>,
    pub impact_s: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    len: u64,
    mtime_ns: u128,
    summary: Summary,
}

#[derive(Serialize, Deserialize, Default)]
struct Cache {
    version: u32,
    entries: BTreeMap<String, Entry>,
}

const VERSION: u32 = 1;

fn cache_path(repo: &Repo) -> Option<PathBuf> {
    git_file(repo, "incident-index.json")
}

fn git_file(repo: &Repo, name: &str) -> Option<PathBuf> {
    let git = repo.root.join(".git");
    git.is_dir().then(|| git.join(name))
}

fn read_closed(repo: &Repo) -> HashSet<String> {
    git_file(repo, "incident-closed")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn write_closed(repo: &Repo, closed: &HashSet<String>) {
    if let Some(path) = git_file(repo, "incident-closed") {
        let mut ids: Vec<&str> = closed.iter().map(String::as_str).collect();
        ids.sort_unstable();
        let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
        // Best effort, as for every cache.
        let _ = crate::fsutil::replace(&path, text.as_bytes());
    }
}

/// The incidents that are not closed (open, or resolved and awaiting their postmortem).
pub fn live(repo: &Repo, ids: &[String]) -> Result<Vec<Summary>> {
    let mut closed = read_closed(repo);
    let mut newly_closed = Vec::new();
    let mut out = Vec::new();
    for id in ids.iter().filter(|id| !closed.contains(*id)) {
        match summarize(repo, id) {
            Ok(s) if s.state == State::Closed => newly_closed.push(id.clone()),
            Ok(s) => out.push(s),
            Err(e) => eprintln!("warning: skipping incident {id}: {e}"),
        }
    }
    if !newly_closed.is_empty() {
        closed.extend(newly_closed);
        write_closed(repo, &closed);
    }
    Ok(out)
}

pub fn summarize(repo: &Repo, id: &str) -> Result<Summary> {
    Ok(Summary::of(&repo.load(id)?.incident))
}

impl Summary {
    /// The fields `list --json` and `status --json` share.
    pub fn of(inc: &Incident) -> Summary {
        Summary {
            id: inc.id.clone(),
            title: inc.title.clone(),
            severity: inc.severity.clone(),
            state: inc.state,
            phase: inc.phase(),
            services: inc.services.clone(),
            opened_at: inc.opened_at,
            drill: inc.drill,
            commander: inc.commander().map(str::to_string),
            impact_s: metrics::metrics(inc).impact_s,
        }
    }
}

pub fn summaries(repo: &Repo, ids: &[String]) -> Result<Vec<Summary>> {
    let path = cache_path(repo);
    let mut cache: Cache = path
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|c: &Cache| c.version == VERSION)
        .unwrap_or_default();
    let mut changed = cache.entries.len() != ids.len();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Ok(meta) = std::fs::metadata(repo.events_path(id)) else {
            continue;
        };
        let len = meta.len();
        let mtime_ns =
            meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        if let Some(e) = cache.entries.get(id)
            && e.len == len
            && e.mtime_ns == mtime_ns
        {
            out.push(e.summary.clone());
            continue;
        }
        let summary = match summarize(repo, id) {
            Ok(s) => s,
            Err(e) => {
                // One unreadable log must not hide every other incident.
                eprintln!("warning: skipping incident {id}: {e}");
                continue;
            }
        };
        // Open incidents change with every command; rewriting the whole cache for each would
        // cost more than folding their (short) logs again. Settled ones are worth storing.
        changed |= summary.state != State::Open;
        cache.entries.insert(id.clone(), Entry { len, mtime_ns, summary: summary.clone() });
        out.push(summary);
    }
    let closed: HashSet<String> =
        out.iter().filter(|s| s.state == State::Closed).map(|s| s.id.clone()).collect();
    if closed != read_closed(repo) {
        write_closed(repo, &closed);
    }
    if changed && let Some(path) = path {
        cache.version = VERSION;
        cache.entries.retain(|id, _| ids.contains(id));
        // Best effort: a cache that cannot be written only makes the next command slower.
        if let Ok(bytes) = serde_json::to_vec(&cache) {
            let _ = crate::fsutil::replace(&path, &bytes);
        }
    }
    Ok(out)
}

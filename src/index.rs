//! The incidents of a repository: loading one (folding its log), choosing one by id, prefix
//! or "the only open one", and summaries of all without folding a thousand logs on every
//! command. Problems that do not stop a command (a torn last line, an unreadable incident
//! among many) come back as [`Warning`]s for the command to show; nothing here prints.
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

use crate::error::{Error, Noun, RepoError, Result, Unknown};
use crate::events::{self, Event};
pub use crate::head::Summary;
use crate::head::{self, Head, Stamp};
use crate::metrics;
use crate::phase::Phase;
use crate::repo::Repo;
use crate::state::{ActionState, Incident, Kind, State};

/// Something a command should tell the responder about, without failing.
#[derive(Debug)]
pub enum Warning {
    /// The last line of a log was cut off mid-write (a crash?). `repaired`: this write cut it.
    TornLine { path: PathBuf, line: usize, repaired: bool },
    /// A complete line of a log that could not be read, skipped.
    Unreadable { path: PathBuf, line: usize, reason: String },
    /// An incident that could not be read was left out of a listing.
    Skipped { id: String, error: Error },
    /// An incident that could not be read was left off the public status page, as asked
    /// (`status-page --allow-unreadable`).
    LeftOffPage { id: String, error: Error },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::TornLine { path, line, repaired } => {
                let what = if *repaired {
                    "was moved to rejected.jsonl before this write"
                } else {
                    "is ignored; the next write repairs it"
                };
                write!(
                    f,
                    "{}:{line}: the last event was cut off mid-write (a crash?) and {what}; every complete event before it is intact",
                    path.display()
                )
            }
            Warning::Unreadable { path, line, reason } => write!(
                f,
                "{}:{line}: unreadable line skipped ({reason}); `incident doctor --fix` moves it to rejected.jsonl",
                path.display()
            ),
            Warning::Skipped { id, error } => write!(f, "skipping incident {id}: {}", error.with_hints()),
            Warning::LeftOffPage { id, error } => {
                write!(f, "incident {id} is left off the status page (--allow-unreadable): {error}")
            }
        }
    }
}

/// A loaded incident, and what the responder should hear about its log.
pub struct Loaded {
    pub incident: Incident,
    pub warnings: Vec<Warning>,
}

pub fn load(repo: &Repo, id: &str) -> Result<Loaded> {
    load_until(repo, id, None)
}

/// [`load`], folding only the events that happened by `until` when it is given: the incident as
/// it stood then (`brief --at`).
pub fn load_until(repo: &Repo, id: &str, until: Option<DateTime<Utc>>) -> Result<Loaded> {
    let path = repo.events_path(id)?;
    let mut log = events::read(&path)?;
    if let Some(until) = until {
        log.events.retain(|e| e.when() <= until);
    }
    let incident = Incident::fold(id, log.events)
        .ok_or_else(|| RepoError::NoOpenedEvent { path: path.clone(), unreadable: log.unreadable.len() })?;
    let mut warnings: Vec<Warning> = (log.unreadable.into_iter())
        .map(|u| Warning::Unreadable { path: path.clone(), line: u.line, reason: u.reason })
        .collect();
    warnings.extend(log.torn_line.map(|line| Warning::TornLine { path, line, repaired: false }));
    Ok(Loaded { incident, warnings })
}

/// [`load`] for many incidents, folded on every core (a fold is independent of every other),
/// in the order of `ids`.
pub fn load_many(repo: &Repo, ids: &[&str]) -> Vec<Result<Loaded>> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    if workers < 2 || ids.len() < 64 {
        return ids.iter().map(|id| load(repo, id)).collect();
    }
    let chunk = ids.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let running: Vec<_> = ids
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|id| load(repo, id)).collect::<Vec<_>>()))
            .collect();
        running
            .into_iter()
            .flat_map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// Appends whole events to an incident's log (see [`events::append_then`]), and brings the
/// incident's head along under the same lock.
pub fn append(repo: &Repo, id: &str, new: &[Event]) -> Result<Vec<Warning>> {
    let path = repo.events_path(id)?;
    let removed = events::append_then(&path, new, |before, after| {
        let Some(mut h) = head::read(repo, &path, id, Stamp::of(before)) else {
            head::forget(repo, id); // nothing to follow: the next reader folds the log once
            return;
        };
        if new.iter().all(|e| h.apply(e)) {
            head::write(repo, &path, id, Stamp::of(after), &h);
        } else {
            head::forget(repo, id);
        }
    })?;
    Ok(removed.map(|line| Warning::TornLine { path, line, repaired: true }).into_iter().collect())
}

/// The incident's head: from its cache while that matches the log (or can follow what was
/// appended since), else by folding the log once (and caching the result).
pub fn head(repo: &Repo, id: &str) -> Result<(Head, Vec<Warning>)> {
    let path = repo.events_path(id)?;
    let stamp = std::fs::metadata(&path).map(|m| Stamp::of(&m)).map_err(Error::io(&path))?;
    if let Some(h) = head::read(repo, &path, id, stamp) {
        return Ok((h, Vec::new()));
    }
    let loaded = load(repo, id)?;
    let h = Head::of(&loaded.incident);
    // Only a head made from the log as it was stamped may be stored.
    if std::fs::metadata(&path).is_ok_and(|m| Stamp::of(&m) == stamp) {
        head::write(repo, &path, id, stamp, &h);
    }
    Ok((h, loaded.warnings))
}

/// Which incident a command acts on: an exact id, a unique prefix, or, when none is given,
/// the only open incident (or, when none is open, the only scheduled or ongoing maintenance;
/// else the only resolved incident awaiting its postmortem). A maintenance scheduled for next
/// week must not make every command of tonight's outage ask which one is meant.
pub fn resolve(repo: &Repo, given: Option<&str>, warnings: &mut Vec<Warning>) -> Result<String> {
    let ids = repo.ids();
    if let Some(g) = given {
        // The empty string is a prefix of every id: it would pick the only incident there is
        // whatever it was meant to name.
        if g.trim().is_empty() {
            return Err(RepoError::EmptyId { what: "incident" }.into());
        }
        // A prefix of an id is an id too; anything else (`../x`, `a/b`, ``) never names one,
        // and the empty one would match them all.
        if !crate::ids::is_valid(g) {
            return Err(RepoError::BadIncidentId { given: g.to_string() }.into());
        }
        if ids.iter().any(|id| id == g) {
            return Ok(g.to_string());
        }
        let mut hits: Vec<&String> = ids.iter().filter(|id| id.starts_with(g)).collect();
        if hits.is_empty() {
            // Ids start with the date, which no one remembers: `grocery` names
            // 2026-11-26-grocery-checkout-slow when no other id has those words.
            hits = ids.iter().filter(|id| has_words(id, g)).collect();
        }
        return match hits.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Unknown::new(Noun::Incident, g, ids.iter().rev().take(10).cloned().collect()).into()),
            many => Err(RepoError::AmbiguousIncident {
                given: Some(g.to_string()),
                candidates: many.iter().map(|s| (*s).clone()).collect(),
            }
            .into()),
        };
    }
    let summaries = live(repo, &ids, warnings);
    let tiers =
        [(State::Open, Kind::Incident), (State::Open, Kind::Maintenance), (State::Resolved, Kind::Incident)];
    for (state, kind) in tiers {
        let hits: Vec<&Summary> = summaries.iter().filter(|s| s.state == state && s.kind == kind).collect();
        match hits.as_slice() {
            [] => continue,
            [one] => return Ok(one.id.clone()),
            many => {
                return Err(RepoError::AmbiguousIncident {
                    given: None,
                    candidates: many.iter().map(|s| format!("{} ({})", s.id, s.title)).collect(),
                }
                .into());
            }
        }
    }
    Err(RepoError::NoOpenIncident.into())
}

/// Which maintenance `maintenance start|done|cancel` moves: the one named (which must be a
/// maintenance), else the only one scheduled or under way.
pub fn resolve_maintenance(repo: &Repo, given: Option<&str>, warnings: &mut Vec<Warning>) -> Result<String> {
    if given.is_some() {
        let id = resolve(repo, given, warnings)?;
        if summarize(repo, &id)?.kind != Kind::Maintenance {
            return Err(crate::error::RecordError::NotAMaintenance { id }.into());
        }
        return Ok(id);
    }
    let summaries = live(repo, &repo.ids(), warnings);
    let hits: Vec<&Summary> =
        summaries.iter().filter(|s| s.state == State::Open && s.kind == Kind::Maintenance).collect();
    match hits.as_slice() {
        [] => Err(RepoError::NoOpenMaintenance.into()),
        [one] => Ok(one.id.clone()),
        many => Err(RepoError::AmbiguousMaintenance {
            candidates: many.iter().map(|s| format!("{} ({})", s.id, s.title)).collect(),
        }
        .into()),
    }
}

/// Whether `given`'s words (`grocery`, `checkout-slow`) are a run of whole words of the
/// title part of `id`, the words after its `YYYY-MM-DD-` date.
fn has_words(id: &str, given: &str) -> bool {
    let words: Vec<&str> = id.split('-').collect();
    let title = match words.as_slice() {
        [y, m, d, rest @ ..] if [y, m, d].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) => rest,
        all => all,
    };
    let wanted: Vec<&str> = given.split('-').collect();
    wanted.iter().all(|w| !w.is_empty()) && title.windows(wanted.len()).any(|run| run == wanted.as_slice())
}

/// What `stats` needs of an incident beyond its [`Summary`], cached beside it in
/// `incident-index.json`, so a warm `stats` reads no log. Made only by folding the log (never
/// by following appends: the head does not carry it), so it is always the fold's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Facts {
    /// The key moments (README, "Key times"), impact started and detected defaulting to opened.
    #[serde(default, with = "chrono::serde::ts_seconds_option")]
    pub started: Option<DateTime<Utc>>,
    #[serde(default, with = "chrono::serde::ts_seconds_option")]
    pub detected: Option<DateTime<Utc>>,
    #[serde(default, with = "chrono::serde::ts_seconds_option")]
    pub acknowledged: Option<DateTime<Utc>>,
    #[serde(default, with = "chrono::serde::ts_seconds_option")]
    pub mitigated: Option<DateTime<Utc>>,
    #[serde(default, with = "chrono::serde::ts_seconds_option")]
    pub resolved: Option<DateTime<Utc>>,
    /// The first runbook attached: the cause `stats --by cause` groups by.
    pub cause: Option<String>,
    /// The runbook the walk follows (the latest attached): whose phase budgets apply.
    pub runbook: Option<String>,
    /// Time spent in each phase entered, and the severity whose budget applies.
    pub phases: Vec<PhaseFact>,
    pub actions: ActionCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseFact {
    pub phase: Phase,
    /// The closed spans in the phase, summed.
    pub spent_s: i64,
    /// When the span still running began.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "chrono::serde::ts_seconds_option")]
    pub running_from: Option<DateTime<Utc>>,
    pub budget_severity: String,
}

/// An incident's action items by state. `open_due`: the due date (`YYYY-MM-DD`) of each open
/// item that has one, for "overdue at the end of a period".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ActionCounts {
    pub open: u32,
    pub done: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_due: Vec<String>,
}

/// The one place that reads action items' states for `stats`: open ones (with their due
/// dates, for "overdue by the period's end") and done ones; dropped ones count as neither.
pub fn action_counts(inc: &Incident) -> ActionCounts {
    let mut c = ActionCounts::default();
    for a in &inc.actions {
        match a.state {
            ActionState::Open => {
                c.open += 1;
                c.open_due.extend(a.due.clone());
            }
            ActionState::Done => c.done += 1,
            ActionState::Dropped => {}
        }
    }
    c
}

impl Facts {
    pub fn of(inc: &Incident, config: &crate::config::Config) -> Facts {
        let k = metrics::key_times(inc);
        let phases = metrics::phases(inc, config, None, inc.opened_at)
            .into_iter()
            .filter(|row| !row.spans.is_empty())
            .map(|row| {
                let (spent_s, running_from) = metrics::spent(&row.spans);
                PhaseFact { phase: row.phase, spent_s, running_from, budget_severity: row.budget_severity }
            })
            .collect();
        Facts {
            started: k.started,
            detected: k.detected,
            acknowledged: k.acknowledged,
            mitigated: k.mitigated,
            resolved: k.resolved,
            cause: inc.runbooks.first().cloned(),
            runbook: inc.runbook.clone(),
            phases,
            actions: action_counts(inc),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    len: u64,
    mtime_ns: u128,
    summary: Summary,
    facts: Facts,
}

#[derive(Serialize, Deserialize, Default)]
struct Cache {
    version: u32,
    entries: BTreeMap<String, Entry>,
}

const VERSION: u32 = 6;

fn cache_path(repo: &Repo) -> Option<PathBuf> {
    repo.git_file("incident-index.json")
}

fn read_closed(repo: &Repo) -> HashSet<String> {
    repo.git_file("incident-closed")
        .and_then(|p| crate::fsutil::read(&p).ok())
        .map(|t| String::from_utf8_lossy(&t).lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn write_closed(repo: &Repo, closed: &HashSet<String>) {
    if let Some(path) = repo.git_file("incident-closed") {
        let mut ids: Vec<&str> = closed.iter().map(String::as_str).collect();
        ids.sort_unstable();
        let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
        // Best effort, as for every cache.
        let _ = crate::fsutil::replace(&path, text.as_bytes());
    }
}

/// The incidents that are not closed (open, or resolved and awaiting their postmortem).
fn live(repo: &Repo, ids: &[String], warnings: &mut Vec<Warning>) -> Vec<Summary> {
    let mut closed = read_closed(repo);
    let mut newly_closed = Vec::new();
    let mut out = Vec::new();
    for id in ids.iter().filter(|id| !closed.contains(*id)) {
        match summarize(repo, id) {
            Ok(s) if s.state == State::Closed => newly_closed.push(id.clone()),
            Ok(s) => out.push(s),
            Err(error) => warnings.push(Warning::Skipped { id: id.clone(), error }),
        }
    }
    if !newly_closed.is_empty() {
        closed.extend(newly_closed);
        write_closed(repo, &closed);
    }
    out
}

fn summarize(repo: &Repo, id: &str) -> Result<Summary> {
    Ok(head(repo, id)?.0.summary)
}

/// Every incident's summary, from the cache where its log has not changed.
pub fn summaries(repo: &Repo, warnings: &mut Vec<Warning>) -> Vec<Summary> {
    with_facts(repo, warnings).into_iter().map(|(s, _)| s).collect()
}

/// Every incident's summary with what `stats` needs, from the cache where its log has not
/// changed.
pub fn with_facts(repo: &Repo, warnings: &mut Vec<Warning>) -> Vec<(Summary, Facts)> {
    let ids = &repo.ids();
    let path = cache_path(repo);
    let mut cache: Cache = path
        .as_ref()
        .and_then(|p| crate::fsutil::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|c: &Cache| c.version == VERSION)
        .unwrap_or_default();
    let mut changed = cache.entries.len() != ids.len();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let meta = match repo.events_path(id) {
            Ok(path) => std::fs::metadata(path),
            Err(error) => {
                // A symlinked incident is left out, with a warning, not the whole listing.
                warnings.push(Warning::Skipped { id: id.clone(), error });
                continue;
            }
        };
        let Ok(meta) = meta else {
            continue;
        };
        let len = meta.len();
        let mtime_ns =
            meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        if let Some(e) = cache.entries.get(id)
            && e.len == len
            && e.mtime_ns == mtime_ns
        {
            out.push((e.summary.clone(), e.facts.clone()));
            continue;
        }
        let (summary, facts) = match load(repo, id) {
            Ok(loaded) => {
                // Every command names a log's unreadable lines, `list` included.
                warnings.extend(loaded.warnings);
                (Summary::of(&loaded.incident), Facts::of(&loaded.incident, &repo.config))
            }
            Err(error) => {
                // One unreadable log must not hide every other incident.
                warnings.push(Warning::Skipped { id: id.clone(), error });
                continue;
            }
        };
        // Open incidents change with every command; rewriting the whole cache for each would
        // cost more than folding their (short) logs again. Settled ones are worth storing.
        changed |= summary.state != State::Open;
        cache
            .entries
            .insert(id.clone(), Entry { len, mtime_ns, summary: summary.clone(), facts: facts.clone() });
        out.push((summary, facts));
    }
    let closed: HashSet<String> =
        out.iter().filter(|(s, _)| s.state == State::Closed).map(|(s, _)| s.id.clone()).collect();
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
    out
}

/// A cache under `.git/` that says something the logs do not (`doctor`). Deleting it is
/// always safe: the next command rebuilds it.
#[derive(Debug)]
pub struct StaleCache {
    pub path: PathBuf,
    /// What does not match, for each mismatch (at least one).
    pub reasons: Vec<String>,
}

/// The caches whose entries do not match the logs: a summary whose log is gone, or whose log
/// has the size and time it was cached with but folds to another summary (entries of logs
/// that changed since are merely outdated: they are recomputed anyway); an id listed as
/// closed whose log does not say so. An unreadable summary cache counts too.
pub fn stale_caches(repo: &Repo) -> Vec<StaleCache> {
    let mut out = Vec::new();
    let fresh = |id: &str| load(repo, id).ok().map(|l| Summary::of(&l.incident));
    let fresh_facts = |id: &str| load(repo, id).ok().map(|l| Facts::of(&l.incident, &repo.config));
    if let Some(path) = cache_path(repo).filter(|p| p.exists()) {
        let cache = crate::fsutil::read(&path).ok().and_then(|b| serde_json::from_slice::<Cache>(&b).ok());
        let reasons = match cache {
            None => vec!["it cannot be read".to_string()],
            Some(c) if c.version != VERSION => {
                vec![format!("version {}, this build reads {VERSION}", c.version)]
            }
            Some(c) => c
                .entries
                .iter()
                .filter_map(|(id, e)| {
                    // Ids come from the cache here: one that is not an id names no log.
                    let Ok(meta) = repo
                        .events_path(id)
                        .and_then(|p| std::fs::symlink_metadata(&p).map_err(Error::io(&p)))
                    else {
                        // Quoted when it is not an id: it may hold anything, control
                        // characters included.
                        let shown = if crate::ids::is_valid(id) { id.clone() } else { format!("{id:?}") };
                        return Some(format!("incident {shown} has no log"));
                    };
                    let mtime_ns = meta
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_nanos());
                    if (meta.len(), mtime_ns) != (e.len, e.mtime_ns) {
                        return None;
                    }
                    let same = fresh(id).is_some_and(|s| {
                        serde_json::to_value(&s).ok() == serde_json::to_value(&e.summary).ok()
                    }) && fresh_facts(id).is_some_and(|f| {
                        serde_json::to_value(&f).ok() == serde_json::to_value(&e.facts).ok()
                    });
                    (!same).then(|| format!("incident {id}'s cached summary differs from its log"))
                })
                .collect(),
        };
        if !reasons.is_empty() {
            out.push(StaleCache { path, reasons });
        }
    }
    if let Some(path) = repo.git_file("incident-closed").filter(|p| p.exists()) {
        let mut closed: Vec<String> = read_closed(repo).into_iter().collect();
        closed.sort();
        let reasons: Vec<String> = closed
            .iter()
            .filter_map(|id| match fresh(id).map(|s| s.state) {
                Some(State::Closed) => None,
                Some(state) => Some(format!("incident {id} is listed as closed but is {}", state.name())),
                None => Some(format!("incident {id} is listed as closed but has no readable log")),
            })
            .collect();
        if !reasons.is_empty() {
            out.push(StaleCache { path, reasons });
        }
    }
    out
}

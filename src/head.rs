//! An incident's head: what `list`, choosing "the only open incident" and every write's
//! checks need (its summary and key moments), kept beside the log so that none of them reads
//! or folds the whole log (appending is constant time).
//!
//! The head is a cache in git's own folder (`.git/incident-heads/<id>.json`), never the
//! truth: it records the log's length and modification time it was made from, and is used
//! only while they match. An append updates it under the log's lock, applying just the new
//! events; anything it cannot apply that way (a correction) drops it, and the next reader
//! folds the log once and writes it again.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{AlertStatus, Body, Event, MaintenanceState, Milestone, Visibility};
use crate::metrics;
use crate::phase::Phase;
use crate::repo::Repo;
use crate::state::{Incident, Kind, Moments, State, Window};

/// The (moment, id) of an event: its place in the fold's order.
type Key = (DateTime<Utc>, String);

fn key(e: &Event) -> Key {
    (e.when(), e.id.clone())
}

/// A figure of the impact, which a maintenance never has: planned work is not downtime.
fn impact_of<T>(kind: Kind, figure: Option<T>) -> Option<T> {
    match kind {
        Kind::Incident => figure,
        Kind::Maintenance => None,
    }
}

/// An incident in one line of `list`: the part of its head every command reads, and what the
/// index caches for incidents whose head is not kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub severity: String,
    /// Every severity the incident was at (sorted: the set, whatever order the log gives).
    pub severities: BTreeSet<String>,
    pub state: State,
    pub kind: Kind,
    /// Who may see it: a private one is on no public file.
    pub visibility: Visibility,
    pub phase: Phase,
    pub services: Vec<String>,
    pub opened_at: DateTime<Utc>,
    pub drill: bool,
    /// A maintenance's window and state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<Window>,
    pub commander: Option<String>,
    pub impact_s: Option<i64>,
    /// The impact duration weighted by the failing share: what revenue lost is costed on.
    pub failing_s: Option<f64>,
    /// [`Incident::latest`]: which incidents can touch a period, without reading their logs.
    pub latest: DateTime<Utc>,
}

impl Summary {
    /// The fields `list --json` and `status --json` share.
    pub fn of(inc: &Incident) -> Summary {
        Summary {
            id: inc.id.clone(),
            title: inc.title.clone(),
            severity: inc.severity.clone(),
            severities: metrics::severities_reached(inc).map(str::to_string).collect(),
            state: inc.state,
            kind: inc.kind,
            visibility: Visibility::of(inc.private),
            phase: inc.phase(),
            services: inc.services.clone(),
            opened_at: inc.opened_at,
            drill: inc.drill,
            maintenance: inc.maintenance.clone(),
            commander: inc.commander().map(str::to_string),
            impact_s: metrics::metrics(inc).impact_s,
            failing_s: impact_of(inc.kind, metrics::failing_s(&inc.moments)),
            latest: inc.latest(),
        }
    }

    /// The highest severity the incident reached.
    pub fn peak_severity(&self, config: &crate::config::Config) -> &str {
        let reached =
            self.severities.iter().map(String::as_str).chain(std::iter::once(self.severity.as_str()));
        metrics::peak_severity(config, reached).unwrap_or(self.severity.as_str())
    }

    /// The severity as lists and headers show it: `SEV2, peak SEV1`.
    pub fn severity_label(&self, config: &crate::config::Config) -> String {
        metrics::severity_label(&self.severity, Some(self.peak_severity(config)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub summary: Summary,
    pub moments: Moments,
    /// The place in the fold's order of the event that set each last-one-wins field, so that
    /// an event appended later but backdated applies exactly as the fold would apply it.
    severity: Option<Key>,
    phase: Option<Key>,
    commander: Option<Key>,
    drill: Option<Key>,
    visibility: Option<Key>,
    /// The first `resolved` event (the resolved moment, unless `mark resolved` gave one).
    resolved: Option<Key>,
    /// Every event that would move a maintenance (allowed or not), in the fold's order: one
    /// appended backdated changes which later moves are allowed, so the window is replayed
    /// from its plan over all of them (a handful) rather than moved by the newest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    moves: Vec<(Key, crate::events::MaintenanceState)>,
    /// Each alert's latest status by fingerprint, and the senders' group keys: how a
    /// notification finds its incident, and a repeat is told from news, without a fold.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    alerts: BTreeMap<String, (Key, AlertStatus)>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    group_keys: BTreeSet<String>,
}

impl Head {
    /// The head of a folded incident.
    pub fn of(inc: &Incident) -> Head {
        let facts =
            || inc.events.iter().filter(|e| !e.body.is_correction() && !inc.retracted.contains_key(&e.id));
        let last = |want: &dyn Fn(&Body) -> bool| facts().filter(|e| want(&e.body)).map(key).max();
        Head {
            summary: Summary::of(inc),
            moments: inc.moments.clone(),
            severity: last(&|b| matches!(b, Body::Severity { .. })),
            phase: last(&|b| matches!(b, Body::Phase { .. })),
            commander: last(&|b| matches!(b, Body::Role { role, .. } if role == "commander")),
            drill: last(&|b| matches!(b, Body::Drill { .. })),
            visibility: last(&|b| matches!(b, Body::Visibility { .. })),
            resolved: facts().filter(|e| matches!(e.body, Body::Resolved { .. })).map(key).min(),
            moves: match inc.maintenance {
                Some(_) => facts().filter_map(|e| Window::move_of(&e.body).map(|to| (key(e), to))).collect(),
                None => Vec::new(),
            },
            alerts: facts().fold(BTreeMap::new(), |mut alerts, e| {
                if let Body::Alert { fingerprint, status, .. } = &e.body {
                    newest_alert(&mut alerts, fingerprint, key(e), *status);
                }
                alerts
            }),
            group_keys: facts()
                .filter_map(|e| match &e.body {
                    Body::Alert { group_key, .. } => group_key.clone(),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The latest status an alert was logged with here, if it ever was.
    pub fn alert_status(&self, fingerprint: &str) -> Option<AlertStatus> {
        self.alerts.get(fingerprint).map(|(_, s)| *s)
    }

    /// Whether an alert of the sender's group `key` was logged here.
    pub fn has_group(&self, key: &str) -> bool {
        self.group_keys.contains(key)
    }

    /// Applies one appended event as the fold would. `false` when the head cannot follow it
    /// without the whole log (a correction, a second `opened`): the head must be dropped.
    pub fn apply(&mut self, e: &Event) -> bool {
        let k = key(e);
        let later = |slot: &mut Option<Key>| {
            let newer = slot.as_ref().is_none_or(|s| k > *s);
            if newer {
                *slot = Some(k.clone());
            }
            newer
        };
        self.summary.latest = self.summary.latest.max(e.at.max(e.when()));
        if let Body::Severity { to, .. } = &e.body {
            self.summary.severities.insert(to.clone());
        }
        match &e.body {
            Body::Opened { .. } | Body::Amend { .. } | Body::Retract { .. } => return false,
            // Each guard records the event's place when it is the latest of its kind.
            Body::Severity { to, .. } if later(&mut self.severity) => self.summary.severity.clone_from(to),
            Body::Phase { phase } if later(&mut self.phase) => self.summary.phase = *phase,
            Body::Role { role, name } if role == "commander" && later(&mut self.commander) => {
                self.summary.commander = Some(name.clone());
            }
            Body::Mark { milestone } => {
                let newer =
                    self.moments.marked_by.get(milestone).is_none_or(|(id, at)| k > (*at, id.clone()));
                if newer {
                    self.moments.marks.insert(*milestone, k.0);
                    self.moments.marked_by.insert(*milestone, (e.id.clone(), k.0));
                }
            }
            Body::Resolved { .. } => {
                self.summary.state = self.summary.state.max(State::Resolved);
                if self.resolved.as_ref().is_none_or(|r| k < *r) {
                    self.resolved = Some(k.clone());
                }
                // `mark resolved` wins over resolving; else the first resolution counts.
                if !self.moments.marked_by.contains_key(&Milestone::Resolved) {
                    self.moments
                        .marks
                        .insert(Milestone::Resolved, self.resolved.as_ref().map_or(k.0, |r| r.0));
                }
            }
            Body::Closed {} => self.summary.state = self.summary.state.max(State::Closed),
            Body::Canceled { .. } => self.summary.state = self.summary.state.max(State::Canceled),
            Body::Drill { drill } if later(&mut self.drill) => self.summary.drill = *drill,
            Body::Visibility { visibility } if later(&mut self.visibility) => {
                self.summary.visibility = *visibility;
            }
            Body::Impact { share: Some(p), .. } => self.moments.add_share(k.0, &e.id, *p),
            Body::Alert { fingerprint, group_key, status, .. } => {
                newest_alert(&mut self.alerts, fingerprint, k.clone(), *status);
                self.group_keys.extend(group_key.clone());
            }
            _ => {}
        }
        if let (Some(w), Some(to)) = (self.summary.maintenance.as_mut(), Window::move_of(&e.body)) {
            let i = self.moves.partition_point(|(m, _)| *m < k);
            self.moves.insert(i, (k.clone(), to));
            let mut replayed = Window {
                state: MaintenanceState::Scheduled,
                started_at: None,
                completed_at: None,
                ..w.clone()
            };
            for ((at, _), to) in &self.moves {
                replayed.move_to(*to, *at);
            }
            // Once over, a maintenance stays over whatever move comes before (nothing moves
            // one back to scheduled), so closing it here is what the fold does too.
            // How it ended may change (a backdated start before a cancel makes a later `done`
            // count instead): the state the first ending set cannot be taken back here.
            if w.state.is_over()
                && crate::state::over_state(w.state) != crate::state::over_state(replayed.state)
            {
                return false;
            }
            if replayed.state.is_over() {
                self.summary.state = self.summary.state.max(crate::state::over_state(replayed.state));
            }
            *w = replayed;
        }
        self.summary.impact_s = impact_of(self.summary.kind, metrics::impact_s(&self.moments));
        self.summary.failing_s = impact_of(self.summary.kind, metrics::failing_s(&self.moments));
        true
    }

    /// The one check that a command may change the response: the incident is open.
    pub fn require_open(&self) -> crate::error::Result<()> {
        self.summary.state.require_open(&self.summary.id)
    }

    pub fn id(&self) -> &str {
        &self.summary.id
    }
}

/// Records `status` for `fingerprint` when the event at `k` is its latest.
fn newest_alert(
    alerts: &mut BTreeMap<String, (Key, AlertStatus)>,
    fingerprint: &str,
    k: Key,
    status: AlertStatus,
) {
    if alerts.get(fingerprint).is_none_or(|(at, _)| k > *at) {
        alerts.insert(fingerprint.to_string(), (k, status));
    }
}

/// The log's length and modification time: what a head was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: u128,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        let mtime_ns =
            meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        Stamp { len: meta.len(), mtime_ns }
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    stamp: Stamp,
    /// The log's last bytes up to `stamp.len`: that the log still holds them there is how a
    /// head is known to cover a prefix of the log, so it can follow what was appended since
    /// (by another process, or a `git pull` whose union merge added lines at the end).
    tail: Vec<u8>,
    head: Head,
}

const VERSION: u32 = 7;
/// Bytes of the log kept in [`Stored::tail`].
const TAIL: u64 = 64;

fn path(repo: &Repo, id: &str) -> Option<PathBuf> {
    // The id became a path only after `Repo::events_path` checked it; `git_file` refuses a
    // symlinked `incident-heads/` or head file.
    crate::ids::is_valid(id).then(|| repo.git_file(&format!("incident-heads/{id}.json")))?
}

fn stored(repo: &Repo, id: &str) -> Option<Stored> {
    let bytes = crate::fsutil::read(&path(repo, id)?).ok()?;
    serde_json::from_slice::<Stored>(&bytes).ok().filter(|s| s.version == VERSION)
}

/// The head of `id` as of the log at `stamp`: the stored one when it was made from exactly
/// that log, or the stored one brought up to date by applying only the complete lines
/// appended since. `None` when neither works (no head, the log was rewritten, a correction
/// or an unreadable line was appended): the caller folds the log.
pub fn read(repo: &Repo, log: &Path, id: &str, stamp: Stamp) -> Option<Head> {
    let stored = stored(repo, id)?;
    if stored.stamp == stamp {
        return Some(stored.head);
    }
    if stored.stamp.len >= stamp.len {
        return None;
    }
    let start = stored.stamp.len - stored.tail.len() as u64;
    let mut file = crate::fsutil::nofollow().read(true).open(log).ok()?;
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    file.take(stamp.len - start).read_to_end(&mut bytes).ok()?;
    let new = bytes.strip_prefix(stored.tail.as_slice())?;
    if !new.ends_with(b"\n") {
        return None; // a torn line, or the log moved under us: fold it instead
    }
    let mut head = stored.head;
    for line in new.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
        let event: Event = serde_json::from_slice(line).ok()?;
        if !head.apply(&event) {
            return None;
        }
    }
    write(repo, log, id, stamp, &head);
    Some(head)
}

/// Stores a head made from the log at `stamp`. Best effort: a head that cannot be written
/// only makes the next command fold the log.
pub fn write(repo: &Repo, log: &Path, id: &str, stamp: Stamp, head: &Head) {
    let Some(path) = path(repo, id) else { return };
    let Some(tail) = tail_of(log, stamp.len) else { return };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let stored = Stored { version: VERSION, stamp, tail, head: head.clone() };
    if let Ok(bytes) = serde_json::to_vec(&stored) {
        let _ = crate::fsutil::replace(&path, &bytes);
    }
}

/// The log's bytes just before `len`.
fn tail_of(log: &Path, len: u64) -> Option<Vec<u8>> {
    let start = len.saturating_sub(TAIL);
    let mut file = crate::fsutil::nofollow().read(true).open(log).ok()?;
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = Vec::new();
    file.take(len - start).read_to_end(&mut tail).ok()?;
    (tail.len() as u64 == len - start).then_some(tail)
}

/// Drops the stored head (the log changed in a way it cannot follow, as after a sync's
/// merge: a head is only ever made again from the log itself).
pub fn forget(repo: &Repo, id: &str) {
    if let Some(path) = path(repo, id) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Outcome;
    use proptest::prelude::*;

    /// Every kind [`Head::apply`] follows (the failing share over time too: revenue lost),
    /// and kinds it must leave alone; closing and canceling are rarer, as they end what the
    /// others change.
    fn body() -> impl Strategy<Value = Body> {
        let shares = [0.0, 25.0, 50.0, 100.0];
        prop_oneof![
            4 => (0..shares.len()).prop_map(move |i| Body::Impact {
                share: Some(shares[i]),
                customers: None,
                failed_orders: None,
                tickets: None,
            }),
            4 => prop::sample::select(vec!["SEV1", "SEV2", "SEV3"])
                .prop_map(|to| Body::Severity { from: "SEV1".into(), to: to.into(), reason: None }),
            4 => prop::sample::select(Phase::ALL.to_vec()).prop_map(|phase| Body::Phase { phase }),
            4 => (0..4u8).prop_map(|n| Body::Role { role: "commander".into(), name: format!("c{n}") }),
            4 => prop::sample::select(Milestone::ALL.to_vec()).prop_map(|milestone| Body::Mark { milestone }),
            4 => Just(Body::Resolved { root_cause: None }),
            1 => Just(Body::Closed {}),
            1 => Just(Body::Canceled { reason: "a duplicate".into() }),
            4 => any::<bool>().prop_map(|drill| Body::Drill { drill }),
            4 => prop::sample::select(vec![Visibility::Public, Visibility::Private])
                .prop_map(|visibility| Body::Visibility { visibility }),
            4 => Just(Body::Role { role: "comms".into(), name: "x".into() }),
            4 => Just(Body::Step {
                step: "s".into(),
                phase: Phase::Detect,
                outcome: Outcome::Done,
                choice: None,
                runbook: None,
                note: None,
            }),
            8 => Just(Body::Note { text: "n".into() }),
            4 => (0..3u8, prop::sample::select(vec![AlertStatus::Firing, AlertStatus::Resolved]), any::<bool>())
                .prop_map(|(n, status, grouped)| Body::Alert {
                    source: "alertmanager".into(),
                    name: "HighLatency".into(),
                    fingerprint: format!("f{n}"),
                    group_key: grouped.then(|| format!("g{n}")),
                    status,
                    starts_at: base(),
                    ends_at: None,
                    labels: BTreeMap::new(),
                    annotations: BTreeMap::new(),
                    link: None,
                }),
            4 => prop::sample::select(MaintenanceState::ALL.to_vec()).prop_map(|to| Body::Maintenance { to }),
            2 => prop::sample::select(MaintenanceState::ALL.to_vec()).prop_map(|to| Body::Update {
                channel: "status-page".into(),
                message: "m".into(),
                status: None,
                eta: None,
                maintenance_status: Some(to),
            }),
        ]
    }

    /// An event at one of few distinct moments, so ties (broken by id) are common; events
    /// are often backdated before the opening.
    fn event() -> impl Strategy<Value = Event> {
        (body(), 0..6i64, 0..(1u32 << 31)).prop_map(|(body, minutes, id)| {
            let mut e = Event::new(body, "t", base() + chrono::Duration::minutes(minutes), None);
            e.id = format!("{id:08x}");
            e
        })
    }

    fn base() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T14:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The head that appends keep, one event at a time in the order they were written, is
        /// the head of the whole log folded: for every prefix, over random logs with
        /// backdated events and ties; for an incident and for a maintenance, whose moves depend
        /// on their order.
        #[test]
        fn following_appends_equals_folding_the_log(
            events in prop::collection::vec(event(), 1..=12),
            maintenance in any::<bool>(),
        ) {
            let planned = maintenance.then(|| crate::events::Planned {
                from: base() + chrono::Duration::days(2),
                until: base() + chrono::Duration::days(3),
                message: None,
            });
            let opened = Event::new(
                Body::Opened {
                    title: "t".into(),
                    severity: "SEV2".into(),
                    services: vec![],
                    drill: false,
                    private: true,
                    maintenance: planned,
                },
                "t",
                base() + chrono::Duration::minutes(2),
                None,
            );
            let mut log = vec![opened];
            let mut followed = Head::of(&Incident::fold("i", log.clone()).unwrap());
            for e in events {
                if !followed.apply(&e) {
                    // The one event a head may not follow: a backdated move that changes how
                    // a maintenance ended. The reader folds the log instead.
                    prop_assert!(maintenance && Window::move_of(&e.body).is_some(), "{:?}", e.body);
                    log.push(e);
                    followed = Head::of(&Incident::fold("i", log.clone()).unwrap());
                    continue;
                }
                log.push(e);
                let folded = Head::of(&Incident::fold("i", log.clone()).unwrap());
                prop_assert_eq!(&followed, &folded, "after {} events", log.len());
            }
        }
    }
}

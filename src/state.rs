//! An incident's state is a fold over its events. Nothing here reads a clock or a
//! file: give it events, get the incident.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::events::MaintenanceState;
use crate::events::{AlertStatus, Body, Event, Milestone, Outcome, Planned, Visibility};
use crate::phase::Phase;

/// What a record is about: an incident (something went wrong) or a scheduled maintenance
/// (planned work). Both are kept the same way (one log, synced, updated through the same
/// channels); a maintenance never counts as downtime, in the statistics or on the status
/// page, and needs no postmortem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Incident,
    Maintenance,
}

impl Kind {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

/// The severity a maintenance is logged with. A maintenance is planned work, not an outage, so
/// no one is asked how severe it is; every severity lookup (budgets, cadence, the status
/// page's states) finds none declared under this name and falls back to its default.
pub const MAINTENANCE_SEVERITY: &str = "maintenance";

/// The record's state once a maintenance is over: closed when completed (no postmortem is
/// owed), canceled when canceled, as a canceled incident is.
pub fn over_state(to: MaintenanceState) -> State {
    match to {
        MaintenanceState::Canceled => State::Canceled,
        _ => State::Closed,
    }
}

/// A scheduled maintenance's window and where it stands: the planned `from`/`until` (a plan,
/// see [`Planned`]) and, once they happen, when the work started and ended.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub state: MaintenanceState,
    /// When it moved to in progress (the first time).
    pub started_at: Option<DateTime<Utc>>,
    /// When it was completed or canceled.
    pub completed_at: Option<DateTime<Utc>>,
    /// What customers are told about it when it is scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Window {
    pub fn planned(p: &Planned) -> Window {
        Window {
            from: p.from,
            until: p.until,
            state: MaintenanceState::Scheduled,
            started_at: None,
            completed_at: None,
            message: p.message.clone(),
        }
    }

    /// Moves it to `to` at `at` when that move is allowed (the writer checked it; a move a
    /// merge of two clones' logs made impossible is left out, as the fold must be total).
    /// Returns whether it moved.
    pub fn move_to(&mut self, to: MaintenanceState, at: DateTime<Utc>) -> bool {
        if !self.state.may_move_to(to) {
            return false;
        }
        self.state = to;
        if to == MaintenanceState::InProgress && self.started_at.is_none() {
            self.started_at = Some(at);
        }
        if to.is_over() {
            self.completed_at = Some(at);
        }
        true
    }

    /// Refuses moving maintenance `id` to `to` from where it stands, naming its state and where
    /// it could go. `again`: staying where it is is fine (an update that says "still in
    /// progress"); a command that moves it (`maintenance start`) must move it.
    pub fn check_move(&self, id: &str, to: MaintenanceState, again: bool) -> crate::error::Result<()> {
        if (again && to == self.state) || self.state.may_move_to(to) {
            return Ok(());
        }
        let next = MaintenanceState::ALL
            .into_iter()
            .filter(|n| self.state.may_move_to(*n))
            .map(MaintenanceState::name)
            .collect();
        Err(crate::error::RecordError::MaintenanceMove {
            id: id.to_string(),
            state: self.state.name(),
            to: to.name(),
            next,
        }
        .into())
    }

    /// The state an event moves a maintenance to: `maintenance start|done|cancel`, or an
    /// update announcing a maintenance state.
    pub fn move_of(body: &Body) -> Option<MaintenanceState> {
        match body {
            Body::Maintenance { to } => Some(*to),
            Body::Update { maintenance_status, .. } => *maintenance_status,
            _ => None,
        }
    }
}

/// Ordered: an incident only moves forward (open → resolved → closed), so the fold keeps the
/// furthest state whatever order its events come in. Canceled is last: an incident found to
/// be none (a false alarm, a duplicate) stays canceled even when a sync joins it with another
/// clone's resolution of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Open,
    Resolved,
    Closed,
    Canceled,
}

impl State {
    /// The one check that a command may change the response: incident `id` is open.
    pub fn require_open(self, id: &str) -> crate::error::Result<()> {
        match self {
            State::Open => Ok(()),
            state => {
                Err(crate::error::RecordError::NotOpen { id: id.to_string(), state: state.name() }.into())
            }
        }
    }

    /// What may still change how an incident counts (a drill or not): open or resolved, its
    /// postmortem not yet closed; a closed or canceled record is settled.
    pub fn require_unsettled(self, id: &str) -> crate::error::Result<()> {
        match self {
            State::Open | State::Resolved => Ok(()),
            state => {
                Err(crate::error::RecordError::NotOpen { id: id.to_string(), state: state.name() }.into())
            }
        }
    }

    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

/// Why, when and by whom an incident was canceled.
#[derive(Debug, Clone, Serialize)]
pub struct Cancellation {
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A span during which something held: a severity level, a role, a phase.
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    pub value: String,
    pub from: DateTime<Utc>,
    /// `None` while it still holds.
    pub to: Option<DateTime<Utc>>,
    pub by: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// The runbook it was recorded against; `None` in logs written before several runbooks
    /// could be attached, where it counts for whichever runbook has the step.
    pub runbook: Option<String>,
    pub step: String,
    pub phase: Phase,
    pub outcome: Outcome,
    pub choice: Option<String>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandRecord {
    pub runbook: Option<String>,
    pub step: String,
    pub command: String,
    pub exit_code: Option<i32>,
    pub output: String,
    pub at: DateTime<Utc>,
    pub by: String,
    /// The limit it was killed at, when it timed out.
    pub timed_out_s: Option<u64>,
    /// Killed by the responder's Ctrl-C, or because the tool was asked to stop.
    pub interrupted: bool,
    /// The signal the tool was asked to stop with; `None` for Ctrl-C.
    pub signal: Option<String>,
}

/// Where an action item stands: open until settled, once, as done or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionState {
    Open,
    Done,
    Dropped,
}

impl ActionState {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionItem {
    /// The `action` event's id: what `action done` and `action drop` name it by.
    pub id: String,
    pub title: String,
    pub owner: String,
    /// `YYYY-MM-DD`, as given.
    pub due: Option<String>,
    pub action_type: String,
    pub link: Option<String>,
    pub at: DateTime<Utc>,
    pub state: ActionState,
    /// When it was done or dropped, and by whom.
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_by: Option<String>,
    /// `action done --note`.
    pub note: Option<String>,
    /// `action drop --reason`.
    pub reason: Option<String>,
}

impl ActionItem {
    /// Open, with a due date before `today` (`YYYY-MM-DD`, UTC): dates in that form compare
    /// as text.
    pub fn overdue_on(&self, today: &str) -> bool {
        self.state == ActionState::Open && self.due.as_deref().is_some_and(|d| d < today)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateRecord {
    /// The update event's id: what deliveries and receivers name it by.
    pub id: String,
    pub channel: String,
    pub message: String,
    pub status: Option<crate::events::PublicStatus>,
    /// On a maintenance, the state the update announces.
    pub maintenance_status: Option<MaintenanceState>,
    pub eta: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    pub by: String,
    /// Delivery attempts so far, and whether one succeeded.
    pub attempts: u32,
    pub delivered: bool,
    /// The last attempt's outcome, for people: `HTTP 200`, `exit 1`, `timed out after 10s`.
    pub last_outcome: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub services: Vec<String>,
    pub kind: Kind,
    /// A game day: left out of statistics and the public page.
    pub drill: bool,
    /// A maintenance's window; `None` for an incident.
    pub maintenance: Option<Window>,
    /// Every move of a maintenance, in the fold's order: the state in force at each moment
    /// (what the status page says an update without a status announced).
    pub maintenance_moves: Vec<(DateTime<Utc>, MaintenanceState)>,
    /// Kept off every public file, whatever its severity or updates.
    pub private: bool,
    pub state: State,
    /// Set when the state is canceled: the first cancellation in the fold's order.
    pub canceled: Option<Cancellation>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    /// The runbook the walk follows: the latest attached.
    pub runbook: Option<String>,
    /// Every runbook attached, in the order first attached; each keeps its results.
    pub runbooks: Vec<String>,
    /// Runbook id → the SHA-256 of its file when last attached (`None` in older logs), and
    /// when: a command from a file changed since is flagged.
    pub attached: BTreeMap<String, (Option<String>, DateTime<Utc>)>,
    /// The key moments, as given.
    pub moments: Moments,
    pub severities: Vec<Span>,
    /// Role name → who held it when, in order.
    pub roles: BTreeMap<String, Vec<Span>>,
    pub phases: Vec<Span>,
    pub steps: Vec<StepRecord>,
    pub commands: Vec<CommandRecord>,
    pub actions: Vec<ActionItem>,
    pub updates: Vec<UpdateRecord>,
    /// Retro section → texts, in order given.
    pub retro: BTreeMap<String, Vec<String>>,
    pub root_cause: Option<String>,
    /// The impact counts as they stand (the latest given of each).
    pub customers: Option<u64>,
    pub failed_orders: Option<u64>,
    pub tickets: Option<u64>,
    /// Every event once, corrected, ordered by (when it happened, id): the timeline.
    /// Corrections and retracted events are in it too; the fold skipped them.
    pub events: Vec<Event>,
    /// Ids of events an `amend` corrected.
    pub corrected: BTreeSet<String>,
    /// Ids of retracted events, with the reason.
    pub retracted: BTreeMap<String, String>,
    /// The severity in force before each severity change, in the fold's order. The event's
    /// own `from` is what its writer saw; after a sync merged two clones' changes the fold's
    /// order is the one history, so the timeline reads as one sequence (SEV1 → SEV2 → SEV3).
    pub severity_before: BTreeMap<String, String>,
    /// `opened` events after the first: the same incident opened on two machines (the same
    /// title on the same day gives the same id) and joined by a sync. The first opening
    /// stands; these are said, never silently dropped.
    pub also_opened: Vec<Opening>,
    /// The alerts that came in (`ingest`), by fingerprint: where each stands as its sender
    /// last said. An alert resolving never resolves the incident: that is a person's call.
    pub alerts: BTreeMap<String, AlertState>,
}

/// One alert of an incident as it stands: its latest `alert` event in the fold's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertState {
    pub fingerprint: String,
    pub name: String,
    pub source: String,
    pub status: AlertStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// When its latest notification was received.
    pub at: DateTime<Utc>,
    pub link: Option<String>,
}

/// An `opened` event that did not open the incident (see [`Incident::also_opened`]).
#[derive(Debug, Clone, Serialize)]
pub struct Opening {
    pub by: String,
    pub at: DateTime<Utc>,
    pub severity: String,
}

/// The fold's order: when it happened, then the opening before the rest of its moment (the
/// commander and runbook `open` writes share the opening's time, and read wrong before it),
/// then id, so that the same set of events folds the same way whatever order the lines are in.
fn order(a: &Event, b: &Event) -> std::cmp::Ordering {
    let key = |e: &Event| (e.when(), !matches!(e.body, Body::Opened { .. }));
    (key(a), &a.id).cmp(&(key(b), &b.id))
}

/// Each id once (two lines with one id are one event; where they differ, the one that sorts
/// first by content wins, whatever the line order), sorted by (when, id).
pub fn canonical(mut events: Vec<Event>) -> Vec<Event> {
    events.sort_by(|a, b| {
        a.id.cmp(&b.id).then_with(|| a.when().cmp(&b.when())).then_with(|| {
            // Only two different lines with one id get here: rare, so the cost is fine.
            let (x, y) = (serde_json::to_string(a).ok(), serde_json::to_string(b).ok());
            x.cmp(&y)
        })
    });
    events.dedup_by(|b, a| a.id == b.id);
    events.sort_by(order);
    events
}

/// Applies the corrections (in fold order: a later amendment wins) to the events they name.
/// Returns the corrected events, the ids amended, and the ids retracted with their reasons.
fn corrections(events: Vec<Event>) -> (Vec<Event>, BTreeSet<String>, BTreeMap<String, String>) {
    let mut amended: BTreeMap<String, (Option<DateTime<Utc>>, Option<String>)> = BTreeMap::new();
    let mut retracted = BTreeMap::new();
    for e in &events {
        match &e.body {
            Body::Amend { event, time, text } => {
                let entry = amended.entry(event.clone()).or_default();
                if time.is_some() {
                    entry.0 = *time;
                }
                if text.is_some() {
                    entry.1.clone_from(text);
                }
            }
            Body::Retract { event, reason } => {
                retracted.insert(event.clone(), reason.clone());
            }
            _ => {}
        }
    }
    if amended.is_empty() {
        return (events, BTreeSet::new(), retracted);
    }
    let mut corrected = BTreeSet::new();
    let mut out: Vec<Event> = events
        .into_iter()
        .map(|mut e| {
            if e.body.is_correction() {
                return e;
            }
            if let Some((time, text)) = amended.get(&e.id) {
                if let Some(t) = time {
                    e.occurred_at = Some(*t);
                }
                if let Some(b) = text.as_ref().and_then(|t| e.body.with_text(t.clone())) {
                    e.body = b;
                }
                corrected.insert(e.id.clone());
            }
            e
        })
        .collect();
    out.sort_by(order);
    (out, corrected, retracted)
}

/// Ends the span that holds (if one does) and starts one holding `value` from event `e`.
fn begin(spans: &mut Vec<Span>, value: &str, e: &Event, reason: Option<String>) {
    let from = e.when();
    close_last(spans, from);
    spans.push(Span { value: value.to_string(), from, to: None, by: e.by.clone(), reason });
}

impl StepRecord {
    /// The step a `step` event records; `None` for any other kind.
    fn of(e: &Event) -> Option<StepRecord> {
        let Body::Step { step, phase, outcome, choice, note, runbook } = &e.body else {
            return None;
        };
        Some(StepRecord {
            runbook: runbook.clone(),
            step: step.clone(),
            phase: *phase,
            outcome: *outcome,
            choice: choice.clone(),
            note: note.clone(),
            at: e.when(),
            by: e.by.clone(),
        })
    }
}

impl CommandRecord {
    /// The run a `command` event records; `None` for any other kind.
    fn of(e: &Event) -> Option<CommandRecord> {
        let Body::Command {
            step,
            command,
            exit_code,
            output,
            runbook,
            timeout_s,
            timed_out,
            interrupted,
            signal,
            ..
        } = &e.body
        else {
            return None;
        };
        Some(CommandRecord {
            runbook: runbook.clone(),
            step: step.clone(),
            command: command.clone(),
            exit_code: *exit_code,
            output: output.clone(),
            at: e.when(),
            by: e.by.clone(),
            timed_out_s: timed_out.then(|| timeout_s.unwrap_or(0)),
            interrupted: *interrupted,
            signal: signal.clone(),
        })
    }
}

impl ActionItem {
    /// The open action item an `action` event records; `None` for any other kind.
    fn opened(e: &Event) -> Option<ActionItem> {
        let Body::Action { title, owner, due, action_type, link } = &e.body else {
            return None;
        };
        Some(ActionItem {
            id: e.id.clone(),
            title: title.clone(),
            owner: owner.clone(),
            due: due.clone(),
            action_type: action_type.clone(),
            link: link.clone(),
            at: e.when(),
            state: ActionState::Open,
            settled_at: None,
            settled_by: None,
            note: None,
            reason: None,
        })
    }
}

impl UpdateRecord {
    /// The update an `update` event records, not yet delivered; `None` for any other kind.
    pub fn sent(e: &Event) -> Option<UpdateRecord> {
        let Body::Update { channel, message, status, eta, maintenance_status } = &e.body else {
            return None;
        };
        Some(UpdateRecord {
            id: e.id.clone(),
            channel: channel.clone(),
            message: message.clone(),
            status: *status,
            maintenance_status: *maintenance_status,
            eta: *eta,
            attempts: 0,
            delivered: false,
            last_outcome: None,
            at: e.when(),
            by: e.by.clone(),
        })
    }
}

fn close_last(spans: &mut [Span], at: DateTime<Utc>) {
    if let Some(last) = spans.last_mut()
        && last.to.is_none()
    {
        last.to = Some(at);
    }
}

/// Whether a record made against `recorded` counts for runbook `runbook`.
fn belongs(recorded: &Option<String>, runbook: &str) -> bool {
    recorded.as_deref().is_none_or(|r| r == runbook)
}

/// The order of the key moments (README, "The record's rules"): (earlier, later) pairs that
/// must hold.
const ORDER: [(Milestone, Milestone); 6] = [
    (Milestone::Started, Milestone::Detected),
    (Milestone::Started, Milestone::Acknowledged),
    (Milestone::Started, Milestone::Mitigated),
    (Milestone::Started, Milestone::Resolved),
    (Milestone::Detected, Milestone::Acknowledged),
    (Milestone::Mitigated, Milestone::Resolved),
];

/// The key moments as the log gives them, and what a write checks a new one against. Kept
/// by the fold and by the incident's head (`head`), so checks never need the whole log.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Moments {
    /// When the incident was opened: impact started and detected default to it.
    pub opened_at: DateTime<Utc>,
    /// Each milestone's moment, as given (`mark`, `resolve`, `open --started-at`).
    pub marks: BTreeMap<Milestone, DateTime<Utc>>,
    /// The `mark` event of each milestone marked explicitly: its id and moment.
    pub marked_by: BTreeMap<Milestone, (String, DateTime<Utc>)>,
    /// The failing share (percent) from each `impact --share` on, in the fold's order, with
    /// the event's id (ties at one moment fold by id). Before the first: 100%.
    #[serde(default)]
    pub shares: Vec<(DateTime<Utc>, String, f64)>,
}

impl Moments {
    pub fn new(opened_at: DateTime<Utc>) -> Moments {
        Moments { opened_at, marks: BTreeMap::new(), marked_by: BTreeMap::new(), shares: Vec::new() }
    }

    /// A milestone's moment: as given, else (impact started, detected) when the incident was
    /// opened: opening an incident is the moment someone noticed.
    pub fn get(&self, m: Milestone) -> Option<DateTime<Utc>> {
        let given = self.marks.get(&m).copied();
        match m {
            Milestone::Started | Milestone::Detected => given.or(Some(self.opened_at)),
            _ => given,
        }
    }

    /// Checks a new key moment: not already marked (a wrong one is amended, never typed
    /// again) and in order with the others.
    pub fn check_new_mark(&self, m: Milestone, at: DateTime<Utc>) -> crate::error::Result<()> {
        if let Some((event, when)) = self.marked_by.get(&m) {
            return Err(crate::error::RecordError::AlreadyMarked {
                milestone: m.name(),
                at: *when,
                event: event.clone(),
            }
            .into());
        }
        self.with(m, at).check(m)
    }

    /// Refuses a fact of kind `kind` at `at` before impact started: only a note may come
    /// before it (`Body::may_precede_impact`). A typo in `--at` (14:05 for 15:05) would
    /// otherwise give negative times at a severity and a timeline that starts before impact.
    pub fn check_fact(&self, kind: &'static str, at: DateTime<Utc>) -> crate::error::Result<()> {
        let Some(started) = self.get(Milestone::Started) else { return Ok(()) };
        if at < started {
            return Err(crate::error::RecordError::BeforeImpact {
                kind,
                at,
                started,
                started_is_opening: !self.marks.contains_key(&Milestone::Started),
            }
            .into());
        }
        Ok(())
    }

    /// Resolving sets the resolved moment, unless `mark resolved` already did.
    pub fn check_resolution(&self, at: DateTime<Utc>) -> crate::error::Result<()> {
        if self.marks.contains_key(&Milestone::Resolved) {
            return Ok(());
        }
        self.with(Milestone::Resolved, at).check(Milestone::Resolved)
    }

    /// Records a failing share from `at` on, keeping the fold's order (time, then id).
    pub fn add_share(&mut self, at: DateTime<Utc>, id: &str, percent: f64) {
        let i = self.shares.partition_point(|(t, i, _)| (*t, i.as_str()) <= (at, id));
        self.shares.insert(i, (at, id.to_string(), percent));
    }

    /// The failing share in force at `t`, in percent.
    pub fn share_at(&self, t: DateTime<Utc>) -> f64 {
        self.shares.iter().rev().find(|(at, _, _)| *at <= t).map_or(100.0, |(_, _, p)| *p)
    }

    /// These moments with milestone `m` at `at`.
    pub fn with(&self, m: Milestone, at: DateTime<Utc>) -> Moments {
        let mut next = self.clone();
        next.marks.insert(m, at);
        next
    }

    /// Refuses key moments out of order (nothing before impact started, detected ≤
    /// acknowledged, mitigated ≤ resolved), naming the milestone `changed` conflicts with.
    pub fn check(&self, changed: Milestone) -> crate::error::Result<()> {
        for (earlier, later) in ORDER.into_iter().filter(|(a, b)| *a == changed || *b == changed) {
            let (Some(e), Some(l)) = (self.get(earlier), self.get(later)) else { continue };
            if e > l {
                let (other, other_at) = if earlier == changed { (later, l) } else { (earlier, e) };
                return Err(crate::error::RecordError::MilestoneOrder {
                    milestone: changed.name(),
                    at: if earlier == changed { e } else { l },
                    relation: if earlier == changed { "after" } else { "before" },
                    other: other.name(),
                    other_at,
                    other_is_opening: !self.marks.contains_key(&other),
                }
                .into());
            }
        }
        Ok(())
    }
}

impl Incident {
    /// Folds a log: a function of the set of its events. Returns `None` when the
    /// log has no `opened` event.
    pub fn fold(id: &str, events: Vec<Event>) -> Option<Incident> {
        let (events, corrected, retracted) = corrections(canonical(events));
        let fact = |e: &&Event| !e.body.is_correction() && !retracted.contains_key(&e.id);
        let opened = events.iter().filter(fact).find_map(|e| match &e.body {
            Body::Opened { title, severity, services, drill, private, maintenance } => Some((
                e,
                title.clone(),
                severity.clone(),
                services.clone(),
                (*drill, *private),
                maintenance.clone(),
            )),
            _ => None,
        })?;
        let (first, title, severity, services, (drill, private), planned) = opened;
        let mut inc = Incident {
            id: id.to_string(),
            title,
            severity: severity.clone(),
            services,
            kind: if planned.is_some() { Kind::Maintenance } else { Kind::Incident },
            drill,
            maintenance_moves: planned.iter().map(|_| (first.when(), MaintenanceState::Scheduled)).collect(),
            maintenance: planned.as_ref().map(Window::planned),
            private,
            state: State::Open,
            canceled: None,
            opened_at: first.when(),
            opened_by: first.by.clone(),
            runbook: None,
            runbooks: Vec::new(),
            attached: BTreeMap::new(),
            moments: Moments::new(first.when()),
            severities: vec![Span {
                value: severity,
                from: first.when(),
                to: None,
                by: first.by.clone(),
                reason: None,
            }],
            roles: BTreeMap::new(),
            phases: vec![Span {
                value: Phase::Detect.name().into(),
                from: first.when(),
                to: None,
                by: first.by.clone(),
                reason: None,
            }],
            steps: Vec::new(),
            commands: Vec::new(),
            actions: Vec::new(),
            updates: Vec::new(),
            retro: BTreeMap::new(),
            root_cause: None,
            customers: None,
            failed_orders: None,
            tickets: None,
            events: Vec::new(),
            corrected: BTreeSet::new(),
            retracted: BTreeMap::new(),
            severity_before: BTreeMap::new(),
            also_opened: Vec::new(),
            alerts: BTreeMap::new(),
        };
        for e in events.iter().filter(fact) {
            if let Body::Opened { severity, .. } = &e.body
                && e.id != first.id
            {
                inc.also_opened.push(Opening { by: e.by.clone(), at: e.when(), severity: severity.clone() });
            }
            inc.apply(e);
        }
        // After every action is known: a settlement backdated (`--at`) before its action
        // still settles it. The first in the fold's order wins (an action is settled once).
        for e in events.iter().filter(fact) {
            inc.settle(e);
        }
        inc.events = events;
        inc.corrected = corrected;
        inc.retracted = retracted;
        Some(inc)
    }

    fn apply(&mut self, e: &Event) {
        let when = e.when();
        match &e.body {
            Body::Opened { .. } | Body::Note { .. } | Body::Amend { .. } | Body::Retract { .. } => {}
            Body::Mark { milestone } => {
                self.moments.marks.insert(*milestone, when);
                self.moments.marked_by.insert(*milestone, (e.id.clone(), when));
            }
            Body::Severity { to, reason, .. } => {
                self.severity_before.insert(e.id.clone(), self.severity.clone());
                self.severity = to.clone();
                begin(&mut self.severities, to, e, reason.clone());
            }
            Body::Role { role, name } => begin(self.roles.entry(role.clone()).or_default(), name, e, None),
            Body::Runbook { runbook, sha256 } => {
                if !self.runbooks.contains(runbook) {
                    self.runbooks.push(runbook.clone());
                }
                self.attached.insert(runbook.clone(), (sha256.clone(), when));
                self.runbook = Some(runbook.clone());
            }
            Body::Phase { phase } => begin(&mut self.phases, phase.name(), e, None),
            Body::Step { .. } => self.steps.extend(StepRecord::of(e)),
            Body::Command { .. } => self.commands.extend(CommandRecord::of(e)),
            Body::Action { .. } => self.actions.extend(ActionItem::opened(e)),
            // Applied by `settle`, once every action item is known.
            Body::ActionDone { .. } | Body::ActionDropped { .. } => {}
            Body::Update { .. } => {
                self.updates.extend(UpdateRecord::sent(e));
                self.move_maintenance(e);
            }
            Body::Maintenance { .. } => self.move_maintenance(e),
            Body::Alert { source, name, fingerprint, status, starts_at, ends_at, link, .. } => {
                let alert = AlertState {
                    fingerprint: fingerprint.clone(),
                    name: name.clone(),
                    source: source.clone(),
                    status: *status,
                    starts_at: *starts_at,
                    ends_at: *ends_at,
                    at: when,
                    link: link.clone(),
                };
                self.alerts.insert(fingerprint.clone(), alert);
            }
            Body::Delivery { .. } => self.deliver(e),
            Body::Impact { share, customers, failed_orders, tickets } => {
                if let Some(p) = share {
                    self.moments.add_share(when, &e.id, *p);
                }
                self.customers = customers.or(self.customers);
                self.failed_orders = failed_orders.or(self.failed_orders);
                self.tickets = tickets.or(self.tickets);
            }
            Body::Retro { section, text } => {
                self.retro.entry(section.clone()).or_default().push(text.clone())
            }
            Body::Resolved { root_cause } => {
                if root_cause.is_some() {
                    self.root_cause = root_cause.clone();
                }
                self.state = self.state.max(State::Resolved);
                self.moments.marks.entry(Milestone::Resolved).or_insert(when);
                self.end_spans(when);
            }
            Body::Closed {} => {
                self.state = self.state.max(State::Closed);
                self.end_spans(when);
            }
            Body::Visibility { visibility } => self.private = *visibility == Visibility::Private,
            Body::Drill { drill } => self.drill = *drill,
            Body::Canceled { reason } => {
                self.state = self.state.max(State::Canceled);
                if self.canceled.is_none() {
                    self.canceled = Some(Cancellation { reason: reason.clone(), at: when, by: e.by.clone() });
                }
                self.end_spans(when);
            }
        }
    }

    /// Moves a maintenance as event `e` says; one that is over is closed: it needs no
    /// postmortem, so nothing is left to do in it. On an incident, nothing happens.
    fn move_maintenance(&mut self, e: &Event) {
        let (Some(w), Some(to)) = (self.maintenance.as_mut(), Window::move_of(&e.body)) else { return };
        if w.move_to(to, e.when()) {
            self.maintenance_moves.push((e.when(), to));
            if to.is_over() {
                self.state = self.state.max(over_state(to));
                self.end_spans(e.when());
            }
        }
    }

    /// Counts a delivery attempt against its update. Deliveries come after their update in
    /// the fold's order (logged after it); one for an unknown update is ignored.
    fn deliver(&mut self, e: &Event) {
        let Body::Delivery { update, attempt, delivered, http_status, exit_code, error, .. } = &e.body else {
            return;
        };
        if let Some(u) = self.updates.iter_mut().find(|u| u.id == *update) {
            u.attempts = u.attempts.max(*attempt);
            u.delivered |= *delivered;
            u.last_outcome = Some(match (http_status, exit_code, error) {
                (Some(s), _, _) => format!("HTTP {s}"),
                (None, Some(c), _) => format!("exit {c}"),
                (None, None, Some(e)) => e.clone(),
                (None, None, None) => if *delivered { "delivered" } else { "failed" }.to_string(),
            });
        }
    }

    /// Settles the action item a `action_done` / `action_dropped` event names, unless it is
    /// unknown or already settled.
    fn settle(&mut self, e: &Event) {
        let (action, state, note, reason) = match &e.body {
            Body::ActionDone { action, note } => (action, ActionState::Done, note.clone(), None),
            Body::ActionDropped { action, reason } => {
                (action, ActionState::Dropped, None, Some(reason.clone()))
            }
            _ => return,
        };
        if let Some(a) = self.actions.iter_mut().find(|a| a.id == *action && a.state == ActionState::Open) {
            a.state = state;
            a.settled_at = Some(e.when());
            a.settled_by = Some(e.by.clone());
            a.note = note;
            a.reason = reason;
        }
    }

    /// Phases, severities and roles stop running when the incident ends.
    fn end_spans(&mut self, at: DateTime<Utc>) {
        close_last(&mut self.phases, at);
        close_last(&mut self.severities, at);
        for spans in self.roles.values_mut() {
            close_last(spans, at);
        }
    }

    pub fn phase(&self) -> Phase {
        self.phases.last().and_then(|s| Phase::parse(&s.value)).unwrap_or(Phase::Detect)
    }

    pub fn mark(&self, m: Milestone) -> Option<DateTime<Utc>> {
        self.moments.get(m)
    }

    /// The latest record of each step of runbook `runbook`, keyed by step id.
    pub fn step_outcomes(&self, runbook: &str) -> BTreeMap<&str, &StepRecord> {
        self.steps.iter().filter(|s| belongs(&s.runbook, runbook)).map(|s| (s.step.as_str(), s)).collect()
    }

    /// The commands run for steps of runbook `runbook`.
    pub fn commands_of<'a>(&'a self, runbook: &'a str) -> impl Iterator<Item = &'a CommandRecord> {
        self.commands.iter().filter(move |c| belongs(&c.runbook, runbook))
    }

    /// Refuses moving impact started to `started` when a fact already logged (other than
    /// those `moving` says move with it) would then come before it: only a note may, and a
    /// log that says otherwise would show negative times at a severity.
    pub fn check_started_later(
        &self,
        started: DateTime<Utc>,
        moving: impl Fn(&Event) -> bool,
    ) -> crate::error::Result<()> {
        let first = self.events.iter().find(|e| {
            !moving(e)
                && !e.body.may_precede_impact()
                && !self.retracted.contains_key(&e.id)
                && e.when() < started
        });
        match first {
            Some(e) => Err(crate::error::RecordError::FactBeforeImpact {
                started,
                kind: e.body.kind(),
                event: e.id.clone(),
                at: e.when(),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// The one check that a command may change the response: the incident is open.
    pub fn require_open(&self) -> crate::error::Result<()> {
        self.state.require_open(&self.id)
    }

    pub fn commander(&self) -> Option<&str> {
        self.roles.get("commander").and_then(|s| s.last()).map(|s| s.value.as_str())
    }

    /// The latest moment the record speaks of: when an event was logged or when it says it
    /// happened, corrections and retracted events included (they were logged then too).
    pub fn latest(&self) -> DateTime<Utc> {
        self.events.iter().map(|e| e.at.max(e.when())).max().unwrap_or(self.opened_at)
    }

    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        match self.state {
            State::Open => None,
            _ => self.phases.last().and_then(|s| s.to),
        }
    }
}

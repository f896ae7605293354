//! Where one incident stands (`status --json`): built once, shown by `status`, and
//! printed by every command that reports the incident it acted on (`open --json`).

pub mod brief;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::flow::Plan;
use crate::index::Summary;
use crate::load;
use crate::metrics::{self, KeyTimes, Metrics, PhaseRow};
use crate::phase::Phase;
use crate::repo::Repo;
use crate::state::{Incident, State, UpdateRecord};
use crate::timefmt::{self, human};

#[derive(Serialize)]
pub struct StepRef {
    pub id: String,
    pub title: String,
    pub phase: Phase,
}

/// The `status --json` object: the summary `list --json` gives, and more.
#[derive(Serialize)]
pub struct StatusJson {
    #[serde(flatten)]
    pub summary: Summary,
    /// The highest severity reached (`severity` is the current one).
    pub peak_severity: String,
    /// The runbook the walk follows (the latest attached).
    pub runbook: Option<String>,
    /// Every runbook attached, in order.
    pub runbooks: Vec<String>,
    pub key_times: KeyTimes,
    pub metrics: Metrics,
    pub revenue_lost: Option<f64>,
    pub phases: Vec<PhaseRow>,
    pub next_step: Option<StepRef>,
    /// When the next stakeholder update is due; null when none is.
    pub updates_due_at: Option<DateTime<Utc>>,
    /// Ids of the updates logged but not delivered to their channel's target.
    pub undelivered: Vec<String>,
    pub overdue: Vec<String>,
    /// Where this clone stands against its git remote; null without a remote.
    pub sync: Option<crate::repo::Standing>,
    /// Why, when and by whom it was canceled; null unless it was.
    pub canceled: Option<crate::state::Cancellation>,
    /// Openings after the first (`by`, `at`, `severity`): the incident was opened on two
    /// machines and a sync joined them. Empty as a rule.
    pub also_opened: Vec<crate::state::Opening>,
    /// The alerts that came in (`ingest`), each as its sender last said, by fingerprint.
    pub alerts: Vec<crate::state::AlertState>,
}

/// The updates logged but not (yet) delivered, to channels that have a `deliver:` target:
/// what `update --retry` would try again.
pub fn undelivered<'a>(inc: &'a Incident, config: &Config) -> Vec<&'a UpdateRecord> {
    inc.updates
        .iter()
        .filter(|u| !u.delivered && config.channels.get(&u.channel).is_some_and(|c| c.deliver.is_some()))
        .collect()
}

pub fn build(repo: &Repo, inc: &Incident, now: DateTime<Utc>) -> StatusJson {
    let found = load::attached_runbook(repo, inc).ok();
    let rb = found.as_ref();
    let m = metrics::metrics(inc);
    // Planned work has no response to time against phase budgets.
    let phases = match inc.kind {
        crate::state::Kind::Incident => metrics::phases(inc, &repo.config, rb, now),
        crate::state::Kind::Maintenance => Vec::new(),
    };
    // Resolved or closed, the response is over: no step is next.
    let next_step = rb.filter(|_| inc.state == State::Open).and_then(|rb| {
        Plan::compute(rb, inc).current_step().map(|p| StepRef {
            id: p.step.id.clone(),
            title: p.step.title.clone(),
            phase: p.phase,
        })
    });
    let summary = Summary::of(inc);
    StatusJson {
        peak_severity: summary.peak_severity(&repo.config).to_string(),
        summary,
        runbook: inc.runbook.clone(),
        runbooks: inc.runbooks.clone(),
        key_times: metrics::key_times(inc),
        revenue_lost: metrics::revenue_lost(&repo.config, &inc.services, metrics::failing_s(&inc.moments)),
        metrics: m,
        updates_due_at: metrics::update_cadence(inc, &repo.config, now).map(|c| c.due_at),
        undelivered: undelivered(inc, &repo.config).into_iter().map(|u| u.id.clone()).collect(),
        overdue: overdue(repo, inc, &phases, now),
        sync: crate::sync::standing(repo, Some(&inc.id)),
        also_opened: inc.also_opened.clone(),
        alerts: inc.alerts.values().cloned().collect(),
        canceled: inc.canceled.clone(),
        phases,
        next_step,
    }
}

/// What is late right now: the running phase past its budget, stakeholder updates past the
/// severity's cadence, action items past their due date.
fn overdue(repo: &Repo, inc: &Incident, phases: &[PhaseRow], now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if inc.state == State::Open {
        for p in phases.iter().filter(|p| p.running) {
            if let Some(over) = p.over_by_s {
                out.push(format!(
                    "phase {} is {} over its {} budget",
                    p.phase,
                    human(over),
                    human(p.budget_s)
                ));
            }
        }
    }
    if let Some(c) = metrics::update_cadence(inc, &repo.config, now).filter(|c| c.overdue) {
        out.push(format!(
            "stakeholder update overdue: last one {} ago, {} expects one every {}",
            human(c.since_s),
            inc.severity,
            human(c.every_s)
        ));
    }
    let today = timefmt::date(now);
    // Done and dropped items are settled: only open ones can be late.
    for a in inc.actions.iter().filter(|a| a.overdue_on(&today)) {
        let due = a.due.as_deref().unwrap_or_default();
        out.push(format!("action item {:?} ({}) was due {due}", a.title, a.owner));
    }
    out
}

/// The line a war room is shown when an update becomes due or overdue; the same test as
/// `status` and the card ([`metrics::UpdateCadence::overdue`]), so they never disagree.
pub fn reminder_line(inc: &Incident, c: &metrics::UpdateCadence, r: metrics::Reminder) -> String {
    match r {
        metrics::Reminder::Due => format!(
            "stakeholder update due in {} ({} UTC): `incident update --channel CH MESSAGE`",
            human(c.due_in_s),
            timefmt::hhmm(c.due_at)
        ),
        metrics::Reminder::Overdue => format!(
            "stakeholder update OVERDUE since {} UTC: {} expects one every {}",
            timefmt::hhmm(c.due_at),
            inc.severity,
            human(c.every_s)
        ),
    }
}

/// One reminder given: which incident, which, and the line for people.
#[derive(Serialize)]
pub struct Reminded {
    pub incident: String,
    pub reminder: &'static str,
    pub due_at: DateTime<Utc>,
    pub line: String,
}

/// The update reminders of a war room (the walk's card waiting for a key, `sync --watch`):
/// the incidents watched, each read again only when its log has grown, and the reminders
/// already given, each once per due moment.
#[derive(Default)]
pub struct Watch {
    incidents: std::collections::BTreeMap<String, (u64, Incident)>,
    reminders: std::collections::BTreeMap<String, metrics::Reminders>,
}

impl Watch {
    /// The reminders newly reached at `now` by the incidents `ids`. An incident that cannot
    /// be read is passed over: the command watching says so in its own way.
    pub fn check(&mut self, repo: &Repo, ids: &[String], now: DateTime<Utc>) -> Vec<Reminded> {
        let mut out = Vec::new();
        for id in ids {
            let Some(inc) = Self::incident(&mut self.incidents, repo, id) else { continue };
            let cadence = metrics::update_cadence(inc, &repo.config, now);
            let given = self.reminders.entry(id.clone()).or_default().next(cadence.as_ref());
            if let (Some(r), Some(c)) = (given, cadence) {
                out.push(Reminded {
                    incident: id.clone(),
                    reminder: match r {
                        metrics::Reminder::Due => "due",
                        metrics::Reminder::Overdue => "overdue",
                    },
                    due_at: c.due_at,
                    line: reminder_line(inc, &c, r),
                });
            }
        }
        out
    }

    /// The incident as its log has it now, folded again only when the log has grown.
    fn incident<'a>(
        seen: &'a mut std::collections::BTreeMap<String, (u64, Incident)>,
        repo: &Repo,
        id: &str,
    ) -> Option<&'a Incident> {
        let len = repo.events_path(id).ok().and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len())?;
        if seen.get(id).is_none_or(|(was, _)| *was != len) {
            let inc = crate::index::load(repo, id).ok()?.incident;
            seen.insert(id.to_string(), (len, inc));
        }
        seen.get(id).map(|(_, inc)| inc)
    }
}

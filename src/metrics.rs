//! The one place where durations are computed (SPEC §4, "Key times and metrics"). Status,
//! JSON output, the postmortem and the benchmarks all read these functions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::events::Milestone;
use crate::phase::Phase;
use crate::runbook::Runbook;
use crate::state::{Incident, Moments, Span};

fn secs(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    Some((to? - from?).num_seconds())
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyTimes {
    pub started: Option<DateTime<Utc>>,
    pub detected: Option<DateTime<Utc>>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub mitigated: Option<DateTime<Utc>>,
    pub resolved: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub time_to_detect_s: Option<i64>,
    pub time_to_acknowledge_s: Option<i64>,
    pub time_to_mitigate_s: Option<i64>,
    pub time_to_resolve_s: Option<i64>,
    pub impact_s: Option<i64>,
}

pub fn key_times(inc: &Incident) -> KeyTimes {
    moments_times(&inc.moments)
}

fn moments_times(m: &Moments) -> KeyTimes {
    KeyTimes {
        started: m.get(Milestone::Started),
        detected: m.get(Milestone::Detected),
        acknowledged: m.get(Milestone::Acknowledged),
        mitigated: m.get(Milestone::Mitigated),
        resolved: m.get(Milestone::Resolved),
    }
}

/// Impact duration: impact started → mitigated, else resolved.
pub fn impact_s(m: &Moments) -> Option<i64> {
    let k = moments_times(m);
    secs(k.started, k.mitigated.or(k.resolved))
}

pub fn metrics(inc: &Incident) -> Metrics {
    let k = key_times(inc);
    Metrics {
        time_to_detect_s: secs(k.started, k.detected),
        time_to_acknowledge_s: secs(k.detected, k.acknowledged),
        time_to_mitigate_s: secs(k.started, k.mitigated),
        time_to_resolve_s: secs(k.started, k.resolved),
        impact_s: impact_s(&inc.moments),
    }
}

/// `revenue_per_hour` × impact duration, rounded to whole currency units.
pub fn revenue_lost(config: &Config, impact_s: Option<i64>) -> Option<f64> {
    impact_s.map(|s| (config.revenue_per_hour * s as f64 / 3600.0).round())
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseRow {
    pub phase: Phase,
    pub budget_s: i64,
    /// Time spent in the phase so far; `None` if it was never entered.
    pub actual_s: Option<i64>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub running: bool,
    pub over: bool,
    /// How far past its budget the phase ran, when it did.
    pub over_by_s: Option<i64>,
}

/// Planned budget against time spent, for every phase. Open spans run until `now`.
pub fn phases(
    inc: &Incident,
    config: &Config,
    runbook: Option<&Runbook>,
    now: DateTime<Utc>,
) -> Vec<PhaseRow> {
    Phase::ALL
        .into_iter()
        .map(|phase| {
            let spans: Vec<&Span> = inc.phases.iter().filter(|s| s.value == phase.name()).collect();
            let budget_s = config.budget(phase, &inc.severity, runbook.and_then(|r| r.budget(phase)));
            let actual_s = (!spans.is_empty())
                .then(|| spans.iter().map(|s| (s.to.unwrap_or(now) - s.from).num_seconds()).sum::<i64>());
            PhaseRow {
                phase,
                budget_s,
                actual_s,
                started: spans.first().map(|s| s.from),
                ended: spans.last().and_then(|s| s.to),
                running: spans.last().is_some_and(|s| s.to.is_none()),
                over: actual_s.is_some_and(|a| a > budget_s),
                over_by_s: actual_s.map(|a| a - budget_s).filter(|o| *o > 0),
            }
        })
        .collect()
}

/// How long each span lasted (until `now` while it still holds).
pub fn span_secs(span: &Span, now: DateTime<Utc>) -> i64 {
    (span.to.unwrap_or(now) - span.from).num_seconds()
}

/// Time spent at each severity, in order of first reaching it.
pub fn severity_time(inc: &Incident, now: DateTime<Utc>) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for span in &inc.severities {
        let s = span_secs(span, now);
        match out.iter_mut().find(|(v, _)| *v == span.value) {
            Some((_, total)) => *total += s,
            None => out.push((span.value.clone(), s)),
        }
    }
    out
}

/// The last moment that counts for an incident: its end, or `now` while open.
pub fn end_or_now(inc: &Incident, now: DateTime<Utc>) -> DateTime<Utc> {
    inc.ended_at().unwrap_or(now)
}

/// The sum of a severity's phase budgets: how long a whole response may take at it.
pub fn total_budget(config: &Config, severity: &str) -> i64 {
    Phase::ALL.iter().map(|p| config.budget(*p, severity, None)).sum()
}

/// Where the stakeholder-update cadence stands for an open incident.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateCadence {
    /// The severity's `update_every`.
    pub every_s: i64,
    /// Since the last update (or since opening, when none was sent).
    pub since_s: i64,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
}

/// `None` when the incident is not open or its severity sets no cadence.
pub fn update_cadence(inc: &Incident, config: &Config, now: DateTime<Utc>) -> Option<UpdateCadence> {
    if inc.state != crate::state::State::Open {
        return None;
    }
    let every_s = config.update_every(&inc.severity)?;
    let last = inc.updates.last().map_or(inc.opened_at, |u| u.at);
    let since_s = (now - last).num_seconds();
    Some(UpdateCadence {
        every_s,
        since_s,
        due_at: last + chrono::Duration::seconds(every_s),
        overdue: since_s > every_s,
    })
}

//! The one place where durations are computed (README, "Key times"). Status,
//! JSON output, the postmortem and the benchmarks all read these functions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::events::Milestone;
use crate::phase::Phase;
use crate::runbook::Runbook;
use crate::state::{Incident, Moments};

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

#[derive(Debug, Clone, Default, Serialize)]
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

/// How long ago impact started, at `now` (0 when it lies ahead).
pub fn since_impact_s(inc: &Incident, now: DateTime<Utc>) -> Option<i64> {
    key_times(inc).started.map(|s| (now - s).num_seconds().max(0))
}

/// Impact duration: impact started → mitigated, else resolved.
pub fn impact_s(m: &Moments) -> Option<i64> {
    let k = moments_times(m);
    secs(k.started, k.mitigated.or(k.resolved))
}

pub fn metrics(inc: &Incident) -> Metrics {
    // Planned work has no outage to detect, mitigate or resolve.
    if inc.kind == crate::state::Kind::Maintenance {
        return Metrics::default();
    }
    let k = key_times(inc);
    Metrics {
        time_to_detect_s: secs(k.started, k.detected),
        time_to_acknowledge_s: secs(k.detected, k.acknowledged),
        time_to_mitigate_s: secs(k.started, k.mitigated),
        time_to_resolve_s: secs(k.started, k.resolved),
        impact_s: impact_s(&inc.moments),
    }
}

/// A stretch of the impact at one failing share.
#[derive(Debug, Clone, Serialize)]
pub struct ShareSpan {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Percent of the affected services' traffic failing.
    pub percent: f64,
    /// The percentage as people read it: `7%`, `12.5%`.
    pub label: String,
    pub seconds: i64,
}

/// `7` → `7%`, `12.5` → `12.5%`: no float noise in a postmortem.
pub fn percent_label(p: f64) -> String {
    let rounded = (p * 100.0).round() / 100.0;
    let text = format!("{rounded:.2}");
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// The impact, stretch by stretch, at the failing share in force: from impact started to
/// mitigated, else resolved; `None` while it has not ended. A stretch of less than a second
/// (a share logged a moment before mitigation) is joined to the next one, else to the one
/// before: times are shown to the second, and a row "14:25:51Z → 14:25:51Z (0s)" says nothing.
pub fn share_spans(m: &Moments) -> Option<Vec<ShareSpan>> {
    let k = moments_times(m);
    let (start, end) = (k.started?, k.mitigated.or(k.resolved)?);
    let mut cuts: Vec<DateTime<Utc>> =
        m.shares.iter().map(|(t, _, _)| *t).filter(|t| *t > start && *t < end).collect();
    cuts.dedup();
    let mut out: Vec<ShareSpan> = Vec::new();
    let mut from = start;
    // Where a stretch too short to show began: the next stretch starts there instead.
    let mut carried: Option<DateTime<Utc>> = None;
    for to in cuts.into_iter().chain(std::iter::once(end)) {
        if to > from {
            let percent = m.share_at(from);
            let begin = carried.take().unwrap_or(from);
            if (to - begin).num_seconds() == 0 {
                carried = Some(begin);
            } else {
                match out.last_mut() {
                    Some(last) if last.percent == percent => last.to = to,
                    _ => out.push(ShareSpan {
                        from: begin,
                        to,
                        percent,
                        label: percent_label(percent),
                        seconds: 0,
                    }),
                }
            }
        }
        from = to;
    }
    if carried.is_some()
        && let Some(last) = out.last_mut()
    {
        last.to = end;
    }
    for s in &mut out {
        s.seconds = (s.to - s.from).num_seconds();
    }
    Some(out)
}

/// The impact duration weighted by the failing share, in seconds.
pub fn failing_s(m: &Moments) -> Option<f64> {
    share_spans(m).map(|spans| spans.iter().map(|s| s.seconds as f64 * s.percent / 100.0).sum())
}

/// Revenue per hour of the affected services: each service's `revenue_per_hour`, else the
/// repository's. `None` when the incident names no service: nothing says which part of the
/// business it hurt, so no revenue is estimated (charging the whole company's would make an
/// internal tool's slowness the largest loss of the year).
pub fn revenue_per_hour(config: &Config, services: &[String]) -> Option<f64> {
    (!services.is_empty()).then(|| {
        services
            .iter()
            .map(|s| {
                config.services.get(s).and_then(|d| d.revenue_per_hour).unwrap_or(config.revenue_per_hour)
            })
            .sum()
    })
}

/// Revenue lost: revenue per hour of the affected services × the failing share in force,
/// summed over the impact duration; rounded to whole currency units. `None` while the impact
/// runs, and for an incident that names no service.
pub fn revenue_lost(config: &Config, services: &[String], failing_s: Option<f64>) -> Option<f64> {
    Some((revenue_per_hour(config, services)? * failing_s? / 3600.0).round())
}

/// The revenue estimate with its formula, for the postmortem.
#[derive(Debug, Clone, Serialize)]
pub struct Revenue {
    pub per_hour: f64,
    pub lost: f64,
    pub spans: Vec<ShareSpan>,
}

pub fn revenue(config: &Config, inc: &Incident) -> Option<Revenue> {
    let spans = share_spans(&inc.moments)?;
    let lost = revenue_lost(config, &inc.services, failing_s(&inc.moments))?;
    Some(Revenue { per_hour: revenue_per_hour(config, &inc.services)?, lost, spans })
}

/// One stretch of time the incident spent in a phase.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseSpan {
    pub from: DateTime<Utc>,
    /// `None` while it still runs.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseRow {
    pub phase: Phase,
    pub budget_s: i64,
    /// The severity whose budget applies: the one in force when the phase was first entered.
    pub budget_severity: String,
    /// Time spent in the phase: the sum of its spans; `None` if it was never entered.
    pub actual_s: Option<i64>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    /// Every stretch spent in the phase (going back to a phase adds one).
    pub spans: Vec<PhaseSpan>,
    pub running: bool,
    pub over: bool,
    /// How far past its budget the phase ran, when it did.
    pub over_by_s: Option<i64>,
}

/// The severity in force at `t`: the span that holds then, else (before the first one, as
/// when impact started before the incident was opened) the opening severity.
pub fn severity_at(inc: &Incident, t: DateTime<Utc>) -> &str {
    inc.severities
        .iter()
        .rev()
        .find(|s| s.from <= t)
        .or(inc.severities.first())
        .map_or(inc.severity.as_str(), |s| s.value.as_str())
}

/// The highest of `reached`: the first in `incident.yaml`'s order (SEV1 first), undeclared
/// ones last, ties by name. Lists, `stats --by severity` and downtime all use it.
pub fn peak_severity<'a>(config: &Config, reached: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    reached
        .into_iter()
        .min_by(|a, b| config.severity_rank(a).cmp(&config.severity_rank(b)).then_with(|| a.cmp(b)))
}

/// The severity as lists and headers show it: the current one, and the peak beside it when
/// the incident was once more severe (`SEV2, peak SEV1`).
pub fn severity_label(current: &str, peak: Option<&str>) -> String {
    match peak {
        Some(p) if p != current => format!("{current}, peak {p}"),
        _ => current.to_string(),
    }
}

/// Every severity an incident was at, the opening one first.
pub fn severities_reached(inc: &Incident) -> impl Iterator<Item = &str> {
    inc.severities.iter().map(|s| s.value.as_str()).chain(std::iter::once(inc.severity.as_str()))
}

/// The stretches spent in each phase on the outage's clock, in time order: `detect` from
/// impact started until `detected` (or until the next phase was entered, if earlier); the
/// confirming that follows detection is assessment, so `assess` runs from `detected` until
/// the next phase is entered; every later stretch as the log records it.
fn clock_spans(inc: &Incident) -> Vec<(Phase, PhaseSpan)> {
    let started = inc.moments.get(Milestone::Started).unwrap_or(inc.opened_at);
    let detected = inc.moments.get(Milestone::Detected).unwrap_or(inc.opened_at);
    let mut out: Vec<(Phase, PhaseSpan)> = Vec::new();
    // Entering `assess` once detected continues the stretch that began at `detected`.
    let mut push = |phase: Phase, span: PhaseSpan| match out.last_mut() {
        Some((p, last)) if *p == phase && last.to == Some(span.from) => last.to = span.to,
        _ => out.push((phase, span)),
    };
    for (i, s) in inc.phases.iter().enumerate() {
        let Some(phase) = Phase::parse(&s.value) else { continue };
        if i > 0 || phase != Phase::Detect {
            push(phase, PhaseSpan { from: s.from, to: s.to });
            continue;
        }
        // The first detect stretch is the outage's: it began with the impact.
        let from = started.min(s.to.unwrap_or(started));
        let cut = detected.max(from);
        match s.to {
            Some(end) if cut >= end => push(phase, PhaseSpan { from, to: Some(end) }),
            to => {
                push(phase, PhaseSpan { from, to: Some(cut) });
                push(Phase::Assess, PhaseSpan { from: cut, to });
            }
        }
    }
    out
}

/// The budget of `phase` at `severity`, in seconds: the runbook's, else the severity's, else
/// the repository's, else the default. `stats` calls it with the severity it cached;
/// everything that has the incident calls [`phase_budget`].
pub fn budget_s(config: &Config, runbook: Option<&Runbook>, phase: Phase, severity: &str) -> i64 {
    config.budget(phase, severity, runbook.and_then(|r| r.budget(phase)))
}

/// A phase's budget and the severity it is the budget of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub seconds: i64,
    pub severity: String,
}

/// This phase's budget: the one of the severity in force when the phase was first entered on
/// the outage's clock; for a phase not yet entered, the current severity's. The walk, its
/// card, `status`, the postmortem and `stats` all answer with it.
pub fn phase_budget(inc: &Incident, config: &Config, runbook: Option<&Runbook>, phase: Phase) -> Budget {
    let first = clock_spans(inc).into_iter().find(|(p, _)| *p == phase).map(|(_, s)| s.from);
    let severity = first.map_or(inc.severity.as_str(), |t| severity_at(inc, t)).to_string();
    Budget { seconds: budget_s(config, runbook, phase, &severity), severity }
}

/// Planned budget against time spent, for every phase, on the outage's clock (see
/// [`clock_spans`]). Actual time is the sum of a phase's spans; its budget is
/// [`phase_budget`]'s. Open spans run until `now`.
pub fn phases(
    inc: &Incident,
    config: &Config,
    runbook: Option<&Runbook>,
    now: DateTime<Utc>,
) -> Vec<PhaseRow> {
    let all = clock_spans(inc);
    Phase::ALL
        .into_iter()
        .map(|phase| {
            let spans: Vec<PhaseSpan> =
                all.iter().filter(|(p, _)| *p == phase).map(|(_, s)| s.clone()).collect();
            let Budget { seconds: budget_s, severity: budget_severity } =
                phase_budget(inc, config, runbook, phase);
            let actual_s = (!spans.is_empty()).then(|| {
                spans.iter().map(|s| (s.to.unwrap_or(now) - s.from).num_seconds().max(0)).sum::<i64>()
            });
            PhaseRow {
                phase,
                budget_s,
                budget_severity,
                actual_s,
                started: spans.first().map(|s| s.from),
                ended: spans.last().and_then(|s| s.to),
                running: spans.last().is_some_and(|s| s.to.is_none()),
                over: actual_s.is_some_and(|a| a > budget_s),
                over_by_s: actual_s.map(|a| a - budget_s).filter(|o| *o > 0),
                spans,
            }
        })
        .collect()
}

/// Time spent at each severity, in order of first reaching it: from impact started (the
/// opening severity applies from then, even when the incident was opened later) until
/// resolved, else `now`.
pub fn severity_time(inc: &Incident, now: DateTime<Utc>) -> Vec<(String, i64)> {
    let k = key_times(inc);
    let start = k.started.unwrap_or(inc.opened_at);
    let end = k.resolved.unwrap_or(now).max(start);
    let mut out: Vec<(String, i64)> = Vec::new();
    for (from, to, severity) in severity_segments(inc, start, end) {
        let s = (to - from).num_seconds();
        match out.iter_mut().find(|(v, _)| *v == severity) {
            Some((_, total)) => *total += s,
            None => out.push((severity, s)),
        }
    }
    out
}

/// `[start, end)` split where the severity changed: `(from, to, severity in force)`, in order.
fn severity_segments(
    inc: &Incident,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>, String)> {
    let mut cuts: Vec<DateTime<Utc>> =
        inc.severities.iter().map(|s| s.from).filter(|t| *t > start && *t < end).collect();
    cuts.sort();
    cuts.dedup();
    let mut out = Vec::new();
    let mut from = start;
    for to in cuts.into_iter().chain(std::iter::once(end)) {
        out.push((from, to, severity_at(inc, from).to_string()));
        from = to;
    }
    out
}

/// The last moment that counts for an incident: its end, or `now` while open.
pub fn end_or_now(inc: &Incident, now: DateTime<Utc>) -> DateTime<Utc> {
    inc.ended_at().unwrap_or(now)
}

/// The sum of a severity's phase budgets: how long a whole response may take at it.
pub fn total_budget(config: &Config, severity: &str) -> i64 {
    Phase::ALL.iter().map(|p| budget_s(config, None, *p, severity)).sum()
}

/// Where the stakeholder-update cadence stands for an open incident.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateCadence {
    /// The severity's `update_every`.
    pub every_s: i64,
    /// Since the last update (or since opening, when none was sent).
    pub since_s: i64,
    pub due_at: DateTime<Utc>,
    /// Until the next update is due (0 when it is overdue).
    pub due_in_s: i64,
    pub overdue: bool,
}

/// How long before an update is due a war room is told it is coming: a fifth of the cadence,
/// at most five minutes (a 30m cadence: 5m before; a 10s one: 2s before).
pub fn reminder_lead_s(every_s: i64) -> i64 {
    (every_s / 5).clamp(0, 300)
}

/// What a reminder says about the next update. Ordered: overdue comes after due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reminder {
    /// Due within the lead, not yet overdue.
    Due,
    /// Past its due moment: what `status` flags as overdue, by the same test.
    Overdue,
}

impl UpdateCadence {
    /// The reminder this moment calls for, if any.
    pub fn reminder(&self) -> Option<Reminder> {
        if self.overdue {
            Some(Reminder::Overdue)
        } else if self.due_in_s <= reminder_lead_s(self.every_s) {
            Some(Reminder::Due)
        } else {
            None
        }
    }
}

/// The reminders already given, so that each is given once per due moment: an update sent
/// moves the due moment, and both are armed again for the new one.
#[derive(Debug, Default)]
pub struct Reminders {
    said: Option<(DateTime<Utc>, Reminder)>,
}

impl Reminders {
    /// The reminder newly reached at this reading of the cadence, marked as given.
    pub fn next(&mut self, cadence: Option<&UpdateCadence>) -> Option<Reminder> {
        let c = cadence?;
        let now = c.reminder()?;
        match self.said {
            Some((due, said)) if due == c.due_at && said >= now => None,
            _ => {
                self.said = Some((c.due_at, now));
                Some(now)
            }
        }
    }
}

/// `None` when the incident is not open or its severity sets no cadence.
pub fn update_cadence(inc: &Incident, config: &Config, now: DateTime<Utc>) -> Option<UpdateCadence> {
    if inc.state != crate::state::State::Open {
        return None;
    }
    let every_s = config.update_every(&inc.severity)?;
    let last = inc.updates.last().map_or(inc.opened_at, |u| u.at);
    Some(UpdateCadence::of(last, every_s, now))
}

impl UpdateCadence {
    /// Where an update cadence of `every_s` stands at `now`, the last update (or the opening)
    /// at `last`.
    fn of(last: DateTime<Utc>, every_s: i64, now: DateTime<Utc>) -> UpdateCadence {
        let since_s = (now - last).num_seconds();
        let due_at = last + chrono::Duration::seconds(every_s);
        UpdateCadence {
            every_s,
            since_s,
            due_at,
            due_in_s: (every_s - since_s).max(0),
            overdue: since_s > every_s,
        }
    }
}

/// The impact as an interval: impact started → mitigated, else resolved, else `until` (an
/// incident still hurting counts until the end of the period a view is computed for).
pub fn impact_window(m: &Moments, until: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let k = moments_times(m);
    let start = k.started?;
    let end = k.mitigated.or(k.resolved).unwrap_or(until).min(until);
    (end > start).then_some((start, end))
}

/// The impact split where the severity changed: `(from, to, severity in force)`, in order.
pub fn impact_by_severity(
    inc: &Incident,
    until: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>, String)> {
    // A maintenance is never downtime.
    if inc.kind == crate::state::Kind::Maintenance {
        return Vec::new();
    }
    impact_window(&inc.moments, until)
        .map_or_else(Vec::new, |(start, end)| severity_segments(inc, start, end))
}

/// Seconds covered by the union of `intervals` inside `[from, to)`: two incidents at once
/// are not counted twice.
pub fn union_s(intervals: &[(DateTime<Utc>, DateTime<Utc>)], from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let mut clipped: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        intervals.iter().map(|(a, b)| ((*a).max(from), (*b).min(to))).filter(|(a, b)| a < b).collect();
    clipped.sort();
    let mut total = 0;
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (a, b) in clipped {
        match current.as_mut() {
            Some((_, end)) if a <= *end => *end = (*end).max(b),
            _ => {
                if let Some((s, e)) = current {
                    total += (e - s).num_seconds();
                }
                current = Some((a, b));
            }
        }
    }
    total + current.map_or(0, |(s, e)| (e - s).num_seconds())
}

/// `[a, b)` ∩ `[since, until)`, when not empty.
pub fn clip(
    (a, b): (DateTime<Utc>, DateTime<Utc>),
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (from, to) = (a.max(since), b.min(until));
    (from < to).then_some((from, to))
}

/// An impact counts in a period when it overlaps it (an impact of no length, when it
/// lies inside).
pub fn overlaps(iv: (DateTime<Utc>, DateTime<Utc>), since: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    clip(iv, since, until).is_some() || (iv.0 >= since && iv.0 < until)
}

/// Seconds of `[a, b)` inside `[since, until)`.
pub fn clipped_s(iv: (DateTime<Utc>, DateTime<Utc>), since: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
    clip(iv, since, until).map_or(0, |(a, b)| (b - a).num_seconds())
}

/// The impact as an interval from its key times: impact started → mitigated, else resolved,
/// else `open_until` while it still hurts.
pub fn impact_interval(
    started: Option<DateTime<Utc>>,
    mitigated: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    open_until: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = started?;
    let end = mitigated.or(resolved).unwrap_or(open_until);
    Some((start, end.max(start)))
}

/// Seconds from one key time to another, when both are known.
pub fn between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    secs(from, to)
}

/// A mean and the number of values behind it (the count is shown).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mean {
    /// Rounded to whole seconds; `None` over no values.
    pub mean_s: Option<i64>,
    pub count: usize,
}

pub fn mean(values: impl IntoIterator<Item = i64>) -> Mean {
    let (mut sum, mut count) = (0i128, 0usize);
    for v in values {
        sum += i128::from(v);
        count += 1;
    }
    let mean_s = (count > 0).then(|| {
        let m = (sum as f64 / count as f64).round();
        m as i64
    });
    Mean { mean_s, count }
}

/// The UTC calendar months that `[since, until)` touches, each clipped to it.
pub fn months(since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    use chrono::{Datelike, TimeZone};
    let mut out = Vec::new();
    let (mut y, mut m) = (since.year(), since.month());
    while let Some(start) = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()
        && start < until
    {
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let Some(next) = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single() else { break };
        if let Some(part) = clip((start, next), since, until) {
            out.push(part);
        }
    }
    out
}

/// A phase ran over its budget: the closed spans spent in it, plus a span still running
/// since `running_from` counted until `until`.
pub fn over_budget(
    spent_s: i64,
    running_from: Option<DateTime<Utc>>,
    budget_s: i64,
    until: DateTime<Utc>,
) -> bool {
    let running = running_from.map_or(0, |f| (until - f).num_seconds().max(0));
    spent_s + running > budget_s
}

/// A phase's time from its spans: the closed ones summed, and where a running one began.
pub fn spent(spans: &[PhaseSpan]) -> (i64, Option<DateTime<Utc>>) {
    let closed = spans.iter().filter_map(|s| s.to.map(|to| (to - s.from).num_seconds().max(0))).sum();
    (closed, spans.iter().rev().find(|s| s.to.is_none()).map(|s| s.from))
}

/// The part of an amount that falls inside a period: prorated by the seconds of the impact
/// inside it (an impact of no length keeps all of it).
pub fn prorate(amount: f64, inside_s: i64, whole_s: i64) -> f64 {
    if whole_s <= 0 { amount } else { amount * inside_s as f64 / whole_s as f64 }
}

/// Uptime % over a period = 100 × (1 − downtime ÷ period length).
pub fn uptime_percent(down_s: i64, period_s: i64) -> f64 {
    if period_s <= 0 {
        return 100.0;
    }
    100.0 * (1.0 - down_s.clamp(0, period_s) as f64 / period_s as f64)
}

/// One day of a service's record (a day of the page's time zone): the worst of the ranked states that touched it, and
/// the downtime inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub worst: u8,
    pub down_s: i64,
}

/// Per-service daily downtime: for each day, from one of `starts` to the next (the days of
/// the page's time zone, so 23 or 25 hours when its clocks change; the last one a whole day),
/// the worst rank among `spans` (`(from, to, rank)`) overlapping it and the union of the
/// spans whose rank counts as down (`down(rank)`) inside it, clipped at `until`.
pub fn daily(
    spans: &[(DateTime<Utc>, DateTime<Utc>, u8)],
    starts: &[DateTime<Utc>],
    until: DateTime<Utc>,
    down: impl Fn(u8) -> bool,
) -> Vec<Day> {
    let outage: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        spans.iter().filter(|s| down(s.2)).map(|s| (s.0, s.1)).collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &from)| {
            let end = starts.get(n + 1).copied().unwrap_or(from + chrono::Duration::days(1));
            let to = end.min(until.max(from));
            let worst = spans.iter().filter(|s| s.0 < to && s.1 > from).map(|s| s.2).max().unwrap_or(0);
            Day { worst, down_s: union_s(&outage, from, to) }
        })
        .collect()
}

#[cfg(test)]
mod status_tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        crate::timefmt::parse_rfc3339(s).unwrap_or_default()
    }

    #[test]
    fn a_share_stretch_under_a_second_joins_its_neighbour() {
        let mut m = Moments::new(t("2026-01-01T10:00:00Z"));
        m.add_share(t("2026-01-01T10:09:59.6Z"), "a", 0.0);
        m.marks.insert(Milestone::Mitigated, t("2026-01-01T10:10:00Z"));
        let spans = share_spans(&m).unwrap_or_default();
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert_eq!((spans[0].label.as_str(), spans[0].seconds), ("100%", 600));
        // Under a second at the start: the next stretch begins at impact started.
        let mut m = Moments::new(t("2026-01-01T10:00:00Z"));
        m.add_share(t("2026-01-01T10:00:00.3Z"), "a", 50.0);
        m.marks.insert(Milestone::Mitigated, t("2026-01-01T10:10:00Z"));
        let spans = share_spans(&m).unwrap_or_default();
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert_eq!((spans[0].from, spans[0].label.as_str(), spans[0].seconds), (m.opened_at, "50%", 600));
    }

    #[test]
    fn overlapping_outages_count_once() {
        let a = (t("2026-01-01T10:00:00Z"), t("2026-01-01T11:00:00Z"));
        let b = (t("2026-01-01T10:30:00Z"), t("2026-01-01T12:00:00Z"));
        assert_eq!(union_s(&[a, b], t("2026-01-01T00:00:00Z"), t("2026-01-02T00:00:00Z")), 7200);
        assert_eq!(union_s(&[a, b], t("2026-01-01T11:30:00Z"), t("2026-01-02T00:00:00Z")), 1800);
    }

    #[test]
    fn days_take_the_worst_state_and_clip_downtime() {
        let spans = [
            (t("2026-01-01T23:00:00Z"), t("2026-01-02T01:00:00Z"), 3),
            (t("2026-01-02T05:00:00Z"), t("2026-01-02T06:00:00Z"), 1),
        ];
        let starts = [t("2026-01-01T00:00:00Z"), t("2026-01-02T00:00:00Z"), t("2026-01-03T00:00:00Z")];
        let days = daily(&spans, &starts, t("2026-01-03T12:00:00Z"), |r| r >= 2);
        assert_eq!(days[0], Day { worst: 3, down_s: 3600 });
        assert_eq!(days[1], Day { worst: 3, down_s: 3600 });
        assert_eq!(days[2], Day { worst: 0, down_s: 0 });
        assert!((uptime_percent(7200, 86_400 * 2) - 95.833_333).abs() < 1e-3);
    }
}

#[cfg(test)]
mod reminder_tests {
    use super::*;

    /// The cadence of an update sent at `last`, read `since_s` later, every 30m.
    fn at(last: DateTime<Utc>, since_s: i64) -> UpdateCadence {
        UpdateCadence::of(last, 1800, last + chrono::Duration::seconds(since_s))
    }

    #[test]
    fn each_reminder_is_given_once_per_due_moment_and_rearmed_when_it_moves() {
        let last = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let mut r = Reminders::default();
        assert_eq!(reminder_lead_s(1800), 300);
        assert_eq!(reminder_lead_s(10), 2);
        assert_eq!(r.next(Some(&at(last, 60))), None, "not yet");
        assert_eq!(r.next(Some(&at(last, 1500))), Some(Reminder::Due), "five minutes before");
        assert_eq!(r.next(Some(&at(last, 1600))), None, "said once");
        assert_eq!(r.next(Some(&at(last, 1800))), None, "due at the moment itself, not overdue");
        assert_eq!(r.next(Some(&at(last, 1801))), Some(Reminder::Overdue));
        assert_eq!(r.next(Some(&at(last, 4000))), None, "said once");
        assert_eq!(r.next(None), None);
        // An update sent moves the due moment: both are armed again.
        let later = last + chrono::Duration::seconds(4000);
        assert_eq!(r.next(Some(&at(later, 1700))), Some(Reminder::Due));
        // Straight to overdue (the watcher was away): only that one.
        let mut r = Reminders::default();
        assert_eq!(r.next(Some(&at(last, 2000))), Some(Reminder::Overdue));
        assert_eq!(r.next(Some(&at(last, 2001))), None);
    }

    #[test]
    fn a_reminder_agrees_with_what_status_flags() {
        let last = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        for since in [0, 1499, 1500, 1799, 1800, 1801, 9999] {
            let c = at(last, since);
            assert_eq!(c.reminder() == Some(Reminder::Overdue), c.overdue, "{since}");
        }
    }
}

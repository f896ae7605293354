//! What the public may see, built from the incidents: each service's state now and day by
//! day, the overall state, the public incidents with their external updates, and the
//! scheduled maintenances (upcoming, under way, and completed in the period).
//!
//! A maintenance is never downtime: its services show `under_maintenance` while it is under
//! way, a state below every outage that no uptime figure counts. Whether one is upcoming is
//! read against the page's own moment (the latest event of the record), never the clock:
//! the window's planned times are a plan, not events, so they neither move that moment nor
//! make a maintenance start; only `maintenance start` does. A scheduled maintenance is listed
//! until its planned end is behind the page's moment (one nobody started by then did not
//! happen as planned, and a page promising it would mislead).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, RepoError, Result, SystemError};
use crate::events::{Body, MaintenanceState, Milestone, PublicStatus, Visibility};
use crate::index::{self, Warning};
use crate::metrics;
use crate::repo::Repo;
use crate::state::{Incident, Kind, State};
use crate::timefmt;

/// A service's public state, least to most severe (Atlassian Statuspage's component states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Operational,
    /// A maintenance naming the service is under way: not an outage, and never downtime.
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ServiceState {
    const ALL: [ServiceState; 5] = [
        ServiceState::Operational,
        ServiceState::UnderMaintenance,
        ServiceState::DegradedPerformance,
        ServiceState::PartialOutage,
        ServiceState::MajorOutage,
    ];

    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }

    /// The words shown next to every colour, so that no state is told by colour alone.
    pub fn words(self) -> &'static str {
        match self {
            ServiceState::Operational => "Operational",
            ServiceState::UnderMaintenance => "Under maintenance",
            ServiceState::DegradedPerformance => "Degraded performance",
            ServiceState::PartialOutage => "Partial outage",
            ServiceState::MajorOutage => "Major outage",
        }
    }

    pub fn parse(s: &str) -> Option<ServiceState> {
        ServiceState::ALL.into_iter().find(|v| v.name() == s)
    }

    fn rank(self) -> u8 {
        self as u8
    }

    fn from_rank(r: u8) -> ServiceState {
        ServiceState::ALL.get(usize::from(r)).copied().unwrap_or(ServiceState::MajorOutage)
    }

    /// Statuspage's `status.indicator` (and an incident's `impact`) for this state.
    fn indicator(self) -> &'static str {
        match self {
            ServiceState::Operational => "none",
            ServiceState::UnderMaintenance => "maintenance",
            ServiceState::DegradedPerformance => "minor",
            ServiceState::PartialOutage => "major",
            ServiceState::MajorOutage => "critical",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ServiceState::Operational => "All Systems Operational",
            ServiceState::UnderMaintenance => "Service Under Maintenance",
            ServiceState::DegradedPerformance => "Minor Service Outage",
            ServiceState::PartialOutage => "Partial System Outage",
            ServiceState::MajorOutage => "Major System Outage",
        }
    }

    /// Downtime in the uptime figure: a service partly or wholly out (degraded is up, slowly).
    fn is_down(self) -> bool {
        self >= ServiceState::PartialOutage
    }
}

/// A severity's public state: `severities.<SEV>.status_page`, else SEV1 major outage, SEV2
/// partial outage, SEV3 degraded performance, any other severity operational.
pub fn state_for(config: &Config, severity: &str) -> ServiceState {
    let declared = config
        .severities
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(severity))
        .and_then(|(_, s)| s.status_page.as_deref())
        .and_then(ServiceState::parse);
    declared.unwrap_or(match severity.to_ascii_uppercase().as_str() {
        "SEV1" => ServiceState::MajorOutage,
        "SEV2" => ServiceState::PartialOutage,
        "SEV3" => ServiceState::DegradedPerformance,
        _ => ServiceState::Operational,
    })
}

fn status_words(s: PublicStatus) -> &'static str {
    match s {
        PublicStatus::Investigating => "Investigating",
        PublicStatus::Identified => "Identified",
        PublicStatus::Monitoring => "Monitoring",
        PublicStatus::Resolved => "Resolved",
    }
}

/// A moment, three ways: for machines and `<time datetime>` (RFC 3339, UTC), and for people
/// in the page's time zone (`7 Dec, 15:13 CET`; its day, `7 Dec`).
#[derive(Debug, Clone, Serialize)]
pub struct Moment {
    pub iso: String,
    pub label: String,
    pub date: String,
}

/// How the page tells people the time: its zone, and the year it speaks of (that of its
/// latest moment), which its dates leave out. Never the reader's clock: the page is a
/// function of the logs.
#[derive(Debug, Clone, Copy)]
pub struct Local {
    pub tz: chrono_tz::Tz,
    pub year: i32,
}

impl Local {
    fn new(tz: chrono_tz::Tz, until: Option<DateTime<Utc>>) -> Local {
        Local { tz, year: until.map_or(1970, |u| u.with_timezone(&tz).year()) }
    }

    pub fn moment(self, t: DateTime<Utc>) -> Moment {
        Moment {
            iso: timefmt::rfc3339(t),
            label: timefmt::public(t, self.tz, self.year),
            date: self.day_words(self.day(t)),
        }
    }

    /// The page's day a moment falls on.
    fn day(self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    fn day_words(self, day: NaiveDate) -> String {
        timefmt::public_day(day, self.year)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicUpdate {
    pub id: String,
    pub status: &'static str,
    pub status_words: &'static str,
    pub body: String,
    pub at: Moment,
    pub eta: Option<Moment>,
    /// What this update's moment did to the incident's services: each one's state before
    /// (at the previous update, operational before the first) and as of this update.
    pub affected: Vec<Affected>,
}

/// A service's state as one update left it, and as the update before it did.
#[derive(Debug, Clone, Serialize)]
pub struct Affected {
    pub id: String,
    pub name: String,
    pub old: &'static str,
    pub new: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicIncident {
    pub id: String,
    pub name: String,
    /// Not resolved yet (in the record: open).
    pub open: bool,
    pub status: &'static str,
    pub status_words: &'static str,
    /// The worst service state its severities ever meant: none, minor, major, critical.
    pub impact: &'static str,
    pub impact_words: &'static str,
    pub services: Vec<String>,
    /// The services' ids, in the same order as their names in `services`.
    pub service_ids: Vec<String>,
    pub created_at: Moment,
    /// When customers started to feel it (the impact's start, else the opening).
    pub started_at: Moment,
    pub updated_at: Moment,
    /// When it first went to monitoring, if it did.
    pub monitoring_at: Option<Moment>,
    pub resolved_at: Option<Moment>,
    /// The latest estimate of resolution an update gave, while open.
    pub eta: Option<Moment>,
    /// Newest first.
    pub updates: Vec<PublicUpdate>,
}

/// A scheduled maintenance as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicMaintenance {
    pub id: String,
    pub name: String,
    /// scheduled, in_progress, verifying, completed.
    pub status: &'static str,
    pub status_words: &'static str,
    /// Under way (in progress or verifying): its services are under maintenance.
    pub active: bool,
    /// The planned window.
    pub scheduled_for: Moment,
    pub scheduled_until: Moment,
    /// When the work really started, and ended.
    pub started_at: Option<Moment>,
    pub completed_at: Option<Moment>,
    pub created_at: Moment,
    pub updated_at: Moment,
    /// The services' names, as incidents give them.
    pub services: Vec<String>,
    /// The services' ids (the components).
    pub service_ids: Vec<String>,
    /// What customers were told when it was scheduled (first) and its external updates,
    /// newest first.
    pub updates: Vec<PublicUpdate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCell {
    /// The day in the page's time zone, `2026-11-27`.
    pub date: String,
    pub state: &'static str,
    pub words: &'static str,
    /// `27 Nov: Major outage, down for 42 minutes`: the cell's tooltip and its text
    /// alternative, in words a screen reader reads well.
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub id: String,
    pub name: String,
    /// What the service does, as `incident.yaml` describes it.
    pub description: Option<String>,
    pub state: &'static str,
    pub words: &'static str,
    pub uptime: String,
    pub down: String,
    pub days: Vec<DayCell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub name: String,
    /// The latest event's time: `None` when the repository holds no published incident.
    pub updated: Option<Moment>,
    pub days: u32,
    /// The period's first and last days in the page's time zone, `2026-08-30`.
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// The same days as people read them: `30 Aug`, `27 Nov`.
    pub first_day_words: Option<String>,
    pub last_day_words: Option<String>,
    /// The IANA name of the page's time zone (`Europe/Paris`, `UTC`).
    pub time_zone: String,
    pub indicator: &'static str,
    pub state: &'static str,
    pub description: &'static str,
    pub components: Vec<Component>,
    pub open: Vec<PublicIncident>,
    /// Templates read it through the site's lazy list (converted only as far as a template
    /// reads), never by serializing the page.
    #[serde(skip)]
    pub past: Vec<PublicIncident>,
    /// Maintenances under way, then upcoming (soonest first), then those completed in the
    /// period (newest first). Canceled ones are left out.
    pub maintenances: Vec<PublicMaintenance>,
    /// How the uptime figures are computed, in one sentence for the page.
    pub uptime_formula: &'static str,
}

/// The uptime figures' definition, as the page states it.
pub const UPTIME_FORMULA: &str = "Uptime is the share of the period a service was not in a partial or major outage; scheduled maintenance is never counted as downtime.";

/// The public state of an incident at each moment: derived from the record (opened →
/// investigating, root cause known → identified, mitigated → monitoring, resolved), and an
/// external update's explicit `status` wins from its time on, until a later change.
fn transitions(
    inc: &Incident,
    public: &[&crate::state::UpdateRecord],
) -> Vec<(DateTime<Utc>, u8, PublicStatus)> {
    // Investigating from the start: it never overrides a later state, whatever the times.
    let mut out = vec![(DateTime::<Utc>::MIN_UTC, 0, PublicStatus::Investigating)];
    let root_cause = inc
        .events
        .iter()
        .filter(|e| !inc.retracted.contains_key(&e.id) && !e.body.is_correction())
        .filter(|e| match &e.body {
            Body::Retro { section, .. } => section == "root-cause",
            Body::Resolved { root_cause } => root_cause.is_some(),
            _ => false,
        })
        .map(|e| e.when())
        .min();
    out.extend(root_cause.map(|t| (t, 0, PublicStatus::Identified)));
    out.extend(inc.mark(Milestone::Mitigated).map(|t| (t, 0, PublicStatus::Monitoring)));
    if inc.state != State::Open {
        out.extend(inc.mark(Milestone::Resolved).or(inc.ended_at()).map(|t| (t, 0, PublicStatus::Resolved)));
    }
    out.extend(public.iter().filter_map(|u| u.status.map(|s| (u.at, 1, s))));
    out.sort_by_key(|(t, explicit, _)| (*t, *explicit));
    out
}

fn status_at(transitions: &[(DateTime<Utc>, u8, PublicStatus)], t: DateTime<Utc>) -> PublicStatus {
    transitions.iter().rev().find(|(at, _, _)| *at <= t).map_or(PublicStatus::Investigating, |x| x.2)
}

/// Whether maintenance `inc` is on the page ending at `until` whose period starts at `first`:
/// under way; scheduled with its planned end still ahead of `until`; or completed in the
/// period.
fn shown(inc: &Incident, first: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    let Some(w) = &inc.maintenance else { return false };
    match w.state {
        MaintenanceState::InProgress | MaintenanceState::Verifying => true,
        MaintenanceState::Scheduled => w.until > until,
        MaintenanceState::Completed => w.completed_at.is_some_and(|t| t >= first),
        MaintenanceState::Canceled => false,
    }
}

fn maintenance_status(s: MaintenanceState) -> (&'static str, &'static str) {
    (s.name(), s.words())
}

fn public_maintenance(config: &Config, local: Local, inc: &Incident) -> Option<PublicMaintenance> {
    let w = inc.maintenance.as_ref()?;
    let external =
        |ch: &str| config.channels.get(ch).is_some_and(|c| c.audience == crate::config::Audience::External);
    let state_at = |t: DateTime<Utc>| {
        inc.maintenance_moves
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map_or(MaintenanceState::Scheduled, |m| m.1)
    };
    let mut updates: Vec<PublicUpdate> = inc
        .updates
        .iter()
        .filter(|u| external(&u.channel))
        .map(|u| {
            let (status, status_words) =
                maintenance_status(u.maintenance_status.unwrap_or_else(|| state_at(u.at)));
            PublicUpdate {
                id: u.id.clone(),
                status,
                status_words,
                body: u.message.clone(),
                at: local.moment(u.at),
                eta: None,
                affected: Vec::new(),
            }
        })
        .collect();
    updates.sort_by(|a, b| b.at.iso.cmp(&a.at.iso).then_with(|| b.id.cmp(&a.id)));
    let opening = inc.events.iter().find(|e| matches!(e.body, Body::Opened { .. }));
    if let (Some(message), Some(e)) = (&w.message, opening) {
        let (status, status_words) = maintenance_status(MaintenanceState::Scheduled);
        updates.push(PublicUpdate {
            id: e.id.clone(),
            status,
            status_words,
            body: message.clone(),
            at: local.moment(inc.opened_at),
            eta: None,
            affected: Vec::new(),
        });
    }
    let updated = inc
        .updates
        .iter()
        .filter(|u| external(&u.channel))
        .map(|u| u.at)
        .chain(inc.maintenance_moves.iter().map(|m| m.0))
        .max()
        .unwrap_or(inc.opened_at)
        .max(inc.opened_at);
    let (status, status_words) = maintenance_status(w.state);
    Some(PublicMaintenance {
        id: inc.id.clone(),
        name: inc.title.clone(),
        status,
        status_words,
        active: w.state.is_active(),
        scheduled_for: local.moment(w.from),
        scheduled_until: local.moment(w.until),
        started_at: w.started_at.map(|t| local.moment(t)),
        completed_at: w.completed_at.map(|t| local.moment(t)),
        created_at: local.moment(inc.opened_at),
        updated_at: local.moment(updated),
        services: inc.services.iter().map(|s| config.service_name(s).to_string()).collect(),
        service_ids: inc.services.clone(),
        updates,
    })
}

/// Under way first, then upcoming (soonest first), then completed (newest first).
fn maintenances(config: &Config, local: Local, all: &[&Incident]) -> Vec<PublicMaintenance> {
    let mut out: Vec<PublicMaintenance> =
        all.iter().filter_map(|i| public_maintenance(config, local, i)).collect();
    let rank = |m: &PublicMaintenance| match m.status {
        "in_progress" | "verifying" => 0,
        "scheduled" => 1,
        _ => 2,
    };
    out.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then_with(|| match rank(a) {
                2 => b.completed_at.as_ref().map(|m| &m.iso).cmp(&a.completed_at.as_ref().map(|m| &m.iso)),
                _ => a.scheduled_for.iso.cmp(&b.scheduled_for.iso),
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

fn public_incident(config: &Config, local: Local, inc: &Incident) -> PublicIncident {
    let public: Vec<&crate::state::UpdateRecord> =
        inc.updates.iter().filter(|u| is_external(config, &u.channel)).collect();
    let steps = transitions(inc, &public);
    let open = inc.state == State::Open;
    let status =
        if open { steps.last().map_or(PublicStatus::Investigating, |x| x.2) } else { PublicStatus::Resolved };
    let impact =
        inc.severities.iter().map(|s| state_for(config, &s.value)).max().unwrap_or(ServiceState::Operational);
    let mut chronological = public.clone();
    chronological.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let mut before = ServiceState::Operational;
    let mut updates: Vec<PublicUpdate> = chronological
        .iter()
        .map(|u| {
            let s = u.status.unwrap_or_else(|| status_at(&steps, u.at));
            let now = effect_at(config, inc, u.at);
            let affected = inc
                .services
                .iter()
                .map(|id| Affected {
                    id: id.clone(),
                    name: config.service_name(id).to_string(),
                    old: before.name(),
                    new: now.name(),
                })
                .collect();
            before = now;
            PublicUpdate {
                id: u.id.clone(),
                status: s.name(),
                status_words: status_words(s),
                body: u.message.clone(),
                at: local.moment(u.at),
                eta: u.eta.map(|t| local.moment(t)),
                affected,
            }
        })
        .collect();
    updates.sort_by(|a, b| b.at.iso.cmp(&a.at.iso).then_with(|| b.id.cmp(&a.id)));
    let updated = steps.iter().map(|x| x.0).max().unwrap_or(inc.opened_at).max(inc.opened_at);
    let resolved_at = (!open).then(|| inc.mark(Milestone::Resolved).or(inc.ended_at())).flatten();
    PublicIncident {
        id: inc.id.clone(),
        name: inc.title.clone(),
        open,
        status: status.name(),
        status_words: status_words(status),
        impact: impact.indicator(),
        impact_words: impact.words(),
        services: inc.services.iter().map(|s| config.service_name(s).to_string()).collect(),
        service_ids: inc.services.clone(),
        created_at: local.moment(inc.opened_at),
        started_at: local.moment(inc.mark(Milestone::Started).unwrap_or(inc.opened_at)),
        updated_at: local.moment(updated),
        monitoring_at: steps.iter().find(|x| x.2 == PublicStatus::Monitoring).map(|x| local.moment(x.0)),
        resolved_at: resolved_at.map(|t| local.moment(t)),
        eta: if open { public.iter().rev().find_map(|u| u.eta).map(|t| local.moment(t)) } else { None },
        updates,
    }
}

/// The state `inc` gives the services it names at `t`: its severity's state at that moment
/// while it is open and not yet mitigated, else operational (as a service's state now is
/// computed, at an earlier moment).
fn effect_at(config: &Config, inc: &Incident, t: DateTime<Utc>) -> ServiceState {
    let ended =
        inc.state != State::Open && inc.mark(Milestone::Resolved).or(inc.ended_at()).is_some_and(|r| r <= t);
    let mitigated = inc.mark(Milestone::Mitigated).is_some_and(|m| m <= t);
    if ended || mitigated {
        return ServiceState::Operational;
    }
    let severity = inc
        .severities
        .iter()
        .filter(|s| s.from <= t)
        .max_by_key(|s| s.from)
        .map_or(inc.severity.as_str(), |s| s.value.as_str());
    state_for(config, severity)
}

/// The start of the period of `days` UTC days that ends on `until`'s day.
fn period_start(until: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let day = until.date_naive() - Duration::days(i64::from(days) - 1);
    day.and_hms_opt(0, 0, 0).map_or(until, |d| d.and_utc())
}

/// Builds the page from the repository's public incidents (the rest left out before
/// anything else, so they cannot move even the "updated" time).
///
/// An incident whose log cannot be read (no permission, not a file, no readable opening) is
/// an error naming it: it may be an outage the page would otherwise leave off, and whether it
/// is public cannot be known. With `allow_unreadable` it is left off, with a warning.
/// Unreadable lines inside a readable log are only warnings: the incident is still shown (its
/// opening was read), and refusing to publish during an outage because one line is damaged
/// would hide the newer updates.
pub fn build(repo: &Repo, days: u32, allow_unreadable: bool, warnings: &mut Vec<Warning>) -> Result<Page> {
    let config = &repo.config;
    let (works, incidents): (Vec<Incident>, Vec<Incident>) =
        published(repo, days, allow_unreadable, warnings)?
            .into_iter()
            .partition(|i| i.kind == Kind::Maintenance);
    let until = incidents.iter().chain(&works).map(Incident::latest).max();
    let local = Local::new(config.time_zone(), until);
    // The period's days in the page's zone: each one's start, the first one's the period's.
    let starts: Vec<DateTime<Utc>> = until
        .map(|u| {
            let last = local.day(u);
            (0..i64::from(days))
                .rev()
                .map(|back| timefmt::day_start(last - Duration::days(back), local.tz))
                .collect()
        })
        .unwrap_or_default();
    let first = starts.first().copied();
    let works: Vec<&Incident> = match first.zip(until) {
        Some((first, until)) => works.iter().filter(|w| shown(w, first, until)).collect(),
        None => Vec::new(),
    };
    let named: Vec<&Incident> = incidents.iter().chain(works.iter().copied()).collect();
    let components: Vec<Component> = service_ids(config, &named)
        .iter()
        .map(|id| component(config, local, id, &incidents, &works, until.map(|u| (starts.as_slice(), u))))
        .collect();
    let overall = overall(config, &components, &incidents);
    let (open, past) = open_and_past(&incidents, first);
    let first_day = first.map(|f| local.day(f));
    let last_day = until.map(|u| local.day(u));
    Ok(Page {
        name: config.name.clone().unwrap_or_else(|| "Service".to_string()),
        updated: until.map(|u| local.moment(u)),
        days,
        first_day: first_day.map(|d| d.format("%Y-%m-%d").to_string()),
        last_day: last_day.map(|d| d.format("%Y-%m-%d").to_string()),
        first_day_words: first_day.map(|d| local.day_words(d)),
        last_day_words: last_day.map(|d| local.day_words(d)),
        time_zone: local.tz.name().to_string(),
        indicator: overall.indicator(),
        state: overall.name(),
        description: overall.description(),
        components,
        open: open.into_iter().map(|i| public_incident(config, local, i)).collect(),
        past: past.into_iter().map(|i| public_incident(config, local, i)).collect(),
        maintenances: maintenances(config, local, &works),
        uptime_formula: UPTIME_FORMULA,
    })
}

/// Whether the public may see `inc` at all. Never a drill, a private or a canceled one,
/// whatever else holds; otherwise when its peak severity is one `status_page.publish` names
/// (an outage customers felt), or when someone chose to tell customers about it (an update on
/// an external channel), or when it is a scheduled maintenance. Everything else stays internal: an incident left out here is in no
/// public file and changes no service's state, bar or uptime.
pub fn is_public(config: &Config, inc: &Incident) -> bool {
    if inc.drill || inc.private || inc.state == State::Canceled {
        return false;
    }
    // A maintenance is scheduled to be announced: it has no severity to publish by.
    if inc.kind == Kind::Maintenance {
        return true;
    }
    let peak = metrics::peak_severity(config, metrics::severities_reached(inc)).unwrap_or(&inc.severity);
    config.publishes(peak) || inc.updates.iter().any(|u| is_external(config, &u.channel))
}

fn is_external(config: &Config, channel: &str) -> bool {
    config.channels.get(channel).is_some_and(|c| c.audience == crate::config::Audience::External)
}

/// The incidents the public may see ([`is_public`]), each read from its log. The cached
/// summaries leave out drills, private and canceled incidents before any log is read. Those
/// that cannot be read are an error, or with `allow_unreadable` left out with a warning each.
///
/// Only the logs that can touch the page are read: the newest public incident sets the period
/// (its latest moment is the page's "until"), and of the others only those still open or whose
/// record reaches into the period can be on it, which the cached summaries tell. A repository
/// that declares no services shows those its public incidents name, old ones too, so there
/// every candidate is read.
fn published(
    repo: &Repo,
    days: u32,
    allow_unreadable: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Incident>> {
    let mut listed = Vec::new();
    let summaries = index::summaries(repo, &mut listed);
    let mut unreadable: Vec<(String, Error)> = Vec::new();
    for w in listed {
        match w {
            Warning::Skipped { id, error } => unreadable.push((id, error)),
            other => warnings.push(other),
        }
    }
    // A folder whose log cannot even be looked at has no summary: find it among the folders.
    // One with no log at all is an `open` cut short (`doctor` names it): nothing to show.
    let known: BTreeSet<&str> =
        summaries.iter().map(|s| s.id.as_str()).chain(unreadable.iter().map(|u| u.0.as_str())).collect();
    let unlisted: Vec<String> = repo.ids().into_iter().filter(|id| !known.contains(id.as_str())).collect();
    for id in unlisted {
        let looked = repo
            .events_path(&id)
            .and_then(|path| std::fs::symlink_metadata(&path).map(|_| ()).map_err(Error::io(&path)));
        match looked {
            Err(Error::System(SystemError::Io { source, .. }))
                if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => unreadable.push((id, error)),
            Ok(()) => {}
        }
    }
    let maybe =
        |s: &&index::Summary| !s.drill && s.visibility == Visibility::Public && s.state != State::Canceled;
    let mut candidates: Vec<&index::Summary> = summaries.iter().filter(maybe).collect();
    candidates.sort_by(|a, b| b.latest.cmp(&a.latest).then_with(|| a.id.cmp(&b.id)));
    let mut incidents: Vec<Incident> = Vec::new();
    let mut keep = |id: &str, loaded: Result<index::Loaded>, incidents: &mut Vec<Incident>| match loaded {
        Ok(loaded) => {
            warnings.extend(loaded.warnings);
            let public = is_public(&repo.config, &loaded.incident);
            if public {
                incidents.push(loaded.incident);
            }
            public
        }
        Err(error) => {
            unreadable.push((id.to_string(), error));
            false
        }
    };
    let mut rest = candidates.as_slice();
    let mut since = None;
    while let Some((s, tail)) = rest.split_first() {
        rest = tail;
        if keep(&s.id, index::load(repo, &s.id), &mut incidents) {
            // The period's days are the page's zone's; a day before its first UTC day covers
            // every zone's start of it.
            since = incidents.last().map(|i| period_start(i.latest(), days.saturating_add(1)));
            break;
        }
    }
    let every = repo.config.services.is_empty();
    let wanted: Vec<&str> = rest
        .iter()
        .filter(|s| every || s.state == State::Open || since.is_some_and(|f| s.latest >= f))
        .map(|s| s.id.as_str())
        .collect();
    for (id, loaded) in wanted.iter().zip(index::load_many(repo, &wanted)) {
        keep(id, loaded, &mut incidents);
    }
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    unreadable.sort_by(|a, b| a.0.cmp(&b.0));
    if allow_unreadable {
        warnings.extend(unreadable.into_iter().map(|(id, error)| Warning::LeftOffPage { id, error }));
    } else {
        let more = unreadable.len().saturating_sub(1);
        if let Some((id, error)) = unreadable.into_iter().next() {
            return Err(RepoError::UnreadableIncident { id, error: Box::new(error), more }.into());
        }
    }
    Ok(incidents)
}

/// The services shown: those `incident.yaml` declares, else those the incidents name.
fn service_ids(config: &Config, incidents: &[&Incident]) -> Vec<String> {
    let mut service_ids: Vec<String> = config.services.keys().cloned().collect();
    if service_ids.is_empty() {
        let named: BTreeSet<&String> = incidents.iter().flat_map(|i| &i.services).collect();
        service_ids = named.into_iter().cloned().collect();
    }
    service_ids
}

/// One service: its state now (its worst open, unmitigated incident, else under maintenance
/// while a maintenance naming it is under way) and, over the period (its days' starts, and
/// `until`) when there is one, day by day.
fn component(
    config: &Config,
    local: Local,
    id: &str,
    incidents: &[Incident],
    works: &[&Incident],
    period: Option<(&[DateTime<Utc>], DateTime<Utc>)>,
) -> Component {
    let names = |i: &Incident| i.services.iter().any(|s| s == id);
    let mine: Vec<&Incident> = incidents.iter().filter(|i| names(i)).collect();
    let my_works: Vec<&Incident> = works.iter().copied().filter(|i| names(i)).collect();
    let under_way = my_works.iter().any(|w| w.maintenance.as_ref().is_some_and(|w| w.state.is_active()));
    let current = mine
        .iter()
        .filter(|i| i.state == State::Open && i.mark(Milestone::Mitigated).is_none())
        .map(|i| state_for(config, &i.severity))
        .chain(under_way.then_some(ServiceState::UnderMaintenance))
        .max()
        .unwrap_or(ServiceState::Operational);
    let (cells, uptime, down) = match period {
        Some((starts, until)) => record(config, local, &mine, &my_works, starts, until),
        None => (Vec::new(), "100.00%".to_string(), timefmt::human(0)),
    };
    Component {
        id: id.to_string(),
        name: config.service_name(id).to_string(),
        description: config.services.get(id).map(|s| s.description.clone()).filter(|d| !d.is_empty()),
        state: current.name(),
        words: current.words(),
        uptime,
        down,
        days: cells,
    }
}

/// A service's days from the first of `starts` to `until`, given its incidents: each day's
/// cell, the uptime and the time down.
fn record(
    config: &Config,
    local: Local,
    mine: &[&Incident],
    works: &[&Incident],
    starts: &[DateTime<Utc>],
    until: DateTime<Utc>,
) -> (Vec<DayCell>, String, String) {
    // The time a maintenance was under way colours its days, and is never down.
    let maintained = works.iter().filter_map(|i| i.maintenance.as_ref()).filter_map(|w| {
        let from = w.started_at?;
        let to = w.completed_at.unwrap_or(until).min(until);
        (to > from).then_some((from, to, ServiceState::UnderMaintenance.rank()))
    });
    let spans: Vec<(DateTime<Utc>, DateTime<Utc>, u8)> = mine
        .iter()
        .flat_map(|i| metrics::impact_by_severity(i, until))
        .map(|(a, b, sev)| (a, b, state_for(config, &sev).rank()))
        .chain(maintained)
        .filter(|s| s.2 > 0)
        .collect();
    let record = metrics::daily(&spans, starts, until, |r| ServiceState::from_rank(r).is_down());
    let down_s: i64 = record.iter().map(|d| d.down_s).sum();
    let cells = record
        .iter()
        .zip(starts)
        .map(|(d, &start)| {
            let day = local.day(start);
            let state = ServiceState::from_rank(d.worst);
            let mut label = format!("{}: {}", local.day_words(day), state.words());
            if d.down_s > 0 {
                label.push_str(&format!(", down for {}", timefmt::spoken(d.down_s)));
            }
            DayCell {
                date: day.format("%Y-%m-%d").to_string(),
                state: state.name(),
                words: state.words(),
                label,
            }
        })
        .collect();
    let first = starts.first().copied().unwrap_or(until);
    let percent = metrics::uptime_percent(down_s, (until - first).num_seconds());
    (cells, format!("{percent:.2}%"), timefmt::human(down_s))
}

/// The overall state: the worst service, and open, unmitigated incidents naming none.
fn overall(config: &Config, components: &[Component], incidents: &[Incident]) -> ServiceState {
    components
        .iter()
        .filter_map(|c| ServiceState::parse(c.state))
        .chain(
            incidents
                .iter()
                .filter(|i| i.state == State::Open && i.services.is_empty())
                .filter(|i| i.mark(Milestone::Mitigated).is_none())
                .map(|i| state_for(config, &i.severity)),
        )
        .max()
        .unwrap_or(ServiceState::Operational)
}

/// The open incidents, and those that ended in the period (from `first`), newest first.
fn open_and_past(incidents: &[Incident], first: Option<DateTime<Utc>>) -> (Vec<&Incident>, Vec<&Incident>) {
    let newest_first =
        |a: &&Incident, b: &&Incident| b.opened_at.cmp(&a.opened_at).then_with(|| a.id.cmp(&b.id));
    let mut open: Vec<&Incident> = incidents.iter().filter(|i| i.state == State::Open).collect();
    open.sort_by(newest_first);
    let mut past: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.state != State::Open)
        .filter(|i| {
            let end = i.mark(Milestone::Resolved).or(i.ended_at()).unwrap_or(i.opened_at);
            first.is_some_and(|f| end >= f)
        })
        .collect();
    past.sort_by(newest_first);
    (open, past)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_states_by_default_and_by_config() {
        let mut config = Config::default();
        assert_eq!(state_for(&config, "SEV1"), ServiceState::MajorOutage);
        assert_eq!(state_for(&config, "sev2"), ServiceState::PartialOutage);
        assert_eq!(state_for(&config, "SEV3"), ServiceState::DegradedPerformance);
        assert_eq!(state_for(&config, "SEV4"), ServiceState::Operational);
        let sev =
            crate::config::Severity { status_page: Some("partial_outage".into()), ..Default::default() };
        config.severities.insert("SEV1".into(), sev);
        assert_eq!(state_for(&config, "SEV1"), ServiceState::PartialOutage);
    }
}

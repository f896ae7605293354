//! The public status page: what the public may see of the record (the external
//! channels' updates of incidents that are not drills), each service's state day by day, and
//! the static files that show it (`index.html`, `incidents/<id>.html`, `status.json`,
//! `feed.atom`, `banner.html`).
//!
//! A function of the logs alone, so the generated site diffs cleanly in git: the period of N
//! days ends on the UTC day of the repository's latest event, an incident still open counts
//! until that event, and "updated" is that event's time. No clock is read here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::{Body, Milestone, PublicStatus};
use crate::index::{self, Warning};
use crate::metrics;
use crate::render;
use crate::repo::Repo;
use crate::starter;
use crate::state::{Incident, State};
use crate::timefmt;

/// Where a repository's own copies of the templates go; each one found wins over the built-in.
pub const TEMPLATE_DIR: &str = "templates/status";

/// How many past incidents `index.html` lists (the most recent): the page stays light (a
/// page any static host serves) however busy the period was; every incident of
/// the period keeps its own page, its entries in `status.json` and in the feed.
pub const PAST_SHOWN: usize = 30;

/// A service's public state, least to most severe (Atlassian Statuspage's component states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Operational,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ServiceState {
    const ALL: [ServiceState; 4] = [
        ServiceState::Operational,
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
            ServiceState::DegradedPerformance => "minor",
            ServiceState::PartialOutage => "major",
            ServiceState::MajorOutage => "critical",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ServiceState::Operational => "All Systems Operational",
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

/// A moment, three ways: for machines, for `<time datetime>`, for people.
#[derive(Debug, Clone, Serialize)]
pub struct Moment {
    pub iso: String,
    pub label: String,
    pub date: String,
}

fn moment(t: DateTime<Utc>) -> Moment {
    Moment { iso: timefmt::rfc3339(t), label: timefmt::table(t), date: timefmt::date(t) }
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicUpdate {
    pub id: String,
    pub status: &'static str,
    pub status_words: &'static str,
    pub body: String,
    pub at: Moment,
    pub eta: Option<Moment>,
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
    pub created_at: Moment,
    pub updated_at: Moment,
    pub resolved_at: Option<Moment>,
    /// The latest estimate of resolution an update gave, while open.
    pub eta: Option<Moment>,
    /// Newest first.
    pub updates: Vec<PublicUpdate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCell {
    pub date: String,
    pub state: &'static str,
    pub words: &'static str,
    /// `2026-11-27: Major outage, 42m down`: the cell's tooltip and its text alternative.
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub id: String,
    pub name: String,
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
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub indicator: &'static str,
    pub state: &'static str,
    pub description: &'static str,
    pub components: Vec<Component>,
    pub open: Vec<PublicIncident>,
    pub past: Vec<PublicIncident>,
}

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

fn public_incident(config: &Config, inc: &Incident) -> PublicIncident {
    let external =
        |ch: &str| config.channels.get(ch).is_some_and(|c| c.audience == crate::config::Audience::External);
    let public: Vec<&crate::state::UpdateRecord> =
        inc.updates.iter().filter(|u| external(&u.channel)).collect();
    let steps = transitions(inc, &public);
    let open = inc.state == State::Open;
    let status =
        if open { steps.last().map_or(PublicStatus::Investigating, |x| x.2) } else { PublicStatus::Resolved };
    let impact =
        inc.severities.iter().map(|s| state_for(config, &s.value)).max().unwrap_or(ServiceState::Operational);
    let mut updates: Vec<PublicUpdate> = public
        .iter()
        .map(|u| {
            let s = u.status.unwrap_or_else(|| status_at(&steps, u.at));
            PublicUpdate {
                id: u.id.clone(),
                status: s.name(),
                status_words: status_words(s),
                body: u.message.clone(),
                at: moment(u.at),
                eta: u.eta.map(moment),
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
        created_at: moment(inc.opened_at),
        updated_at: moment(updated),
        resolved_at: resolved_at.map(moment),
        eta: if open { public.iter().rev().find_map(|u| u.eta).map(moment) } else { None },
        updates,
    }
}

/// The latest moment the record of `inc` speaks of: when an event was logged or happened.
fn latest(inc: &Incident) -> DateTime<Utc> {
    inc.events.iter().map(|e| e.at.max(e.when())).max().unwrap_or(inc.opened_at)
}

/// Builds the page from the repository's incidents (drills left out before anything else,
/// so they cannot move even the "updated" time). Incidents that cannot be read come back as
/// warnings.
pub fn build(repo: &Repo, days: u32, warnings: &mut Vec<Warning>) -> Page {
    let config = &repo.config;
    let summaries = index::summaries(repo, warnings);
    let mut incidents: Vec<Incident> = Vec::new();
    for s in summaries.iter().filter(|s| !s.drill) {
        match index::load(repo, &s.id) {
            Ok(loaded) => {
                warnings.extend(loaded.warnings);
                if !loaded.incident.drill {
                    incidents.push(loaded.incident);
                }
            }
            Err(error) => warnings.push(Warning::Skipped { id: s.id.clone(), error }),
        }
    }
    let until = incidents.iter().map(latest).max();
    let first = until.map(|u| {
        let day = u.date_naive() - Duration::days(i64::from(days) - 1);
        day.and_hms_opt(0, 0, 0).map_or(u, |d| d.and_utc())
    });

    let mut service_ids: Vec<String> = config.services.keys().cloned().collect();
    if service_ids.is_empty() {
        let named: BTreeSet<&String> = incidents.iter().flat_map(|i| &i.services).collect();
        service_ids = named.into_iter().cloned().collect();
    }
    let components = service_ids
        .iter()
        .map(|id| {
            let mine: Vec<&Incident> = incidents.iter().filter(|i| i.services.contains(id)).collect();
            let current = mine
                .iter()
                .filter(|i| i.state == State::Open && i.mark(Milestone::Mitigated).is_none())
                .map(|i| state_for(config, &i.severity))
                .max()
                .unwrap_or(ServiceState::Operational);
            let (cells, uptime, down) = match (first, until) {
                (Some(first), Some(until)) => {
                    let spans: Vec<(DateTime<Utc>, DateTime<Utc>, u8)> = mine
                        .iter()
                        .flat_map(|i| metrics::impact_by_severity(i, until))
                        .map(|(a, b, sev)| (a, b, state_for(config, &sev).rank()))
                        .filter(|s| s.2 > 0)
                        .collect();
                    let record =
                        metrics::daily(&spans, first, days, until, |r| ServiceState::from_rank(r).is_down());
                    let down_s: i64 = record.iter().map(|d| d.down_s).sum();
                    let cells = record
                        .iter()
                        .enumerate()
                        .map(|(n, d)| {
                            let date = timefmt::date(first + Duration::days(n as i64));
                            let state = ServiceState::from_rank(d.worst);
                            let mut label = format!("{date}: {}", state.words());
                            if d.down_s > 0 {
                                label.push_str(&format!(", {} down", timefmt::human(d.down_s)));
                            }
                            DayCell { date, state: state.name(), words: state.words(), label }
                        })
                        .collect();
                    let percent = metrics::uptime_percent(down_s, (until - first).num_seconds());
                    (cells, format!("{percent:.2}%"), timefmt::human(down_s))
                }
                _ => (Vec::new(), "100.00%".to_string(), timefmt::human(0)),
            };
            Component {
                id: id.clone(),
                name: config.service_name(id).to_string(),
                state: current.name(),
                words: current.words(),
                uptime,
                down,
                days: cells,
            }
        })
        .collect::<Vec<_>>();

    // The overall state: the worst service, and open, unmitigated incidents naming none.
    let overall = components
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
        .unwrap_or(ServiceState::Operational);

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

    Page {
        name: config.name.clone().unwrap_or_else(|| "Service".to_string()),
        updated: until.map(moment),
        days,
        first_day: first.map(timefmt::date),
        last_day: until.map(timefmt::date),
        indicator: overall.indicator(),
        state: overall.name(),
        description: overall.description(),
        components,
        open: open.into_iter().map(|i| public_incident(config, i)).collect(),
        past: past.into_iter().map(|i| public_incident(config, i)).collect(),
    }
}

/// `status.json`, shaped like Atlassian Statuspage's summary; keys sorted (serde_json's map).
pub fn summary_json(page: &Page) -> serde_json::Value {
    visible_strings(summary(page))
}

/// Every string in `v` with control characters, bidi overrides and invisible characters made
/// visible (line breaks kept): `status.json` is public, and whatever shows it (a widget, a
/// chat bot) must not be handed a raw U+202E from a title.
fn visible_strings(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(crate::ui::visible_lines(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(visible_strings).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, visible_strings(v))).collect()),
        other => other,
    }
}

fn summary(page: &Page) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let incident = |i: &PublicIncident| {
        let mut o = Map::new();
        o.insert("id".into(), json!(i.id));
        o.insert("name".into(), json!(i.name));
        o.insert("status".into(), json!(i.status));
        o.insert("impact".into(), json!(i.impact));
        o.insert("created_at".into(), json!(i.created_at.iso));
        o.insert("updated_at".into(), json!(i.updated_at.iso));
        o.insert("resolved_at".into(), i.resolved_at.as_ref().map_or(Value::Null, |s| json!(s.iso)));
        o.insert("shortlink".into(), json!(format!("incidents/{}.html", i.id)));
        o.insert("eta".into(), i.eta.as_ref().map_or(Value::Null, |s| json!(s.iso)));
        o.insert(
            "updates".into(),
            Value::Array(
                i.updates
                    .iter()
                    .map(|u| {
                        json!({
                            "id": u.id,
                            "status": u.status,
                            "body": u.body,
                            "created_at": u.at.iso,
                            "eta": u.eta.as_ref().map(|s| s.iso.clone()),
                        })
                    })
                    .collect(),
            ),
        );
        Value::Object(o)
    };
    json!({
        "page": {
            "name": page.name,
            "updated_at": page.updated.as_ref().map(|s| s.iso.clone()),
            "period": { "days": page.days, "first_day": page.first_day, "last_day": page.last_day },
        },
        "status": { "indicator": page.indicator, "description": page.description },
        "components": page.components.iter().map(|c| json!({
            "id": c.id,
            "name": c.name,
            "status": c.state,
            "uptime_percent": c.uptime.trim_end_matches('%'),
        })).collect::<Vec<_>>(),
        "incidents": page.open.iter().chain(&page.past).map(incident).collect::<Vec<_>>(),
    })
}

/// A template: the repository's copy under `templates/status/`, else the built-in one.
fn template(repo: &Repo, name: &str) -> Result<(String, String)> {
    let path = repo.root.join(TEMPLATE_DIR).join(name);
    // Never through a symlink: a linked template would publish what it points at.
    match crate::fsutil::read_text(&repo.root, &path)? {
        Some(text) => Ok((format!("{TEMPLATE_DIR}/{name}"), text)),
        None => {
            let text = starter::status_template(name).unwrap_or_default();
            Ok((format!("(built-in) {TEMPLATE_DIR}/{name}"), text.to_string()))
        }
    }
}

/// How many days the service bars cover when `--days` is not given.
pub const DEFAULT_DAYS: u32 = 90;

/// Builds the page again into the repository's `status-page/` when one was built there
/// (its `status.json` exists), over the same number of days, so that what `sync` commits
/// and pushes is the page of the logs it commits. Returns whether a file changed.
pub fn rerender_in_repo(repo: &Repo) -> Result<bool> {
    let dir = repo.status_page_dir();
    let summary = dir.join("status.json");
    crate::fsutil::no_symlinks(&repo.root, &summary)?;
    if !summary.is_file() {
        return Ok(false);
    }
    let days = crate::fsutil::read(&summary)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| v["page"]["period"]["days"].as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| (1..=3650).contains(d))
        .unwrap_or(DEFAULT_DAYS);
    // Unreadable lines are for `status` and `doctor` to name; the page leaves them out.
    let page = build(repo, days, &mut Vec::new());
    let files = render(repo, &page)?;
    Ok(write(repo, &dir, &files)?.changed)
}

/// What [`write()`] did.
pub struct Site {
    /// Every file of the site.
    pub files: Vec<PathBuf>,
    /// Whether a file was written or removed (an unchanged site is left as it was).
    pub changed: bool,
}

/// The files of the site, by path inside the output folder, in a fixed order.
pub fn render(repo: &Repo, page: &Page) -> Result<Vec<(String, String)>> {
    let (index_name, index_src) = template(repo, "index.html.j2")?;
    let (inc_name, inc_src) = template(repo, "incident.html.j2")?;
    let (banner_name, banner_src) = template(repo, "banner.html.j2")?;
    let (feed_name, feed_src) = template(repo, "feed.xml.j2")?;
    let page_ctx = serde_json::json!({ "page": page, "past_shown": PAST_SHOWN });
    let mut files = vec![("index.html".to_string(), render::render(&index_name, &index_src, &page_ctx)?)];
    // Each incident page needs the page's name and state, not every other incident.
    let head = serde_json::json!({ "name": page.name, "description": page.description, "state": page.state });
    for inc in page.open.iter().chain(&page.past) {
        let ctx = serde_json::json!({ "page": head, "incident": inc });
        files.push((format!("incidents/{}.html", inc.id), render::render(&inc_name, &inc_src, &ctx)?));
    }
    let mut json = serde_json::to_string_pretty(&summary_json(page))?;
    json.push('\n');
    files.push(("status.json".to_string(), json));
    let mut entries: Vec<(&PublicIncident, &PublicUpdate)> =
        page.open.iter().chain(&page.past).flat_map(|i| i.updates.iter().map(move |u| (i, u))).collect();
    entries.sort_by(|a, b| b.1.at.iso.cmp(&a.1.at.iso).then_with(|| a.1.id.cmp(&b.1.id)));
    let feed_ctx = serde_json::json!({
        "page": head,
        "feed_id": format!("urn:incident:status-page:{}", crate::ids::slug(&page.name)),
        "updated": page.updated.as_ref().map_or("1970-01-01T00:00:00Z".to_string(), |s| s.iso.clone()),
        "entries": entries.iter().map(|(i, u)| serde_json::json!({
            "incident": i.id, "name": i.name, "update": u,
        })).collect::<Vec<_>>(),
    });
    files.push(("feed.atom".to_string(), render::render(&feed_name, &feed_src, &feed_ctx)?));
    // The banner is empty when all is well, so a shop's page can include it unconditionally.
    let banner = if page.open.is_empty() {
        String::new()
    } else {
        render::render(&banner_name, &banner_src, &page_ctx)?
    };
    files.push(("banner.html".to_string(), banner));
    Ok(files)
}

/// The list of the files the last build wrote, beside them: what a later build may remove.
const MANIFEST: &str = ".incident-status-page";

/// Writes the site into `dir`: only files that changed are rewritten, and incident pages no
/// longer on the page are removed: only pages a build wrote (listed in `.incident-status-page`) or named
/// after an incident of this repository, never a stranger's file (`--output` may be a folder
/// that holds other things). Returns every file's path, and whether anything changed.
///
/// `--output` may name a folder outside the repository (the user's choice); inside it (the
/// default `status-page/` included) no symlink is followed, so a planted
/// `status-page -> /elsewhere` or `status-page/index.html -> ~/.bashrc` is refused.
pub fn write(repo: &Repo, dir: &Path, files: &[(String, String)]) -> Result<Site> {
    crate::fsutil::no_symlinks(&repo.root, dir)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::CannotCreate { path: dir.to_path_buf(), source })?;
    let here = std::fs::canonicalize(dir).map_err(Error::io(dir))?;
    let root = std::fs::canonicalize(&repo.root).unwrap_or_else(|_| repo.root.clone());
    if here == root || here.join(crate::config::FILE).exists() {
        return Err(Error::StatusPageOutput { path: dir.to_path_buf() });
    }
    let pages = dir.join("incidents");
    crate::fsutil::no_symlinks(&repo.root, &pages)?;
    std::fs::create_dir_all(&pages).map_err(Error::io(&pages))?;
    let mut written = Vec::new();
    let mut changed = false;
    let keep: BTreeMap<&str, ()> = files.iter().map(|(rel, _)| (rel.as_str(), ())).collect();
    let manifest = dir.join(MANIFEST);
    crate::fsutil::no_symlinks(&repo.root, &manifest)?;
    let before = crate::fsutil::read(&manifest).unwrap_or_default();
    let built_before: std::collections::BTreeSet<&str> =
        std::str::from_utf8(&before).unwrap_or_default().lines().collect();
    let ids: std::collections::BTreeSet<String> = repo.ids().into_iter().collect();
    for entry in std::fs::read_dir(&pages).map_err(Error::io(&pages))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("incidents/{name}");
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let ours = built_before.contains(rel.as_str())
            || name.strip_suffix(".html").is_some_and(|id| ids.contains(id));
        if is_file && name.ends_with(".html") && ours && !keep.contains_key(rel.as_str()) {
            std::fs::remove_file(entry.path()).map_err(Error::io(entry.path()))?;
            changed = true;
        }
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        crate::fsutil::no_symlinks(&repo.root, &path)?;
        if crate::fsutil::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            crate::fsutil::replace(&path, text.as_bytes()).map_err(Error::io(&path))?;
            changed = true;
        }
        written.push(path);
    }
    let listed: String = files.iter().map(|(rel, _)| format!("{rel}\n")).collect();
    if before != listed.as_bytes() {
        crate::fsutil::replace(&manifest, listed.as_bytes()).map_err(Error::io(&manifest))?;
    }
    Ok(Site { files: written, changed })
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

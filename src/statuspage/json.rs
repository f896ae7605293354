//! `status.json`: the page for machines, shaped like Atlassian Statuspage's summary.

use serde::Serialize;

use super::{Component, Page, PublicIncident, PublicMaintenance, PublicUpdate};

/// `status.json`, shaped like Atlassian Statuspage's summary; keys sorted (serde_json's map).
pub fn summary_json(page: &Page) -> serde_json::Value {
    // Through a `Value`, whose map sorts its keys: the fields below are declared in that order.
    visible_strings(serde_json::to_value(Summary::of(page)).unwrap_or(serde_json::Value::Null))
}

/// Every string in `v` with control characters, bidi overrides and invisible characters made
/// visible (line breaks kept): `status.json` is public, and whatever shows it (a widget, a
/// chat bot) must not be handed a raw U+202E from a title.
pub(super) fn visible_strings(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(crate::ui::visible_lines(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(visible_strings).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, visible_strings(v))).collect()),
        other => other,
    }
}

/// The whole file.
#[derive(Serialize)]
struct Summary<'a> {
    components: Vec<SummaryComponent<'a>>,
    /// Open ones first, then the past.
    incidents: Vec<SummaryIncident<'a>>,
    page: SummaryPage<'a>,
    /// Under way, upcoming, and completed in the period (Statuspage's summary key).
    scheduled_maintenances: Vec<SummaryMaintenance<'a>>,
    status: SummaryStatus,
}

#[derive(Serialize)]
struct SummaryMaintenance<'a> {
    completed_at: Option<&'a str>,
    /// The ids of the services (components) it affects.
    components: &'a [String],
    created_at: &'a str,
    id: &'a str,
    /// Always `maintenance`, as Statuspage's maintenances have it.
    impact: &'static str,
    name: &'a str,
    scheduled_for: &'a str,
    scheduled_until: &'a str,
    /// Its page, relative to `status.json`.
    shortlink: String,
    started_at: Option<&'a str>,
    /// scheduled, in_progress, verifying, completed.
    status: &'static str,
    updated_at: &'a str,
    updates: Vec<SummaryUpdate<'a>>,
}

impl<'a> SummaryMaintenance<'a> {
    fn of(m: &'a PublicMaintenance) -> SummaryMaintenance<'a> {
        SummaryMaintenance {
            completed_at: m.completed_at.as_ref().map(|s| s.iso.as_str()),
            components: &m.service_ids,
            created_at: &m.created_at.iso,
            id: &m.id,
            impact: "maintenance",
            name: &m.name,
            scheduled_for: &m.scheduled_for.iso,
            scheduled_until: &m.scheduled_until.iso,
            shortlink: format!("incidents/{}.html", m.id),
            started_at: m.started_at.as_ref().map(|s| s.iso.as_str()),
            status: m.status,
            updated_at: &m.updated_at.iso,
            updates: m.updates.iter().map(SummaryUpdate::of).collect(),
        }
    }
}

#[derive(Serialize)]
struct SummaryPage<'a> {
    name: &'a str,
    period: Period<'a>,
    updated_at: Option<&'a str>,
}

#[derive(Serialize)]
struct Period<'a> {
    days: u32,
    first_day: Option<&'a str>,
    last_day: Option<&'a str>,
}

#[derive(Serialize)]
struct SummaryStatus {
    description: &'static str,
    indicator: &'static str,
}

#[derive(Serialize)]
struct SummaryComponent<'a> {
    id: &'a str,
    name: &'a str,
    status: &'static str,
    /// `99.95`, without the page's `%`.
    uptime_percent: &'a str,
}

#[derive(Serialize)]
struct SummaryIncident<'a> {
    created_at: &'a str,
    eta: Option<&'a str>,
    id: &'a str,
    impact: &'static str,
    name: &'a str,
    resolved_at: Option<&'a str>,
    /// The incident's page, relative to `status.json`.
    shortlink: String,
    status: &'static str,
    updated_at: &'a str,
    updates: Vec<SummaryUpdate<'a>>,
}

#[derive(Serialize)]
struct SummaryUpdate<'a> {
    body: &'a str,
    created_at: &'a str,
    eta: Option<&'a str>,
    id: &'a str,
    status: &'static str,
}

impl<'a> Summary<'a> {
    fn of(page: &'a Page) -> Summary<'a> {
        Summary {
            components: page.components.iter().map(SummaryComponent::of).collect(),
            incidents: page.open.iter().chain(&page.past).map(SummaryIncident::of).collect(),
            page: SummaryPage {
                name: &page.name,
                period: Period {
                    days: page.days,
                    first_day: page.first_day.as_deref(),
                    last_day: page.last_day.as_deref(),
                },
                updated_at: page.updated.as_ref().map(|s| s.iso.as_str()),
            },
            scheduled_maintenances: page.maintenances.iter().map(SummaryMaintenance::of).collect(),
            status: SummaryStatus { description: page.description, indicator: page.indicator },
        }
    }
}

impl<'a> SummaryComponent<'a> {
    fn of(c: &'a Component) -> SummaryComponent<'a> {
        SummaryComponent {
            id: &c.id,
            name: &c.name,
            status: c.state,
            uptime_percent: c.uptime.trim_end_matches('%'),
        }
    }
}

impl<'a> SummaryIncident<'a> {
    fn of(i: &'a PublicIncident) -> SummaryIncident<'a> {
        SummaryIncident {
            created_at: &i.created_at.iso,
            eta: i.eta.as_ref().map(|s| s.iso.as_str()),
            id: &i.id,
            impact: i.impact,
            name: &i.name,
            resolved_at: i.resolved_at.as_ref().map(|s| s.iso.as_str()),
            shortlink: format!("incidents/{}.html", i.id),
            status: i.status,
            updated_at: &i.updated_at.iso,
            updates: i.updates.iter().map(SummaryUpdate::of).collect(),
        }
    }
}

impl<'a> SummaryUpdate<'a> {
    fn of(u: &'a PublicUpdate) -> SummaryUpdate<'a> {
        SummaryUpdate {
            body: &u.body,
            created_at: &u.at.iso,
            eta: u.eta.as_ref().map(|s| s.iso.as_str()),
            id: &u.id,
            status: u.status,
        }
    }
}

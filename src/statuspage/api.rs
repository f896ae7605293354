//! `api/v2/`: the page as Atlassian Statuspage's public API v2 serves it, as static files, so
//! that a client or aggregator written for Statuspage reads a folder served by any static
//! host without a change: the same paths, field names, value sets and nesting.
//!
//! What a hosted Statuspage knows and we do not is filled the way Statuspage itself fills it
//! when it has nothing to say: no component groups (`group: false`, `group_id: null`), every
//! component shown. Links (`page.url`, `shortlink`) are relative to the site's root folder:
//! the tool never knows where the folder is served from.
//!
//! A maintenance is shaped as Statuspage shapes one: an incident with `impact: maintenance`,
//! its window (`scheduled_for`, `scheduled_until`), `started_at` when the work began (the
//! planned start until then) and `resolved_at` when it was completed.

use serde::Serialize;
use serde_json::Value;

use super::json::visible_strings;
use super::{Component, Page, PublicIncident, PublicMaintenance, PublicUpdate};

/// Statuspage lists the 50 most recent incidents (and maintenances) in its full lists.
const RECENT: usize = 50;

/// The time given when the repository holds nothing public yet: Statuspage's times are never
/// empty.
pub const NEVER: &str = "1970-01-01T00:00:00Z";

/// The files of `api/v2/`, by path inside the output folder, in a fixed order; keys sorted.
pub fn files(page: &Page) -> Vec<(String, Value)> {
    let api = Api::of(page);
    let recent: Vec<&ApiIncident<'_>> = api.incidents.iter().take(RECENT).collect();
    let unresolved: Vec<&ApiIncident<'_>> = api.incidents.iter().filter(|i| i.status != "resolved").collect();
    let upcoming: Vec<&ApiIncident<'_>> =
        api.maintenances.iter().filter(|m| m.status == "scheduled").collect();
    let active: Vec<&ApiIncident<'_>> =
        api.maintenances.iter().filter(|m| matches!(m.status, "in_progress" | "verifying")).collect();
    let current: Vec<&ApiIncident<'_>> = api
        .maintenances
        .iter()
        .filter(|m| matches!(m.status, "scheduled" | "in_progress" | "verifying"))
        .collect();
    let mut newest_first: Vec<&ApiIncident<'_>> = api.maintenances.iter().collect();
    newest_first.sort_by(|a, b| {
        b.scheduled_for
            .cmp(&a.scheduled_for)
            .then_with(|| b.created_at.cmp(a.created_at))
            .then_with(|| a.id.cmp(b.id))
    });
    let recent_maintenances: Vec<&ApiIncident<'_>> = newest_first.into_iter().take(RECENT).collect();
    let status = serde_json::json!({ "indicator": page.indicator, "description": page.description });
    let with_page = |key: &str, value: Value| {
        let mut map = serde_json::Map::new();
        map.insert("page".to_string(), to_value(&api.page));
        map.insert(key.to_string(), value);
        Value::Object(map)
    };
    let mut summary = serde_json::Map::new();
    summary.insert("page".to_string(), to_value(&api.page));
    summary.insert("components".to_string(), to_value(&api.components));
    summary.insert("incidents".to_string(), to_value(&unresolved));
    summary.insert("scheduled_maintenances".to_string(), to_value(&current));
    summary.insert("status".to_string(), status.clone());
    let files = vec![
        ("summary.json", Value::Object(summary)),
        ("status.json", with_page("status", status)),
        ("components.json", with_page("components", to_value(&api.components))),
        ("incidents.json", with_page("incidents", to_value(&recent))),
        ("incidents/unresolved.json", with_page("incidents", to_value(&unresolved))),
        ("scheduled-maintenances.json", with_page("scheduled_maintenances", to_value(&recent_maintenances))),
        ("scheduled-maintenances/upcoming.json", with_page("scheduled_maintenances", to_value(&upcoming))),
        ("scheduled-maintenances/active.json", with_page("scheduled_maintenances", to_value(&active))),
    ];
    files.into_iter().map(|(name, v)| (format!("api/v2/{name}"), visible_strings(v))).collect()
}

/// Through a `Value`, whose map sorts its keys (the same bytes for the same page).
fn to_value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Everything the files are cut from.
struct Api<'a> {
    page: ApiPage<'a>,
    components: Vec<ApiComponent<'a>>,
    /// Newest first, the open ones before the rest.
    incidents: Vec<ApiIncident<'a>>,
    /// As the page lists them: under way, upcoming (soonest first), completed.
    maintenances: Vec<ApiIncident<'a>>,
}

#[derive(Serialize)]
struct ApiPage<'a> {
    id: String,
    name: &'a str,
    /// The site's root, relative to itself.
    url: &'static str,
    time_zone: &'static str,
    updated_at: &'a str,
}

#[derive(Serialize, Clone)]
struct ApiComponent<'a> {
    id: &'a str,
    name: &'a str,
    status: &'static str,
    created_at: String,
    updated_at: String,
    position: usize,
    description: Option<&'a str>,
    /// Whether the page shows its uptime bar: ours always does.
    showcase: bool,
    /// The first day its uptime covers.
    start_date: Option<&'a str>,
    group_id: Option<&'a str>,
    page_id: String,
    group: bool,
    only_show_if_degraded: bool,
}

#[derive(Serialize)]
struct ApiIncident<'a> {
    id: &'a str,
    name: &'a str,
    status: &'a str,
    created_at: &'a str,
    updated_at: &'a str,
    monitoring_at: Option<&'a str>,
    resolved_at: Option<&'a str>,
    impact: &'static str,
    shortlink: String,
    started_at: &'a str,
    page_id: String,
    /// Newest first.
    incident_updates: Vec<ApiUpdate<'a>>,
    components: Vec<ApiComponent<'a>>,
    /// A maintenance's window; incidents have none and leave the keys out.
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduled_for: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduled_until: Option<&'a str>,
}

#[derive(Serialize)]
struct ApiUpdate<'a> {
    id: &'a str,
    status: &'a str,
    body: &'a str,
    incident_id: &'a str,
    created_at: &'a str,
    updated_at: &'a str,
    display_at: &'a str,
    /// `null` when the update names no service, as Statuspage gives it.
    affected_components: Option<Vec<ApiAffected<'a>>>,
    /// Published on an external channel: subscribers were told.
    deliver_notifications: bool,
}

#[derive(Serialize)]
struct ApiAffected<'a> {
    code: &'a str,
    name: &'a str,
    old_status: &'static str,
    new_status: &'static str,
}

impl<'a> Api<'a> {
    fn of(page: &'a Page) -> Api<'a> {
        let page_id = crate::ids::slug(&page.name);
        let updated_at = page.updated.as_ref().map_or(NEVER, |m| m.iso.as_str());
        // A service's record on the page starts with the period: the first day's midnight.
        let created_at =
            page.first_day.as_ref().map_or_else(|| NEVER.to_string(), |d| format!("{d}T00:00:00Z"));
        let components: Vec<ApiComponent<'a>> = page
            .components
            .iter()
            .enumerate()
            .map(|(n, c)| ApiComponent::of(c, n + 1, page, &page_id, &created_at))
            .collect();
        let mut incidents: Vec<&PublicIncident> = page.open.iter().chain(&page.past).collect();
        incidents.sort_by(|a, b| {
            b.open
                .cmp(&a.open)
                .then_with(|| b.created_at.iso.cmp(&a.created_at.iso))
                .then_with(|| a.id.cmp(&b.id))
        });
        let incidents = incidents.into_iter().map(|i| ApiIncident::of(i, &page_id, &components)).collect();
        let maintenances =
            page.maintenances.iter().map(|m| ApiIncident::maintenance(m, &page_id, &components)).collect();
        Api {
            page: ApiPage {
                id: page_id,
                name: &page.name,
                url: "index.html",
                time_zone: "Etc/UTC",
                updated_at,
            },
            components,
            incidents,
            maintenances,
        }
    }
}

impl<'a> ApiComponent<'a> {
    fn of(
        c: &'a Component,
        position: usize,
        page: &'a Page,
        page_id: &str,
        created_at: &str,
    ) -> ApiComponent<'a> {
        // Its state last changed with the latest incident naming it, or when a maintenance
        // naming it started or ended, as far as the page knows.
        let works = page
            .maintenances
            .iter()
            .filter(|m| m.service_ids.contains(&c.id))
            .flat_map(|m| m.started_at.iter().chain(&m.completed_at))
            .map(|t| t.iso.as_str());
        let updated_at = page
            .open
            .iter()
            .chain(&page.past)
            .filter(|i| i.service_ids.contains(&c.id))
            .map(|i| i.updated_at.iso.as_str())
            .chain(works)
            .max()
            .map_or_else(|| created_at.to_string(), str::to_string);
        ApiComponent {
            id: &c.id,
            name: &c.name,
            status: c.state,
            created_at: created_at.to_string(),
            updated_at,
            position,
            description: c.description.as_deref(),
            showcase: true,
            start_date: page.first_day.as_deref(),
            group_id: None,
            page_id: page_id.to_string(),
            group: false,
            only_show_if_degraded: false,
        }
    }
}

impl<'a> ApiIncident<'a> {
    fn of(i: &'a PublicIncident, page_id: &str, components: &[ApiComponent<'a>]) -> ApiIncident<'a> {
        ApiIncident {
            id: &i.id,
            name: &i.name,
            status: i.status,
            created_at: &i.created_at.iso,
            updated_at: &i.updated_at.iso,
            monitoring_at: i.monitoring_at.as_ref().map(|m| m.iso.as_str()),
            resolved_at: i.resolved_at.as_ref().map(|m| m.iso.as_str()),
            impact: i.impact,
            shortlink: format!("incidents/{}.html", i.id),
            started_at: &i.started_at.iso,
            page_id: page_id.to_string(),
            incident_updates: i
                .updates
                .iter()
                .map(|u| {
                    let affected = u
                        .affected
                        .iter()
                        .map(|a| ApiAffected {
                            code: &a.id,
                            name: &a.name,
                            old_status: a.old,
                            new_status: a.new,
                        })
                        .collect();
                    ApiUpdate::of(u, &i.id, affected)
                })
                .collect(),
            components: named(components, &i.service_ids),
            scheduled_for: None,
            scheduled_until: None,
        }
    }

    fn maintenance(
        m: &'a PublicMaintenance,
        page_id: &str,
        components: &[ApiComponent<'a>],
    ) -> ApiIncident<'a> {
        // What each update did to the services, oldest first: under maintenance while the
        // work is under way, operational before and after.
        let mut before = "operational";
        let mut updates: Vec<ApiUpdate<'a>> = m
            .updates
            .iter()
            .rev()
            .map(|u| {
                let now = if matches!(u.status, "in_progress" | "verifying") {
                    "under_maintenance"
                } else {
                    "operational"
                };
                let affected = m
                    .service_ids
                    .iter()
                    .zip(&m.services)
                    .map(|(code, name)| ApiAffected { code, name, old_status: before, new_status: now })
                    .collect();
                before = now;
                ApiUpdate::of(u, &m.id, affected)
            })
            .collect();
        updates.reverse();
        ApiIncident {
            id: &m.id,
            name: &m.name,
            status: m.status,
            created_at: &m.created_at.iso,
            updated_at: &m.updated_at.iso,
            monitoring_at: None,
            resolved_at: m.completed_at.as_ref().map(|t| t.iso.as_str()),
            impact: "maintenance",
            shortlink: format!("incidents/{}.html", m.id),
            started_at: m.started_at.as_ref().unwrap_or(&m.scheduled_for).iso.as_str(),
            page_id: page_id.to_string(),
            incident_updates: updates,
            components: named(components, &m.service_ids),
            scheduled_for: Some(&m.scheduled_for.iso),
            scheduled_until: Some(&m.scheduled_until.iso),
        }
    }
}

/// The components of the services `ids` names, as they stand now.
fn named<'a>(components: &[ApiComponent<'a>], ids: &[String]) -> Vec<ApiComponent<'a>> {
    components.iter().filter(|c| ids.iter().any(|s| s == c.id)).cloned().collect()
}

impl<'a> ApiUpdate<'a> {
    fn of(u: &'a PublicUpdate, incident_id: &'a str, affected: Vec<ApiAffected<'a>>) -> ApiUpdate<'a> {
        ApiUpdate {
            id: &u.id,
            status: u.status,
            body: &u.body,
            incident_id,
            created_at: &u.at.iso,
            updated_at: &u.at.iso,
            display_at: &u.at.iso,
            affected_components: (!affected.is_empty()).then_some(affected),
            deliver_notifications: true,
        }
    }
}

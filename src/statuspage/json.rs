//! `status.json`: the page for machines, shaped like Atlassian Statuspage's summary.

use super::{Page, PublicIncident};

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

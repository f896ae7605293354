//! PagerDuty's V3 webhook: one event about one PagerDuty incident. The incident is the alert
//! (its id the fingerprint); its fields (service, urgency, priority, teams…) are what rules
//! match on, as labels are for the other senders.

use std::collections::BTreeMap;

use super::{Node, Notification, PayloadError, ReceivedAlert};
use crate::events::AlertStatus;

const EVENTS: [&str; 3] = ["incident.triggered", "incident.acknowledged", "incident.resolved"];

pub fn parse(root: &Node) -> Result<Notification, PayloadError> {
    let event = root.get("event")?;
    let event_type = event.get("event_type")?.one_of(&EVENTS)?;
    let occurred_at = event.get("occurred_at")?.time()?;
    let data = event.get("data")?;
    let status = match event_type {
        "incident.triggered" => AlertStatus::Firing,
        "incident.acknowledged" => AlertStatus::Acknowledged,
        _ => AlertStatus::Resolved,
    };
    let fingerprint = data.get("id")?.str()?.to_string();
    let title = data.get("title")?.str()?.to_string();
    let name =
        if title.trim().is_empty() { format!("PagerDuty incident {fingerprint}") } else { title.clone() };
    let starts_at = data.get("created_at")?.time()?;
    let mut labels =
        BTreeMap::from([("event_type".to_string(), event_type.to_string()), ("title".to_string(), title)]);
    for key in ["status", "incident_key", "urgency"] {
        labels.extend(data.opt_str(key)?.map(|v| (key.to_string(), v)));
    }
    if let Some(n) = data.opt("number")? {
        let number = n.value.as_u64().ok_or_else(|| n.bad("a whole number"))?;
        labels.insert("number".into(), number.to_string());
    }
    // References (`{id, summary, …}`) are matched on by their summary, the name people see.
    for key in ["service", "priority", "escalation_policy"] {
        if let Some(r) = data.opt(key)? {
            labels.extend(r.opt_str("summary")?.map(|v| (key.to_string(), v)));
            if key == "service" {
                labels.extend(r.opt_str("id")?.map(|v| ("service_id".to_string(), v)));
            }
        }
    }
    let mut annotations = BTreeMap::new();
    for (key, label) in [("teams", Some("teams")), ("assignees", None)] {
        if let Some(list) = data.opt(key)? {
            let names = list.items()?.iter().map(|i| i.opt_str("summary")).collect::<Result<Vec<_>, _>>()?;
            let joined = names.into_iter().flatten().collect::<Vec<_>>().join(", ");
            if !joined.is_empty() {
                match label {
                    Some(l) => labels.insert(l.to_string(), joined),
                    None => annotations.insert(key.to_string(), joined),
                };
            }
        }
    }
    if let Some(agent) = event.opt("agent")? {
        annotations.extend(agent.opt_str("summary")?.map(|v| ("agent".to_string(), v)));
    }
    if let Some(bridge) = data.opt("conference_bridge")? {
        annotations.extend(bridge.opt_str("conference_url")?.map(|v| ("conference_url".to_string(), v)));
    }
    let link = data.opt_str("html_url")?;
    let ends_at = (status == AlertStatus::Resolved).then_some(occurred_at);
    let alert = ReceivedAlert { name, fingerprint, status, starts_at, ends_at, labels, annotations, link };
    Ok(Notification { source: "pagerduty", group_key: None, alerts: vec![alert] })
}

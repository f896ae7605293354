//! Prometheus Alertmanager's webhook (`webhook_config`, version 4): a group's alerts, each
//! with its labels, annotations, start, end, generator link and fingerprint.

use std::collections::BTreeMap;

use super::{Node, Notification, PayloadError, ReceivedAlert, unless_zero};
use crate::events::AlertStatus;

pub fn parse(root: &Node) -> Result<Notification, PayloadError> {
    let version = root.get("version")?;
    if version.str().ok() != Some("4") {
        return Err(version.bad("\"4\" (the webhook version this reads)"));
    }
    let group_key = root.get("groupKey")?.str()?.to_string();
    root.get("status")?.one_of(&["firing", "resolved"])?;
    let alerts = root.get("alerts")?.items()?.iter().map(alert).collect::<Result<_, _>>()?;
    Ok(Notification { source: "alertmanager", group_key: Some(group_key), alerts })
}

/// One alert as Alertmanager's template data has it (Grafana's alerts have the same fields).
pub fn alert(node: &Node) -> Result<ReceivedAlert, PayloadError> {
    let status = match node.get("status")?.one_of(&["firing", "resolved"])? {
        "firing" => AlertStatus::Firing,
        _ => AlertStatus::Resolved,
    };
    let labels = node.get("labels")?.strings()?;
    let annotations = match node.opt("annotations")? {
        Some(a) => a.strings()?,
        None => BTreeMap::new(),
    };
    let starts_at = node.get("startsAt")?.time()?;
    let ends_at = match node.opt("endsAt")? {
        Some(e) => unless_zero(e.time()?),
        None => None,
    };
    // A firing alert's end is when Alertmanager would call it resolved if it heard nothing
    // more: a guess, not an end.
    let ends_at = ends_at.filter(|_| status == AlertStatus::Resolved);
    let link = node.opt_str("generatorURL")?;
    let fingerprint = match node.opt_str("fingerprint")? {
        Some(f) => f,
        None => fingerprint_of(&labels),
    };
    let name =
        labels.get("alertname").filter(|n| !n.trim().is_empty()).cloned().unwrap_or_else(|| "alert".into());
    Ok(ReceivedAlert { name, fingerprint, status, starts_at, ends_at, labels, annotations, link })
}

/// An alert's identity when its sender gives none (Alertmanager before 0.19): its label set,
/// as Alertmanager's own fingerprint is, hashed.
fn fingerprint_of(labels: &BTreeMap<String, String>) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for (k, v) in labels {
        hasher.update(k.as_bytes());
        hasher.update([0xff]);
        hasher.update(v.as_bytes());
        hasher.update([0xff]);
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

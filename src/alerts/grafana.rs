//! Grafana Alerting's webhook contact point: Alertmanager's shape (Grafana's alerting is built
//! on it) with Grafana's fields beside it (`orgId`, and per alert silence, dashboard and panel
//! links and the query's values).

use super::{Node, Notification, PayloadError};

pub fn parse(root: &Node) -> Result<Notification, PayloadError> {
    root.get("orgId")?;
    root.get("status")?.one_of(&["firing", "resolved"])?;
    let group_key = root.opt_str("groupKey")?;
    let alerts = root
        .get("alerts")?
        .items()?
        .iter()
        .map(|node| {
            let mut alert = super::alertmanager::alert(node)?;
            // Where a responder goes next, kept with the alert's own annotations.
            for (field, key) in
                [("silenceURL", "silence_url"), ("dashboardURL", "dashboard_url"), ("panelURL", "panel_url")]
            {
                if let Some(url) = node.opt_str(field)? {
                    alert.annotations.entry(key.to_string()).or_insert(url);
                }
            }
            if let Some(values) = node.opt_str("valueString")? {
                alert.annotations.entry("values".to_string()).or_insert(values);
            }
            Ok(alert)
        })
        .collect::<Result<_, PayloadError>>()?;
    Ok(Notification { source: "grafana", group_key, alerts })
}

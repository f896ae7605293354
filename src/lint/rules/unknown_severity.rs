//! A runbook for a severity incident.yaml does not declare.

use crate::lint::{Context, Doc, Emit, Kind, Rule, Severity};

pub struct UnknownSeverity;

impl Rule for UnknownSeverity {
    fn id(&self) -> &'static str {
        "unknown-severity"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`severities` names a severity incident.yaml does not declare"
    }
    fn explain(&self) -> &'static str {
        "Severities come from incident.yaml (SEV1 to SEV4 in the starter). A runbook listing `P1` or `sev1` would never match an incident. Use a declared severity. Skipped outside an incident repository."
    }
    fn check(&self, doc: &Doc, cx: &Context, out: &mut Emit<'_>) {
        let Some(declared) = &cx.declared else { return };
        if doc.kind != Kind::Runbook || declared.severities.is_empty() {
            return;
        }
        let Some(list) = doc.root.as_ref().and_then(|r| r.get("severities")).and_then(|s| s.as_seq()) else {
            return;
        };
        for node in list {
            if let Some(s) = node.as_str()
                && !declared.severities.contains_key(s)
            {
                let known: Vec<&str> = declared.severities.keys().map(String::as_str).collect();
                out.at(
                    node.pos,
                    format!(
                        "severity `{s}` is not declared in incident.yaml; declared: {}",
                        known.join(", ")
                    ),
                );
            }
        }
    }
}

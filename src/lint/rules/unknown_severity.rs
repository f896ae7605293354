//! A runbook for a severity incident.yaml does not declare.

use crate::lint::{Context, Emit, Input, Kind, Rule};

pub struct UnknownSeverity;

impl Rule for UnknownSeverity {
    fn check(&self, input: &Input<'_>, cx: &Context, out: &mut Emit<'_>) {
        let Some(declared) = &cx.declared else { return };
        let doc = input.doc;
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

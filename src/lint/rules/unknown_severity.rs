//! A runbook, or an alert rule in incident.yaml, for a severity incident.yaml does not declare.

use crate::lint::{Context, Emit, Input, Kind, Rule};

pub struct UnknownSeverity;

impl Rule for UnknownSeverity {
    fn check(&self, input: &Input<'_>, cx: &Context, out: &mut Emit<'_>) {
        let Some(declared) = &cx.declared else { return };
        let doc = input.doc;
        if declared.severities.is_empty() {
            return;
        }
        let Some(root) = doc.root.as_ref() else { return };
        let nodes: Vec<&crate::yaml::Node> = match doc.kind {
            Kind::Runbook => {
                root.get("severities").and_then(|s| s.as_seq()).unwrap_or_default().iter().collect()
            }
            // An alert rule's severity is read in any case, as `open --severity` is.
            Kind::Config => root
                .get("alerts")
                .and_then(|a| a.as_seq())
                .unwrap_or_default()
                .iter()
                .filter_map(|rule| rule.get("severity"))
                .collect(),
            Kind::Template => return,
        };
        let case_blind = doc.kind == Kind::Config;
        for node in nodes {
            if let Some(s) = node.as_str()
                && !declared.severities.keys().any(|k| k == s || (case_blind && k.eq_ignore_ascii_case(s)))
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

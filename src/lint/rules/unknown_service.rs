//! A runbook, or an alert rule in incident.yaml, for a service incident.yaml does not declare.

use crate::lint::{Context, Emit, Input, Kind, Rule};

pub struct UnknownService;

impl Rule for UnknownService {
    fn check(&self, input: &Input<'_>, cx: &Context, out: &mut Emit<'_>) {
        let Some(declared) = &cx.declared else { return };
        let doc = input.doc;
        if declared.services.is_empty() {
            return;
        }
        let Some(root) = doc.root.as_ref() else { return };
        let lists: Vec<&crate::yaml::Node> = match doc.kind {
            Kind::Runbook => root.get("services").into_iter().collect(),
            // Each alert rule's services: an alert routed to an undeclared one could not open.
            Kind::Config => root
                .get("alerts")
                .and_then(|a| a.as_seq())
                .unwrap_or_default()
                .iter()
                .filter_map(|rule| rule.get("services"))
                .collect(),
            Kind::Template => return,
        };
        for node in lists.into_iter().filter_map(|l| l.as_seq()).flatten() {
            if let Some(s) = node.as_str()
                && !declared.services.iter().any(|d| d == s)
            {
                out.at(
                    node.pos,
                    format!(
                        "service `{s}` is not declared in incident.yaml; declared: {}",
                        declared.services.join(", ")
                    ),
                );
            }
        }
    }
}

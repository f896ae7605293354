//! A runbook for a service incident.yaml does not declare.

use crate::lint::{Context, Emit, Input, Kind, Rule};

pub struct UnknownService;

impl Rule for UnknownService {
    fn check(&self, input: &Input<'_>, cx: &Context, out: &mut Emit<'_>) {
        let Some(declared) = &cx.declared else { return };
        let doc = input.doc;
        if doc.kind != Kind::Runbook || declared.services.is_empty() {
            return;
        }
        let Some(list) = doc.root.as_ref().and_then(|r| r.get("services")).and_then(|s| s.as_seq()) else {
            return;
        };
        for node in list {
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

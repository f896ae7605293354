//! A runbook for a service incident.yaml does not declare.

use crate::lint::{Context, Doc, Emit, Kind, Rule, Severity};

pub struct UnknownService;

impl Rule for UnknownService {
    fn id(&self) -> &'static str {
        "unknown-service"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`services` names a service incident.yaml does not declare"
    }
    fn explain(&self) -> &'static str {
        "Runbooks are offered when an incident names one of their services, and incidents can only name declared services, so an undeclared one is never matched (often a typo such as `chekout`). Fix the id or declare the service under `services:` in incident.yaml. Skipped outside an incident repository."
    }
    fn check(&self, doc: &Doc, cx: &Context, out: &mut Emit<'_>) {
        let Some(declared) = &cx.declared else { return };
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

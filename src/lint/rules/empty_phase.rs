//! A phase with no steps.

use crate::lint::{Context, Doc, Emit, Rule, Severity};
use crate::phase::Phase;

pub struct EmptyPhase;

impl Rule for EmptyPhase {
    fn id(&self) -> &'static str {
        "empty-phase"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "A phase whose `steps` list is empty"
    }
    fn explain(&self) -> &'static str {
        "An empty phase tells responders nothing. Add the steps a senior engineer would take in that phase, or remove the phase (and accept the missing-phase warning)."
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        let Some(phases) = doc.root.as_ref().and_then(|r| r.get("phases")) else {
            return;
        };
        for name in Phase::NAMES {
            let Some(steps) = phases.get(name).and_then(|p| p.get("steps")) else {
                continue;
            };
            if steps.as_seq().is_some_and(<[_]>::is_empty) {
                out.at(steps.pos, format!("phase {name} has no steps"));
            }
        }
    }
}

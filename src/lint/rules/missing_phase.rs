//! A runbook without one of the five phases.

use crate::lint::{Context, Doc, Emit, Kind, Rule, Severity};
use crate::phase::Phase;
use crate::yaml::Pos;

pub struct MissingPhase;

impl Rule for MissingPhase {
    fn id(&self) -> &'static str {
        "missing-phase"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "One of detect, assess, diagnose, remediate, validate is missing"
    }
    fn explain(&self) -> &'static str {
        "Every incident goes through all five phases; a runbook that skips one leaves responders without guidance there (a missing `validate` is the classic way to declare victory too early). Add the phase with at least one step, or switch the rule off for this file with `# incident-lint: disable-file=missing-phase`."
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        if doc.kind != Kind::Runbook {
            return;
        }
        let Some(key) = doc.root.as_ref().and_then(|r| r.key("phases")) else {
            return;
        };
        let Some(phases) = doc.root.as_ref().and_then(|r| r.get("phases")).filter(|p| p.as_map().is_some())
        else {
            return;
        };
        let missing: Vec<&str> = Phase::NAMES.iter().copied().filter(|p| phases.get(p).is_none()).collect();
        if !missing.is_empty() {
            let pos = Pos { line: key.pos.line, col: key.pos.col };
            let message = match missing.as_slice() {
                [one] => format!("phase {one} is missing: add it with at least one step"),
                many => {
                    format!("phases {} are missing: add them, each with at least one step", many.join(", "))
                }
            };
            out.at(pos, message);
        }
    }
}

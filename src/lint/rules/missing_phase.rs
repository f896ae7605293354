//! A runbook without one of the five phases.

use crate::lint::{Context, Emit, Input, Kind, Rule};
use crate::phase::Phase;
use crate::yaml::Pos;

pub struct MissingPhase;

impl Rule for MissingPhase {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        let doc = input.doc;
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

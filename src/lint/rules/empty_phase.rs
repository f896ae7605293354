//! A phase with no steps.

use crate::lint::{Context, Emit, Input, Rule};
use crate::phase::Phase;

pub struct EmptyPhase;

impl Rule for EmptyPhase {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        let Some(phases) = input.doc.root.as_ref().and_then(|r| r.get("phases")) else {
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

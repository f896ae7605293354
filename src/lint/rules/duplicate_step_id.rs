//! Two steps with one id: `choices` and `incident step` could not tell them apart.

use super::step_id;
use crate::lint::{Context, Emit, Input, Rule};

pub struct DuplicateStepId;

impl Rule for DuplicateStepId {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        // Each later use of an id, with the step that used it first.
        for (k, first) in input.ids.repeats() {
            if let (Some((id, pos)), Some((_, at))) =
                (step_id(input.steps[k].1), step_id(input.steps[first].1))
            {
                let first = at.line;
                out.at(
                    pos,
                    format!(
                        "step id `{id}` is already used at line {first}; step ids must be unique in a runbook"
                    ),
                );
            }
        }
    }
}

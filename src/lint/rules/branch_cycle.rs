//! A decision that jumps back: the walk only moves forward, so a loop is ambiguous.

use crate::lint::{Context, Emit, Input, Rule};

pub struct BranchCycle;

impl Rule for BranchCycle {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        // Where each id first stands: a cheap lookup per answer, however long the runbook.
        let index = |id: &str| input.ids.get(id);
        for (i, (_, step)) in input.steps.iter().enumerate() {
            let Some(choices) = step.get("choices").and_then(|c| c.as_map()) else {
                continue;
            };
            for (answer, target) in choices {
                let Some(t) = target.as_str() else { continue };
                if let Some(j) = index(t)
                    && j <= i
                {
                    let what = if j == i { "to itself" } else { "back to an earlier step" };
                    out.at(
                        target.pos,
                        format!(
                            "answer `{}` jumps {what} (`{t}`): the walk only moves forward",
                            answer.as_str().unwrap_or("?")
                        ),
                    );
                }
            }
        }
    }
}

//! A decision that jumps back: the walk only moves forward, so a loop is ambiguous.

use super::StepIndex;
use crate::lint::{Context, Doc, Emit, Rule};

pub struct BranchCycle;

impl Rule for BranchCycle {
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        let steps = doc.steps();
        // Where each id first stands: a cheap lookup per answer, however long the runbook.
        let first = StepIndex::new(&steps);
        let index = |id: &str| first.get(id);
        for (i, (_, step)) in steps.iter().enumerate() {
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

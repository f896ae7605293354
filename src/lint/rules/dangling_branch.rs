//! A decision whose answer leads nowhere.

use std::collections::HashSet;

use super::step_id;
use crate::lint::{Context, Doc, Emit, Rule, Severity};

pub struct DanglingBranch;

impl Rule for DanglingBranch {
    fn id(&self) -> &'static str {
        "dangling-branch"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "A `choices` answer points at a step id that does not exist"
    }
    fn explain(&self) -> &'static str {
        "Each answer of a decision step jumps to the step with that id. A missing id is usually a typo or a renamed step; the walk could not follow the answer. Point it at an existing step id."
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        let steps = doc.steps();
        let ids: HashSet<&str> = steps.iter().filter_map(|(_, s)| step_id(s).map(|(id, _)| id)).collect();
        for (_, step) in &steps {
            let Some(choices) = step.get("choices").and_then(|c| c.as_map()) else {
                continue;
            };
            for (answer, target) in choices {
                if let Some(t) = target.as_str()
                    && !ids.contains(t)
                {
                    let mut known: Vec<&str> = ids.iter().copied().collect();
                    known.sort_unstable();
                    out.at(
                        target.pos,
                        format!(
                            "answer `{}` leads to `{t}`, which is not a step of this runbook; steps: {}",
                            answer.as_str().unwrap_or("?"),
                            known.join(", ")
                        ),
                    );
                }
            }
        }
    }
}

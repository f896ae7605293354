//! A decision answer or `on_fail` that jumps back: the walk only moves forward, so a loop is
//! ambiguous.

use super::jumps;
use crate::lint::{Context, Emit, Input, Rule};

pub struct BranchCycle;

impl Rule for BranchCycle {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        // Where each id first stands: a cheap lookup per answer, however long the runbook.
        let index = |id: &str| input.ids.get(id);
        for (i, (_, step)) in input.steps.iter().enumerate() {
            for (what, target) in jumps(step) {
                let Some(t) = target.as_str() else { continue };
                if let Some(j) = index(t)
                    && j <= i
                {
                    let back = if j == i { "to itself" } else { "back to an earlier step" };
                    out.at(target.pos, format!("{what} jumps {back} (`{t}`): the walk only moves forward"));
                }
            }
        }
    }
}

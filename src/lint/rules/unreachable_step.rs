//! Steps that no sequence of answers reaches: dead text that misleads readers.

use std::collections::BTreeSet;

use super::step_id;
use crate::lint::yaml::Node;
use crate::lint::{Context, Doc, Emit, Rule, Severity};

pub struct UnreachableStep;

/// Paths explored at most; runbooks are far smaller, generated ones are cut off.
const MAX_STATES: usize = 10_000;

impl Rule for UnreachableStep {
    fn id(&self) -> &'static str {
        "unreachable-step"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "A step that no combination of answers reaches"
    }
    fn explain(&self) -> &'static str {
        "Steps run in order; a decision jumps forward to its answer's step, and both the steps it jumps over and the other answers' targets are not taken. A step that every path leaves out will never be shown. Make it an answer's target, move it, or delete it."
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        let steps = doc.steps();
        let ids: Vec<Option<&str>> = steps.iter().map(|(_, s)| step_id(s).map(|(id, _)| id)).collect();
        let targets = |s: &Node| -> Vec<(usize, Vec<usize>)> {
            let Some(choices) = s.get("choices").and_then(|c| c.as_map()) else {
                return Vec::new();
            };
            let idx: Vec<Option<usize>> = choices
                .iter()
                .map(|(_, t)| t.as_str().and_then(|t| ids.iter().position(|i| *i == Some(t))))
                .collect();
            idx.iter()
                .enumerate()
                .filter_map(|(k, j)| {
                    j.map(|j| {
                        (j, idx.iter().enumerate().filter(|(m, _)| *m != k).filter_map(|(_, o)| *o).collect())
                    })
                })
                .collect()
        };
        let mut reached = vec![false; steps.len()];
        let mut stack: Vec<(usize, BTreeSet<usize>)> = vec![(0, BTreeSet::new())];
        let mut seen = BTreeSet::new();
        while let Some((mut i, excluded)) = stack.pop() {
            if seen.len() > MAX_STATES {
                return; // too many paths to be sure: say nothing rather than something wrong
            }
            if !seen.insert((i, excluded.clone())) {
                continue;
            }
            while i < steps.len() {
                if excluded.contains(&i) {
                    i += 1;
                    continue;
                }
                reached[i] = true;
                let forward: Vec<_> = targets(steps[i].1).into_iter().filter(|(j, _)| *j > i).collect();
                if forward.is_empty() {
                    i += 1;
                    continue;
                }
                for (j, others) in forward {
                    let mut ex = excluded.clone();
                    ex.extend(others.into_iter().filter(|o| *o != j));
                    ex.remove(&j);
                    stack.push((j, ex));
                }
                break;
            }
        }
        for ((_, step), hit) in steps.iter().zip(reached) {
            if !hit && let Some((id, pos)) = step_id(step) {
                out.at(pos, format!("step `{id}` is never reached: every path through the decisions before it leaves it out"));
            }
        }
    }
}

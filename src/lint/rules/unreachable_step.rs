//! Steps that no sequence of answers reaches: dead text that misleads readers.

use std::collections::BTreeSet;

use super::step_id;
use crate::branch;
use crate::lint::{Context, Emit, Input, Rule};

pub struct UnreachableStep;

/// Paths explored at most; runbooks are far smaller, generated ones are cut off.
const MAX_STATES: usize = 10_000;
/// Steps walked and skipped steps copied, at most: a decision with thousands of answers
/// would otherwise copy thousands of steps for each answer.
const MAX_WORK: usize = 1_000_000;

impl Rule for UnreachableStep {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        let steps = &input.steps;
        // Where each id first stands, and each step's answers as step indices, worked out once.
        let first = &input.ids;
        let answers: Vec<Vec<usize>> = steps
            .iter()
            .map(|(_, s)| {
                s.get("choices")
                    .and_then(|c| c.as_map())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|(_, t)| t.as_str().and_then(|t| first.get(t)))
                    .collect()
            })
            .collect();
        // Where each step's `on_fail` sends the walk when the step fails.
        let on_fail: Vec<Option<usize>> = steps
            .iter()
            .map(|(_, s)| s.get("on_fail").and_then(|t| t.as_str()).and_then(|t| first.get(t)))
            .collect();
        let mut reached = vec![false; steps.len()];
        let mut stack: Vec<(usize, BTreeSet<usize>)> = vec![(0, BTreeSet::new())];
        let mut seen = BTreeSet::new();
        let mut work = 0;
        while let Some((mut i, excluded)) = stack.pop() {
            if seen.len() > MAX_STATES || work > MAX_WORK {
                return; // too many paths to be sure: say nothing rather than something wrong
            }
            if !seen.insert((i, excluded.clone())) {
                continue;
            }
            while i < steps.len() {
                work += 1;
                if excluded.contains(&i) {
                    i += 1;
                    continue;
                }
                reached[i] = true;
                // What taking each answer does is `branch`'s to say, as it is for the walk.
                // A failure may take the step's `on_fail` jump, as `branch` says; success goes on.
                if let Some(j) = on_fail[i] {
                    let taken = branch::take(i, &[j], j);
                    if let Some(to) = taken.jump_to {
                        stack.push((to, excluded.clone()));
                    }
                }
                let targets = &answers[i];
                if targets.is_empty() {
                    i += 1;
                    continue;
                }
                for &j in targets {
                    let taken = branch::take(i, targets, j);
                    let mut ex = excluded.clone();
                    ex.extend(taken.left_out);
                    ex.remove(&j);
                    work += ex.len();
                    if work > MAX_WORK {
                        return;
                    }
                    stack.push((taken.jump_to.unwrap_or(i + 1), ex));
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

#[cfg(test)]
mod tests {
    use crate::lint::{Context, lint_text};

    fn unreachable(text: &str) -> Vec<(usize, String)> {
        lint_text("runbooks/t.yaml", text, &Context::default())
            .into_iter()
            .filter(|f| f.rule == "unreachable-step")
            .map(|f| (f.line, f.message))
            .collect()
    }

    #[test]
    fn jumped_over_steps_are_unreachable() {
        let text = "phases:\n  detect:\n    steps:\n      - {id: a, choices: {x: c, y: d}}\n      - {id: b}\n      - {id: c}\n      - {id: d}\n";
        let found = unreachable(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 5);
        assert!(found[0].1.contains("`b`"), "{found:?}");
    }

    /// Regression: a decision with 25,000 answers copied every other answer's step for each
    /// answer (25,000² entries, gigabytes); a chain of 3,000 decisions took seconds. Both now
    /// stop at the work bound and say nothing. Found by tests/it/lint_robust.rs.
    #[test]
    fn huge_decisions_are_cut_off() {
        let mut text = String::from("phases:\n  detect:\n    steps:\n      - id: first\n        choices:\n");
        for j in 0..20_000 {
            text.push_str(&format!("          a{j}: s{}\n", j % 8_000));
        }
        for i in 0..8_000 {
            text.push_str(&format!("      - {{id: s{i}}}\n"));
        }
        let started = std::time::Instant::now();
        assert!(unreachable(&text).is_empty());
        let mut text = String::from("phases:\n  detect:\n    steps:\n");
        for i in 0..3_000 {
            text.push_str(&format!("      - {{id: s{i}, choices: {{a: s{}, b: s{}}}}}\n", i + 1, i + 2));
        }
        text.push_str("      - {id: s3000}\n      - {id: s3001}\n");
        assert!(unreachable(&text).is_empty());
        // Loose: the bound keeps each well under a second even in debug builds.
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
    }
}

//! Steps that no sequence of answers reaches: dead text that misleads readers.

use super::step_id;
use crate::branch;
use crate::lint::{Context, Emit, Input, Rule};

pub struct UnreachableStep;

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
        // Which steps a walk can reach is `branch`'s to say, as it is for the walk and the graph.
        let Some(reached) = branch::reachable(&answers, &on_fail) else {
            return; // too many paths to be sure: say nothing rather than something wrong
        };
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

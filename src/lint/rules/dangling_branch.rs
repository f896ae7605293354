//! A decision whose answer leads nowhere.

use super::jumps;
use crate::lint::{Context, Emit, Input, Rule};

pub struct DanglingBranch;

/// Step ids listed in a message at most.
const MAX_LISTED: usize = 50;

impl Rule for DanglingBranch {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        // Worked out once, on the first dangling answer. Listed in full for any runbook a person
        // wrote; a generated one is cut short, so that thousands of dangling answers do not
        // each carry thousands of ids.
        let mut listed: Option<String> = None;
        let list = || {
            let known: Vec<&str> = input.ids.unique().collect();
            let mut list = known.iter().take(MAX_LISTED).copied().collect::<Vec<_>>().join(", ");
            if known.len() > MAX_LISTED {
                list.push_str(&format!(", … ({} more)", known.len() - MAX_LISTED));
            }
            list
        };
        for (_, step) in &input.steps {
            for (what, target) in jumps(step) {
                if let Some(t) = target.as_str()
                    && input.ids.get(t).is_none()
                {
                    let listed = listed.get_or_insert_with(&list);
                    out.at(
                        target.pos,
                        format!(
                            "{what} leads to `{t}`, which is not a step of this runbook; steps: {listed}"
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{Context, lint_text};

    /// Regression: each dangling answer listed every step id, sorted anew, so 25,000 dangling
    /// answers in a runbook of 10,000 steps made 1.7 GB of messages (3.4 GB of memory, 30 s).
    /// Found by tests/it/lint_robust.rs.
    #[test]
    fn dangling_answers_list_a_bounded_number_of_steps() {
        let mut text = String::from("phases:\n  detect:\n    steps:\n");
        for i in 0..2_000 {
            text.push_str(&format!("      - {{id: s{i:04}}}\n"));
        }
        text.push_str("      - id: last\n        choices:\n");
        for j in 0..2_000 {
            text.push_str(&format!("          a{j}: nowhere{j}\n"));
        }
        let found: Vec<_> = lint_text("runbooks/t.yaml", &text, &Context::default())
            .into_iter()
            .filter(|f| f.rule == "dangling-branch")
            .collect();
        assert_eq!(found.len(), 2_000);
        assert!(found.iter().all(|f| f.message.len() < 1_000), "{}", found[0].message);
        assert!(found[0].message.ends_with("s0047, s0048, … (1951 more)"), "{}", found[0].message);
        // A runbook of ordinary size lists every step.
        let small = "phases:\n  detect:\n    steps:\n      - {id: b}\n      - {id: a, choices: {x: c}}\n";
        let found = lint_text("runbooks/t.yaml", small, &Context::default());
        assert!(
            found.iter().any(|f| f.message.ends_with("which is not a step of this runbook; steps: a, b")),
            "{found:?}"
        );
    }
}

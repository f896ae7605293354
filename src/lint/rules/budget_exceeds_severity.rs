//! A phase budget longer than the whole response budget of a severity the runbook is for.

use crate::lint::{Context, Emit, Input, Rule};
use crate::phase::Phase;
use crate::timefmt::{human, parse_duration};

pub struct BudgetExceedsSeverity;

impl Rule for BudgetExceedsSeverity {
    fn check(&self, input: &Input<'_>, cx: &Context, out: &mut Emit<'_>) {
        let Some(declared) = &cx.declared else { return };
        let Some(root) = &input.doc.root else { return };
        let Some(phases) = root.get("phases") else {
            return;
        };
        let severities: Vec<&str> = root
            .get("severities")
            .and_then(|s| s.as_seq())
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        for name in Phase::NAMES {
            let Some(node) = phases.get(name).and_then(|p| p.get("budget")) else {
                continue;
            };
            let Some(budget) = node.as_str().and_then(parse_duration) else {
                continue;
            };
            let worst = severities
                .iter()
                .filter_map(|s| declared.severities.get(*s).map(|total| (*s, *total)))
                .filter(|(_, total)| budget > *total)
                .min_by_key(|(_, total)| *total);
            if let Some((sev, total)) = worst {
                out.at(
                    node.pos,
                    format!(
                        "{name} budget {} exceeds {sev}'s whole response budget of {}",
                        human(budget),
                        human(total)
                    ),
                );
            }
        }
    }
}

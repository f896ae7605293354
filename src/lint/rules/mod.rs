//! Every lint rule, one concern per file (the rules found while reading share `reader`).
//! Add a rule: write it behind the `Rule` trait, list it in `ALL`, give it a fixture in
//! `tests/fixtures/lint/`.

mod branch_cycle;
mod budget_exceeds_severity;
mod command_interpolation;
mod dangerous_command;
mod dangling_branch;
mod duplicate_runbook_id;
mod duplicate_step_id;
mod empty_phase;
mod expect_exit_without_run;
mod file_name;
mod missing_phase;
mod reader;
mod template_syntax;
mod unknown_service;
mod unknown_severity;
mod unreachable_step;

use super::Rule;

pub static ALL: &[&dyn Rule] = &[
    &reader::YAML_SYNTAX,
    &reader::YAML_LIMITS,
    &reader::YAML_ALIAS,
    &reader::DUPLICATE_KEY,
    &reader::UNKNOWN_KEY,
    &reader::WRONG_TYPE,
    &reader::MISSING_FIELD,
    &reader::BAD_BUDGET,
    &duplicate_runbook_id::DuplicateRunbookId,
    &duplicate_step_id::DuplicateStepId,
    &dangling_branch::DanglingBranch,
    &branch_cycle::BranchCycle,
    &unreachable_step::UnreachableStep,
    &missing_phase::MissingPhase,
    &empty_phase::EmptyPhase,
    &budget_exceeds_severity::BudgetExceedsSeverity,
    &unknown_service::UnknownService,
    &unknown_severity::UnknownSeverity,
    &dangerous_command::DangerousCommand,
    &command_interpolation::CommandInterpolation,
    &expect_exit_without_run::ExpectExitWithoutRun,
    &file_name::FileName,
    &template_syntax::TemplateSyntax,
];

/// A step's id and where it stands.
fn step_id(step: &crate::yaml::Node) -> Option<(&str, crate::yaml::Pos)> {
    let n = step.get("id")?;
    Some((n.as_str()?, n.pos))
}

/// Step ids and where each first stands (its index in walking order), for lookups by id.
/// Sorted rather than hashed: cheaper for the usual twenty steps, and a binary search for
/// generated runbooks of thousands.
struct StepIndex<'a>(Vec<(&'a str, usize)>);

impl<'a> StepIndex<'a> {
    fn new(steps: &[(&'static str, &'a crate::yaml::Node)]) -> StepIndex<'a> {
        let mut ids: Vec<(&str, usize)> =
            steps.iter().enumerate().filter_map(|(k, (_, s))| step_id(s).map(|(id, _)| (id, k))).collect();
        ids.sort_unstable();
        ids.dedup_by_key(|(id, _)| *id); // keeps the first use: the smallest index
        StepIndex(ids)
    }

    fn get(&self, id: &str) -> Option<usize> {
        self.0.binary_search_by(|(k, _)| (*k).cmp(id)).ok().map(|i| self.0[i].1)
    }
}

/// Where `needle` (text matched inside a scalar) stands in the source: found from the node's
/// own position, within the lines the node covers; else the node's position. Findings about
/// a word inside a command then point at the word, not at the start of the command.
fn locate(doc: &super::Doc, node: &crate::yaml::Node, needle: &str) -> crate::yaml::Pos {
    let lines: Vec<&str> = crate::yaml::lines(&doc.text).collect();
    let first = node.pos.line.saturating_sub(1);
    for (i, line) in lines.iter().enumerate().take(node.end_line.max(node.pos.line)).skip(first) {
        // On the node's first line, search from the node's column on.
        let from = if i == first {
            line.char_indices().nth(node.pos.col.saturating_sub(1)).map_or(line.len(), |(b, _)| b)
        } else {
            0
        };
        if let Some(b) = line[from..].find(needle) {
            let col = line[..from + b].chars().count() + 1;
            return crate::yaml::Pos { line: i + 1, col };
        }
    }
    node.pos
}

#[cfg(test)]
mod tests {
    use crate::lint::{Context, lint_text};

    /// Regression: `locate` split lines with `str::lines`, which does not end a line at a bare
    /// CR while the parser does, so a command after one was searched for on the wrong line.
    /// Found by fuzzing (fuzz/fuzz_targets/lint.rs).
    #[test]
    fn locate_counts_a_bare_cr_as_a_line_end() {
        let text = "id: t\rtitle: t\nphases:\n  detect:\n    steps:\n      - id: a\n        title: a\n        run: >-\n          echo ok;\n          rm -rf /\n";
        let found = lint_text("runbooks/t.yaml", text, &Context::default());
        let f = found.iter().find(|f| f.rule == "dangerous-command").expect("a dangerous-command finding");
        assert_eq!((f.line, f.column), (10, 11), "{found:#?}");
    }
}

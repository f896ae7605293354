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
fn step_id(step: &super::yaml::Node) -> Option<(&str, super::yaml::Pos)> {
    let n = step.get("id")?;
    Some((n.as_str()?, n.pos))
}

/// Where `needle` (text matched inside a scalar) stands in the source: found from the node's
/// own position, within the lines the node covers; else the node's position. Findings about
/// a word inside a command then point at the word, not at the start of the command.
fn locate(doc: &super::Doc, node: &super::yaml::Node, needle: &str) -> super::yaml::Pos {
    let lines: Vec<&str> = doc.text.lines().collect();
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
            return super::yaml::Pos { line: i + 1, col };
        }
    }
    node.pos
}

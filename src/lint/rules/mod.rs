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

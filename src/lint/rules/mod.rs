//! Every lint rule: what each one is (the table [`RULES`]: id, severity, summary,
//! explanation) and, one concern per file, how it checks (the rules found while reading
//! share `reader`). Add a rule: write its check behind the `Rule` trait in its own file, add
//! its row to `RULES`, give it a fixture in `tests/fixtures/lint/err/<id>/`.

mod bad_redact_pattern;
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
mod pipeline_masks_failure;
mod reader;
mod template_syntax;
mod unknown_service;
mod unknown_severity;
mod unreachable_step;

pub use bad_redact_pattern::problems as redact_pattern_problems;

use super::Severity::{Error, Warning};
use super::{Doc, Rule};
use crate::yaml::{Node, Pos};

/// One rule as users see it (`--explain`, SARIF's rule catalogue, every finding's id and
/// severity), and the check that finds it.
pub struct Meta {
    pub id: &'static str,
    pub severity: super::Severity,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// For `--explain`: why it matters and how to fix it.
    pub explain: &'static str,
    pub rule: &'static dyn Rule,
}

/// Every rule, in the order `--explain` lists them and SARIF numbers them.
pub static RULES: &[Meta] = &[
    Meta {
        id: "yaml-syntax",
        severity: Error,
        summary: "The file is not valid YAML (or not UTF-8)",
        explain: "The YAML parser stopped here. Common causes: a tab used for indentation, an unclosed quote or bracket, a `key: value` whose value contains `: ` without quotes. Fix the text at the position shown; nothing after it was checked.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "multiple-documents",
        severity: Error,
        summary: "The file holds more than one YAML document (a `---` after the first)",
        explain: "A YAML stream may hold several documents separated by `---`, but a runbook or incident.yaml file is exactly one: the tool refuses to load a file of several documents, and only the first would be linted. A `---` line before the first document is fine. Remove the `---` that starts the second document (often left from pasting two files together), or move that document into a file of its own.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "yaml-limits",
        severity: Error,
        summary: "The file is too large or nested too deeply to be a runbook",
        explain: "Runbooks are limited to 4 MiB, 64 levels of nesting and 100,000 values, so that a hostile or generated file cannot stall CI. Split the runbook, or flatten the structure.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "yaml-alias",
        severity: Error,
        summary: "YAML aliases (`*name`) are not allowed in runbooks",
        explain: "Aliases make a step's text depend on another place in the file, and nested aliases can expand exponentially (an 'alias bomb'). Write the value out where it is used.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "duplicate-key",
        severity: Error,
        summary: "A key appears twice in one mapping",
        explain: "YAML keeps only one of two equal keys, so one of the values is silently lost. Remove or rename one of them.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "unknown-key",
        severity: Error,
        summary: "A key the runbook or incident.yaml format does not have",
        explain: "Unknown keys are usually typos (`titel`, `choice`), and the tool would refuse to load the file. The message lists the keys allowed at that place; `incident schema` gives editors the same list.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "wrong-type",
        severity: Error,
        summary: "A value of the wrong type (a list where a string is expected, an id with capitals, …)",
        explain: "Each field has one type: titles and commands are strings, `steps` and `services` are lists, `expect_exit` is a whole number, ids use lowercase letters, digits and `-`. The message says what was expected and what was found.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "missing-field",
        severity: Error,
        summary: "A required field is missing (or the file is empty)",
        explain: "Runbooks need `id`, `title`, `services`, `severities` and `phases`; each phase needs `steps`; each step needs `id` and `title`. Add the field named in the message.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "bad-budget",
        severity: Error,
        summary: "A budget, timeout or cadence that is not a duration",
        explain: "Budgets, a step's `timeout`, a delivery's `timeout` and `update_every` are durations written as a number and a unit: `90s`, `5m`, `1h30m`, `1d`. Plain numbers are rejected because `5` could mean seconds or minutes, and so are words (`10 minutes`).",
        rule: &reader::FromReading,
    },
    Meta {
        id: "duplicate-runbook-id",
        severity: Error,
        summary: "Two runbook files declare the same id",
        explain: "`incident open --runbook ID` and the event log name runbooks by id, so ids must be unique across the repository. Rename one (and its file, by convention `runbooks/<id>.yaml`).",
        rule: &duplicate_runbook_id::DuplicateRunbookId,
    },
    Meta {
        id: "duplicate-step-id",
        severity: Error,
        summary: "Two steps in one runbook share an id",
        explain: "Step ids are unique across the whole runbook (all phases): `choices`, `incident step done STEP` and the log refer to steps by id. Rename one of the two.",
        rule: &duplicate_step_id::DuplicateStepId,
    },
    Meta {
        id: "dangling-branch",
        severity: Error,
        summary: "A `choices` answer points at a step id that does not exist",
        explain: "Each answer of a decision step jumps to the step with that id. A missing id is usually a typo or a renamed step; the walk could not follow the answer. Point it at an existing step id.",
        rule: &dangling_branch::DanglingBranch,
    },
    Meta {
        id: "branch-cycle",
        severity: Error,
        summary: "A `choices` answer jumps back to the same or an earlier step (a loop)",
        explain: "The walk moves forward through the runbook: a decision jumps to a later step, and the steps it jumps over are not taken. An answer that points at the step itself or an earlier one would loop. Point it at a later step, or repeat the check as a new step further down.",
        rule: &branch_cycle::BranchCycle,
    },
    Meta {
        id: "unreachable-step",
        severity: Warning,
        summary: "A step that no combination of answers reaches",
        explain: "Steps run in order; a decision jumps forward to its answer's step, and both the steps it jumps over and the other answers' targets are not taken. A step that every path leaves out will never be shown. Make it an answer's target, move it, or delete it.",
        rule: &unreachable_step::UnreachableStep,
    },
    Meta {
        id: "missing-phase",
        severity: Warning,
        summary: "One of detect, assess, diagnose, remediate, validate is missing",
        explain: "Every incident goes through all five phases; a runbook that skips one leaves responders without guidance there (a missing `validate` is the classic way to declare victory too early). Add the phase with at least one step, or switch the rule off for this file with `# incident-lint: disable-file=missing-phase`.",
        rule: &missing_phase::MissingPhase,
    },
    Meta {
        id: "empty-phase",
        severity: Warning,
        summary: "A phase whose `steps` list is empty",
        explain: "An empty phase tells responders nothing. Add the steps a senior engineer would take in that phase, or remove the phase (and accept the missing-phase warning).",
        rule: &empty_phase::EmptyPhase,
    },
    Meta {
        id: "budget-exceeds-severity",
        severity: Warning,
        summary: "A phase budget exceeds the total budget of a severity the runbook declares",
        explain: "incident.yaml gives each severity phase budgets; their sum is how long the whole response should take. A runbook phase budget longer than that sum means the runbook was written for a slower severity. Lower the budget, or drop the severity from `severities`. Skipped outside an incident repository.",
        rule: &budget_exceeds_severity::BudgetExceedsSeverity,
    },
    Meta {
        id: "unknown-service",
        severity: Error,
        summary: "`services` names a service incident.yaml does not declare",
        explain: "Runbooks are offered when an incident names one of their services, and incidents can only name declared services, so an undeclared one is never matched (often a typo such as `chekout`). Fix the id or declare the service under `services:` in incident.yaml. Skipped outside an incident repository.",
        rule: &unknown_service::UnknownService,
    },
    Meta {
        id: "unknown-severity",
        severity: Error,
        summary: "`severities` names a severity incident.yaml does not declare",
        explain: "Severities come from incident.yaml (SEV1 to SEV4 in the starter). A runbook listing `P1` or `sev1` would never match an incident. Use a declared severity. Skipped outside an incident repository.",
        rule: &unknown_severity::UnknownSeverity,
    },
    Meta {
        id: "dangerous-command",
        severity: Warning,
        summary: "A command that could destroy data or machines (rm -rf /, curl | sh, mkfs, fork bombs, DROP TABLE, …)",
        explain: "At 3 a.m. a confirmed command runs as typed. Commands that delete system directories, pipe downloads into a shell, format disks, drop tables, delete namespaces or destroy infrastructure should not be one keypress away. Narrow the command (a specific path, a reviewed script in the repository), or, when it is truly intended, switch the rule off for that step with `# incident-lint: disable=dangerous-command` above it.",
        rule: &dangerous_command::DangerousCommand,
    },
    Meta {
        id: "command-interpolation",
        severity: Warning,
        summary: "A command splices incident data into its text instead of reading it from the environment",
        explain: "Incident data (titles, notes) is typed by people under stress and may hold quotes, `;` or `$(…)`. The tool passes it only as environment variables: INCIDENT_ID, INCIDENT_TITLE, INCIDENT_SEVERITY, INCIDENT_SERVICES, INCIDENT_REPO. Template syntax such as `{{ title }}` is never expanded in a command; an unquoted `$INCIDENT_TITLE` is split and globbed by the shell; `eval`, `sh -c` or `xargs` over it runs it as code. Write \"$INCIDENT_TITLE\", in double quotes, as an argument.",
        rule: &command_interpolation::CommandInterpolation,
    },
    Meta {
        id: "pipeline-masks-failure",
        severity: Warning,
        summary: "A step pipes a command that can fail into another, which hides the failure",
        explain: "A pipeline exits with its last command's status, and steps run under `sh` (dash), which has no `set -o pipefail`. So in `curl -fsS URL | jq -e '.ok'` an unreachable host makes curl fail, jq reads nothing, and jq 1.6 exits 0 on empty input: the check passes while what it checks is down. Every step is looked at, not only checks: a step's exit code is logged and shown in the postmortem, and `ssh HOST journalctl | grep PANIC | tail` with the host down exits 0 with no output, which reads as \"nothing found\". The rule flags each `|` outside quotes whose left-hand command is not `printf`, `echo` or a text filter (grep, sort, uniq, head, tail, cut, tr, awk, sed, wc). Capture, then test: `out=$(curl -fsS URL) && printf '%s\\n' \"$out\" | jq -e '.ok'` (an assignment's status is its command substitution's). Commands starting with `set -o pipefail` or `bash -o pipefail` are not flagged (dash refuses `set -o pipefail` with exit 2, so prefer `bash -o pipefail -c '…'`); pipes inside quotes are not looked at.",
        rule: &pipeline_masks_failure::PipelineMasksFailure,
    },
    Meta {
        id: "expect-exit-without-run",
        severity: Warning,
        summary: "`expect_exit` on a step that has no `run` command",
        explain: "`expect_exit` says which exit code of the step's command means success. Without `run` it does nothing; the command was probably deleted or misspelled. Add the command or remove `expect_exit`.",
        rule: &expect_exit_without_run::ExpectExitWithoutRun,
    },
    Meta {
        id: "file-name",
        severity: Warning,
        summary: "A runbook's file is not named after its id",
        explain: "By convention `runbooks/<id>.yaml` holds the runbook `<id>`: people find it by name, and the tool reads that file first instead of every runbook. Rename the file or the id.",
        rule: &file_name::FileName,
    },
    Meta {
        id: "template-syntax",
        severity: Error,
        summary: "A Jinja template (`*.j2`) that does not compile",
        explain: "Templates are compiled with the same engine `incident postmortem` uses (minijinja). A template that does not compile would fail when the postmortem is due. The message is the engine's own, at the template line it names.",
        rule: &template_syntax::TemplateSyntax,
    },
    Meta {
        id: "bad-redact-pattern",
        severity: Error,
        summary: "A `redact:` pattern in incident.yaml that is not a usable regular expression",
        explain: "Each `redact:` entry's `pattern` is a regular expression (Rust regex syntax, https://docs.rs/regex) whose matches are replaced by [REDACTED] in everything the tool logs. A pattern that does not compile, is too large, matches the empty string (it would mask between every letter) or matches the mask `[REDACTED]` itself (redaction would never settle) is refused, and no command loads the repository until it is fixed. Backslashes in double-quoted YAML need doubling; single quotes ('itk_[A-Za-z0-9]{20}') keep the pattern as written.",
        rule: &bad_redact_pattern::BadRedactPattern,
    },
    Meta {
        id: "unknown-time-zone",
        severity: Error,
        summary: "`status_page.time_zone` in incident.yaml is not a time zone",
        explain: "The public status page gives its times and days in this zone. It is a name from the IANA time zone database, as `Europe/Paris`, `America/New_York`, `Asia/Kolkata` or `UTC`: region and city, with `_` for spaces and the capitals as written. A misspelt name, or one in the wrong case (`europe/paris`), is refused rather than read as UTC: customers would be given times an hour or more off. Prefer the region/city form, which follows the place's summer time.",
        rule: &reader::FromReading,
    },
    Meta {
        id: "missing-program",
        severity: Warning,
        summary: "A command calls a program that is neither a shell builtin nor installed on this machine (`lint --check-programs`)",
        explain: "Only with `incident lint --check-programs`, because what is installed differs between CI and the machine that will run the runbook: run it there. Each command (a step's `run`, a channel's `deliver.command`) is parsed as shell, and every program it calls (the first word of each command, through pipes, `&&`, `;`, `$(…)`, backquotes, subshells, `if`/`while`/`for`/`case` and function bodies, and the program run by `env`, `sudo`, `exec`, `command`, `timeout`, `nice`, `nohup`, `time` and `xargs`) must be a builtin of `sh` (dash: `cd`, `test`, `[`, `printf`, `read`, …), a function defined in the same command, or an executable file on PATH (for `sudo`, also in its sbin folders). A path (`./scripts/check.sh`, `/usr/local/bin/x`) must be an executable file, relative paths counting from the repository's top folder, where commands run. A program named by a variable or an expansion (`$CMD`, `\"$(…)\"`) is not checked, nor what `sh -c`, `ssh` or `kubectl exec` run elsewhere, nor a command the shell cannot parse (ShellCheck reports that). Install the program, fix its name, or, when the runbook is meant for other machines, suppress the finding with `# incident-lint: disable=missing-program` above the step.",
        rule: &super::programs::MissingProgram,
    },
    Meta {
        id: "shellcheck",
        severity: Warning,
        summary: "ShellCheck finds a problem in a step's `run` or a channel's `deliver.command`",
        explain: "Each command is checked by ShellCheck (https://www.shellcheck.net, when it is installed) as `sh`, the shell the tool runs it with, knowing the variables the tool sets (INCIDENT_ID, INCIDENT_TITLE, INCIDENT_SEVERITY, INCIDENT_SERVICES, INCIDENT_REPO; and UPDATE_ID, UPDATE_CHANNEL, UPDATE_STATUS, UPDATE_ETA for a delivery). The finding is placed on the character of the file it is about, and its message starts with ShellCheck's code: the page https://www.shellcheck.net/wiki/SC2086 (for SC2086) says why it matters and how to fix it. A variable of the tool's that it does not set (`$INCIDENT_SERVCE`) is reported with the name it probably meant. ShellCheck's errors and warnings are reported; `--shellcheck-level info` or `style` adds its notes. A `# shellcheck disable=SC2086` line inside a block command switches one check off there; `# incident-lint: disable=shellcheck` above a step, all of them for the step. `--shellcheck off` skips ShellCheck; `--shellcheck require` fails the lint (exit 2) when it is not installed, for CI.",
        rule: &super::shellcheck::FromShellcheck,
    },
];

/// One file as the rules see it: the document, and what several rules need of it (its steps
/// in walking order, where each id stands), worked out once per file rather than per rule.
pub struct Input<'a> {
    pub doc: &'a Doc,
    pub steps: Vec<(&'static str, &'a Node)>,
    pub ids: StepIndex<'a>,
}

impl<'a> Input<'a> {
    pub fn new(doc: &'a Doc) -> Input<'a> {
        let steps = doc.steps();
        let ids = StepIndex::new(&steps);
        Input { doc, steps, ids }
    }
}

/// A step's id and where it stands.
fn step_id(step: &Node) -> Option<(&str, Pos)> {
    let n = step.get("id")?;
    Some((n.as_str()?, n.pos))
}

/// Every step id with its index in walking order, sorted by id then index, for lookups by id
/// (the first use of an id is the head of its run). Sorted rather than hashed: cheaper for
/// the usual twenty steps, and a binary search for generated runbooks of thousands.
pub struct StepIndex<'a>(Vec<(&'a str, usize)>);

impl<'a> StepIndex<'a> {
    fn new(steps: &[(&'static str, &'a Node)]) -> StepIndex<'a> {
        let mut ids: Vec<(&str, usize)> =
            steps.iter().enumerate().filter_map(|(k, (_, s))| step_id(s).map(|(id, _)| (id, k))).collect();
        ids.sort_unstable();
        StepIndex(ids)
    }

    /// The index of the first step with this id.
    pub fn get(&self, id: &str) -> Option<usize> {
        let i = self.0.partition_point(|(k, _)| *k < id);
        self.0.get(i).filter(|(k, _)| *k == id).map(|(_, at)| *at)
    }

    /// Each id once, sorted.
    pub fn unique(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(i, (id, _))| *i == 0 || self.0[i - 1].0 != *id)
            .map(|(_, (id, _))| *id)
    }

    /// Every later use of an id: (its step's index, the index of the id's first use).
    pub fn repeats(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut first = 0;
        self.0.iter().enumerate().filter_map(move |(i, (id, at))| {
            if i > 0 && self.0[i - 1].0 == *id {
                Some((*at, first))
            } else {
                first = *at;
                None
            }
        })
    }
}

/// Where a step can send the walk besides the next step: each decision answer, and its
/// `on_fail` target. `what` names the jump in messages ("answer `yes`", "`on_fail`").
fn jumps(step: &Node) -> Vec<(String, &Node)> {
    let mut out: Vec<(String, &Node)> = step
        .get("choices")
        .and_then(|c| c.as_map())
        .unwrap_or_default()
        .iter()
        .map(|(answer, target)| (format!("answer `{}`", answer.as_str().unwrap_or("?")), target))
        .collect();
    if let Some(target) = step.get("on_fail") {
        out.push(("`on_fail`".to_string(), target));
    }
    out
}

/// Where byte `offset` of `node`'s value stands in the file: findings about a word inside a
/// command point at the word, not at the start of the command.
fn at_offset(doc: &Doc, node: &Node, offset: usize) -> Pos {
    crate::yaml::ScalarMap::with_lines(&doc.text, doc.line_starts(), node).at_byte(offset)
}

#[cfg(test)]
mod tests {
    use crate::lint::{Context, lint_text};

    /// The table is the one place rules are named: ids unique, lowercase words joined by `-`,
    /// and every row explained.
    #[test]
    fn rule_table_is_well_formed() {
        let mut ids: Vec<&str> = super::RULES.iter().map(|r| r.id).collect();
        for r in super::RULES {
            assert!(crate::ids::is_valid(r.id), "{}", r.id);
            assert!(!r.summary.is_empty() && !r.explain.is_empty(), "{}", r.id);
        }
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a rule id appears twice in RULES");
    }

    /// The shared step index: the first use of an id, each id once, and every later use.
    #[test]
    fn step_index_finds_first_uses_and_repeats() {
        let text = "phases:\n  detect:\n    steps:\n      - {id: b}\n      - {id: a}\n      - {id: b}\n      - {title: no id}\n      - {id: b}\n      - {id: c}\n";
        let doc = crate::lint::Doc::from_text(std::path::Path::new("runbooks/t.yaml"), text.to_string());
        let input = super::Input::new(&doc);
        let ids = &input.ids;
        assert_eq!(
            (ids.get("a"), ids.get("b"), ids.get("c"), ids.get("d")),
            (Some(1), Some(0), Some(5), None)
        );
        assert_eq!(ids.get(""), None);
        assert_eq!(ids.unique().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(ids.repeats().collect::<Vec<_>>(), [(2, 0), (4, 0)]);
    }

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

    /// Regression: a word inside a command was found by searching the command for its text,
    /// so an unquoted `$INCIDENT_TITLE` after a quoted one was placed on the quoted one, and a
    /// `${INCIDENT_TITLE}` (not the searched text) on the start of the command. Each finding
    /// is now placed by its own offset.
    #[test]
    fn a_word_in_a_command_is_placed_where_it_is_not_where_its_text_first_appears() {
        let text = "id: t\ntitle: t\nphases:\n  detect:\n    steps:\n      - id: a\n        title: a\n        run: echo \"$INCIDENT_TITLE\"; echo $INCIDENT_TITLE ${INCIDENT_REPO}\n";
        let found = lint_text("runbooks/t.yaml", text, &Context::default());
        let at: Vec<(usize, usize)> =
            found.iter().filter(|f| f.rule == "command-interpolation").map(|f| (f.line, f.column)).collect();
        assert_eq!(at, [(8, 43), (8, 59)], "{found:#?}");
    }
}

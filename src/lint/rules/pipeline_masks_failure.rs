//! A pipeline in a step's command, where the last command's exit code hides an earlier one's
//! failure: `curl … | jq -e …` passes when curl cannot reach the host, because `jq -e` on
//! empty input exits 0 and `sh` (dash) has no `pipefail`. Every step, not only those whose
//! exit code is their verdict: a step's exit code is logged and shown in the postmortem, and
//! `ssh host journalctl | grep | tail` with the host down reads as "ran, found nothing".
//!
//! The heuristic, kept simple on purpose: in a step's command, every `|` outside
//! quotes is a finding unless the command it follows only prints or filters what the shell
//! already holds (`printf`, `echo`, or a text filter such as `grep`, `sort`, `awk`), so that
//! `out=$(curl -fsS URL) && printf '%s\n' "$out" | jq -e …` is clean. A command that starts
//! with `set -o pipefail` or `bash -o pipefail` (any `-…o pipefail`) is left alone. Pipes
//! inside quotes (`kubectl exec … -- sh -c 'a | b'`) are not looked at.

use std::sync::LazyLock;

use regex::Regex;

use crate::lint::{Context, Emit, Input, Rule};

pub struct PipelineMasksFailure;

/// Commands that only print or filter text the shell already has: their failure is not the
/// failure a check is about, so a pipe after them hides nothing that matters.
const SAFE_LEFT: [&str; 12] =
    ["printf", "echo", "grep", "sort", "uniq", "head", "tail", "cut", "tr", "awk", "sed", "wc"];

static PIPEFAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:set|bash)\s+-[a-z]*o\s+pipefail\b")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

impl Rule for PipelineMasksFailure {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        for (_, step) in &input.steps {
            let Some(run) = step.get("run") else { continue };
            let Some(cmd) = run.as_str() else { continue };
            if !cmd.contains('|') || PIPEFAIL.is_match(cmd) {
                continue;
            }
            for pipe in masking_pipes(cmd) {
                let at = super::at_offset(input.doc, run, pipe.at);
                let message = match pipe.left {
                    "" => "this pipeline exits with its last command's status, so a failure before `|` is hidden (sh has no pipefail); capture the output first: out=$(…) && printf '%s\\n' \"$out\" | …".to_string(),
                    left => format!(
                        "`{left} … |` hides a failure of `{left}`: a pipeline exits with its last command's status (sh has no pipefail); capture the output first: out=$({left} …) && printf '%s\\n' \"$out\" | …"
                    ),
                };
                out.at(at, message);
            }
        }
    }
}

/// A `|` that can hide a failure: its byte offset in the command and the name of the
/// command before it (empty when that is a group such as `( … )` or `done`-less text).
#[derive(Debug, PartialEq, Eq)]
struct Pipe<'a> {
    at: usize,
    left: &'a str,
}

/// Every pipe outside quotes and comments whose left-hand command is not in [`SAFE_LEFT`].
fn masking_pipes(cmd: &str) -> Vec<Pipe<'_>> {
    let bytes = cmd.as_bytes();
    let (mut single, mut double) = (false, false);
    // Where the current simple command starts: after the last separator.
    let mut start = 0;
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            _ if single || double => {}
            b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                // A comment runs to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                start = i;
            }
            b'|' => {
                if bytes.get(i + 1) == Some(&b'|') {
                    // `||`: a list, not a pipe.
                    i += 1;
                } else {
                    let left = first_word(cmd.get(start..i).unwrap_or_default());
                    if !SAFE_LEFT.contains(&left) {
                        found.push(Pipe { at: i, left });
                    }
                    if bytes.get(i + 1) == Some(&b'&') {
                        i += 1;
                    }
                }
                start = i + 1;
            }
            b';' | b'&' | b'\n' | b'(' | b')' | b'`' => start = i + 1,
            _ => {}
        }
        i += 1;
    }
    found
}

/// The command name of a simple command: its first word after any `NAME=value` assignments
/// and a leading `!`; empty when there is none.
fn first_word(segment: &str) -> &str {
    segment.split_ascii_whitespace().find(|w| *w != "!" && !is_assignment(w)).unwrap_or("")
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::{Pipe, masking_pipes};
    use crate::lint::{Context, lint_text};

    fn lefts(cmd: &str) -> Vec<&str> {
        masking_pipes(cmd).into_iter().map(|p| p.left).collect()
    }

    #[test]
    fn pipes_after_commands_that_can_fail_are_found() {
        assert_eq!(masking_pipes("curl -fsS x | jq -e ."), [Pipe { at: 12, left: "curl" }]);
        assert_eq!(lefts("kubectl logs x | grep -c y | sort"), ["kubectl"]);
        assert_eq!(lefts("a | b; LC_ALL=C c | d"), ["a", "c"]);
        assert_eq!(lefts("for h in x; do ssh $h; done | tail -n 3"), ["done"]);
        assert_eq!(lefts("(a; b) | c"), [""]);
        assert_eq!(lefts("a |& b"), ["a"]);
        assert_eq!(lefts("x=$(dig +short a | head -n1) && [ -n \"$x\" ]"), ["dig"]);
    }

    #[test]
    fn quoted_or_safe_pipes_are_not() {
        assert!(lefts("out=$(curl -fsS x) && printf '%s\\n' \"$out\" | grep x | sort | jq -e .").is_empty());
        assert!(lefts("grep -E 'a|b' f || echo \"x|y\" && echo a\\|b").is_empty());
        assert!(lefts("kubectl exec p -- sh -c 'nc -z a 1 | cat'").is_empty());
        assert!(lefts("true # a | b").is_empty());
    }

    fn findings(run: &str, phase: &str, extra: &str) -> Vec<(usize, usize)> {
        let text = format!(
            "id: t\ntitle: t\nservices: [web]\nseverities: [SEV1]\nphases:\n  {phase}:\n    steps:\n      - id: a\n        title: a\n{extra}        run: {run}\n"
        );
        lint_text("runbooks/t.yaml", &text, &Context::default())
            .into_iter()
            .filter(|f| f.rule == "pipeline-masks-failure")
            .map(|f| (f.line, f.column))
            .collect()
    }

    /// Regression: only checked steps were looked at, so the starter `database` runbook's
    /// `ssh … | grep | tail` in `diagnose` passed (and showed nothing) with the host down.
    #[test]
    fn every_step_is_looked_at() {
        assert_eq!(findings("curl -fsS x | jq -e .", "validate", ""), [(10, 26)]);
        assert_eq!(findings("curl -fsS x | jq -e .", "detect", ""), [(10, 26)]);
        assert_eq!(findings("curl -fsS x | jq -e .", "remediate", "        expect_exit: 0\n"), [(11, 26)]);
        assert_eq!(findings("ssh db journalctl | grep x | tail", "diagnose", ""), [(10, 32)]);
        assert!(findings("set -o pipefail; curl -fsS x | jq -e .", "validate", "").is_empty());
        assert!(findings("bash -euo pipefail -c 'curl -fsS x | jq -e .'", "validate", "").is_empty());
    }

    /// The finding points at the masking `|` itself, past quoted ones and a block indicator.
    #[test]
    fn points_at_the_pipe() {
        assert_eq!(
            findings("|-\n          grep 'a|b' f | sort\n          kubectl get x | jq .", "validate", ""),
            [(12, 25)]
        );
        assert_eq!(
            findings(">-\n          kubectl logs x\n          | grep -Eo 'a|b' | sort", "detect", ""),
            [(12, 11)]
        );
    }
}

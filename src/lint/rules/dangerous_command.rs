//! Commands that destroy more than an incident could ever want destroyed.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use crate::lint::{Context, Emit, Input, Rule};

pub struct DangerousCommand;

/// (pattern, what it does). Matched against each step's `run`.
static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r#"\brm\s+(?:-\S+\s+)*-(?:\S*[rR]\S*)\s+(?:-\S+\s+)*(?:/\*?|~/?|"?\$HOME"?/?|/(?:etc|usr|var|home|boot|bin|lib)/?)(?:\s|$|[;&|])"#, "recursively deletes a system or home directory"),
        (r"(?:curl|wget)\b[^;&|]*\|\s*(?:sudo\s+)?(?:ba|z|da|k|fi)?sh\b", "pipes a download straight into a shell"),
        (r"\bmkfs(?:\.\w+)?\b", "formats a filesystem"),
        (r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:", "is a fork bomb"),
        (r"\bdd\b[^;&|]*\bof=/dev/(?:sd|nvme|xvd|vd|hd|disk)", "overwrites a disk"),
        (r">\s*/dev/(?:sd|nvme|xvd|vd|hd)[a-z0-9]*\b", "overwrites a disk"),
        (r"\bchmod\s+(?:-\S+\s+)*0?777\s+/(?:\s|$)", "makes the whole filesystem world-writable"),
        (r"(?i)\bdrop\s+(?:table|database|schema)\b", "drops a database object"),
        (r"(?i)\btruncate\s+table\b", "empties a table"),
        (r"\bkubectl\b[^;&|]*\bdelete\s+(?:ns|namespaces?)\b", "deletes a Kubernetes namespace"),
        (r"\bterraform\s+destroy\b", "destroys infrastructure"),
        (r"\bgit\s+push\b[^;&|]*\s(?:--force|-f)\b", "force-pushes over history"),
        (r"(?:^|[;&|]\s*|\bsudo\s+)(?:shutdown|poweroff|halt)\b", "shuts a machine down"),
    ]
    .into_iter()
    .map(|(p, what)| (Regex::new(p).unwrap_or_else(|e| panic!("built-in pattern {p:?}: {e}")), what))
    .collect()
});

/// All the patterns at once: one pass over a command tells which (usually none) to run.
static ANY: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(PATTERNS.iter().map(|(re, _)| re.as_str()))
        .unwrap_or_else(|e| panic!("built-in patterns: {e}"))
});

impl Rule for DangerousCommand {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        for (_, step) in &input.steps {
            let Some(run) = step.get("run") else { continue };
            let Some(cmd) = run.as_str() else { continue };
            let hits = ANY.matches(cmd);
            for (_, (re, what)) in PATTERNS.iter().enumerate().filter(|(k, _)| hits.matched(*k)) {
                if let Some(m) = re.find(cmd) {
                    let text = m.as_str().trim();
                    let offset = m.start() + (m.as_str().len() - m.as_str().trim_start().len());
                    out.at(super::at_offset(input.doc, run, offset), format!("`{text}` {what}"));
                }
            }
        }
    }
}

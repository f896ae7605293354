//! Incident data spliced into a command's text, where a title like `x; rm -rf ~` becomes code.

use std::sync::LazyLock;

use regex::Regex;

use crate::lint::{Context, Emit, Input, Rule};

pub struct CommandInterpolation;

static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{.*?\}\}|\{%.*?%\}|\$\{\{.*?\}\}|%\((?:id|title|severity|services)\)s")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

static REPARSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:eval|(?:ba|z|da|k)?sh\s+-c|xargs)\b[^;&|]*\$\{?INCIDENT_")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

impl Rule for CommandInterpolation {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        let doc = input.doc;
        for (_, step) in &input.steps {
            let Some(run) = step.get("run") else { continue };
            let Some(cmd) = run.as_str() else { continue };
            if let Some(m) = TEMPLATE.find(cmd) {
                let at = super::at_offset(doc, run, m.start());
                let text = m.as_str();
                out.at(at, format!("`{text}` is template syntax: commands are not templated; use \"$INCIDENT_…\" variables"));
            }
            // Both checks below are about `$INCIDENT_…`: most commands never mention it.
            if !cmd.contains("INCIDENT_") {
                continue;
            }
            if let Some(m) = REPARSE.find(cmd) {
                let at = super::at_offset(doc, run, m.start());
                out.at(at, format!("`{}` runs incident data as shell code", m.as_str()));
            }
            for (var, offset) in unquoted_incident_vars(cmd) {
                let at = super::at_offset(doc, run, offset);
                out.at(
                    at,
                    format!(
                        "${var} is not in double quotes: the shell splits and globs it; write \"${var}\""
                    ),
                );
            }
        }
    }
}

/// `$INCIDENT_*` expansions outside double quotes (inside single quotes nothing expands).
fn unquoted_incident_vars(cmd: &str) -> Vec<(&str, usize)> {
    let bytes = cmd.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'$' if !single && !double => {
                let rest = cmd.get(i + 1..).unwrap_or_default();
                let rest = rest.strip_prefix('{').unwrap_or(rest);
                let name =
                    rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or_default();
                // Ids, severities and service lists are tool-made; titles and paths are not.
                if name == "INCIDENT_TITLE" || name == "INCIDENT_REPO" {
                    found.push((name, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::unquoted_incident_vars;

    #[test]
    fn quoting() {
        assert_eq!(
            unquoted_incident_vars(
                r#"echo $INCIDENT_TITLE "$INCIDENT_ID" '$INCIDENT_REPO' ${INCIDENT_REPO} $INCIDENT_ID"#
            ),
            [("INCIDENT_TITLE", 5), ("INCIDENT_REPO", 53)]
        );
        assert!(unquoted_incident_vars(r#"curl -H "X-Incident: $INCIDENT_ID" x"#).is_empty());
    }
}

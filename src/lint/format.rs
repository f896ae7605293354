//! The four ways findings are printed: `human` (rustc-style, with the source line and a
//! caret), `json`, `sarif` (2.1.0, for code-scanning upload) and `github` (workflow
//! annotations).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use super::shellcheck::Note;
use super::{Finding, Severity, find_rule, rules};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// `findings` in `format`; `notes` (what the user is told apart from findings, on stderr)
/// go into SARIF's run too, for a code-scanning page that never shows stderr.
pub fn render(format: Format, findings: &[Finding], files: usize, color: bool, notes: &[Note]) -> String {
    match format {
        Format::Human => human(findings, files, color),
        Format::Json => serde_json::to_string_pretty(findings).unwrap_or_default() + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif(findings, notes)).unwrap_or_default() + "\n",
        Format::Github => github(findings),
    }
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

fn human(findings: &[Finding], files: usize, color: bool) -> String {
    let mut out = String::new();
    // Each file is read once for its source lines.
    let mut sources: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in findings {
        let lines = sources.entry(f.file.as_str()).or_insert_with(|| {
            // Not through a symlink: its target is not the repository's to quote.
            crate::fsutil::read_to_string(std::path::Path::new(&f.file))
                .map(|t| crate::yaml::lines(&t).map(str::to_string).collect())
                .unwrap_or_default()
        });
        let (label, code) = match f.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        let _ = writeln!(
            out,
            "{}: {}: {} {}",
            paint(color, "1", &format!("{}:{}:{}", f.file, f.line, f.column)),
            paint(color, code, label),
            // Messages quote values and the source line is the file's own: a runbook from a
            // pull request may hold escapes, shown here, never obeyed.
            crate::ui::visible(&f.message),
            paint(color, "2", &format!("[{}]", f.rule))
        );
        if let Some(src) = lines.get(f.line - 1) {
            let gutter = f.line.to_string().len();
            let _ = writeln!(out, "{:>gutter$} |", "");
            let _ = writeln!(out, "{} | {}", f.line, crate::ui::visible_lines(src));
            let caret_at: String =
                src.chars().take(f.column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            let _ = writeln!(out, "{:>gutter$} | {caret_at}{}", "", paint(color, code, "^"));
        }
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    let plural = |n: usize, w: &str| {
        if n == 1 { format!("1 {w}") } else { format!("{n} {w}s") }
    };
    if findings.is_empty() {
        let _ = writeln!(out, "{} checked, no problems found", plural(files, "file"));
    } else {
        let _ = writeln!(
            out,
            "{}, {} in {} checked",
            plural(errors, "error"),
            plural(warnings, "warning"),
            plural(files, "file")
        );
    }
    out
}

/// GitHub workflow commands: `::error file=F,line=L,col=C,title=RULE::message`.
fn github(findings: &[Finding]) -> String {
    let data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    findings
        .iter()
        .map(|f| {
            format!(
                "::{} file={},line={},col={},title={}::{}\n",
                f.severity.name(),
                prop(&f.file),
                f.line,
                f.column,
                prop(f.rule),
                data(&f.message)
            )
        })
        .collect()
}

fn sarif(findings: &[Finding], notes: &[Note]) -> serde_json::Value {
    let rules: Vec<_> = rules::RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explain},
                "help": {"text": r.explain},
                "defaultConfiguration": {"level": r.severity.name()},
            })
        })
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            let index = rules::RULES.iter().position(|r| r.id == f.rule).unwrap_or(0);
            json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": f.severity.name(),
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file.replace('\\', "/")},
                        "region": {"startLine": f.line, "startColumn": f.column}
                    }
                }]
            })
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": "incident",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://incident.invalid/docs/lint",
            "rules": rules,
        }},
        "results": results,
    });
    if !notes.is_empty() {
        let notifications: Vec<_> = notes
            .iter()
            .map(|n| json!({"level": if n.fatal { "error" } else { "warning" }, "message": {"text": n.message}}))
            .collect();
        run["invocations"] = json!([{
            "executionSuccessful": !notes.iter().any(|n| n.fatal),
            "toolExecutionNotifications": notifications,
        }]);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run]
    })
}

/// `--explain RULE`, or every rule when none is named.
pub fn explain(rule: Option<&str>) -> crate::error::Result<String> {
    match rule {
        Some(id) => {
            let r = find_rule(id).ok_or_else(|| {
                let known = rules::RULES.iter().map(|r| r.id.to_string()).collect();
                crate::error::Unknown::new(crate::error::Noun::Rule, id, known)
            })?;
            Ok(format!("{} ({})\n{}\n\n{}\n", r.id, r.severity.name(), r.summary, r.explain))
        }
        None => Ok(rules::RULES
            .iter()
            .map(|r| format!("{:<26} {:<8} {}\n", r.id, r.severity.name(), r.summary))
            .collect()),
    }
}

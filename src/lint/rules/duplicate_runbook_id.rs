//! Two runbooks with one id: `--runbook ID` would pick one at random.

use std::collections::HashMap;

use crate::lint::doc::Summary;
use crate::lint::{Finding, Rule, Severity};

pub struct DuplicateRunbookId;

impl Rule for DuplicateRunbookId {
    fn id(&self) -> &'static str {
        "duplicate-runbook-id"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "Two runbook files declare the same id"
    }
    fn explain(&self) -> &'static str {
        "`incident open --runbook ID` and the event log name runbooks by id, so ids must be unique across the repository. Rename one (and its file, by convention `runbooks/<id>.yaml`)."
    }
    fn check_all(&self, runbooks: &[Summary], out: &mut Vec<Finding>) {
        let mut first: HashMap<&str, &Summary> = HashMap::new();
        for rb in runbooks {
            let Some((id, pos)) = &rb.id else { continue };
            match first.get(id.as_str()) {
                Some(other) => out.push(Finding {
                    file: rb.display.clone(),
                    line: pos.line,
                    column: pos.col,
                    rule: self.id(),
                    severity: self.severity(),
                    message: format!("runbook id `{id}` is already declared in {}", other.display),
                }),
                None => {
                    first.insert(id, rb);
                }
            }
        }
    }
}

//! Two runbooks with one id: `--runbook ID` would pick one at random.

use std::collections::HashMap;

use super::Meta;
use crate::lint::doc::Summary;
use crate::lint::{Finding, Rule};

pub struct DuplicateRunbookId;

impl Rule for DuplicateRunbookId {
    fn check_all(&self, rule: &Meta, runbooks: &[Summary], out: &mut Vec<Finding>) {
        let mut first: HashMap<&str, &Summary> = HashMap::new();
        for rb in runbooks {
            let Some((id, pos)) = &rb.id else { continue };
            match first.get(id.as_str()) {
                Some(other) => out.push(Finding {
                    file: rb.display.clone(),
                    line: pos.line,
                    column: pos.col,
                    rule: rule.id,
                    severity: rule.severity,
                    message: format!("runbook id `{id}` is already declared in {}", other.display),
                }),
                None => {
                    first.insert(id, rb);
                }
            }
        }
    }
}

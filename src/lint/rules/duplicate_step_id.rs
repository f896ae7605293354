//! Two steps with one id: `choices` and `incident step` could not tell them apart.

use std::collections::HashMap;

use super::step_id;
use crate::lint::{Context, Doc, Emit, Rule};

pub struct DuplicateStepId;

impl Rule for DuplicateStepId {
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (_, step) in doc.steps() {
            if let Some((id, pos)) = step_id(step) {
                if let Some(first) = seen.get(id) {
                    out.at(pos, format!("step id `{id}` is already used at line {first}; step ids must be unique in a runbook"));
                } else {
                    seen.insert(id, pos.line);
                }
            }
        }
    }
}

//! The rules whose findings come from reading the file: YAML syntax and limits, and the
//! shape check (unknown keys, wrong types, missing fields, unreadable budgets). Reading
//! records each problem under its rule id; this check reports those of the rule it runs for.

use crate::lint::doc::Kind;
use crate::lint::{Context, Emit, Input, Rule};

pub struct FromReading;

impl Rule for FromReading {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        let doc = input.doc;
        if doc.kind == Kind::Template {
            return;
        }
        let id = out.rule.id;
        for p in doc.read.iter().filter(|p| p.rule == id) {
            out.at(p.pos, p.message.clone());
        }
    }
}

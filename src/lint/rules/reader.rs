//! The rules whose findings come from reading the file: YAML syntax and limits, and the
//! shape check (unknown keys, wrong types, missing fields, unreadable budgets).

use crate::lint::doc::Kind;
use crate::lint::{Context, Doc, Emit, Rule, Severity};

pub struct FromReading {
    id: &'static str,
    summary: &'static str,
    explain: &'static str,
}

impl Rule for FromReading {
    fn id(&self) -> &'static str {
        self.id
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        self.summary
    }
    fn explain(&self) -> &'static str {
        self.explain
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        if doc.kind == Kind::Template {
            return;
        }
        for p in doc.read.iter().filter(|p| p.rule == self.id) {
            out.at(p.pos, p.message.clone());
        }
    }
}

pub static YAML_SYNTAX: FromReading = FromReading {
    id: "yaml-syntax",
    summary: "The file is not valid YAML (or not UTF-8, or holds a second document)",
    explain: "The YAML parser stopped here. Common causes: a tab used for indentation, an unclosed quote or bracket, a `key: value` whose value contains `: ` without quotes. Fix the text at the position shown; nothing after it was checked.",
};

pub static YAML_LIMITS: FromReading = FromReading {
    id: "yaml-limits",
    summary: "The file is too large or nested too deeply to be a runbook",
    explain: "Runbooks are limited to 4 MiB, 64 levels of nesting and 100,000 values, so that a hostile or generated file cannot stall CI. Split the runbook, or flatten the structure.",
};

pub static YAML_ALIAS: FromReading = FromReading {
    id: "yaml-alias",
    summary: "YAML aliases (`*name`) are not allowed in runbooks",
    explain: "Aliases make a step's text depend on another place in the file, and nested aliases can expand exponentially (an 'alias bomb'). Write the value out where it is used.",
};

pub static DUPLICATE_KEY: FromReading = FromReading {
    id: "duplicate-key",
    summary: "A key appears twice in one mapping",
    explain: "YAML keeps only one of two equal keys, so one of the values is silently lost. Remove or rename one of them.",
};

pub static UNKNOWN_KEY: FromReading = FromReading {
    id: "unknown-key",
    summary: "A key the runbook or incident.yaml format does not have",
    explain: "Unknown keys are usually typos (`titel`, `choice`), and the tool would refuse to load the file. The message lists the keys allowed at that place; `incident schema` gives editors the same list.",
};

pub static WRONG_TYPE: FromReading = FromReading {
    id: "wrong-type",
    summary: "A value of the wrong type (a list where a string is expected, an id with capitals, …)",
    explain: "Each field has one type: titles and commands are strings, `steps` and `services` are lists, `expect_exit` is a whole number, ids use lowercase letters, digits and `-`. The message says what was expected and what was found.",
};

pub static MISSING_FIELD: FromReading = FromReading {
    id: "missing-field",
    summary: "A required field is missing (or the file is empty)",
    explain: "Runbooks need `id`, `title`, `services`, `severities` and `phases`; each phase needs `steps`; each step needs `id` and `title`. Add the field named in the message.",
};

pub static BAD_BUDGET: FromReading = FromReading {
    id: "bad-budget",
    summary: "A budget or cadence that is not a duration",
    explain: "Budgets and `update_every` are durations written as a number and a unit: `90s`, `5m`, `1h30m`, `1d`. Plain numbers are rejected because `5` could mean seconds or minutes.",
};

//! The shape of a runbook and of `incident.yaml`, declared once. The linter checks YAML trees
//! against it (unknown keys, wrong types, missing fields) and `incident schema` turns it into
//! a JSON Schema for editors, so the two can never disagree.

use super::yaml::{Node, Value};

#[derive(Debug)]
pub enum Shape {
    /// Any string (a plain scalar that is not null).
    Str,
    /// A step, runbook, service or severity id: lowercase letters, digits and `-`.
    Id,
    /// A duration such as `5m`, `1h30m`, `90s`.
    Duration,
    Int,
    Number,
    Bool,
    List(&'static Shape),
    /// A mapping with the given keys.
    Object(&'static [Field]),
    /// A mapping from free keys to values of one shape.
    Dict(&'static Shape),
    /// A mapping from the phase names to values of one shape.
    Phases(&'static Shape),
    /// One of these strings.
    OneOf(&'static [&'static str]),
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub shape: &'static Shape,
    pub required: bool,
    pub doc: &'static str,
}

const fn f(name: &'static str, shape: &'static Shape, doc: &'static str) -> Field {
    Field { name, shape, required: false, doc }
}

const fn req(name: &'static str, shape: &'static Shape, doc: &'static str) -> Field {
    Field { name, shape, required: true, doc }
}

pub static STEP: Shape = Shape::Object(&[
    req("id", &Shape::Id, "Unique across the runbook; `choices` and `incident step` refer to it"),
    req("title", &Shape::Str, "What to do, in the imperative"),
    f("details", &Shape::Str, "What to look for, thresholds, what good and bad look like"),
    f(
        "run",
        &Shape::Str,
        "A shell command (`sh -c`), run only after confirmation; incident data is in $INCIDENT_* variables",
    ),
    f("expect_exit", &Shape::Int, "The exit code that means success (default 0)"),
    f("choices", &Shape::Dict(&Shape::Id), "A decision: each answer jumps to a later step id"),
]);

pub static PHASE: Shape = Shape::Object(&[
    f("budget", &Shape::Duration, "Time budget for the phase, overriding incident.yaml (5m, 1h30m)"),
    req("steps", &Shape::List(&STEP), "The phase's steps, in order"),
]);

pub static RUNBOOK: Shape = Shape::Object(&[
    req("id", &Shape::Id, "Unique across the repository's runbooks; `--runbook` takes it"),
    req("title", &Shape::Str, "When this runbook applies"),
    f("description", &Shape::Str, "One or two sentences on when to use it"),
    req("services", &Shape::List(&Shape::Id), "Services this runbook is offered for"),
    req("severities", &Shape::List(&Shape::Str), "Severities this runbook is meant for"),
    req("phases", &Shape::Phases(&PHASE), "detect, assess, diagnose, remediate, validate"),
]);

pub static SEVERITY: Shape = Shape::Object(&[
    f("description", &Shape::Str, "What makes an incident this severe"),
    f("update_every", &Shape::Duration, "How often stakeholders expect an update"),
    f("budgets", &Shape::Phases(&Shape::Duration), "Phase budgets at this severity"),
]);

pub static CONFIG: Shape = Shape::Object(&[
    f("name", &Shape::Str, "The organisation or site"),
    f("revenue_per_hour", &Shape::Number, "Revenue lost per hour of customer impact"),
    f("currency", &Shape::Str, "Currency of revenue_per_hour"),
    f("budgets", &Shape::Phases(&Shape::Duration), "Default phase budgets"),
    f("severities", &Shape::Dict(&SEVERITY), "SEV1 (most severe) to SEV4"),
    f(
        "services",
        &Shape::Dict(&Shape::Object(&[
            req("name", &Shape::Str, "Display name"),
            f("description", &Shape::Str, "What it does"),
        ])),
        "Service id → name",
    ),
    f(
        "channels",
        &Shape::Dict(&Shape::Object(&[
            req("audience", &Shape::OneOf(&["internal", "external"]), "Who reads it"),
            f("description", &Shape::Str, "What it is"),
        ])),
        "Where updates go",
    ),
    f(
        "lint",
        &Shape::Object(&[f("disable", &Shape::List(&Shape::Id), "Rule ids switched off in this repository")]),
        "Linter settings",
    ),
]);

pub const PHASE_NAMES: [&str; 5] = ["detect", "assess", "diagnose", "remediate", "validate"];

/// A structural problem: `rule` is one of unknown-key, wrong-type, missing-field.
#[derive(Debug)]
pub struct Mismatch<'n> {
    pub node: &'n Node,
    pub rule: &'static str,
    pub message: String,
}

pub fn is_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks `node` against `shape`; `path` names where it stands (`phases.detect.steps[2]`).
pub fn check<'n>(node: &'n Node, shape: &Shape, path: &str, out: &mut Vec<Mismatch<'n>>) {
    let path = if path.is_empty() { Path::Top } else { Path::Key(&Path::Top, path) };
    check_at(node, shape, &path, out);
}

/// Where a node stands. Only a mismatch's message spells it out, so checking a clean file
/// builds no strings.
#[derive(Clone, Copy)]
enum Path<'a> {
    Top,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn write(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Top => Ok(()),
            Path::Key(Path::Top, key) => f.write_str(key),
            Path::Key(parent, key) => {
                parent.write(f)?;
                write!(f, ".{key}")
            }
            Path::Index(parent, i) => {
                parent.write(f)?;
                write!(f, "[{i}]")
            }
        }
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Top => f.write_str("top level"),
            path => path.write(f),
        }
    }
}

fn check_at<'n>(node: &'n Node, shape: &Shape, path: &Path<'_>, out: &mut Vec<Mismatch<'n>>) {
    let wrong = |expected: &str| Mismatch {
        node,
        rule: "wrong-type",
        message: format!("{path}: expected {expected}, found {}", node.kind()),
    };
    if matches!(node.value, Value::Alias) {
        return; // reported by the YAML reader
    }
    match shape {
        Shape::Str => {
            if node.as_str().is_none() || node.is_null() {
                out.push(wrong("a string"));
            }
        }
        Shape::Id => match node.as_str() {
            Some(s) if !node.is_null() && is_id(s) => {}
            Some(s) if !node.is_null() => out.push(Mismatch {
                node,
                rule: "wrong-type",
                message: format!("{path}: {s:?} is not an id: use lowercase letters, digits and `-`"),
            }),
            _ => out.push(wrong("an id (lowercase letters, digits and `-`)")),
        },
        Shape::Duration => match node.as_str() {
            Some(s) if crate::timefmt::parse_duration(s).is_some() => {}
            _ => out.push(Mismatch {
                node,
                rule: "bad-budget",
                message: format!("{path}: {} is not a duration; write 5m, 1h30m or 90s", describe(node)),
            }),
        },
        Shape::Int => {
            if !matches!(&node.value, Value::Scalar(s, false) if s.parse::<i64>().is_ok()) {
                out.push(wrong("a whole number"));
            }
        }
        Shape::Number => {
            if !matches!(&node.value, Value::Scalar(s, false) if s.parse::<f64>().is_ok()) {
                out.push(wrong("a number"));
            }
        }
        Shape::Bool => {
            if !matches!(&node.value, Value::Scalar(s, false) if s == "true" || s == "false") {
                out.push(wrong("true or false"));
            }
        }
        Shape::OneOf(options) => {
            if !node.as_str().is_some_and(|s| options.contains(&s)) {
                out.push(wrong(&format!("one of {}", options.join(", "))));
            }
        }
        Shape::List(item) => match node.as_seq() {
            Some(items) => {
                for (i, it) in items.iter().enumerate() {
                    check_at(it, item, &Path::Index(path, i), out);
                }
            }
            None => out.push(wrong("a list")),
        },
        Shape::Dict(value) => match node.as_map() {
            Some(entries) => {
                for (k, v) in entries {
                    let key = k.as_str().unwrap_or("?");
                    check_at(v, value, &Path::Key(path, key), out);
                }
            }
            None => out.push(wrong("a mapping")),
        },
        Shape::Phases(value) => match node.as_map() {
            Some(entries) => {
                for (k, v) in entries {
                    let key = k.as_str().unwrap_or("?");
                    if PHASE_NAMES.contains(&key) {
                        check_at(v, value, &Path::Key(path, key), out);
                    } else {
                        out.push(unknown(k, path, &PHASE_NAMES));
                    }
                }
            }
            None => out.push(wrong("a mapping of phases")),
        },
        Shape::Object(fields) => {
            let Some(entries) = node.as_map() else {
                out.push(wrong("a mapping"));
                return;
            };
            for (k, v) in entries {
                let key = k.as_str().unwrap_or("?");
                match fields.iter().find(|f| f.name == key) {
                    Some(field) => check_at(v, field.shape, &Path::Key(path, key), out),
                    None => {
                        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
                        out.push(unknown(k, path, &names));
                    }
                }
            }
            for field in fields.iter().filter(|f| f.required) {
                if node.get(field.name).is_none() {
                    out.push(Mismatch {
                        node,
                        rule: "missing-field",
                        message: format!("{path}: missing required field `{}` ({})", field.name, field.doc),
                    });
                }
            }
        }
    }
}

fn unknown<'n>(key: &'n Node, path: &Path<'_>, expected: &[&str]) -> Mismatch<'n> {
    let mut names = expected.to_vec();
    names.sort_unstable();
    Mismatch {
        node: key,
        rule: "unknown-key",
        message: format!("{path}: unknown key {}; expected one of: {}", describe(key), names.join(", ")),
    }
}

fn describe(node: &Node) -> String {
    match node.as_str() {
        Some(s) => format!("`{s}`"),
        None => node.kind().to_string(),
    }
}

//! One declaration per file format. [`model!`](crate::model!) declares a struct once and yields both the
//! serde struct the commands use and its [`Shape`], which
//! - the linter checks YAML trees against (unknown keys, wrong types, missing fields),
//! - `incident schema` turns into a JSON Schema for editors,
//! - and loading uses to turn a checked tree into the `serde_yaml::Value` that serde_yaml
//!   deserializes the struct from ([`to_value`]).
//!
//! So names, required fields and types are written once, and what `open` and `walk` accept
//! is what `lint` accepts: one parser (the span-keeping tree) reads both.

use crate::phase::Phase;
use crate::yaml::{Node, Value};

#[derive(Debug)]
pub enum Shape {
    /// Any string (a plain scalar that is not null).
    Str,
    /// A step, runbook, service or severity id: lowercase letters, digits and `-`.
    Id,
    /// A duration such as `5m`, `1h30m`, `90s`.
    Duration,
    /// An IANA time zone name such as `Europe/Paris` or `UTC`.
    TimeZone,
    Int,
    Number,
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

/// Declares a model struct and its shape in one place. Every field is `required` or
/// `optional`; serde fills what is missing with the default, which only optional fields can
/// be, since a tree missing a required field never reaches serde (the shape check refuses it).
///
/// ```text
/// model! {
///     /// A step.
///     STEP: pub struct Step {
///         id: String = required Shape::Id, "Unique across the runbook";
///     }
/// }
/// ```
#[macro_export]
macro_rules! model {
    ($(
        $(#[doc = $sdoc:literal])*
        $shape:ident: pub struct $name:ident {
            $( $field:ident: $ty:ty = $req:ident $fshape:expr, $doc:literal; )*
        }
    )*) => {$(
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $( #[doc = $doc] pub $field: $ty, )*
        }

        $(#[doc = $sdoc])*
        pub static $shape: $crate::model::Shape = $crate::model::Shape::Object(&[$(
            $crate::model::Field {
                name: $crate::model::field_name(stringify!($field)),
                shape: &$fshape,
                required: $crate::model!(@required $req),
                doc: $doc,
            },
        )*]);
    )*};
    (@required required) => { true };
    (@required optional) => { false };
}

/// A field's name as the file spells it: a Rust keyword is declared raw (`r#match`), and
/// serde, like the file, calls it `match`.
pub const fn field_name(declared: &'static str) -> &'static str {
    match declared.as_bytes() {
        [b'r', b'#', ..] => match declared.split_at_checked(2) {
            Some((_, name)) => name,
            None => declared,
        },
        _ => declared,
    }
}

/// A structural problem: `rule` is one of unknown-key, wrong-type, missing-field.
#[derive(Debug)]
pub struct Mismatch<'n> {
    pub node: &'n Node,
    pub rule: &'static str,
    pub message: String,
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
            Some(s) if !node.is_null() && crate::ids::is_valid(s) => {}
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
        Shape::TimeZone => match node.as_str() {
            Some(s) if !node.is_null() && crate::timefmt::zone(s).is_some() => {}
            _ => out.push(Mismatch {
                node,
                rule: "unknown-time-zone",
                message: format!(
                    "{path}: {} is not a time zone; write an IANA name such as Europe/Paris, America/New_York or UTC",
                    describe(node)
                ),
            }),
        },
        Shape::Int => {
            // i32: what an exit code is, and what the model's field holds.
            if !matches!(&node.value, Value::Scalar(s, false) if s.parse::<i32>().is_ok()) {
                out.push(wrong("a whole number"));
            }
        }
        Shape::Number => {
            if !matches!(&node.value, Value::Scalar(s, false) if s.parse::<f64>().is_ok()) {
                out.push(wrong("a number"));
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
                    if Phase::parse(key).is_some() {
                        check_at(v, value, &Path::Key(path, key), out);
                    } else {
                        out.push(unknown(k, path, &Phase::NAMES));
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

/// A tree no shape declares (the demo's scenario) as serde reads it: each plain scalar typed
/// as the linter reads it ([`Node::kind`]: null, a number, a boolean, else a string), a
/// quoted one always a string. An alias, which the tree never expands, is null.
pub fn from_untyped<T: serde::de::DeserializeOwned>(node: &Node) -> Result<T, String> {
    serde_yaml::from_value(untyped(node)).map_err(|e| e.to_string())
}

fn untyped(node: &Node) -> serde_yaml::Value {
    use crate::yaml::Value as V;
    use serde_yaml::Value as Y;
    match &node.value {
        V::Scalar(s, true) => Y::String(s.clone()),
        V::Scalar(_, false) if node.is_null() => Y::Null,
        V::Scalar(s, false) => {
            if let Ok(n) = s.parse::<i64>() {
                Y::Number(n.into())
            } else if let Ok(n) = s.parse::<u64>() {
                Y::Number(n.into())
            } else if let Some(n) = s.parse::<f64>().ok().filter(|_| node.kind() == "a number") {
                Y::Number(n.into())
            } else if let Ok(b) = s.parse::<bool>() {
                Y::Bool(b)
            } else {
                Y::String(s.clone())
            }
        }
        V::Seq(items) => Y::Sequence(items.iter().map(untyped).collect()),
        V::Map(entries) => Y::Mapping(entries.iter().map(|(k, v)| (untyped(k), untyped(v))).collect()),
        V::Alias => Y::Null,
    }
}

/// The `serde_yaml::Value` of a tree that passed [`check`] against `shape`: every scalar
/// typed as the shape says (a plain `404` is the string "404" where a title is expected), so
/// serde_yaml deserializes the model from exactly what the linter read.
pub fn to_value(node: &Node, shape: &Shape) -> serde_yaml::Value {
    use serde_yaml::Value as Y;
    let text = || node.as_str().unwrap_or_default().to_string();
    let mapping = |value_of: &dyn Fn(&str, &Node) -> Option<Y>| {
        let entries = node.as_map().unwrap_or_default();
        Y::Mapping(
            entries
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.as_str()?;
                    Some((Y::String(key.to_string()), value_of(key, v)?))
                })
                .collect(),
        )
    };
    match shape {
        Shape::Str | Shape::Id | Shape::Duration | Shape::TimeZone | Shape::OneOf(_) => Y::String(text()),
        Shape::Int => {
            node.as_str().and_then(|s| s.parse::<i64>().ok()).map_or(Y::Null, |n| Y::Number(n.into()))
        }
        Shape::Number => {
            node.as_str().and_then(|s| s.parse::<f64>().ok()).map_or(Y::Null, |n| Y::Number(n.into()))
        }
        Shape::List(item) => {
            Y::Sequence(node.as_seq().unwrap_or_default().iter().map(|n| to_value(n, item)).collect())
        }
        Shape::Dict(value) | Shape::Phases(value) => mapping(&|_, v| Some(to_value(v, value))),
        Shape::Object(fields) => {
            mapping(&|key, v| fields.iter().find(|f| f.name == key).map(|f| to_value(v, f.shape)))
        }
    }
}

//! `incident schema`: the runbook JSON Schema (draft 2020-12), generated from the runbook's
//! [`model`](mod@crate::model) so that editors complete exactly what the linter accepts.

use serde_json::{Map, Value, json};

use crate::model::Shape;
use crate::phase::Phase;

pub const ID: &str = "https://incident.invalid/runbook.schema.json";

pub fn runbook() -> Value {
    let mut schema = to_json(&crate::runbook::RUNBOOK);
    if let Value::Object(m) = &mut schema {
        m.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        m.insert("$id".into(), json!(ID));
        m.insert("title".into(), json!("incident runbook"));
    }
    schema
}

fn to_json(shape: &Shape) -> Value {
    match shape {
        Shape::Str => json!({"type": "string", "minLength": 1}),
        Shape::Id => json!({"type": "string", "pattern": "^[a-z0-9-]+$"}),
        Shape::Duration => json!({"type": "string", "pattern": "^ *([0-9]+[smhd] *)+$"}),
        Shape::TimeZone => json!({"type": "string", "minLength": 1}),
        Shape::Int => json!({"type": "integer"}),
        Shape::Number => json!({"type": "number"}),
        Shape::OneOf(options) => json!({"enum": options}),
        Shape::List(item) => json!({"type": "array", "items": to_json(item)}),
        Shape::Dict(value) => json!({"type": "object", "additionalProperties": to_json(value)}),
        Shape::Phases(value) => {
            let props: Map<String, Value> =
                Phase::NAMES.iter().map(|p| ((*p).to_string(), to_json(value))).collect();
            json!({"type": "object", "properties": props, "additionalProperties": false})
        }
        Shape::Object(fields) => {
            let mut props = Map::new();
            for f in *fields {
                let mut v = to_json(f.shape);
                if let Value::Object(m) = &mut v {
                    m.insert("description".into(), json!(f.doc));
                }
                props.insert(f.name.to_string(), v);
            }
            let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
            json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
        }
    }
}

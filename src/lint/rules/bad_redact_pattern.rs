//! A `redact:` pattern in incident.yaml that cannot be used: not a valid regular expression,
//! too large, matching the empty string or the mask itself. An error: redaction is a safety
//! net, and one that silently does nothing (or masks everything) is worse than none.

use crate::lint::{Doc, Emit, Input, Kind, Rule};
use crate::yaml::Pos;

pub struct BadRedactPattern;

impl Rule for BadRedactPattern {
    fn check(&self, input: &Input<'_>, _cx: &crate::lint::Context, out: &mut Emit<'_>) {
        for (pos, message) in problems(input.doc) {
            out.at(pos, message);
        }
    }
}

/// Every unusable pattern of an incident.yaml, where it stands and why, in one line each.
/// `load` asks too, so the error is the same even when the rule is switched off.
pub fn problems(doc: &Doc) -> Vec<(Pos, String)> {
    if doc.kind != Kind::Config {
        return Vec::new();
    }
    let Some(list) = doc.root.as_ref().and_then(|r| r.get("redact")).and_then(|s| s.as_seq()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let Some(node) = item.get("pattern") else { continue };
        let Some(source) = node.as_str() else { continue };
        if let Err(why) = crate::redact::compile(source) {
            let name = item.get("name").and_then(|n| n.as_str()).map_or(String::new(), |n| format!(" ({n})"));
            found.push((node.pos, format!("redact[{i}].pattern{name}: `{source}` cannot be used: {why}")));
        }
    }
    found
}

//! A runbook whose file name is not `<id>.yaml`.

use crate::lint::{Context, Emit, Input, Kind, Rule};

pub struct FileName;

impl Rule for FileName {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        let doc = input.doc;
        if doc.kind != Kind::Runbook {
            return;
        }
        let Some(node) = doc.root.as_ref().and_then(|r| r.get("id")) else {
            return;
        };
        let (Some(id), Some(stem)) = (node.as_str(), doc.path.file_stem().and_then(|s| s.to_str())) else {
            return;
        };
        if id != stem && crate::ids::is_valid(id) {
            out.at(node.pos, format!("runbook `{id}` is in {stem}.yaml; name the file {id}.yaml"));
        }
    }
}

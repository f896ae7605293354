//! A runbook whose file name is not `<id>.yaml`.

use crate::lint::{Context, Doc, Emit, Kind, Rule, Severity};

pub struct FileName;

impl Rule for FileName {
    fn id(&self) -> &'static str {
        "file-name"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "A runbook's file is not named after its id"
    }
    fn explain(&self) -> &'static str {
        "By convention `runbooks/<id>.yaml` holds the runbook `<id>`: people find it by name, and the tool reads that file first instead of every runbook. Rename the file or the id."
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
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

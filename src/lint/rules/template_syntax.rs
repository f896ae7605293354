//! A template that does not compile.

use crate::lint::yaml::Pos;
use crate::lint::{Context, Doc, Emit, Kind, Rule, Severity};

pub struct TemplateSyntax;

impl Rule for TemplateSyntax {
    fn id(&self) -> &'static str {
        "template-syntax"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "A Jinja template (`*.j2`) that does not compile"
    }
    fn explain(&self) -> &'static str {
        "Templates are compiled with the same engine `incident postmortem` uses (minijinja). A template that does not compile would fail when the postmortem is due. The message is the engine's own, at the template line it names."
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        if doc.kind != Kind::Template {
            return;
        }
        let env = crate::render::environment();
        if let Err(e) = env.template_from_str(&doc.text) {
            let line = e.line().unwrap_or(1);
            let mut message = e.kind().to_string();
            if let Some(d) = e.detail() {
                message.push_str(&format!(": {d}"));
            }
            out.at(Pos { line, col: 1 }, message);
        }
    }
}

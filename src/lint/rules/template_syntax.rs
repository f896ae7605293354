//! A template that does not compile.

use crate::lint::{Context, Emit, Input, Kind, Rule};
use crate::yaml::Pos;

pub struct TemplateSyntax;

impl Rule for TemplateSyntax {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        let doc = input.doc;
        if doc.kind != Kind::Template {
            return;
        }
        // Not read (a symlink, not UTF-8): nothing to compile, and the reason is the finding.
        if !doc.read.is_empty() {
            for p in &doc.read {
                out.at(p.pos, p.message.clone());
            }
            return;
        }
        let env = crate::render::environment();
        if let Err(e) = env.template_from_str(&doc.text) {
            let mut message = e.kind().to_string();
            if let Some(d) = e.detail() {
                message.push_str(&format!(": {d}"));
            }
            out.at(position(&doc.text, &e), message);
        }
    }
}

/// Where the engine says the error is: the start of its byte range when it has one (the
/// column counted in characters, as every finding's is), else its line.
fn position(text: &str, e: &minijinja::Error) -> Pos {
    match e.range().and_then(|r| text.get(..r.start)) {
        Some(before) => {
            let line = before.rsplit('\n').next().unwrap_or_default();
            Pos { line: before.matches('\n').count() + 1, col: line.chars().count() + 1 }
        }
        None => Pos { line: e.line().unwrap_or(1), col: 1 },
    }
}

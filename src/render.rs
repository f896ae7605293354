//! Templates (Jinja syntax, via minijinja in strict mode) and the one place where text is
//! escaped for markdown. Also keeps what people wrote by hand inside editable blocks.

use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};

use crate::error::{Error, Result};
use crate::timefmt::{self, human};

/// Text for a GFM table cell: nothing in it can end the cell, the row or open HTML.
pub fn cell(s: &str) -> String {
    if !s.contains(['\\', '|', '<', '>', '&', '`', '\r', '\n']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("&#96;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// Text for running markdown: HTML is shown, not interpreted.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Text on one line (headings, list items, commit subjects).
pub fn oneline(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn dur(v: Value) -> String {
    match i64::try_from(v) {
        Ok(s) => human(s),
        Err(_) => "—".to_string(),
    }
}

/// RFC 3339 text → `2026-11-27 14:02:00Z`; none → `—`.
fn utc(v: Value) -> String {
    v.as_str().map_or_else(|| "—".to_string(), timefmt::table_from_text)
}

/// RFC 3339 text → what Mermaid's `dateFormat YYYY-MM-DDTHH:mm:ss` reads.
fn mermaid_time(v: Value) -> String {
    v.as_str().and_then(timefmt::parse_rfc3339).map_or_else(String::new, timefmt::mermaid)
}

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_filter("cell", |s: &str| cell(s));
    env.add_filter("md", |s: &str| md(s));
    env.add_filter("oneline", |s: &str| oneline(s));
    env.add_filter("dur", dur);
    env.add_filter("utc", utc);
    env.add_filter("mermaid_time", mermaid_time);
    env
}

/// Renders `source` (named `name` in errors) with `ctx`. A failure names the template, the
/// line, and the engine's own explanation.
pub fn render(name: &str, source: &str, ctx: &impl serde::Serialize) -> Result<String> {
    let env = environment();
    let fail = |e: minijinja::Error| {
        let mut message = e.kind().to_string();
        if let Some(detail) = e.detail() {
            message.push_str(&format!(": {detail}"));
        }
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            message.push_str(&format!(": {s}"));
            src = s.source();
        }
        let at = match e.line() {
            Some(line) => format!("{name}:{line}"),
            None => name.to_string(),
        };
        Error::Template { name: at, message }
    };
    let tmpl = env.template_from_named_str(name, source).map_err(fail)?;
    tmpl.render(ctx).map_err(fail)
}

const OPEN: &str = "<!-- editable:";
const CLOSE: &str = "<!-- /editable:";

/// FNV-1a: a stable fingerprint of generated block text (std's hasher may change).
fn fingerprint(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.trim().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A block: `<!-- editable:NAME -->` … `<!-- /editable:NAME -->`.
struct Block {
    name: String,
    /// Byte range of the body, between the markers.
    body: std::ops::Range<usize>,
    /// The fingerprint of what the tool generated there, if the marker carries one.
    generated: Option<String>,
    open: std::ops::Range<usize>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(OPEN).map(|i| i + from) {
        let Some(end_of_open) = text[i..].find("-->").map(|e| i + e + 3) else {
            break;
        };
        let inner = text[i + OPEN.len()..end_of_open - 3].trim();
        let mut parts = inner.split_whitespace();
        let name = parts.next().unwrap_or_default().to_string();
        let generated = parts.find_map(|p| p.strip_prefix("generated=")).map(str::to_string);
        let close = format!("{CLOSE}{name} -->");
        let Some(c) = text[end_of_open..].find(&close).map(|c| c + end_of_open) else {
            from = end_of_open;
            continue;
        };
        out.push(Block { name, body: end_of_open..c, generated, open: i..end_of_open });
        from = c + close.len();
    }
    out
}

/// The blocks of `text` a person changed since they were generated, by name.
pub fn hand_edits(text: &str) -> Vec<(String, String)> {
    blocks(text)
        .into_iter()
        .filter(|b| b.generated.as_deref() != Some(fingerprint(&text[b.body.clone()]).as_str()))
        .map(|b| (b.name, text[b.body].to_string()))
        .collect()
}

/// Stamps every block of a fresh render with the fingerprint of its generated text, then
/// carries over from `previous` each block whose text a person changed since it was generated.
pub fn merge_editable(fresh: &str, previous: Option<&str>) -> String {
    apply_edits(fresh, &previous.map(hand_edits).unwrap_or_default())
}

/// A fresh render, stamped, with `edits` in place of the generated blocks they name.
pub fn apply_edits(fresh: &str, edits: &[(String, String)]) -> String {
    let mut out = String::with_capacity(fresh.len());
    let mut last = 0;
    for b in blocks(fresh) {
        let body = &fresh[b.body.clone()];
        out.push_str(&fresh[last..b.open.start]);
        out.push_str(&format!("{OPEN}{} generated={} -->", b.name, fingerprint(body)));
        match edits.iter().find(|(n, _)| *n == b.name) {
            Some((_, kept)) => out.push_str(kept),
            None => out.push_str(body),
        }
        last = b.body.end;
    }
    out.push_str(&fresh[last..]);
    out
}

/// The hand edits of two versions of a document merged block by block against their common
/// `base` (SPEC §8): a block edited on one side keeps that edit; edited alike on both, once.
/// Edited differently on both sides is for a person: the names of those blocks.
pub fn merge_hand_edits(
    base: Option<&str>,
    ours: Option<&str>,
    theirs: Option<&str>,
) -> Result<Vec<(String, String)>, Vec<String>> {
    let edits = |t: Option<&str>| t.map(hand_edits).unwrap_or_default();
    let (base, ours, theirs) = (edits(base), edits(ours), edits(theirs));
    let get =
        |side: &[(String, String)], name: &str| side.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone());
    let mut names: Vec<&String> = ours.iter().chain(theirs.iter()).map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    let mut merged = Vec::new();
    let mut conflicts = Vec::new();
    for name in names {
        let (b, o, t) = (get(&base, name), get(&ours, name), get(&theirs, name));
        let kept = if o == t || t == b {
            o
        } else if o == b {
            t
        } else {
            conflicts.push(name.clone());
            continue;
        };
        if let Some(body) = kept {
            merged.push((name.clone(), body));
        }
    }
    if conflicts.is_empty() { Ok(merged) } else { Err(conflicts) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables() {
        assert_eq!(cell("a|b\nc <b>x</b> `y` \\|"), "a\\|b<br>c &lt;b&gt;x&lt;/b&gt; &#96;y&#96; \\\\\\|");
    }

    #[test]
    fn hand_edits_survive_and_untouched_blocks_refresh() {
        let first = merge_editable(
            "# T\n<!-- editable:a -->\nold A\n<!-- /editable:a -->\n<!-- editable:b -->\nold B\n<!-- /editable:b -->\n",
            None,
        );
        let edited = first.replace("old A", "written by a person");
        let second = merge_editable(
            "# T\n<!-- editable:a -->\nnew A\n<!-- /editable:a -->\n<!-- editable:b -->\nnew B\n<!-- /editable:b -->\n",
            Some(&edited),
        );
        assert!(second.contains("written by a person"));
        assert!(!second.contains("new A"));
        assert!(second.contains("new B"), "{second}");
        assert!(!second.contains("old B"));
    }
}

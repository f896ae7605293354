//! Templates (Jinja syntax, via minijinja in strict mode) and the one place where text is
//! escaped for markdown and HTML. Also keeps what people wrote by hand inside editable blocks.
//!
//! Every value a template prints is escaped unless a filter already made it safe: markdown
//! (the postmortem) by [`markdown_cell`], HTML and XML (the status page) by [`html`]; both make
//! control characters visible first (`ui::visible`). Templates come from the repository, so
//! their work and their output are bounded ([`FUEL`], [`MAX_OUTPUT`]).

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior};

use crate::error::{FileError, Result, TemplateLimit};
use crate::timefmt::{self, human};
use crate::ui;

/// The most engine instructions one rendering may run. The built-in postmortem of a
/// 10,000-event incident takes about 330,000 and the status page of 1,000 incidents about
/// 31,000: this leaves room for fifteen times the former, and stops a template's nested loops
/// in well under a second (release build) instead of letting them run for ever.
pub const FUEL: u64 = 5_000_000;

/// The most bytes one rendering may write: 16 MiB. The postmortem of a 10,000-event incident
/// is about 1.5 MB; a loop that writes without end is stopped here, with its memory bounded.
pub const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// The name of our markdown auto-escape mode.
const MARKDOWN: &str = "markdown";

/// How the values a template prints are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// By the template's name: `*.html` / `*.xml` (`.j2` aside) as HTML, anything else not at
    /// all (update messages are plain text).
    ByName,
    /// Markdown: every value as a GFM table cell would need it ([`markdown_cell`]).
    Markdown,
}

/// Text for a GFM table cell: nothing in it can end the cell, the row, open HTML or make a
/// link or image (`[x](javascript:…)`, a tracking pixel), and control characters are made
/// visible.
pub fn markdown_cell(s: &str) -> String {
    let s = ui::visible_lines(s);
    if !s.contains(['\\', '|', '<', '>', '&', '`', '\r', '\n', '\t', '[', ']']) {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("&#96;"),
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for running markdown: HTML is shown, not interpreted; brackets are escaped, so no
/// link, image or link definition comes from data; line breaks stay; control characters are
/// made visible; a line that would open a code fence (and swallow the rest of the document,
/// editable blocks included) is escaped.
pub fn md(s: &str) -> String {
    let s = ui::visible_lines(s).replace('\t', " ");
    let mut out = String::with_capacity(s.len());
    for (n, line) in s.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let rest = line.trim_start_matches(' ');
        let indent = line.len() - rest.len();
        let line = if indent <= 3 && (rest.starts_with("```") || rest.starts_with("~~~")) {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push('\\');
            rest
        } else {
            line
        };
        for c in line.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '[' => out.push_str("\\["),
                ']' => out.push_str("\\]"),
                // So that data's own backslash cannot undo the escape of a bracket after it.
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
    }
    out
}

/// Text for HTML or XML, text or attribute: markup characters as entities, control
/// characters (which XML forbids) made visible, but line breaks kept (legal in both; an
/// update written in paragraphs reads as paragraphs where the template shows them so).
pub fn html(s: &str) -> String {
    // Most values need nothing done: printable ASCII with nothing HTML gives a meaning to.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'<' | b'>' | b'&' | b'"' | b'\'')) {
        return s.to_string();
    }
    let s = s.replace("\r\n", "\n");
    let s = ui::visible_lines(&s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// An id as an inline code span. A value a code span cannot hold safely (markup, a pipe, a
/// backtick, a line break, a control character: possible when `incident.yaml` declares no
/// ids) is written as escaped text instead: inside a span `&lt;` would show as it is written.
pub fn code(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.chars().any(|c| matches!(c, '<' | '>' | '&' | '|' | '\\' | '`' | ' ') || ui::is_hidden(c));
    if plain { format!("`{s}`") } else { markdown_cell(s) }
}

/// A fenced code block holding `s` (a command's output) as it is: its fence is longer than
/// any backtick run in it (and at least three), so nothing in it can close the block; control
/// characters other than line breaks are made visible.
pub fn fence(s: &str) -> String {
    let s = ui::visible_lines(s);
    let fence = "`".repeat((longest_backtick_run(&s) + 1).max(3));
    let nl = if s.ends_with('\n') { "" } else { "\n" };
    format!("{fence}text\n{s}{nl}{fence}")
}

/// Text on one line (headings, list items, commit subjects).
pub fn oneline(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text inside a Mermaid quoted label (`["…"]`, `{"…"}`, `|"…"|`): one line, and every
/// character but letters, digits, spaces and a few harmless marks written as Mermaid's own
/// entity code (`#60;`), which it shows as the character. Nothing from data can then end the
/// string, start a statement (`click … call`, `style`, `end`), a comment or a directive
/// (`%%{init}%%`), or HTML; `:` and `;` are encoded too, since Mermaid rewrites a line holding
/// `style`, `:`, `#` and `;` before it parses it. (Mermaid shows the text `ﬂ°°60¶ß`, its
/// own hiding place for `#60;`, as `<`: as text, harmlessly.)
pub fn mermaid(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in ui::visible(&oneline(s)).chars() {
        if (c.is_alphanumeric() && !ui::is_hidden(c))
            || matches!(c, ' ' | '-' | '_' | '.' | ',' | '?' | '!' | '/' | '(' | ')' | '\'')
        {
            out.push(c);
        } else {
            out.push_str(&format!("#{};", u32::from(c)));
        }
    }
    out
}

/// Text inside a Graphviz DOT quoted string (`label="…"`): one line, control characters made
/// visible; a quote cannot end the string, a backslash cannot start one of DOT's label escapes
/// (`\N`, `\G`, `\l`) and `&` cannot start an entity Graphviz would decode. Quoted, the text
/// never becomes an attribute (`URL=`) or an HTML label (`<…>`).
pub fn dot(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in ui::visible(&oneline(s)).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// A filter's escaping, applied once: a value some filter already made safe passes as it is.
fn escaped(v: &Value, escape: fn(&str) -> String) -> Value {
    if v.is_safe() {
        return v.clone();
    }
    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    Value::from_safe_string(escape(&text))
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

/// Prints a value: escaped for the template's format unless it is already safe.
fn format_value(out: &mut Output<'_>, state: &State<'_, '_>, value: &Value) -> Result<(), minijinja::Error> {
    let escape: fn(&str) -> String = match state.auto_escape() {
        _ if value.is_safe() || value.is_none() || value.is_undefined() => {
            // `none` prints as the engine prints it (`None`), in every mode.
            let text = if value.is_undefined() { String::new() } else { value.to_string() };
            return out.write_str(&text).map_err(minijinja::Error::from);
        }
        AutoEscape::Html => html,
        AutoEscape::Custom(MARKDOWN) => markdown_cell,
        _ => return minijinja::escape_formatter(out, state, value),
    };
    let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
    out.write_str(&escape(&text)).map_err(minijinja::Error::from)
}

/// The engine as every template of ours runs in it: strict about undefined values, escaping
/// by default, with our filters, and bounded in work.
pub fn environment() -> Environment<'static> {
    environment_for(Escape::ByName)
}

fn environment_for(escape: Escape) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_fuel(Some(FUEL));
    if escape == Escape::Markdown {
        env.set_auto_escape_callback(|_| AutoEscape::Custom(MARKDOWN));
    }
    env.set_formatter(format_value);
    env.add_filter("cell", |v: Value| escaped(&v, markdown_cell));
    env.add_filter("md", |v: Value| escaped(&v, md));
    env.add_filter("code", |v: Value| escaped(&v, code));
    env.add_filter("fence", |v: Value| escaped(&v, fence));
    env.add_filter("oneline", |s: &str| oneline(s));
    env.add_filter("dur", dur);
    env.add_filter("utc", utc);
    env.add_filter("mermaid_time", mermaid_time);
    env
}

/// A writer that takes at most `limit` bytes, then refuses: a template's output is bounded
/// while it is written, not after.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
    over: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + bytes.len() > self.limit {
            self.over = true;
            return Err(std::io::Error::other("template output limit reached"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders `source` (named `name` in errors) with `ctx`, escaping by the template's name. A
/// failure names the template, the line, and the engine's own explanation; a template
/// stopped at a limit says which.
pub fn render(name: &str, source: &str, ctx: &impl serde::Serialize) -> Result<String> {
    render_with(Escape::ByName, name, source, ctx)
}

/// The same for a markdown template (the postmortem): every value is escaped as [`markdown_cell`]
/// escapes it unless a filter (`md`, `cell`, `code`, `fence`) already escaped it.
pub fn render_markdown(name: &str, source: &str, ctx: &impl serde::Serialize) -> Result<String> {
    render_with(Escape::Markdown, name, source, ctx)
}

/// How much a rendering may do: [`FUEL`] and [`MAX_OUTPUT`] unless a test says otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub fuel: u64,
    pub output: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits { fuel: FUEL, output: MAX_OUTPUT };
}

/// [`render`] or [`render_markdown`] within `limits`.
pub fn render_within(
    escape: Escape,
    name: &str,
    source: &str,
    ctx: &impl serde::Serialize,
    limits: Limits,
) -> Result<String> {
    Compiled::within(escape, name, source, limits)?.render(ctx)
}

/// A template parsed once and rendered many times (the status page's incident pages): the
/// engine and the parse are the same for every page, so only the rendering is paid per page.
/// Each rendering has the whole of `limits` to itself.
pub struct Compiled {
    env: Environment<'static>,
    name: String,
    limits: Limits,
}

impl Compiled {
    /// `source` compiled under `name`, escaping by that name (HTML for a `.html` template, XML
    /// for a `.xml` one).
    pub fn new(name: &str, source: &str) -> Result<Compiled> {
        Compiled::within(Escape::ByName, name, source, Limits::DEFAULT)
    }

    fn within(escape: Escape, name: &str, source: &str, limits: Limits) -> Result<Compiled> {
        let mut env = environment_for(escape);
        env.set_fuel(Some(limits.fuel));
        env.add_template_owned(name.to_string(), source.to_string()).map_err(|e| template_error(name, &e))?;
        Ok(Compiled { env, name: name.to_string(), limits })
    }

    pub fn render(&self, ctx: &impl serde::Serialize) -> Result<String> {
        let name = self.name.as_str();
        let tmpl = self.env.get_template(name).map_err(|e| template_error(name, &e))?;
        let limit = self.limits.output;
        let mut out = Bounded { buf: Vec::new(), limit, over: false };
        match tmpl.render_captured_to(ctx, &mut out) {
            Ok(_) => {
                let text = String::from_utf8(out.buf)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                let stem = name.strip_suffix(".j2").unwrap_or(name);
                Ok(if stem.ends_with(".xml") { xml_chars(text) } else { text })
            }
            Err(_) if out.over => Err(FileError::TemplateLimit {
                name: name.to_string(),
                limit: TemplateLimit::Output { bytes: limit },
            }
            .into()),
            Err(e) if e.kind() == ErrorKind::OutOfFuel => Err(FileError::TemplateLimit {
                name: name.to_string(),
                limit: TemplateLimit::Work { instructions: self.limits.fuel },
            }
            .into()),
            Err(e) => Err(template_error(name, &e).into()),
        }
    }
}

/// A template that failed: its name and line, and the engine's explanation with its causes.
fn template_error(name: &str, e: &minijinja::Error) -> FileError {
    let mut message = e.kind().to_string();
    if let Some(detail) = e.detail() {
        message.push_str(&format!(": {detail}"));
    }
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        message.push_str(&format!(": {s}"));
        src = s.source();
    }
    let at = match e.line() {
        Some(line) => format!("{name}:{line}"),
        None => name.to_string(),
    };
    FileError::Template { name: at, message }
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production; the surrogates it also
/// leaves out cannot occur in a `str`).
fn xml_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// An XML document with every character XML 1.0 forbids made visible as [`ui::visible`] shows
/// it. Escaping already does this to every value; this holds whatever a repository's own
/// template writes (`|safe`, a literal control character), since one such character makes a
/// reader drop the whole document.
fn xml_chars(text: String) -> String {
    if text.chars().all(xml_allows) {
        return text;
    }
    text.chars()
        .map(
            |c| {
                if xml_allows(c) {
                    c.to_string()
                } else {
                    ui::visible(c.encode_utf8(&mut [0; 4])).into_owned()
                }
            },
        )
        .collect()
}

fn render_with(escape: Escape, name: &str, source: &str, ctx: &impl serde::Serialize) -> Result<String> {
    render_within(escape, name, source, ctx, Limits::DEFAULT)
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
    /// The fingerprints of the generated text's paragraphs, if the marker carries them: what
    /// a person had in front of them when they edited the block.
    parts: Option<Vec<String>>,
    open: std::ops::Range<usize>,
}

impl Block {
    /// The body in `text`, the text the block was found in (its range is on character
    /// boundaries there: it runs between ASCII markers).
    fn body<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.body.clone()).unwrap_or_default()
    }
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find(OPEN)).map(|i| i + from) {
        let Some(end_of_open) = text.get(i..).and_then(|t| t.find("-->")).map(|e| i + e + 3) else {
            break;
        };
        let inner = text.get(i + OPEN.len()..end_of_open - 3).unwrap_or_default().trim();
        let mut parts = inner.split_whitespace();
        let name = parts.next().unwrap_or_default().to_string();
        let rest: Vec<&str> = parts.collect();
        let generated = rest.iter().find_map(|p| p.strip_prefix("generated=")).map(str::to_string);
        let paragraphs = rest
            .iter()
            .find_map(|p| p.strip_prefix("parts="))
            .map(|p| p.split(',').filter(|f| !f.is_empty()).map(str::to_string).collect());
        let close = format!("{CLOSE}{name} -->");
        let Some(c) = text.get(end_of_open..).and_then(|t| t.find(&close)).map(|c| c + end_of_open) else {
            from = end_of_open;
            continue;
        };
        out.push(Block { name, body: end_of_open..c, generated, parts: paragraphs, open: i..end_of_open });
        from = c + close.len();
    }
    out
}

/// The paragraphs of a block's text (separated by blank lines), trimmed: the unit an entry
/// is generated in (a `retro` entry is one paragraph).
fn paragraphs(body: &str) -> Vec<&str> {
    body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// A block a person changed since it was generated: their text, and what the tool had
/// generated there when they changed it (its fingerprint and its paragraphs'), so a render
/// can tell what was generated since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandEdit {
    pub name: String,
    pub body: String,
    generated: Option<String>,
    parts: Option<Vec<String>>,
}

/// What a render added below a person's text in a block they had edited: the paragraphs the
/// tool generated there since (a `retro` entry added after the edit). Nothing a person wrote
/// is replaced, and nothing new is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub block: String,
    pub paragraphs: Vec<String>,
}

/// The blocks of `text` a person changed since they were generated, by name.
pub fn hand_edits(text: &str) -> Vec<HandEdit> {
    blocks(text)
        .into_iter()
        .filter(|b| b.generated.as_deref() != Some(fingerprint(b.body(text)).as_str()))
        .map(|b| {
            let body = b.body(text).to_string();
            HandEdit { name: b.name, body, generated: b.generated, parts: b.parts }
        })
        .collect()
}

/// Stamps every block of a fresh render with the fingerprint of its generated text, then
/// carries over from `previous` each block whose text a person changed since it was
/// generated, with what was generated there since added below it (and named in the answer).
pub fn merge_editable(fresh: &str, previous: Option<&str>) -> (String, Vec<Appended>) {
    apply_edits(fresh, &previous.map(hand_edits).unwrap_or_default())
}

/// The paragraphs of `fresh` (a block's generated text) that were generated after `edit` was
/// made: not among the paragraphs the person had in front of them. A marker from before
/// paragraphs were recorded falls back to "not in the person's text". Nothing when the
/// generated text has not changed since.
fn generated_since<'f>(edit: &HandEdit, fresh: &'f str) -> Vec<&'f str> {
    let Some(before) = edit.generated.as_deref() else { return Vec::new() };
    if before == fingerprint(fresh) {
        return Vec::new();
    }
    paragraphs(fresh)
        .into_iter()
        .filter(|p| match &edit.parts {
            Some(parts) => !parts.contains(&fingerprint(p)),
            None => !edit.body.contains(p),
        })
        .collect()
}

/// A fresh render, stamped, with `edits` in place of the generated blocks they name; where
/// the tool generated something new in an edited block since it was edited, the new
/// paragraphs follow the person's text (and are listed in the answer).
pub fn apply_edits(fresh: &str, edits: &[HandEdit]) -> (String, Vec<Appended>) {
    let mut out = String::with_capacity(fresh.len());
    let mut appended = Vec::new();
    let mut last = 0;
    for b in blocks(fresh) {
        let body = b.body(fresh);
        out.push_str(fresh.get(last..b.open.start).unwrap_or_default());
        let parts: Vec<String> = paragraphs(body).into_iter().map(fingerprint).collect();
        out.push_str(&format!(
            "{OPEN}{} generated={} parts={} -->",
            b.name,
            fingerprint(body),
            parts.join(",")
        ));
        match edits.iter().find(|e| e.name == b.name) {
            Some(edit) => {
                let new = generated_since(edit, body);
                if new.is_empty() {
                    out.push_str(&edit.body);
                } else {
                    // The person's text, then each new paragraph, each after a blank line.
                    let kept = edit.body.trim_end();
                    out.push_str(kept);
                    out.push_str(if kept.is_empty() { "\n" } else { "\n\n" });
                    for p in &new {
                        out.push_str(p);
                        out.push_str("\n\n");
                    }
                    appended.push(Appended {
                        block: b.name.clone(),
                        paragraphs: new.iter().map(|p| (*p).to_string()).collect(),
                    });
                }
            }
            None => out.push_str(body),
        }
        last = b.body.end;
    }
    out.push_str(fresh.get(last..).unwrap_or_default());
    (out, appended)
}

/// How the two sides of a conflict are named in its markers, as git names them: ours `HEAD`,
/// theirs the branch merged in (`origin/main`).
#[derive(Debug, Clone, Copy)]
pub struct Sides<'a> {
    pub ours: &'a str,
    pub theirs: &'a str,
}

/// A block both sides edited differently: each side's text, `None` where that side has what
/// the tool generated (the fresh render's text stands for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockConflict {
    pub name: String,
    pub ours: Option<String>,
    pub theirs: Option<String>,
}

/// What a block-by-block merge of hand edits gave: the edits to keep, and the blocks only a
/// person can settle.
#[derive(Debug, Default)]
pub struct MergedEdits {
    pub edits: Vec<HandEdit>,
    pub conflicts: Vec<BlockConflict>,
}

/// The hand edits of two versions of a document merged block by block against their common
/// `base`: a block edited on one side keeps that edit; edited alike on both, once.
/// Edited differently on both sides is for a person: those blocks are in `conflicts`.
pub fn merge_hand_edits(base: Option<&str>, ours: Option<&str>, theirs: Option<&str>) -> MergedEdits {
    let edits = |t: Option<&str>| t.map(hand_edits).unwrap_or_default();
    let (base, ours, theirs) = (edits(base), edits(ours), edits(theirs));
    let get = |side: &[HandEdit], name: &str| side.iter().find(|e| e.name == name).cloned();
    let mut names: Vec<&String> = ours.iter().chain(theirs.iter()).map(|e| &e.name).collect();
    names.sort();
    names.dedup();
    let mut merged = MergedEdits::default();
    for name in names {
        let (b, o, t) = (get(&base, name), get(&ours, name), get(&theirs, name));
        // Two sides agree when a person wrote the same text, whenever each side rendered.
        let body = |e: &Option<HandEdit>| e.as_ref().map(|e| e.body.clone());
        let (bb, ob, tb) = (body(&b), body(&o), body(&t));
        let kept = if ob == tb || tb == bb {
            o
        } else if ob == bb {
            t
        } else {
            merged.conflicts.push(BlockConflict { name: name.clone(), ours: ob, theirs: tb });
            continue;
        };
        if let Some(edit) = kept {
            merged.edits.push(edit);
        }
    }
    merged
}

/// A fresh render, stamped, with the merged hand edits in place and, inside each conflicting
/// block, both sides between conflict markers in git's format (`<<<<<<< HEAD`, `=======`,
/// `>>>>>>> origin/main`), each on a line of its own. Everything outside those blocks is the
/// fresh render. Once a person settles the markers, the block reads as a hand edit.
pub fn apply_merged_edits(fresh: &str, merged: &MergedEdits, sides: Sides) -> (String, Vec<Appended>) {
    let mut edits = merged.edits.clone();
    for b in blocks(fresh) {
        let Some(c) = merged.conflicts.iter().find(|c| c.name == b.name) else { continue };
        let generated = b.body(fresh);
        let ours = c.ours.as_deref().unwrap_or(generated);
        let theirs = c.theirs.as_deref().unwrap_or(generated);
        edits.retain(|e| e.name != b.name);
        // The generated side is the fresh render's already: nothing to add below it.
        let now = Some(fingerprint(generated));
        edits.push(HandEdit {
            name: b.name,
            body: conflict_body(ours, theirs, sides),
            generated: now,
            parts: None,
        });
    }
    apply_edits(fresh, &edits)
}

/// A block's body holding both sides between git's conflict markers.
fn conflict_body(ours: &str, theirs: &str, sides: Sides) -> String {
    // Each side's lines, without the line break that follows the block's opening marker, and
    // ending with one, so every conflict marker starts a line.
    let lines = |s: &str| {
        let s = s.strip_prefix('\n').unwrap_or(s);
        if s.is_empty() || s.ends_with('\n') { s.to_string() } else { format!("{s}\n") }
    };
    format!("\n<<<<<<< {}\n{}=======\n{}>>>>>>> {}\n", sides.ours, lines(ours), lines(theirs), sides.theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables() {
        assert_eq!(
            markdown_cell("a|b\nc <b>x</b> `y` \\|"),
            "a\\|b<br>c &lt;b&gt;x&lt;/b&gt; &#96;y&#96; \\\\\\|"
        );
    }

    const HOSTILE: &str = "<img src=x onerror=alert(1)> | `tick` \u{1b}]0;t\u{7}\u{1b}[2J\u{9b}\u{202e}";

    fn ctx() -> serde_json::Value {
        serde_json::json!({ "x": HOSTILE, "n": 3, "none": null, "list": [HOSTILE] })
    }

    fn no_raw(out: &str) {
        assert!(!out.chars().any(|c| c != '\n' && ui::is_hidden(c)), "{out:?}");
        assert!(!out.contains("<img"), "{out}");
    }

    #[test]
    fn markdown_values_are_escaped_by_default_and_once() {
        let src = "{{ x }}\n{{ x | md }}\n{{ x | cell }}\n{{ x | code }}\n{{ x | oneline }}\n{{ list }}\n{{ list | join(', ') | cell }}\n{{ n }} {{ none }}\n";
        let out = render_markdown("t.md.j2", src, &ctx()).unwrap();
        no_raw(&out);
        assert!(
            out.starts_with(
                "&lt;img src=x onerror=alert(1)&gt; \\| &#96;tick&#96; ␛\\]0;t␇␛\\[2J\\\\u{9b}\\\\u{202e}\n"
            ),
            "{out}"
        );
        assert!(!out.contains("&amp;lt;"), "escaped twice: {out}");
        assert!(out.ends_with("3 None\n"), "{out}");
        assert_eq!(render_markdown("t.md.j2", "{{ 'checkout' | code }}", &ctx()).unwrap(), "`checkout`");
    }

    #[test]
    fn html_values_are_escaped_with_controls_made_visible() {
        let out = render("t.html.j2", "<p title=\"{{ x }}\">{{ x }}</p>", &ctx()).unwrap();
        no_raw(&out);
        assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"), "{out}");
        // Plain-text templates (update messages) print values as they are.
        assert_eq!(render("t.md.j2", "{{ n }}", &ctx()).unwrap(), "3");
    }

    #[test]
    fn graph_labels_cannot_end_their_string_or_start_a_statement() {
        // Mermaid: quotes, statements, directives and markup become entity codes; one line.
        let m = mermaid("x\"] --> e; click e call f()\n%%{init}%% <b>&#60; Ünï 🔥");
        assert_eq!(
            m,
            "x#34;#93; --#62; e#59; click e call f() #37;#37;#123;init#125;#37;#37; #60;b#62;#38;#35;60#59; Ünï #128293;"
        );
        // DOT: a quote, a backslash escape and an entity stay text; one line.
        assert_eq!(dot("a\"b\\N &amp;\nc"), "a\\\"b\\\\N &amp;amp; c");
    }

    #[test]
    fn a_note_cannot_open_a_code_fence() {
        assert_eq!(md("a\n```\n  ~~~x\n    ```"), "a\n\\```\n  \\~~~x\n    ```");
        let f = fence("out ```` here\n\u{1b}[31mred");
        assert!(f.starts_with("`````text\n") && f.ends_with("\n`````"), "{f}");
        assert!(f.contains("␛[31mred"), "{f}");
        assert_eq!(fence("plain"), "```text\nplain\n```");
    }

    #[test]
    fn work_and_output_are_bounded() {
        let tight = Limits { fuel: 10_000, output: 1_000 };
        let loops = "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}";
        let e = render_within(Escape::ByName, "loops.j2", loops, &ctx(), tight).unwrap_err();
        assert!(
            matches!(&e, crate::error::Error::File(FileError::TemplateLimit { name, limit: TemplateLimit::Work { instructions: 10_000 } }) if name == "loops.j2"),
            "{e}"
        );
        let writes = "{% for a in range(1000) %}xxxxxxxxxx{% endfor %}";
        let e = render_within(Escape::Markdown, "big.md.j2", writes, &ctx(), tight).unwrap_err();
        assert!(
            matches!(
                e,
                crate::error::Error::File(FileError::TemplateLimit {
                    limit: TemplateLimit::Output { bytes: 1_000 },
                    ..
                })
            ),
            "{e}"
        );
        assert_eq!(e.exit_code(), 2);
        let fits =
            render_within(Escape::ByName, "ok.j2", "{% for a in range(10) %}x{% endfor %}", &ctx(), tight);
        assert_eq!(fits.unwrap(), "xxxxxxxxxx");
    }

    /// A feed template of a repository's own may print a value unescaped: the document stays
    /// well-formed XML all the same; other formats are left as they are.
    #[test]
    fn an_xml_template_never_writes_a_character_xml_forbids() {
        let ctx = serde_json::json!({ "v": "a\u{1}b\u{fffe}c\u{ffff}d\te" });
        let xml = render("feed.xml.j2", "<t>{{ v|safe }}\u{1f}</t>", &ctx).unwrap();
        assert_eq!(xml, "<t>a\u{2401}b\\u{fffe}c\\u{ffff}d\te\u{241f}</t>");
        assert!(xml.chars().all(xml_allows));
        let escaped = render("feed.xml.j2", "<t>{{ v }}</t>", &ctx).unwrap();
        assert_eq!(escaped, xml.replace('\u{241f}', ""));
        let text = render("note.txt.j2", "{{ v }}", &ctx).unwrap();
        assert_eq!(text, "a\u{1}b\u{fffe}c\u{ffff}d\te");
    }

    #[test]
    fn blocks_edited_differently_on_both_sides_hold_both_between_markers_in_the_fresh_render() {
        let doc = |a: &str, b: &str, c: &str| {
            format!(
                "# {a}\n<!-- editable:a -->\n{b}\n<!-- /editable:a -->\n<!-- editable:b -->\n{c}\n<!-- /editable:b -->\n"
            )
        };
        let (base, _) = merge_editable(&doc("T", "gen A", "gen B"), None);
        let ours = base.replace("gen A", "ours A").replace("gen B", "ours B");
        // Theirs left block a as generated and rewrote block b.
        let theirs = base.replace("gen B", "theirs B");
        let merged = merge_hand_edits(Some(&base.replace("gen A", "base A")), Some(&ours), Some(&theirs));
        let names: Vec<&str> = merged.conflicts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let sides = Sides { ours: "HEAD", theirs: "origin/main" };
        let (out, appended) = apply_merged_edits(&doc("Fresh", "new A", "new B"), &merged, sides);
        assert_eq!(appended, [], "a conflict already shows the fresh render");
        assert!(out.starts_with("# Fresh\n"), "{out}");
        assert!(
            out.contains(
                "-->\n<<<<<<< HEAD\nours A\n=======\nnew A\n>>>>>>> origin/main\n<!-- /editable:a -->"
            ),
            "the generated side is the fresh render's:\n{out}"
        );
        assert!(out.contains("<<<<<<< HEAD\nours B\n=======\ntheirs B\n>>>>>>> origin/main\n"), "{out}");
        // Settled by a person, the block is a hand edit the next render keeps.
        let settled =
            out.replace("<<<<<<< HEAD\nours B\n=======\ntheirs B\n>>>>>>> origin/main\n", "both B\n");
        assert!(hand_edits(&settled).iter().any(|e| e.name == "b" && e.body.contains("both B")));
    }

    #[test]
    fn hand_edits_survive_and_untouched_blocks_refresh() {
        let (first, _) = merge_editable(
            "# T\n<!-- editable:a -->\nold A\n<!-- /editable:a -->\n<!-- editable:b -->\nold B\n<!-- /editable:b -->\n",
            None,
        );
        let edited = first.replace("old A", "written by a person");
        let (second, appended) = merge_editable(
            "# T\n<!-- editable:a -->\nnew A\n<!-- /editable:a -->\n<!-- editable:b -->\nnew B\n<!-- /editable:b -->\n",
            Some(&edited),
        );
        // What was generated since the edit follows the person's text; it replaces nothing.
        assert!(second.contains("written by a person\n\nnew A\n\n<!-- /editable:a"), "{second}");
        assert!(second.contains("new B"), "{second}");
        assert!(!second.contains("old B"));
        assert_eq!(appended, [Appended { block: "a".into(), paragraphs: vec!["new A".into()] }]);
    }

    #[test]
    fn entries_generated_after_a_hand_edit_follow_it_once_and_deleted_ones_stay_deleted() {
        let doc = |body: &str| format!("# T\n<!-- editable:a -->\n{body}<!-- /editable:a -->\n");
        let (first, _) = merge_editable(&doc("one\n\ntwo\n\n"), None);
        // The person rewrote the block, dropping entry "two" on purpose.
        let edited = first.replace("one\n\ntwo\n\n", "One, in my words.\n");
        let (second, appended) = merge_editable(&doc("one\n\ntwo\n\nthree\n\n"), Some(&edited));
        assert!(second.contains("-->\nOne, in my words.\n\nthree\n\n<!-- /editable:a -->"), "{second}");
        assert_eq!(appended, [Appended { block: "a".into(), paragraphs: vec!["three".into()] }]);
        // Rendered again with nothing new: the same text, nothing added twice.
        let (third, again) = merge_editable(&doc("one\n\ntwo\n\nthree\n\n"), Some(&second));
        assert_eq!(third, second);
        assert_eq!(again, []);
        // A marker written before paragraphs were recorded: what is not in the text is added.
        let (head, rest) = edited.split_once(" parts=").unwrap();
        let old = format!("{head} -->{}", rest.split_once(" -->").unwrap().1);
        let (_, from_old) = merge_editable(&doc("one\n\ntwo\n\nthree\n\n"), Some(&old));
        assert_eq!(
            from_old,
            [Appended { block: "a".into(), paragraphs: vec!["one".into(), "two".into(), "three".into()] }]
        );
    }
}

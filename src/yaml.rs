//! A YAML tree whose every node knows where it stands (line and column), so that semantic
//! findings point at the right place. Built from saphyr-parser's events, with limits that
//! keep hostile input bounded: nesting depth, node count, and aliases, which are reported
//! and never expanded (no alias bomb can grow here).

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

mod scalar;

pub use scalar::{ScalarMap, line_starts};

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone)]
pub enum Value {
    /// The text, and whether it was quoted (a quoted `5` is a string, a plain one a number).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// `*anchor`: kept as a leaf, never expanded.
    Alias,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub pos: Pos,
    /// The last line the node covers.
    pub end_line: usize,
    pub value: Value,
    /// How a scalar was written (`None` for anything else): what [`ScalarMap`] needs to find
    /// a character of the value in the file.
    pub style: Option<Style>,
}

/// The five ways YAML writes a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    /// `'…'`, where `''` is one quote.
    SingleQuoted,
    /// `"…"`, with backslash escapes.
    DoubleQuoted,
    /// `|`: lines kept as written.
    Literal,
    /// `>`: lines folded into spaces.
    Folded,
}

impl From<ScalarStyle> for Style {
    fn from(style: ScalarStyle) -> Style {
        match style {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            ScalarStyle::Literal => Style::Literal,
            ScalarStyle::Folded => Style::Folded,
        }
    }
}

/// A problem found while reading the YAML itself.
#[derive(Debug, Clone)]
pub struct YamlProblem {
    pub pos: Pos,
    pub rule: &'static str,
    pub message: String,
}

pub const MAX_DEPTH: usize = 64;
pub const MAX_NODES: usize = 100_000;
pub const MAX_BYTES: usize = 4 << 20;
/// Mappings with more keys than this look duplicates up in a hash map, not a linear scan.
const INDEX_KEYS_FROM: usize = 32;

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }

    /// The key node of `key`: where "this key is wrong" findings point.
    pub fn key(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, _)| k)
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s, false) if s.is_empty() || s == "~" || s == "null")
    }

    /// What kind of value this is, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a list",
            Value::Alias => "an alias",
            Value::Scalar(_, true) => "a string",
            Value::Scalar(s, false) => {
                if self.is_null() {
                    "nothing (null)"
                } else if s.parse::<f64>().is_ok() {
                    "a number"
                } else if matches!(s.as_str(), "true" | "false") {
                    "a boolean"
                } else {
                    "a string"
                }
            }
        }
    }
}

/// The text's lines as YAML counts them, and so as every position counts them: LF, CRLF and
/// a bare CR each end a line (`str::lines` does not split at a bare CR).
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_terminator('\n').flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

/// The first tab in the indentation of a line after `from`'s that has content after it: where
/// a plain scalar that starts at `from` meets a tab it cannot take as indentation.
fn indenting_tab(text: &str, from: Pos) -> Option<Pos> {
    lines(text).enumerate().skip(from.line).find_map(|(i, line)| {
        let content = line.trim_start_matches([' ', '\t']);
        let indent = line.get(..line.len() - content.len()).unwrap_or_default();
        let col = indent.chars().position(|c| c == '\t')?;
        (!content.is_empty() && !content.starts_with('#')).then_some(Pos { line: i + 1, col: col + 1 })
    })
}

fn pos(span: &Span) -> Pos {
    Pos { line: span.start.line(), col: span.start.col() + 1 }
}

/// Parses the first document of `text` into a tree, and reads the rest of the stream for
/// syntax errors and further documents. Returns the root (`None` for an empty file or a
/// syntax error) and every problem found.
pub fn parse(text: &str) -> (Option<Node>, Vec<YamlProblem>) {
    let mut problems = Vec::new();
    if text.len() > MAX_BYTES {
        problems.push(YamlProblem {
            pos: Pos { line: 1, col: 1 },
            rule: "yaml-limits",
            message: format!("file is {} bytes; runbooks are limited to {MAX_BYTES} bytes", text.len()),
        });
        return (None, problems);
    }
    let mut b =
        Builder { text, parser: Parser::new_from_str(text), problems: Vec::new(), nodes: 0, last_line: 1 };
    let root = b.document();
    problems.append(&mut b.problems);
    (root, problems)
}

struct Builder<'a> {
    text: &'a str,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    problems: Vec<YamlProblem>,
    nodes: usize,
    last_line: usize,
}

/// Stops building: the problem is already recorded.
struct Stop;

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Stop> {
        match self.parser.next_event() {
            Some(Ok((ev, span))) => {
                self.last_line = self.last_line.max(span.end.line());
                Ok((ev, span))
            }
            Some(Err(e)) => {
                let m = e.marker();
                // The parser has its own nesting limit; it is the same finding as ours.
                let (rule, message) = if e.info().contains("recursion limit") {
                    ("yaml-limits", format!("nested too deeply ({})", e.info()))
                } else {
                    ("yaml-syntax", e.info().to_string())
                };
                let mut pos = Pos { line: m.line(), col: m.col() + 1 };
                // saphyr marks this one at the start of the plain scalar the tab ended, maybe
                // lines above; a person (and yamllint, PyYAML) needs the tab itself.
                if e.info() == "while scanning a plain scalar, found a tab" {
                    pos = indenting_tab(self.text, pos).unwrap_or(pos);
                }
                self.problems.push(YamlProblem { pos, rule, message });
                Err(Stop)
            }
            None => Err(Stop),
        }
    }

    fn document(&mut self) -> Option<Node> {
        loop {
            let (ev, span) = self.next().ok()?;
            match ev {
                Event::StreamStart | Event::DocumentStart(_) => continue,
                Event::StreamEnd => return None,
                ev => {
                    let root = self.node(ev, span, 0).ok()?;
                    self.rest_of_stream();
                    return Some(root);
                }
            }
        }
    }

    /// Reads the stream after the first document to its end. A syntax error there is recorded
    /// (by `next`) as such; a valid stream with more documents is a `multiple-documents`
    /// finding at the second one's start, since the tool reads a file as one document.
    fn rest_of_stream(&mut self) {
        let mut second: Option<Pos> = None;
        let mut more = 0usize;
        loop {
            match self.next() {
                Err(Stop) => return,
                Ok((Event::StreamEnd, _)) => break,
                Ok((Event::DocumentStart(_), span)) => {
                    more += 1;
                    second.get_or_insert(pos(&span));
                }
                Ok(_) => {}
            }
        }
        if let Some(at) = second {
            let all = if more == 1 { String::new() } else { format!(" ({} in all)", more + 1) };
            let message = format!(
                "a second YAML document starts here{all}: a runbook or incident.yaml file holds exactly one document"
            );
            self.problems.push(YamlProblem { pos: at, rule: "multiple-documents", message });
        }
    }

    fn node(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, Stop> {
        self.nodes += 1;
        let at = pos(&span);
        if depth > MAX_DEPTH || self.nodes > MAX_NODES {
            let message = if depth > MAX_DEPTH {
                format!("nested more than {MAX_DEPTH} levels deep")
            } else {
                format!("more than {MAX_NODES} values in one file")
            };
            self.problems.push(YamlProblem { pos: at, rule: "yaml-limits", message });
            return Err(Stop);
        }
        let mut scalar_style = None;
        let value = match ev {
            Event::Scalar(text, style, _, _) => {
                scalar_style = Some(Style::from(style));
                Value::Scalar(Cow::into_owned(text), !matches!(style, ScalarStyle::Plain))
            }
            Event::Alias(_) => {
                self.problems.push(YamlProblem {
                    pos: at,
                    rule: "yaml-alias",
                    message: "YAML aliases (`*name`) are not allowed in runbooks: write the value out".into(),
                });
                Value::Alias
            }
            Event::SequenceStart(..) => {
                let mut items = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, span, depth + 1)?);
                }
                Value::Seq(items)
            }
            Event::MappingStart(..) => {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                // Key → line of its first use, built only once a mapping outgrows a linear scan,
                // so that a generated mapping of 50,000 keys stays linear.
                let mut index: Option<HashMap<String, usize>> = None;
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(ev, span, depth + 1)?;
                    let (ev, span) = self.next()?;
                    let value = self.node(ev, span, depth + 1)?;
                    if let Some(k) = key.as_str() {
                        if index.is_none() && entries.len() >= INDEX_KEYS_FROM {
                            let mut map = HashMap::new();
                            for (e, _) in &entries {
                                if let Some(name) = e.as_str() {
                                    map.entry(name.to_string()).or_insert(e.pos.line);
                                }
                            }
                            index = Some(map);
                        }
                        let first = match &mut index {
                            Some(map) => match map.get(k) {
                                Some(line) => Some(*line),
                                None => {
                                    map.insert(k.to_string(), key.pos.line);
                                    None
                                }
                            },
                            None => {
                                entries.iter().find(|(e, _)| e.as_str() == Some(k)).map(|(e, _)| e.pos.line)
                            }
                        };
                        if let Some(first) = first {
                            self.problems.push(YamlProblem {
                                pos: key.pos,
                                rule: "duplicate-key",
                                message: format!(
                                    "key `{k}` appears twice in this mapping (first at line {first})"
                                ),
                            });
                        }
                    }
                    entries.push((key, value));
                }
                Value::Map(entries)
            }
            other => {
                self.problems.push(YamlProblem {
                    pos: at,
                    rule: "yaml-syntax",
                    message: format!("unexpected YAML event {other:?}"),
                });
                return Err(Stop);
            }
        };
        Ok(Node { pos: at, end_line: self.last_line, value, style: scalar_style })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let (root, problems) = parse("id: x\nphases:\n  detect:\n    steps:\n      - id: a\n");
        assert!(problems.is_empty(), "{problems:?}");
        let root = root.unwrap();
        let step =
            &root.get("phases").unwrap().get("detect").unwrap().get("steps").unwrap().as_seq().unwrap()[0];
        assert_eq!(step.pos, Pos { line: 5, col: 9 });
        assert_eq!(step.get("id").unwrap().pos, Pos { line: 5, col: 13 });
    }

    /// Regression: duplicate keys were found by scanning the mapping for every key, so a file
    /// of 50,000 distinct keys took seconds (release) to minutes (debug). Found by the
    /// 100k-keys input of tests/it/lint_robust.rs.
    #[test]
    fn many_keys_stay_linear() {
        let text: String = (0..60_000).map(|i| format!("k{i}: {i}\n")).collect();
        let started = std::time::Instant::now();
        let (_, p) = parse(&text);
        assert!(p.iter().any(|p| p.rule == "yaml-limits"), "{p:?}");
        assert!(!p.iter().any(|p| p.rule == "duplicate-key"), "{p:?}");
        // Loose: quadratic took over a minute in debug builds; linear takes well under one second.
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
        // Duplicates are still found on both sides of the switch to the index, pointing at the
        // first use.
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k3: again\nk39: again\nk3: thrice\n");
        let (_, p) = parse(&text);
        let dups: Vec<String> =
            p.iter().filter(|p| p.rule == "duplicate-key").map(|p| p.message.clone()).collect();
        assert_eq!(
            dups,
            [
                "key `k3` appears twice in this mapping (first at line 4)",
                "key `k39` appears twice in this mapping (first at line 40)",
                "key `k3` appears twice in this mapping (first at line 4)",
            ]
        );
        let (_, p) = parse("a: 1\nb: 2\na: 3\n");
        assert_eq!(p.iter().filter(|p| p.rule == "duplicate-key").count(), 1);
    }

    /// Regression: a bare CR ends a line for the parser but not for `str::lines`, so findings
    /// after one showed another line's source, and suppression comments covered the wrong
    /// lines. Found by fuzzing (fuzz/fuzz_targets/lint.rs).
    #[test]
    fn bare_cr_ends_a_line() {
        let text = "id: x\rtitle: t\r\nservices:\r  - [\n";
        let (_, p) = parse(text);
        let at = p.iter().find(|p| p.rule == "yaml-syntax").expect("a syntax error").pos;
        assert_eq!(lines(text).collect::<Vec<_>>(), ["id: x", "title: t", "services:", "  - ["]);
        assert!(at.line >= 4 && at.line <= lines(text).count() + 1, "{at:?}");
        let (root, _) = parse("a: 1\rb: 2\n");
        assert_eq!(root.unwrap().get("b").unwrap().pos, Pos { line: 2, col: 4 });
        for (text, want) in [
            ("", vec![]),
            ("a", vec!["a"]),
            ("a\n", vec!["a"]),
            ("a\r", vec!["a"]),
            ("a\r\n\n", vec!["a", ""]),
            ("a\r\rb", vec!["a", "", "b"]),
            ("\n\r", vec!["", ""]),
        ] {
            assert_eq!(lines(text).collect::<Vec<_>>(), want, "{text:?}");
        }
    }

    /// A valid stream of several documents is `multiple-documents`, at the second one's start
    /// (a leading `---` or a closing `...` alone is not a second document); a stream that is
    /// broken after the first document stays `yaml-syntax`, at the error.
    #[test]
    fn further_documents_and_broken_streams() {
        let rules = |text: &str| -> Vec<(&'static str, Pos, String)> {
            parse(text).1.into_iter().map(|p| (p.rule, p.pos, p.message)).collect()
        };
        assert_eq!(rules("---\na: 1\n...\n"), []);
        let found = rules("a: 1\n---\nb: 2\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0, found[0].1), ("multiple-documents", Pos { line: 2, col: 1 }));
        // An implicit document after `...`, and an empty last one: three in all.
        let found = rules("a: 1\n...\nb: 1\n---\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0, found[0].1), ("multiple-documents", Pos { line: 3, col: 1 }));
        assert!(found[0].2.contains("(3 in all)"), "{found:?}");
        let found = rules("a: 1\n---\nb: [\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "yaml-syntax", "{found:?}");
        assert_eq!(found[0].1.line, 4, "{found:?}");
    }

    /// Regression: a tab indenting the line after a plain scalar was reported where the
    /// scalar began (6:13), not where the tab is (7:1, as yamllint and PyYAML say).
    #[test]
    fn a_tab_is_reported_where_it_is() {
        let at = |text: &str| parse(text).1.into_iter().find(|p| p.rule == "yaml-syntax").map(|p| p.pos);
        let steps = "phases:\n  detect:\n    steps:\n      - id: a\n";
        assert_eq!(at(&format!("a: 1\nb: 2\n{steps}\ttitle: x\n")), Some(Pos { line: 7, col: 1 }));
        // Blank and comment lines between, and spaces before the tab: the tab's own column.
        assert_eq!(at(&format!("{steps}\n  \t# note\n  \t title: x\n")), Some(Pos { line: 7, col: 3 }));
    }

    #[test]
    fn hostile_input_is_bounded() {
        let deep = "[".repeat(10_000);
        let (_, p) = parse(&deep);
        assert!(p.iter().any(|p| p.rule == "yaml-limits"), "{p:?}");
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
        let (root, p) = parse(bomb);
        assert!(root.is_some());
        assert!(p.iter().any(|p| p.rule == "yaml-alias"));
    }
}

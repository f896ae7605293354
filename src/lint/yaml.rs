//! A YAML tree whose every node knows where it stands (line and column), so that semantic
//! findings point at the right place. Built from saphyr-parser's events, with limits that
//! keep hostile input bounded: nesting depth, node count, and aliases, which are reported
//! and never expanded (no alias bomb can grow here).

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

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

fn pos(span: &Span) -> Pos {
    Pos { line: span.start.line(), col: span.start.col() + 1 }
}

/// Parses the first document of `text`. Returns the root (`None` for an empty file or a
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
    let mut b = Builder { parser: Parser::new_from_str(text), problems: Vec::new(), nodes: 0, last_line: 1 };
    let root = b.document();
    problems.append(&mut b.problems);
    (root, problems)
}

struct Builder<'a> {
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
                let pos = Pos { line: m.line(), col: m.col() + 1 };
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
                    // A second document in a runbook file would be silently ignored: say so.
                    if let Ok((Event::DocumentEnd, _)) = self.next()
                        && let Ok((Event::DocumentStart(_), span)) = self.next()
                    {
                        self.problems.push(YamlProblem {
                            pos: pos(&span),
                            rule: "yaml-syntax",
                            message: "a second YAML document (`---`); a runbook file holds one".into(),
                        });
                    }
                    return Some(root);
                }
            }
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
        let value = match ev {
            Event::Scalar(text, style, _, _) => {
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
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(ev, span, depth + 1)?;
                    let (ev, span) = self.next()?;
                    let value = self.node(ev, span, depth + 1)?;
                    if let Some(k) = key.as_str()
                        && let Some((first, _)) = entries.iter().find(|(e, _)| e.as_str() == Some(k))
                    {
                        self.problems.push(YamlProblem {
                            pos: key.pos,
                            rule: "duplicate-key",
                            message: format!(
                                "key `{k}` appears twice in this mapping (first at line {})",
                                first.pos.line
                            ),
                        });
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
        Ok(Node { pos: at, end_line: self.last_line, value })
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

//! One file as the linter sees it: its kind, text, YAML tree, and what reading it found.

use std::path::{Path, PathBuf};

use super::suppress::Suppress;
use crate::model::{self, Mismatch};
use crate::phase::Phase;
use crate::yaml::{self, Node, Pos};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Runbook,
    Config,
    Template,
}

impl Kind {
    pub fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?;
        if name == crate::config::FILE {
            return Some(Kind::Config);
        }
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Kind::Runbook),
            "j2" | "jinja" => Some(Kind::Template),
            _ => None,
        }
    }
}

/// A problem found while reading: YAML syntax and limits, or a mismatch with the shape.
#[derive(Debug, Clone)]
pub struct ReadProblem {
    pub rule: &'static str,
    pub pos: Pos,
    pub message: String,
}

#[derive(Debug)]
pub struct Doc {
    pub path: PathBuf,
    /// The path as findings show it.
    pub display: String,
    pub kind: Kind,
    pub text: String,
    pub root: Option<Node>,
    pub read: Vec<ReadProblem>,
    pub suppress: Suppress,
    /// Where each line of `text` starts, worked out the first time a check places a
    /// character inside a value (see [`Doc::line_starts`]).
    lines: std::sync::OnceLock<Vec<usize>>,
}

/// What cross-file rules need of a runbook, kept after its tree is dropped.
#[derive(Debug)]
pub struct Summary {
    pub display: String,
    pub id: Option<(String, Pos)>,
    pub suppress: Suppress,
}

/// Paths under the working directory are shown relative to it, like compilers do.
pub fn display(path: &Path) -> String {
    let rel = std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let shown = rel.unwrap_or_else(|| path.to_path_buf());
    // `lint .` walks `./runbooks/x.yaml`; show `runbooks/x.yaml`, as for `lint runbooks`.
    shown.strip_prefix(".").map_or_else(|_| shown.display().to_string(), |p| p.display().to_string())
}

impl Doc {
    /// Reads the file at `path`; a file that cannot be read or is not UTF-8 is a finding. A
    /// symlink is not followed (`open` refuses it, so lint reports it).
    pub fn load(path: &Path) -> Doc {
        let problem = match crate::fsutil::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => return Doc::from_text(path, text),
                Err(e) => {
                    let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                    let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
                    let col = upto.iter().rev().take_while(|b| **b != b'\n').count() + 1;
                    ReadProblem {
                        rule: "yaml-syntax",
                        pos: Pos { line, col },
                        message: "the file is not valid UTF-8".into(),
                    }
                }
            },
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => ReadProblem {
                rule: "yaml-syntax",
                pos: Pos { line: 1, col: 1 },
                message: "cannot read: it is a symlink, and incident never follows one (it may point outside the repository)".into(),
            },
            Err(e) => ReadProblem {
                rule: "yaml-syntax",
                pos: Pos { line: 1, col: 1 },
                message: format!("cannot read: {e}"),
            },
        };
        let mut doc = Doc::empty(path);
        // A template's reading problem is its rule's: `yaml-syntax` is for YAML files.
        let problem = if doc.kind == Kind::Template {
            ReadProblem { rule: "template-syntax", ..problem }
        } else {
            problem
        };
        doc.read.push(problem);
        doc
    }

    fn empty(path: &Path) -> Doc {
        Doc {
            path: path.to_path_buf(),
            display: display(path),
            kind: Kind::of(path).unwrap_or(Kind::Runbook),
            text: String::new(),
            root: None,
            read: Vec::new(),
            suppress: Suppress::default(),
            lines: std::sync::OnceLock::new(),
        }
    }

    /// `text` as the file at `path` (whose name gives its kind), parsed and shape-checked.
    pub fn from_text(path: &Path, text: String) -> Doc {
        let mut doc = Doc { text, ..Doc::empty(path) };
        let kind = doc.kind;
        doc.suppress = Suppress::parse(&doc.text);
        if kind == Kind::Template {
            return doc;
        }
        let (root, problems) = yaml::parse(&doc.text);
        doc.read.extend(problems.into_iter().map(|p| ReadProblem {
            rule: p.rule,
            pos: p.pos,
            message: p.message,
        }));
        let top = if kind == Kind::Config { &crate::config::CONFIG } else { &crate::runbook::RUNBOOK };
        match &root {
            Some(root) => {
                let mut mismatches: Vec<Mismatch<'_>> = Vec::new();
                model::check(root, top, "", &mut mismatches);
                doc.read.extend(mismatches.into_iter().map(|m| ReadProblem {
                    rule: m.rule,
                    pos: m.node.pos,
                    message: m.message,
                }));
            }
            None if doc.read.is_empty() => doc.read.push(ReadProblem {
                rule: "missing-field",
                pos: Pos { line: 1, col: 1 },
                message: "the file is empty".into(),
            }),
            None => {}
        }
        doc.root = root;
        doc
    }

    pub fn summary(&self) -> Summary {
        let id = self
            .root
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(|n| n.as_str().map(|s| (s.to_string(), n.pos)));
        Summary { display: self.display.clone(), id, suppress: self.suppress.clone() }
    }

    /// Every step in walking order, with its phase name, for the runbook rules.
    pub fn steps(&self) -> Vec<(&'static str, &Node)> {
        let Some(phases) = self.root.as_ref().and_then(|r| r.get("phases")) else {
            return Vec::new();
        };
        Phase::NAMES
            .iter()
            .filter_map(|name| phases.get(name).map(|p| (*name, p)))
            .flat_map(|(name, p)| {
                p.get("steps").and_then(Node::as_seq).unwrap_or_default().iter().map(move |s| (name, s))
            })
            .collect()
    }

    /// Where each line of the text starts ([`yaml::ScalarMap::with_lines`] needs it), made
    /// once per file however many commands are looked inside.
    pub fn line_starts(&self) -> &[usize] {
        self.lines.get_or_init(|| yaml::line_starts(&self.text))
    }

    pub fn source_line(&self, line: usize) -> Option<&str> {
        yaml::lines(&self.text).nth(line.checked_sub(1)?)
    }
}

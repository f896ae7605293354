//! Where each character of a scalar's value stands in the file. A value is what the YAML
//! parser decoded: quotes removed, escapes decoded, lines folded, block indentation
//! stripped. Checks that look inside a value (ShellCheck on a command, a program name in
//! it) find a character by its place in the value; this maps that place back to the line
//! and column of the character in the file, for every scalar style.

use super::{Node, Pos, Style};

/// The file position of every character of one scalar's value.
#[derive(Debug, Clone)]
pub struct ScalarMap {
    /// One entry per character of the value, in order; empty when the value could not be
    /// mapped, and then every lookup answers the node's own position.
    chars: Vec<Pos>,
    /// Byte offset in the value of each entry of `chars`.
    bytes: Vec<usize>,
    /// The value's (1-based) line starts, as indexes into `chars`.
    line_starts: Vec<usize>,
    start: Pos,
    style: Option<Style>,
}

impl ScalarMap {
    /// The map of `node`'s value in `text` (the whole file the node was parsed from).
    pub fn new(_text: &str, node: &Node) -> ScalarMap {
        let value = node.as_str().unwrap_or_default();
        let mut line_starts = vec![0];
        for (i, c) in value.chars().enumerate() {
            if c == '\n' {
                line_starts.push(i + 1);
            }
        }
        ScalarMap { chars: Vec::new(), bytes: Vec::new(), line_starts, start: node.pos, style: node.style }
    }

    /// Whether every character was placed (false: lookups fall back to the node's position).
    pub fn exact(&self) -> bool {
        !self.chars.is_empty()
    }

    /// The style the value was written in (`None` for a node that is not a scalar).
    pub fn style(&self) -> Option<Style> {
        self.style
    }

    /// The file position of the value's `index`th character (0-based); past the end, the last
    /// character's.
    pub fn at_char(&self, index: usize) -> Pos {
        self.chars.get(index).or(self.chars.last()).copied().unwrap_or(self.start)
    }

    /// The file position of the character at byte `offset` of the value (or the character
    /// that byte is inside).
    pub fn at_byte(&self, offset: usize) -> Pos {
        let i = self.bytes.partition_point(|b| *b <= offset).saturating_sub(1);
        self.at_char(i)
    }

    /// The file position of `line` and `col` (1-based) in the value, counting columns in
    /// characters with a tab as one, as ShellCheck's `json1` does.
    pub fn at_line_col(&self, line: usize, col: usize) -> Pos {
        let Some(first) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.at_char(usize::MAX);
        };
        self.at_char(first + col.saturating_sub(1))
    }
}

//! Where each character of a scalar's value stands in the file. A value is what the YAML
//! parser decoded: quotes removed, escapes decoded, lines folded, block indentation
//! stripped. Checks that look inside a value (ShellCheck on a command, a program name in
//! it) find a character by its place in the value; this maps that place back to the line
//! and column of the character in the file, for every scalar style.
//!
//! The source is read again from where the parser said the scalar starts, as a stream of
//! pieces: characters written as themselves, escapes (`\t`, `''`), and line breaks; what
//! the style never keeps (a block's indentation, the spaces around a folded line break, a
//! double-quoted line's escaped end) is passed over as the stream is made. The value is
//! then matched against the stream character by character: a character is placed where its
//! piece stands, a line break or a space made by folding where its line break is. A value
//! the stream cannot account for (a parser's quirk this does not know) is not guessed at:
//! every lookup then answers the scalar's own position, and [`ScalarMap::exact`] says so.

use std::collections::VecDeque;

use super::{Node, Pos, Style};

/// The file position of every character of one scalar's value.
#[derive(Debug, Clone)]
pub struct ScalarMap {
    /// One entry per character of the value, in order; empty when the value could not be
    /// mapped, and then every lookup answers the node's own position.
    chars: Vec<Pos>,
    /// The byte offset in the value of each character, for lookups by byte.
    bytes: Vec<usize>,
    /// Where each of the value's lines starts, as an index into its characters.
    line_starts: Vec<usize>,
    start: Pos,
    style: Option<Style>,
}

/// Where each line of `text` starts (byte offsets; the first is 0), counting line ends as
/// [`super::lines`] does: LF, CRLF and a bare CR.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                starts.push(i + 2);
                i += 1;
            }
            b'\r' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

impl ScalarMap {
    /// The map of `node`'s value in `text` (the whole file the node was parsed from).
    pub fn new(text: &str, node: &Node) -> ScalarMap {
        ScalarMap::with_lines(text, &line_starts(text), node)
    }

    /// As [`ScalarMap::new`], with the file's [`line_starts`] worked out once by the caller
    /// (a file of many commands is not scanned once per command).
    pub fn with_lines(text: &str, lines: &[usize], node: &Node) -> ScalarMap {
        let value = node.as_str().unwrap_or_default();
        let mut bytes = Vec::with_capacity(value.len());
        let mut line_starts = vec![0];
        for (i, (b, c)) in value.char_indices().enumerate() {
            bytes.push(b);
            if c == '\n' {
                line_starts.push(i + 1);
            }
        }
        let chars = match node.style {
            Some(style) => place(text, lines, node.pos, style, value).unwrap_or_default(),
            None => Vec::new(),
        };
        ScalarMap { chars, bytes, line_starts, start: node.pos, style: node.style }
    }

    /// Whether every character was placed (false: lookups answer the node's position).
    pub fn exact(&self) -> bool {
        !self.chars.is_empty() || self.bytes.is_empty()
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
    /// characters with a tab as one, as ShellCheck's `json1` does. A column past its line's
    /// end is that line's end (its line break).
    pub fn at_line_col(&self, line: usize, col: usize) -> Pos {
        let Some(first) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.at_char(usize::MAX);
        };
        let last = self.line_starts.get(line).map_or(self.bytes.len(), |next| next - 1);
        self.at_char((first + col.saturating_sub(1)).min(last))
    }
}

/// One piece of the scalar's source.
#[derive(Debug, Clone, Copy)]
enum Piece {
    /// A character written as itself.
    Char(char, Pos),
    /// An escape (`\t`, `\x41`, `''`) and the one character it stands for, at its first
    /// character.
    Escape(char, Pos),
    /// A line break, at its position (just past the line's last character).
    Break(Pos),
    /// A double-quoted line's escaped end (`\` last on the line): stands for nothing, and
    /// the line breaks right after it are all kept.
    Joined,
}

/// Every character's position, or `None` when the source does not account for the value.
fn place(text: &str, lines: &[usize], start: Pos, style: Style, value: &str) -> Option<Vec<Pos>> {
    // Where the parser puts a scalar with an anchor or tag, or a block without content, is
    // its properties or header; else its first character. Which one it is shows in what
    // follows, so the likelier reading is tried first and the other after it.
    let first = line_starts_col(text, lines, start);
    let properties_first = matches!(first, Some('&' | '!' | '|' | '>'));
    let block = matches!(style, Style::Literal | Style::Folded);
    let attempt = |at_properties, indent| {
        match_value(Source::new(text, lines, start, style, value, at_properties, indent)?, style, value)
    };
    [properties_first, !properties_first].into_iter().find_map(|at_properties| {
        attempt(at_properties, None).or_else(|| {
            // A block of blank lines, below its properties, shows no indentation to measure
            // (only an indicator relative to a parent this does not know): each is tried.
            (at_properties && block).then(|| (0..=16).find_map(|n| attempt(true, Some(n)))).flatten()
        })
    })
}

/// The character at `at` in the file.
fn line_starts_col(text: &str, lines: &[usize], at: Pos) -> Option<char> {
    let line = at.line.checked_sub(1)?;
    let t = text.get(*lines.get(line)?..line_end(text, lines, line))?;
    t.chars().nth(at.col.checked_sub(1)?)
}

/// The anchors and tags at (`line`, byte `at`) passed over, with the white space after
/// them (line breaks too): where the scalar itself (or a block's header) is.
fn skip_properties(text: &str, lines: &[usize], mut line: usize, mut at: usize) -> Option<(usize, usize)> {
    loop {
        let end = line_end(text, lines, line);
        let rest = text.get(at..end)?;
        let trimmed = rest.trim_start_matches([' ', '\t']);
        at += rest.len() - trimmed.len();
        if trimmed.is_empty() {
            line += 1;
            at = *lines.get(line)?;
            continue;
        }
        if !trimmed.starts_with(['&', '!']) {
            return Some((line, at));
        }
        at += trimmed.find([' ', '\t']).unwrap_or(trimmed.len());
    }
}

/// Matches `value` against its source, character by character.
fn match_value(mut source: Source<'_>, style: Style, value: &str) -> Option<Vec<Pos>> {
    let mut out = Vec::with_capacity(value.len());
    // What a run of folded line breaks stands for, still to be matched.
    let mut folded: VecDeque<(char, Pos)> = VecDeque::new();
    for c in value.chars() {
        loop {
            if let Some((f, at)) = folded.pop_front() {
                if f != c {
                    return None;
                }
                out.push(at);
                break;
            }
            let piece = source.peek()?;
            match piece {
                Piece::Char(s, at) | Piece::Escape(s, at) if s == c => {
                    out.push(at);
                    source.advance();
                    source.escaped = false;
                    break;
                }
                Piece::Joined => {
                    source.advance();
                    source.escaped = true;
                }
                Piece::Break(at) => match style {
                    Style::Literal if c == '\n' => {
                        out.push(at);
                        source.advance();
                        break;
                    }
                    Style::Literal => return None,
                    Style::Plain | Style::SingleQuoted | Style::DoubleQuoted => folded = source.fold(),
                    // A folded block's breaks are placed on the line they end, one for one as
                    // far as they go (its more-indented lines keep breaks the others fold).
                    Style::Folded if c == '\n' || c == ' ' => {
                        out.push(at);
                        source.advance();
                        break;
                    }
                    Style::Folded => source.advance(),
                },
                // A break or space a block made where its source has none (its leading
                // blank lines, a folded block's more-indented lines): placed where the next
                // character is, and that character still to be matched.
                Piece::Char(_, at) | Piece::Escape(_, at)
                    if matches!(style, Style::Literal | Style::Folded) && (c == '\n' || c == ' ') =>
                {
                    out.push(at);
                    break;
                }
                Piece::Char(..) | Piece::Escape(..) => return None,
            }
        }
    }
    Some(out)
}

/// The scalar's source as [`Piece`]s, read a line at a time, only as far as the value needs.
struct Source<'a> {
    text: &'a str,
    lines: &'a [usize],
    style: Style,
    /// The next line to read (0-based), and where on it to start (byte offset in the file).
    line: usize,
    from: usize,
    /// A block scalar's indentation: the columns of each line that are never content.
    indent: usize,
    /// Whether the line being read is the scalar's first (nothing to skip before it).
    first: bool,
    /// The closing quote was read: nothing follows.
    closed: bool,
    /// The last thing read was an escaped line end ([`Piece::Joined`]).
    escaped: bool,
    pending: VecDeque<Piece>,
}

impl<'a> Source<'a> {
    /// The source of a scalar the parser placed at `start`: its first character, opening
    /// quote or (for a block) first line of content; or, with `at_properties`, its anchor or
    /// tag (`&a`, `!!str`), or a block's header when the block has no content.
    fn new(
        text: &'a str,
        lines: &'a [usize],
        start: Pos,
        style: Style,
        value: &str,
        at_properties: bool,
        indent: Option<usize>,
    ) -> Option<Source<'a>> {
        let mut line = start.line.checked_sub(1)?;
        let line_start = *lines.get(line)?;
        let line_text = text.get(line_start..line_end(text, lines, line))?;
        let mut at = line_start + byte_of_col(line_text, start.col.saturating_sub(1))?;
        if at_properties {
            (line, at) = skip_properties(text, lines, line, at)?;
        }
        let mut source = Source {
            text,
            lines,
            style,
            line,
            from: at,
            indent: 0,
            first: true,
            closed: false,
            escaped: false,
            pending: VecDeque::new(),
        };
        match style {
            Style::Plain => {}
            // The opening quote.
            Style::SingleQuoted | Style::DoubleQuoted => {
                source.from += text.get(at..)?.chars().next()?.len_utf8()
            }
            // At the header (`|2-`): the content is on the lines below it, indented as its
            // first line is, less the white space that line keeps in the value.
            Style::Literal | Style::Folded if at_properties => {
                if !text.get(at..)?.starts_with(['|', '>']) {
                    return None;
                }
                let below = line + 1;
                let first_content = (below..lines.len()).find_map(|l| {
                    let t = text.get(lines[l]..line_end(text, lines, l))?;
                    (!t.trim().is_empty()).then(|| t.len() - t.trim_start_matches(' ').len())
                });
                let kept = value
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
                source.indent = match indent {
                    Some(n) => n,
                    None => first_content.unwrap_or(0).checked_sub(kept)?,
                };
                source.line = below;
                source.from = *lines.get(below).unwrap_or(&text.len());
                source.first = false;
            }
            // At the first line of content, at its indentation; the blank lines above it (down
            // from the header line) are the value's too.
            Style::Literal | Style::Folded => {
                source.indent = start.col.saturating_sub(1);
                let header = (0..line).rev().find(|&l| {
                    text.get(lines[l]..line_end(text, lines, l)).is_some_and(|t| !t.trim().is_empty())
                })?;
                source.line = header + 1;
                source.from = lines[header + 1];
                source.first = false;
            }
        }
        Some(source)
    }

    fn peek(&mut self) -> Option<Piece> {
        while self.pending.is_empty() {
            if self.closed || self.line >= self.lines.len() {
                return None;
            }
            self.read_line();
        }
        self.pending.front().copied()
    }

    fn advance(&mut self) {
        self.pending.pop_front();
    }

    /// Takes a run of line breaks in a plain or quoted scalar (the lines between them blank)
    /// and returns what it folds to: one break is a space; n breaks are n - 1 line breaks,
    /// each placed on the blank line it stands for. After an escaped line end every break
    /// is kept.
    fn fold(&mut self) -> VecDeque<(char, Pos)> {
        let kept_all = std::mem::replace(&mut self.escaped, false);
        let mut breaks = Vec::new();
        while let Some(Piece::Break(at)) = self.peek() {
            breaks.push(at);
            self.advance();
        }
        match breaks.as_slice() {
            [at] if !kept_all => VecDeque::from([(' ', *at)]),
            [_, rest @ ..] if !kept_all => rest.iter().map(|at| ('\n', *at)).collect(),
            all => all.iter().map(|at| ('\n', *at)).collect(),
        }
    }

    /// Reads the next line's pieces into `pending`.
    fn read_line(&mut self) {
        let line = self.line;
        let end = line_end(self.text, self.lines, line);
        let text = self.text.get(self.from..end).unwrap_or_default();
        // The column of `from` on its line, for positions.
        let line_text = self.text.get(self.lines[line]..self.from).unwrap_or_default();
        let mut col = line_text.chars().count() + 1;
        let first = std::mem::replace(&mut self.first, false);
        let has_break = self.lines.get(line + 1).is_some();
        self.line += 1;
        self.from = self.lines.get(line + 1).copied().unwrap_or(self.text.len());
        let at = |col: usize| Pos { line: line + 1, col };
        let mut chars = text.chars().peekable();
        let mut pieces: Vec<Piece> = Vec::new();
        match self.style {
            Style::Literal | Style::Folded => {
                // The indentation is never content; a shorter line is blank.
                let mut skipped = 0;
                while skipped < self.indent && chars.peek() == Some(&' ') {
                    chars.next();
                    skipped += 1;
                    col += 1;
                }
                for c in chars {
                    pieces.push(Piece::Char(c, at(col)));
                    col += 1;
                }
            }
            Style::Plain | Style::SingleQuoted | Style::DoubleQuoted => {
                if !first {
                    // A continuation line's leading white space is never content.
                    while matches!(chars.peek(), Some(' ' | '\t')) {
                        chars.next();
                        col += 1;
                    }
                }
                let mut escaped_break = false;
                while let Some(c) = chars.next() {
                    let here = at(col);
                    col += 1;
                    match (self.style, c) {
                        (Style::SingleQuoted, '\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            col += 1;
                            pieces.push(Piece::Escape('\'', here));
                        }
                        (Style::SingleQuoted, '\'') | (Style::DoubleQuoted, '"') => {
                            self.closed = true;
                            break;
                        }
                        (Style::DoubleQuoted, '\\') => match chars.peek().copied() {
                            // An escaped line end joins the lines with nothing between.
                            None => escaped_break = true,
                            Some(e) => {
                                chars.next();
                                col += 1;
                                let (decoded, used) = unescape(e, chars.clone());
                                for _ in 0..used {
                                    chars.next();
                                    col += 1;
                                }
                                match decoded {
                                    Some(d) => pieces.push(Piece::Escape(d, here)),
                                    None => pieces.push(Piece::Char('\\', here)),
                                }
                            }
                        },
                        _ => pieces.push(Piece::Char(c, here)),
                    }
                }
                if !self.closed && !escaped_break && has_break {
                    // White space before a folded line break is never content.
                    while matches!(pieces.last(), Some(Piece::Char(' ' | '\t', _))) {
                        pieces.pop();
                    }
                }
                if escaped_break {
                    self.pending.extend(pieces);
                    self.pending.push_back(Piece::Joined);
                    return;
                }
            }
        }
        self.pending.extend(pieces);
        // A block's last line ends its value with a line break even at the end of a file
        // that has none.
        let block = matches!(self.style, Style::Literal | Style::Folded);
        if !self.closed && (has_break || block) {
            self.pending.push_back(Piece::Break(at(col)));
        }
    }
}

/// The byte offset of the character at `col` (0-based) of `line`, or its end.
fn byte_of_col(line: &str, col: usize) -> Option<usize> {
    match line.char_indices().nth(col) {
        Some((b, _)) => Some(b),
        None if line.chars().count() == col => Some(line.len()),
        None => None,
    }
}

/// Where line `line` (0-based) ends, before its line break.
fn line_end(text: &str, lines: &[usize], line: usize) -> usize {
    let Some(next) = lines.get(line + 1) else { return text.len() };
    let bytes = text.as_bytes();
    let mut end = *next;
    if end > 0 && bytes.get(end - 1) == Some(&b'\n') {
        end -= 1;
    }
    if end > 0 && bytes.get(end - 1) == Some(&b'\r') {
        end -= 1;
    }
    end
}

/// The character a double-quoted escape `\e…` stands for, and how many characters after `e`
/// it used (the digits of `\x`, `\u`, `\U`); `None` for an escape YAML does not have.
fn unescape(e: char, mut rest: impl Iterator<Item = char>) -> (Option<char>, usize) {
    let hex = |n: usize, rest: &mut dyn Iterator<Item = char>| {
        let digits: String = rest.take(n).collect();
        let c = (digits.chars().count() == n).then(|| u32::from_str_radix(&digits, 16).ok()).flatten();
        (c.and_then(char::from_u32), n)
    };
    let simple = match e {
        '0' => '\0',
        'a' => '\x07',
        'b' => '\x08',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\x0b',
        'f' => '\x0c',
        'r' => '\r',
        'e' => '\x1b',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        'x' => return hex(2, &mut rest),
        'u' => return hex(4, &mut rest),
        'U' => return hex(8, &mut rest),
        _ => return (None, 0),
    };
    (Some(simple), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (line, col) of each character of the value of `key` in `text`.
    fn map_of(text: &str, key: &str) -> (String, ScalarMap) {
        let (root, problems) = crate::yaml::parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        let root = root.expect("a document");
        let node = root.get(key).expect("the key");
        (node.as_str().expect("a scalar").to_string(), ScalarMap::new(text, node))
    }

    /// The file's character at `pos`, or `None` past its line's end.
    fn char_at(text: &str, pos: Pos) -> Option<char> {
        crate::yaml::lines(text).nth(pos.line - 1)?.chars().nth(pos.col - 1)
    }

    /// Each character of the value lands on itself in the file (an escape on its backslash
    /// or doubled quote; a line break on the end of its line).
    fn assert_exact(text: &str, key: &str) {
        let (value, map) = map_of(text, key);
        assert!(map.exact(), "{key}: not placed in {text:?}");
        for (i, c) in value.chars().enumerate() {
            let at = map.at_char(i);
            let found = char_at(text, at);
            let ok = match (c, found) {
                (c, Some(f)) if c == f => true,
                (_, Some('\\')) => true,
                ('\'', Some('\'')) => true,
                ('\n' | ' ', None) => true,
                _ => false,
            };
            assert!(ok, "{key}: char {i} {c:?} placed at {at:?} on {found:?} in {text:?}");
        }
    }

    #[test]
    fn every_style_lands_on_its_characters() {
        let text = concat!(
            "plain: cd /tmp && ls $x\n",
            "plain2: first line\n  second  line\n\n  after blank\n",
            "single: 'it''s $x'\n",
            "single2: 'one\n  two '' three'\n",
            "double: \"a\\tb \\\"$x\\\" \\x41\\u00e9 end\"\n",
            "double2: \"fold\n   here \\\n   joined\\n  next\"\n",
            "literal: |\n  cd /tmp\n    indented $x\n\n  last\n",
            "strip: |-\n    echo $y\n",
            "keep: |+\n  echo z\n\n",
            "indicator: |2\n     spaced $x\n   next\n",
            "folded: >\n  one\n  two $x\n\n  three\n",
            "tabbed: |\n  \tcol $x\n",
            "unicode: \"é $x\"\n",
            "crlf: |\r\n  a $x\r\n  b\r\n",
        );
        for key in [
            "plain",
            "plain2",
            "single",
            "single2",
            "double",
            "double2",
            "literal",
            "strip",
            "keep",
            "indicator",
            "folded",
            "tabbed",
            "unicode",
            "crlf",
        ] {
            assert_exact(text, key);
        }
        // Spot checks, by hand: the `$x` of each.
        let dollar = |key: &str| {
            let (value, map) = map_of(text, key);
            let i = value.chars().position(|c| c == '$').expect("a $");
            let at = map.at_char(i);
            (at.line, at.col)
        };
        assert_eq!(dollar("plain"), (1, 22));
        assert_eq!(dollar("single"), (6, 16));
        assert_eq!(dollar("double"), (9, 17));
        assert_eq!(dollar("literal"), (15, 14));
        assert_eq!(dollar("strip"), (19, 10));
        assert_eq!(dollar("indicator"), (24, 13));
        assert_eq!(dollar("folded"), (28, 7));
        assert_eq!(dollar("tabbed"), (32, 8));
        assert_eq!(dollar("unicode"), (33, 13));
        assert_eq!(dollar("crlf"), (35, 5));
    }

    #[test]
    fn lookups_by_byte_and_by_line_and_column() {
        let text = "run: |\n  é=1\n  echo \"$é\"\n";
        let (value, map) = map_of(text, "run");
        assert_eq!(value, "é=1\necho \"$é\"\n");
        // The `$` is on the value's second line, column 7; byte 12.
        assert_eq!(map.at_line_col(2, 7), Pos { line: 3, col: 9 });
        assert_eq!(map.at_byte(value.find('$').unwrap()), Pos { line: 3, col: 9 });
        // Inside a multi-byte character: that character.
        assert_eq!(map.at_byte(1), Pos { line: 2, col: 3 });
        // Past a line's end: its end; past the last line: the last character.
        assert_eq!(map.at_line_col(1, 99), Pos { line: 2, col: 6 });
        assert_eq!(map.at_line_col(9, 1), map.at_char(value.chars().count() - 1));
    }

    #[test]
    fn what_cannot_be_placed_answers_the_scalar_itself() {
        let text = "a: [x, y]\nb: plain\n";
        let (root, _) = crate::yaml::parse(text);
        let root = root.unwrap();
        let map = ScalarMap::new(text, root.get("a").unwrap());
        assert_eq!(map.at_char(0), Pos { line: 1, col: 4 });
        assert_eq!(map.style(), None);
        // A node whose position does not hold its value (text from elsewhere).
        let map = ScalarMap::new("b: other\n", root.get("b").unwrap());
        assert!(!map.exact());
        assert_eq!(map.at_char(3), Pos { line: 2, col: 4 });
    }

    /// The property: for generated scalars of every style (escapes, doubled quotes, folded
    /// and escaped line ends, blank lines, indentation indicators, tabs, multi-byte
    /// characters, CRLF), nested at several depths, every character of what the parser
    /// decoded is placed on itself in the file (an escape on its backslash or doubled quote,
    /// a folded break on its line's end), in order.
    #[test]
    fn every_character_of_every_style_is_placed() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};

        fn pieces(style: usize) -> BoxedStrategy<String> {
            let word = prop::sample::select(vec![
                "a",
                "cd",
                "$x",
                "${INCIDENT_ID}",
                "&&",
                "|",
                ";",
                "é",
                "→",
                "#",
                ":",
                "-",
                "[",
                "]",
                "{",
                "}",
                "(",
                ")",
                "'",
                "\"",
                "\\",
                "*",
                "!",
                "%",
                "@",
                "`",
                "=",
                "1",
            ]);
            let space = prop::sample::select(vec![" ", "  ", "\t", " \t "]);
            match style {
                // Plain: words and single spaces, sometimes a line break and indentation.
                0 => prop::collection::vec(
                    prop_oneof![
                        4 => prop::sample::select(vec!["a", "cd", "x1", "$x", "&&", "|", "é", "-v", "/tmp"]).prop_map(str::to_string),
                        2 => Just(" ".to_string()),
                        1 => (1usize..3, 1usize..6).prop_map(|(b, i)| format!("{}{}", "\n".repeat(b), " ".repeat(i + 4))),
                    ],
                    1..30,
                )
                .prop_map(|v| format!("x{}", v.concat()))
                .boxed(),
                // Single-quoted.
                1 => prop::collection::vec(
                    prop_oneof![
                        4 => word.prop_map(|w| w.replace('\'', "''")),
                        2 => space.prop_map(str::to_string),
                        1 => Just("''".to_string()),
                        1 => (1usize..3, 0usize..6).prop_map(|(b, i)| format!("{}{}", "\n".repeat(b), " ".repeat(i + 4))),
                    ],
                    0..30,
                )
                .prop_map(|v| format!("'{}'", v.concat()))
                .boxed(),
                // Double-quoted.
                2 => prop::collection::vec(
                    prop_oneof![
                        4 => word.prop_map(|w| w.replace('\\', "\\\\").replace('"', "\\\"")),
                        2 => space.prop_map(str::to_string),
                        2 => prop::sample::select(vec!["\\t", "\\n", "\\\"", "\\\\", "\\x41", "\\u00e9", "\\U0001F600", "\\ ", "\\/", "\\e", "\\0", "\\N", "\\_", "\\\t"]).prop_map(str::to_string),
                        1 => (1usize..3, 0usize..6).prop_map(|(b, i)| format!("{}{}", "\n".repeat(b), " ".repeat(i + 4))),
                        1 => (0usize..6).prop_map(|i| format!("\\\n{}", " ".repeat(i + 4))),
                    ],
                    0..30,
                )
                .prop_map(|v| format!("\"{}\"", v.concat()))
                .boxed(),
                // Literal and folded: a header, then lines at the indentation, some indented
                // further, some blank.
                _ => (
                    prop::sample::select(vec!["", "-", "+", "2", "2-", "+2"]),
                    prop::collection::vec(
                        prop_oneof![
                            5 => (0usize..3, prop::collection::vec(prop_oneof![word.prop_map(str::to_string), space.prop_map(str::to_string)], 1..8))
                                .prop_map(|(extra, w)| format!("{}{}", " ".repeat(extra), w.concat().trim_start())),
                            1 => Just(String::new()),
                            1 => Just("  ".to_string()),
                        ],
                        1..8,
                    ),
                )
                    .prop_map(move |(indicator, lines)| {
                        let mark = if style == 3 { "|" } else { ">" };
                        let body: String = lines.iter().map(|l| format!("      {l}\n")).collect();
                        format!("{mark}{indicator}\n{body}")
                    })
                    .boxed(),
            }
        }

        let parsed = std::cell::Cell::new(0usize);
        let mut runner =
            TestRunner::new(Config { cases: 1500, failure_persistence: None, ..Config::default() });
        let properties = prop::sample::select(vec!["", "&a ", "!!str ", "&a !!str ", "!local\n      "]);
        let strategy = (0usize..5, prop::bool::ANY, prop::bool::ANY, properties).prop_flat_map(
            |(style, nested, crlf, props)| (pieces(style), Just(nested), Just(crlf), Just(props)),
        );
        runner
            .run(&strategy, |(scalar, nested, crlf, props)| {
                let scalar = format!("{props}{scalar}");
                let mut text = if nested {
                    format!("steps:\n  - id: a\n    run: {scalar}\n    title: t\n")
                } else {
                    format!("run: {scalar}\nafter: 1\n")
                };
                // Blocks were written for the nested depth: at the top, indent them less.
                if !nested && scalar.contains(['|', '>']) {
                    text = text.replace("\n      ", "\n  ");
                }
                if crlf {
                    text = text.replace('\n', "\r\n");
                }
                let (root, problems) = crate::yaml::parse(&text);
                let Some(root) = root.filter(|_| problems.is_empty()) else { return Ok(()) };
                let node = if nested {
                    root.get("steps").and_then(|s| s.as_seq()?.first()).and_then(|s| s.get("run"))
                } else {
                    root.get("run")
                };
                let Some(node) = node.filter(|n| n.as_str().is_some()) else { return Ok(()) };
                parsed.set(parsed.get() + 1);
                let value = node.as_str().unwrap_or_default();
                let map = ScalarMap::new(&text, node);
                let literal = node.style == Some(Style::Literal);
                prop_assert!(map.exact(), "not placed: {text:?} → {value:?}");
                let mut last = Pos::default();
                for (i, c) in value.chars().enumerate() {
                    let at = map.at_char(i);
                    let found = char_at(&text, at);
                    let ok = match (c, found) {
                        (c, Some(f)) if c == f => true,
                        (_, Some('\\')) => true,
                        ('\'', Some('\'')) => true,
                        // A literal block keeps its white space where it is written.
                        ('\n', None) => true,
                        // Blank lines before a block's first content have no indentation to
                        // measure: only placed on their line.
                        (_, _) if literal && value.chars().take(i + 1).all(char::is_whitespace) => true,
                        ('\n' | ' ' | '\t', _) => !literal,
                        _ => false,
                    };
                    prop_assert!(ok, "char {i} {c:?} placed at {at:?} on {found:?}: {text:?} → {value:?}");
                    if !c.is_whitespace() {
                        prop_assert!(at > last, "char {i} {c:?} at {at:?} is not after {last:?}: {text:?}");
                        last = at;
                    }
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{e}"));
        // The generator is meant to make mostly valid YAML; a test of nothing proves nothing.
        assert!(parsed.get() > 900, "only {} of 1500 generated scalars parsed", parsed.get());
    }
}

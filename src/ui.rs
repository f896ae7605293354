//! Terminal output shared by the read commands: tables, money, and the one function that
//! makes text from data safe to show: control characters, bidi overrides and
//! over-long text never reach a terminal as they are.

use std::borrow::Cow;

use comfy_table::ContentArrangement;
use comfy_table::presets::UTF8_FULL_CONDENSED;

/// How many characters of one value a terminal line or table cell shows. A note may be
/// megabytes (pasted logs); the terminal gets its head and a marker, `--json` and the
/// postmortem the whole text. Also what keeps table layout linear: comfy-table's wrapping
/// costs grow with the square of a cell's length.
pub const SHOWN_CHARS: usize = 500;

/// What a control character (or a character that reorders text) looks like once made
/// visible, or `None` when it is shown as it is.
fn picture(c: char) -> Option<Cow<'static, str>> {
    let pictured = match c {
        // C0 controls: their Unicode control pictures, ␀ … ␟ (ESC is ␛).
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('␡'),
        _ => None,
    };
    if let Some(p) = pictured {
        return Some(Cow::Owned(p.to_string()));
    }
    match c {
        // C1 controls (U+009B is a CSI on some terminals), bidi embeddings, overrides, isolates
        // and marks (they reorder what is shown: "Trojan Source"), line and paragraph
        // separators, and characters that show as nothing (zero-width space, word joiner,
        // BOM, soft hyphen: `al\u{200b}ice` would pass for `alice`): named by their code
        // point. Zero-width joiners stay: emoji and scripts need them.
        '\u{80}'..='\u{9f}'
        | '\u{ad}'
        | '\u{61c}'
        | '\u{200b}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{feff}'
        // Not characters at all: XML forbids them (one made a whole feed unreadable), and a
        // terminal shows them as nothing or as a box.
        | '\u{fffe}'
        | '\u{ffff}' => Some(Cow::Owned(format!("\\u{{{:x}}}", c as u32))),
        _ => None,
    }
}

/// Whether `c` is shown as something else by [`visible`].
pub fn is_hidden(c: char) -> bool {
    c.is_control() || picture(c).is_some()
}

fn make_visible(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hidden(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if keep(c) {
            out.push(c);
        } else if c == '\r' && keep('\n') && chars.peek() == Some(&'\n') {
            // A CRLF line end is a line end where line ends are kept.
        } else if let Some(p) = picture(c) {
            out.push_str(&p);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text from data (a title, a name, a note, an error quoting a value) as it may reach a
/// terminal or a commit message: every control character is made visible (`\u{1b}` → `␛`,
/// `\u{7}` → `␇`, DEL → `␡`, C1 controls and bidi overrides as `\u{9b}`), so nothing from the
/// record can move the cursor, retitle the window, clear the screen or reorder a line.
pub fn visible(s: &str) -> Cow<'_, str> {
    make_visible(s, |_| false)
}

/// The same for text shown as a block (a multi-line note, a command's output): its line
/// breaks (and tabs) stay, every other control character is made visible.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    make_visible(s, |c| c == '\n' || c == '\t')
}

/// At most [`SHOWN_CHARS`] characters of `s`, with a marker saying how much was left out and
/// where the whole text is. Linear in the shown part: a long tail is counted, not copied.
pub fn shorten(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(SHOWN_CHARS).and_then(|(cut, _)| s.split_at_checked(cut)) {
        None => Cow::Borrowed(s),
        Some((shown, rest)) => {
            let more = rest.chars().count();
            Cow::Owned(format!("{shown}… [{more} more characters; full text in --json and the postmortem]"))
        }
    }
}

/// The nearest character boundary of `s` at or before byte `i` (the end when `i` is past
/// it): where a cut of at most `i` bytes may fall. Slicing at a byte count taken from
/// outside the text would panic inside a character (`é`, `日`). The standard library's
/// `floor_char_boundary` is newer than the Rust this crate supports.
pub fn floor_char_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    (0..=i).rev().find(|&b| s.is_char_boundary(b)).unwrap_or(0)
}

/// The nearest character boundary of `s` at or after byte `i` (the end when `i` is past it).
pub fn ceil_char_boundary(s: &str, i: usize) -> usize {
    (i..s.len()).find(|&b| s.is_char_boundary(b)).unwrap_or(s.len())
}

/// At most `max` bytes of the start of `s`, cut at a character boundary.
pub fn cut(s: &str, max: usize) -> &str {
    s.split_at(floor_char_boundary(s, max)).0
}

/// A line (or a value on one) for the terminal, built from data: shortened, then made
/// visible whole. Lines carrying colour codes of our own are made visible before painting.
pub fn show(s: &str) -> String {
    visible(&shorten(s)).into_owned()
}

/// A table cell from data: shortened, then made visible; line breaks stay (a multi-line note
/// is a multi-line cell).
pub fn cell(s: &str) -> String {
    visible_lines(&shorten(s)).replace('\t', "    ")
}

/// A terminal table whose every cell goes through [`cell`]: callers cannot forget.
pub struct Table(comfy_table::Table);

pub fn table(header: &[&str]) -> Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    Table(t)
}

impl Table {
    pub fn add_row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        self.0.add_row(cells.into_iter().map(|c| cell(c.as_ref())).collect::<Vec<_>>());
        self
    }

    /// The width the table was told to fit, if any (else the terminal's, when there is one).
    pub fn width(&self) -> Option<u16> {
        self.0.width()
    }

    pub fn set_width(&mut self, width: u16) -> &mut Self {
        self.0.set_width(width);
        self
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `1234567.0` → `USD 1,234,567`: for the terminal and the postmortem alike.
pub fn money(amount: f64, currency: &str) -> String {
    let whole = format!("{:.0}", amount.abs());
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{currency} {sign}{grouped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible("a\u{1b}]0;x\u{7}\u{1b}[2Jb"), "a␛]0;x␇␛[2Jb");
        assert_eq!(visible("\u{0}\u{7f}\u{9b}\u{202e}\u{2066}"), "␀␡\\u{9b}\\u{202e}\\u{2066}");
        assert_eq!(visible("two\nlines\t"), "two␊lines␉");
        assert!(matches!(visible("plain — ünïcode 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn blocks_keep_their_line_breaks_only() {
        assert_eq!(visible_lines("a\r\nb\n\u{1b}[31mc\rd"), "a\nb\n␛[31mc␍d");
    }

    #[test]
    fn nothing_hidden_survives() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!visible(&all).chars().any(is_hidden));
        assert!(!visible_lines(&all).chars().any(|c| is_hidden(c) && c != '\n' && c != '\t'));
    }

    #[test]
    fn long_text_is_shortened_with_a_marker() {
        let long = "é".repeat(SHOWN_CHARS + 7);
        let short = shorten(&long);
        assert!(short.starts_with(&"é".repeat(SHOWN_CHARS)));
        assert!(short.ends_with("… [7 more characters; full text in --json and the postmortem]"), "{short}");
        assert_eq!(shorten("short"), "short");
    }

    /// Cuts at a byte count from outside the text (a cap, a window) land on the nearest
    /// boundary, never inside `é` or `日`.
    #[test]
    fn cuts_never_fall_inside_a_character() {
        for text in ["", "abc", "é", "日本語", "aé日🔥z"] {
            for i in 0..text.len() + 3 {
                let (floor, ceil) = (floor_char_boundary(text, i), ceil_char_boundary(text, i));
                assert!(text.is_char_boundary(floor) && text.is_char_boundary(ceil), "{text:?} {i}");
                assert!(floor <= i.min(text.len()) && ceil >= i.min(text.len()), "{text:?} {i}");
                assert!((floor + 1..i.min(text.len())).all(|b| !text.is_char_boundary(b)), "{text:?} {i}");
                assert!((i..ceil).all(|b| !text.is_char_boundary(b)), "{text:?} {i}");
                assert_eq!(cut(text, i).len(), floor);
            }
        }
        assert_eq!(cut("日本語", 4), "日");
        assert_eq!(cut("0123abcdef", 4), "0123");
    }
}

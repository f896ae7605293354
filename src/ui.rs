//! The one door out: [`Ui`], through which every command writes (data on stdout, what it says
//! about itself on stderr), and what it writes with: tables, money, and the one function
//! that makes text from data safe to show: control characters, bidi overrides and over-long
//! text never reach a terminal as they are.

use std::borrow::Cow;
use std::io::Write;

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
        | '\u{feff}' => Some(Cow::Owned(format!("\\u{{{:x}}}", c as u32))),
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
    match s.char_indices().nth(SHOWN_CHARS) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => {
            let more = s[cut..].chars().count();
            Cow::Owned(format!(
                "{}… [{more} more characters; full text in --json and the postmortem]",
                &s[..cut]
            ))
        }
    }
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

/// Where a command's words go: its data on stdout, what it says about itself (progress,
/// warnings, hints) on stderr. Every write makes the text visible (see [`Writer`]), so no call
/// site has to remember to; and a reader that stops reading (`incident list | head -1`)
/// stops the command as an error [`reader_gone`] recognises, which `main` ends quietly.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ui {
    quiet: bool,
}

impl Ui {
    /// stdout and stderr, as the process has them.
    pub fn terminal() -> Ui {
        Ui { quiet: false }
    }

    /// Data discarded, stderr kept: how `demo` replays its scenario without burying the one
    /// line scripts read on stdout, while a warning still shows.
    pub fn quiet() -> Ui {
        Ui { quiet: true }
    }

    /// Data, on stdout: `writeln!(ctx.ui.out(), "Opened {id}")?`.
    pub fn out(&self) -> Writer {
        Writer { to: if self.quiet { To::Nowhere } else { To::Stdout }, shown: Shown::Line }
    }

    /// What the command says about itself (progress, warnings, hints), on stderr, where it
    /// never mixes with data a script reads.
    pub fn status(&self) -> Writer {
        Writer { to: To::Stderr, shown: Shown::Line }
    }

    /// `warning: …` on stderr: a problem that does not fail the command.
    /// The warning is shortened, not the prefix.
    pub fn warn(&self, warning: impl std::fmt::Display) -> crate::error::Result<()> {
        writeln!(self.status().raw(), "warning: {}", show(&warning.to_string()))
    }
}

/// One write through a [`Ui`]; `write!`/`writeln!` return the crate's `Result`. What is
/// written is made visible as it goes out: by default the text is one line (its own line
/// breaks and control characters shown as `␊`, `␛`, …), shortened to [`SHOWN_CHARS`]
/// ([`show`]); the newline `writeln!` adds is the writer's.
#[must_use]
pub struct Writer {
    to: To,
    shown: Shown,
}

#[derive(Debug, Clone, Copy)]
enum To {
    Stdout,
    Stderr,
    Nowhere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// One line, shortened ([`show`]).
    Line,
    /// One line, however long ([`visible`]): an error message.
    Whole,
    /// Text whose line breaks and tabs are its own (a note, a command's output, a table):
    /// every other control character made visible ([`visible_lines`]).
    Block,
    /// Made safe where it was built, byte for byte: JSON (escaped by serde), our own colour
    /// codes around text already made visible, a generated file.
    Raw,
}

impl Writer {
    /// The text's line breaks are its own: see [`visible_lines`].
    pub fn block(self) -> Writer {
        Writer { shown: Shown::Block, ..self }
    }

    /// One line, not shortened: see [`visible`].
    pub fn whole(self) -> Writer {
        Writer { shown: Shown::Whole, ..self }
    }

    /// Written as it is: for text made safe where it was built (JSON, our own colour codes
    /// around text already made visible, a man page).
    pub fn raw(self) -> Writer {
        Writer { shown: Shown::Raw, ..self }
    }

    /// What `write!` and `writeln!` call.
    pub fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> crate::error::Result<()> {
        if matches!(self.to, To::Nowhere) {
            return Ok(());
        }
        match args.as_str() {
            Some(text) => self.write_str(text),
            None => self.write_str(&args.to_string()),
        }
    }

    /// Writes `text`, made visible as this writer shows text.
    pub fn write_str(&mut self, text: &str) -> crate::error::Result<()> {
        let shown = self.shown(text);
        self.write_all(shown.as_bytes())
    }

    /// `text` as this writer shows it.
    fn shown<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.shown == Shown::Raw {
            return Cow::Borrowed(text);
        }
        // The newline `writeln!` adds is the writer's, whatever the text ends with.
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (text, ""),
        };
        let body = if self.shown == Shown::Line { shorten(body) } else { Cow::Borrowed(body) };
        let shown = if self.shown == Shown::Block { visible_lines(&body) } else { visible(&body) };
        if matches!((&body, &shown), (Cow::Borrowed(_), Cow::Borrowed(_))) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(format!("{shown}{end}"))
    }

    /// Writes `bytes` as they are (a generated file).
    pub fn write_all(&mut self, bytes: &[u8]) -> crate::error::Result<()> {
        let written = match self.to {
            To::Stdout => std::io::stdout().lock().write_all(bytes),
            To::Stderr => std::io::stderr().lock().write_all(bytes),
            To::Nowhere => Ok(()),
        };
        written.map_err(|e| self.failed(e))
    }

    /// Sends what is buffered now (before a question, or a long wait).
    pub fn flush(&mut self) -> crate::error::Result<()> {
        let flushed = match self.to {
            To::Stdout => std::io::stdout().lock().flush(),
            To::Stderr => std::io::stderr().lock().flush(),
            To::Nowhere => Ok(()),
        };
        flushed.map_err(|e| self.failed(e))
    }

    fn failed(&self, e: std::io::Error) -> crate::error::Error {
        let name = match self.to {
            To::Stderr => "stderr",
            To::Stdout | To::Nowhere => "stdout",
        };
        let e = if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, ReaderGone)
        } else {
            e
        };
        crate::error::Error::io(name)(e)
    }
}

/// The reader of our output closed it (`| head -1` had its line): not a failure of the
/// command, only the end of it.
#[derive(Debug)]
struct ReaderGone;

impl std::fmt::Display for ReaderGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the reader closed the pipe")
    }
}

impl std::error::Error for ReaderGone {}

/// Whether `e` is a write through a [`Ui`] whose reader had gone: the program then ends quietly
/// and successfully, as `head` asked, like other tools in a pipeline.
pub fn reader_gone(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .is_some_and(|inner| inner.is::<ReaderGone>())
        {
            return true;
        }
        cause = c.source();
    }
    false
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
    fn what_goes_through_a_writer_is_made_visible() {
        let ui = Ui::terminal();
        let data = "al\u{200b}ice\u{1b}[2J\nforged line\r";
        // A line: everything but the newline the writer adds is shown.
        assert_eq!(ui.out().shown(&format!("noted {data}\n")), "noted al\\u{200b}ice␛[2J␊forged line␍\n");
        assert_eq!(ui.status().shown(data), "al\\u{200b}ice␛[2J␊forged line␍");
        // A long line is shortened; a whole one is not.
        let long = format!("{}\n", "x".repeat(SHOWN_CHARS + 3));
        assert!(
            ui.out()
                .shown(&long)
                .ends_with("… [3 more characters; full text in --json and the postmortem]\n")
        );
        assert_eq!(ui.out().whole().shown(&long), long);
        // A block keeps its line breaks and tabs, nothing else.
        assert_eq!(ui.out().block().shown("a\tb\n\u{1b}c\r\n"), "a\tb\n␛c␍\n");
        // Raw is as built (our own colour codes), and plain text is not copied.
        assert_eq!(ui.out().raw().shown("\u{1b}[1mtitle\u{1b}[0m\n"), "\u{1b}[1mtitle\u{1b}[0m\n");
        assert!(matches!(ui.out().shown("plain — ünïcode\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_quiet_ui_discards_data_only() {
        let quiet = Ui::quiet();
        assert!(matches!(quiet.out().to, To::Nowhere));
        assert!(matches!(quiet.status().to, To::Stderr));
        writeln!(quiet.out(), "never seen").unwrap();
    }

    #[test]
    fn a_reader_gone_is_told_apart_from_other_failures() {
        let gone = Ui::terminal().out().failed(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(reader_gone(&gone), "{gone:?}");
        let full = Ui::terminal().out().failed(std::io::Error::other("disk full"));
        assert!(!reader_gone(&full), "{full:?}");
        // A pipe to a command we started is not our reader.
        let child =
            crate::error::Error::io("stdin of sh")(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(!reader_gone(&child));
    }

    #[test]
    fn long_text_is_shortened_with_a_marker() {
        let long = "é".repeat(SHOWN_CHARS + 7);
        let short = shorten(&long);
        assert!(short.starts_with(&"é".repeat(SHOWN_CHARS)));
        assert!(short.ends_with("… [7 more characters; full text in --json and the postmortem]"), "{short}");
        assert_eq!(shorten("short"), "short");
    }
}

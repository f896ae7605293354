//! The one door out: [`Ui`], through which every command writes, data on stdout and what it
//! says about itself on stderr, each write made visible as it goes ([`crate::ui::visible`] and
//! its kin), and a reader that stops reading told apart from a failure.

use std::borrow::Cow;
use std::io::Write;

use crate::ui::{shorten, show, visible, visible_lines};

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

    /// An error told to a person on stderr: `lead` and its message, whole (it may quote a
    /// value from data: shown, never interpreted), then what to do next, a hint a line.
    pub fn explain(&self, lead: &str, e: &crate::error::Error) -> crate::error::Result<()> {
        writeln!(self.status().whole(), "{lead}{e}")?;
        e.hints().iter().try_for_each(|hint| writeln!(self.status().whole(), "hint: {hint}"))
    }
}

/// One write through a [`Ui`]; `write!`/`writeln!` return the crate's `Result`. What is
/// written is made visible as it goes out: by default the text is one line (its own line
/// breaks and control characters shown as `␊`, `␛`, …), shortened to [`crate::ui::SHOWN_CHARS`]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::SHOWN_CHARS;

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
}

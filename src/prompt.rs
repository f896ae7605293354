//! Questions on a terminal, the one door every command asks through. A typed answer is a
//! line, and Enter confirms it: the terminal's own line editing (backspace, Ctrl-U) works,
//! nothing acts on a single keypress, so no Enter is left behind for the next question. A
//! choice from a numbered list ([`pick`], [`pick_one`], [`pick_many`]) is typed too, by name or
//! number: an arrow-key menu acted on its highlighted entry when someone typed another's
//! name and Enter. Every question has the same way out: the input closing (Ctrl-D) is an
//! answer of its own, `None`, which callers treat as "leave".
//!
//! Questions go to stderr (stdout may carry `--json`), answers come from stdin.

use std::io::{BufRead, Write};

use crate::error::{Error, InputError, Noun, Result, Unknown};
use crate::out::Ui;
use crate::ui;

/// Asks `question` and reads one line, without its line ending. `None` when the input closed
/// (Ctrl-D on an empty line, or stdin ended).
pub fn line(question: &str) -> Result<Option<String>> {
    ask(question);
    answer()
}

/// Shows the question, on stderr, where the answer will be typed.
fn ask(question: &str) {
    let mut err = std::io::stderr().lock();
    // A question that cannot be shown still has an answer worth reading.
    let _ = write!(err, "{question} ");
    let _ = err.flush();
}

/// [`line()`] for a question a person may sit on for a while (the walk's menu): until a line
/// comes, `tick` runs about once a second, and each line it returns is shown on a line of its
/// own, on `ui`'s stdout, the question asked again below. What was typed meanwhile stays in
/// the terminal's line (it is read whole with the Enter that ends it), so no key is lost.
pub fn line_waiting(
    ui: &Ui,
    question: &str,
    mut tick: impl FnMut() -> Result<Vec<String>>,
) -> Result<Option<String>> {
    ask(question);
    while !stdin_ready(1000) {
        let said = tick()?;
        if said.is_empty() {
            continue;
        }
        // The question line is left as it is; what is said starts below it.
        let _ = writeln!(std::io::stderr());
        for l in said {
            writeln!(ui.out(), "{l}")?;
        }
        ask(question);
    }
    answer()
}

/// Whether stdin has something to read (a whole line on a terminal, or its end) within
/// `wait_ms`. A stdin that cannot be polled is taken as ready: the read then waits as
/// [`line()`] does.
fn stdin_ready(wait_ms: i32) -> bool {
    let mut fds = [libc::pollfd { fd: libc::STDIN_FILENO, events: libc::POLLIN, revents: 0 }];
    // SAFETY: `fds` is a live array of one pollfd for the duration of the call.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, wait_ms) };
    match ready {
        0 => false,
        n if n > 0 => true,
        // Interrupted by a signal: wait again.
        _ => std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted,
    }
}

/// Reads the answer to the question shown: one line, without its line ending; `None` when
/// the input closed. On a terminal a read returns at most one line, so nothing typed after it
/// waits in a buffer where polling stdin would not see it.
fn answer() -> Result<Option<String>> {
    let mut err = std::io::stderr().lock();
    let mut bytes = Vec::new();
    let read = std::io::stdin().lock().read_until(b'\n', &mut bytes);
    match read {
        Ok(0) => {
            // The terminal did not echo a newline for Ctrl-D: what follows starts a line.
            let _ = writeln!(err);
            Ok(None)
        }
        Ok(_) => {
            if !bytes.ends_with(b"\n") {
                let _ = writeln!(err);
            }
            let text = String::from_utf8_lossy(&bytes);
            Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(None),
        Err(e) => Err(Error::io("<stdin>")(e)),
    }
}

/// What a yes/no answer means: `y`, `yes`, `n`, `no` in any case; an empty line is the
/// default, no. `None` for anything else.
pub fn parse_yes_no(answer: &str) -> Option<bool> {
    match answer.trim().to_lowercase().as_str() {
        "y" | "yes" => Some(true),
        "" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// A yes/no question, default no; asked again, with one line saying why, until the answer is
/// one. `None` when the input closed.
pub fn yes_no(question: &str) -> Result<Option<bool>> {
    loop {
        let Some(answer) = line(&format!("{question} [y/N]"))? else {
            return Ok(None);
        };
        match parse_yes_no(&answer) {
            Some(yes) => return Ok(Some(yes)),
            None => {
                writeln!(
                    Ui::terminal().status(),
                    "{:?} is not an answer: type y or n, then Enter",
                    answer.trim()
                )?;
            }
        }
    }
}

/// A question with a default (shown in brackets, taken on an empty line) whose answer must
/// parse; a bad answer is refused with its one-line reason and the question asked again.
/// `None` when the input closed.
pub fn parsed<T>(
    question: &str,
    default: &str,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<T>> {
    loop {
        let Some(answer) = line(&format!("{question} [{default}]"))? else {
            return Ok(None);
        };
        match parse(answer.trim()) {
            Ok(value) => return Ok(Some(value)),
            Err(reason) => {
                writeln!(Ui::terminal().status(), "{reason}")?;
            }
        }
    }
}

/// How many answers that name nothing listed a pick reads before it gives up: a person
/// gets there after a typo or two, a script feeding a terminal would loop for ever.
const PICK_TRIES: usize = 5;

/// Shows `items` (each an id and what it is, maybe nothing) under `question`, numbered from 1;
/// each line made visible whole, as they come from the repository's files.
fn list_numbered(ui: &Ui, question: &str, items: &[(String, String)]) -> Result<()> {
    writeln!(ui.status(), "{question}:")?;
    for (n, (id, what)) in items.iter().enumerate() {
        let line = format!("{}. {id}  {what}", n + 1);
        writeln!(ui.status(), "  {}", ui::show(line.trim_end()))?;
    }
    Ok(())
}

/// Asks `prompt` until `read` takes the line typed (trimmed), at most [`PICK_TRIES`] times,
/// saying in one line why each refused answer was refused. `Some(Err(last answer))` when
/// every try was refused; `None` when the input closed.
fn ask_listed<T>(
    ui: &Ui,
    prompt: &str,
    read: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<std::result::Result<T, String>>> {
    let mut answer = String::new();
    for _ in 0..PICK_TRIES {
        let Some(typed) = line(prompt)? else { return Ok(None) };
        answer = typed.trim().to_string();
        match read(&answer) {
            Ok(taken) => return Ok(Some(Ok(taken))),
            Err(why) => writeln!(ui.status(), "{why}")?,
        }
    }
    Ok(Some(Err(answer)))
}

/// One of `items` (each an id and what it is), listed with numbers, then typed: its id (in
/// any case) or its number, and Enter. An empty line means `none` (the default, shown in
/// brackets): `Some(None)`. Anything else is named in one line and the question asked again,
/// at most [`PICK_TRIES`] times; then it is an unknown `noun`. `None` when the input closed.
pub fn pick(
    question: &str,
    noun: Noun,
    items: &[(String, String)],
    none: &str,
) -> Result<Option<Option<usize>>> {
    let ui = Ui::terminal();
    list_numbered(&ui, question, items)?;
    let read = |answer: &str| {
        match answer {
        "" => Ok(None),
        _ => picked(items, answer).map(Some).ok_or_else(|| {
            format!(
                "{answer:?} is not one listed: type an id, or a number from 1 to {}, or just Enter for {none}",
                items.len()
            )
        }),
    }
    };
    match ask_listed(&ui, &format!("{question} (id or number) [{none}]"), read)? {
        None => Ok(None),
        Some(Ok(taken)) => Ok(Some(taken)),
        Some(Err(answer)) => {
            let ids = items.iter().map(|(id, _)| id.clone()).collect();
            Err(Unknown::new(noun, answer, ids).into())
        }
    }
}

/// One of `items`, listed with numbers, then typed: its name (in any case) or its number, and
/// Enter. An empty line takes the item at `default` (shown in brackets). Anything not listed
/// is named in one line and the question asked again, at most [`PICK_TRIES`] times; then the
/// answer is refused naming `flag`, which gives it without a question. `None` when the input
/// closed.
pub fn pick_one(
    question: &str,
    items: &[(String, String)],
    default: usize,
    flag: &'static str,
) -> Result<Option<usize>> {
    let ui = Ui::terminal();
    list_numbered(&ui, question, items)?;
    let default_id = items.get(default).map_or("", |(id, _)| id.as_str());
    let read = |answer: &str| {
        match answer {
        "" => Ok(default),
        _ => picked(items, answer).ok_or_else(|| {
            format!(
                "{answer:?} is not one listed: type a name, or a number from 1 to {}, or just Enter for {default_id}",
                items.len()
            )
        }),
    }
    };
    match ask_listed(&ui, &format!("{question} (name or number) [{default_id}]"), read)? {
        None => Ok(None),
        Some(Ok(taken)) => Ok(Some(taken)),
        Some(Err(answer)) => Err(not_listed(answer, flag, items)),
    }
}

/// Any of `items`, listed with numbers, then typed on one line: names (in any case) or
/// numbers, separated by commas or spaces, and Enter; an empty line picks none. Their
/// indices, in the order typed, each once. An answer naming anything not listed is refused,
/// naming what, and the question asked again, at most [`PICK_TRIES`] times; then the answer
/// is refused naming `flag`. `None` when the input closed.
pub fn pick_many(
    question: &str,
    items: &[(String, String)],
    flag: &'static str,
) -> Result<Option<Vec<usize>>> {
    let ui = Ui::terminal();
    list_numbered(&ui, question, items)?;
    let read = |answer: &str| {
        picked_many(items, answer).map_err(|unlisted| {
            let unlisted: Vec<String> = unlisted.iter().map(|u| format!("{u:?}")).collect();
            let named = match unlisted.as_slice() {
                [one] => format!("{one} is"),
                many => format!("{} are", many.join(", ")),
            };
            format!(
                "{named} not listed: type names, or numbers from 1 to {}, or just Enter for none",
                items.len()
            )
        })
    };
    match ask_listed(&ui, &format!("{question} (names or numbers, by commas or spaces) [none]"), read)? {
        None => Ok(None),
        Some(Ok(taken)) => Ok(Some(taken)),
        Some(Err(answer)) => Err(not_listed(answer, flag, items)),
    }
}

/// The items a line names, by id or number, separated by commas or whitespace; each once, in
/// the order typed. The words naming nothing listed when there are any.
fn picked_many<'a>(
    items: &[(String, String)],
    answer: &'a str,
) -> std::result::Result<Vec<usize>, Vec<&'a str>> {
    let words = answer.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty());
    let mut chosen = Vec::new();
    let mut unlisted = Vec::new();
    for word in words {
        match picked(items, word) {
            Some(i) if !chosen.contains(&i) => chosen.push(i),
            Some(_) => {}
            None => unlisted.push(word),
        }
    }
    if unlisted.is_empty() { Ok(chosen) } else { Err(unlisted) }
}

/// The give-up of a pick: the last answer, and the flag that gives it without a question.
fn not_listed(given: String, flag: &'static str, items: &[(String, String)]) -> Error {
    let candidates = items.iter().map(|(id, _)| id.clone()).collect();
    InputError::NotListed { given, tries: PICK_TRIES, flag, candidates }.into()
}

/// The item `answer` names: by id, in any case, or by its number in the list (from 1).
fn picked(items: &[(String, String)], answer: &str) -> Option<usize> {
    if let Some(i) = items.iter().position(|(id, _)| id.eq_ignore_ascii_case(answer)) {
        return Some(i);
    }
    answer.parse::<usize>().ok().filter(|n| (1..=items.len()).contains(n)).map(|n| n - 1)
}

/// The error of a question whose input closed where an answer was needed (e.g. `open`'s
/// title, or confirming a command). [`is_closed`] recognises it, so a caller such as `walk`
/// can treat it as "leave".
pub fn closed() -> Error {
    InputError::InputClosed.into()
}

/// Whether `e` says the input closed where an answer was needed.
pub fn is_closed(e: &Error) -> bool {
    matches!(e, Error::Input(InputError::InputClosed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_no_in_full_or_by_initial_in_any_case_and_empty_means_no() {
        for yes in ["y", "Y", "yes", "YES", " Yes "] {
            assert_eq!(parse_yes_no(yes), Some(true), "{yes:?}");
        }
        for no in ["", "  ", "n", "N", "no", "No"] {
            assert_eq!(parse_yes_no(no), Some(false), "{no:?}");
        }
        for other in ["x", "ye", "yess", "nope", "d"] {
            assert_eq!(parse_yes_no(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_pick_is_an_id_in_any_case_or_a_number_from_one() {
        let items: Vec<(String, String)> =
            ["bad-deploy", "third-party"].iter().map(|id| (id.to_string(), String::new())).collect();
        assert_eq!(picked(&items, "third-party"), Some(1));
        assert_eq!(picked(&items, "Third-Party"), Some(1));
        assert_eq!(picked(&items, "1"), Some(0));
        assert_eq!(picked(&items, "2"), Some(1));
        for other in ["0", "3", "third", "bad-deploy2", "-1"] {
            assert_eq!(picked(&items, other), None, "{other:?}");
        }
    }

    #[test]
    fn many_picks_are_ids_or_numbers_by_commas_or_spaces_each_once_in_the_order_typed() {
        let items: Vec<(String, String)> =
            ["checkout", "search", "web"].iter().map(|id| (id.to_string(), String::new())).collect();
        assert_eq!(picked_many(&items, ""), Ok(vec![]));
        assert_eq!(picked_many(&items, "checkout, search"), Ok(vec![0, 1]));
        assert_eq!(picked_many(&items, "3 Checkout,search  web"), Ok(vec![2, 0, 1]));
        assert_eq!(picked_many(&items, "web,3,,WEB"), Ok(vec![2]));
        assert_eq!(picked_many(&items, "checkout serch 4"), Err(vec!["serch", "4"]));
    }

    #[test]
    fn closed_input_is_recognised() {
        assert!(is_closed(&closed()));
        assert!(!is_closed(&InputError::Empty { what: "note" }.into()));
    }
}

//! The output as it streams, kept with bounded memory (a head, a tail, and a count of the
//! dropped middle), and masked where the cut went through a line or a private key block
//! before the whole is redacted.

use std::collections::VecDeque;
use std::sync::OnceLock;

use regex::Regex;

use super::{HEAD_CAP, TAIL_CAP};
use crate::redact::{MASK, redact};
use crate::ui::{ceil_char_boundary, floor_char_boundary};

/// The output of a command as it streams: the first [`HEAD_CAP`] bytes, the last
/// [`TAIL_CAP`] bytes (a ring), and how many bytes there were in all. Memory stays bounded
/// whatever is pushed; [`Capture::finish`] makes the text to log. Pure, so it can be fuzzed.
#[derive(Debug, Default)]
pub struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

impl Capture {
    pub fn new() -> Capture {
        Capture { head: Vec::with_capacity(HEAD_CAP), tail: VecDeque::with_capacity(TAIL_CAP), total: 0 }
    }

    /// Bytes pushed so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes held now: never more than [`OUTPUT_CAP`](super::OUTPUT_CAP).
    pub fn held(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.total = self.total.saturating_add(chunk.len() as u64);
        let room = HEAD_CAP - self.head.len();
        let (to_head, rest) = chunk.split_at(room.min(chunk.len()));
        self.head.extend_from_slice(to_head);
        // Only the last TAIL_CAP bytes of a chunk can matter.
        let rest = &rest[rest.len().saturating_sub(TAIL_CAP)..];
        let over = (self.tail.len() + rest.len()).saturating_sub(TAIL_CAP);
        self.tail.drain(..over);
        self.tail.extend(rest);
    }

    /// The text to log, and whether the middle was dropped. Head and tail are redacted each
    /// on its own (a secret cut in two is redacted on the side that keeps its label, and a
    /// private key cut in two is masked on both sides); the marker line between them says how
    /// many bytes were dropped, and is never taken for a secret's value.
    pub fn finish(self) -> (String, bool) {
        let Capture { head, tail, total } = self;
        let mut tail = Vec::from(tail);
        if total <= (head.len() + tail.len()) as u64 {
            let mut all = head;
            all.append(&mut tail);
            return (redact(&String::from_utf8_lossy(&all)), false);
        }
        let (head, head_whole) = cut_head(&head);
        let (tail, tail_whole) = cut_tail(&tail);
        let dropped = total - (head.len() + tail.len()) as u64;
        let head = String::from_utf8_lossy(head);
        let key_open = open_key(&head);
        let mut head = mask_open_key(&head);
        if !head_whole {
            head = mask_head_edge(&head);
        }
        let mut head = redact(&head);
        if !head.is_empty() && !head.ends_with('\n') {
            head.push('\n');
        }
        let mut tail = mask_closing_key(&String::from_utf8_lossy(tail), key_open);
        if !tail_whole {
            tail = mask_tail_edge(&tail);
        }
        let tail = redact(&tail);
        let marker = marker(dropped);
        // A label at the head's end (`password=`) could take the marker for its value when
        // the whole is redacted again on its way to the log: then the value is given as
        // masked, and failing that the head goes. The marker alone is always stable.
        let candidates = [
            format!("{head}{marker}{tail}"),
            format!("{head}{MASK}\n{marker}{tail}"),
            format!("{marker}{tail}"),
        ];
        let text = candidates.into_iter().find(|c| redact(c) == *c).unwrap_or(marker);
        (text, true)
    }
}

/// The line that stands for the dropped middle of the output.
pub fn marker(dropped: u64) -> String {
    format!("[… {dropped} bytes of output dropped …]\n")
}

/// The head up to its last line break when one is near its end, else up to its last whole
/// UTF-8 character: a line cut in two would show half a secret without its label. The flag
/// says whether it ends on a line break; when not, its last line is a piece of one the cut
/// went through ([`mask_head_edge`]).
fn cut_head(head: &[u8]) -> (&[u8], bool) {
    let near = head.len() - head.len() / 4;
    if let Some(i) = head.iter().rposition(|&b| b == b'\n').filter(|&i| i >= near) {
        return (&head[..=i], true);
    }
    match std::str::from_utf8(head) {
        Err(e) if e.error_len().is_none() => (&head[..e.valid_up_to()], false),
        _ => (head, false),
    }
}

/// The tail from after its first line break when one is near its start, else from its first
/// whole UTF-8 character, flagged as starting mid-line ([`mask_tail_edge`]).
fn cut_tail(tail: &[u8]) -> (&[u8], bool) {
    let near = tail.len() / 4;
    if let Some(i) = tail.iter().position(|&b| b == b'\n').filter(|&i| i < near) {
        return (&tail[i + 1..], true);
    }
    let skip = tail.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
    (&tail[skip..], false)
}

/// How much of a line the cut went through is masked next to the cut, at least: a secret
/// whose label was dropped (`Authorization: Bearer` before the cut, the token after it) is
/// not recognisable, so what touches the cut is masked instead, through the end of the word
/// it reaches.
pub const EDGE_MASK: usize = 256;

/// The most the edge mask takes when the word it reaches is long: a line of minified JSON is
/// one "word", and masking it whole would leave nothing of the line.
pub const EDGE_MASK_MAX: usize = 1024;

/// The head's last line, cut mid-way: its last [`EDGE_MASK`] bytes (back to the start of
/// the word there, not past the line's start, at most [`EDGE_MASK_MAX`]) become the mask.
pub(super) fn mask_head_edge(head: &str) -> String {
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let start = floor_char_boundary(head, head.len().saturating_sub(EDGE_MASK).max(line_start));
    // Back to the start of the word the window begins in.
    let before = head.get(line_start..start).unwrap_or_default();
    let start = match before.char_indices().rev().find(|(_, c)| c.is_whitespace()) {
        Some((i, blank)) => line_start + i + blank.len_utf8(),
        None => line_start,
    };
    let start = ceil_char_boundary(head, start.max(head.len().saturating_sub(EDGE_MASK_MAX)));
    // Were `start` not a boundary, the whole head would be masked: more, never less.
    format!("{}{MASK}", head.get(..start).unwrap_or_default())
}

/// The tail's first line, cut mid-way: its first [`EDGE_MASK`] bytes (on to the end of the
/// word there, not past the line's end, at most [`EDGE_MASK_MAX`]) become the mask.
fn mask_tail_edge(tail: &str) -> String {
    let line_end = tail.find('\n').unwrap_or(tail.len());
    let end = ceil_char_boundary(tail, EDGE_MASK.min(line_end));
    // On to the end of the word the window ends in.
    let after = tail.get(end..line_end).unwrap_or_default();
    let end = after.find(char::is_whitespace).map_or(line_end, |i| end + i);
    let end = floor_char_boundary(tail, end.min(EDGE_MASK_MAX.max(EDGE_MASK)));
    format!("{MASK}{}", tail.get(end..).unwrap_or_default())
}

/// A line of a private key block's body: base64, or a PEM header (`Proc-Type: …`,
/// `DEK-Info: …`), or the blank line after the headers.
pub(super) fn key_body(line: &str) -> bool {
    let line = line.trim_end();
    line.is_empty()
        || line.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        || line
            .split_once(": ")
            .is_some_and(|(name, _)| name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-'))
}

/// The line that opens a private key block (`-----BEGIN … PRIVATE KEY-----`), as redaction
/// knows it.
pub(super) fn key_begin() -> &'static Regex {
    static BEGIN: OnceLock<Regex> = OnceLock::new();
    built_in(&BEGIN, crate::redact::KEY_BEGIN)
}

/// The line that closes a private key block, as redaction knows it.
pub(super) fn key_end() -> &'static Regex {
    static END: OnceLock<Regex> = OnceLock::new();
    built_in(&END, crate::redact::KEY_END)
}

/// A built-in pattern, compiled once.
fn built_in(cell: &'static OnceLock<Regex>, source: &'static str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(source).unwrap_or_else(|e| panic!("built-in pattern {source:?}: {e}")))
}

/// A private key whose block the cut opened in the head and closed in the dropped middle:
/// masked from its first line to the head's end.
fn mask_open_key(head: &str) -> String {
    match open_key(head) {
        Some(start) => format!("{}{MASK}\n", head.get(..start).unwrap_or_default()),
        None => head.to_string(),
    }
}

/// Where the head's last private key block starts when it has no end line in the head: the
/// block runs on into the dropped middle, and maybe into the tail.
fn open_key(head: &str) -> Option<usize> {
    let begin = key_begin().find_iter(head).last()?;
    (!key_end().is_match(head.get(begin.end()..).unwrap_or_default())).then_some(begin.start())
}

/// A private key whose block runs into the tail from the dropped middle: masked from the
/// tail's start to its closing line. With no closing line, when the head opened a block
/// (`key_open`), the key lines the tail starts with ([`key_body`]) are masked: the block may
/// run to the end without its end line.
fn mask_closing_key(tail: &str, key_open: Option<usize>) -> String {
    if let Some(end) = key_end().find(tail) {
        if key_begin().is_match(tail.get(..end.start()).unwrap_or_default()) {
            return tail.to_string();
        }
        return format!("{MASK}{}", tail.get(end.end()..).unwrap_or_default());
    }
    if key_open.is_none() {
        return tail.to_string();
    }
    let mut rest = tail;
    while let Some(line) = rest.split_inclusive('\n').next().filter(|l| key_body(l)) {
        rest = rest.get(line.len()..).unwrap_or_default();
    }
    if rest.len() == tail.len() { tail.to_string() } else { format!("{MASK}\n{rest}") }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::string_slice,
        reason = "slices of fixed test texts: a panic here fails the test, no user's text reaches it"
    )]
    use super::*;
    use crate::runner::OUTPUT_CAP;

    /// Regression: the runner's key lines were its own narrower patterns, so a PGP block
    /// (`-----BEGIN PGP PRIVATE KEY BLOCK-----`), which redaction masks, was logged in clear
    /// when the output's cut went through it. One definition now, in `redact`.
    #[test]
    fn a_pgp_key_block_opened_before_the_cut_is_masked_as_redaction_masks_it() {
        let head = "start\n-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0AAAAAAAAAAAAAAAAAAAAAAAAA\n";
        let masked = mask_open_key(head);
        assert!(!masked.contains("lQOYBF0"), "{masked}");
        assert!(masked.starts_with("start\n"), "{masked}");
        let tail = "AAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PGP PRIVATE KEY BLOCK-----\nend\n";
        let masked = mask_closing_key(tail, Some(0));
        assert!(!masked.contains("AAAAAAAA") && masked.ends_with("end\n"), "{masked}");
        assert!(crate::redact::redact(head).contains("[REDACTED]"));
    }

    fn captured(chunks: &[&[u8]]) -> (String, bool) {
        let mut c = Capture::new();
        for ch in chunks {
            c.push(ch);
            assert!(c.held() <= OUTPUT_CAP);
        }
        c.finish()
    }

    #[test]
    fn small_output_is_kept_whole_and_redacted() {
        let (text, cut) = captured(&[b"ok\npassword=hunter2\n"]);
        assert_eq!(text, "ok\npassword=[REDACTED]\n");
        assert!(!cut);
    }

    #[test]
    fn large_output_keeps_head_and_tail_and_counts_the_middle() {
        let line = b"y\n".repeat(1_000_000);
        let (text, cut) = captured(&[&line, b"last line\n"]);
        assert!(cut);
        assert!(text.starts_with("y\ny\n"), "{}", &text[..20]);
        assert!(text.ends_with("y\nlast line\n"), "{}", &text[text.len() - 20..]);
        assert!(text.len() <= OUTPUT_CAP + 64, "{}", text.len());
        let dropped: u64 = text
            .split("[… ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a marker");
        // Nothing redacted here: what is kept and what is dropped make up the whole.
        assert_eq!(text.len() - marker(dropped).len() + usize::try_from(dropped).unwrap(), 2_000_010);
    }

    #[test]
    fn a_label_at_the_cut_does_not_eat_the_marker() {
        // Regression: `password=` ending the head took the marker line for its value.
        let mut head = b"x".repeat(HEAD_CAP - 11);
        head.extend_from_slice(b"\npassword=\n");
        let (text, cut) = captured(&[&head, &b"z".repeat(3 * OUTPUT_CAP), b"\ntail\n"]);
        assert!(cut);
        // The marker survives whole, right after the label (or after a `[REDACTED]` line put
        // there when redaction would take the next line for the label's value).
        assert!(text.contains("password=\n[… ") || text.contains("password=\n[REDACTED]\n[… "), "{text}");
        assert_eq!(redact(&text), text);
    }

    #[test]
    fn a_private_key_cut_in_two_is_masked_on_both_sides() {
        let mut out = b"start\n-----BEGIN OPENSSH PRIVATE KEY-----\n".to_vec();
        for _ in 0..2000 {
            out.extend_from_slice(
                b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n",
            );
        }
        out.extend_from_slice(b"-----END OPENSSH PRIVATE KEY-----\nend\n");
        let (text, cut) = captured(&[&out]);
        assert!(cut);
        assert!(!text.contains("b3BlbnNzaC1rZXk"), "{text}");
        assert!(text.starts_with("start\n") && text.ends_with("end\n"), "{text}");
    }

    /// Regression (found by the `output` fuzz target, whose check took the output's own
    /// `[… ` for the marker): output may imitate the marker, and the real one, with the true
    /// count, still stands at the seam.
    #[test]
    fn output_imitating_the_marker_keeps_the_real_one() {
        let forged = "[… ".repeat(6000);
        let (text, cut) = captured(&[forged.as_bytes()]);
        assert!(cut);
        // The forged text has no line break: the one before the marker is the capture's.
        let real = Regex::new(r"\n\[… (\d+) bytes of output dropped …\]\n").unwrap();
        let found: Vec<_> = real.captures_iter(&text).collect();
        assert_eq!(found.len(), 1, "{text}");
        let dropped: usize = found[0][1].parse().unwrap();
        // What the cut kept, before the edges next to it were masked, is the rest.
        assert!((forged.len() - OUTPUT_CAP..forged.len()).contains(&dropped), "{dropped}");
    }

    /// Regression (QA): a private key block with no end line, opened in the head and running
    /// through the dropped middle into the tail, had its tail lines logged in clear.
    #[test]
    fn an_unclosed_key_running_into_the_tail_is_masked_there_too() {
        let mut out: String = (1..=190).map(|i| format!("pre {i}\n")).collect();
        out.push_str("-----BEGIN RSA PRIVATE KEY-----\n");
        out.extend((1..=600).map(|i| format!("TUlJRXBBSUJBQUtDQVFFQXNlY3JldGxpbmUx{i}QUJD\n")));
        out.push_str("tail plain\n");
        let (text, cut) = captured(&[out.as_bytes()]);
        assert!(cut);
        assert!(!text.contains("TUlJRXBB"), "{}", &text[text.len() - 300..]);
        assert!(text.ends_with(&format!("{MASK}\ntail plain\n")), "{}", &text[text.len() - 300..]);
        // Without a key opened in the head, lines like these in the tail are kept.
        let plain: String = (1..=2000).map(|i| format!("QUJDREVGR0hJSktMTU5PUFFSU1RV{i}\n")).collect();
        let (text, _) = captured(&[plain.as_bytes()]);
        assert!(text.ends_with("QUJDREVGR0hJSktMTU5PUFFSU1RV2000\n"), "{}", &text[text.len() - 100..]);
    }

    /// Regression (QA): a line the cut went through kept the part beyond the cut whole, so a
    /// token whose `Bearer` label was dropped, or a token cut at the head's end, was logged.
    #[test]
    fn a_secret_the_cut_goes_through_is_masked_on_both_sides() {
        let tail_token = "ZQXtailedge0123456789";
        let line = format!("{}Authorization: Bearer {tail_token}{}", "C".repeat(30_000), "D".repeat(8_170));
        let (text, cut) = captured(&[line.as_bytes()]);
        assert!(cut && !text.contains("ZQXtailedge"), "{text:.300}");
        // The token cut at the head's end, and a JWT whose start was dropped.
        let head_token = "ghp_ZQXb1234567890abcdefghijklmnopqrstuv";
        let line = format!("{}{head_token}{}", "A".repeat(HEAD_CAP - 21), "B".repeat(40_000));
        let (text, _) = captured(&[line.as_bytes()]);
        assert!(!text.contains("ZQXb123"), "{:.300}", &text[text.len().min(HEAD_CAP - 300)..]);
        let jwt_tail = "eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let line = format!("{}eyJhbGciOiJIUzI1NiJ9.{jwt_tail}{}", "E".repeat(30_000), " F".repeat(4_000));
        let (text, _) = captured(&[line.as_bytes()]);
        assert!(!text.contains("SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV"), "{text:.300}");
        // One long "word" (minified JSON) keeps all but the last EDGE_MASK_MAX bytes of it.
        let json = format!("{{\"k\":\"{}\"}}", "v".repeat(100_000));
        let (text, _) = captured(&[json.as_bytes()]);
        assert!(text.contains(&"v".repeat(HEAD_CAP - EDGE_MASK_MAX - 16)), "{text:.100}");
        // Regression, found by fuzzing: a blank of several bytes (U+2000) before the window.
        let line = format!("{}{}", "\u{2000}x".repeat(4_000), "y".repeat(20_000));
        let (text, _) = captured(&[line.as_bytes()]);
        assert!(text.contains(MASK), "{text:.100}");
        // Lines the cut did not go through are kept whole.
        let lines: String = (0..3_000).map(|i| format!("line {i}\n")).collect();
        let (text, cut) = captured(&[lines.as_bytes()]);
        assert!(cut && !text.contains(MASK) && text.ends_with("line 2999\n"), "{text:.300}");
    }

    #[test]
    fn utf8_cut_mid_character_is_not_mangled() {
        let (text, cut) = captured(&["é".repeat(OUTPUT_CAP).as_bytes()]);
        assert!(cut);
        assert!(!text.contains('\u{fffd}'), "{text}");
    }

    #[test]
    fn chunk_boundaries_do_not_matter() {
        let data: Vec<u8> = (0..100_000u32).map(|i| b'a' + u8::try_from(i % 26).unwrap_or(0)).collect();
        let whole = captured(&[&data]);
        let pieces: Vec<&[u8]> = data.chunks(777).collect();
        assert_eq!(captured(&pieces), whole);
    }
}

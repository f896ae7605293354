//! A command's output shown on a terminal as it arrives, line by line: a remediation that
//! runs for minutes is not a silent one. What is shown is held to the same rules as what is
//! logged: each line redacted and made visible before it is printed, a private key
//! block masked from its first line to its last, and the amount bounded: the first
//! [`LIVE_LINES`] lines, each cut at [`LINE_BYTES`], then one line saying the rest is held
//! back (the caller shows the end once the command ends). Pure, so it is tested without a
//! terminal.

use crate::redact::{MASK, redact};

/// Lines shown as they come; past them, output is only captured.
pub const LIVE_LINES: usize = 200;
/// The longest line shown live; the rest of it is dropped (its edge masked, as at the cut of
/// the logged output).
pub const LINE_BYTES: usize = 2048;

/// The line shown once `LIVE_LINES` lines have been.
pub const HELD_BACK: &str = "[… more output; its end is shown when the command ends …]";

#[derive(Debug, Default)]
pub struct Live {
    /// The line being read, up to [`LINE_BYTES`].
    line: Vec<u8>,
    /// Bytes of the current line past [`LINE_BYTES`], dropped.
    long: usize,
    /// Inside a private key block: its lines are not shown.
    in_key: bool,
    shown: usize,
    held_back: bool,
}

impl Live {
    pub fn new() -> Live {
        Live::default()
    }

    /// Takes the next piece of output; returns the lines to show now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            let (bytes, ends) = match piece.strip_suffix(b"\n") {
                Some(bytes) => (bytes, true),
                None => (piece, false),
            };
            let room = LINE_BYTES.saturating_sub(self.line.len());
            self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
            self.long += bytes.len().saturating_sub(room);
            if ends {
                self.end_line(&mut out);
            }
        }
        out
    }

    /// The last line, when the output did not end with a line break.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.line.is_empty() || self.long > 0 {
            self.end_line(&mut out);
        }
        out
    }

    /// Whether lines were held back (the caller then shows the end of the output).
    pub fn held_back(&self) -> bool {
        self.held_back
    }

    fn end_line(&mut self, out: &mut Vec<String>) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        let long = std::mem::take(&mut self.long);
        if self.in_key && (super::capture::key_end().is_match(&line) || super::capture::key_body(&line)) {
            // Still the key: its end line ends it.
            self.in_key = !super::capture::key_end().is_match(&line);
            return;
        }
        // A line that is not key material ends a block whose end line never came.
        self.in_key = false;
        let shown = if let Some(begin) = super::capture::key_begin().find(&line) {
            // A match's bounds are character boundaries (a regex on a `str`); the fallbacks,
            // never taken, would mask more, not less.
            self.in_key = !super::capture::key_end().is_match(line.get(begin.end()..).unwrap_or_default());
            format!("{}{MASK}", line.get(..begin.start()).unwrap_or_default())
        } else if long > 0 {
            // Cut: what touches the cut may be a secret whose label is on the kept side.
            format!("{} … [{long} more bytes of this line]", super::capture::mask_head_edge(&line))
        } else {
            line
        };
        if self.shown < LIVE_LINES {
            self.shown += 1;
            out.push(crate::ui::visible(&redact(&shown)).into_owned());
        } else if !self.held_back {
            self.held_back = true;
            out.push(HELD_BACK.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::string_slice,
        reason = "slices of fixed test texts: a panic here fails the test, no user's text reaches it"
    )]
    use super::*;

    fn shown(chunks: &[&[u8]]) -> (Vec<String>, bool) {
        let mut live = Live::new();
        let mut out: Vec<String> = chunks.iter().flat_map(|c| live.push(c)).collect();
        out.extend(live.finish());
        (out, live.held_back())
    }

    #[test]
    fn lines_come_whole_redacted_and_visible_whatever_the_chunks() {
        let text = b"rolling out web\npassword=hunter2xyz\n\x1b[2Jdone";
        let whole = shown(&[text]);
        assert_eq!(whole.0, ["rolling out web", "password=[REDACTED]", "␛[2Jdone"]);
        let bytewise: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(shown(&bytewise), whole);
    }

    #[test]
    fn a_private_key_block_is_masked_from_its_first_line_to_its_last() {
        let text = b"before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQUFBQUFBQUFBQUFBQUFB\n-----END OPENSSH PRIVATE KEY-----\nafter\n";
        let (out, _) = shown(&[text]);
        assert_eq!(out, ["before", MASK, "after"]);
        // Cut short: the key's lines stay hidden; the first line that is not one is shown.
        let (out, _) = shown(&[
            b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMIIEow\nMIIEow\ntail plain\n",
        ]);
        assert_eq!(out, [MASK, "tail plain"]);
    }

    #[test]
    fn output_is_bounded_in_lines_and_in_line_length() {
        let many: String = (0..LIVE_LINES + 50).map(|i| format!("line {i}\n")).collect();
        let (out, held) = shown(&[many.as_bytes()]);
        assert!(held);
        assert_eq!(out.len(), LIVE_LINES + 1);
        assert_eq!(out.last().map(String::as_str), Some(HELD_BACK));
        let long = format!("{}Bearer ZQXlive0123456789{}\n", "a ".repeat(1_010), "b".repeat(100_000));
        let (out, _) = shown(&[long.as_bytes()]);
        assert_eq!(out.len(), 1);
        let more = format!(" … [{} more bytes of this line]", long.len() - 1 - LINE_BYTES);
        assert!(out[0].len() < LINE_BYTES + 64 && out[0].ends_with(&more), "{}", out[0]);
        assert!(!out[0].contains("ZQXlive"), "{}", &out[0][out[0].len() - 80..]);
        // One long word (minified JSON) is shown, but for its last bytes next to the cut.
        let json = format!("{{\"k\":\"{}\"}}\n", "v".repeat(10_000));
        let (out, _) = shown(&[json.as_bytes()]);
        assert!(
            out[0].starts_with(&format!(
                "{{\"k\":\"{}",
                "v".repeat(LINE_BYTES - super::super::capture::EDGE_MASK_MAX - 8)
            )),
            "{}",
            out[0]
        );
    }
}

//! Runs a step's command: `sh -c COMMAND` with the incident's data only in the environment,
//! never spliced into the command text. Command output comes from production and is hostile
//! by assumption, so:
//!
//! - output is read while it streams, with bounded memory whatever its size: a [`Capture`]
//!   keeps the first [`HEAD_CAP`] and the last [`TAIL_CAP`] bytes of stdout and stderr
//!   (interleaved as they arrive) and drops the middle, which a marker line counts;
//! - the command runs in a process group of its own, killed as a whole (SIGTERM, then SIGKILL
//!   after [`KILL_GRACE`]) when the step's timeout passes, so nothing it started outlives it;
//! - Ctrl-C (SIGINT) while it runs ends the command, not the tool: the group is killed the
//!   same way, and the caller logs the command as interrupted.

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use regex::Regex;

mod live;
pub use live::{HELD_BACK, Live};

use crate::redact::{MASK, redact};
use crate::state::Incident;

/// Output kept per command (before redaction): the first half and the last half of it.
/// 16 KiB is enough for an error and its context, and small enough for the log.
pub const OUTPUT_CAP: usize = 16 * 1024;
/// Bytes kept from the start of the output.
pub const HEAD_CAP: usize = OUTPUT_CAP / 2;
/// Bytes kept from the end of the output.
pub const TAIL_CAP: usize = OUTPUT_CAP - HEAD_CAP;
/// How long a killed command has between SIGTERM and SIGKILL to clean up.
pub const KILL_GRACE: Duration = Duration::from_secs(2);
/// How long output is still read after `sh` exited, from what it left running in the
/// background with our pipes open. Past that the tool stops reading and leaves them be.
pub const DRAIN_GRACE: Duration = Duration::from_millis(500);
/// The longest the loop waits for output before looking at the clock, the child and Ctrl-C.
const TICK_MS: i32 = 50;

/// What running a command gave.
#[derive(Debug)]
pub struct Ran {
    /// `None` when it was killed (by a signal, at its timeout, or on Ctrl-C).
    pub exit_code: Option<i32>,
    /// Stdout and stderr interleaved, redacted, the middle dropped past [`OUTPUT_CAP`].
    pub output: String,
    /// Whether bytes were dropped; the marker in `output` says how many.
    pub truncated: bool,
    pub duration_ms: u64,
    /// Killed at the step's timeout.
    pub timed_out: bool,
    /// Killed because the responder pressed Ctrl-C, or the tool was asked to stop.
    pub interrupted: bool,
    /// When the tool was asked to stop (`SIGTERM`, `SIGHUP`) rather than Ctrl-C pressed: the
    /// caller logs the command, then stops too.
    pub signal: Option<&'static str>,
}

/// Runs `command` in `repo_root` with the incident's data in its environment, for at most
/// `timeout` (at least a second); `live` sees the output as it arrives ([`bounded_live`]).
pub fn run(
    command: &str,
    inc: &Incident,
    repo_root: &Path,
    timeout: Duration,
    live: Option<&mut Sink<'_>>,
) -> std::io::Result<Ran> {
    let mut cmd = shell(command, repo_root);
    with_incident(&mut cmd, [&inc.id, &inc.title, &inc.severity], &inc.services, repo_root);
    bounded_live(cmd, None, timeout.max(Duration::from_secs(1)), live)
}

/// `sh -c COMMAND` in `dir`: the one way the tool starts a command from a runbook or a
/// config. The command text is the user's; data goes in the environment ([`with_incident`]).
pub fn shell(command: &str, dir: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(dir);
    cmd
}

/// The incident's variables, the same for every command the tool starts: `INCIDENT_ID`,
/// `INCIDENT_TITLE`, `INCIDENT_SEVERITY` (`[id, title, severity]`), `INCIDENT_SERVICES`
/// (comma-separated) and `INCIDENT_REPO`.
pub fn with_incident(
    cmd: &mut Command,
    [id, title, severity]: [&str; 3],
    services: &[String],
    repo_root: &Path,
) {
    cmd.env("INCIDENT_ID", id)
        .env("INCIDENT_TITLE", title)
        .env("INCIDENT_SEVERITY", severity)
        .env("INCIDENT_SERVICES", services.join(","))
        .env("INCIDENT_REPO", repo_root);
}

/// Runs `cmd` with `input` on its stdin (else nothing), its stdout and stderr captured with
/// bounded memory, in a process group of its own killed as a whole at `timeout` or on
/// Ctrl-C. Never waits on a pipe something the command left running still holds open.
pub fn bounded(cmd: Command, input: Option<Vec<u8>>, timeout: Duration) -> std::io::Result<Ran> {
    bounded_live(cmd, input, timeout, None)
}

/// What sees a command's output as it arrives: each piece, as read.
pub type Sink<'a> = dyn FnMut(&[u8]) + 'a;

/// [`bounded`], and each piece of output handed to `live` as it arrives (a terminal shows it
/// through [`Live`]), so a long command is not a silent one.
pub fn bounded_live(
    mut cmd: Command,
    input: Option<Vec<u8>>,
    timeout: Duration,
    live: Option<&mut Sink<'_>>,
) -> std::io::Result<Ran> {
    // Before the spawn, so that a Ctrl-C at any moment of the command is ours to handle.
    let sigint = Interrupt::catch();
    let start = Instant::now();
    let mut child = cmd
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group: the timeout and Ctrl-C kill everything it started, and the
        // terminal's Ctrl-C reaches the tool, which decides.
        .process_group(0)
        .spawn()?;
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        // Its own thread: a command that reads nothing must not block us on a full pipe. A
        // broken pipe (it exited without reading) is not a failure: the tool ignores SIGPIPE,
        // as Rust programs do, so the write fails with EPIPE; the thread ends when the group
        // is gone and the pipe with it. (The command itself starts with SIGPIPE's default:
        // std restores it in every child.)
        std::thread::spawn(move || {
            let _ = std::io::Write::write_all(&mut stdin, &input);
        });
    }
    let group = libc::pid_t::try_from(child.id()).unwrap_or(0);
    let mut pipes = Pipes::new(child.stdout.take(), child.stderr.take());
    let mut capture = Reading { capture: Capture::new(), live };
    let deadline = start + timeout;
    let (stop, exited) = match watch(&mut child, &mut pipes, &mut capture, &sigint, deadline) {
        Ok(seen) => seen,
        Err(e) => {
            // Whatever went wrong reading, nothing of the command is left running.
            let _ = kill_group(group, &mut child, &mut pipes, &mut capture);
            return Err(e);
        }
    };
    let status = match (stop, exited) {
        (None, Some(status)) => status,
        _ => kill_group(group, &mut child, &mut pipes, &mut capture)?,
    };
    drop(sigint);
    let (output, truncated) = capture.capture.finish();
    Ok(Ran {
        exit_code: if stop.is_some() { None } else { status.code() },
        output,
        truncated,
        duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        timed_out: stop == Some(Stop::TimedOut),
        interrupted: matches!(stop, Some(Stop::Interrupted(_))),
        signal: match stop {
            Some(Stop::Interrupted(signal)) => signal_name(signal),
            _ => None,
        },
    })
}

/// How a command ended, in words, one place for every view (timeline, walk, postmortem):
/// `exit 3`, `timed out after 5s`, `interrupted (Ctrl-C)`, `interrupted (SIGTERM to
/// incident)`, `killed by a signal`. `signal`: the one the tool received, when it was not
/// Ctrl-C.
pub fn ending(
    exit_code: Option<i32>,
    timed_out_s: Option<u64>,
    interrupted: bool,
    signal: Option<&str>,
) -> String {
    match (exit_code, timed_out_s, interrupted) {
        (Some(c), _, _) => format!("exit {c}"),
        (None, Some(s), _) => {
            format!("timed out after {}", crate::timefmt::human(i64::try_from(s).unwrap_or(i64::MAX)))
        }
        (None, None, true) => match signal {
            Some(signal) => format!("interrupted ({signal} to incident)"),
            None => "interrupted (Ctrl-C)".to_string(),
        },
        (None, None, false) => "killed by a signal".to_string(),
    }
}

/// Reads the output until the shell exited and its output ended (or [`DRAIN_GRACE`] passed
/// since it exited), the deadline passed, or Ctrl-C was pressed. Bounded by the deadline:
/// each turn waits at most [`TICK_MS`].
fn watch(
    child: &mut Child,
    pipes: &mut Pipes,
    capture: &mut Reading<'_, '_>,
    sigint: &Interrupt,
    deadline: Instant,
) -> std::io::Result<(Option<Stop>, Option<ExitStatus>)> {
    let mut exited: Option<(ExitStatus, Instant)> = None;
    loop {
        if exited.is_none()
            && let Some(status) = child.try_wait()?
        {
            exited = Some((status, Instant::now()));
        }
        match exited {
            Some((status, _)) if !pipes.open() => return Ok((None, Some(status))),
            Some((status, at)) if at.elapsed() >= DRAIN_GRACE => return Ok((None, Some(status))),
            _ => {}
        }
        if let Some(signal) = sigint.fired() {
            return Ok((Some(Stop::Interrupted(signal)), exited.map(|e| e.0)));
        }
        if Instant::now() >= deadline {
            return Ok((Some(Stop::TimedOut), exited.map(|e| e.0)));
        }
        pipes.pump(capture, TICK_MS)?;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    TimedOut,
    /// By one of [`CAUGHT`].
    Interrupted(libc::c_int),
}

/// SIGTERM to the whole group, output still read meanwhile; SIGKILL to what is left after
/// [`KILL_GRACE`]. Returns the shell's status once it is reaped.
fn kill_group(
    group: libc::pid_t,
    child: &mut Child,
    pipes: &mut Pipes,
    capture: &mut Reading<'_, '_>,
) -> std::io::Result<ExitStatus> {
    signal_group(group, libc::SIGTERM);
    let until = Instant::now() + KILL_GRACE;
    let mut status = None;
    // Bounded by KILL_GRACE: each turn waits at most TICK_MS.
    while Instant::now() < until {
        if status.is_none() {
            status = child.try_wait()?;
        }
        if status.is_some() && !group_alive(group) {
            break;
        }
        pipes.pump(capture, TICK_MS)?;
    }
    if group_alive(group) {
        signal_group(group, libc::SIGKILL);
    }
    match status {
        Some(s) => Ok(s),
        None => child.wait(),
    }
}

fn signal_group(group: libc::pid_t, signal: libc::c_int) {
    if group > 0 {
        // SAFETY: kill(2) with a negative pid signals that process group; it touches no memory.
        unsafe {
            libc::kill(-group, signal);
        }
    }
}

/// Whether any process of the group still runs. A member that died but is not yet reaped
/// (the command's own children are reparented to init, which reaps when it gets to it) does
/// not count: where `/proc` can be read, the group's members are looked at one by one.
fn group_alive(group: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    if group <= 0 || unsafe { libc::kill(-group, 0) } != 0 {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.filter_map(|e| e.ok()).any(|e| {
        let name = e.file_name();
        if !name.to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())) {
            return false;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let pgrp = fields.nth(1).and_then(|p| p.parse::<libc::pid_t>().ok());
        pgrp == Some(group) && !matches!(state, "Z" | "X")
    })
}

/// Where output goes as it is read: the bounded capture that is logged, and a live view.
struct Reading<'a, 'b> {
    capture: Capture,
    live: Option<&'a mut Sink<'b>>,
}

impl Reading<'_, '_> {
    fn push(&mut self, chunk: &[u8]) {
        self.capture.push(chunk);
        if let Some(live) = self.live.as_mut() {
            live(chunk);
        }
    }
}

/// The command's stdout and stderr, read as data arrives on either.
struct Pipes {
    out: Option<ChildStdout>,
    err: Option<ChildStderr>,
    buf: Vec<u8>,
}

impl Pipes {
    fn new(out: Option<ChildStdout>, err: Option<ChildStderr>) -> Pipes {
        Pipes { out, err, buf: vec![0; 64 * 1024] }
    }

    fn open(&self) -> bool {
        self.out.is_some() || self.err.is_some()
    }

    /// Waits up to `wait_ms` for output, then reads what is there into `capture`; a pipe at
    /// its end is closed. A signal (Ctrl-C) ends the wait early.
    fn pump(&mut self, capture: &mut Reading<'_, '_>, wait_ms: i32) -> std::io::Result<()> {
        let mut fds: Vec<libc::pollfd> =
            [self.out.as_ref().map(AsRawFd::as_raw_fd), self.err.as_ref().map(AsRawFd::as_raw_fd)]
                .into_iter()
                .flatten()
                .map(|fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 })
                .collect();
        if fds.is_empty() {
            std::thread::sleep(Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)));
            return Ok(());
        }
        let n = libc::nfds_t::try_from(fds.len()).unwrap_or(0);
        // SAFETY: `fds` is a live array of `n` pollfd structs for the duration of the call.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), n, wait_ms) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::Interrupted { Ok(()) } else { Err(e) };
        }
        for pfd in fds.iter().filter(|p| p.revents != 0) {
            if self.out.as_ref().is_some_and(|o| o.as_raw_fd() == pfd.fd) {
                if read_some(self.out.as_mut(), &mut self.buf, capture)? == 0 {
                    self.out = None;
                }
            } else if self.err.as_ref().is_some_and(|e| e.as_raw_fd() == pfd.fd)
                && read_some(self.err.as_mut(), &mut self.buf, capture)? == 0
            {
                self.err = None;
            }
        }
        Ok(())
    }
}

/// One read from a pipe poll found ready (so it does not block); 0 at its end.
fn read_some(
    pipe: Option<&mut impl Read>,
    buf: &mut [u8],
    capture: &mut Reading<'_, '_>,
) -> std::io::Result<usize> {
    let Some(pipe) = pipe else { return Ok(0) };
    match pipe.read(buf) {
        Ok(n) => {
            capture.push(&buf[..n]);
            Ok(n)
        }
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(1),
        Err(e) => Err(e),
    }
}

/// The signals that end a running command rather than the tool: Ctrl-C, and the two that
/// ask the tool itself to stop (a closed terminal, `kill`). The command runs in a process
/// group of its own, which neither a hangup nor a `kill` of the tool reaches; left alone it
/// would outlive the tool, unlogged.
const CAUGHT: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The last of [`CAUGHT`] received while a command runs; 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    RECEIVED.store(signal, Ordering::SeqCst);
}

/// [`CAUGHT`] caught for as long as this lives; the dispositions before it are put back on
/// drop, so between commands Ctrl-C ends the tool as usual.
struct Interrupt {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl Interrupt {
    fn catch() -> Interrupt {
        RECEIVED.store(0, Ordering::SeqCst);
        let mut previous = Vec::new();
        for signal in CAUGHT {
            // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler
            // only stores to an atomic, which is async-signal-safe; `old` receives the old
            // action.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::sigemptyset(&raw mut action.sa_mask);
                // No SA_RESTART: poll returns at once (EINTR), and the loop looks at the flag.
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &raw const action, &raw mut old) == 0 {
                    previous.push((signal, old));
                }
            }
        }
        Interrupt { previous }
    }

    /// The signal received, if one was.
    fn fired(&self) -> Option<libc::c_int> {
        Some(RECEIVED.load(Ordering::SeqCst)).filter(|s| *s != 0)
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        for (signal, previous) in &self.previous {
            // SAFETY: restores the action saved by `catch`.
            unsafe {
                libc::sigaction(*signal, previous, std::ptr::null_mut());
            }
        }
    }
}

/// The name a signal that stopped a command is logged under; Ctrl-C has none (the log's
/// `interrupted` alone has always meant it).
fn signal_name(signal: libc::c_int) -> Option<&'static str> {
    match signal {
        libc::SIGTERM => Some("SIGTERM"),
        libc::SIGHUP => Some("SIGHUP"),
        _ => None,
    }
}

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

    /// Bytes held now: never more than [`OUTPUT_CAP`].
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
fn mask_head_edge(head: &str) -> String {
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let mut start = head.len().saturating_sub(EDGE_MASK).max(line_start);
    while !head.is_char_boundary(start) {
        start -= 1;
    }
    // Back to the start of the word the window begins in.
    start = match head[line_start..start].char_indices().rev().find(|(_, c)| c.is_whitespace()) {
        Some((i, blank)) => line_start + i + blank.len_utf8(),
        None => line_start,
    };
    let mut start = start.max(head.len().saturating_sub(EDGE_MASK_MAX));
    while !head.is_char_boundary(start) {
        start += 1;
    }
    format!("{}{MASK}", &head[..start])
}

/// The tail's first line, cut mid-way: its first [`EDGE_MASK`] bytes (on to the end of the
/// word there, not past the line's end, at most [`EDGE_MASK_MAX`]) become the mask.
fn mask_tail_edge(tail: &str) -> String {
    let line_end = tail.find('\n').unwrap_or(tail.len());
    let mut end = EDGE_MASK.min(line_end);
    while !tail.is_char_boundary(end) {
        end += 1;
    }
    // On to the end of the word the window ends in.
    end = tail[end..line_end].find(char::is_whitespace).map_or(line_end, |i| end + i);
    let mut end = end.min(EDGE_MASK_MAX.max(EDGE_MASK));
    while !tail.is_char_boundary(end) {
        end -= 1;
    }
    format!("{MASK}{}", &tail[end..])
}

/// A line of a private key block's body: base64, or a PEM header (`Proc-Type: …`,
/// `DEK-Info: …`), or the blank line after the headers.
fn key_body(line: &str) -> bool {
    let line = line.trim_end();
    line.is_empty()
        || line.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        || line
            .split_once(": ")
            .is_some_and(|(name, _)| name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-'))
}

fn key_line(begin: bool) -> &'static Regex {
    static BEGIN: OnceLock<Regex> = OnceLock::new();
    static END: OnceLock<Regex> = OnceLock::new();
    let (cell, source) =
        if begin { (&BEGIN, crate::redact::KEY_BEGIN) } else { (&END, crate::redact::KEY_END) };
    cell.get_or_init(|| Regex::new(source).unwrap_or_else(|e| panic!("built-in pattern {source:?}: {e}")))
}

/// A private key whose block the cut opened in the head and closed in the dropped middle:
/// masked from its first line to the head's end.
fn mask_open_key(head: &str) -> String {
    match open_key(head) {
        Some(start) => format!("{}{MASK}\n", &head[..start]),
        None => head.to_string(),
    }
}

/// Where the head's last private key block starts when it has no end line in the head: the
/// block runs on into the dropped middle, and maybe into the tail.
fn open_key(head: &str) -> Option<usize> {
    let begin = key_line(true).find_iter(head).last()?;
    (!key_line(false).is_match(&head[begin.end()..])).then_some(begin.start())
}

/// A private key whose block runs into the tail from the dropped middle: masked from the
/// tail's start to its closing line. With no closing line, when the head opened a block
/// (`key_open`), the key lines the tail starts with ([`key_body`]) are masked: the block may
/// run to the end without its end line.
fn mask_closing_key(tail: &str, key_open: Option<usize>) -> String {
    if let Some(end) = key_line(false).find(tail) {
        if key_line(true).is_match(&tail[..end.start()]) {
            return tail.to_string();
        }
        return format!("{MASK}{}", &tail[end.end()..]);
    }
    if key_open.is_none() {
        return tail.to_string();
    }
    let mut rest = tail;
    while let Some(line) = rest.split_inclusive('\n').next().filter(|l| key_body(l)) {
        rest = &rest[line.len()..];
    }
    if rest.len() == tail.len() { tail.to_string() } else { format!("{MASK}\n{rest}") }
}

#[cfg(test)]
mod tests {
    use super::*;

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

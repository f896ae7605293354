//! The command as a process: spawned in a process group of its own, its pipes read as data
//! arrives, the group killed as a whole (SIGTERM, then SIGKILL) at the timeout, on Ctrl-C, or
//! when the tool is asked to stop; the signals caught only while it runs.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use super::{Capture, DRAIN_GRACE, KILL_GRACE, Ran, Sink};

/// The longest the loop waits for output before looking at the clock, the child and Ctrl-C.
const TICK_MS: i32 = 50;

/// [`bounded`](super::bounded), and each piece of output handed to `live` as it arrives (a terminal shows it
/// through [`Live`](super::Live)), so a long command is not a silent one.
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
/// drop, so between commands Ctrl-C ends the tool as usual. `ingest --listen` holds one for as
/// long as it serves: a signal there stops the server once the request in flight is answered.
pub struct Interrupt {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl Interrupt {
    pub fn catch() -> Interrupt {
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
    pub fn fired(&self) -> Option<libc::c_int> {
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

//! ShellCheck on every command a linted file holds (a step's `run`, a channel's
//! `deliver.command`), each finding placed on the character of the YAML file it is about.
//!
//! The commands are written to files in a temporary folder and checked in batches (many
//! files per `shellcheck` process, as many processes as cores): ShellCheck's start-up costs
//! more than a short script, so one process per command would be many times slower. Each
//! process is bounded in time and in output, and whatever goes wrong with it (not
//! installed, hung, crashed, unreadable output) is one line said to the user, never a panic
//! or a hang: the other rules' findings stand.
//!
//! The commands run under `sh -c` with variables the tool sets (`INCIDENT_*`, and `UPDATE_*`
//! for a delivery). ShellCheck is asked to report every unassigned variable, uppercase ones
//! included, so that a misspelt `$INCIDENT_SERVCE` is caught; what is kept of those
//! (SC2154) is a lowercase name (ShellCheck's own default) or a name in the tool's namespaces
//! that the tool does not set. Other uppercase names are the environment's (`KUBECONFIG`),
//! and are left alone as ShellCheck leaves them by default.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{Context, Doc, Finding, commands, find_rule, finding};
use crate::error::{Result, SystemError};

/// The rule's row in the table: its findings come from the pass over every file at the end
/// ([`check`]), not from a look at one file.
pub struct FromShellcheck;

impl super::Rule for FromShellcheck {}

/// The rule every ShellCheck finding is reported under.
pub const RULE: &str = "shellcheck";

/// The program looked for on `PATH`.
const PROGRAM: &str = "shellcheck";

/// Scripts per `shellcheck` process at most: enough that start-up is a small share of the
/// work, few enough that the batches spread over the cores and one slow batch is not most of
/// the run.
const BATCH: usize = 200;

/// The most output read from one process: far more than its findings on [`BATCH`] scripts.
const OUTPUT_CAP: usize = 16 * 1024 * 1024;

/// The time one process is given: a base, plus this much per script it checks. ShellCheck
/// takes a few milliseconds per runbook command; these leave room for a loaded machine.
const BASE_TIMEOUT: Duration = Duration::from_secs(30);
const PER_SCRIPT: Duration = Duration::from_millis(250);

/// Seconds each `shellcheck` process is given in all, instead of the default (for a machine
/// much slower than usual, and for the tests of a hung ShellCheck).
pub const TIMEOUT_ENV: &str = "INCIDENT_SHELLCHECK_TIMEOUT";

/// `--shellcheck`: whether ShellCheck runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Never.
    Off,
    /// When it is installed; when it is not, say so and lint the rest.
    #[default]
    Auto,
    /// Always: exit 2 when it is not installed (for CI).
    Require,
}

/// `--shellcheck-level`: the least severe of ShellCheck's findings reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Level {
    Error,
    #[default]
    Warning,
    Info,
    Style,
}

impl Level {
    fn flag(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Style => "style",
        }
    }
}

/// What this lint does about ShellCheck, settled once before any file is read.
#[derive(Debug, Clone, Default)]
pub enum Settings {
    /// `--shellcheck off`, or a lint that only looks for errors (loading a file).
    #[default]
    Off,
    /// `auto`, and it is not installed: said once, when there are commands it would check.
    Missing,
    Run {
        program: PathBuf,
        level: Level,
        /// `require`: a ShellCheck that fails is an error, not a note.
        required: bool,
        timeout: Option<Duration>,
    },
}

impl Settings {
    /// The settings for `--shellcheck MODE --shellcheck-level LEVEL`, with `shellcheck` looked
    /// for on `PATH`. `require` without it is an error.
    pub fn new(mode: Mode, level: Level) -> Result<Settings> {
        if mode == Mode::Off {
            return Ok(Settings::Off);
        }
        let timeout = std::env::var(TIMEOUT_ENV).ok().and_then(|s| s.trim().parse::<f64>().ok());
        // At most a day: a larger number (or `1e20`) is not a limit anyone means, and would
        // overflow the clock's arithmetic.
        let timeout = timeout
            .filter(|s| s.is_finite() && *s > 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(|d| d.min(Duration::from_secs(86_400)));
        match (find_program(), mode) {
            (Some(program), _) => {
                Ok(Settings::Run { program, level, required: mode == Mode::Require, timeout })
            }
            (None, Mode::Require) => Err(SystemError::ShellcheckMissing.into()),
            (None, _) => Ok(Settings::Missing),
        }
    }
}

/// What the user is told about ShellCheck apart from findings (on stderr, and as a SARIF run
/// notification): it is not installed, or a run of it failed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    pub message: String,
    /// A failure under `--shellcheck require`: the lint must not pass as if it had checked.
    pub fatal: bool,
}

/// The note when ShellCheck is not installed.
pub const MISSING: &str = "shellcheck is not installed: the commands in runbooks were not checked (install it, or pass --shellcheck off)";

/// `shellcheck` on `PATH`: the first executable file of that name.
fn find_program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(PROGRAM)).find(|c| super::programs::executable(c))
}

/// Whether the ShellCheck pass wants `doc` kept until it runs: it is on, and `doc` holds a
/// command.
pub fn wants(doc: &Doc, cx: &Context) -> bool {
    !matches!(cx.shellcheck, Settings::Off) && !cx.disabled.contains(RULE) && !commands::of(doc).is_empty()
}

/// ShellCheck's findings on every command of `docs`, placed in their files; and what the user
/// must be told besides.
pub fn check(docs: &[Doc], cx: &Context, found: &mut Vec<Finding>, notes: &mut Vec<Note>) {
    let Some(rule) = find_rule(RULE) else { return };
    let (program, level, required, timeout) = match &cx.shellcheck {
        Settings::Off => return,
        _ if docs.is_empty() || cx.disabled.contains(RULE) => return,
        Settings::Missing => {
            notes.push(Note { message: MISSING.to_string(), fatal: false });
            return;
        }
        Settings::Run { program, level, required, timeout } => (program, *level, *required, *timeout),
    };
    let fail = |message: String| Note { message, fatal: required };
    let dir = match scratch_dir() {
        Ok(dir) => dir,
        Err(e) => {
            notes.push(fail(format!("shellcheck was not run: cannot make a temporary folder: {e}")));
            return;
        }
    };
    // Each script's file is named after its document and command: `D_C.sh`.
    let mut names = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        for (c, cmd) in commands::of(doc).iter().enumerate() {
            let name = format!("{d}_{c}.sh");
            if let Err(e) = std::fs::write(dir.path().join(&name), cmd.script) {
                notes.push(fail(format!(
                    "shellcheck was not run: cannot write {}: {e}",
                    dir.path().display()
                )));
                return;
            }
            names.push(name);
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let size = names.len().div_ceil(cores).clamp(1, BATCH);
    let batches: Vec<&[String]> = names.chunks(size).collect();
    let next = AtomicUsize::new(0);
    let results: Vec<Vec<(Batch, usize)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores.min(batches.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some(batch) = batches.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let limit = timeout.unwrap_or(
                            BASE_TIMEOUT + PER_SCRIPT * batch.len().try_into().unwrap_or(u32::MAX),
                        );
                        mine.push((run_batch(program, level, dir.path(), batch, limit), batch.len()));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    // Failures alike (every batch timed out) are one line, with how many commands they left.
    let mut failed: Vec<(String, usize)> = Vec::new();
    for (result, batch) in results.into_iter().flatten() {
        match result {
            Ok(comments) => place(docs, rule, &comments, found),
            Err(what) => match failed.iter_mut().find(|(w, _)| *w == what) {
                Some((_, n)) => *n += batch,
                None => failed.push((what, batch)),
            },
        }
    }
    for (what, n) in failed {
        let left = if n == 1 { "1 command was".to_string() } else { format!("{n} commands were") };
        notes.push(fail(format!("{what}: {left} not checked")));
    }
    notes.sort();
    notes.dedup();
}

/// A private temporary folder for the scripts: in memory (`/dev/shm`) where there is one and
/// `TMPDIR` does not say otherwise. Thousands of small files made and removed on a disk cost
/// the file system's journal more than ShellCheck's own work on them (measured: lint with
/// ShellCheck on 2,000 runbooks took 18 s with the scripts under an ext4 /tmp, 11 s in
/// /dev/shm, against 10 s for ShellCheck alone).
fn scratch_dir() -> std::io::Result<tempfile::TempDir> {
    let builder = || {
        let mut b = tempfile::Builder::new();
        b.prefix("incident-shellcheck.");
        b
    };
    let shm = Path::new("/dev/shm");
    if std::env::var_os("TMPDIR").is_none()
        && shm.is_dir()
        && let Ok(dir) = builder().tempdir_in(shm)
    {
        return Ok(dir);
    }
    builder().tempdir()
}

/// One of ShellCheck's findings, as `-f json1` gives it (columns count a tab as one).
#[derive(Debug, Deserialize)]
struct Comment {
    file: String,
    line: usize,
    column: usize,
    code: u32,
    message: String,
}

/// What one batch gave: ShellCheck's findings, or what went wrong in a few words.
type Batch = std::result::Result<Vec<Comment>, String>;

#[derive(Debug, Deserialize)]
struct Report {
    comments: Vec<Comment>,
}

/// Each comment as a finding in its file, unless suppressed there or about a variable the
/// tool sets.
fn place(docs: &[Doc], rule: &'static super::Meta, comments: &[Comment], found: &mut Vec<Finding>) {
    // Each script's file is `D_C.sh`: its document and command. Grouped by them, so that a
    // document's commands are listed once and a command's map made once, however many
    // findings a (hostile) command has.
    let mut keyed: Vec<((usize, usize), &Comment)> = comments
        .iter()
        .filter_map(|comment| {
            let (d, c) = comment.file.strip_suffix(".sh")?.split_once('_')?;
            Some(((d.parse().ok()?, c.parse().ok()?), comment))
        })
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    for in_doc in keyed.chunk_by(|a, b| a.0.0 == b.0.0) {
        let Some(doc) = docs.get(in_doc[0].0.0) else { continue };
        let cmds = commands::of(doc);
        for in_cmd in in_doc.chunk_by(|a, b| a.0.1 == b.0.1) {
            let Some(cmd) = cmds.get(in_cmd[0].0.1) else { continue };
            let map = cmd.map(doc);
            for (_, comment) in in_cmd {
                let message = match comment.code {
                    2154 => match unassigned(&comment.message, cmd) {
                        Some(message) => message,
                        None => continue,
                    },
                    code => format!("SC{code}: {}", comment.message),
                };
                let pos = map.at_line_col(comment.line, comment.column);
                if !doc.suppress.covers(RULE, pos.line) {
                    found.push(finding(rule, doc, pos, message));
                }
            }
        }
    }
}

/// What to say of ShellCheck's "NAME is referenced but not assigned" (SC2154), or nothing:
/// kept for a lowercase name, and for a name in the tool's namespaces that it does not set
/// for this command (a typo); other uppercase names come from the environment.
fn unassigned(message: &str, cmd: &commands::Command<'_>) -> Option<String> {
    let name = message.split_whitespace().next()?;
    if name.chars().any(|c| c.is_ascii_lowercase()) {
        return Some(format!("SC2154: {message}"));
    }
    let ours = ["INCIDENT_", "UPDATE_"].iter().any(|p| name.starts_with(p));
    if !ours || cmd.sets(name) {
        return None;
    }
    let closest =
        cmd.env.iter().min_by_key(|known| distance(name, known)).filter(|known| distance(name, known) <= 3);
    Some(match closest {
        Some(known) => format!(
            "SC2154: {name} is referenced but not assigned: the tool does not set it (did you mean {known}?)"
        ),
        None => format!(
            "SC2154: {name} is referenced but not assigned: the tool does not set it (it sets {})",
            cmd.env.join(", ")
        ),
    })
}

/// Levenshtein distance, for "did you mean": names are short.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// One `shellcheck` process on `batch` (file names in `dir`): its findings, or what went wrong
/// in a few words.
fn run_batch(program: &Path, level: Level, dir: &Path, batch: &[String], limit: Duration) -> Batch {
    let mut cmd = Command::new(program);
    cmd.args([
        "-f",
        "json1",
        "-s",
        "sh",
        "--norc",
        "-S",
        level.flag(),
        "--enable=check-unassigned-uppercase",
        "--",
    ])
    .args(batch)
    .current_dir(dir)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    // Its own group, so that at the deadline whatever it started goes with it.
    .process_group(0);
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let (status, stdout, stderr) = match wait_bounded(&mut child, limit) {
        Ok(ran) => ran,
        Err(Stopped::TimedOut) => {
            return Err(format!("shellcheck did not finish within {}s", limit.as_secs_f64().ceil()));
        }
        Err(Stopped::TooMuch) => {
            return Err(format!("shellcheck wrote more than {} MiB", OUTPUT_CAP / (1024 * 1024)));
        }
        Err(Stopped::Io(e)) => return Err(format!("shellcheck: {e}")),
    };
    let said = || {
        let text = String::from_utf8_lossy(&stderr);
        let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        if line.is_empty() { String::new() } else { format!(": {}", crate::ui::visible(line)) }
    };
    // 0: nothing found; 1: findings. Anything else (2: a file it could not read, 3 and 4:
    // options it does not know, a signal) means the batch was not checked.
    match status.code() {
        Some(0 | 1) => {}
        Some(code) => return Err(format!("shellcheck failed (exit {code}){}", said())),
        None => return Err(format!("shellcheck was killed by a signal{}", said())),
    }
    serde_json::from_slice::<Report>(&stdout)
        .map(|r| r.comments)
        .map_err(|e| format!("shellcheck's output is not the JSON it should be ({e})"))
}

enum Stopped {
    TimedOut,
    TooMuch,
    Io(std::io::Error),
}

/// Waits for `child` until `limit`, reading its stdout and stderr (at most [`OUTPUT_CAP`]);
/// past either, its process group is killed and nothing is waited for again.
fn wait_bounded(
    child: &mut Child,
    limit: Duration,
) -> std::result::Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), Stopped> {
    let deadline = Instant::now() + limit;
    let (tx, rx) = mpsc::channel();
    for (i, pipe) in [
        child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
        child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    {
        let tx = tx.clone();
        // Detached: after a kill, a grandchild may hold the pipe open; nobody waits on it.
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let read = match pipe {
                Some(p) => p
                    .take(u64::try_from(OUTPUT_CAP).unwrap_or(u64::MAX) + 1)
                    .read_to_end(&mut bytes)
                    .map(|_| ()),
                None => Ok(()),
            };
            let _ = tx.send((i, read.map(|()| bytes)));
        });
    }
    drop(tx);
    let mut outputs: [Option<Vec<u8>>; 2] = [None, None];
    let outcome = loop {
        if outputs.iter().all(Option::is_some) {
            break Ok(());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, Ok(bytes))) if bytes.len() > OUTPUT_CAP => {
                let _ = i;
                break Err(Stopped::TooMuch);
            }
            Ok((i, Ok(bytes))) => outputs[i] = Some(bytes),
            Ok((_, Err(e))) => break Err(Stopped::Io(e)),
            Err(_) => break Err(Stopped::TimedOut),
        }
    };
    if let Err(stopped) = outcome {
        kill(child);
        return Err(stopped);
    }
    // Both pipes closed: it has exited, or is about to.
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let [out, err] = outputs;
                return Ok((status, out.unwrap_or_default(), err.unwrap_or_default()));
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                kill(child);
                return Err(Stopped::TimedOut);
            }
            Err(e) => {
                kill(child);
                return Err(Stopped::Io(e));
            }
        }
    }
}

/// SIGKILL to the child's process group, then reaps the child.
fn kill(child: &mut Child) {
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the child leads (it
        // was spawned with `process_group(0)`); it touches no memory of ours.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("INCIDENT_SERVCE", "INCIDENT_SERVICES"), 2);
        assert_eq!(distance("", "ab"), 2);
        assert_eq!(distance("abc", "abc"), 0);
    }
}

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

use std::path::Path;
use std::process::Command;
use std::time::Duration;

mod capture;
mod live;
mod process;
pub use capture::Capture;
pub use live::Live;
pub use process::{Interrupt, bounded_live};

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

/// `sh -c COMMAND` in `dir`: the one way the tool starts a command from a runbook or a
/// config. The command text is the user's; data goes in the environment ([`with_incident`]).
pub fn shell(command: &str, dir: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(dir);
    cmd
}

/// The variables every command the tool starts is given (see [`with_incident`]): what lint
/// knows to be set in a runbook's command.
pub const INCIDENT_VARS: [&str; 5] =
    ["INCIDENT_ID", "INCIDENT_TITLE", "INCIDENT_SEVERITY", "INCIDENT_SERVICES", "INCIDENT_REPO"];

/// The incident's variables, the same for every command the tool starts: `INCIDENT_ID`,
/// `INCIDENT_TITLE`, `INCIDENT_SEVERITY` (`[id, title, severity]`), `INCIDENT_SERVICES`
/// (comma-separated) and `INCIDENT_REPO`.
pub fn with_incident(
    cmd: &mut Command,
    [id, title, severity]: [&str; 3],
    services: &[String],
    repo_root: &Path,
) {
    let [id_var, title_var, severity_var, services_var, repo_var] = INCIDENT_VARS;
    cmd.env(id_var, id)
        .env(title_var, title)
        .env(severity_var, severity)
        .env(services_var, services.join(","))
        .env(repo_var, repo_root);
}

/// Runs `cmd` with `input` on its stdin (else nothing), its stdout and stderr captured with
/// bounded memory, in a process group of its own killed as a whole at `timeout` or on
/// Ctrl-C. Never waits on a pipe something the command left running still holds open.
pub fn bounded(cmd: Command, input: Option<Vec<u8>>, timeout: Duration) -> std::io::Result<Ran> {
    bounded_live(cmd, input, timeout, None)
}

/// What sees a command's output as it arrives: each piece, as read.
pub type Sink<'a> = dyn FnMut(&[u8]) + 'a;

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

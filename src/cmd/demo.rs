//! `incident demo`: the founding scenario replayed into a fresh repository. The story lives in
//! `demo/scenario.yaml`, as the commands the responders typed; the demo runs each of them
//! through the library with the clock fixed at the entry's time, so every figure in the
//! postmortem is reproducible. The lifecycle test replays the same file through the binary.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::Parser;
use serde::Deserialize;

use crate::cli::Cli;
use crate::error::{Error, FileError, Result, RunbookError, SystemError};
use crate::events::{Body, Event};
use crate::index;
use crate::load;
use crate::out::Ui;
use crate::postmortem;
use crate::runner;
use crate::timefmt::{self, hhmm};

/// The scenario, embedded so the demo needs nothing but the binary.
pub const SCENARIO: &str = include_str!("../../demo/scenario.yaml");
const SCENARIO_PATH: &str = "demo/scenario.yaml";

/// One thing a responder did, at a moment, as someone.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub by: String,
    pub what: What,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// An `incident` command line, without `incident`, `--as` or the entry's time.
    Args(Vec<String>),
    /// The recorded result of a runbook step's command, which a replay does not run.
    Ran(Ran),
    /// A customer or stakeholder update sent by hand.
    Update { channel: String, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ran {
    pub step: String,
    pub exit_code: i32,
    pub duration_ms: u64,
    pub output: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    date: NaiveDate,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    at: String,
    #[serde(rename = "as")]
    by: String,
    #[serde(flatten)]
    what: What,
}

fn bad(entry: usize, at: &str, message: impl std::fmt::Display) -> Error {
    SystemError::Scenario {
        place: format!("{SCENARIO_PATH}: entry {entry} ({at})"),
        message: message.to_string(),
    }
    .into()
}

/// Reads a scenario: its date, and entries whose `at` is `HH:MM` UTC on that date, in time
/// order (a replay's clock does not run backwards; a fact that happened earlier than it was
/// typed carries its own `--at`).
pub fn parse(text: &str) -> Result<Vec<Entry>> {
    let at = |pos: crate::yaml::Pos| format!("{SCENARIO_PATH}:{}:{}", pos.line, pos.col);
    let (root, problems) = crate::yaml::parse(text);
    if let Some(p) = problems.first() {
        return Err(SystemError::Scenario { place: at(p.pos), message: p.message.clone() }.into());
    }
    let Some(root) = root else {
        return Err(
            SystemError::Scenario { place: SCENARIO_PATH.into(), message: "no entries".into() }.into()
        );
    };
    let file: File = crate::model::from_untyped(&root)
        .map_err(|message| SystemError::Scenario { place: at(root.pos), message })?;
    let mut entries: Vec<Entry> = Vec::with_capacity(file.entries.len());
    for (i, raw) in file.entries.into_iter().enumerate() {
        let time = timefmt::parse_hhmm(&raw.at).ok_or_else(|| bad(i + 1, &raw.at, "`at` must be HH:MM"))?;
        let at = file.date.and_time(time).and_utc();
        if let Some(before) = entries.last().filter(|before| before.at > at) {
            let message = format!("comes before the entry above it ({})", hhmm(before.at));
            return Err(bad(i + 1, &raw.at, message));
        }
        entries.push(Entry { at, by: raw.by, what: raw.what });
    }
    Ok(entries)
}

/// Logs an entry that is not a command line (a recorded command result, an update) in the
/// repository at `root`, on the incident a command with no `--incident` would pick: the
/// same event, redacted, that `step run` or the update would have written at `entry.at`.
pub fn log_recorded(root: &Path, entry: &Entry) -> Result<()> {
    let repo = load::repo(root.to_path_buf())?;
    let id = index::resolve(&repo, None, &mut Vec::new())?;
    let body = match &entry.what {
        What::Args(args) => {
            let place = format!("{SCENARIO_PATH}: {} incident {}", hhmm(entry.at), args.join(" "));
            return Err(SystemError::Scenario {
                place,
                message: "a command line: replay it, do not log it".into(),
            }
            .into());
        }
        What::Ran(ran) => {
            let inc = index::load(&repo, &id)?.incident;
            inc.require_open()?;
            let rb = load::attached_runbook(&repo, &inc)?;
            let placed = rb.step(&ran.step)?;
            let command =
                placed.step.run.clone().ok_or_else(|| RunbookError::NoCommand { step: ran.step.clone() })?;
            if ran.output.len() > runner::OUTPUT_CAP {
                return Err(SystemError::Scenario {
                    place: format!("{SCENARIO_PATH}: step {}", ran.step),
                    message: format!(
                        "recorded output over {} bytes; `step run` would cut it",
                        runner::OUTPUT_CAP
                    ),
                }
                .into());
            }
            Body::Command {
                step: ran.step.clone(),
                command,
                exit_code: Some(ran.exit_code),
                output: ran.output.clone(),
                truncated: false,
                duration_ms: ran.duration_ms,
                runbook: Some(rb.id.clone()),
                timeout_s: None,
                timed_out: false,
                interrupted: false,
                signal: None,
                runbook_sha256: None,
            }
        }
        What::Update { channel, message } => {
            repo.config.check_channel(channel)?;
            Body::Update {
                channel: channel.clone(),
                message: message.clone(),
                status: None,
                eta: None,
                maintenance_status: None,
            }
        }
    };
    // A fresh replay has no torn line to warn about.
    index::append(&repo, &id, &[Event::new(body, &entry.by, entry.at, None)]).map(drop)
}

/// Replays one entry into the repository at `root`, the clock fixed at the entry's time.
fn replay(root: &Path, n: usize, entry: &Entry) -> Result<()> {
    let at = hhmm(entry.at);
    let What::Args(args) = &entry.what else {
        return log_recorded(root, entry).map_err(|e| bad(n, &at, e));
    };
    let what = format!("{at} incident {}", args.join(" "));
    let head: [&OsStr; 5] =
        ["incident".as_ref(), "--repo".as_ref(), root.as_os_str(), "--as".as_ref(), entry.by.as_ref()];
    let argv = head.into_iter().map(OsStr::to_os_string).chain(args.iter().map(OsString::from));
    let cli = Cli::try_parse_from(argv).map_err(|e| bad(n, &what, e.to_string().trim_end()))?;
    // What each replayed command says would bury the one line scripts read on stdout.
    match crate::run_at(cli, entry.at, Ui::quiet()).map_err(|e| bad(n, &what, e))? {
        0 => Ok(()),
        code => Err(bad(n, &what, format!("exit {code}"))),
    }
}

/// Replays the scenario into `output` (a new or empty folder), else into a new folder under
/// the system's temporary directory. Either way the repository is kept, to look around in,
/// and stderr says where it is.
pub fn run(ctx: &crate::ctx::Ctx, output: Option<PathBuf>) -> Result<u8> {
    let entries = parse(SCENARIO)?;
    if entries.is_empty() {
        return Err(
            SystemError::Scenario { place: SCENARIO_PATH.into(), message: "no entries".into() }.into()
        );
    }
    let root = match output {
        Some(dir) => {
            require_empty(&dir)?;
            dir
        }
        None => {
            let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
            std::env::temp_dir().join(format!("incident-demo-{}-{nanos}", std::process::id()))
        }
    };
    crate::starter::install(&root)?;
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let repo = load::repo(root.clone())?;
    // The demo commits as itself, so it works on a machine with no git identity.
    repo.set_identity("Incident Demo", "demo@incident.invalid")?;
    let starter: Vec<std::path::PathBuf> =
        crate::starter::files().into_iter().map(|(rel, _)| rel.into()).collect();
    repo.commit_if_changed(&starter, "incident: initialize repository", None)?;

    for (i, entry) in entries.iter().enumerate() {
        replay(&root, i + 1, entry)?;
    }

    let id = index::resolve(&repo, None, &mut Vec::new())?;
    let inc = index::load(&repo, &id)?.incident;
    // A fresh repository: no hand edits for anything to be added below.
    let (path, _) = postmortem::write(&repo, &inc, None, None)?;
    if let Some(oid) = postmortem::commit(&repo, &inc, None)? {
        let (subject, author) = repo.describe_commit(oid)?;
        let ui = ctx.ui;
        writeln!(ui.status(), "commit {oid}")?;
        writeln!(ui.status(), "Author: {author}")?;
        writeln!(ui.status())?;
        writeln!(ui.status(), "    {subject}")?;
        writeln!(ui.status())?;
    }
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    writeln!(
        ctx.ui.status(),
        "The demo repository is kept in {} (look around: `incident --repo {} list --all`; delete the folder when done)",
        root.display(),
        root.display()
    )?;
    if ctx.global.json {
        ctx.print_json(&serde_json::json!({ "postmortem": path, "repo": root }))?;
    } else {
        writeln!(ctx.ui.out().raw(), "{}", path.display())?;
    }
    Ok(0)
}

/// `--output DIR` must not mix the demo into files that are already there: DIR is missing
/// (it will be created) or an empty folder.
fn require_empty(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(FileError::NotEmpty { path: dir.to_path_buf() }.into()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        // A file, or a folder that cannot be listed: not a folder the demo can own.
        Err(_) if dir.exists() => Err(FileError::NotEmpty { path: dir.to_path_buf() }.into()),
        Err(source) => Err(FileError::CannotCreate { path: dir.to_path_buf(), source }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_scenario_reads() {
        let entries = parse(SCENARIO).unwrap();
        // The release that set it off comes first, recorded as a change; then the opening.
        assert!(matches!(&entries[0].what, What::Args(a) if a[..2] == ["change", "add"]), "{:?}", entries[0]);
        assert!(matches!(&entries[1].what, What::Args(a) if a[0] == "open"), "{:?}", entries[1]);
        assert!(entries.iter().any(|e| matches!(e.what, What::Ran(_))));
        assert!(entries.iter().any(|e| matches!(e.what, What::Update { .. })));
    }

    #[test]
    fn a_bad_entry_is_named() {
        let bad_time = "date: 2025-11-28\nentries:\n  - {at: 2pm, as: A, args: [log, x]}\n";
        let e = parse(bad_time).unwrap_err().to_string();
        assert!(e.starts_with("demo/scenario.yaml: entry 1 (2pm): `at` must be HH:MM"), "{e}");
        let backwards = "date: 2025-11-28\nentries:\n  - {at: '14:10', as: A, args: [log, x]}\n  - {at: '14:09', as: A, args: [log, y]}\n";
        let e = parse(backwards).unwrap_err().to_string();
        assert_eq!(e, "demo/scenario.yaml: entry 2 (14:09): comes before the entry above it (14:10)");
        let unknown = "date: 2025-11-28\nentries:\n  - {at: '14:10', as: A, typed: [log, x]}\n";
        assert!(parse(unknown).unwrap_err().to_string().starts_with("demo/scenario.yaml:"));
    }
}

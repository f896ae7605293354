//! The one error type of the tool. Each variant carries what went wrong as data (the
//! incident and its state, the unknown value and the ones that would do, the underlying
//! `io::Error` / `git2::Error` / `dialoguer::Error` as `source()`), and knows its exit code,
//! so `main` never has to guess and tests can match on what happened, not on prose.
//!
//! Exit codes: 2 is bad usage or bad input, anything the user can fix by changing what they
//! typed or wrote; 1 is "the command ran and could not finish": a failure of the machine
//! around it (I/O, git, starting a process). Decided here once, for every command.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::phase::Phase;
use crate::timefmt::rfc3339;

#[derive(Debug)]
pub enum Error {
    // ── The repository and choosing an incident ──────────────────────────────────────────
    /// No incident repository above the working directory.
    NoRepo {
        from: PathBuf,
    },
    /// `--repo` / `$INCIDENT_REPO` names a folder without `incident.yaml`.
    NotARepo {
        path: PathBuf,
    },
    /// An incident id or prefix that matches nothing.
    UnknownIncident {
        given: String,
        candidates: Vec<String>,
    },
    /// A prefix that matches several incidents (`given`), or several open ones (`None`).
    AmbiguousIncident {
        given: Option<String>,
        candidates: Vec<String>,
    },
    /// No incident given and none is open.
    NoOpenIncident,
    /// An incident id (`-i`, a positional id, or one read from a cache) that cannot be one:
    /// empty, or with characters other than lowercase letters, digits and `-` (`../x`, `a/b`).
    BadIncidentId {
        given: String,
    },
    /// A path of the repository that is, or passes through, a symlink: incident files are
    /// never read or written through one, so nothing lands outside the repository.
    Symlink {
        path: PathBuf,
    },
    /// An id given as the empty string (`-i ""`): a prefix of every id, so it names nothing.
    EmptyId {
        what: &'static str,
    },
    /// The incident is resolved or closed, and the command needs an open one.
    NotOpen {
        id: String,
        state: &'static str,
    },
    /// `close` on an incident that is not resolved yet.
    NotResolved {
        id: String,
    },
    /// `close` on an incident that is already closed.
    AlreadyClosed {
        id: String,
    },

    // ── Values that are not among the declared ones ──────────────────────────────────────
    UnknownSeverity {
        given: String,
        declared: Vec<String>,
    },
    /// `severity SEV` with the severity the incident already has.
    SameSeverity {
        id: String,
        severity: String,
    },
    UnknownService {
        given: String,
        declared: Vec<String>,
    },
    /// `broken` holds every runbook file that could not be read: the wanted one may be there.
    UnknownRunbook {
        given: String,
        known: Vec<String>,
        broken: Vec<Error>,
    },
    /// The incident has no runbook attached, and one is needed.
    NoRunbook {
        id: String,
        available: Vec<String>,
    },
    UnknownStep {
        given: String,
        runbook: String,
        steps: Vec<String>,
    },
    /// `--choice` with an answer the decision does not have.
    UnknownAnswer {
        step: String,
        given: String,
        answers: Vec<String>,
    },
    /// `--choice` on a step that is not a decision.
    NotADecision {
        step: String,
    },
    /// `step done` on a decision without `--choice`.
    AnswerNeeded {
        step: String,
        answers: Vec<String>,
    },
    /// `step fail --jump` on a step without `on_fail`.
    NoOnFail {
        step: String,
    },
    /// `step run` on a step without a `run` command.
    NoCommand {
        step: String,
    },
    UnknownPhase {
        given: String,
    },
    /// `phase next` in the last phase.
    LastPhase,
    AlreadyInPhase {
        id: String,
        phase: Phase,
    },
    /// An update for a channel `incident.yaml` does not declare.
    UnknownChannel {
        given: String,
        declared: Vec<String>,
    },
    /// `update --template NAME` with no such template in templates/comms/.
    UnknownTemplate {
        given: String,
        known: Vec<String>,
    },
    /// `lint --explain RULE` with an unknown rule.
    UnknownRule {
        given: String,
        known: Vec<String>,
    },

    // ── Facts that cannot be true ────────────────────────────────────────────────────────
    /// A key moment out of order with another (`other_is_opening`: the other one was not
    /// given and defaults to when the incident was opened).
    /// `relation` ("before" or "after") is where `milestone` would stand against `other`.
    MilestoneOrder {
        milestone: &'static str,
        at: DateTime<Utc>,
        relation: &'static str,
        other: &'static str,
        other_at: DateTime<Utc>,
        other_is_opening: bool,
    },
    /// A milestone marked again; the wrong one is amended instead.
    AlreadyMarked {
        milestone: &'static str,
        at: DateTime<Utc>,
        event: String,
    },
    /// An event id or prefix that matches no event of the incident (or several).
    UnknownEvent {
        given: String,
        incident: String,
    },
    AmbiguousEvent {
        given: String,
        candidates: Vec<String>,
    },
    /// An action id or prefix that matches no action item (of `incident`, when one was
    /// named; else of any incident).
    UnknownAction {
        given: String,
        incident: Option<String>,
    },
    /// An action id prefix that matches several action items (their ids).
    AmbiguousAction {
        given: String,
        candidates: Vec<String>,
    },
    /// `action done` / `action drop` on an action item already done or dropped.
    AlreadySettled {
        action: String,
        title: String,
        state: &'static str,
        at: Option<DateTime<Utc>>,
    },
    /// `amend --text` on an event without text, or an amend/retract of a correction.
    NotCorrectable {
        event: String,
        kind: &'static str,
        why: &'static str,
    },
    /// A name (`--as`, a role holder, an owner, a commander) that is empty or spans lines.
    BadName {
        flag: &'static str,
        value: String,
    },

    // ── Malformed input ──────────────────────────────────────────────────────────────────
    /// A time flag that cannot be read (`flag` is `--at`, `--started-at`, …).
    BadTime {
        flag: &'static str,
        value: String,
        reason: String,
    },
    /// A failing share outside 0–100 percent.
    BadShare {
        value: f64,
    },
    /// `--link` that is not an http(s) URL.
    BadLink {
        value: String,
    },
    /// A date flag that is not `YYYY-MM-DD`.
    BadDate {
        flag: &'static str,
        value: String,
    },
    /// A required argument is missing and nobody is at a terminal to ask.
    Missing {
        what: &'static str,
        example: &'static str,
    },
    /// A note, title or other text that is empty.
    Empty {
        what: &'static str,
    },
    /// A title longer than the limit, in characters after trimming: a title is a line,
    /// details go in the log.
    TitleTooLong {
        length: usize,
        limit: usize,
    },
    /// An event larger than one line of the log may be: every command reads the whole log,
    /// and the postmortem renders every note.
    EventTooLarge {
        kind: &'static str,
        bytes: usize,
        limit: usize,
    },
    /// A folder the user named (`init PATH`, `demo --output DIR`) that cannot be created,
    /// e.g. because its parent is a file.
    CannotCreate {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `demo --output DIR` with a DIR that exists and holds something (or is not a folder).
    NotEmpty {
        path: PathBuf,
    },
    /// `status-page --output` names a folder that holds the repository itself (its
    /// `incident.yaml` or `incidents/`), where the page's files would mix with the record.
    StatusPageOutput {
        path: PathBuf,
    },
    /// A file the user wrote (YAML, template) is malformed; `rule` is the lint rule that
    /// says so, and `more` how many other errors the file has.
    BadFile {
        path: PathBuf,
        line: usize,
        column: usize,
        rule: &'static str,
        message: String,
        more: usize,
    },
    /// A template failed to render; `message` walks the engine's error chain.
    Template {
        name: String,
        message: String,
    },
    /// A template was stopped at a limit on its work or its output: templates
    /// come from the repository, and a loop in one must not exhaust the machine.
    TemplateLimit {
        name: String,
        limit: TemplateLimit,
    },
    /// An incident's log without a readable `opened` event (`unreadable`: lines skipped).
    NoOpenedEvent {
        path: PathBuf,
        unreadable: usize,
    },
    /// Paths given to `lint` that do not exist.
    NoSuchPath {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `lint` with no paths outside an incident repository.
    NothingToLint,
    /// No git identity to commit or act with.
    NoIdentity,
    /// A decision the tool will not make on its own when nobody is at a terminal.
    NeedsTerminal {
        what: String,
        hint: &'static str,
    },
    /// The terminal prompt itself failed.
    Prompt(dialoguer::Error),
    /// The input closed (Ctrl-D) where an answer was needed.
    InputClosed,

    // ── Sharing through a git remote ─────────────────────────────────────────────────────
    /// git is in the middle of something a person started (`what`: "a merge", "a rebase"…);
    /// writing history now would bury it.
    UnfinishedGit {
        what: &'static str,
        hint: &'static str,
    },
    /// `sync` has no remote to talk to.
    NoRemote {
        branch: String,
    },
    /// `sync` needs a branch, and HEAD is detached.
    DetachedHead,
    /// The remote could not be reached or refused us (`doing`: fetching, pushing). Nothing
    /// local was lost; the next sync catches up.
    Remote {
        remote: String,
        doing: &'static str,
        message: String,
    },
    /// Both sides changed the same thing in a way only a person can merge: the merge is left
    /// in progress with both versions (`paths`, each with what conflicts).
    SyncConflict {
        merging: String,
        paths: Vec<(String, String)>,
    },
    /// A commit the remote brings holds a path no clone may write (`.git/hooks/…`, `..`, a
    /// symlink, a submodule): the sync refused it whole before writing anything, and local
    /// work goes on.
    RefusedCommit {
        commit: String,
        upstream: String,
        path: String,
        why: String,
    },
    /// A file the remote changes was changed here after the sync committed (a person editing
    /// during the sync): nothing was overwritten, and the merge was not committed.
    ChangedDuringSync {
        path: String,
    },
    /// The tool was asked to stop (SIGTERM, SIGHUP) while a step's command ran: the command's
    /// process group was killed and the command logged, and the tool stops rather than go on
    /// to the next question.
    Stopped {
        step: String,
        signal: &'static str,
    },
    /// Another sync held this clone for longer than a sync waits.
    SyncBusy {
        waited_s: u64,
    },
    /// `--watch` takes a duration like `30s`.
    BadInterval {
        given: String,
    },

    // ── The machine around the command ───────────────────────────────────────────────────
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A git operation failed; `doing` says which.
    Git {
        doing: String,
        source: git2::Error,
    },
    /// git's lock file `path` (`NAME.lock` beside what git changes) is there: another git
    /// command is changing the repository, or one was killed and left it behind.
    GitLocked {
        doing: String,
        path: PathBuf,
    },
    /// A process (a step's `sh -c`) could not be started.
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    /// Machine output could not be serialized.
    Json(serde_json::Error),
    /// An update was logged but its channel's target cannot be tried: the webhook URL names
    /// a `${VAR}` that is not set (`missing_var`), or `deliver:` gives neither or both of
    /// `webhook` and `command`. No attempt was made.
    Undeliverable {
        update: String,
        channel: String,
        missing_var: Option<String>,
    },
    /// The demo's embedded scenario could not be replayed: a defect of this build.
    Scenario {
        place: String,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which limit a template reached, with its figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateLimit {
    /// Its output passed this many bytes.
    Output { bytes: usize },
    /// It ran this many engine instructions (minijinja's fuel) without finishing.
    Work { instructions: u64 },
}

impl Error {
    /// 2 for bad usage or input, 1 for a command that ran and could not finish.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Io { .. }
            | Error::Git { .. }
            | Error::GitLocked { .. }
            | Error::Spawn { .. }
            | Error::Json(_)
            | Error::Undeliverable { .. }
            | Error::Remote { .. }
            | Error::SyncConflict { .. }
            | Error::ChangedDuringSync { .. }
            | Error::RefusedCommit { .. }
            | Error::Stopped { .. }
            | Error::SyncBusy { .. }
            | Error::Scenario { .. } => 1,
            _ => 2,
        }
    }

    /// The error as `--json` prints it: `{"error": {"message", "code", "kind"}}`,
    /// plus what a program needs to act on: a sync conflict's `paths` (`path`, `why`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut inner = serde_json::json!({
            "message": self.to_string(),
            "code": self.exit_code(),
            "kind": self.kind(),
        });
        if let Error::SyncConflict { paths, .. } = self {
            inner["paths"] =
                paths.iter().map(|(path, why)| serde_json::json!({"path": path, "why": why})).collect();
        }
        serde_json::json!({ "error": inner })
    }

    /// A stable, machine-readable name of the variant, for `--json` errors (`kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NoRepo { .. } => "no-repo",
            Error::NotARepo { .. } => "not-a-repo",
            Error::UnknownIncident { .. } => "unknown-incident",
            Error::AmbiguousIncident { .. } => "ambiguous-incident",
            Error::NoOpenIncident => "no-open-incident",
            Error::BadIncidentId { .. } => "bad-incident-id",
            Error::Symlink { .. } => "symlink",
            Error::EmptyId { .. } => "empty-id",
            Error::NotOpen { .. } => "not-open",
            Error::NotResolved { .. } => "not-resolved",
            Error::AlreadyClosed { .. } => "already-closed",
            Error::UnknownSeverity { .. } => "unknown-severity",
            Error::SameSeverity { .. } => "same-severity",
            Error::UnknownService { .. } => "unknown-service",
            Error::UnknownRunbook { .. } => "unknown-runbook",
            Error::NoRunbook { .. } => "no-runbook",
            Error::UnknownStep { .. } => "unknown-step",
            Error::UnknownAnswer { .. } => "unknown-answer",
            Error::NotADecision { .. } => "not-a-decision",
            Error::AnswerNeeded { .. } => "answer-needed",
            Error::NoOnFail { .. } => "no-on-fail",
            Error::NoCommand { .. } => "no-command",
            Error::UnknownPhase { .. } => "unknown-phase",
            Error::LastPhase => "last-phase",
            Error::AlreadyInPhase { .. } => "already-in-phase",
            Error::UnknownChannel { .. } => "unknown-channel",
            Error::UnknownTemplate { .. } => "unknown-template",
            Error::UnknownRule { .. } => "unknown-rule",
            Error::MilestoneOrder { .. } => "milestone-order",
            Error::AlreadyMarked { .. } => "already-marked",
            Error::UnknownEvent { .. } => "unknown-event",
            Error::AmbiguousEvent { .. } => "ambiguous-event",
            Error::UnknownAction { .. } => "unknown-action",
            Error::AmbiguousAction { .. } => "ambiguous-action",
            Error::AlreadySettled { .. } => "already-settled",
            Error::NotCorrectable { .. } => "not-correctable",
            Error::BadName { .. } => "bad-name",
            Error::BadTime { .. } => "bad-time",
            Error::BadShare { .. } => "bad-share",
            Error::BadDate { .. } => "bad-date",
            Error::BadLink { .. } => "bad-link",
            Error::Missing { .. } => "missing",
            Error::Empty { .. } => "empty",
            Error::TitleTooLong { .. } => "title-too-long",
            Error::EventTooLarge { .. } => "event-too-large",
            Error::CannotCreate { .. } => "cannot-create",
            Error::NotEmpty { .. } => "not-empty",
            Error::StatusPageOutput { .. } => "status-page-output",
            Error::BadFile { .. } => "bad-file",
            Error::Template { .. } => "template",
            Error::TemplateLimit { .. } => "template-limit",
            Error::NoOpenedEvent { .. } => "no-opened-event",
            Error::NoSuchPath { .. } => "no-such-path",
            Error::NothingToLint => "nothing-to-lint",
            Error::NoIdentity => "no-identity",
            Error::UnfinishedGit { .. } => "unfinished-git",
            Error::NoRemote { .. } => "no-remote",
            Error::DetachedHead => "detached-head",
            Error::Remote { .. } => "remote",
            Error::SyncConflict { .. } => "sync-conflict",
            Error::ChangedDuringSync { .. } => "changed-during-sync",
            Error::RefusedCommit { .. } => "refused-commit",
            Error::Stopped { .. } => "stopped",
            Error::SyncBusy { .. } => "sync-busy",
            Error::BadInterval { .. } => "bad-interval",
            Error::NeedsTerminal { .. } => "needs-terminal",
            Error::Prompt(_) | Error::InputClosed => "prompt",
            Error::Io { .. } => "io",
            Error::Git { .. } => "git",
            Error::GitLocked { .. } => "git-locked",
            Error::Spawn { .. } => "spawn",
            Error::Json(_) => "json",
            Error::Undeliverable { .. } => "undeliverable",
            Error::Scenario { .. } => "scenario",
        }
    }

    /// For `map_err`: an I/O failure on `path`.
    ///
    /// An open refused because the path is a symlink (`O_NOFOLLOW` gives `ELOOP`) is
    /// [`Error::Symlink`]: the one mapping, whichever module opened the file.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| {
            if source.raw_os_error() == Some(libc::ELOOP) {
                Error::Symlink { path }
            } else {
                Error::Io { path, source }
            }
        }
    }

    /// For `map_err`: a git failure while `doing` something.
    pub fn git(doing: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
        let doing = doing.into();
        move |source| Error::Git { doing, source }
    }
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NoRepo { from } => write!(
                f,
                "no incident repository: no incident.yaml in {} or any parent; run `incident init`, pass --repo PATH or set INCIDENT_REPO",
                from.display()
            ),
            Error::NotARepo { path } => write!(
                f,
                "{} is not an incident repository (no incident.yaml); run `incident init {}`",
                path.display(),
                path.display()
            ),
            Error::UnknownIncident { given, candidates } => {
                write!(f, "no incident matches {given:?}")?;
                if candidates.is_empty() {
                    write!(f, "; there are no incidents yet (`incident open TITLE --severity SEV`)")
                } else {
                    write!(f, "; known: {}", list(candidates))
                }
            }
            Error::AmbiguousIncident { given, candidates } => {
                match given {
                    Some(g) => write!(f, "{g:?} matches several incidents")?,
                    None => write!(f, "several incidents are open")?,
                }
                write!(f, "; pass one with --incident ID: {}", list(candidates))
            }
            Error::NoOpenIncident => f.write_str(
                "no open incident; pass one with --incident ID, or open one with `incident open TITLE --severity SEV`",
            ),
            Error::BadIncidentId { given } => write!(
                f,
                "{given:?} is not an incident id: ids are lowercase letters, digits and '-' (`incident list` shows them)"
            ),
            Error::Symlink { path } => write!(
                f,
                "{} is a symlink; incident files are never read or written through a symlink inside the repository; replace it with a real file or folder (`incident doctor` lists symlinks)",
                path.display()
            ),
            Error::EmptyId { what } => write!(
                f,
                "an empty {what} id names nothing; pass an id or a unique prefix (`incident list` shows them)"
            ),
            Error::NotOpen { id, state } => {
                write!(f, "incident {id} is {state}; nothing more can happen in it")
            }
            Error::NotResolved { id } => write!(
                f,
                "incident {id} is not resolved; resolve it first (`incident resolve --root-cause TEXT`), then write the postmortem, then close"
            ),
            Error::AlreadyClosed { id } => write!(f, "incident {id} is already closed"),
            Error::UnknownSeverity { given, declared } => {
                write!(f, "unknown severity {given:?}; incident.yaml declares {}", list(declared))
            }
            Error::SameSeverity { id, severity } => write!(f, "incident {id} is already {severity}"),
            Error::UnknownService { given, declared } => {
                write!(f, "unknown service {given:?}; incident.yaml declares {}", list(declared))
            }
            Error::UnknownRunbook { given, known, broken } => {
                write!(f, "no runbook with id {given:?}")?;
                if !known.is_empty() {
                    write!(f, "; known: {}", list(known))?;
                }
                if !broken.is_empty() {
                    let broken: Vec<String> = broken.iter().map(ToString::to_string).collect();
                    write!(f, "; unreadable runbook files: {}", broken.join("; "))?;
                }
                Ok(())
            }
            Error::NoRunbook { id, available } => write!(
                f,
                "incident {id} has no runbook; pass --runbook ID (runbooks: {})",
                if available.is_empty() { "none in runbooks/".to_string() } else { list(available) }
            ),
            Error::UnknownStep { given, runbook, steps } => {
                write!(f, "unknown step {given:?} in runbook {runbook}; its steps: {}", list(steps))
            }
            Error::UnknownAnswer { step, given, answers } => {
                write!(f, "step {step} has no answer {given:?}; answers: {}", list(answers))
            }
            Error::NotADecision { step } => write!(f, "step {step} is not a decision; drop --choice"),
            Error::AnswerNeeded { step, answers } => {
                write!(f, "step {step} is a decision: pass --choice {}", answers.join("|"))
            }
            Error::NoOnFail { step } => write!(f, "step {step} has no `on_fail` to jump to; drop --jump"),
            Error::NoCommand { step } => write!(f, "step {step} has no command to run"),
            Error::UnknownPhase { given } => {
                write!(f, "unknown phase {given:?}; use next, {}", Phase::ALL.map(Phase::name).join(", "))
            }
            Error::LastPhase => {
                f.write_str("validate is the last phase; when the service is healthy: `incident resolve`")
            }
            Error::AlreadyInPhase { id, phase } => write!(f, "incident {id} is already in phase {phase}"),
            Error::UnknownChannel { given, declared } => {
                write!(f, "unknown channel {given:?}; incident.yaml declares {}", list(declared))
            }
            Error::UnknownTemplate { given, known } => write!(
                f,
                "no update template {given:?} in templates/comms/; templates: {}",
                if known.is_empty() { "none".to_string() } else { list(known) }
            ),
            Error::UnknownRule { given, known } => {
                write!(f, "no lint rule {given:?}; rules: {}", list(known))
            }
            Error::MilestoneOrder { milestone: m, at, relation: rel, other: o, other_at, other_is_opening } => {
                let opening = if *other_is_opening { " (when the incident was opened; it was not given)" } else { "" };
                write!(
                    f,
                    "{m} at {} would come {rel} {o} at {}{opening}; a milestone that was wrong is fixed with `incident amend EVENT --at T`",
                    rfc3339(*at),
                    rfc3339(*other_at)
                )
            }
            Error::AlreadyMarked { milestone, at, event } => write!(
                f,
                "{} is already marked at {} (event {}); to correct it: `incident amend {} --at T`",
                milestone,
                rfc3339(*at),
                crate::ids::short(event),
                crate::ids::short(event)
            ),
            Error::UnknownEvent { given, incident } => {
                write!(f, "no event {given:?} in incident {incident}; `incident timeline --ids` lists them")
            }
            Error::AmbiguousEvent { given, candidates } => {
                write!(f, "{given:?} matches several events: {}; type more of the id", list(candidates))
            }
            Error::UnknownAction { given, incident } => match incident {
                Some(i) => write!(f, "no action item {given:?} in incident {i}; `incident actions` lists them"),
                None => write!(f, "no action item {given:?} in any incident; `incident actions` lists them"),
            },
            Error::AmbiguousAction { given, candidates } => {
                write!(f, "{given:?} matches several action items: {}; type more of the id", list(candidates))
            }
            Error::AlreadySettled { action, title, state, at } => {
                write!(f, "action item {action} ({title:?}) is already {state}")?;
                if let Some(at) = at {
                    write!(f, " since {}", rfc3339(*at))?;
                }
                f.write_str("; an action item is settled once (`incident retract EVENT` undoes a wrong settlement)")
            }
            Error::NotCorrectable { event, kind, why } => write!(f, "event {event} ({kind}) {why}"),
            Error::BadName { flag, value } => {
                write!(f, "{flag}: {value:?} is not a name: it must be one line and not empty")
            }
            Error::BadTime { flag, value, reason } => write!(f, "{flag}: cannot use time {value:?}: {reason}"),
            Error::BadShare { value } => write!(f, "--share: {value} is not a percentage from 0 to 100"),
            Error::BadLink { value } => {
                write!(f, "--link: {value:?} is not an http(s) URL; use e.g. https://tracker.example.com/OPS-123")
            }
            Error::BadDate { flag, value } => write!(f, "{flag}: {value:?} is not a date; use YYYY-MM-DD"),
            Error::Missing { what, example } => write!(f, "missing {what}: {example}"),
            Error::Empty { what } => write!(f, "the {what} is empty"),
            Error::TitleTooLong { length, limit } => write!(
                f,
                "the title is {length} characters; the limit is {limit}: say in a line what is broken, and log the details with `incident log`"
            ),
            Error::EventTooLarge { kind, bytes, limit } => write!(
                f,
                "this {kind} would be {:.1} MiB in the log; an event is at most {} MiB: keep a big paste in a file or a link, and log what matters (nothing was logged)",
                *bytes as f64 / 1_048_576.0,
                limit / 1_048_576
            ),
            Error::CannotCreate { path, source } => write!(
                f,
                "cannot create {}: {source}; choose a folder you can write to",
                path.display()
            ),
            Error::NotEmpty { path } => write!(
                f,
                "{} is not an empty folder; name a new or empty folder, so nothing in it is overwritten",
                path.display()
            ),
            Error::StatusPageOutput { path } => write!(
                f,
                "--output {}: refusing to write the status page over the incident repository itself; choose a folder of its own (default: status-page/)",
                path.display()
            ),
            Error::BadFile { path, line, column, rule, message, more } => {
                write!(f, "{}:{line}:{column}: {message} [{rule}]", path.display())?;
                if *more > 0 {
                    write!(f, " (and {more} more; `incident lint {}` lists them)", path.display())?;
                }
                Ok(())
            }
            Error::Template { name, message } => write!(f, "template {name}: {message}"),
            Error::TemplateLimit { name, limit: TemplateLimit::Output { bytes } } => write!(
                f,
                "template {name}: stopped: its output passed the limit of {} MiB ({bytes} bytes); look for a loop that writes without end, or, in a postmortem, notes too large to print (`incident amend` shortens one)",
                bytes / (1024 * 1024)
            ),
            Error::TemplateLimit { name, limit: TemplateLimit::Work { instructions } } => write!(
                f,
                "template {name}: stopped: it ran {instructions} instructions, the limit on a template's work; look for nested loops over large ranges"
            ),
            Error::NoOpenedEvent { path, unreadable } => {
                write!(f, "{}: no readable `opened` event, so no incident to read", path.display())?;
                if *unreadable > 0 {
                    write!(f, " ({unreadable} unreadable lines skipped; `incident doctor` lists them)")?;
                }
                Ok(())
            }
            Error::NoSuchPath { path, source } => write!(f, "cannot lint {}: {source}", path.display()),
            Error::NothingToLint => {
                f.write_str("nothing to lint: pass files or folders, or run inside an incident repository")
            }
            Error::NoIdentity => f.write_str(
                "no git identity: set `git config user.name` and `git config user.email`, or pass --as NAME",
            ),
            Error::NeedsTerminal { what, hint } => {
                write!(f, "{what} needs a decision and stdin is not a terminal; {hint}")
            }
            Error::Prompt(e) => write!(f, "the prompt failed: {e}"),
            Error::InputClosed => write!(f, "the prompt failed: input closed (Ctrl-D)"),
            Error::UnfinishedGit { what, hint } => {
                write!(f, "the repository is in the middle of {what}; {hint}, then run the command again")
            }
            Error::NoRemote { branch } => write!(
                f,
                "branch {branch} has no git remote to sync with: add one with `git remote add origin URL`"
            ),
            Error::DetachedHead => {
                f.write_str("HEAD is detached; check out a branch (`git switch main`) and sync again")
            }
            Error::Remote { remote, doing, message } => write!(
                f,
                "{doing} {remote} failed: {message}; nothing local is lost, and the next `incident sync` catches up"
            ),
            Error::SyncConflict { merging, paths } => {
                write!(f, "sync stopped: merging {merging} needs a person for ")?;
                for (i, (path, what)) in paths.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "; " };
                    write!(f, "{sep}{path} ({what})")?;
                }
                f.write_str(". Both versions are kept (between conflict markers, and as `git show :2:PATH` / `:3:PATH`); edit, `git add` them and `git commit`, then `incident sync` again (or `git merge --abort` to drop the merge)")
            }
            Error::RefusedCommit { commit, upstream, path, why } => write!(
                f,
                "refused commit {commit} from {upstream}: `{}` is {why}; nothing from {upstream} was written, and your work here is kept (it goes with the first sync after that commit is gone from {upstream}: whoever can push there rewrites it away and force-pushes)",
                crate::ui::visible(path)
            ),
            Error::ChangedDuringSync { path } => write!(
                f,
                "{path} changed while the sync ran; nothing was overwritten; run `incident sync` again"
            ),
            Error::Stopped { step, signal } => write!(
                f,
                "stopped by {signal}: step {step}'s command and everything it started were killed, and that is logged"
            ),
            Error::SyncBusy { waited_s } => write!(
                f,
                "another `incident sync` has been running in this clone for over {waited_s}s (a `--watch` elsewhere?); nothing was done, try again when it ends"
            ),
            Error::BadInterval { given } => {
                write!(f, "--watch {given}: not an interval; give one like 30s, 5m or 1h")
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Git { doing, source } => write!(f, "git: {doing}: {}", source.message()),
            Error::GitLocked { doing, path } => write!(
                f,
                "git: {doing}: {} is there, so git refuses to write: another git command is using the repository, or one was killed and left it; `incident doctor` says which, and `incident doctor --fix` removes one a killed sync left; if no git command is running here, remove it by hand (`rm '{}'`)",
                path.display(),
                path.display()
            ),
            Error::Spawn { program, source } => write!(f, "cannot start {program}: {source}"),
            Error::Json(e) => write!(f, "cannot write JSON: {e}"),
            Error::Undeliverable { update, channel, missing_var } => {
                let short = crate::ids::short(update);
                match missing_var {
                    Some(var) => write!(
                        f,
                        "update {short} is logged but not delivered: the webhook URL of channel {channel} uses ${{{var}}}, which is not set; set {var}, then run `incident update --retry`"
                    ),
                    None => write!(
                        f,
                        "update {short} is logged but not delivered: channel {channel}'s `deliver:` must give exactly one of `webhook` or `command` (incident.yaml); fix it, then run `incident update --retry`"
                    ),
                }
            }
            Error::Scenario { place, message } => write!(f, "{place}: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. }
            | Error::NoSuchPath { source, .. }
            | Error::Spawn { source, .. }
            | Error::CannotCreate { source, .. } => Some(source),
            Error::Git { source, .. } => Some(source),
            Error::Prompt(e) => Some(e),
            Error::Json(e) => Some(e),
            _ => None,
        }
    }
}

impl From<dialoguer::Error> for Error {
    fn from(e: dialoguer::Error) -> Self {
        Error::Prompt(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variants the integration tests cannot reach through the binary (tests/it/exit_codes.rs
    /// covers the others): each still knows its exit code.
    #[test]
    fn exit_codes_of_the_rest() {
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let prompt = dialoguer::Error::IO(std::io::Error::other("tty gone"));
        let cases: Vec<(Error, u8, &str)> = vec![
            (Error::NoOpenedEvent { path: "l".into(), unreadable: 3 }, 2, "no-opened-event"),
            (Error::Prompt(prompt), 2, "prompt"),
            (Error::InputClosed, 2, "prompt"),
            (Error::NoIdentity, 2, "no-identity"),
            (Error::DetachedHead, 2, "detached-head"),
            (Error::ChangedDuringSync { path: "runbooks/a.yaml".into() }, 1, "changed-during-sync"),
            (Error::Stopped { step: "restart".into(), signal: "SIGTERM" }, 1, "stopped"),
            (
                Error::RefusedCommit {
                    commit: "1a2b3c4".into(),
                    upstream: "origin/main".into(),
                    path: ".git/hooks/pre-push".into(),
                    why: "a symlink".into(),
                },
                1,
                "refused-commit",
            ),
            (Error::SyncBusy { waited_s: 30 }, 1, "sync-busy"),
            (
                Error::GitLocked { doing: "committing".into(), path: ".git/index.lock".into() },
                1,
                "git-locked",
            ),
            (Error::BadInterval { given: "soon".into() }, 2, "bad-interval"),
            (Error::UnknownChannel { given: "x".into(), declared: vec!["a".into()] }, 2, "unknown-channel"),
            (Error::UnknownAction { given: "ab".into(), incident: None }, 2, "unknown-action"),
            (
                Error::AmbiguousAction { given: "a".into(), candidates: vec!["ab".into()] },
                2,
                "ambiguous-action",
            ),
            (
                Error::AlreadySettled { action: "ab".into(), title: "t".into(), state: "done", at: None },
                2,
                "already-settled",
            ),
            (Error::BadLink { value: "ftp://x".into() }, 2, "bad-link"),
            (Error::Json(json), 1, "json"),
            (Error::Scenario { place: "p".into(), message: "m".into() }, 1, "scenario"),
            (
                Error::Undeliverable { update: "u".into(), channel: "c".into(), missing_var: None },
                1,
                "undeliverable",
            ),
        ];
        for (e, code, kind) in cases {
            assert_eq!((e.exit_code(), e.kind()), (code, kind), "{e}");
        }
    }

    /// Regression: only `fsutil::io` turned a refused symlink (ELOOP) into `Error::Symlink`;
    /// an open mapped with `Error::io` reported "Too many levels of symbolic links" as I/O.
    #[test]
    fn a_refused_symlink_is_a_symlink_error_whoever_maps_it() {
        let e = Error::io("incidents/x/events.jsonl")(std::io::Error::from_raw_os_error(libc::ELOOP));
        assert!(matches!(e, Error::Symlink { .. }), "{e:?}");
        assert_eq!(e.exit_code(), 2);
        let e = Error::io("x")(std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
    }

    #[test]
    fn sources_are_kept() {
        let e = Error::Io { path: "x".into(), source: std::io::Error::other("disk full") };
        assert_eq!(std::error::Error::source(&e).map(ToString::to_string).as_deref(), Some("disk full"));
        let e = Error::Git { doing: "committing".into(), source: git2::Error::from_str("locked") };
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(e.to_string(), "git: committing: locked");
    }
}

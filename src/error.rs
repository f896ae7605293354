//! The one error type of the tool, by area: [`Error`] says which part of the work went wrong
//! (the repository, the record, a runbook, what was typed, a file, a sync, a delivery, the
//! machine), and each area's enum says what, with the data as fields (the incident and its
//! state, the unknown value and the ones that would do, the underlying `io::Error` /
//! `git2::Error` as `source()`). So `main` never has to guess, and tests
//! match on what happened, not on prose.
//!
//! Each error has three parts for the user: its message (one line with the data: the file,
//! line and column, the offending value), its hints (what to do next, each a line of its own
//! for a person and a list in `--json`), and its [`Category`], which gives the exit code:
//! 2 for input the user can fix by changing what they typed or wrote; 1 for a command that ran
//! and could not finish (I/O, git, starting a process, a remote). Every variant is placed in
//! a category by a match with no catch-all arm, so a new variant cannot fall into one unseen.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use strum::{IntoStaticStr, VariantNames};

use crate::phase::Phase;
use crate::timefmt::rfc3339;

/// An error of any command, by area.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Runbook(#[from] RunbookError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    #[error(transparent)]
    System(#[from] SystemError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What an error means for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Bad usage or input: the user can fix it by changing what they typed or wrote. Exit 2.
    User,
    /// The command ran and could not finish: a failure of the machine around it (I/O, git,
    /// starting a process, a remote), or work stopped on the way. Exit 1.
    Failed,
}

impl Category {
    pub fn exit_code(self) -> u8 {
        match self {
            Category::User => 2,
            Category::Failed => 1,
        }
    }
}

// ── The repository, and choosing an incident in it ────────────────────────────────────────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum RepoError {
    /// No incident repository above the working directory.
    #[error("no incident repository: no incident.yaml in {from} or any parent")]
    NoRepo { from: PathBuf },
    /// `--repo` / `$INCIDENT_REPO` names a folder without `incident.yaml`.
    #[error("{path} is not an incident repository (no incident.yaml)")]
    NotARepo { path: PathBuf },
    /// A prefix that matches several incidents (`given`), or several open ones (`None`).
    #[error("{}: {}", several_incidents(.given), list(.candidates))]
    AmbiguousIncident { given: Option<String>, candidates: Vec<String> },
    /// No incident given and none is open.
    #[error("no open incident")]
    NoOpenIncident,
    /// An incident id (`-i`, a positional id, or one read from a cache) that cannot be one:
    /// empty, or with characters other than lowercase letters, digits and `-` (`../x`, `a/b`).
    #[error("{given:?} is not an incident id: ids are lowercase letters, digits and '-'")]
    BadIncidentId { given: String },
    /// A path of the repository that is, or passes through, a symlink: incident files are
    /// never read or written through one, so nothing lands outside the repository.
    #[error(
        "{path} is a symlink; incident files are never read or written through a symlink inside the repository"
    )]
    Symlink { path: PathBuf },
    /// An id given as the empty string (`-i ""`): a prefix of every id, so it names nothing.
    #[error("an empty {what} id names nothing")]
    EmptyId { what: &'static str },
    /// An incident's log without a readable `opened` event (`unreadable`: lines skipped).
    #[error("{path}: no readable `opened` event, so no incident to read{}", skipped(*.unreadable))]
    NoOpenedEvent { path: PathBuf, unreadable: usize },
    /// An incident the public status page would have to leave off, as its log cannot be read
    /// (`more`: how many others cannot either): a public page must not hide an outage.
    #[error(
        "the status page was not built: incident {id} cannot be read ({error}){}",
        if *.more > 0 { format!(", nor {} other incident(s)", .more) } else { String::new() }
    )]
    UnreadableIncident { id: String, error: Box<Error>, more: usize },
    /// `maintenance start|done|cancel` without an id, and no maintenance is scheduled or
    /// under way.
    #[error("no scheduled or ongoing maintenance")]
    NoOpenMaintenance,
    /// `maintenance start|done|cancel` without an id, and several maintenances are scheduled or
    /// under way.
    #[error("several maintenances are scheduled or under way: {}", list(.candidates))]
    AmbiguousMaintenance { candidates: Vec<String> },
}

// ── What the record allows: states that refuse a command, facts that cannot be true ───────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum RecordError {
    /// The incident is resolved or closed, and the command needs an open one.
    #[error("incident {id} is {state}; nothing more can happen in it")]
    NotOpen { id: String, state: &'static str },
    /// `close` on an incident that is not resolved yet.
    #[error("incident {id} is not resolved")]
    NotResolved { id: String },
    /// `close` on an incident that is already closed.
    #[error("incident {id} is already closed")]
    AlreadyClosed { id: String },
    /// `postmortem` or `close` on a canceled incident (`needs`: what it does not need).
    #[error("incident {id} was canceled as a false alarm or duplicate: it needs no {needs}")]
    Canceled { id: String, needs: &'static str },
    /// `cancel` on an incident that is no longer open (`state`).
    #[error("incident {id} is {state}; only an open incident can be canceled")]
    NotCancelable { id: String, state: &'static str },
    /// `visibility` or `drill` saying what already holds (`what`: "private", "a drill").
    #[error("incident {id} is already {what}")]
    NoChange { id: String, what: &'static str },
    /// `severity SEV` with the severity the incident already has.
    #[error("incident {id} is already {severity}")]
    SameSeverity { id: String, severity: String },
    #[error("incident {id} is already in phase {phase}")]
    AlreadyInPhase { id: String, phase: Phase },
    /// `phase next` in the last phase.
    #[error("validate is the last phase")]
    LastPhase,
    /// A key moment out of order with another (`other_is_opening`: the other one was not
    /// given and defaults to when the incident was opened).
    /// `relation` ("before" or "after") is where `milestone` would stand against `other`.
    #[error(
        "{milestone} at {} would come {relation} {other} at {}{}",
        rfc3339(*.at),
        rfc3339(*.other_at),
        if *.other_is_opening { " (when the incident was opened; it was not given)" } else { "" }
    )]
    MilestoneOrder {
        milestone: &'static str,
        at: DateTime<Utc>,
        relation: &'static str,
        other: &'static str,
        other_at: DateTime<Utc>,
        other_is_opening: bool,
    },
    /// A fact other than a note dated before impact started (`started_is_opening`: impact
    /// started was not given and defaults to when the incident was opened).
    #[error(
        "{kind} at {} would come before impact started at {}{}; only a note may come before impact started",
        rfc3339(*.at),
        rfc3339(*.started),
        if *.started_is_opening { " (when the incident was opened; it was not given)" } else { "" }
    )]
    BeforeImpact { kind: &'static str, at: DateTime<Utc>, started: DateTime<Utc>, started_is_opening: bool },
    /// Impact started moved later than a fact already logged: the same rule from the other
    /// side, so the log never holds a fact before impact that no one typed as one.
    #[error(
        "impact started at {} would come after {kind} {} at {}; only a note may come before impact started",
        rfc3339(*.started),
        crate::ids::short(.event),
        rfc3339(*.at)
    )]
    FactBeforeImpact { started: DateTime<Utc>, kind: &'static str, event: String, at: DateTime<Utc> },
    /// A milestone marked again; the wrong one is amended instead.
    #[error("{milestone} is already marked at {} (event {})", rfc3339(*.at), crate::ids::short(.event))]
    AlreadyMarked { milestone: &'static str, at: DateTime<Utc>, event: String },
    /// An event id prefix that matches several events of the incident.
    #[error("{given:?} matches several events: {}", list(.candidates))]
    AmbiguousEvent { given: String, candidates: Vec<String> },
    /// An action id prefix that matches several action items (their ids).
    #[error("{given:?} matches several action items: {}", list(.candidates))]
    AmbiguousAction { given: String, candidates: Vec<String> },
    /// `action done` / `action drop` on an action item already done or dropped.
    #[error(
        "action item {action} ({title:?}) is already {state}{}; an action item is settled once",
        .at.map(|at| format!(" since {}", rfc3339(at))).unwrap_or_default()
    )]
    AlreadySettled { action: String, title: String, state: &'static str, at: Option<DateTime<Utc>> },
    /// `amend --text` on an event without text, or an amend/retract of a correction.
    #[error("event {event} ({kind}) {why}")]
    NotCorrectable { event: String, kind: &'static str, why: &'static str },
    /// A maintenance asked to move where it cannot from where it stands (`maintenance done`
    /// on one still scheduled, `start` on one completed). `next`: where it can move.
    #[error("maintenance {id} is {state}; it cannot move to {to}")]
    MaintenanceMove { id: String, state: &'static str, to: &'static str, next: Vec<&'static str> },
    /// `resolve` or `close` on a maintenance, which ends by its own moves.
    #[error("{id} is a maintenance ({state}); it is not resolved or closed but completed or canceled")]
    EndsAsMaintenance { id: String, state: &'static str },
    /// `maintenance start|done|cancel` naming an incident.
    #[error("{id} is an incident, not a scheduled maintenance")]
    NotAMaintenance { id: String },
    /// `update --status` with a status of the other kind: an incident's on a maintenance, or
    /// a maintenance's on an incident.
    #[error("--status {status}: {id} is {kind}, whose statuses are {}", .allowed.join(", "))]
    StatusOfOtherKind { id: String, status: &'static str, kind: &'static str, allowed: Vec<&'static str> },
}

// ── Walking a runbook ──────────────────────────────────────────────────────────────────────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum RunbookError {
    /// The incident has no runbook attached, and one is needed.
    #[error(
        "incident {id} has no runbook (runbooks: {})",
        if .available.is_empty() { "none in runbooks/".to_string() } else { list(.available) }
    )]
    NoRunbook { id: String, available: Vec<String> },
    /// `--choice` on a step that is not a decision.
    #[error("step {step} is not a decision")]
    NotADecision { step: String },
    /// `step done` on a decision without `--choice`.
    #[error("step {step} is a decision")]
    AnswerNeeded { step: String, answers: Vec<String> },
    /// `step fail --jump` on a step without `on_fail`.
    #[error("step {step} has no `on_fail` to jump to")]
    NoOnFail { step: String },
    /// `step run` on a step without a `run` command.
    #[error("step {step} has no command to run")]
    NoCommand { step: String },
    /// The tool was asked to stop (SIGTERM, SIGHUP) while a step's command ran: the command's
    /// process group was killed and the command logged, and the tool stops rather than go on
    /// to the next question.
    #[error(
        "stopped by {signal}: step {step}'s command and everything it started were killed, and that is logged"
    )]
    Stopped { step: String, signal: &'static str },
}

// ── What was typed, or asked for ───────────────────────────────────────────────────────────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum InputError {
    /// A value that is not among the ones there are: an incident, a severity, a runbook…
    #[error(transparent)]
    Unknown(#[from] Unknown),
    /// A name (`--as`, a role holder, an owner, a commander) that is empty or spans lines.
    #[error("{flag}: {value:?} is not a name: it must be one line and not empty")]
    BadName { flag: &'static str, value: String },
    /// A time flag that cannot be read (`flag` is `--at`, `--started-at`, …).
    #[error("{flag}: cannot use time {value:?}: {reason}")]
    BadTime { flag: &'static str, value: String, reason: String },
    /// A failing share outside 0–100 percent.
    #[error("--share: {value} is not a percentage from 0 to 100")]
    BadShare { value: f64 },
    /// `--link` that is not an http(s) URL.
    #[error("--link: {value:?} is not an http(s) URL")]
    BadLink { value: String },
    /// A date flag that is not `YYYY-MM-DD`.
    #[error("{flag}: {value:?} is not a date")]
    BadDate { flag: &'static str, value: String },
    /// `--watch` takes a duration like `30s`.
    #[error("--watch {given}: not an interval")]
    BadInterval { given: String },
    /// A required argument is missing and nobody is at a terminal to ask.
    #[error("missing {what}: {example}")]
    Missing { what: &'static str, example: &'static str },
    /// A note, title or other text that is empty.
    #[error("the {what} is empty")]
    Empty { what: &'static str },
    /// A title longer than the limit, in characters after trimming: a title is a line,
    /// details go in the log.
    #[error("the title is {length} characters; the limit is {limit}")]
    TitleTooLong { length: usize, limit: usize },
    /// An event larger than one line of the log may be: every command reads the whole log,
    /// and the postmortem renders every note.
    #[error(
        "this {kind} would be {:.1} MiB in the log; an event is at most {} MiB (nothing was logged)",
        *.bytes as f64 / 1_048_576.0,
        .limit / 1_048_576
    )]
    EventTooLarge { kind: &'static str, bytes: usize, limit: usize },
    /// Something only a person can answer (a decision the tool will not make on its own, or
    /// the walk, which asks at every step) when nobody is at a terminal. `needs` says which.
    #[error("{what} needs {needs}, and stdin is not a terminal")]
    NeedsTerminal { what: String, needs: &'static str, hint: &'static str },
    /// A question on a terminal answered, time after time, with nothing it listed: a typo or
    /// two is a person, more is a script feeding the terminal, which the flag serves better.
    #[error(
        "no answer listed after {tries} tries (the last: {given:?}); pass {flag} with one of {}",
        list(candidates)
    )]
    NotListed { given: String, tries: usize, flag: &'static str, candidates: Vec<String> },
    /// A maintenance window that ends before it starts (or when it starts).
    #[error("--until {} is not after --from {}", rfc3339(*.until), rfc3339(*.from))]
    WindowOrder { from: DateTime<Utc>, until: DateTime<Utc> },
    /// The input closed (Ctrl-D) where an answer was needed. Its kind is a failed prompt's,
    /// as it was when the questions were menus and Ctrl-D came as a failed one.
    #[error("the prompt failed: input closed (Ctrl-D)")]
    #[strum(serialize = "prompt")]
    InputClosed,
    /// `--listen ADDR` that is not an address to listen on.
    #[error("--listen: {value:?} is not an address to listen on: {reason}")]
    BadAddress { value: String, reason: String },
    /// A listener off loopback without a key (anyone who reaches it could open incidents), or
    /// a `--token-env` naming a variable that is unset or empty.
    #[error("{}", listen_without_key(addr, var.as_deref()))]
    ListenWithoutKey { addr: String, var: Option<String> },
    /// An alert notification that is not what its sender posts: `field` is where (a JSON
    /// path such as `alerts[0].startsAt`, or `body`), `expected` what should be there.
    #[error("alert notification: {field}: expected {expected} (nothing was logged)")]
    BadPayload { field: String, expected: String },
    /// An alert notification larger than any sender posts: read no further than the limit.
    #[error("alert notification: the body is over {} MiB (nothing was logged)", .limit / 1_048_576)]
    PayloadTooLarge { limit: usize },
}

/// A value that names nothing there is (`given`), with the ones that would do
/// (`candidates`, possibly none). `what` says what kind of thing it was meant to name.
#[derive(Debug)]
pub struct Unknown {
    pub what: Noun,
    pub given: String,
    pub candidates: Vec<String>,
    /// What it was looked for in: the runbook of a step, the step of an answer, the
    /// incident of an event or an action item (none: every incident).
    pub within: Option<String>,
    /// Runbook files that could not be read: the wanted runbook may be one of them.
    pub broken: Vec<Error>,
}

/// What an [`Unknown`] value was meant to name. Its name is in the error's `kind`
/// (`unknown-incident`, …) and in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noun {
    Incident,
    Severity,
    Service,
    Channel,
    Runbook,
    Step,
    Answer,
    Phase,
    Template,
    Rule,
    Event,
    Action,
}

impl Noun {
    /// Every noun, for tests that check each kind.
    pub const ALL: [Noun; 12] = [
        Noun::Incident,
        Noun::Severity,
        Noun::Service,
        Noun::Channel,
        Noun::Runbook,
        Noun::Step,
        Noun::Answer,
        Noun::Phase,
        Noun::Template,
        Noun::Rule,
        Noun::Event,
        Noun::Action,
    ];

    /// The `kind` of an unknown value of this noun, for `--json`.
    pub fn kind(self) -> &'static str {
        match self {
            Noun::Incident => "unknown-incident",
            Noun::Severity => "unknown-severity",
            Noun::Service => "unknown-service",
            Noun::Channel => "unknown-channel",
            Noun::Runbook => "unknown-runbook",
            Noun::Step => "unknown-step",
            Noun::Answer => "unknown-answer",
            Noun::Phase => "unknown-phase",
            Noun::Template => "unknown-template",
            Noun::Rule => "unknown-rule",
            Noun::Event => "unknown-event",
            Noun::Action => "unknown-action",
        }
    }

    /// The noun as the message says it (`severity`).
    pub fn name(self) -> &'static str {
        self.kind().trim_start_matches("unknown-")
    }
}

impl Unknown {
    pub fn new(what: Noun, given: impl Into<String>, candidates: Vec<String>) -> Unknown {
        Unknown { what, given: given.into(), candidates, within: None, broken: Vec::new() }
    }

    /// Looked for in `place` (a runbook, a step, an incident).
    pub fn within(mut self, place: impl Into<String>) -> Unknown {
        self.within = Some(place.into());
        self
    }

    /// With the runbook files that could not be read.
    pub fn broken(mut self, broken: Vec<Error>) -> Unknown {
        self.broken = broken;
        self
    }

    fn hints(&self) -> Vec<String> {
        let mut hints: Vec<String> = match self.what {
            Noun::Incident if self.candidates.is_empty() => {
                vec!["open one with `incident open TITLE --severity SEV`".into()]
            }
            Noun::Event => vec!["`incident timeline --ids` lists them".into()],
            Noun::Action => vec!["`incident actions` lists them".into()],
            _ => Vec::new(),
        };
        hints.extend(self.broken.iter().flat_map(Error::hints));
        hints
    }
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Unknown { what, given, candidates, within, broken } = self;
        let within = within.as_deref().unwrap_or_default();
        let name = what.name();
        match what {
            Noun::Incident if candidates.is_empty() => {
                write!(f, "no incident matches {given:?}; there are no incidents yet")
            }
            Noun::Incident => write!(f, "no incident matches {given:?}; known: {}", list(candidates)),
            Noun::Severity | Noun::Service | Noun::Channel => {
                write!(f, "unknown {name} {given:?}; incident.yaml declares {}", list(candidates))
            }
            Noun::Runbook => {
                write!(f, "no runbook with id {given:?}")?;
                if !candidates.is_empty() {
                    write!(f, "; known: {}", list(candidates))?;
                }
                if !broken.is_empty() {
                    let broken: Vec<String> = broken.iter().map(ToString::to_string).collect();
                    write!(f, "; unreadable runbook files: {}", broken.join("; "))?;
                }
                Ok(())
            }
            Noun::Step => {
                write!(f, "unknown step {given:?} in runbook {within}; its steps: {}", list(candidates))
            }
            Noun::Answer => write!(f, "step {within} has no answer {given:?}; answers: {}", list(candidates)),
            Noun::Phase => write!(f, "unknown phase {given:?}; use {}", list(candidates)),
            Noun::Template => write!(
                f,
                "no update template {given:?} in templates/comms/; templates: {}",
                if candidates.is_empty() { "none".to_string() } else { list(candidates) }
            ),
            Noun::Rule => write!(f, "no lint rule {given:?}; rules: {}", list(candidates)),
            Noun::Event => write!(f, "no event {given:?} in incident {within}"),
            Noun::Action if self.within.is_some() => {
                write!(f, "no action item {given:?} in incident {within}")
            }
            Noun::Action => write!(f, "no action item {given:?} in any incident"),
        }
    }
}

impl std::error::Error for Unknown {}

// ── Files and folders the user wrote or named ──────────────────────────────────────────────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum FileError {
    /// A file the user wrote (YAML, template) is malformed; `rule` is the lint rule that
    /// says so, and `more` how many other errors the file has.
    #[error("{path}:{line}:{column}: {message} [{rule}]{}", and_more(*.more))]
    BadFile { path: PathBuf, line: usize, column: usize, rule: &'static str, message: String, more: usize },
    /// A template failed to render; `message` walks the engine's error chain.
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    /// A template was stopped at a limit on its work or its output: templates
    /// come from the repository, and a loop in one must not exhaust the machine.
    #[error("template {name}: stopped: {limit}")]
    TemplateLimit { name: String, limit: TemplateLimit },
    /// Paths given to `lint` that do not exist.
    #[error("cannot lint {path}: {source}")]
    NoSuchPath { path: PathBuf, source: std::io::Error },
    /// `lint` with no paths outside an incident repository.
    #[error("nothing to lint")]
    NothingToLint,
    /// A file the user named to read (`ingest FILE`, `postmortem --template F`) that cannot be
    /// opened: a path typed wrong is input to fix, not a failure of the tool.
    #[error("cannot read {path}: {source}")]
    CannotRead { path: PathBuf, source: std::io::Error },
    /// A folder the user named (`init PATH`, `demo --output DIR`) that cannot be created,
    /// e.g. because its parent is a file.
    #[error("cannot create {path}: {source}")]
    CannotCreate { path: PathBuf, source: std::io::Error },
    /// `demo --output DIR` with a DIR that exists and holds something (or is not a folder).
    #[error("{path} is not an empty folder")]
    NotEmpty { path: PathBuf },
    /// `status-page --output` names a folder that holds the repository itself (its
    /// `incident.yaml` or `incidents/`), where the page's files would mix with the record.
    #[error("--output {path}: refusing to write the status page over the incident repository itself")]
    StatusPageOutput { path: PathBuf },
}

/// Which limit a template reached, with its figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TemplateLimit {
    /// Its output passed this many bytes.
    #[error("its output passed the limit of {} MiB ({bytes} bytes)", .bytes / (1024 * 1024))]
    Output { bytes: usize },
    /// It ran this many engine instructions (minijinja's fuel) without finishing.
    #[error("it ran {instructions} instructions, the limit on a template's work")]
    Work { instructions: u64 },
}

// ── Sharing through a git remote ───────────────────────────────────────────────────────────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum SyncError {
    /// git is in the middle of something a person started (`what`: "a merge", "a rebase"…);
    /// writing history now would bury it.
    #[error("the repository is in the middle of {what}")]
    UnfinishedGit { what: &'static str, hint: &'static str },
    /// `sync` has no remote to talk to.
    #[error("branch {branch} has no git remote to sync with")]
    NoRemote { branch: String },
    /// `sync` needs a branch, and HEAD is detached.
    #[error("HEAD is detached")]
    DetachedHead,
    /// The remote could not be reached or refused us (`doing`: fetching, pushing). Nothing
    /// local was lost; the next sync catches up.
    #[error("{doing} {remote} failed: {message}; nothing local is lost")]
    Remote { remote: String, doing: &'static str, message: String },
    /// Both sides changed the same thing in a way only a person can merge: the merge is left
    /// in progress with both versions (`paths`, each with what conflicts).
    #[error(
        "sync stopped: merging {merging} needs a person for {}. Both versions are kept (between conflict markers, and as `git show :2:PATH` / `:3:PATH`)",
        conflicts(.paths)
    )]
    SyncConflict { merging: String, paths: Vec<(String, String)> },
    /// A commit the remote brings holds a path no clone may write (`.git/hooks/…`, `..`, a
    /// symlink, a submodule): the sync refused it whole before writing anything, and local
    /// work goes on.
    #[error(
        "refused commit {commit} from {upstream}: `{}` is {why}; nothing from {upstream} was written, and your work here is kept",
        crate::ui::visible(.path)
    )]
    RefusedCommit { commit: String, upstream: String, path: String, why: String },
    /// A file the remote changes was changed here after the sync committed (a person editing
    /// during the sync): nothing was overwritten, and the merge was not committed.
    #[error("{path} changed while the sync ran; nothing was overwritten")]
    ChangedDuringSync { path: String },
    /// Another sync held this clone for longer than a sync waits.
    #[error(
        "another `incident sync` has been running in this clone for over {waited_s}s (a `--watch` elsewhere?); nothing was done"
    )]
    SyncBusy { waited_s: u64 },
}

// ── Delivering an update to its channel ────────────────────────────────────────────────────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum DeliverError {
    /// An update was logged but its channel's target cannot be tried: the webhook URL names
    /// a `${VAR}` that is not set (`missing_var`), or `deliver:` gives neither or both of
    /// `webhook` and `command`. No attempt was made.
    #[error("update {} is logged but not delivered: {}", crate::ids::short(.update), undeliverable(.channel, .missing_var))]
    Undeliverable { update: String, channel: String, missing_var: Option<String> },
}

// ── The machine around the command ─────────────────────────────────────────────────────────
#[derive(Debug, thiserror::Error, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum SystemError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A git operation failed; `doing` says which.
    #[error("git: {doing}: {}", .source.message())]
    Git { doing: String, source: git2::Error },
    /// git's lock file `path` (`NAME.lock` beside what git changes) is there: another git
    /// command is changing the repository, or one was killed and left it behind.
    #[error(
        "git: {doing}: {path} is there, so git refuses to write: another git command is using the repository, or one was killed and left it"
    )]
    GitLocked { doing: String, path: PathBuf },
    /// A process (a step's `sh -c`) could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn { program: &'static str, source: std::io::Error },
    /// Machine output could not be serialized.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// `ingest --listen` could not listen on its address (in use, not this machine's).
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    /// `lint --shellcheck require`, and `shellcheck` is not on `PATH`.
    #[error("--shellcheck require: shellcheck is not installed (not found on PATH)")]
    ShellcheckMissing,
    /// `lint --shellcheck require`, and ShellCheck did not check every command (it hung,
    /// crashed or wrote something unreadable): `message` says which and how.
    #[error("--shellcheck require: {message}")]
    ShellcheckFailed { message: String },
    /// The demo's embedded scenario could not be replayed: a defect of this build.
    #[error("{place}: {message}")]
    Scenario { place: String, message: String },
}

/// `From` for the errors that `?` meets inside an area (`serde_json`'s, an
/// [`Unknown`]), straight to [`Error`] through their area.
macro_rules! from_through_area {
    ($($from:ty => $area:ident),* $(,)?) => {
        $(impl From<$from> for Error {
            fn from(e: $from) -> Self {
                Error::from($area::from(e))
            }
        })*
    };
}

from_through_area!(Unknown => InputError, serde_json::Error => SystemError);

impl Error {
    /// Whether the user can fix it, or the command could not finish.
    pub fn category(&self) -> Category {
        match self {
            Error::Repo(e) => e.category(),
            Error::Record(e) => e.category(),
            Error::Runbook(e) => e.category(),
            Error::Input(e) => e.category(),
            Error::File(e) => e.category(),
            Error::Sync(e) => e.category(),
            Error::Deliver(e) => e.category(),
            Error::System(e) => e.category(),
        }
    }

    /// 2 for bad usage or input, 1 for a command that ran and could not finish.
    pub fn exit_code(&self) -> u8 {
        self.category().exit_code()
    }

    /// What the user can do next, one sentence each; the message says what went wrong.
    pub fn hints(&self) -> Vec<String> {
        match self {
            Error::Repo(e) => e.hints(),
            Error::Record(e) => e.hints(),
            Error::Runbook(e) => e.hints(),
            Error::Input(e) => e.hints(),
            Error::File(e) => e.hints(),
            Error::Sync(e) => e.hints(),
            Error::Deliver(e) => e.hints(),
            Error::System(e) => e.hints(),
        }
    }

    /// A stable, machine-readable name of the error, for `--json` errors (`kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Repo(e) => e.into(),
            Error::Record(e) => e.into(),
            Error::Runbook(e) => e.into(),
            Error::Input(InputError::Unknown(u)) => u.what.kind(),
            Error::Input(e) => e.into(),
            Error::File(e) => e.into(),
            Error::Sync(e) => e.into(),
            Error::Deliver(e) => e.into(),
            Error::System(e) => e.into(),
        }
    }

    /// The error as `--json` prints it: `{"error": {"message", "code", "kind", "hints"}}`,
    /// plus what a program needs to act on: a sync conflict's `paths` (`path`, `why`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut inner = serde_json::json!({
            "message": self.to_string(),
            "code": self.exit_code(),
            "kind": self.kind(),
            "hints": self.hints(),
        });
        if let Error::Sync(SyncError::SyncConflict { paths, .. }) = self {
            inner["paths"] =
                paths.iter().map(|(path, why)| serde_json::json!({"path": path, "why": why})).collect();
        }
        serde_json::json!({ "error": inner })
    }

    /// The message and its hints in one line, `; ` between them: for the places that tell an
    /// error in a line of their own (a warning, a round of `sync --watch`).
    pub fn with_hints(&self) -> String {
        std::iter::once(self.to_string()).chain(self.hints()).collect::<Vec<_>>().join("; ")
    }

    /// For `map_err`: an I/O failure on `path`.
    ///
    /// An open refused because the path is a symlink (`O_NOFOLLOW` gives `ELOOP`) is
    /// [`RepoError::Symlink`]: the one mapping, whichever module opened the file.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| {
            if source.raw_os_error() == Some(libc::ELOOP) {
                RepoError::Symlink { path }.into()
            } else {
                SystemError::Io { path, source }.into()
            }
        }
    }

    /// For `map_err`: a git failure while `doing` something.
    pub fn git(doing: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
        let doing = doing.into();
        move |source| SystemError::Git { doing, source }.into()
    }
}

impl RepoError {
    fn category(&self) -> Category {
        match self {
            RepoError::NoRepo { .. }
            | RepoError::NotARepo { .. }
            | RepoError::AmbiguousIncident { .. }
            | RepoError::NoOpenIncident
            | RepoError::BadIncidentId { .. }
            | RepoError::Symlink { .. }
            | RepoError::EmptyId { .. }
            | RepoError::NoOpenedEvent { .. }
            | RepoError::NoOpenMaintenance
            | RepoError::AmbiguousMaintenance { .. } => Category::User,
            RepoError::UnreadableIncident { .. } => Category::Failed,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            RepoError::NoRepo { .. } => {
                vec!["run `incident init`, pass --repo PATH or set INCIDENT_REPO".into()]
            }
            RepoError::NotARepo { path } => vec![format!("run `incident init {}`", path.display())],
            RepoError::AmbiguousIncident { .. } => vec!["pass one with --incident ID".into()],
            RepoError::NoOpenIncident => vec![
                "pass one with --incident ID, or open one with `incident open TITLE --severity SEV`".into(),
            ],
            RepoError::BadIncidentId { .. } => vec!["`incident list` shows them".into()],
            RepoError::Symlink { .. } => {
                vec!["replace it with a real file or folder (`incident doctor` lists symlinks)".into()]
            }
            RepoError::EmptyId { .. } => {
                vec!["pass an id or a unique prefix (`incident list` shows them)".into()]
            }
            RepoError::NoOpenedEvent { unreadable, .. } if *unreadable > 0 => {
                vec!["`incident doctor` lists the unreadable lines".into()]
            }
            RepoError::NoOpenMaintenance => vec![
                "pass its id, or schedule one with `incident maintenance TITLE --service S --from T --until T`"
                    .into(),
            ],
            RepoError::AmbiguousMaintenance { .. } => vec!["pass one's id".into()],
            RepoError::NoOpenedEvent { .. } => Vec::new(),
            RepoError::UnreadableIncident { .. } => vec![
                "make the log readable (`incident doctor` lists what is wrong in the record)".into(),
                "or build the page without it, knowingly: `incident status-page --allow-unreadable`".into(),
            ],
        }
    }
}

impl RecordError {
    fn category(&self) -> Category {
        match self {
            RecordError::NotOpen { .. }
            | RecordError::NotResolved { .. }
            | RecordError::AlreadyClosed { .. }
            | RecordError::Canceled { .. }
            | RecordError::NotCancelable { .. }
            | RecordError::NoChange { .. }
            | RecordError::SameSeverity { .. }
            | RecordError::AlreadyInPhase { .. }
            | RecordError::LastPhase
            | RecordError::MilestoneOrder { .. }
            | RecordError::BeforeImpact { .. }
            | RecordError::FactBeforeImpact { .. }
            | RecordError::AlreadyMarked { .. }
            | RecordError::AmbiguousEvent { .. }
            | RecordError::AmbiguousAction { .. }
            | RecordError::AlreadySettled { .. }
            | RecordError::NotCorrectable { .. }
            | RecordError::MaintenanceMove { .. }
            | RecordError::NotAMaintenance { .. }
            | RecordError::EndsAsMaintenance { .. }
            | RecordError::StatusOfOtherKind { .. } => Category::User,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            RecordError::NotResolved { .. } => vec![
                "resolve it first (`incident resolve --root-cause TEXT`), then write the postmortem, then close"
                    .into(),
            ],
            RecordError::LastPhase => vec!["when the service is healthy: `incident resolve`".into()],
            RecordError::MilestoneOrder { .. } => {
                vec!["a milestone that was wrong is fixed with `incident amend EVENT --at T`".into()]
            }
            RecordError::BeforeImpact { started_is_opening, .. } => vec![
                "check the time given; context from before impact (the deploy that set it off) is a note: `incident log TEXT --at T`".into(),
                if *started_is_opening {
                    "if impact started earlier, say so first: `incident mark started --at T`".into()
                } else {
                    "if impact started earlier, correct it first: `incident amend EVENT --at T` on its mark".into()
                },
            ],
            RecordError::FactBeforeImpact { event, .. } => vec![format!(
                "if that event's time is wrong, correct it first: `incident amend {} --at T` (or `incident retract {} --reason TEXT`)",
                crate::ids::short(event),
                crate::ids::short(event)
            )],
            RecordError::AlreadyMarked { event, .. } => {
                vec![format!("to correct it: `incident amend {} --at T`", crate::ids::short(event))]
            }
            RecordError::AmbiguousEvent { .. } | RecordError::AmbiguousAction { .. } => {
                vec!["type more of the id".into()]
            }
            RecordError::AlreadySettled { .. } => {
                vec!["`incident retract EVENT` undoes a wrong settlement".into()]
            }
            RecordError::MaintenanceMove { state, next, .. } if next.is_empty() => {
                vec![format!("a {state} maintenance is over; schedule a new one with `incident maintenance`")]
            }
            RecordError::MaintenanceMove { state, next, .. } => {
                vec![format!("from {state} it can move to {}", next.join(", "))]
            }
            RecordError::EndsAsMaintenance { .. } => {
                vec!["`incident maintenance done` when the work is finished, `incident maintenance cancel` if it will not happen".into()]
            }
            RecordError::NotAMaintenance { .. } => {
                vec!["`incident list` shows each record's kind; an incident ends with `incident resolve`".into()]
            }
            RecordError::NotOpen { state: "canceled", .. } | RecordError::Canceled { .. } => vec![
                "if canceling it was a mistake, retract the cancel event (`incident timeline --ids` shows it): `incident retract EVENT --reason TEXT`".into(),
            ],
            RecordError::NotCancelable { .. } => vec![
                "a resolved incident happened: correct its record with `incident amend` or `incident retract`, keep it off the status page with `incident visibility private`, or mark a game day with `incident drill on`".into(),
            ],
            RecordError::NotOpen { .. }
            | RecordError::StatusOfOtherKind { .. }
            | RecordError::AlreadyClosed { .. }
            | RecordError::NoChange { .. }
            | RecordError::SameSeverity { .. }
            | RecordError::AlreadyInPhase { .. }
            | RecordError::NotCorrectable { .. } => Vec::new(),
        }
    }
}

impl RunbookError {
    fn category(&self) -> Category {
        match self {
            RunbookError::NoRunbook { .. }
            | RunbookError::NotADecision { .. }
            | RunbookError::AnswerNeeded { .. }
            | RunbookError::NoOnFail { .. }
            | RunbookError::NoCommand { .. } => Category::User,
            RunbookError::Stopped { .. } => Category::Failed,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            RunbookError::NoRunbook { .. } => vec!["pass --runbook ID".into()],
            RunbookError::NotADecision { .. } => vec!["drop --choice".into()],
            RunbookError::AnswerNeeded { answers, .. } => {
                vec![format!("pass --choice {}", answers.join("|"))]
            }
            RunbookError::NoOnFail { .. } => vec!["drop --jump".into()],
            RunbookError::NoCommand { .. } | RunbookError::Stopped { .. } => Vec::new(),
        }
    }
}

impl InputError {
    fn category(&self) -> Category {
        match self {
            InputError::Unknown(_)
            | InputError::BadName { .. }
            | InputError::BadTime { .. }
            | InputError::BadShare { .. }
            | InputError::BadLink { .. }
            | InputError::BadDate { .. }
            | InputError::BadInterval { .. }
            | InputError::Missing { .. }
            | InputError::Empty { .. }
            | InputError::TitleTooLong { .. }
            | InputError::EventTooLarge { .. }
            | InputError::NeedsTerminal { .. }
            | InputError::NotListed { .. }
            | InputError::WindowOrder { .. }
            | InputError::InputClosed
            | InputError::BadAddress { .. }
            | InputError::ListenWithoutKey { .. }
            | InputError::BadPayload { .. }
            | InputError::PayloadTooLarge { .. } => Category::User,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            InputError::Unknown(u) => u.hints(),
            InputError::BadLink { .. } => vec!["use e.g. https://tracker.example.com/OPS-123".into()],
            InputError::BadDate { .. } => vec!["use YYYY-MM-DD".into()],
            InputError::BadInterval { .. } => vec!["give one like 30s, 5m or 1h".into()],
            InputError::TitleTooLong { .. } => {
                vec!["say in a line what is broken, and log the details with `incident log`".into()]
            }
            InputError::EventTooLarge { .. } => {
                vec!["keep a big paste in a file or a link, and log what matters".into()]
            }
            InputError::NeedsTerminal { hint, .. } => vec![hint.to_string()],
            InputError::BadName { .. }
            | InputError::BadTime { .. }
            | InputError::BadShare { .. }
            | InputError::Missing { .. }
            | InputError::Empty { .. }
            | InputError::NotListed { .. }
            | InputError::WindowOrder { .. }
            | InputError::InputClosed
            | InputError::BadAddress { .. } => Vec::new(),
            InputError::ListenWithoutKey { .. } => vec![
                "put a long random secret in an environment variable and pass its name: `--token-env INCIDENT_INGEST_TOKEN`"
                    .into(),
                "or listen on loopback only (127.0.0.1:PORT) behind something that authenticates".into(),
            ],
            InputError::BadPayload { .. } => {
                vec!["pass --format alertmanager, grafana or pagerduty to read it as one sender's".into()]
            }
            InputError::PayloadTooLarge { .. } => {
                vec!["lower the sender's batch size (Alertmanager's max_alerts)".into()]
            }
        }
    }
}

impl FileError {
    fn category(&self) -> Category {
        match self {
            FileError::BadFile { .. }
            | FileError::Template { .. }
            | FileError::TemplateLimit { .. }
            | FileError::NoSuchPath { .. }
            | FileError::NothingToLint
            | FileError::CannotCreate { .. }
            | FileError::CannotRead { .. }
            | FileError::NotEmpty { .. }
            | FileError::StatusPageOutput { .. } => Category::User,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            FileError::BadFile { path, more, .. } if *more > 0 => {
                vec![format!("`incident lint {}` lists them", path.display())]
            }
            FileError::TemplateLimit { limit: TemplateLimit::Output { .. }, .. } => vec![
                "look for a loop that writes without end, or, in a postmortem, notes too large to print (`incident amend` shortens one)".into(),
            ],
            FileError::TemplateLimit { limit: TemplateLimit::Work { .. }, .. } => {
                vec!["look for nested loops over large ranges".into()]
            }
            FileError::NothingToLint => {
                vec!["pass files or folders, or run inside an incident repository".into()]
            }
            FileError::CannotCreate { .. } => vec!["choose a folder you can write to".into()],
            FileError::CannotRead { .. } => vec!["check the path: it is read as given, from the current folder".into()],
            FileError::NotEmpty { .. } => {
                vec!["name a new or empty folder, so nothing in it is overwritten".into()]
            }
            FileError::StatusPageOutput { .. } => {
                vec!["choose a folder of its own (default: status-page/)".into()]
            }
            FileError::BadFile { .. } | FileError::Template { .. } | FileError::NoSuchPath { .. } => Vec::new(),
        }
    }
}

impl SyncError {
    fn category(&self) -> Category {
        match self {
            SyncError::UnfinishedGit { .. } | SyncError::NoRemote { .. } | SyncError::DetachedHead => {
                Category::User
            }
            SyncError::Remote { .. }
            | SyncError::SyncConflict { .. }
            | SyncError::RefusedCommit { .. }
            | SyncError::ChangedDuringSync { .. }
            | SyncError::SyncBusy { .. } => Category::Failed,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            SyncError::UnfinishedGit { hint, .. } => vec![format!("{hint}, then run the command again")],
            SyncError::NoRemote { .. } => vec!["add one with `git remote add origin URL`".into()],
            SyncError::DetachedHead => vec!["check out a branch (`git switch main`) and sync again".into()],
            SyncError::Remote { .. } => vec!["the next `incident sync` catches up".into()],
            SyncError::SyncConflict { .. } => vec![
                "edit, `git add` them and `git commit`, then `incident sync` again (or `git merge --abort` to drop the merge)".into(),
            ],
            SyncError::RefusedCommit { upstream, .. } => vec![format!(
                "your work goes with the first sync after that commit is gone from {upstream}: whoever can push there rewrites it away and force-pushes"
            )],
            SyncError::ChangedDuringSync { .. } => vec!["run `incident sync` again".into()],
            SyncError::SyncBusy { .. } => vec!["try again when it ends".into()],
        }
    }
}

impl DeliverError {
    fn category(&self) -> Category {
        match self {
            DeliverError::Undeliverable { .. } => Category::Failed,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            DeliverError::Undeliverable { missing_var: Some(var), .. } => {
                vec![format!("set {var}, then run `incident update --retry`")]
            }
            DeliverError::Undeliverable { missing_var: None, .. } => {
                vec!["fix it, then run `incident update --retry`".into()]
            }
        }
    }
}

impl SystemError {
    fn category(&self) -> Category {
        match self {
            SystemError::Io { .. }
            | SystemError::Git { .. }
            | SystemError::GitLocked { .. }
            | SystemError::Spawn { .. }
            | SystemError::Json(_)
            | SystemError::Listen { .. }
            | SystemError::Scenario { .. } => Category::Failed,
            // The lint cannot run as asked (ShellCheck required but missing, or it did not
            // finish its check): exit 2, never 1, which says "your files have findings".
            SystemError::ShellcheckMissing | SystemError::ShellcheckFailed { .. } => Category::User,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            SystemError::GitLocked { path, .. } => vec![
                "`incident doctor` says which, and `incident doctor --fix` removes one a killed sync left"
                    .into(),
                format!("if no git command is running here, remove it by hand (`rm '{}'`)", path.display()),
            ],
            SystemError::ShellcheckMissing => vec![
                "install it (Debian and Ubuntu: `apt-get install shellcheck`; macOS: `brew install shellcheck`), or pass --shellcheck auto to lint without it".into(),
            ],
            SystemError::Io { .. }
            | SystemError::Git { .. }
            | SystemError::Spawn { .. }
            | SystemError::Json(_)
            | SystemError::Listen { .. }
            | SystemError::ShellcheckFailed { .. }
            | SystemError::Scenario { .. } => Vec::new(),
        }
    }
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn listen_without_key(addr: &str, var: Option<&str>) -> String {
    match var {
        Some(var) => {
            format!("--token-env {var}: ${var} is unset or empty, so --listen {addr} has no key to require")
        }
        None => format!(
            "--listen {addr} is not on loopback: it needs a key (--token-env VAR) that requests must carry"
        ),
    }
}

fn several_incidents(given: &Option<String>) -> String {
    match given {
        Some(g) => format!("{g:?} matches several incidents"),
        None => "several incidents are open".to_string(),
    }
}

fn skipped(unreadable: usize) -> String {
    if unreadable > 0 { format!(" ({unreadable} unreadable lines skipped)") } else { String::new() }
}

fn and_more(more: usize) -> String {
    if more > 0 { format!(" (and {more} more)") } else { String::new() }
}

fn conflicts(paths: &[(String, String)]) -> String {
    paths.iter().map(|(path, what)| format!("{path} ({what})")).collect::<Vec<_>>().join("; ")
}

fn undeliverable(channel: &str, missing_var: &Option<String>) -> String {
    match missing_var {
        Some(var) => format!("the webhook URL of channel {channel} uses ${{{var}}}, which is not set"),
        None => format!(
            "channel {channel}'s `deliver:` must give exactly one of `webhook` or `command` (incident.yaml)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `kind` `--json` has ever given, sorted: programs match on these, so none may
    /// change or disappear.
    const KINDS: &[&str] = &[
        "already-closed",
        "already-in-phase",
        "already-marked",
        "already-settled",
        "ambiguous-action",
        "ambiguous-event",
        "ambiguous-incident",
        "ambiguous-maintenance",
        "answer-needed",
        "bad-address",
        "bad-date",
        "bad-file",
        "bad-incident-id",
        "bad-interval",
        "bad-link",
        "bad-name",
        "bad-payload",
        "bad-share",
        "bad-time",
        "before-impact",
        "canceled",
        "cannot-create",
        "cannot-read",
        "changed-during-sync",
        "detached-head",
        "empty",
        "empty-id",
        "ends-as-maintenance",
        "event-too-large",
        "fact-before-impact",
        "git",
        "git-locked",
        "io",
        "json",
        "last-phase",
        "listen",
        "listen-without-key",
        "maintenance-move",
        "milestone-order",
        "missing",
        "needs-terminal",
        "no-change",
        "no-command",
        "no-on-fail",
        "no-open-incident",
        "no-open-maintenance",
        "no-opened-event",
        "no-remote",
        "no-repo",
        "no-runbook",
        "no-such-path",
        "not-a-decision",
        "not-a-maintenance",
        "not-a-repo",
        "not-cancelable",
        "not-correctable",
        "not-empty",
        "not-listed",
        "not-open",
        "not-resolved",
        "nothing-to-lint",
        "payload-too-large",
        "prompt",
        "refused-commit",
        "remote",
        "same-severity",
        "scenario",
        "shellcheck-failed",
        "shellcheck-missing",
        "spawn",
        "status-of-other-kind",
        "status-page-output",
        "stopped",
        "symlink",
        "sync-busy",
        "sync-conflict",
        "template",
        "template-limit",
        "title-too-long",
        "undeliverable",
        "unfinished-git",
        "unknown-action",
        "unknown-answer",
        "unknown-channel",
        "unknown-event",
        "unknown-incident",
        "unknown-phase",
        "unknown-rule",
        "unknown-runbook",
        "unknown-service",
        "unknown-severity",
        "unknown-step",
        "unknown-template",
        "unreadable-incident",
        "window-order",
    ];

    fn io_error() -> std::io::Error {
        std::io::Error::other("disk full")
    }

    /// The kinds each area can give, as the derive spells them (an [`Unknown`] gives its
    /// noun's, not `unknown`).
    fn every_kind() -> Vec<&'static str> {
        let areas: [&[&'static str]; 8] = [
            RepoError::VARIANTS,
            RecordError::VARIANTS,
            RunbookError::VARIANTS,
            InputError::VARIANTS,
            FileError::VARIANTS,
            SyncError::VARIANTS,
            DeliverError::VARIANTS,
            SystemError::VARIANTS,
        ];
        let mut kinds: Vec<&str> = areas.concat().into_iter().filter(|k| *k != "unknown").collect();
        kinds.extend(Noun::ALL.map(Noun::kind));
        kinds
    }

    /// No two errors share a kind; the input closing keeps the kind it had when Ctrl-D came
    /// as a failed prompt.
    #[test]
    fn every_kind_is_unique_and_as_it_was() {
        let mut kinds = every_kind();
        kinds.sort_unstable();
        let mut shared: Vec<&str> = kinds.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        shared.dedup();
        assert!(shared.is_empty(), "errors that share a kind: {shared:?}");
        kinds.dedup();
        assert_eq!(kinds, KINDS);
        let closed: Error = InputError::InputClosed.into();
        assert_eq!((closed.kind(), closed.exit_code()), ("prompt", 2));
    }

    /// One error of each area (two where an area has both categories), with its exit code
    /// and kind: the category decides the code, whichever area the error is in.
    #[test]
    fn exit_codes_by_category_in_every_area() {
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let cases: Vec<(Error, u8, &str)> = vec![
            (RepoError::NoOpenedEvent { path: "l".into(), unreadable: 3 }.into(), 2, "no-opened-event"),
            (RecordError::LastPhase.into(), 2, "last-phase"),
            (
                RecordError::AmbiguousAction { given: "a".into(), candidates: vec!["ab".into()] }.into(),
                2,
                "ambiguous-action",
            ),
            (
                RecordError::AlreadySettled {
                    action: "ab".into(),
                    title: "t".into(),
                    state: "done",
                    at: None,
                }
                .into(),
                2,
                "already-settled",
            ),
            (RunbookError::NoCommand { step: "s".into() }.into(), 2, "no-command"),
            (RunbookError::Stopped { step: "restart".into(), signal: "SIGTERM" }.into(), 1, "stopped"),
            (
                InputError::NotListed { given: "x".into(), tries: 5, flag: "--severity", candidates: vec![] }
                    .into(),
                2,
                "not-listed",
            ),
            (InputError::BadLink { value: "ftp://x".into() }.into(), 2, "bad-link"),
            (InputError::BadInterval { given: "soon".into() }.into(), 2, "bad-interval"),
            (Unknown::new(Noun::Channel, "x", vec!["a".into()]).into(), 2, "unknown-channel"),
            (Unknown::new(Noun::Action, "ab", Vec::new()).into(), 2, "unknown-action"),
            (FileError::NothingToLint.into(), 2, "nothing-to-lint"),
            (FileError::CannotCreate { path: "x".into(), source: io_error() }.into(), 2, "cannot-create"),
            (FileError::CannotRead { path: "x".into(), source: io_error() }.into(), 2, "cannot-read"),
            (SyncError::DetachedHead.into(), 2, "detached-head"),
            (
                SyncError::ChangedDuringSync { path: "runbooks/a.yaml".into() }.into(),
                1,
                "changed-during-sync",
            ),
            (
                SyncError::RefusedCommit {
                    commit: "1a2b3c4".into(),
                    upstream: "origin/main".into(),
                    path: ".git/hooks/pre-push".into(),
                    why: "a symlink".into(),
                }
                .into(),
                1,
                "refused-commit",
            ),
            (SyncError::SyncBusy { waited_s: 30 }.into(), 1, "sync-busy"),
            (
                DeliverError::Undeliverable { update: "u".into(), channel: "c".into(), missing_var: None }
                    .into(),
                1,
                "undeliverable",
            ),
            (
                SystemError::GitLocked { doing: "committing".into(), path: ".git/index.lock".into() }.into(),
                1,
                "git-locked",
            ),
            (json.into(), 1, "json"),
            (SystemError::Scenario { place: "p".into(), message: "m".into() }.into(), 1, "scenario"),
            (SystemError::ShellcheckMissing.into(), 2, "shellcheck-missing"),
            (SystemError::ShellcheckFailed { message: "m".into() }.into(), 2, "shellcheck-failed"),
        ];
        for (e, code, kind) in cases {
            assert_eq!((e.exit_code(), e.kind()), (code, kind), "{e}");
        }
        assert_eq!((Category::User.exit_code(), Category::Failed.exit_code()), (2, 1));
    }

    #[test]
    fn hints_are_in_the_json_and_not_in_the_message() {
        let e: Error = SyncError::NoRemote { branch: "main".into() }.into();
        let json = e.to_json();
        assert_eq!(json["error"]["message"], "branch main has no git remote to sync with");
        assert_eq!(json["error"]["hints"], serde_json::json!(["add one with `git remote add origin URL`"]));
        assert_eq!(json["error"]["code"], 2);
        assert_eq!(json["error"]["kind"], "no-remote");
        // Always there, empty when there is nothing to add.
        let e: Error = RecordError::AlreadyClosed { id: "x".into() }.into();
        assert_eq!(e.to_json()["error"]["hints"], serde_json::json!([]));
        // A sync conflict keeps its paths for programs.
        let e: Error = SyncError::SyncConflict {
            merging: "origin/main".into(),
            paths: vec![("a".into(), "both".into())],
        }
        .into();
        let json = e.to_json();
        assert_eq!(json["error"]["paths"], serde_json::json!([{"path": "a", "why": "both"}]));
        assert_eq!(json["error"]["hints"].as_array().map(Vec::len), Some(1));
        assert_eq!(e.with_hints(), format!("{e}; {}", e.hints()[0]));
    }

    /// The unknown runbook's message names each unreadable file, and their hints are its own.
    #[test]
    fn an_unknown_runbook_carries_the_broken_files_and_their_hints() {
        let broken: Error = FileError::BadFile {
            path: "runbooks/a.yaml".into(),
            line: 3,
            column: 1,
            rule: "unknown-key",
            message: "m".into(),
            more: 2,
        }
        .into();
        let e: Error = Unknown::new(Noun::Runbook, "a", vec!["b".into()]).broken(vec![broken]).into();
        assert_eq!(
            e.to_string(),
            "no runbook with id \"a\"; known: b; unreadable runbook files: runbooks/a.yaml:3:1: m [unknown-key] (and 2 more)"
        );
        assert_eq!(e.hints(), ["`incident lint runbooks/a.yaml` lists them"]);
    }

    /// Regression: only `fsutil::io` turned a refused symlink (ELOOP) into a symlink error;
    /// an open mapped with `Error::io` reported "Too many levels of symbolic links" as I/O.
    #[test]
    fn a_refused_symlink_is_a_symlink_error_whoever_maps_it() {
        let e = Error::io("incidents/x/events.jsonl")(std::io::Error::from_raw_os_error(libc::ELOOP));
        assert!(matches!(e, Error::Repo(RepoError::Symlink { .. })), "{e:?}");
        assert_eq!(e.exit_code(), 2);
        let e = Error::io("x")(std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(matches!(e, Error::System(SystemError::Io { .. })), "{e:?}");
    }

    #[test]
    fn sources_are_kept() {
        let e: Error = SystemError::Io { path: "x".into(), source: io_error() }.into();
        assert_eq!(std::error::Error::source(&e).map(ToString::to_string).as_deref(), Some("disk full"));
        assert_eq!(e.to_string(), "x: disk full");
        let e = Error::git("committing")(git2::Error::from_str("locked"));
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(e.to_string(), "git: committing: locked");
    }
}

//! The command line, as clap definitions. Completions and the man page are
//! generated from these, so this file is the single description of the interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCandidates;

use crate::complete;

#[derive(Debug, Parser)]
#[command(
    name = "incident",
    version,
    about = "Incident response in the terminal: runbooks, a git-backed timeline, postmortems"
)]
#[command(propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The incident repository (default: $INCIDENT_REPO, else the nearest parent with incident.yaml)
    #[arg(long, global = true, help_heading = "Global options", env = "INCIDENT_REPO", value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Who is acting (default: git user.name, else $USER)
    #[arg(long = "as", global = true, help_heading = "Global options", value_name = "NAME")]
    pub as_name: Option<String>,
    /// Machine-readable output
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Answer yes to every confirmation
    #[arg(long, short = 'y', global = true, help_heading = "Global options")]
    pub yes: bool,
    /// The incident to act on: an id, a unique prefix, or words of its title (`grocery`)
    /// that name one incident (default: the only open incident)
    #[arg(
        long,
        short = 'i',
        global = true,
        help_heading = "Global options",
        value_name = "ID",
        add = ArgValueCandidates::new(complete::incidents)
    )]
    pub incident: Option<String>,
    /// When what is logged happened: RFC 3339, HH:MM (local), -15m or "15m ago" (default: now)
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "T",
        allow_hyphen_values = true
    )]
    pub at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an incident repository (git init when needed, starter config, runbooks, templates)
    Init {
        /// Where (default: the current directory)
        path: Option<PathBuf>,
    },
    /// Open an incident
    Open(OpenArgs),
    /// The guided, resumable walk through the runbook (q leaves; `walk` resumes)
    Walk {
        /// The incident: an id or a unique prefix (default: the only open incident)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
        /// Attach this runbook first, when the incident has none
        #[arg(long, value_name = "ID", add = ArgValueCandidates::new(complete::runbooks))]
        runbook: Option<String>,
    },
    /// Record a runbook step, or run its command
    #[command(subcommand)]
    Step(StepCmd),
    /// Runbooks of the incident
    #[command(subcommand)]
    Runbook(RunbookCmd),
    /// Move to the next phase, or to a named one
    Phase {
        /// `next`, or one of detect, assess, diagnose, remediate, validate
        target: String,
    },
    /// Add a note to the timeline (`-` reads it from stdin)
    Log {
        /// What happened, what was tried, what was decided (`-` reads it from stdin)
        note: String,
    },
    /// Record a key moment
    Mark {
        /// Which moment (`--at` says when; default: now)
        milestone: crate::events::Milestone,
    },
    /// Change the severity
    Severity {
        /// The new severity, as declared in incident.yaml (SEV1 … SEV4)
        #[arg(add = ArgValueCandidates::new(complete::severities))]
        severity: String,
        /// Why it changed
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Hand a role to someone (commander, comms, scribe, ops)
    Role {
        /// The role to hand over
        role: RoleKind,
        /// Who takes it
        name: String,
    },
    /// Add a follow-up action item (`action TITLE --owner NAME`), or settle one (`action done
    /// ID`, `action drop ID --reason TEXT`)
    Action(ActionArgs),
    /// Action items across every incident of the repository, by due date
    Actions {
        /// Only open action items
        #[arg(long)]
        open: bool,
        /// Only this owner's action items
        #[arg(long, value_name = "NAME")]
        owner: Option<String>,
        /// Only open action items whose due date is before today (UTC)
        #[arg(long)]
        overdue: bool,
    },
    /// Customer impact as it stands from now (or --at): failing share and counts
    Impact {
        /// Percent of the affected services' traffic failing (default before any: 100)
        #[arg(long, value_name = "PCT")]
        share: Option<f64>,
        /// Customers affected so far
        #[arg(long, value_name = "N")]
        customers: Option<u64>,
        /// Orders that failed so far
        #[arg(long, value_name = "N")]
        failed_orders: Option<u64>,
        /// Support tickets about it so far
        #[arg(long, value_name = "N")]
        tickets: Option<u64>,
    },
    /// Narrative for the postmortem
    Retro {
        /// The postmortem section it belongs to
        section: RetroSection,
        /// The text (markdown); several texts in one section are kept in order
        text: String,
    },
    /// Log a customer or stakeholder update, then deliver it to its channel's target
    /// (exit 1 when it is logged but not delivered: `update --retry` tries again)
    Update(UpdateArgs),
    /// Schedule a maintenance (`maintenance TITLE --service S --from T --until T`), or move
    /// one (`maintenance start|done|cancel [ID]`)
    Maintenance(MaintenanceArgs),
    /// Record a change (a deploy): run its command and record it (`change record -- CMD…`), or
    /// record one made elsewhere (`change add TITLE --service S`)
    #[command(subcommand)]
    Change(ChangeCmd),
    /// Changes recorded (deploys), oldest first
    Changes {
        /// Only changes that started at or after this time
        #[arg(long, value_name = "T", allow_hyphen_values = true)]
        since: Option<String>,
        /// Only changes to this service (repeatable)
        #[arg(long = "service", value_name = "S", add = ArgValueCandidates::new(complete::services))]
        services: Vec<String>,
    },
    /// Take in an alert notification (Alertmanager, Grafana, PagerDuty): it opens an incident
    /// by the `alerts:` rules, or is added to the open incident it belongs to
    Ingest(IngestArgs),
    /// The incident's updates with their delivery state
    Updates {
        /// The incident: an id or a unique prefix (default: the only open incident)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
    },
    /// Where things stand: phase, elapsed against budget, overdue items
    Status {
        /// The incident: an id or a unique prefix (default: the only open incident)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
    },
    /// The handover for an incoming commander, on one screen: impact, roles, what was tried,
    /// what is next, updates due, recent changes, the last events (--at: as it stood then)
    Brief {
        /// The incident: an id or a unique prefix (default: the only open incident)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
    },
    /// Every incident
    List {
        /// Include closed and canceled incidents
        #[arg(long)]
        all: bool,
    },
    /// Every event in order
    Timeline {
        /// The incident: an id or a unique prefix (default: the only open incident)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
        /// Show each event's id (what `amend` and `retract` take)
        #[arg(long)]
        ids: bool,
    },
    /// Mark the incident resolved
    Resolve {
        /// The root cause, in one sentence (for the postmortem)
        #[arg(long, value_name = "TEXT")]
        root_cause: Option<String>,
    },
    /// Close the incident (after its postmortem)
    Close,
    /// Who may see the incident: a private one is kept off the public status page, its feed,
    /// JSON and banner, and changes no service's state there; it still counts in statistics
    Visibility {
        /// public or private
        visibility: crate::events::Visibility,
    },
    /// Make the incident a drill (a game day: left out of statistics and the status page), or
    /// a real incident again
    Drill {
        /// on or off
        drill: Toggle,
    },
    /// Call the incident a false alarm or a duplicate: it ends as canceled, needs no
    /// postmortem, and is left out of statistics and the status page (`list --all` shows it)
    Cancel {
        /// Why: a false alarm, or which incident it duplicates
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Correct an event: when it happened (--at) and/or its text (--text); the original line stays
    Amend {
        /// The event's id, or a unique prefix of it (`incident timeline --ids`)
        event: String,
        /// The corrected text (a note's, or a step's note)
        #[arg(long, value_name = "TEXT")]
        text: Option<String>,
    },
    /// Say an event was not true: it no longer counts; the original line stays
    Retract {
        /// The event's id, or a unique prefix of it (`incident timeline --ids`)
        event: String,
        /// Why it was not true
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Render the postmortem and commit it
    Postmortem {
        /// The incident: an id or a unique prefix (default: the only open or resolved incident)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
        /// Write the file but do not commit
        #[arg(long)]
        no_commit: bool,
        /// Use this template instead of the repository's
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
        /// Write here instead of incidents/ID/postmortem.md (implies --no-commit)
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Uptime and response statistics across incidents
    Stats(StatsArgs),
    /// Write the public status page as static files: index.html, incidents/ID.html,
    /// status.json, feed.atom, feeds/SERVICE.atom, banner.html, and api/v2/ (Atlassian
    /// Statuspage's public API, for tools written for it)
    StatusPage {
        /// The folder to write (default: status-page/ in the repository)
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// How many days the service bars and uptime cover, ending on the day of the
        /// repository's latest event
        #[arg(long, value_name = "N", default_value_t = crate::statuspage::DEFAULT_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// Build the page even when an incident's log cannot be read, leaving that incident
        /// off it (with a warning); without this, such a log stops the build
        #[arg(long)]
        allow_unreadable: bool,
    },
    /// Lint runbooks, incident.yaml and templates (default: the repository's)
    Lint {
        /// Files or folders (folders are searched for *.yaml, *.yml and *.j2)
        paths: Vec<PathBuf>,
        /// How findings are printed (`--json` means json)
        #[arg(long, value_enum, default_value_t = crate::lint::format::Format::Human)]
        format: crate::lint::format::Format,
        /// Explain a rule (or, with no RULE, list every rule) instead of linting
        #[arg(long, value_name = "RULE", num_args = 0..=1, default_missing_value = "")]
        explain: Option<String>,
        /// Run ShellCheck on every command: when it is installed (auto), always, failing
        /// when it is not (require, for CI), or never (off)
        #[arg(long, value_enum, value_name = "WHEN", default_value_t = crate::lint::shellcheck::Mode::Auto)]
        shellcheck: crate::lint::shellcheck::Mode,
        /// The least severe ShellCheck finding reported
        #[arg(long, value_enum, value_name = "LEVEL", default_value_t = crate::lint::shellcheck::Level::Warning)]
        shellcheck_level: crate::lint::shellcheck::Level,
        /// Also warn about each program a command calls that is neither a shell builtin nor
        /// installed on this machine (off by default: run it on the machine that will run the
        /// runbooks)
        #[arg(long)]
        check_programs: bool,
    },
    /// Share the repository through its git remote: commit what is pending, fetch, merge
    /// (event logs as the union of their events), push. Offline work is kept; the next sync
    /// catches up
    Sync {
        /// Sync again every INTERVAL (e.g. 30s, 5m), printing one line per change, until
        /// interrupted: a war-room terminal kept in step
        #[arg(long, value_name = "INTERVAL")]
        watch: Option<String>,
    },
    /// Check the repository: unreadable log lines, stale temp files, folders without a log,
    /// symlinks, stale caches (exit 1 when it finds something)
    Doctor {
        /// Repair what is safe: move unreadable lines to rejected.jsonl, remove stale temp
        /// files, empty folders, symlinks (the link, not its target) and stale caches
        #[arg(long)]
        fix: bool,
    },
    /// Print the runbook JSON Schema, for editors (yaml-language-server)
    Schema,
    /// Replay the founding scenario into a repository (kept; its path is said on stderr) and
    /// print the postmortem's path
    Demo {
        /// Build the repository in DIR (created when missing; refused when not empty) instead
        /// of a new folder under the system's temporary directory
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Keep the repository after the demo (always so: the postmortem's path must stay
        /// readable; accepted for scripts that say so)
        #[arg(long)]
        keep: bool,
    },
    /// A static shell completion script (for completions of incident, step and runbook ids,
    /// severities and services, use `source <(COMPLETE=bash incident)`; see the README)
    Completions {
        /// The shell to write the script for
        shell: clap_complete::Shell,
    },
    /// The man page (roff): incident(1) on stdout, or every page into a folder
    Man {
        /// Write incident.1 and a page per command (incident-open.1, incident-step-done.1, …)
        /// into this folder instead of printing incident(1)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// What is wrong, as customers see it (asked for on a terminal when missing)
    pub title: Option<String>,
    /// The severity, as declared in incident.yaml (SEV1 … SEV4)
    #[arg(long, value_name = "SEV", add = ArgValueCandidates::new(complete::severities))]
    pub severity: Option<String>,
    /// An affected service (repeat for several)
    #[arg(long = "service", value_name = "S", add = ArgValueCandidates::new(complete::services))]
    pub services: Vec<String>,
    /// The runbook to follow, by id
    #[arg(long, value_name = "ID", add = ArgValueCandidates::new(complete::runbooks))]
    pub runbook: Option<String>,
    /// The incident commander (default: who opens it)
    #[arg(long, value_name = "NAME")]
    pub commander: Option<String>,
    /// When customer impact started (default: now)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub started_at: Option<String>,
    /// When the problem was detected (default: when opened)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub detected_at: Option<String>,
    /// A game day: left out of statistics and the public status page
    #[arg(long)]
    pub drill: bool,
    /// Keep it off the public status page whatever its severity or updates (`incident
    /// visibility public` undoes it)
    #[arg(long)]
    pub private: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The channel, as declared in incident.yaml (status-page, email, …); repeated, one
    /// update goes to each (a channel named twice counts once)
    #[arg(long, value_name = "CH", required_unless_present = "retry")]
    pub channel: Vec<String>,
    /// The public state it announces: an incident's (investigating, identified, monitoring,
    /// resolved) or a maintenance's (scheduled, in_progress, verifying, completed), which also
    /// moves the maintenance there
    #[arg(long, value_enum, value_name = "S")]
    pub status: Option<UpdateStatus>,
    /// The estimated time of resolution: RFC 3339, HH:MM, or relative (`30m`)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub eta: Option<String>,
    /// Render templates/comms/NAME.md.j2 (initial, progress, mitigated, shipped, resolved) as the message
    #[arg(long, value_name = "NAME", conflicts_with = "message")]
    pub template: Option<String>,
    /// Deliver again every update of the incident not yet delivered
    #[arg(long, conflicts_with_all = ["channel", "status", "eta", "template", "message"])]
    pub retry: bool,
    /// What customers or stakeholders are told
    #[arg(required_unless_present_any = ["template", "retry"])]
    pub message: Option<String>,
}

/// What `update --status` may announce: an incident's public states, then a maintenance's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UpdateStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Scheduled,
    #[value(name = "in_progress", alias = "in-progress")]
    InProgress,
    Verifying,
    Completed,
}

impl UpdateStatus {
    /// An incident's public state, when it is one.
    pub fn of_incident(self) -> Option<crate::events::PublicStatus> {
        use crate::events::PublicStatus;
        match self {
            UpdateStatus::Investigating => Some(PublicStatus::Investigating),
            UpdateStatus::Identified => Some(PublicStatus::Identified),
            UpdateStatus::Monitoring => Some(PublicStatus::Monitoring),
            UpdateStatus::Resolved => Some(PublicStatus::Resolved),
            _ => None,
        }
    }

    /// A maintenance's state, when it is one.
    pub fn of_maintenance(self) -> Option<crate::events::MaintenanceState> {
        use crate::events::MaintenanceState;
        match self {
            UpdateStatus::Scheduled => Some(MaintenanceState::Scheduled),
            UpdateStatus::InProgress => Some(MaintenanceState::InProgress),
            UpdateStatus::Verifying => Some(MaintenanceState::Verifying),
            UpdateStatus::Completed => Some(MaintenanceState::Completed),
            _ => None,
        }
    }
}

/// `incident ingest [FILE|-] [--format F]`, or `incident ingest --listen ADDR [--token-env VAR]`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The notification's body as its sender posts it: a file, or `-` (the default) for stdin
    pub file: Option<PathBuf>,
    /// Whose notification it is (default: told by its fields)
    #[arg(long, value_enum, default_value_t = crate::alerts::Format::Auto)]
    pub format: crate::alerts::Format,
    /// Listen for notifications over HTTP at ADDR (HOST:PORT, or PORT on 127.0.0.1), each
    /// recorded before it is answered, until SIGTERM or Ctrl-C
    #[arg(long, value_name = "ADDR", conflicts_with = "file")]
    pub listen: Option<String>,
    /// The environment variable holding the key requests must carry (a bearer token, or the
    /// key of an HMAC-SHA256 signature of the body); required off loopback
    #[arg(long, value_name = "VAR", requires = "listen")]
    pub token_env: Option<String>,
}

/// `maintenance TITLE --service S … --from T --until T` schedules a maintenance;
/// `maintenance start|done|cancel [ID]` moves one. The first word decides.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_help_subcommand = true
)]
pub struct MaintenanceArgs {
    #[command(subcommand)]
    pub step: Option<MaintenanceCmd>,
    /// What will be done, as customers should read it ("Database upgrade")
    #[arg(required = true)]
    pub title: Option<String>,
    /// A service the work affects (repeat for several)
    #[arg(long = "service", value_name = "S", required = true, add = ArgValueCandidates::new(complete::services))]
    pub services: Vec<String>,
    /// When the work is planned to start: RFC 3339, HH:MM (the next such local time), or a
    /// span from now (`2h`, `in 2h`); it may lie ahead
    #[arg(long, value_name = "T", required = true, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// When the work is planned to end (after --from), in the same forms
    #[arg(long, value_name = "T", required = true, allow_hyphen_values = true)]
    pub until: Option<String>,
    /// What customers are told about it, shown with it on the status page
    #[arg(long, value_name = "M")]
    pub message: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCmd {
    /// The work has started: scheduled → in progress
    Start {
        /// The maintenance (default: the only one scheduled or under way)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
    },
    /// The work is done: in progress or verifying → completed
    Done {
        /// The maintenance (default: the only one scheduled or under way)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
    },
    /// The work will not happen, or stops: scheduled, in progress or verifying → canceled
    Cancel {
        /// The maintenance (default: the only one scheduled or under way)
        #[arg(add = ArgValueCandidates::new(complete::incidents))]
        id: Option<String>,
    },
}

/// `action TITLE --owner NAME …` adds an action item; `action done ID` and `action drop ID`
/// settle one. The first word decides: `done` and `drop` are the settling forms.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_help_subcommand = true
)]
pub struct ActionArgs {
    #[command(subcommand)]
    pub settle: Option<ActionCmd>,
    /// What is to be done
    #[arg(required = true)]
    pub title: Option<String>,
    /// Who will do it
    #[arg(long, value_name = "NAME", required = true)]
    pub owner: Option<String>,
    /// Due date, YYYY-MM-DD
    #[arg(long)]
    pub due: Option<String>,
    /// What the action is for
    #[arg(long = "type", value_enum, default_value_t = ActionType::Prevent)]
    pub action_type: ActionType,
    /// Where the work is tracked (an issue, a ticket): an http(s) URL
    #[arg(long, value_name = "URL")]
    pub link: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ActionCmd {
    /// The action item is done
    Done {
        /// The action item's id, or a unique prefix of it (`incident actions` lists them)
        id: String,
        /// What was done, for the postmortem
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// The action item will not be done
    Drop {
        /// The action item's id, or a unique prefix of it (`incident actions` lists them)
        id: String,
        /// Why it will not be done
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StepCmd {
    /// The step is done (`--choice` answers a decision step)
    Done {
        /// The step's id in the runbook
        #[arg(add = ArgValueCandidates::new(complete::steps))]
        step: String,
        /// A note kept with the step's result
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// The answer to a decision step (one of its choices)
        #[arg(long, value_name = "ANSWER")]
        choice: Option<String>,
    },
    /// The step does not apply
    Skip {
        /// The step's id in the runbook
        #[arg(add = ArgValueCandidates::new(complete::steps))]
        step: String,
        /// A note kept with the step's result
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// The step was tried and did not work
    Fail {
        /// The step's id in the runbook
        #[arg(add = ArgValueCandidates::new(complete::steps))]
        step: String,
        /// A note kept with the step's result
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Go to the step's `on_fail` target (e.g. a rollback) instead of the next step
        #[arg(long)]
        jump: bool,
    },
    /// Run the step's command (asks first, unless --yes)
    Run {
        /// The step's id in the runbook
        #[arg(add = ArgValueCandidates::new(complete::steps))]
        step: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunbookCmd {
    /// Attach another runbook mid-incident; the walk follows it from the current phase, and
    /// earlier runbooks keep their results
    Attach {
        /// The runbook's id (its `id:`)
        #[arg(add = ArgValueCandidates::new(complete::runbooks))]
        id: String,
    },
    /// Draw a runbook: phases as groups, steps as nodes (decisions as diamonds, steps with a
    /// command set apart), the next step, answers and on_fail as labelled edges, steps no
    /// walk reaches marked "never reached"
    Graph {
        /// The runbook's id (its `id:`)
        #[arg(add = ArgValueCandidates::new(complete::runbooks))]
        id: String,
        /// Mermaid (a `flowchart`, drawn by GitHub in a ```mermaid block) or Graphviz DOT
        #[arg(long, value_enum, default_value_t)]
        format: crate::graph::Format,
    },
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Start of the period, inclusive: a time, or a date (2026-06-01: that day's start, UTC)
    /// (default: 365 days before --until)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// End of the period, exclusive: a time, or a date (that day's start, UTC) (default: now)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Break the figures down by calendar month (UTC), highest severity, service or cause
    /// (the first runbook attached)
    #[arg(long, value_enum)]
    pub by: Option<crate::stats::By>,
    /// Only incidents naming this service (repeatable)
    #[arg(long, value_name = "S", add = ArgValueCandidates::new(complete::services))]
    pub service: Vec<String>,
    /// A Markdown monthly report with tables, Mermaid charts and definitions
    #[arg(long, conflicts_with = "csv")]
    pub markdown: bool,
    /// One CSV row per group (a header row first)
    #[arg(long)]
    pub csv: bool,
    /// Count drills (game days) too
    #[arg(long)]
    pub include_drills: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleKind {
    Commander,
    Comms,
    Scribe,
    Ops,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ActionType {
    Mitigate,
    Prevent,
    Process,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RetroSection {
    Summary,
    Trigger,
    RootCause,
    Contributing,
    Detection,
    Resolution,
    WentWell,
    WentWrong,
    Lucky,
}

/// The stable names used in events and templates.
pub fn value_name<T: ValueEnum>(v: T) -> String {
    v.to_possible_value().map(|p| p.get_name().to_string()).unwrap_or_default()
}

#[derive(Debug, Subcommand)]
pub enum ChangeCmd {
    /// Run a deploy command and record it as a change: start, end, exit code, who (exit 1 when
    /// the command fails; the change is recorded either way)
    Record {
        /// A service it changes (repeatable)
        #[arg(long = "service", value_name = "S", add = ArgValueCandidates::new(complete::services))]
        services: Vec<String>,
        /// What it is (default: the command)
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// How long the command may run before its process group is killed (default 10m)
        #[arg(long, value_name = "DURATION")]
        timeout: Option<String>,
        /// The command and its arguments, after `--`, run as given (not through a shell)
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Record a change made elsewhere (a CI pipeline's deploy); `--at` says when it started
    Add {
        /// What it is
        title: String,
        /// A service it changes (repeatable; at least one)
        #[arg(long = "service", value_name = "S", required = true, add = ArgValueCandidates::new(complete::services))]
        services: Vec<String>,
        /// Where to read more: the pipeline run, the pull request (http or https)
        #[arg(long, value_name = "URL")]
        link: Option<String>,
    },
}

//! What every command needs: the global flags, the clock, whether a person is at the
//! terminal, the repository, and the doors into and out of an incident's log: loading (with
//! its warnings shown), choosing the incident, and appending redacted events.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};

use crate::cli::Global;
use crate::error::{InputError, Result};
use crate::events::{Body, Event};
use crate::head::Head;
use crate::index::{self, Warning};
use crate::out::Ui;
use crate::prompt;
use crate::repo::{self, Repo};
use crate::state::Incident;
use crate::timefmt;

/// Where "now" comes from: the machine's clock, or a fixed moment (`demo` replays its
/// scenario at the scenario's times, so its log is the same on every run).
#[derive(Debug, Clone, Copy)]
enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    fn read(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => t,
        }
    }
}

pub struct Ctx {
    pub global: Global,
    /// The clock when the command (or the walk's turn) started: what `--at` and every view
    /// (elapsed, budgets) are read against.
    pub now: DateTime<Utc>,
    /// What events are stamped with, read when each is made: a responder may sit on a
    /// question for minutes, and the record says when they answered, not when it was asked.
    clock: Clock,
    /// stdin is a terminal: prompting is allowed.
    pub interactive: bool,
    /// `--at`, parsed against `now` when the command started.
    at: Option<DateTime<Utc>>,
    /// Where everything the command says goes.
    pub ui: Ui,
}

impl Ctx {
    /// The context of one command, its global flags checked here, once, before anything
    /// acts: a mistyped `--at` or an empty `--as` must not let `step run --yes` run a
    /// production command and then fail to log it.
    pub fn new(global: Global) -> Result<Ctx> {
        Ctx::with_clock(global, Clock::System, std::io::stdin().is_terminal(), Ui::terminal())
    }

    /// [`Ctx::new`] with the clock fixed at `now`, saying things through `ui` (how `demo`
    /// replays its scenario).
    pub fn at_time(global: Global, now: DateTime<Utc>, interactive: bool, ui: Ui) -> Result<Ctx> {
        Ctx::with_clock(global, Clock::Fixed(now), interactive, ui)
    }

    fn with_clock(global: Global, clock: Clock, interactive: bool, ui: Ui) -> Result<Ctx> {
        if let Some(name) = &global.as_name {
            crate::names::check("--as", name.clone())?;
        }
        let now = clock.read();
        let at = match global.at.as_deref() {
            Some(v) => Some(parse_time(now, "--at", v)?),
            None => None,
        };
        Ok(Ctx { global, now, clock, interactive, at, ui })
    }

    /// The same flags with the clock fixed at `now`, without `--at`: for events that say when
    /// they happened themselves (a delivery attempt, logged when it ended).
    pub fn at_now(&self, now: DateTime<Utc>) -> Ctx {
        let global = Global { at: None, ..self.global.clone() };
        Ctx { global, now, clock: Clock::Fixed(now), interactive: self.interactive, at: None, ui: self.ui }
    }

    /// The same flags with a fresh clock reading: a walk lasts as long as the incident, and
    /// each of its cards shows where things stand when it is drawn.
    pub fn tick(&self) -> Ctx {
        Ctx {
            global: self.global.clone(),
            now: self.clock.read(),
            clock: self.clock,
            interactive: self.interactive,
            at: self.at,
            ui: self.ui,
        }
    }

    /// The clock now (a fixed clock: its moment), not when the command started: when a
    /// command started or ended, or when an answer was given.
    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.read()
    }

    /// The repository and its configuration; a configuration that fails lint is replaced by
    /// its last good version, and the responder told so here.
    pub fn repo(&self) -> Result<Repo> {
        let repo = crate::load::repo(repo::discover(self.global.repo.as_deref())?);
        self.tell_fallbacks()?;
        repo
    }

    pub fn parse_time(&self, flag: &'static str, value: &str) -> Result<DateTime<Utc>> {
        parse_time(self.now, flag, value)
    }

    /// `--at`, parsed when the command started; `None` means now.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        self.at
    }

    /// Tells the responder what went wrong without failing the command.
    /// Fallbacks made since the last warning (a runbook that fails lint, read as its last good
    /// commit had it) are told first, each once.
    pub fn warn(&self, warnings: impl IntoIterator<Item = Warning>) -> Result<()> {
        self.tell_fallbacks()?;
        warnings.into_iter().try_for_each(|w| self.ui.warn(w))
    }

    /// One line for each file read as an earlier commit had it because its working copy fails
    /// lint (`load::Fallback`), on stderr as every warning is, `--json` or not.
    pub fn tell_fallbacks(&self) -> Result<()> {
        crate::load::untold_fallbacks().into_iter().try_for_each(|f| self.ui.warn(f))
    }

    /// The incident named by a positional id, else `--incident`, else the only open one.
    pub fn incident_id(&self, repo: &Repo, positional: Option<&str>) -> Result<String> {
        let mut warnings = Vec::new();
        let id = index::resolve(repo, positional.or(self.global.incident.as_deref()), &mut warnings);
        self.warn(warnings)?;
        id
    }

    pub fn load(&self, repo: &Repo, id: &str) -> Result<Incident> {
        let loaded = index::load(repo, id)?;
        self.warn(loaded.warnings)?;
        Ok(loaded.incident)
    }

    /// The repository and the incident a command acts on, in whatever state it is.
    pub fn target(&self, positional: Option<&str>) -> Result<(Repo, Incident)> {
        let repo = self.repo()?;
        let id = self.incident_id(&repo, positional)?;
        let incident = self.load(&repo, &id)?;
        Ok((repo, incident))
    }

    /// The same, for commands that change the response: the incident must be open.
    pub fn open_target(&self, positional: Option<&str>) -> Result<(Repo, Incident)> {
        let (repo, incident) = self.target(positional)?;
        incident.require_open()?;
        Ok((repo, incident))
    }

    /// A new event by the responder, stamped now (when it is made, after any question that
    /// led to it was answered), redacted (`Event::new`), `--at` as when it happened.
    pub fn event(&self, repo: &Repo, body: Body) -> Result<Event> {
        self.event_at(repo, body, self.at())
    }

    /// A new event by the responder that happened at `occurred` (`None`: now), stamped with
    /// a fresh reading of the clock, redacted: the one door every event the responder writes
    /// goes through. (Its size is checked where it is written, `events::append`.)
    pub fn event_at(&self, repo: &Repo, body: Body, occurred: Option<DateTime<Utc>>) -> Result<Event> {
        self.stamped(repo, body, self.clock_now(), occurred)
    }

    fn stamped(
        &self,
        repo: &Repo,
        body: Body,
        at: DateTime<Utc>,
        occurred: Option<DateTime<Utc>>,
    ) -> Result<Event> {
        let by = repo.responder(self.global.as_name.as_deref())?;
        Ok(Event::new(body, &by, at, occurred))
    }

    /// Appends `events` to incident `id`, refusing first (nothing written) a backdated fact
    /// that would come before impact started. The head is read only when something is
    /// backdated, and an opening brings its own moments (`open` checks them). What the tool
    /// timed itself (a command's run, a delivery) is never refused: it has happened, and
    /// refusing it would lose the record of it.
    pub fn append(&self, repo: &Repo, id: &str, events: &[Event]) -> Result<()> {
        let opening = events.iter().any(|e| matches!(e.body, Body::Opened { .. }));
        let timed_by_us = |b: &Body| matches!(b, Body::Command { .. } | Body::Delivery { .. });
        let backdated: Vec<&Event> = events
            .iter()
            .filter(|e| e.occurred_at.is_some() && !e.body.may_precede_impact() && !timed_by_us(&e.body))
            .collect();
        if !opening && !backdated.is_empty() {
            let (head, warnings) = index::head(repo, id)?;
            self.warn(warnings)?;
            for e in backdated {
                head.moments.check_fact(e.body.kind(), e.when())?;
            }
        }
        let warnings = index::append(repo, id, events)?;
        self.warn(warnings)
    }

    /// The repository and the head of the incident a write acts on: what its checks need,
    /// without reading the whole log (appending is constant time).
    pub fn head_target(&self) -> Result<(Repo, Head)> {
        let repo = self.repo()?;
        let id = self.incident_id(&repo, None)?;
        let (head, warnings) = index::head(&repo, &id)?;
        self.warn(warnings)?;
        Ok((repo, head))
    }

    /// Appends one event per body to incident `id` and says what was logged, with its time:
    /// one fact told at once, so one stamp for all of them.
    pub fn record(&self, repo: &Repo, id: &str, bodies: Vec<Body>, said: &str) -> Result<u8> {
        let at = self.clock_now();
        let events =
            bodies.into_iter().map(|b| self.stamped(repo, b, at, self.at())).collect::<Result<Vec<_>>>()?;
        self.append_and_say(repo, id, events, said)
    }

    /// Appends a new incident's opening to the folder claimed for it
    /// (`Repo::claim_incident_dir`), or, when it is refused whole (an event over the size
    /// limit, a full disk), removes that folder if nothing was written in it, so the id is
    /// free again and no empty incident is left behind.
    pub fn append_opening(&self, repo: &Repo, id: &str, events: &[Event]) -> Result<()> {
        self.append(repo, id, events).inspect_err(|_| {
            if let Ok(dir) = repo.incident_dir(id) {
                let _ = std::fs::remove_dir(dir);
            }
        })
    }

    /// Appends `events` and says so: a line for people, or, with `--json`, the events
    /// themselves (each with its id), as every write command does.
    pub fn append_and_say(&self, repo: &Repo, id: &str, events: Vec<Event>, said: &str) -> Result<u8> {
        self.append(repo, id, &events)?;
        self.say_appended(id, &events, said)?;
        Ok(0)
    }

    /// A line for people: on stdout, or on stderr with `--json`, where stdout is for JSON.
    /// It may quote data (a step's title, a command and its output): control characters are
    /// made visible; line breaks stay.
    pub fn say(&self, line: impl std::fmt::Display) -> Result<()> {
        let to = if self.global.json { self.ui.status() } else { self.ui.out() };
        writeln!(to.block(), "{line}")
    }

    /// What a write command prints about the events it appended.
    pub fn say_appended(&self, id: &str, events: &[Event], said: &str) -> Result<()> {
        if self.global.json {
            return self.print_json(&serde_json::json!({ "incident": id, "events": events }));
        }
        let when = events.first().map_or(self.now, Event::when);
        // `said` quotes what was typed (`comms: dave password=…`); the screen of a war room is
        // shared, so it is redacted as the log is.
        let said = crate::redact::redact(said);
        writeln!(self.ui.out(), "{}  {said}  [{id}]", timefmt::rfc3339(when))
    }

    /// Either proceeds (`--yes`, or a person said yes) or explains which flag to pass. On a
    /// terminal the answer is a line (`y`/`yes`/`n`/`no`, Enter; default no), as every
    /// question is (`prompt`); input closed (Ctrl-D) is [`prompt::closed`].
    pub fn confirm(&self, question: &str, what: &str) -> Result<bool> {
        if self.global.yes {
            return Ok(true);
        }
        if !self.interactive {
            return Err(InputError::NeedsTerminal {
                what: what.to_string(),
                needs: "a decision",
                hint: "pass --yes to confirm",
            }
            .into());
        }
        prompt::yes_no(question)?.ok_or_else(prompt::closed)
    }

    pub fn print_json(&self, value: &impl serde::Serialize) -> Result<()> {
        // serde escapes what JSON must; the data is kept whole for the program reading it.
        writeln!(self.ui.out().raw(), "{}", serde_json::to_string_pretty(value)?)
    }
}

fn parse_time(now: DateTime<Utc>, flag: &'static str, value: &str) -> Result<DateTime<Utc>> {
    timefmt::parse_time(value, now)
        .map_err(|reason| InputError::BadTime { flag, value: value.to_string(), reason }.into())
}

//! What every command needs: the global flags, one clock reading, whether a person is at the
//! terminal, and the repository.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};

use crate::cli::Global;
use crate::error::{Error, Result};
use crate::events::{Body, Event};
use crate::repo::{self, Repo};
use crate::timefmt;

pub struct Ctx {
    pub global: Global,
    /// One reading of the clock per command, so every event it writes agrees.
    pub now: DateTime<Utc>,
    /// stdin is a terminal: prompting is allowed.
    pub interactive: bool,
}

impl Ctx {
    pub fn new(global: Global) -> Ctx {
        Ctx { global, now: Utc::now(), interactive: std::io::stdin().is_terminal() }
    }

    pub fn repo(&self) -> Result<Repo> {
        let root = repo::discover(self.global.repo.as_deref())?;
        Repo::open(root)
    }

    pub fn parse_time(&self, flag: &str, value: &str) -> Result<DateTime<Utc>> {
        timefmt::parse_time(value, self.now).map_err(|m| Error::Usage(format!("{flag}: {m}")))
    }

    /// `--at`, parsed; `None` means now.
    pub fn at(&self) -> Result<Option<DateTime<Utc>>> {
        self.global.at.as_deref().map(|v| self.parse_time("--at", v)).transpose()
    }

    /// The incident named by a positional id, else `--incident`, else the only open one.
    pub fn incident_id(&self, repo: &Repo, positional: Option<&str>) -> Result<String> {
        repo.resolve(positional.or(self.global.incident.as_deref()))
    }

    /// A new event by the current responder, logged now, backdated by `--at`. Free text is
    /// redacted here, the one door into the log.
    pub fn event(&self, repo: &Repo, body: Body) -> Result<Event> {
        let by = repo.responder(self.global.as_name.as_deref());
        Ok(Event::new(body.redacted(), &by, self.now, self.at()?))
    }

    /// Either proceeds (`--yes`, or a person said yes) or explains which flag to pass.
    pub fn confirm(&self, question: &str, what: &str) -> Result<bool> {
        if self.global.yes {
            return Ok(true);
        }
        if !self.interactive {
            return Err(Error::NeedsTerminal {
                what: what.to_string(),
                hint: "pass --yes to confirm".into(),
            });
        }
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()
            .map_err(|e| Error::usage(format!("prompt failed: {e}")))
    }

    pub fn print_json(&self, value: &impl serde::Serialize) -> Result<()> {
        let text = serde_json::to_string_pretty(value).map_err(|e| Error::usage(e.to_string()))?;
        println!("{text}");
        Ok(())
    }
}

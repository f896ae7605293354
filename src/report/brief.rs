//! The handover for an incoming commander (`brief`): where the incident stands now, who holds
//! each role, what was tried and how it ended, what is next, which updates are due, what
//! changed to its services before it broke, and the latest events; built once, as JSON for
//! scripts and as one screen of text (at most 80 columns) for a person, every time in UTC
//! and beside it in the responder's own zone.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::changes::Change;
use crate::events::{AlertStatus, Outcome};
use crate::flow::Plan;
use crate::load;
use crate::metrics::{self, KeyTimes, PhaseRow};
use crate::phase::Phase;
use crate::repo::Repo;
use crate::state::{Incident, State};
use crate::timefmt::{self, human};

/// The roles a response has, in the order a handover names them.
const ROLES: [&str; 4] = ["commander", "comms", "scribe", "ops"];

/// How many of the latest events a brief shows.
pub const LAST_EVENTS: usize = 10;

/// The width a brief's text fits in.
const WIDTH: usize = 80;

#[derive(Serialize)]
pub struct Brief {
    pub id: String,
    pub title: String,
    pub state: &'static str,
    pub severity: String,
    pub peak_severity: String,
    pub services: Vec<String>,
    /// The moment the brief speaks of: now, or `--at`.
    pub as_of: DateTime<Utc>,
    pub key_times: KeyTimes,
    /// The impact so far (to `as_of` while it lasts), in seconds.
    pub impact_s: Option<i64>,
    /// The share of the services' traffic failing at `as_of`, in percent, while the impact lasts.
    pub failing_percent: Option<f64>,
    /// The phase the response is in, against its budget; null once it is over.
    pub phase: Option<PhaseRow>,
    /// Who holds each role now (commander, comms, scribe, ops); null where nobody does.
    pub roles: Vec<RoleHolder>,
    /// Every step settled, in order, with the command run for it and how it exited.
    pub tried: Vec<Tried>,
    pub next_step: Option<NextStep>,
    pub updates: Updates,
    /// The changes to its services in `changes.lookback` before impact started, oldest first.
    pub changes: Vec<Change>,
    pub changes_lookback_s: i64,
    /// Why changes are left out, when a changes log could not be read (said on stderr).
    #[serde(skip)]
    pub changes_unread: Option<String>,
    /// The alerts that came in for it (`ingest`), each as its sender last said.
    pub alerts: Vec<crate::state::AlertState>,
    /// The latest events, oldest first.
    pub last_events: Vec<EventLine>,
}

#[derive(Serialize)]
pub struct RoleHolder {
    pub role: &'static str,
    pub name: Option<String>,
}

#[derive(Serialize)]
pub struct Tried {
    pub step: String,
    pub phase: Phase,
    pub outcome: Outcome,
    pub choice: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
    /// The command last run for the step before it was settled, if one was.
    pub command: Option<String>,
    pub exit_code: Option<i32>,
    /// How the command ended when it did not exit (timed out, interrupted).
    pub ending: Option<String>,
}

#[derive(Serialize)]
pub struct NextStep {
    pub id: String,
    pub title: String,
    pub phase: Phase,
    pub run: Option<String>,
}

#[derive(Serialize)]
pub struct Updates {
    /// When the last update was sent, and on which channel; null when none was.
    pub last_at: Option<DateTime<Utc>>,
    pub last_channel: Option<String>,
    /// When the next is due (null when none is: no cadence, or the incident is over).
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// Updates logged but not delivered to their channel's target: `update --retry`.
    pub undelivered: Vec<Undelivered>,
}

#[derive(Serialize)]
pub struct Undelivered {
    pub id: String,
    pub channel: String,
}

#[derive(Serialize)]
pub struct EventLine {
    pub id: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub kind: &'static str,
    pub text: String,
}

pub fn build(repo: &Repo, inc: &Incident, now: DateTime<Utc>) -> crate::error::Result<Brief> {
    let found = load::attached_runbook(repo, inc).ok();
    let rb = found.as_ref();
    let open = inc.state == State::Open;
    let phase = metrics::phases(inc, &repo.config, rb, now).into_iter().find(|p| p.running).filter(|_| open);
    let next_step = rb.filter(|_| open).and_then(|rb| {
        Plan::compute(rb, inc).current_step().map(|p| NextStep {
            id: p.step.id.clone(),
            title: p.step.title.clone(),
            phase: p.phase,
            run: p.step.run.clone(),
        })
    });
    let key_times = metrics::key_times(inc);
    let lasting = key_times.mitigated.or(key_times.resolved).is_none();
    let impact_s = metrics::impact_s(&inc.moments).or_else(|| metrics::since_impact_s(inc, now));
    let cadence = metrics::update_cadence(inc, &repo.config, now);
    let last = inc.updates.last();
    let lookback_s = repo.config.lookback_s();
    let started = key_times.started.unwrap_or(inc.opened_at);
    let (changes, changes_unread) = crate::changes::candidates(repo, &inc.services, started);
    // Events of one moment in the order they were logged (the fold orders them by id).
    let mut events: Vec<&crate::events::Event> = inc.events.iter().collect();
    events.sort_by_key(|e| (e.when(), e.at));
    let skip = events.len().saturating_sub(LAST_EVENTS);
    Ok(Brief {
        id: inc.id.clone(),
        title: inc.title.clone(),
        state: inc.state.name(),
        severity: inc.severity.clone(),
        peak_severity: metrics::peak_severity(&repo.config, metrics::severities_reached(inc))
            .unwrap_or(&inc.severity)
            .to_string(),
        services: inc.services.clone(),
        as_of: now,
        impact_s,
        failing_percent: lasting.then(|| inc.moments.share_at(now)),
        key_times,
        phase,
        roles: ROLES
            .iter()
            .map(|role| RoleHolder {
                role,
                name: inc.roles.get(*role).and_then(|s| s.last()).map(|s| s.value.clone()),
            })
            .collect(),
        tried: tried(inc),
        next_step,
        updates: Updates {
            last_at: last.map(|u| u.at),
            last_channel: last.map(|u| u.channel.clone()),
            due_at: cadence.as_ref().map(|c| c.due_at),
            overdue: cadence.as_ref().is_some_and(|c| c.overdue),
            undelivered: super::undelivered(inc, &repo.config)
                .into_iter()
                .map(|u| Undelivered { id: u.id.clone(), channel: u.channel.clone() })
                .collect(),
        },
        changes,
        changes_lookback_s: lookback_s,
        changes_unread,
        alerts: inc.alerts.values().cloned().collect(),
        last_events: events
            .into_iter()
            .skip(skip)
            .map(|e| EventLine {
                id: e.id.clone(),
                at: e.when(),
                by: e.by.clone(),
                kind: e.body.kind(),
                text: crate::narrate::in_timeline(inc, e),
            })
            .collect(),
    })
}

/// Every step settled, with the command last run for it before it was.
fn tried(inc: &Incident) -> Vec<Tried> {
    inc.steps
        .iter()
        .map(|s| {
            let ran =
                inc.commands.iter().rfind(|c| c.step == s.step && c.runbook == s.runbook && c.at <= s.at);
            Tried {
                step: s.step.clone(),
                phase: s.phase,
                outcome: s.outcome,
                choice: s.choice.clone(),
                at: s.at,
                by: s.by.clone(),
                command: ran.map(|c| c.command.clone()),
                exit_code: ran.and_then(|c| c.exit_code),
                ending: ran
                    .filter(|c| c.exit_code.is_none())
                    .map(|c| crate::runner::ending(None, c.timed_out_s, c.interrupted, c.signal.as_deref())),
            }
        })
        .collect()
}

impl Brief {
    /// The brief for a person: one screen, each line at most 80 columns, data made visible.
    pub fn lines(&self, repo: &Repo) -> Vec<String> {
        let mut out = Vec::new();
        add(&mut out, format!("Handover brief: {}", self.id), 2);
        add(&mut out, self.title.clone(), 2);
        add(&mut out, format!("as of {}", timefmt::date_local(self.as_of)), 2);
        add(&mut out, String::new(), 0);

        let severity = metrics::severity_label(&self.severity, Some(&self.peak_severity));
        let mut now = format!("Now       {severity} · {}", self.state);
        if let Some(p) = &self.phase {
            let over = if p.over { " · OVER BUDGET" } else { "" };
            let spent = human(p.actual_s.unwrap_or(0));
            now.push_str(&format!(" · {} {spent} of {} budget{over}", p.phase, human(p.budget_s)));
        }
        add(&mut out, now, 10);
        let k = &self.key_times;
        let mut impact = Vec::new();
        if let Some(t) = k.started {
            impact.push(format!("started {}", timefmt::hhmm_local(t)));
        }
        match (k.mitigated.or(k.resolved), self.impact_s) {
            (Some(end), Some(s)) => {
                impact.push(format!("ended {} after {}", timefmt::hhmm_local(end), human(s)))
            }
            (None, Some(s)) => impact.push(format!("lasting {}", human(s))),
            _ => {}
        }
        if let Some(p) = self.failing_percent {
            impact.push(format!("{} failing", metrics::percent_label(p)));
        }
        add(&mut out, format!("Impact    {}", impact.join(" · ")), 10);
        if !self.services.is_empty() {
            let names: Vec<&str> = self.services.iter().map(|s| repo.config.service_name(s)).collect();
            add(&mut out, format!("Services  {}", names.join(", ")), 10);
        }
        let roles: Vec<String> =
            self.roles.iter().map(|r| format!("{} {}", r.role, r.name.as_deref().unwrap_or("—"))).collect();
        add(&mut out, format!("Roles     {}", roles.join(" · ")), 10);

        add(&mut out, String::new(), 0);
        if self.tried.is_empty() {
            add(&mut out, "Tried     nothing settled yet".to_string(), 10);
        } else {
            add(&mut out, "Tried".to_string(), 2);
        }
        let mut by_hand: Vec<(Outcome, String)> = Vec::new();
        for t in &self.tried {
            let step = match &t.choice {
                Some(c) => format!("{} ({c})", t.step),
                None => t.step.clone(),
            };
            let Some(cmd) = &t.command else {
                by_hand.push((t.outcome, step));
                continue;
            };
            let how = match (t.exit_code, &t.ending) {
                (Some(c), _) => format!("exit {c}"),
                (None, Some(e)) => e.clone(),
                (None, None) => "no exit code".to_string(),
            };
            let first = cmd.lines().next().unwrap_or_default();
            let line = format!("  {:<8}{step} · {how} · $ {first}", outcome_word(t.outcome));
            out.push(fit(&crate::ui::visible(&line)));
        }
        for outcome in [Outcome::Done, Outcome::Failed, Outcome::Skipped] {
            let steps: Vec<&str> =
                by_hand.iter().filter(|(o, _)| *o == outcome).map(|(_, s)| s.as_str()).collect();
            if !steps.is_empty() {
                let word = outcome_word(outcome);
                add(&mut out, format!("  {word:<8}no command run: {}", steps.join(", ")), 10);
            }
        }
        match &self.next_step {
            Some(n) => {
                add(&mut out, format!("Next      {}: {} ({})", n.id, n.title, n.phase), 10);
                if let Some(run) = &n.run {
                    out.push(fit(&crate::ui::visible(&format!(
                        "          $ {}",
                        run.lines().next().unwrap_or_default()
                    ))));
                }
            }
            None if self.state == "open" => {
                add(&mut out, "Next      every step of the runbook is settled".to_string(), 10)
            }
            None => {}
        }

        let u = &self.updates;
        let last = match (u.last_at, &u.last_channel) {
            (Some(at), Some(ch)) => format!("last sent {} on {ch}", timefmt::hhmm_local(at)),
            _ => "none sent yet".to_string(),
        };
        add(&mut out, format!("Updates   {last}"), 10);
        if let Some(due) = u.due_at {
            let left = (due - self.as_of).num_seconds();
            let next = if u.overdue {
                format!("next OVERDUE since {}", timefmt::hhmm_local(due))
            } else {
                format!("next due {}, in {}", timefmt::hhmm_local(due), human(left.max(0)))
            };
            add(&mut out, format!("          {next}"), 10);
        }
        if !u.undelivered.is_empty() {
            let channels: Vec<&str> = u.undelivered.iter().map(|d| d.channel.as_str()).collect();
            add(
                &mut out,
                format!("          NOT DELIVERED on {}: `incident update --retry`", channels.join(", ")),
                10,
            );
        }

        let lookback = human(self.changes_lookback_s);
        if self.changes.is_empty() {
            add(
                &mut out,
                format!("Changes   none to its services in the {lookback} before impact started"),
                10,
            );
        } else {
            add(&mut out, format!("Changes   to its services in the {lookback} before impact started:"), 10);
            for c in &self.changes {
                let line = format!("  {}  {} ({})", timefmt::hhmm_local(c.at), c.title, c.by);
                out.push(fit(&crate::ui::visible(&line)));
            }
        }

        for (n, a) in self.alerts.iter().enumerate() {
            // The sender's word on the alert; the incident stays open until a person resolves it.
            let stands = match a.status {
                AlertStatus::Firing => format!("firing since {}", timefmt::hhmm_local(a.starts_at)),
                AlertStatus::Resolved => {
                    format!("resolved at {}", timefmt::hhmm_local(a.ends_at.unwrap_or(a.at)))
                }
                AlertStatus::Acknowledged => format!("acknowledged at {}", timefmt::hhmm_local(a.at)),
            };
            let label = if n == 0 { "Alerts    " } else { "          " };
            out.push(fit(&crate::ui::visible(&format!("{label}{} ({}): {stands}", a.name, a.source))));
        }

        add(&mut out, String::new(), 0);
        add(&mut out, format!("Last {} events", self.last_events.len()), 2);
        for e in &self.last_events {
            let text = e.text.split_whitespace().collect::<Vec<_>>().join(" ");
            let line = format!("  {}  {}: {text}", timefmt::hhmm_local(e.at), e.by);
            out.push(fit(&crate::ui::visible(&line)));
        }
        out
    }
}

/// A line wrapped to the brief's width, continuation lines indented by `indent`.
/// Words are kept whole (one longer than a line is cut with `…`), and the spaces that line up
/// a label with its text are kept.
fn add(out: &mut Vec<String>, text: String, indent: usize) {
    let mut rest = crate::ui::visible(&text).into_owned();
    let pad = " ".repeat(indent);
    let mut first = true;
    loop {
        let room = if first { WIDTH } else { WIDTH - indent };
        let lead = if first { "" } else { pad.as_str() };
        let end = rest.char_indices().nth(room).map(|(i, _)| i);
        let Some(end) = end else {
            out.push(format!("{lead}{rest}"));
            return;
        };
        // The last space that leaves something on this line, past the line's own indent.
        let body = rest.len() - rest.trim_start().len();
        let split = rest.get(..=end).and_then(|head| head.rfind(' ')).filter(|i| *i > body);
        let Some(split) = split else {
            out.push(fit(&format!("{lead}{rest}")));
            return;
        };
        let (line, next) = rest.split_at(split);
        out.push(format!("{lead}{}", line.trim_end()));
        rest = next.trim_start().to_string();
        first = false;
    }
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Done => "done",
        Outcome::Skipped => "skipped",
        Outcome::Failed => "FAILED",
    }
}

/// One line cut to the brief's width, with `…` where it was cut.
fn fit(line: &str) -> String {
    if line.chars().count() <= WIDTH {
        return line.to_string();
    }
    let kept: String = line.chars().take(WIDTH - 1).collect();
    format!("{kept}…")
}

//! An incident's state is a fold over its events (SPEC §2). Nothing here reads a clock or a
//! file: give it events, get the incident.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::events::{Body, Event, Milestone, Outcome};
use crate::phase::Phase;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Open,
    Resolved,
    Closed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Resolved => "resolved",
            State::Closed => "closed",
        }
    }
}

/// A span during which something held: a severity level, a role, a phase.
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    pub value: String,
    pub from: DateTime<Utc>,
    /// `None` while it still holds.
    pub to: Option<DateTime<Utc>>,
    pub by: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: String,
    pub phase: Phase,
    pub outcome: Outcome,
    pub choice: Option<String>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandRecord {
    pub step: String,
    pub command: String,
    pub exit_code: Option<i32>,
    pub output: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionItem {
    pub title: String,
    pub owner: String,
    pub due: Option<String>,
    pub action_type: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateRecord {
    pub channel: String,
    pub message: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub services: Vec<String>,
    pub drill: bool,
    pub state: State,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub runbook: Option<String>,
    /// The latest moment given for each milestone.
    pub marks: BTreeMap<Milestone, DateTime<Utc>>,
    pub severities: Vec<Span>,
    /// Role name → who held it when, in order.
    pub roles: BTreeMap<String, Vec<Span>>,
    pub phases: Vec<Span>,
    pub steps: Vec<StepRecord>,
    pub commands: Vec<CommandRecord>,
    pub actions: Vec<ActionItem>,
    pub updates: Vec<UpdateRecord>,
    /// Retro section → texts, in order given.
    pub retro: BTreeMap<String, Vec<String>>,
    pub root_cause: Option<String>,
    /// Every event, ordered by when it happened (ties keep log order).
    pub events: Vec<Event>,
}

fn close_last(spans: &mut [Span], at: DateTime<Utc>) {
    if let Some(last) = spans.last_mut()
        && last.to.is_none()
    {
        last.to = Some(at);
    }
}

impl Incident {
    /// Folds a log. Returns `None` when the log has no `opened` event.
    pub fn fold(id: &str, mut events: Vec<Event>) -> Option<Incident> {
        events.sort_by_key(Event::when);
        let opened = events.iter().find_map(|e| match &e.body {
            Body::Opened { title, severity, services, drill } => {
                Some((e, title.clone(), severity.clone(), services.clone(), *drill))
            }
            _ => None,
        })?;
        let (first, title, severity, services, drill) = opened;
        let mut inc = Incident {
            id: id.to_string(),
            title,
            severity: severity.clone(),
            services,
            drill,
            state: State::Open,
            opened_at: first.when(),
            opened_by: first.by.clone(),
            runbook: None,
            marks: BTreeMap::new(),
            severities: vec![Span {
                value: severity,
                from: first.when(),
                to: None,
                by: first.by.clone(),
                reason: None,
            }],
            roles: BTreeMap::new(),
            phases: vec![Span {
                value: Phase::Detect.name().into(),
                from: first.when(),
                to: None,
                by: first.by.clone(),
                reason: None,
            }],
            steps: Vec::new(),
            commands: Vec::new(),
            actions: Vec::new(),
            updates: Vec::new(),
            retro: BTreeMap::new(),
            root_cause: None,
            events: Vec::new(),
        };
        for e in &events {
            inc.apply(e);
        }
        inc.events = events;
        Some(inc)
    }

    fn apply(&mut self, e: &Event) {
        let when = e.when();
        match &e.body {
            Body::Opened { .. } | Body::Note { .. } => {}
            Body::Mark { milestone } => {
                self.marks.insert(*milestone, when);
            }
            Body::Severity { to, reason, .. } => {
                close_last(&mut self.severities, when);
                self.severity = to.clone();
                self.severities.push(Span {
                    value: to.clone(),
                    from: when,
                    to: None,
                    by: e.by.clone(),
                    reason: reason.clone(),
                });
            }
            Body::Role { role, name } => {
                let spans = self.roles.entry(role.clone()).or_default();
                close_last(spans, when);
                spans.push(Span {
                    value: name.clone(),
                    from: when,
                    to: None,
                    by: e.by.clone(),
                    reason: None,
                });
            }
            Body::Runbook { runbook } => self.runbook = Some(runbook.clone()),
            Body::Phase { phase } => {
                close_last(&mut self.phases, when);
                self.phases.push(Span {
                    value: phase.name().into(),
                    from: when,
                    to: None,
                    by: e.by.clone(),
                    reason: None,
                });
            }
            Body::Step { step, phase, outcome, choice, note } => self.steps.push(StepRecord {
                step: step.clone(),
                phase: *phase,
                outcome: *outcome,
                choice: choice.clone(),
                note: note.clone(),
                at: when,
                by: e.by.clone(),
            }),
            Body::Command { step, command, exit_code, output, .. } => self.commands.push(CommandRecord {
                step: step.clone(),
                command: command.clone(),
                exit_code: *exit_code,
                output: output.clone(),
                at: when,
                by: e.by.clone(),
            }),
            Body::Action { title, owner, due, action_type } => self.actions.push(ActionItem {
                title: title.clone(),
                owner: owner.clone(),
                due: due.clone(),
                action_type: action_type.clone(),
                at: when,
            }),
            Body::Update { channel, message } => self.updates.push(UpdateRecord {
                channel: channel.clone(),
                message: message.clone(),
                at: when,
                by: e.by.clone(),
            }),
            Body::Retro { section, text } => {
                self.retro.entry(section.clone()).or_default().push(text.clone())
            }
            Body::Resolved { root_cause } => {
                if root_cause.is_some() {
                    self.root_cause = root_cause.clone();
                }
                self.state = State::Resolved;
                self.marks.entry(Milestone::Resolved).or_insert(when);
                self.end_spans(when);
            }
            Body::Closed {} => {
                self.state = State::Closed;
                self.end_spans(when);
            }
        }
    }

    /// Phases, severities and roles stop running when the incident ends.
    fn end_spans(&mut self, at: DateTime<Utc>) {
        close_last(&mut self.phases, at);
        close_last(&mut self.severities, at);
        for spans in self.roles.values_mut() {
            close_last(spans, at);
        }
    }

    pub fn phase(&self) -> Phase {
        self.phases.last().and_then(|s| Phase::parse(&s.value)).unwrap_or(Phase::Detect)
    }

    pub fn mark(&self, m: Milestone) -> Option<DateTime<Utc>> {
        let given = self.marks.get(&m).copied();
        match m {
            // SPEC §4: impact started defaults to when the incident was opened, and so does
            // detection: opening an incident is the moment someone noticed.
            Milestone::Started | Milestone::Detected => given.or(Some(self.opened_at)),
            _ => given,
        }
    }

    /// The latest record of each step, keyed by step id.
    pub fn step_outcomes(&self) -> BTreeMap<&str, &StepRecord> {
        self.steps.iter().map(|s| (s.step.as_str(), s)).collect()
    }

    /// The one check that a command may change the response: the incident is open.
    pub fn require_open(&self) -> crate::error::Result<()> {
        match self.state {
            State::Open => Ok(()),
            state => Err(crate::error::Error::NotOpen { id: self.id.clone(), state: state.name() }),
        }
    }

    pub fn commander(&self) -> Option<&str> {
        self.roles.get("commander").and_then(|s| s.last()).map(|s| s.value.as_str())
    }

    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        match self.state {
            State::Open => None,
            _ => self.phases.last().and_then(|s| s.to),
        }
    }
}

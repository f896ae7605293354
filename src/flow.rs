//! Where an incident stands in its runbook: which steps are done, which were passed over by a
//! decision branch, and which step comes next. Computed from the log every time, so a walk
//! resumes exactly where it stopped, after `q` or a crash.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::branch;
use crate::events::Outcome;
use crate::runbook::{PlacedStep, Runbook};
use crate::state::Incident;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Done,
    Skipped,
    Failed,
    /// On a branch that was not taken, or left behind when the phase moved on.
    NotTaken,
    /// Its command ran, and no outcome was recorded: never "not taken".
    Ran,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::NotTaken => "not taken",
            Status::Ran => "ran, no outcome recorded",
        }
    }

    /// As a report after the fact says it (the postmortem's table and its path diagram): a step
    /// still pending was not done.
    pub fn in_report(self) -> &'static str {
        if self == Status::Pending { "not done" } else { self.name() }
    }
}

impl From<Outcome> for Status {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Done => Status::Done,
            Outcome::Skipped => Status::Skipped,
            Outcome::Failed => Status::Failed,
        }
    }
}

#[derive(Debug)]
pub struct Plan<'a> {
    pub items: Vec<(PlacedStep<'a>, Status)>,
    /// Index into `items` of the step to do next.
    pub current: Option<usize>,
}

impl<'a> Plan<'a> {
    pub fn compute(runbook: &'a Runbook, inc: &Incident) -> Plan<'a> {
        let steps = runbook.steps();
        let outcomes = inc.step_outcomes(&runbook.id);
        let ran: HashSet<&str> = inc.commands_of(&runbook.id).map(|c| c.step.as_str()).collect();
        let phase_now = inc.phase();
        let mut statuses = vec![Status::Pending; steps.len()];
        // Where each step id first stands, to turn answers into step numbers.
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (k, s) in steps.iter().enumerate() {
            index.entry(s.step.id.as_str()).or_insert(k);
        }
        let mut excluded: HashSet<usize> = HashSet::new();
        let mut current = None;
        let mut i = 0;
        while i < steps.len() {
            let placed = steps[i];
            let Some(rec) = outcomes.get(placed.step.id.as_str()) else {
                if excluded.contains(&i) || placed.phase < phase_now {
                    statuses[i] = Status::NotTaken;
                } else if current.is_none() {
                    current = Some(i);
                }
                i += 1;
                continue;
            };
            statuses[i] = rec.outcome.into();
            let choices = &placed.step.choices;
            // A failure that took `on_fail` jumps like an answer whose only target it is.
            let on_fail = placed
                .step
                .on_fail
                .as_deref()
                .filter(|t| rec.outcome == Outcome::Failed && rec.choice.as_deref() == Some(*t));
            let chosen = match on_fail {
                Some(t) => index.get(t),
                None => rec.choice.as_deref().and_then(|c| choices.target(c)).and_then(|t| index.get(t)),
            };
            if let Some(&chosen) = chosen {
                let targets: Vec<usize> = match on_fail {
                    Some(_) => vec![chosen],
                    None => choices.iter().filter_map(|(_, t)| index.get(t.as_str()).copied()).collect(),
                };
                let taken = branch::take(i, &targets, chosen);
                excluded.extend(taken.left_out);
                excluded.remove(&chosen);
                if let Some(j) = taken.jump_to {
                    for k in taken.jumped_over {
                        if !outcomes.contains_key(steps[k].step.id.as_str()) {
                            statuses[k] = Status::NotTaken;
                        }
                    }
                    if current.is_none() {
                        i = j;
                        continue;
                    }
                }
            }
            i += 1;
        }
        // A step whose command ran was taken, whatever the branches say.
        for (k, s) in steps.iter().enumerate() {
            if statuses[k] == Status::NotTaken && ran.contains(s.step.id.as_str()) {
                statuses[k] = Status::Ran;
            }
        }
        let items = steps.into_iter().zip(statuses).collect();
        Plan { items, current }
    }

    pub fn current_step(&self) -> Option<PlacedStep<'a>> {
        self.current.map(|i| self.items[i].0)
    }
}

//! The runbook model, declared once with [`model!`](crate::model!): the struct the
//! walk follows and the shape `lint` and `incident schema` check against. Loading the files
//! is `load`'s job; what a decision does to the walk is `branch`'s.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Noun, Unknown};
use crate::model::Shape;
use crate::phase::Phase;

crate::model! {
    /// One thing to do, check or decide.
    STEP: pub struct Step {
        id: String = required Shape::Id, "Unique across the runbook; `choices` and `incident step` refer to it";
        title: String = required Shape::Str, "What to do, in the imperative";
        details: Option<String> = optional Shape::Str, "What to look for, thresholds, what good and bad look like";
        run: Option<String> = optional Shape::Str, "A shell command (`sh -c`), run only after confirmation; incident data is in $INCIDENT_* variables";
        expect_exit: Option<i32> = optional Shape::Int, "The exit code that means success (default 0)";
        choices: Choices = optional Shape::Dict(&Shape::Id), "A decision: each answer jumps to a later step id";
        on_fail: Option<String> = optional Shape::Id, "Where the walk offers to go when this step fails: a later step id, such as a rollback";
        timeout: Option<String> = optional Shape::Duration, "How long `run` may take before its whole process group is killed (default 10m; 30s, 10m, 1h)";
    }

    /// A phase's steps, and its budget when the runbook overrides incident.yaml's.
    PHASE: pub struct PhaseSteps {
        budget: Option<String> = optional Shape::Duration, "Time budget for the phase, overriding incident.yaml (5m, 1h30m)";
        steps: Vec<Step> = required Shape::List(&STEP), "The phase's steps, in order";
    }

    /// A runbook: `runbooks/<id>.yaml`.
    RUNBOOK: pub struct Runbook {
        id: String = required Shape::Id, "Unique across the repository's runbooks; `--runbook` takes it";
        title: String = required Shape::Str, "When this runbook applies";
        description: Option<String> = optional Shape::Str, "One or two sentences on when to use it";
        services: Vec<String> = required Shape::List(&Shape::Id), "Services this runbook is offered for";
        severities: Vec<String> = required Shape::List(&Shape::Str), "Severities this runbook is meant for";
        phases: BTreeMap<Phase, PhaseSteps> = required Shape::Phases(&PHASE), "detect, assess, diagnose, remediate, validate";
    }
}

/// A step's timeout when the runbook gives none.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

impl Step {
    /// How long the step's command may run: its `timeout`, else 10 minutes; at
    /// least a second, since `0s` would kill it before it starts.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
            .as_deref()
            .and_then(crate::timefmt::parse_duration)
            .and_then(|s| u64::try_from(s).ok())
            .map_or(DEFAULT_TIMEOUT, |s| std::time::Duration::from_secs(s.max(1)))
    }
}

/// A decision's answers → target step ids, in the order written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Choices(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Choices {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ordered_choices(d).map(Choices)
    }
}

impl Choices {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &(String, String)> {
        self.0.iter()
    }

    pub fn answers(&self) -> Vec<String> {
        self.0.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The step an answer leads to.
    pub fn target(&self, answer: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == answer).map(|(_, t)| t.as_str())
    }
}

fn ordered_choices<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    let map = serde_yaml::Mapping::deserialize(d)?;
    map.into_iter()
        .map(|(k, v)| {
            let key =
                scalar(&k).ok_or_else(|| serde::de::Error::custom("a choice must be a plain answer"))?;
            let target =
                scalar(&v).ok_or_else(|| serde::de::Error::custom("a choice must point at a step id"))?;
            Ok((key, target))
        })
        .collect()
}

fn scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_string()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A step with the phase it belongs to; the flattened runbook is the walk's path.
#[derive(Debug, Clone, Copy)]
pub struct PlacedStep<'a> {
    /// The id of the runbook the step is in.
    pub runbook: &'a str,
    pub phase: Phase,
    pub step: &'a Step,
}

impl Runbook {
    pub fn phase(&self, phase: Phase) -> Option<&PhaseSteps> {
        self.phases.get(&phase)
    }

    /// Every step in walking order: phase by phase, then as written.
    pub fn steps(&self) -> Vec<PlacedStep<'_>> {
        Phase::ALL
            .into_iter()
            .flat_map(|phase| {
                self.phase(phase).into_iter().flat_map(move |p| {
                    p.steps.iter().map(move |step| PlacedStep { runbook: &self.id, phase, step })
                })
            })
            .collect()
    }

    pub fn find_step(&self, id: &str) -> Option<PlacedStep<'_>> {
        self.steps().into_iter().find(|s| s.step.id == id)
    }

    /// The step `id`, or an error naming the runbook's steps.
    pub fn step(&self, id: &str) -> Result<PlacedStep<'_>, Error> {
        self.find_step(id).ok_or_else(|| {
            let steps = self.steps().iter().map(|s| s.step.id.clone()).collect();
            Unknown::new(Noun::Step, id, steps).within(self.id.clone()).into()
        })
    }

    pub fn budget(&self, phase: Phase) -> Option<&str> {
        self.phase(phase).and_then(|p| p.budget.as_deref())
    }
}

/// What loading the runbook folder gave: the runbooks that parsed, and the files that did not.
#[derive(Debug, Default)]
pub struct Loaded {
    pub runbooks: Vec<(PathBuf, Runbook)>,
    pub broken: Vec<Error>,
    /// Each file read → the SHA-256 (hex) of the bytes it was read from.
    pub digests: BTreeMap<PathBuf, String>,
}

impl Loaded {
    /// The SHA-256 of the file runbook `id` was read from.
    pub fn digest(&self, id: &str) -> Option<&str> {
        let (path, _) = self.runbooks.iter().find(|(_, r)| r.id == id)?;
        self.digests.get(path).map(String::as_str)
    }

    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().map(|(_, r)| r).find(|r| r.id == id)
    }

    /// The runbook `id`, or an error naming the known ones and every file that could not be read.
    pub fn take(mut self, id: &str) -> Result<Runbook, Error> {
        match self.runbooks.iter().position(|(_, r)| r.id == id) {
            Some(i) => Ok(self.runbooks.swap_remove(i).1),
            None => Err(self.unknown(id)),
        }
    }

    pub fn unknown(self, id: &str) -> Error {
        let known = self.runbooks.iter().map(|(_, r)| r.id.clone()).collect();
        Unknown::new(Noun::Runbook, id, known).broken(self.broken).into()
    }

    /// Runbooks that declare one of the services, best match first.
    pub fn matching(&self, services: &[String], severity: &str) -> Vec<&Runbook> {
        let mut scored: Vec<(usize, &Runbook)> = self
            .runbooks
            .iter()
            .map(|(_, r)| {
                let hits = r.services.iter().filter(|s| services.contains(s)).count();
                let sev = usize::from(r.severities.iter().any(|s| s == severity));
                (hits * 2 + sev, r)
            })
            .filter(|(score, _)| services.is_empty() || *score >= 2)
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
        scored.into_iter().map(|(_, r)| r).collect()
    }
}

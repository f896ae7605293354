//! The runbook model (SPEC §3) and loading it from `runbooks/*.yaml`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::phase::Phase;
use crate::yamlerr;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub severities: Vec<String>,
    pub phases: Phases,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    #[serde(default)]
    pub detect: Option<PhaseSteps>,
    #[serde(default)]
    pub assess: Option<PhaseSteps>,
    #[serde(default)]
    pub diagnose: Option<PhaseSteps>,
    #[serde(default)]
    pub remediate: Option<PhaseSteps>,
    #[serde(default)]
    pub validate: Option<PhaseSteps>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSteps {
    #[serde(default)]
    pub budget: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub run: Option<String>,
    #[serde(default)]
    pub expect_exit: Option<i32>,
    /// Answer → target step id, in the order written.
    #[serde(default, deserialize_with = "ordered_choices")]
    pub choices: Vec<(String, String)>,
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
    pub phase: Phase,
    pub step: &'a Step,
}

impl Runbook {
    pub fn phase(&self, phase: Phase) -> Option<&PhaseSteps> {
        match phase {
            Phase::Detect => self.phases.detect.as_ref(),
            Phase::Assess => self.phases.assess.as_ref(),
            Phase::Diagnose => self.phases.diagnose.as_ref(),
            Phase::Remediate => self.phases.remediate.as_ref(),
            Phase::Validate => self.phases.validate.as_ref(),
        }
    }

    /// Every step in walking order: phase by phase, then as written.
    pub fn steps(&self) -> Vec<PlacedStep<'_>> {
        Phase::ALL
            .into_iter()
            .flat_map(|phase| {
                self.phase(phase)
                    .into_iter()
                    .flat_map(move |p| p.steps.iter().map(move |step| PlacedStep { phase, step }))
            })
            .collect()
    }

    pub fn find_step(&self, id: &str) -> Option<PlacedStep<'_>> {
        self.steps().into_iter().find(|s| s.step.id == id)
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
}

impl Loaded {
    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().map(|(_, r)| r).find(|r| r.id == id)
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

pub fn parse(path: &Path, text: &str) -> Result<Runbook> {
    serde_yaml::from_str(text).map_err(|e| yamlerr::to_error(path, &e))
}

pub fn load_file(path: &Path) -> Result<Runbook> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    parse(path, &text)
}

/// Loads every `*.yaml` / `*.yml` in `dir`, sorted by file name; a missing folder is empty.
pub fn load_dir(dir: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return loaded;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    for path in paths {
        match load_file(&path) {
            Ok(r) => loaded.runbooks.push((path, r)),
            Err(e) => loaded.broken.push(e),
        }
    }
    loaded
}

/// Finds one runbook by id, reading `<id>.yaml` first (the convention `init` follows) and the
/// whole folder only when that file is missing or holds another id.
pub fn find(dir: &Path, id: &str) -> Result<Runbook, Loaded> {
    for ext in ["yaml", "yml"] {
        if let Ok(r) = load_file(&dir.join(format!("{id}.{ext}")))
            && r.id == id
        {
            return Ok(r);
        }
    }
    let mut loaded = load_dir(dir);
    match loaded.runbooks.iter().position(|(_, r)| r.id == id) {
        Some(i) => Ok(loaded.runbooks.swap_remove(i).1),
        None => Err(loaded),
    }
}

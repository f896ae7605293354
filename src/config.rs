//! `incident.yaml`: the repository's phases and budgets, severities, services, revenue and
//! channels. Loaded once per command; every budget lookup goes through [`Config::budget`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::phase::Phase;
use crate::timefmt::parse_duration;
use crate::yamlerr;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub name: Option<String>,
    /// Revenue lost per hour of customer impact, in `currency`.
    #[serde(default)]
    pub revenue_per_hour: f64,
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Default phase budgets, overridden per severity.
    #[serde(default)]
    pub budgets: BTreeMap<Phase, String>,
    #[serde(default)]
    pub severities: BTreeMap<String, Severity>,
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    #[serde(default)]
    pub channels: BTreeMap<String, Channel>,
    #[serde(default)]
    pub lint: LintSettings,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSettings {
    /// Rule ids switched off for the whole repository.
    #[serde(default)]
    pub disable: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Severity {
    #[serde(default)]
    pub description: String,
    /// How often stakeholders expect an update while the incident is open.
    #[serde(default)]
    pub update_every: Option<String>,
    #[serde(default)]
    pub budgets: BTreeMap<Phase, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// `internal` or `external`.
    pub audience: String,
    #[serde(default)]
    pub description: String,
}

fn default_currency() -> String {
    "USD".into()
}

/// SPEC §3: the founding document's response timeline.
pub fn default_budget(phase: Phase) -> i64 {
    match phase {
        Phase::Detect => 5 * 60,
        Phase::Assess => 10 * 60,
        Phase::Diagnose => 45 * 60,
        Phase::Remediate | Phase::Validate => 60 * 60,
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let config: Config = serde_yaml::from_str(&text).map_err(|e| yamlerr::to_error(path, &e))?;
        config.check(path)?;
        Ok(config)
    }

    /// Budgets are text in YAML; reject the unreadable ones at load time, not mid-incident.
    fn check(&self, path: &Path) -> Result<()> {
        let all = self
            .budgets
            .values()
            .chain(self.severities.values().flat_map(|s| s.budgets.values().chain(s.update_every.iter())));
        for b in all {
            if parse_duration(b).is_none() {
                return Err(Error::BadFile {
                    at: path.display().to_string(),
                    message: format!("budget {b:?} is not a duration (use 5m, 1h30m, 90s)"),
                });
            }
        }
        Ok(())
    }

    /// The budget of a phase, in seconds: the runbook's, else the severity's, else the
    /// repository default, else SPEC's default.
    pub fn budget(&self, phase: Phase, severity: &str, runbook_budget: Option<&str>) -> i64 {
        runbook_budget
            .and_then(parse_duration)
            .or_else(|| {
                self.severities
                    .get(severity)
                    .and_then(|s| s.budgets.get(&phase))
                    .and_then(|b| parse_duration(b))
            })
            .or_else(|| self.budgets.get(&phase).and_then(|b| parse_duration(b)))
            .unwrap_or_else(|| default_budget(phase))
    }

    pub fn update_every(&self, severity: &str) -> Option<i64> {
        self.severities.get(severity).and_then(|s| s.update_every.as_deref()).and_then(parse_duration)
    }

    pub fn service_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.services.get(id).map_or(id, |s| s.name.as_str())
    }
}

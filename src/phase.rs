//! The five response phases, in order. One enum so that order and names live in one place.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Detect,
    Assess,
    Diagnose,
    Remediate,
    Validate,
}

impl Phase {
    pub const ALL: [Phase; 5] =
        [Phase::Detect, Phase::Assess, Phase::Diagnose, Phase::Remediate, Phase::Validate];

    /// The names as runbooks, the log and the CLI spell them, in order.
    pub const NAMES: [&'static str; 5] = ["detect", "assess", "diagnose", "remediate", "validate"];

    pub fn name(self) -> &'static str {
        Phase::NAMES[self as usize]
    }

    pub fn next(self) -> Option<Phase> {
        Phase::ALL.iter().position(|p| *p == self).and_then(|i| Phase::ALL.get(i + 1).copied())
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == s)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

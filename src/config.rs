//! `incident.yaml`: the repository's phases and budgets, severities, services, revenue and
//! channels, declared once with [`model!`](crate::model!). Loading it is `load`'s job; every
//! budget lookup goes through [`Config::budget`].

use std::collections::BTreeMap;

use crate::error::{Noun, Result, Unknown};
use crate::model::Shape;
use crate::phase::Phase;
use crate::timefmt::parse_duration;

/// The file that makes a folder an incident repository.
pub const FILE: &str = "incident.yaml";

crate::model! {
    /// One severity level.
    SEVERITY: pub struct Severity {
        description: String = optional Shape::Str, "What makes an incident this severe";
        update_every: Option<String> = optional Shape::Duration, "How often stakeholders expect an update";
        budgets: BTreeMap<Phase, String> = optional Shape::Phases(&Shape::Duration), "Phase budgets at this severity";
        status_page: Option<String> = optional Shape::OneOf(&["operational", "degraded_performance", "partial_outage", "major_outage"]), "The public state of the services an open, unmitigated incident at this severity names (default: SEV1 major_outage, SEV2 partial_outage, SEV3 degraded_performance, others operational)";
    }

    /// A service customers use.
    SERVICE: pub struct Service {
        name: String = required Shape::Str, "Display name";
        description: String = optional Shape::Str, "What it does";
        revenue_per_hour: Option<f64> = optional Shape::Number, "Revenue this service brings per hour (default: the repository's revenue_per_hour)";
    }

    /// Where updates go.
    /// Where a channel's updates are delivered: a webhook or a command.
    DELIVER: pub struct Deliver {
        webhook: Option<String> = optional Shape::Str, "A URL to POST the update to; `${VAR}` takes a secret from the environment";
        format: Option<WebhookFormat> = optional Shape::OneOf(WebhookFormat::NAMES), "slack (incoming webhook) or json (a signed envelope)";
        secret_env: Option<String> = optional Shape::Str, "The environment variable holding the HMAC-SHA256 key that signs json envelopes";
        command: Option<String> = optional Shape::Str, "A command given the message on stdin and the rest in INCIDENT_* / UPDATE_* variables";
        timeout: Option<String> = optional Shape::Duration, "How long one attempt may take (default 10s)";
    }

    CHANNEL: pub struct Channel {
        audience: Audience = required Shape::OneOf(Audience::NAMES), "Who reads it";
        description: String = optional Shape::Str, "What it is";
        deliver: Option<Deliver> = optional DELIVER, "Where updates on this channel are delivered";
    }

    /// The linter's settings for this repository.
    LINT_SETTINGS: pub struct LintSettings {
        disable: Vec<String> = optional Shape::List(&Shape::Id), "Rule ids switched off in this repository";
    }

    /// A secret pattern of this repository's own, masked like the built-in ones.
    REDACT_PATTERN: pub struct RedactPattern {
        name: String = optional Shape::Str, "What the pattern finds, for people reading incident.yaml and lint's messages";
        pattern: String = required Shape::Str, "A regular expression (Rust regex syntax); every match is replaced by `[REDACTED]`";
    }

    /// The public status page.
    STATUS_PAGE: pub struct StatusPageSettings {
        publish: Option<Vec<String>> = optional Shape::List(&Shape::Str), "Severities whose incidents go on the public status page (default: SEV1, SEV2); an incident at another severity goes on it once an update is sent on an external channel. A private, canceled or drill incident never does";
        time_zone: Option<String> = optional Shape::TimeZone, "The time zone the public pages give times and days in: an IANA name such as Europe/Paris (default UTC)";
    }

    /// What `open`, `brief` and the postmortem show of the changes recorded with `change`.
    CHANGES: pub struct ChangesSettings {
        lookback: Option<String> = optional Shape::Duration, "How long before impact started a change is shown as a candidate trigger (default 2h)";
    }

    /// A routing rule for alerts that come in (`ingest`): the first whose `match` holds says
    /// what a firing alert opens.
    ALERT_RULE: pub struct AlertRule {
        r#match: BTreeMap<String, String> = optional Shape::Dict(&Shape::Str), "Labels (Alertmanager, Grafana) or fields (PagerDuty) the alert must have, with these values; empty matches every alert";
        services: Vec<String> = optional Shape::List(&Shape::Id), "The services the incident it opens names";
        severity: String = required Shape::Str, "The severity it opens at";
        runbook: Option<String> = optional Shape::Id, "The runbook attached to the incident it opens";
        title: Option<String> = optional Shape::Str, "The incident's title: a template given labels, annotations, name and source (default: the alert's name)";
    }

    /// `incident.yaml`.
    CONFIG: pub struct Config {
        name: Option<String> = optional Shape::Str, "The organisation or site";
        revenue_per_hour: f64 = optional Shape::Number, "Revenue lost per hour of customer impact";
        currency: Option<String> = optional Shape::Str, "Currency of revenue_per_hour (default USD)";
        budgets: BTreeMap<Phase, String> = optional Shape::Phases(&Shape::Duration), "Default phase budgets";
        severities: BTreeMap<String, Severity> = optional Shape::Dict(&SEVERITY), "SEV1 (most severe) to SEV4";
        services: BTreeMap<String, Service> = optional Shape::Dict(&SERVICE), "Service id → name";
        channels: BTreeMap<String, Channel> = optional Shape::Dict(&CHANNEL), "Where updates go";
        lint: LintSettings = optional LINT_SETTINGS, "Linter settings";
        downtime_severities: Vec<String> = optional Shape::List(&Shape::Str), "Severities whose impact counts as downtime in `stats` (default: SEV1, SEV2)";
        redact: Vec<RedactPattern> = optional Shape::List(&REDACT_PATTERN), "Secret patterns of this repository, redacted from everything logged besides the built-in ones";
        status_page: StatusPageSettings = optional STATUS_PAGE, "The public status page: which incidents it shows, and in which time zone";
        changes: ChangesSettings = optional CHANGES, "Changes (deploys) recorded with `change`: how far back they are candidates";
        alerts: Vec<AlertRule> = optional Shape::List(&ALERT_RULE), "Routing rules for alerts that come in (`incident ingest`): the first that matches says what a firing alert opens";
    }
}

/// Who reads a channel's updates: `external` ones are what the public status page shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    #[default]
    Internal,
    External,
}

impl Audience {
    /// What `audience:` may say: serde's names, which the test below holds to.
    pub const NAMES: &[&str] = &["internal", "external"];
}

/// What a webhook is sent: Slack's incoming-webhook JSON, or the signed envelope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    #[default]
    Slack,
    Json,
}

impl WebhookFormat {
    /// What `format:` may say: serde's names, which the test below holds to.
    pub const NAMES: &[&str] = &["slack", "json"];
}

/// How long before impact started a change is a candidate trigger, when `changes.lookback`
/// does not say: two hours covers a release and its slow effects (a pool that drains).
pub const DEFAULT_LOOKBACK_S: i64 = 2 * 60 * 60;

impl Config {
    /// `changes.lookback` in seconds, else [`DEFAULT_LOOKBACK_S`].
    pub fn lookback_s(&self) -> i64 {
        self.changes.lookback.as_deref().and_then(parse_duration).unwrap_or(DEFAULT_LOOKBACK_S)
    }
}

/// The default response timeline: a phase's budget when nothing else sets one.
pub fn default_budget(phase: Phase) -> i64 {
    match phase {
        Phase::Detect => 5 * 60,
        Phase::Assess => 10 * 60,
        Phase::Diagnose => 45 * 60,
        Phase::Remediate | Phase::Validate => 60 * 60,
    }
}

impl Config {
    /// The budget of a phase, in seconds: the runbook's, else the severity's, else the
    /// repository default, else [`default_budget`].
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

    /// The status page's time zone: `status_page.time_zone`, else UTC. A name that is not a
    /// zone never gets this far (the shape check refuses the file).
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.status_page.time_zone.as_deref().and_then(crate::timefmt::zone).unwrap_or(chrono_tz::UTC)
    }

    pub fn currency(&self) -> &str {
        self.currency.as_deref().unwrap_or("USD")
    }

    /// Severities must be ones `incident.yaml` declares, when it declares any.
    pub fn check_severity(&self, given: &str) -> Result<()> {
        self.severity(given).map(|_| ())
    }

    /// A typed severity as `incident.yaml` spells it: case does not matter (`sev1` → `SEV1`).
    /// One it does not declare is refused; when it declares none, `given` is taken as is.
    pub fn severity(&self, given: &str) -> Result<String> {
        if self.severities.is_empty() {
            return Ok(given.to_string());
        }
        let keys = self.severities.keys();
        let found = keys
            .clone()
            .find(|k| *k == given)
            .or_else(|| keys.clone().find(|k| k.eq_ignore_ascii_case(given)));
        found.cloned().ok_or_else(|| {
            Unknown::new(Noun::Severity, given, self.severities.keys().cloned().collect()).into()
        })
    }

    /// Services must be ones `incident.yaml` declares, when it declares any.
    pub fn check_service(&self, given: &str) -> Result<()> {
        declared(&self.services, given, Noun::Service)
    }

    /// Updates go to channels `incident.yaml` declares, when it declares any.
    pub fn check_channel(&self, given: &str) -> Result<()> {
        declared(&self.channels, given, Noun::Channel)
    }

    /// The severities whose impact is downtime (default SEV1 and SEV2).
    pub fn downtime_severities(&self) -> Vec<String> {
        if self.downtime_severities.is_empty() {
            vec!["SEV1".to_string(), "SEV2".to_string()]
        } else {
            self.downtime_severities.clone()
        }
    }

    /// Whether an incident whose peak severity is `severity` goes on the public status page
    /// for its severity alone (`status_page.publish`, default SEV1 and SEV2; any case).
    pub fn publishes(&self, severity: &str) -> bool {
        match &self.status_page.publish {
            Some(list) => list.iter().any(|s| s.eq_ignore_ascii_case(severity)),
            None => ["SEV1", "SEV2"].iter().any(|s| s.eq_ignore_ascii_case(severity)),
        }
    }

    /// A severity's place from the most severe: its order in `incident.yaml` (SEV1 first),
    /// else after every declared one.
    pub fn severity_rank(&self, severity: &str) -> usize {
        self.severities.keys().position(|k| k == severity).unwrap_or(self.severities.len())
    }

    pub fn service_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.services.get(id).map_or(id, |s| s.name.as_str())
    }
}

/// `given` is a key of `map`, or `map` declares nothing; else `unknown(given, the keys)`.
fn declared<T>(map: &BTreeMap<String, T>, given: &str, what: Noun) -> Result<()> {
    if map.is_empty() || map.contains_key(given) {
        return Ok(());
    }
    Err(Unknown::new(what, given, map.keys().cloned().collect()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape `lint` checks and the enum serde builds must accept the same words.
    #[test]
    fn the_words_lint_accepts_are_the_enums_names() {
        let names = |all: &[&str], of: &dyn Fn(&str) -> Option<&'static str>| {
            for n in all {
                assert_eq!(of(n), Some(*n), "{n}");
            }
        };
        names(Audience::NAMES, &|n| {
            serde_json::from_value::<Audience>(n.into()).ok().map(|a| crate::wire::name(&a))
        });
        names(WebhookFormat::NAMES, &|n| {
            serde_json::from_value::<WebhookFormat>(n.into()).ok().map(|f| crate::wire::name(&f))
        });
        assert_eq!(crate::wire::name(&Audience::External), "external");
        assert_eq!(crate::wire::name(&WebhookFormat::Slack), "slack");
    }
}

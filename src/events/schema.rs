//! What an event is: the line's fields, the kinds of body, and the names the log gives the
//! key moments, public states and step outcomes. An event is made redacted ([`Event::new`]
//! through [`Body::redacted`]), so nothing reaches the log unredacted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::phase::Phase;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    /// When it was logged.
    #[serde(with = "ts")]
    pub at: DateTime<Utc>,
    pub by: String,
    /// When it happened, when that differs from `at` (`--at`, `--started-at`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ts_opt")]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub body: Body,
}

impl Event {
    /// A new event with a fresh id. Its body and `by` are redacted here ([`Body::redacted`],
    /// `crate::redact`): every writer makes its events with this, so nothing reaches the log
    /// unredacted, whichever command built it.
    pub fn new(body: Body, by: &str, at: DateTime<Utc>, occurred_at: Option<DateTime<Utc>>) -> Event {
        Event {
            id: uuid::Uuid::new_v4().simple().to_string(),
            at,
            by: crate::redact::redact(by),
            occurred_at: occurred_at.filter(|o| *o != at),
            body: body.redacted(),
        }
    }

    /// The moment the event stands for: when it happened if told, else when it was logged.
    pub fn when(&self) -> DateTime<Utc> {
        self.occurred_at.unwrap_or(self.at)
    }
}

/// The key moments (README, "Key times"), in their order. One enum: the log, the fold,
/// `mark` and the metrics all name them through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Milestone {
    Started,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

impl Milestone {
    pub const ALL: [Milestone; 5] = [
        Milestone::Started,
        Milestone::Detected,
        Milestone::Acknowledged,
        Milestone::Mitigated,
        Milestone::Resolved,
    ];

    /// How people read it: "impact started", "mitigated".
    pub fn name(self) -> &'static str {
        match self {
            Milestone::Started => "impact started",
            Milestone::Detected => "detected",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }
}

/// The public state of an incident on the status page, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum PublicStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl PublicStatus {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

/// Where a scheduled maintenance stands, in the words status pages use for it (Atlassian
/// Statuspage's maintenance statuses, and `canceled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceState {
    Scheduled,
    InProgress,
    Verifying,
    Completed,
    Canceled,
}

impl MaintenanceState {
    pub const ALL: [MaintenanceState; 5] = [
        MaintenanceState::Scheduled,
        MaintenanceState::InProgress,
        MaintenanceState::Verifying,
        MaintenanceState::Completed,
        MaintenanceState::Canceled,
    ];

    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }

    /// How people read it.
    pub fn words(self) -> &'static str {
        match self {
            MaintenanceState::Scheduled => "Scheduled",
            MaintenanceState::InProgress => "In progress",
            MaintenanceState::Verifying => "Verifying",
            MaintenanceState::Completed => "Completed",
            MaintenanceState::Canceled => "Canceled",
        }
    }

    /// Whether the work is under way: the services it names are under maintenance.
    pub fn is_active(self) -> bool {
        matches!(self, MaintenanceState::InProgress | MaintenanceState::Verifying)
    }

    /// Whether it is over (completed or canceled): nothing moves it any more.
    pub fn is_over(self) -> bool {
        matches!(self, MaintenanceState::Completed | MaintenanceState::Canceled)
    }

    /// The moves a maintenance may make: scheduled → in progress → verifying → completed,
    /// back from verifying to in progress (the check found more to do), completed straight
    /// from in progress, and canceled from any state before the end. The one answer for the
    /// commands that move it, `update --status` and the fold.
    pub fn may_move_to(self, next: MaintenanceState) -> bool {
        use MaintenanceState::{Canceled, Completed, InProgress, Scheduled, Verifying};
        matches!(
            (self, next),
            (Scheduled, InProgress | Canceled)
                | (InProgress, Verifying | Completed | Canceled)
                | (Verifying, InProgress | Completed | Canceled)
        )
    }
}

/// The planned window of a scheduled maintenance, as `maintenance` logs it in the opening.
///
/// Its times are a plan, not facts that happened: they are kept here, in the opening's
/// body, never as an event's `at` or `occurred_at`, so the record's rules for facts (no time
/// more than a few minutes past the clock, nothing before impact started) neither refuse a
/// window next week nor are bent for one. When the work really starts and ends is logged by
/// `maintenance start` and `maintenance done`, stamped as every fact is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    #[serde(with = "ts")]
    pub from: DateTime<Utc>,
    #[serde(with = "ts")]
    pub until: DateTime<Utc>,
    /// What customers are told about it (`--message`): shown on the status page with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Where an alert stands as its sender last said: firing, resolved, or acknowledged (in
/// PagerDuty, by someone there; never an acknowledgement of the incident here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
    Acknowledged,
}

impl AlertStatus {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Done,
    Skipped,
    Failed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

/// Who may see an incident: `public` ones go on the status page when their severity or an
/// external update puts them there; `private` ones never do, whatever else holds.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// On the status page when its severity or an external update puts it there
    #[default]
    Public,
    /// On no public file: the status page, its feed and JSON, the banner
    Private,
}

impl Visibility {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn of(private: bool) -> Visibility {
        if private { Visibility::Private } else { Visibility::Public }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    Opened {
        title: String,
        severity: String,
        #[serde(default)]
        services: Vec<String>,
        #[serde(default)]
        drill: bool,
        /// Present when this is a scheduled maintenance rather than an incident: its window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        maintenance: Option<Planned>,
        /// Opened private (`open --private`). Absent when false, so logs written before
        /// stay byte for byte what they were.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        private: bool,
    },
    Note {
        text: String,
    },
    Mark {
        milestone: Milestone,
    },
    Severity {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Role {
        role: String,
        name: String,
    },
    Runbook {
        runbook: String,
        /// SHA-256 (hex) of the runbook file when attached, so that a later change to it is
        /// flagged before one of its commands runs. Absent in logs written before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
    Phase {
        phase: Phase,
    },
    Step {
        step: String,
        phase: Phase,
        outcome: Outcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// The runbook the step belongs to (several may be attached).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
    },
    /// A step's command that ran: logged (`at`) when it ended, `occurred_at` when it started
    /// (the same moment when the log's clock is fixed), so a long command is placed in the
    /// timeline where it began.
    Command {
        step: String,
        command: String,
        #[serde(default)]
        exit_code: Option<i32>,
        output: String,
        #[serde(default)]
        truncated: bool,
        duration_ms: u64,
        /// The runbook the step belongs to (several may be attached).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
        /// The limit it ran under, in seconds (absent in logs written before timeouts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_s: Option<u64>,
        /// Killed at that limit (`exit_code` is then null).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        timed_out: bool,
        /// Killed because the responder pressed Ctrl-C, or because the tool was asked to stop
        /// (`exit_code` is then null).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        interrupted: bool,
        /// The signal the tool was asked to stop with (`SIGTERM`, `SIGHUP`); absent for Ctrl-C.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
        /// SHA-256 (hex) of the runbook file the command was read from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook_sha256: Option<String>,
    },
    Action {
        title: String,
        owner: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<String>,
        #[serde(rename = "type")]
        action_type: String,
        /// Where the work is tracked (an issue, a ticket): an http(s) URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
    },
    /// Action item `action` (its `action` event's id) was done.
    ActionDone {
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Action item `action` (its `action` event's id) will not be done, and why.
    ActionDropped {
        action: String,
        reason: String,
    },
    /// A customer or stakeholder update, logged before any delivery.
    Update {
        channel: String,
        message: String,
        /// The public state it announces: investigating, identified, monitoring, resolved.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<PublicStatus>,
        /// The estimated time of resolution it gives.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "ts_opt")]
        eta: Option<DateTime<Utc>>,
        /// On a maintenance, the state it announces (`--status verifying`), which it also
        /// moves the maintenance to (`status` is an incident's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        maintenance_status: Option<MaintenanceState>,
    },
    /// A scheduled maintenance moved (`maintenance start`, `done`, `cancel`).
    Maintenance {
        to: MaintenanceState,
    },
    /// One attempt to deliver update `update` to its channel's target.
    Delivery {
        update: String,
        channel: String,
        attempt: u32,
        delivered: bool,
        /// The HTTP status, for a webhook target.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
        /// The exit code, for a command target.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        latency_ms: u64,
        /// What went wrong, when it did (redacted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    Retro {
        section: String,
        text: String,
    },
    /// Customer impact as it stands from this moment: the share (percent) of the affected
    /// services' traffic failing, and counts for the postmortem. What is not given is unchanged.
    Impact {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customers: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failed_orders: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tickets: Option<u64>,
    },
    Resolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<String>,
    },
    Closed {},
    /// Who may see the incident from now on (`visibility public|private`).
    Visibility {
        visibility: Visibility,
    },
    /// The incident is a drill (a game day) from now on, or no longer one (`drill on|off`).
    Drill {
        drill: bool,
    },
    /// The incident was no incident (a false alarm, a duplicate): it ends here, needs no
    /// postmortem, and counts nowhere.
    Canceled {
        reason: String,
    },
    /// A correction of event `event`: when it happened, and/or its text. The original line
    /// stays in the log; the fold applies the correction.
    Amend {
        event: String,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "ts_opt")]
        time: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// Event `event` was not true: the fold leaves it out; the line stays in the log.
    Retract {
        event: String,
        reason: String,
    },
    /// One alert as its sender posted it (`ingest`): logged when it was received, its own
    /// times kept as data, so an alert that started before the incident is no backdated fact.
    Alert {
        /// Who sent it: `alertmanager`, `grafana` or `pagerduty`.
        source: String,
        name: String,
        /// The sender's identity of the alert: a repeat carries the same one.
        fingerprint: String,
        /// The sender's group (Alertmanager's and Grafana's `groupKey`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_key: Option<String>,
        status: AlertStatus,
        #[serde(with = "ts")]
        starts_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "ts_opt")]
        ends_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        labels: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        annotations: BTreeMap<String, String>,
        /// Where the alert came from (the rule's graph, the PagerDuty incident).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
    },
}

/// RFC 3339 in UTC with a `Z`, whole seconds unless the moment has a fraction.
pub(crate) mod ts {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::timefmt::stored(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::timefmt::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not an RFC 3339 time")))
    }
}

pub(crate) mod ts_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::ts::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::ts")] DateTime<Utc>);
        Ok(Option::<W>::deserialize(d)?.map(|W(t)| t))
    }
}

impl Body {
    /// Whether this event corrects another (and so is not itself a fact about the incident).
    pub fn is_correction(&self) -> bool {
        matches!(self, Body::Amend { .. } | Body::Retract { .. })
    }

    /// Whether this fact may lie before impact started: a note (context, such as the deploy
    /// that set the incident off), the opening, and the milestones, which keep an order of
    /// their own (`state::Moments::check`). Corrections are logged when they are made.
    pub fn may_precede_impact(&self) -> bool {
        matches!(self, Body::Note { .. } | Body::Opened { .. } | Body::Mark { .. } | Body::Resolved { .. })
            || self.is_correction()
    }

    /// The event's free text, the one `amend --text` replaces; `None` for kinds without one.
    pub fn with_text(&self, text: String) -> Option<Body> {
        let mut b = self.clone();
        match &mut b {
            Body::Opened { title, .. } | Body::Action { title, .. } => *title = text,
            Body::Note { text: t } | Body::Retro { text: t, .. } => *t = text,
            Body::Update { message, .. } => *message = text,
            Body::Step { note, .. } | Body::ActionDone { note, .. } => *note = Some(text),
            Body::ActionDropped { reason, .. } | Body::Canceled { reason } => *reason = text,
            Body::Severity { reason, .. } => *reason = Some(text),
            Body::Resolved { root_cause } => *root_cause = Some(text),
            Body::Role { name, .. } => *name = text,
            _ => return None,
        }
        Some(b)
    }

    /// The kind, as the log names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Opened { .. } => "opened",
            Body::Note { .. } => "note",
            Body::Mark { .. } => "mark",
            Body::Severity { .. } => "severity",
            Body::Role { .. } => "role",
            Body::Runbook { .. } => "runbook",
            Body::Phase { .. } => "phase",
            Body::Step { .. } => "step",
            Body::Command { .. } => "command",
            Body::Action { .. } => "action",
            Body::ActionDone { .. } => "action_done",
            Body::ActionDropped { .. } => "action_dropped",
            Body::Update { .. } => "update",
            Body::Maintenance { .. } => "maintenance",
            Body::Delivery { .. } => "delivery",
            Body::Retro { .. } => "retro",
            Body::Impact { .. } => "impact",
            Body::Resolved { .. } => "resolved",
            Body::Closed {} => "closed",
            Body::Visibility { .. } => "visibility",
            Body::Drill { .. } => "drill",
            Body::Canceled { .. } => "canceled",
            Body::Amend { .. } => "amend",
            Body::Retract { .. } => "retract",
            Body::Alert { .. } => "alert",
        }
    }

    /// Every string the event carries passed through secret redaction: free text,
    /// names and owners, and ids too (a severity, a service or a channel is free text when
    /// `incident.yaml` declares none). Only references to other events (`action`, `event`,
    /// `update`) are kept as they are: the tool made them, and masking one would break the
    /// link. Every variant is destructured field by field, with no `..`, so a new field does
    /// not compile until it is placed here.
    pub fn redacted(self) -> Body {
        use crate::redact::redact;
        let r = |s: String| redact(&s);
        let ro = |s: Option<String>| s.map(|s| redact(&s));
        let rv = |v: Vec<String>| v.into_iter().map(|s| redact(&s)).collect();
        match self {
            Body::Opened { title, severity, services, drill, private, maintenance } => Body::Opened {
                title: r(title),
                severity: r(severity),
                services: rv(services),
                drill,
                private,
                maintenance: maintenance.map(|Planned { from, until, message }| Planned {
                    from,
                    until,
                    message: ro(message),
                }),
            },
            Body::Note { text } => Body::Note { text: r(text) },
            Body::Mark { milestone } => Body::Mark { milestone },
            Body::Severity { from, to, reason } => {
                Body::Severity { from: r(from), to: r(to), reason: ro(reason) }
            }
            Body::Role { role, name } => Body::Role { role: r(role), name: r(name) },
            Body::Runbook { runbook, sha256 } => Body::Runbook { runbook: r(runbook), sha256: ro(sha256) },
            Body::Phase { phase } => Body::Phase { phase },
            Body::Step { step, phase, outcome, choice, note, runbook } => Body::Step {
                step: r(step),
                phase,
                outcome,
                choice: ro(choice),
                note: ro(note),
                runbook: ro(runbook),
            },
            Body::Command {
                step,
                command,
                exit_code,
                output,
                truncated,
                duration_ms,
                runbook,
                timeout_s,
                timed_out,
                interrupted,
                signal,
                runbook_sha256,
            } => Body::Command {
                step: r(step),
                command: r(command),
                exit_code,
                output: r(output),
                truncated,
                duration_ms,
                runbook: ro(runbook),
                timeout_s,
                timed_out,
                interrupted,
                signal: ro(signal),
                runbook_sha256: ro(runbook_sha256),
            },
            Body::Action { title, owner, due, action_type, link } => Body::Action {
                title: r(title),
                owner: r(owner),
                due: ro(due),
                action_type: r(action_type),
                link: ro(link),
            },
            Body::ActionDone { action, note } => Body::ActionDone { action, note: ro(note) },
            Body::ActionDropped { action, reason } => Body::ActionDropped { action, reason: r(reason) },
            Body::Update { channel, message, status, eta, maintenance_status } => {
                Body::Update { channel: r(channel), message: r(message), status, eta, maintenance_status }
            }
            Body::Maintenance { to } => Body::Maintenance { to },
            Body::Delivery {
                update,
                channel,
                attempt,
                delivered,
                http_status,
                exit_code,
                latency_ms,
                error,
            } => Body::Delivery {
                update,
                channel: r(channel),
                attempt,
                delivered,
                http_status,
                exit_code,
                latency_ms,
                error: ro(error),
            },
            Body::Retro { section, text } => Body::Retro { section: r(section), text: r(text) },
            Body::Impact { share, customers, failed_orders, tickets } => {
                Body::Impact { share, customers, failed_orders, tickets }
            }
            Body::Resolved { root_cause } => Body::Resolved { root_cause: ro(root_cause) },
            Body::Closed {} => Body::Closed {},
            Body::Visibility { visibility } => Body::Visibility { visibility },
            Body::Drill { drill } => Body::Drill { drill },
            Body::Canceled { reason } => Body::Canceled { reason: r(reason) },
            Body::Amend { event, time, text } => Body::Amend { event, time, text: ro(text) },
            Body::Retract { event, reason } => Body::Retract { event, reason: r(reason) },
            Body::Alert {
                source,
                name,
                fingerprint,
                group_key,
                status,
                starts_at,
                ends_at,
                labels,
                annotations,
                link,
            } => {
                let rm = |m: BTreeMap<String, String>| m.into_iter().map(|(k, v)| (r(k), r(v))).collect();
                Body::Alert {
                    source: r(source),
                    name: r(name),
                    fingerprint: r(fingerprint),
                    group_key: ro(group_key),
                    status,
                    starts_at,
                    ends_at,
                    labels: rm(labels),
                    annotations: rm(annotations),
                    link: ro(link),
                }
            }
        }
    }
}

//! The append-only event log, `incidents/<id>/events.jsonl` (SPEC §2): one JSON object a line,
//! the incident's single source of truth. Appends take an exclusive lock, repair a torn last
//! line left by a crash, write whole lines and fsync; reads tolerate a torn last line.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
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
    pub fn new(body: Body, by: &str, at: DateTime<Utc>, occurred_at: Option<DateTime<Utc>>) -> Event {
        Event {
            id: uuid::Uuid::new_v4().simple().to_string(),
            at,
            by: by.to_string(),
            occurred_at: occurred_at.filter(|o| *o != at),
            body,
        }
    }

    /// The moment the event stands for: when it happened if told, else when it was logged.
    pub fn when(&self) -> DateTime<Utc> {
        self.occurred_at.unwrap_or(self.at)
    }
}

/// The key moments of SPEC §4, in their order. One enum: the log, the fold, `mark` and the
/// metrics all name them through it.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Done,
    Skipped,
    Failed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
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
    },
    Command {
        step: String,
        command: String,
        #[serde(default)]
        exit_code: Option<i32>,
        output: String,
        #[serde(default)]
        truncated: bool,
        duration_ms: u64,
    },
    Action {
        title: String,
        owner: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<String>,
        #[serde(rename = "type")]
        action_type: String,
    },
    Update {
        channel: String,
        message: String,
    },
    Retro {
        section: String,
        text: String,
    },
    Resolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<String>,
    },
    Closed {},
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
}

/// What reading a log gave.
#[derive(Debug, Default)]
pub struct Log {
    pub events: Vec<Event>,
    /// The 1-based line number of an incomplete last line that was left out.
    pub torn_line: Option<usize>,
}

pub fn read(path: &Path) -> Result<Log> {
    let mut bytes = Vec::new();
    File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(Error::io(path))?;
    parse(path, &bytes)
}

pub fn parse(path: &Path, bytes: &[u8]) -> Result<Log> {
    let mut log = Log::default();
    let complete_end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let (complete, tail) = bytes.split_at(complete_end);
    let mut lineno = 0;
    for line in complete.split(|b| *b == b'\n') {
        lineno += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let event = serde_json::from_slice::<Event>(line).map_err(|e| Error::CorruptLog {
            path: path.to_path_buf(),
            line: lineno,
            message: e.to_string(),
        })?;
        log.events.push(event);
    }
    if !tail.iter().all(u8::is_ascii_whitespace) {
        // A crash mid-write leaves a partial line; if it is whole but for its newline, keep it.
        match serde_json::from_slice::<Event>(tail) {
            Ok(event) => log.events.push(event),
            Err(_) => log.torn_line = Some(lineno.max(1)),
        }
    }
    Ok(log)
}

/// Appends whole events under an exclusive lock, then fsyncs. A torn last line is cut off
/// (or, if it parses, completed with its newline) before writing, so it never hides the
/// next event. Returns the line number of a torn line that was removed.
pub fn append(path: &Path, events: &[Event]) -> Result<Option<usize>> {
    append_then(path, events, |_, _| {})
}

/// [`append`], then `then(before, after)` with the log's metadata before and after the write,
/// still under the lock: so a cache of the log (the incident's head) follows every append in
/// the order they happened, and costs what the new events cost, not what the log does.
pub fn append_then(
    path: &Path,
    events: &[Event],
    then: impl FnOnce(&std::fs::Metadata, &std::fs::Metadata),
) -> Result<Option<usize>> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let created = !path.exists();
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let mut file =
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io)?;
    file.lock().map_err(io)?;
    let removed = repair_tail(path, &mut file)?;
    let before = file.metadata().map_err(io)?;
    let mut buf = Vec::with_capacity(256 * events.len());
    for e in events {
        serde_json::to_writer(&mut buf, e)
            .map_err(|e| Error::Io { path: path.to_path_buf(), source: e.into() })?;
        buf.push(b'\n');
    }
    file.seek(SeekFrom::End(0)).map_err(io)?;
    file.write_all(&buf).map_err(io)?;
    // The cache follows before the fsync, so readers (who take no lock) see a log and a head
    // that disagree for as short a time as possible. A crash that loses the write leaves a
    // head the log no longer matches, which is then simply not used.
    let after = file.metadata().map_err(io)?;
    then(&before, &after);
    file.sync_data().map_err(io)?;
    if created {
        // The new file's name must survive a crash too.
        File::open(&dir).and_then(|d| d.sync_all()).map_err(Error::io(&dir))?;
    }
    Ok(removed)
}

fn repair_tail(path: &Path, file: &mut File) -> Result<Option<usize>> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1)).map_err(io)?;
    file.read_exact(&mut last).map_err(io)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.read_to_end(&mut bytes).map_err(io)?;
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[keep..];
    if serde_json::from_slice::<Event>(tail).is_ok() {
        file.seek(SeekFrom::End(0)).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        return Ok(None);
    }
    let line = bytes[..keep].iter().filter(|b| **b == b'\n').count() + 1;
    file.set_len(keep as u64).map_err(io)?;
    Ok(Some(line))
}

/// RFC 3339 in UTC with a `Z`, whole seconds unless the moment has a fraction.
mod ts {
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

mod ts_opt {
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

    /// The event's free text, the one `amend --text` replaces; `None` for kinds without one.
    pub fn with_text(&self, text: String) -> Option<Body> {
        let mut b = self.clone();
        match &mut b {
            Body::Opened { title, .. } | Body::Action { title, .. } => *title = text,
            Body::Note { text: t } | Body::Retro { text: t, .. } => *t = text,
            Body::Update { message, .. } => *message = text,
            Body::Step { note, .. } => *note = Some(text),
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
            Body::Update { .. } => "update",
            Body::Retro { .. } => "retro",
            Body::Resolved { .. } => "resolved",
            Body::Closed {} => "closed",
            Body::Amend { .. } => "amend",
            Body::Retract { .. } => "retract",
        }
    }

    /// Every free-text field passed through secret redaction.
    pub fn redacted(self) -> Body {
        use crate::redact::redact;
        let r = |s: String| redact(&s);
        let ro = |s: Option<String>| s.map(|s| redact(&s));
        match self {
            Body::Opened { title, severity, services, drill } => {
                Body::Opened { title: r(title), severity, services, drill }
            }
            Body::Note { text } => Body::Note { text: r(text) },
            Body::Severity { from, to, reason } => Body::Severity { from, to, reason: ro(reason) },
            Body::Step { step, phase, outcome, choice, note } => {
                Body::Step { step, phase, outcome, choice, note: ro(note) }
            }
            Body::Command { step, command, exit_code, output, truncated, duration_ms } => Body::Command {
                step,
                command: r(command),
                exit_code,
                output: r(output),
                truncated,
                duration_ms,
            },
            Body::Action { title, owner, due, action_type } => {
                Body::Action { title: r(title), owner, due, action_type }
            }
            Body::Update { channel, message } => Body::Update { channel, message: r(message) },
            Body::Retro { section, text } => Body::Retro { section, text: r(text) },
            Body::Resolved { root_cause } => Body::Resolved { root_cause: ro(root_cause) },
            Body::Amend { event, time, text } => Body::Amend { event, time, text: ro(text) },
            Body::Retract { event, reason } => Body::Retract { event, reason: r(reason) },
            other @ (Body::Mark { .. }
            | Body::Role { .. }
            | Body::Runbook { .. }
            | Body::Phase { .. }
            | Body::Closed {}) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Body> {
        vec![
            Body::Opened {
                title: "t".into(),
                severity: "SEV1".into(),
                services: vec!["web".into()],
                drill: true,
            },
            Body::Note { text: "n".into() },
            Body::Mark { milestone: Milestone::Mitigated },
            Body::Severity { from: "SEV2".into(), to: "SEV1".into(), reason: Some("r".into()) },
            Body::Role { role: "commander".into(), name: "A".into() },
            Body::Runbook { runbook: "bad-deploy".into() },
            Body::Phase { phase: Phase::Assess },
            Body::Step {
                step: "s".into(),
                phase: Phase::Diagnose,
                outcome: Outcome::Done,
                choice: Some("yes".into()),
                note: Some("n".into()),
            },
            Body::Command {
                step: "s".into(),
                command: "ls".into(),
                exit_code: Some(3),
                output: "o".into(),
                truncated: true,
                duration_ms: 12,
            },
            Body::Action {
                title: "a".into(),
                owner: "o".into(),
                due: Some("2026-12-01".into()),
                action_type: "prevent".into(),
            },
            Body::Update { channel: "status-page".into(), message: "m".into() },
            Body::Retro { section: "lucky".into(), text: "t".into() },
            Body::Resolved { root_cause: Some("rc".into()) },
            Body::Closed {},
            Body::Amend { event: "e1".into(), time: Some(Utc::now()), text: Some("t".into()) },
            Body::Amend { event: "e1".into(), time: None, text: None },
            Body::Retract { event: "e2".into(), reason: "r".into() },
        ]
    }

    #[test]
    fn round_trip_every_kind() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T14:02:00Z").map(|t| t.with_timezone(&Utc)).unwrap();
        for body in every_kind() {
            let e = Event::new(body, "me", at, Some(at + chrono::Duration::minutes(1)));
            let line = serde_json::to_string(&e).unwrap();
            let back: Event = serde_json::from_str(&line).unwrap();
            assert_eq!(back, e, "{line}");
        }
    }
}

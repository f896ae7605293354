//! The append-only event log, `incidents/<id>/events.jsonl`: one JSON object a line,
//! the incident's single source of truth. Appends take an exclusive lock, repair a torn last
//! line left by a crash, write whole lines and fsync; reads tolerate a torn last line.
//!
//! - `schema`: the event and its kinds (and their redaction);
//! - `parse`: reading a log's lines;
//! - `store`: the log on disk, under the lock appends take;
//! - `union`: two sides' logs joined by a sync.

mod parse;
mod schema;
mod store;
mod union;

pub use parse::{AnyRecord, Log, Record, complete_prefix, parse, read, read_as, without_unreadable};
pub use schema::{
    AlertStatus, Body, Event, MaintenanceState, Milestone, Outcome, Planned, PublicStatus, Visibility,
};
pub(crate) use schema::{ts, ts_opt};
pub use store::{
    append_then, merge_into, merge_into_as, move_into, reject_unreadable, reject_unreadable_as, rejected_path,
};
pub use union::{Incoming, SetAside, union_checked, union_raw};

use chrono::{DateTime, Utc};

/// The key moments an opening gives: when it was opened, and impact started and detected
/// when they were given apart from it.
pub type OpeningTimes = (DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// An incident's first events, in the order they are appended: the opening, the key moments
/// given (each at its own time), the commander (when someone is: an incident an alert opened
/// has none until a person takes it), the runbook. `open` and `ingest` both open this way.
pub fn opening(
    opened: Body,
    (opened_at, started, detected): OpeningTimes,
    commander: Option<String>,
    runbook: Option<(String, Option<String>)>,
    by: &str,
    now: DateTime<Utc>,
) -> Vec<Event> {
    let mut events = vec![Event::new(opened, by, now, Some(opened_at))];
    for (milestone, at) in [(Milestone::Started, started), (Milestone::Detected, detected)] {
        if at.is_some() {
            events.push(Event::new(Body::Mark { milestone }, by, now, at));
        }
    }
    if let Some(name) = commander {
        events.push(Event::new(Body::Role { role: "commander".into(), name }, by, now, Some(opened_at)));
    }
    if let Some((runbook, sha256)) = runbook {
        events.push(Event::new(Body::Runbook { runbook, sha256 }, by, now, Some(opened_at)));
    }
    events
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::string_slice,
        reason = "slices of fixed test texts: a panic here fails the test, no user's text reaches it"
    )]
    use chrono::{DateTime, Utc};

    use super::parse::MAX_EVENT_BYTES;
    use super::store::open_locked;
    use super::*;

    fn append(path: &std::path::Path, events: &[Event]) -> crate::error::Result<Option<usize>> {
        append_then(path, events, |_, _| {})
    }
    use crate::error::{Error, InputError};
    use crate::phase::Phase;

    /// Regression: the size limit was checked where a command made its event, so a writer
    /// that made its own events (`open`) skipped it. It lives where events are written now,
    /// and a refused append makes nothing, not even the incident's folder.
    #[test]
    fn an_event_over_the_limit_is_refused_by_append_and_nothing_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("incidents/x/events.jsonl");
        let at = Utc::now();
        let small = Event::new(Body::Note { text: "fits".into() }, "a", at, None);
        let huge = Event::new(Body::Note { text: "x".repeat(MAX_EVENT_BYTES) }, "a", at, None);
        match append_then(&log, &[small.clone(), huge], |_, _| {}) {
            Err(Error::Input(InputError::EventTooLarge { kind: "note", limit: MAX_EVENT_BYTES, .. })) => {}
            other => panic!("{other:?}"),
        }
        assert!(!log.parent().unwrap().exists(), "the folder was made");
        append(&log, &[small]).unwrap();
        assert_eq!(read(&log).unwrap().events.len(), 1);
    }

    fn every_kind() -> Vec<Body> {
        vec![
            Body::Opened {
                title: "t".into(),
                severity: "SEV1".into(),
                services: vec!["web".into()],
                drill: true,
                private: true,
                maintenance: None,
            },
            Body::Opened {
                title: "t".into(),
                severity: "maintenance".into(),
                services: vec!["web".into()],
                drill: false,
                private: false,
                maintenance: Some(Planned {
                    from: DateTime::parse_from_rfc3339("2026-12-01T02:00:00Z").unwrap().with_timezone(&Utc),
                    until: DateTime::parse_from_rfc3339("2026-12-01T04:00:00Z").unwrap().with_timezone(&Utc),
                    message: Some("m".into()),
                }),
            },
            Body::Maintenance { to: MaintenanceState::Verifying },
            Body::Note { text: "n".into() },
            Body::Mark { milestone: Milestone::Mitigated },
            Body::Severity { from: "SEV2".into(), to: "SEV1".into(), reason: Some("r".into()) },
            Body::Role { role: "commander".into(), name: "A".into() },
            Body::Runbook { runbook: "bad-deploy".into(), sha256: None },
            Body::Runbook { runbook: "bad-deploy".into(), sha256: Some("cd".repeat(32)) },
            Body::Phase { phase: Phase::Assess },
            Body::Step {
                step: "s".into(),
                phase: Phase::Diagnose,
                outcome: Outcome::Done,
                choice: Some("yes".into()),
                note: Some("n".into()),
                runbook: Some("bad-deploy".into()),
            },
            Body::Command {
                step: "s".into(),
                command: "ls".into(),
                exit_code: Some(3),
                output: "o".into(),
                truncated: true,
                duration_ms: 12,
                runbook: None,
                timeout_s: None,
                timed_out: false,
                interrupted: false,
                signal: None,
                runbook_sha256: None,
            },
            Body::Command {
                step: "s".into(),
                command: "yes".into(),
                exit_code: None,
                output: "y\n[… 9 bytes of output dropped …]\ny\n".into(),
                truncated: true,
                duration_ms: 5012,
                runbook: Some("bad-deploy".into()),
                timeout_s: Some(5),
                timed_out: true,
                interrupted: false,
                signal: None,
                runbook_sha256: Some("ab".repeat(32)),
            },
            Body::Action {
                title: "a".into(),
                owner: "o".into(),
                due: Some("2026-12-01".into()),
                action_type: "prevent".into(),
                link: Some("https://tracker.example.com/OPS-1".into()),
            },
            Body::Action {
                title: "a".into(),
                owner: "o".into(),
                due: None,
                action_type: "process".into(),
                link: None,
            },
            Body::ActionDone { action: "a1".into(), note: Some("n".into()) },
            Body::ActionDone { action: "a1".into(), note: None },
            Body::ActionDropped { action: "a2".into(), reason: "r".into() },
            Body::Update {
                channel: "status-page".into(),
                message: "m".into(),
                status: Some(PublicStatus::Identified),
                eta: Some(Utc::now()),
                maintenance_status: None,
            },
            Body::Update {
                channel: "status-page".into(),
                message: "m".into(),
                status: None,
                eta: None,
                maintenance_status: Some(MaintenanceState::InProgress),
            },
            Body::Delivery {
                update: "u1".into(),
                channel: "status-page".into(),
                attempt: 2,
                delivered: false,
                http_status: Some(503),
                exit_code: None,
                latency_ms: 120,
                error: Some("HTTP 503".into()),
            },
            Body::Retro { section: "lucky".into(), text: "t".into() },
            Body::Impact { share: Some(7.5), customers: Some(120), failed_orders: None, tickets: Some(3) },
            Body::Resolved { root_cause: Some("rc".into()) },
            Body::Closed {},
            Body::Visibility { visibility: Visibility::Private },
            Body::Visibility { visibility: Visibility::Public },
            Body::Drill { drill: true },
            Body::Drill { drill: false },
            Body::Canceled { reason: "a duplicate".into() },
            Body::Amend { event: "e1".into(), time: Some(Utc::now()), text: Some("t".into()) },
            Body::Amend { event: "e1".into(), time: None, text: None },
            Body::Retract { event: "e2".into(), reason: "r".into() },
        ]
    }

    /// Regression (issue 13): a role's name and an action's owner were logged unredacted. Every
    /// string field of every kind, planted with a secret, is redacted, except the references to
    /// other events (and the fields whose type refuses the planted text: enums).
    #[test]
    fn every_string_field_of_every_kind_is_redacted() {
        const SECRET: &str = "password=PlantedLeak9";
        const REFERENCES: [&str; 4] = ["kind", "action", "event", "update"];
        let mut planted = 0;
        for body in every_kind() {
            let value = serde_json::to_value(&body).unwrap();
            let fields: Vec<(String, serde_json::Value)> =
                value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for (key, v) in fields {
                let with = match v {
                    serde_json::Value::String(_) => serde_json::Value::String(SECRET.into()),
                    serde_json::Value::Array(a) if a.iter().all(serde_json::Value::is_string) => {
                        serde_json::json!([SECRET])
                    }
                    _ => continue,
                };
                let mut value = value.clone();
                value[key.as_str()] = with;
                let Ok(b) = serde_json::from_value::<Body>(value) else { continue };
                let line = serde_json::to_string(&b.redacted()).unwrap();
                if REFERENCES.contains(&key.as_str()) {
                    continue;
                }
                planted += 1;
                assert!(!line.contains("PlantedLeak9"), "{key} of {}: {line}", body.kind());
            }
        }
        assert!(planted > 25, "only {planted} fields planted");
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

    /// Logs written before timeouts and runbook digests still read, with the new fields at
    /// their defaults.
    #[test]
    fn command_and_runbook_events_of_older_logs_still_read() {
        let old = r#"{"id":"a","at":"2026-11-27T14:02:00Z","by":"me","kind":"command","step":"s","command":"ls","exit_code":0,"output":"o","truncated":false,"duration_ms":3}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert!(matches!(
            e.body,
            Body::Command { timeout_s: None, timed_out: false, interrupted: false, runbook_sha256: None, .. }
        ));
        let old = r#"{"id":"b","at":"2026-11-27T14:02:00Z","by":"me","kind":"runbook","runbook":"r"}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert!(matches!(e.body, Body::Runbook { sha256: None, .. }));
    }

    /// An opening that is not private is written as it was before `--private` existed, so
    /// logs and their git history do not change for incidents that never use it.
    #[test]
    fn a_public_opening_is_written_as_before_and_old_openings_read_as_public() {
        let old = r#"{"id":"a","at":"2026-11-27T14:02:00Z","by":"me","kind":"opened","title":"t","severity":"SEV2","services":[],"drill":false}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert!(matches!(e.body, Body::Opened { private: false, .. }));
        assert_eq!(serde_json::to_string(&e).unwrap(), old);
    }

    fn line(body: Body) -> String {
        let at = DateTime::parse_from_rfc3339("2026-11-27T14:02:00Z").map(|t| t.with_timezone(&Utc)).unwrap();
        serde_json::to_string(&Event::new(body, "me", at, None)).unwrap()
    }

    /// Nothing bricks an incident: a bad line mid-file is skipped and named, the rest is read.
    #[test]
    fn unreadable_lines_are_skipped_and_named() {
        let (a, b) = (line(Body::Note { text: "a".into() }), line(Body::Note { text: "b".into() }));
        let torn = &a[..a.len() / 2];
        let text = format!("{a}\n{{not json\n\n{torn}\n[1,2]\n{{\"kind\":\"nope\"}}\n{b}\n");
        let log = parse(text.as_bytes());
        assert_eq!(log.events.len(), 2);
        assert_eq!(log.unreadable.iter().map(|u| u.line).collect::<Vec<_>>(), [2, 4, 5, 6]);
        assert!(log.unreadable.iter().all(|u| !u.reason.is_empty()));
        assert_eq!(log.torn_line, None);
    }

    #[test]
    fn torn_last_line_is_still_only_torn() {
        let a = line(Body::Note { text: "a".into() });
        let log = parse(format!("{a}\n{}", &a[..10]).as_bytes());
        assert_eq!((log.events.len(), log.unreadable.len(), log.torn_line), (1, 0, Some(2)));
        // Whole but for its newline: kept.
        let log = parse(format!("{a}\n{a}").as_bytes());
        assert_eq!((log.events.len(), log.torn_line), (2, None));
        let log = parse(b"\xff\xfe");
        assert_eq!((log.events.len(), log.unreadable.len(), log.torn_line), (0, 0, Some(1)));
    }

    #[test]
    fn rejecting_moves_bad_lines_byte_for_byte_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (path, rejected) = (dir.path().join("events.jsonl"), dir.path().join("rejected.jsonl"));
        let (a, b) = (line(Body::Note { text: "a".into() }), line(Body::Note { text: "b".into() }));
        let text = format!("{a}\n{{bad\\x\r\n\n{b}\r\n\u{e9}t\u{e9}\n{}", &b[..7]);
        std::fs::write(&path, &text).unwrap();
        std::fs::write(&rejected, "old\n").unwrap();
        let moved = reject_unreadable(&path, &rejected).unwrap();
        assert_eq!(moved.iter().map(|m| m.0).collect::<Vec<_>>(), [2, 5, 6]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{a}\n\n{b}\r\n"));
        let expected = format!("old\n{{bad\\x\r\n\u{e9}t\u{e9}\n{}\n", &b[..7]);
        assert_eq!(std::fs::read_to_string(&rejected).unwrap(), expected);
        // Nothing left to move: nothing changes.
        assert!(reject_unreadable(&path, &rejected).unwrap().is_empty());
        assert_eq!(std::fs::read_to_string(&rejected).unwrap(), expected);
        append(&path, &[]).unwrap();
    }

    /// A writer that waited for the lock while the log was replaced by renaming appends to the
    /// new log, not to the unlinked old one (where its event would be lost).
    #[test]
    fn a_writer_waiting_through_a_rewrite_appends_to_the_new_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let a = line(Body::Note { text: "a".into() });
        std::fs::write(&path, format!("{a}\nbad\n")).unwrap();
        let held = open_locked(&path, false).unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                let at = Utc::now();
                append(&path, &[Event::new(Body::Note { text: "late".into() }, "w", at, None)]).unwrap();
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        crate::fsutil::write_atomic(&path, format!("{a}\n").as_bytes()).unwrap();
        drop(held);
        writer.join().unwrap();
        let log = read(&path).unwrap();
        assert_eq!(log.events.len(), 2, "{:?}", std::fs::read_to_string(&path));
        assert!(log.unreadable.is_empty());
    }
}

//! Alert notifications as their senders post them: Prometheus Alertmanager's webhook (version
//! 4), Grafana Alerting's webhook contact point and PagerDuty's V3 webhook, each read into the
//! same [`Notification`]. Pure: bytes in, alerts or the field that is wrong out; what an alert
//! opens or joins is `ingest`'s business.
//!
//! A body is read as JSON, then walked field by field ([`Node`]), so a refusal names the path
//! that was wrong (`alerts[0].startsAt`) and what was expected there, not serde's position.

mod alertmanager;
mod grafana;
mod pagerduty;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;

use crate::error::{Error, InputError};
use crate::events::AlertStatus;

/// The largest body read: far above what a sender posts (Alertmanager's default batch of
/// alerts is a few hundred kilobytes), small enough to hold in memory.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// Which sender's shape a body is read in; `auto` tells them apart by their fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Prometheus Alertmanager's webhook_config (version 4)
    Alertmanager,
    /// Grafana Alerting's webhook contact point
    Grafana,
    /// PagerDuty's V3 webhook (incident.triggered, .acknowledged, .resolved)
    Pagerduty,
    /// Told by the body's fields: PagerDuty's `event`, Grafana's `orgId`, Alertmanager's `version` "4"
    #[default]
    Auto,
}

/// One notification: what its sender says about one group of alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// `alertmanager`, `grafana` or `pagerduty`: who logged what it brings.
    pub source: &'static str,
    /// The sender's group (`groupKey`): every notification for the group carries it.
    pub group_key: Option<String>,
    pub alerts: Vec<ReceivedAlert>,
}

/// One alert of a notification.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedAlert {
    pub name: String,
    pub fingerprint: String,
    pub status: AlertStatus,
    pub starts_at: DateTime<Utc>,
    /// When it ended, for a resolved alert.
    pub ends_at: Option<DateTime<Utc>>,
    /// What rules match on: Alertmanager's and Grafana's labels, PagerDuty's incident fields.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub link: Option<String>,
}

/// What is wrong with a body: where (a JSON path, or `body`) and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    pub field: String,
    pub expected: String,
}

impl From<PayloadError> for Error {
    fn from(e: PayloadError) -> Error {
        InputError::BadPayload { field: e.field, expected: e.expected }.into()
    }
}

/// Reads one notification in `format`.
pub fn parse(bytes: &[u8], format: Format) -> Result<Notification, PayloadError> {
    let body = || PayloadError { field: "body".into(), expected: String::new() };
    if bytes.len() > MAX_BODY {
        return Err(PayloadError { expected: format!("at most {} MiB", MAX_BODY / 1_048_576), ..body() });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| PayloadError {
        expected: format!("UTF-8 text (byte {} is not)", e.valid_up_to()),
        ..body()
    })?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| PayloadError { expected: format!("JSON ({e})"), ..body() })?;
    let root = Node::root(&value);
    root.object()?;
    match format {
        Format::Alertmanager => alertmanager::parse(&root),
        Format::Grafana => grafana::parse(&root),
        Format::Pagerduty => pagerduty::parse(&root),
        Format::Auto => match detect(&value) {
            Some(Format::Pagerduty) => pagerduty::parse(&root),
            Some(Format::Grafana) => grafana::parse(&root),
            Some(_) => alertmanager::parse(&root),
            None => Err(PayloadError {
                expected: "an Alertmanager (version 4), Grafana or PagerDuty V3 webhook notification \
                           (pass --format to say which)"
                    .into(),
                ..body()
            }),
        },
    }
}

/// The sender whose shape a body has: PagerDuty's envelope is `event`, Grafana's has `orgId`,
/// Alertmanager's says `version` "4".
fn detect(value: &Value) -> Option<Format> {
    let has = |k: &str| value.get(k).is_some();
    if has("event") {
        Some(Format::Pagerduty)
    } else if has("orgId") {
        Some(Format::Grafana)
    } else if has("alerts") && (value.get("version").and_then(Value::as_str) == Some("4") || has("groupKey"))
    {
        Some(Format::Alertmanager)
    } else {
        None
    }
}

/// A value of the body and where it stands, for errors that name it.
pub(crate) struct Node<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> Node<'a> {
    fn root(value: &'a Value) -> Node<'a> {
        Node { value, path: String::new() }
    }

    fn bad(&self, expected: impl Into<String>) -> PayloadError {
        let field = if self.path.is_empty() { "body".to_string() } else { self.path.clone() };
        PayloadError { field, expected: format!("{}, found {}", expected.into(), found(self.value)) }
    }

    fn child(&self, key: &str, value: &'a Value) -> Node<'a> {
        let path = if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) };
        Node { value, path }
    }

    fn object(&self) -> Result<&'a serde_json::Map<String, Value>, PayloadError> {
        self.value.as_object().ok_or_else(|| self.bad("an object"))
    }

    /// A field that must be there (and not null).
    fn get(&self, key: &str) -> Result<Node<'a>, PayloadError> {
        match self.object()?.get(key) {
            Some(v) if !v.is_null() => Ok(self.child(key, v)),
            _ => Err(PayloadError {
                field: self.child(key, &Value::Null).path,
                expected: "a value: it is missing".into(),
            }),
        }
    }

    /// A field that may be absent or null.
    fn opt(&self, key: &str) -> Result<Option<Node<'a>>, PayloadError> {
        Ok(self.object()?.get(key).filter(|v| !v.is_null()).map(|v| self.child(key, v)))
    }

    fn str(&self) -> Result<&'a str, PayloadError> {
        self.value.as_str().ok_or_else(|| self.bad("a string"))
    }

    /// A string field that may be absent, null or empty.
    fn opt_str(&self, key: &str) -> Result<Option<String>, PayloadError> {
        match self.opt(key)? {
            Some(n) => Ok(Some(n.str()?.to_string()).filter(|s| !s.is_empty())),
            None => Ok(None),
        }
    }

    fn items(&self) -> Result<Vec<Node<'a>>, PayloadError> {
        let items = self.value.as_array().ok_or_else(|| self.bad("an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| Node { value: v, path: format!("{}[{i}]", self.path) })
            .collect())
    }

    /// An object whose values are all strings (labels, annotations).
    fn strings(&self) -> Result<BTreeMap<String, String>, PayloadError> {
        self.object()?.iter().map(|(k, v)| Ok((k.clone(), self.child(k, v).str()?.to_string()))).collect()
    }

    /// An RFC 3339 time.
    fn time(&self) -> Result<DateTime<Utc>, PayloadError> {
        let s = self.value.as_str().ok_or_else(|| self.bad("an RFC 3339 time"))?;
        crate::timefmt::parse_rfc3339(s).ok_or_else(|| self.bad("an RFC 3339 time"))
    }

    /// One of `words`, given as a string.
    fn one_of(&self, words: &[&'static str]) -> Result<&'static str, PayloadError> {
        let s = self.value.as_str();
        words.iter().find(|w| Some(**w) == s).copied().ok_or_else(|| self.bad(one_of(words)))
    }
}

fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// What a value is, briefly: a wrong one is named by its type and, when short, itself.
fn found(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() <= 40 => format!("{s:?}"),
        Value::String(_) => "a longer string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Go's zero time (`0001-01-01T00:00:00Z`) is how Alertmanager and Grafana say "no end yet".
fn unless_zero(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (t.year() > 1).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refused(body: &str, format: Format) -> PayloadError {
        match parse(body.as_bytes(), format) {
            Err(e) => e,
            Ok(n) => panic!("accepted: {n:?}"),
        }
    }

    #[test]
    fn what_is_not_a_notification_is_refused_naming_the_body() {
        let e = refused("not json", Format::Auto);
        assert_eq!(e.field, "body");
        assert!(e.expected.starts_with("JSON"), "{e:?}");
        let e = parse(b"{\"a\": \"\xff\"}", Format::Auto).unwrap_err();
        assert_eq!((e.field.as_str(), e.expected.as_str()), ("body", "UTF-8 text (byte 7 is not)"));
        assert_eq!(refused("[]", Format::Auto).field, "body");
        assert!(refused("{}", Format::Auto).expected.contains("--format"));
        let deep = "[".repeat(100_000);
        assert_eq!(refused(&deep, Format::Auto).field, "body");
    }

    #[test]
    fn a_wrong_field_is_named_by_its_path() {
        let e = refused(
            r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{},"startsAt":"soon"}]}"#,
            Format::Auto,
        );
        assert_eq!(e.field, "alerts[0].startsAt");
        assert_eq!(e.expected, "an RFC 3339 time, found \"soon\"");
        let e = refused(
            r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"a":1},"startsAt":"2026-01-01T00:00:00Z"}]}"#,
            Format::Alertmanager,
        );
        assert_eq!(e.field, "alerts[0].labels.a");
        assert_eq!(e.expected, "a string, found the number 1");
    }

    proptest! {
        /// Whatever the bytes, the parsers answer: a notification or the field that is wrong,
        /// never a panic.
        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), f in 0..4u8) {
            let format = [Format::Auto, Format::Alertmanager, Format::Grafana, Format::Pagerduty][usize::from(f)];
            let _ = parse(&bytes, format);
        }

        /// The same for bodies that are JSON and close to a real one: every field of a
        /// notification replaced by a value of another type.
        #[test]
        fn mangled_notifications_never_panic(
            value in prop_oneof![Just("null"), Just("1"), Just("\"x\""), Just("[]"), Just("{}"), Just("true"),
                Just("\"0001-01-01T00:00:00Z\""), Just("\"9999-12-31T23:59:59Z\"")],
            at in 0..40usize,
        ) {
            for fixture in FIXTURES {
                let mut v: Value = serde_json::from_str(fixture).unwrap();
                let replacement: Value = serde_json::from_str(value).unwrap();
                mangle(&mut v, &mut at.clone(), &replacement);
                let _ = parse(v.to_string().as_bytes(), Format::Auto);
            }
        }
    }

    /// Replaces the `at`-th value (depth first) of `v` with `with`.
    fn mangle(v: &mut Value, at: &mut usize, with: &Value) -> bool {
        if *at == 0 {
            *v = with.clone();
            return true;
        }
        *at -= 1;
        match v {
            Value::Array(items) => items.iter_mut().any(|i| mangle(i, at, with)),
            Value::Object(map) => map.values_mut().any(|i| mangle(i, at, with)),
            _ => false,
        }
    }

    const FIXTURES: [&str; 3] = [
        include_str!("../tests/fixtures/alerts/alertmanager.json"),
        include_str!("../tests/fixtures/alerts/grafana.json"),
        include_str!("../tests/fixtures/alerts/pagerduty-triggered.json"),
    ];
}

//! The one door an alert notification comes in by (`ingest` from a file or stdin, and the
//! listener for each request): read it ([`alerts::parse`]), find the open incident it
//! belongs to by its alerts' fingerprints or its group key, else route it by `incident.yaml`'s
//! `alerts:` rules to a new incident, and append what is news, under a lock held across the
//! deciding and the writing, so two notifications at once never open two incidents.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alerts::{self, Format, Notification, ReceivedAlert};
use crate::config::AlertRule;
use crate::ctx::Ctx;
use crate::error::{Error, InputError, Result};
use crate::events::{AlertStatus, Body, Event};
use crate::index;
use crate::repo::Repo;
use crate::state::{Kind, Moments, State};

/// What one notification did, as `ingest --json` prints it.
#[derive(Debug, Serialize)]
pub struct Received {
    /// The incident it opened or was added to; `None` when it touched none.
    pub incident: Option<String>,
    pub opened: bool,
    /// What was appended (none for a repeat, or when nothing matched).
    pub events: Vec<Event>,
    /// What happened, in a line.
    #[serde(skip)]
    said: String,
}

impl Received {
    /// The one line a notification gets: what it did and where.
    pub fn line(&self) -> String {
        self.said.clone()
    }
}

/// Reads a body from `input`, at most [`alerts::MAX_BODY`] bytes: more is refused without
/// being read (a stream that never ends is never held whole).
pub fn read_bounded(input: impl Read, what: &std::path::Path) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let limit = alerts::MAX_BODY as u64 + 1;
    input.take(limit).read_to_end(&mut body).map_err(Error::io(what))?;
    if body.len() > alerts::MAX_BODY {
        return Err(InputError::PayloadTooLarge { limit: alerts::MAX_BODY }.into());
    }
    Ok(body)
}

/// Takes one notification in: checks it whole, then, under the repository's ingest lock,
/// adds its news to the open incident it belongs to or opens the one its rule says.
pub fn receive(ctx: &Ctx, repo: &Repo, body: &[u8], format: Format) -> Result<Received> {
    let notification = alerts::parse(body, format)?;
    let received = ctx.clock_now();
    for alert in &notification.alerts {
        check_start(&notification, alert, received)?;
    }
    let _lock = lock(repo)?;
    let news = |known: &dyn Fn(&str) -> Option<AlertStatus>| {
        let mut seen: BTreeMap<&str, AlertStatus> = BTreeMap::new();
        let mut events = Vec::new();
        for a in &notification.alerts {
            let before = seen.get(a.fingerprint.as_str()).copied().or_else(|| known(&a.fingerprint));
            if before != Some(a.status) {
                seen.insert(&a.fingerprint, a.status);
                events.push(alert_event(&notification, a, received));
            }
        }
        events
    };
    if let Some((id, head)) = belongs_to(ctx, repo, &notification)? {
        let events = news(&|fp| head.alert_status(fp));
        let said = match events.len() {
            0 => format!("{id}: nothing new from {} (a repeat)", notification.source),
            n => format!("{id}: {n} alert {} logged from {}", plural(n), notification.source),
        };
        // A repeat writes nothing at all: a storm must not touch the log or its head.
        if !events.is_empty() {
            ctx.append(repo, &id, &events)?;
        }
        return Ok(Received { incident: Some(id), opened: false, events, said });
    }
    let Some((alert, rule)) = notification
        .alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Firing)
        .find_map(|a| route(&repo.config.alerts, a).map(|r| (a, r)))
    else {
        let said = match notification.alerts.iter().find(|a| a.status == AlertStatus::Firing) {
            Some(a) => {
                format!("no alert rule matches {} from {}: nothing opened", a.name, notification.source)
            }
            None => format!(
                "no open incident has these alerts from {}, and none fires: nothing opened",
                notification.source
            ),
        };
        return Ok(Received { incident: None, opened: false, events: Vec::new(), said });
    };
    let (id, mut events) = open(ctx, repo, &notification, alert, rule, received)?;
    events.extend(news(&|_| None));
    ctx.append_opening(repo, &id, &events)?;
    let n = events.iter().filter(|e| matches!(e.body, Body::Alert { .. })).count();
    let said = format!("{id}: opened by {} ({n} alert {} logged)", notification.source, plural(n));
    Ok(Received { incident: Some(id), opened: true, events, said })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "event" } else { "events" }
}

/// An alert's start is a fact like any other: not before 1970, not further past the clock
/// than a typed time may be.
fn check_start(n: &Notification, a: &ReceivedAlert, received: DateTime<Utc>) -> Result<()> {
    let flag = if n.source == "pagerduty" { "event.data.created_at" } else { "startsAt" };
    crate::timefmt::check_fact_time(a.starts_at, received).map_err(|reason| {
        InputError::BadTime { flag, value: crate::timefmt::stored(a.starts_at), reason }.into()
    })
}

/// Held while a notification is decided and written: two at once (the listener and a piped
/// `ingest`, or two listeners) must not both find no incident and both open one.
fn lock(repo: &Repo) -> Result<std::fs::File> {
    let path = repo
        .git_file("incident-ingest.lock")
        .ok_or_else(|| Error::from(crate::error::RepoError::NotARepo { path: repo.root.clone() }))?;
    let file = crate::fsutil::nofollow()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(Error::io(&path))?;
    file.lock().map_err(Error::io(&path))?;
    Ok(file)
}

/// The open incident one of the notification's alerts (by fingerprint) or its group (by
/// group key) was logged in, newest first; read from the heads, no log folded.
fn belongs_to(ctx: &Ctx, repo: &Repo, n: &Notification) -> Result<Option<(String, crate::head::Head)>> {
    for id in repo.ids().into_iter().rev() {
        // An incident that cannot be read is no home for an alert; the others still are.
        let Ok((head, warnings)) = index::head(repo, &id) else { continue };
        ctx.warn(warnings)?;
        if head.summary.state != State::Open || head.summary.kind != Kind::Incident {
            continue;
        }
        let grouped = n.group_key.as_deref().is_some_and(|k| head.has_group(k));
        if grouped || n.alerts.iter().any(|a| head.alert_status(&a.fingerprint).is_some()) {
            return Ok(Some((id, head)));
        }
    }
    Ok(None)
}

/// The first rule whose every `match` entry the alert's labels hold.
fn route<'r>(rules: &'r [AlertRule], a: &ReceivedAlert) -> Option<&'r AlertRule> {
    rules.iter().find(|r| r.r#match.iter().all(|(k, v)| a.labels.get(k) == Some(v)))
}

fn alert_event(n: &Notification, a: &ReceivedAlert, received: DateTime<Utc>) -> Event {
    let body = Body::Alert {
        source: n.source.to_string(),
        name: a.name.clone(),
        fingerprint: a.fingerprint.clone(),
        group_key: n.group_key.clone(),
        status: a.status,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        link: a.link.clone(),
    };
    Event::new(body, n.source, received, None)
}

/// The opening of an incident for `alert` as `rule` says: impact started when the alert
/// started (never after it was received: detection cannot precede impact), detected when it
/// was received, by the sender, with nobody acknowledged and no commander: both are a
/// person's to take.
fn open(
    ctx: &Ctx,
    repo: &Repo,
    n: &Notification,
    alert: &ReceivedAlert,
    rule: &AlertRule,
    received: DateTime<Utc>,
) -> Result<(String, Vec<Event>)> {
    let severity = repo.config.severity(&rule.severity)?;
    for s in &rule.services {
        repo.config.check_service(s)?;
    }
    let title = crate::redact::redact(&title(ctx, n, alert, rule)?);
    let started = alert.starts_at.min(received);
    let mut moments = Moments::new(received);
    moments.marks.insert(crate::events::Milestone::Started, started);
    moments.marks.insert(crate::events::Milestone::Detected, received);
    moments.check(crate::events::Milestone::Started)?;
    let runbook = match &rule.runbook {
        Some(id) => {
            let cx = crate::load::context(&repo.config);
            match crate::load::runbook_with_digest(&repo.runbooks_dir(), id, &cx) {
                Ok((_, digest)) => Some((id.clone(), Some(digest))),
                Err(_) => {
                    ctx.ui.warn(format_args!(
                        "the alert rule's runbook {id} cannot be read: opened without it"
                    ))?;
                    None
                }
            }
        }
        None => None,
    };
    let id = repo.claim_incident_dir(&title, started)?;
    let opened = Body::Opened {
        title,
        severity,
        services: rule.services.clone(),
        drill: false,
        private: false,
        maintenance: None,
    };
    let times = (received, Some(started), Some(received));
    Ok((id, crate::events::opening(opened, times, None, runbook, n.source, received)))
}

/// The incident's title: the rule's template over the alert (bounded in work and length),
/// else the alert's name. A template that fails is said, and the name used: an alert must
/// open its incident whatever the template.
fn title(ctx: &Ctx, n: &Notification, a: &ReceivedAlert, rule: &AlertRule) -> Result<String> {
    let rendered = match &rule.title {
        Some(template) => {
            let values = serde_json::json!({
                "labels": a.labels,
                "annotations": a.annotations,
                "name": a.name,
                "source": n.source,
                "fingerprint": a.fingerprint,
            });
            let limits = crate::render::Limits { fuel: 20_000, output: 4096 };
            match crate::render::render_within(
                crate::render::Escape::ByName,
                "alerts.title",
                template,
                &values,
                limits,
            ) {
                Ok(t) => Some(t),
                Err(e) => {
                    ctx.ui.warn(format_args!("the alert rule's title: {e}; the alert's name is used"))?;
                    None
                }
            }
        }
        None => None,
    };
    let title = rendered.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| a.name.clone());
    // One line, at most a title's length.
    let line = title.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(line.chars().take(crate::names::MAX_TITLE).collect())
}

//! `incident update` and `incident updates`: a customer or stakeholder update is
//! logged first, then delivered to its channel's target, each attempt logged right after it;
//! `update --retry` delivers again what was not delivered; `updates` lists them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::{UpdateArgs, UpdateStatus};
use crate::ctx::Ctx;
use crate::deliver::{self, Attempt, Envelope, Subject, Target, Unusable};
use crate::error::{DeliverError, Error, InputError, Noun, RecordError, Result, Unknown};
use crate::events::{Body, Event, MaintenanceState, Milestone, PublicStatus};
use crate::index::Summary;
use crate::prompt;
use crate::render;
use crate::repo::Repo;
use crate::starter;
use crate::state::{Incident, Kind, State, UpdateRecord};
use crate::timefmt::{self, human, human_ms};
use crate::ui;

/// Where a repository keeps its update templates.
const COMMS_DIR: &str = "templates/comms";

pub fn update(ctx: &Ctx, args: UpdateArgs) -> Result<u8> {
    if args.retry {
        return retry(ctx);
    }
    // A channel named twice is one channel: one update each, in the order first named.
    let mut channels: Vec<String> = Vec::new();
    for c in args.channel {
        if !channels.contains(&c) {
            channels.push(c);
        }
    }
    if channels.is_empty() {
        return Err(InputError::Missing {
            what: "--channel",
            example: "incident update --channel status-page \"We are investigating…\"",
        }
        .into());
    }
    let repo = ctx.repo()?;
    for c in &channels {
        repo.config.check_channel(c)?;
    }
    let eta = args
        .eta
        .as_deref()
        .map(|v| {
            timefmt::parse_eta(v, ctx.now).map_err(|reason| InputError::BadTime {
                flag: "--eta",
                value: v.to_string(),
                reason,
            })
        })
        .transpose()?;
    let id = ctx.incident_id(&repo, None)?;
    let (summary, messages, status, maintenance_status) = match &args.template {
        Some(name) => {
            let inc = ctx.load(&repo, &id)?;
            let summary = Summary::of(&inc);
            require_not_over(&summary)?;
            let (status, maintenance_status) = statuses(&summary, args.status)?;
            let status = match summary.kind {
                Kind::Incident => status.or_else(|| default_status(name)),
                Kind::Maintenance => status,
            };
            // Each channel renders its own text (a template may speak to its audience); the
            // same text is confirmed once.
            let mut confirmed: Vec<(String, String)> = Vec::new();
            let mut messages = Vec::with_capacity(channels.len());
            for channel in &channels {
                let text = from_template(&repo, &inc, name, channel, status, eta)?;
                let message = match confirmed.iter().find(|(t, _)| *t == text) {
                    Some((_, m)) => m.clone(),
                    None => {
                        let m = confirm(ctx, text.clone())?;
                        confirmed.push((text, m.clone()));
                        m
                    }
                };
                messages.push(message);
            }
            (summary, messages, status, maintenance_status)
        }
        None => {
            let (head, warnings) = crate::index::head(&repo, &id)?;
            ctx.warn(warnings)?;
            require_not_over(&head.summary)?;
            let (status, maintenance_status) = statuses(&head.summary, args.status)?;
            let message = args.message.unwrap_or_default();
            (head.summary, vec![message; channels.len()], status, maintenance_status)
        }
    };
    if messages.iter().any(|m| m.trim().is_empty()) {
        return Err(InputError::Empty { what: "update message" }.into());
    }
    // Never lose an update: every channel's is in the log, in one append, before anything is
    // tried.
    let logged = channels
        .iter()
        .zip(&messages)
        .map(|(channel, message)| {
            ctx.event(
                &repo,
                Body::Update {
                    channel: channel.clone(),
                    message: message.clone(),
                    status,
                    eta,
                    maintenance_status,
                },
            )
        })
        .collect::<Result<Vec<Event>>>()?;
    ctx.append(&repo, &id, &logged)?;
    // What is delivered is what was logged: redacted.
    let records: Vec<UpdateRecord> = logged.iter().filter_map(UpdateRecord::sent).collect();
    let said = records
        .iter()
        .map(|r| format!("update {} logged on {}", short(&r.id), r.channel))
        .collect::<Vec<_>>()
        .join(", ");
    if !ctx.global.json {
        ctx.say_appended(&id, &logged, &said)?;
    }
    let mut events = logged;
    let mut outcomes = Vec::with_capacity(records.len());
    let mut failure = None;
    for record in &records {
        match deliver_update(ctx, &repo, &summary, record, &mut events) {
            Ok(d) => outcomes.push((record, d)),
            // One channel that cannot be tried does not keep the others from theirs.
            Err(e @ Error::Deliver(DeliverError::Undeliverable { .. })) if records.len() > 1 => {
                ctx.ui.explain("", &e)?;
                outcomes.push((record, Delivered::No));
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if ctx.global.json {
        ctx.say_appended(&id, &events, &said)?;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let mut code = 0;
    for (record, delivered) in outcomes {
        let channel = &record.channel;
        match delivered {
            Delivered::NoTarget => {
                ctx.say(format!("logged, no target: channel {channel} has no `deliver:` in incident.yaml"))?;
            }
            Delivered::Yes => {}
            Delivered::No => {
                writeln!(
                    ctx.ui.status(),
                    "update {} is logged but not delivered to {channel}; `incident update --retry` tries again",
                    short(&record.id)
                )?;
                code = 1;
            }
        }
    }
    Ok(code)
}

/// A closed or canceled record takes no update (checked before any is rendered or asked for).
fn require_not_over(summary: &Summary) -> Result<()> {
    if matches!(summary.state, State::Closed | State::Canceled) {
        return Err(RecordError::NotOpen { id: summary.id.clone(), state: summary.state.name() }.into());
    }
    Ok(())
}

/// `--status` as the record it goes to reads it: an incident's public state, or a
/// maintenance's state, which the update moves it to (checked here, before anything is
/// written). The other kind's status is refused, naming the ones that would do.
fn statuses(
    summary: &Summary,
    given: Option<UpdateStatus>,
) -> Result<(Option<PublicStatus>, Option<MaintenanceState>)> {
    let Some(given) = given else { return Ok((None, None)) };
    let name =
        given.of_incident().map(PublicStatus::name).or(given.of_maintenance().map(MaintenanceState::name));
    match (&summary.maintenance, given.of_incident(), given.of_maintenance()) {
        (None, Some(s), _) => Ok((Some(s), None)),
        (Some(w), _, Some(m)) => {
            w.check_move(&summary.id, m, true)?;
            Ok((None, Some(m)))
        }
        (None, ..) => Err(RecordError::StatusOfOtherKind {
            id: summary.id.clone(),
            status: name.unwrap_or_default(),
            kind: "an incident",
            allowed: [
                PublicStatus::Investigating,
                PublicStatus::Identified,
                PublicStatus::Monitoring,
                PublicStatus::Resolved,
            ]
            .map(PublicStatus::name)
            .to_vec(),
        }
        .into()),
        (Some(_), ..) => Err(RecordError::StatusOfOtherKind {
            id: summary.id.clone(),
            status: name.unwrap_or_default(),
            kind: "a maintenance",
            allowed: [
                MaintenanceState::Scheduled,
                MaintenanceState::InProgress,
                MaintenanceState::Verifying,
                MaintenanceState::Completed,
            ]
            .map(MaintenanceState::name)
            .to_vec(),
        }
        .into()),
    }
}

/// The public status a template announces when `--status` does not say.
fn default_status(template: &str) -> Option<PublicStatus> {
    match template {
        "initial" => Some(PublicStatus::Investigating),
        "mitigated" => Some(PublicStatus::Monitoring),
        "resolved" => Some(PublicStatus::Resolved),
        _ => None,
    }
}

/// `update --retry`: every update of the incident not yet delivered, to a channel with a
/// target, is delivered again. 0 when all of them now are.
fn retry(ctx: &Ctx) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    let summary = Summary::of(&inc);
    let pending: Vec<&UpdateRecord> =
        inc.updates.iter().filter(|u| !u.delivered && target_of(&repo, &u.channel).is_some()).collect();
    let mut events = Vec::new();
    let mut failed = 0;
    for u in &pending {
        match deliver_update(ctx, &repo, &summary, u, &mut events) {
            Ok(Delivered::Yes | Delivered::NoTarget) => {}
            Ok(Delivered::No) => failed += 1,
            Err(e @ Error::Deliver(DeliverError::Undeliverable { .. })) => {
                ctx.ui.explain("", &e)?;
                failed += 1;
            }
            Err(e) => return Err(e),
        }
    }
    if ctx.global.json {
        ctx.print_json(&serde_json::json!({ "incident": inc.id, "events": events }))?;
    } else if pending.is_empty() {
        writeln!(ctx.ui.out(), "nothing to deliver: every update with a target is delivered  [{}]", inc.id)?;
    }
    if failed > 0 {
        writeln!(
            ctx.ui.status(),
            "{failed} of {} updates still not delivered; `incident update --retry` tries again",
            pending.len()
        )?;
        return Ok(1);
    }
    Ok(0)
}

enum Delivered {
    Yes,
    No,
    NoTarget,
}

/// The channel's `deliver:`, if it has one.
fn target_of<'a>(repo: &'a Repo, channel: &str) -> Option<&'a crate::config::Deliver> {
    repo.config.channels.get(channel).and_then(|c| c.deliver.as_ref())
}

/// Delivers one logged update, appending each attempt's event right after it (and pushing it
/// onto `events`). A target that cannot be tried is [`DeliverError::Undeliverable`], no attempt made.
fn deliver_update(
    ctx: &Ctx,
    repo: &Repo,
    summary: &Summary,
    u: &UpdateRecord,
    events: &mut Vec<Event>,
) -> Result<Delivered> {
    let Some(d) = target_of(repo, &u.channel) else {
        return Ok(Delivered::NoTarget);
    };
    let target = Target::of(d, |k| std::env::var(k).ok()).map_err(|why| DeliverError::Undeliverable {
        update: u.id.clone(),
        channel: u.channel.clone(),
        missing_var: match why {
            Unusable::MissingVar(v) => Some(v),
            Unusable::NoTarget => None,
        },
    })?;
    let subject = Subject {
        id: summary.id.clone(),
        title: summary.title.clone(),
        severity: summary.severity.clone(),
        services: summary.services.clone(),
    };
    let envelope = Envelope::new(&u.id, subject, &u.channel, u.status, u.eta, &u.message, u.at);
    let scale = deliver::scale(std::env::var(deliver::SCALE_ENV).ok().as_deref());
    let before = u.attempts;
    let delivered = deliver::deliver(&target, &envelope, &repo.root, scale, |n, a: &Attempt| {
        let event = attempt_event(ctx, repo, u, before + n, a)?;
        ctx.append(repo, &summary.id, std::slice::from_ref(&event))?;
        // `--retry` goes through several updates: each line says which one it is about.
        ctx.say(format!(
            "  update {} on {}, attempt {}: {}",
            short(&u.id),
            u.channel,
            before + n,
            describe(a)
        ))?;
        events.push(event);
        Ok::<(), Error>(())
    })?;
    if delivered {
        ctx.say(format!("update {} delivered to {}", short(&u.id), u.channel))?;
        Ok(Delivered::Yes)
    } else {
        Ok(Delivered::No)
    }
}

/// An attempt as an event, logged when it ended. Not backdated by `--at` (that says when the
/// update was written), and always after the update itself, so the fold meets it second.
fn attempt_event(ctx: &Ctx, repo: &Repo, u: &UpdateRecord, attempt: u32, a: &Attempt) -> Result<Event> {
    let now = Utc::now().max(u.at + chrono::Duration::milliseconds(1));
    let at_now = ctx.at_now(now);
    at_now.event(
        repo,
        Body::Delivery {
            update: u.id.clone(),
            channel: u.channel.clone(),
            attempt,
            delivered: a.delivered(),
            http_status: a.http_status,
            exit_code: a.exit_code,
            latency_ms: a.latency_ms,
            error: a.error.clone(),
        },
    )
}

fn describe(a: &Attempt) -> String {
    let how = match (a.http_status, a.exit_code, &a.error) {
        (Some(s), ..) => format!("HTTP {s}"),
        (None, _, Some(e)) => e.clone(),
        (None, Some(c), None) => format!("exit {c}"),
        (None, None, None) => "no answer".to_string(),
    };
    let done = if a.delivered() { "delivered" } else { "not delivered" };
    format!("{done} ({how}, {})", human_ms(a.latency_ms))
}

use crate::ids::short;

// ── Templates ──────────────────────────────────────────────────────────────────────────────

#[derive(Serialize)]
struct TemplateIncident {
    id: String,
    title: String,
    severity: String,
    /// Display names.
    services: Vec<String>,
    started_at: Option<String>,
    detected_at: Option<String>,
    mitigated_at: Option<String>,
    resolved_at: Option<String>,
    root_cause: Option<String>,
}

#[derive(Serialize)]
struct TemplateContext {
    incident: TemplateIncident,
    channel: String,
    audience: Option<crate::config::Audience>,
    status: Option<PublicStatus>,
    eta: Option<String>,
    /// The severity's `update_every`, for people (`30m`).
    next_update_in: Option<String>,
}

/// The update templates a repository has: its own files in templates/comms/, and the shipped
/// ones it has not replaced.
fn template_source(repo: &Repo, name: &str) -> Result<(String, String)> {
    let dir = repo.root.join(COMMS_DIR);
    let mut known: Vec<String> = starter::COMMS_TEMPLATES.iter().map(|(n, _)| n.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = file.strip_suffix(".md.j2") {
                known.push(n.to_string());
            }
        }
    }
    known.sort();
    known.dedup();
    if !known.iter().any(|k| k == name) {
        return Err(Unknown::new(Noun::Template, name, known).into());
    }
    let path = dir.join(format!("{name}.md.j2"));
    let rel = format!("{COMMS_DIR}/{name}.md.j2");
    // A linked template is refused, not followed: `is_file` alone would follow it.
    if let Some(text) = crate::fsutil::read_text(&repo.root, &path)? {
        return Ok((rel, text));
    }
    let shipped = starter::COMMS_TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| t.to_string());
    Ok((rel, shipped.unwrap_or_default()))
}

fn from_template(
    repo: &Repo,
    inc: &Incident,
    name: &str,
    channel: &str,
    status: Option<PublicStatus>,
    eta: Option<DateTime<Utc>>,
) -> Result<String> {
    let (rel, source) = template_source(repo, name)?;
    let at = |m: Milestone| inc.mark(m).map(timefmt::stored);
    let ctx = TemplateContext {
        incident: TemplateIncident {
            id: inc.id.clone(),
            title: inc.title.clone(),
            severity: inc.severity.clone(),
            services: inc.services.iter().map(|s| repo.config.service_name(s).to_string()).collect(),
            started_at: at(Milestone::Started),
            detected_at: at(Milestone::Detected),
            mitigated_at: at(Milestone::Mitigated),
            resolved_at: at(Milestone::Resolved),
            root_cause: inc.root_cause.clone(),
        },
        channel: channel.to_string(),
        audience: repo.config.channels.get(channel).map(|c| c.audience),
        status,
        eta: eta.map(timefmt::stored),
        next_update_in: repo.config.update_every(&inc.severity).map(human),
    };
    let text = render::render(&rel, &source, &ctx)?;
    Ok(text.trim().to_string())
}

/// On a terminal, shows the rendered update and asks: send it as it is (`y`), or type a
/// replacement line at the same prompt (Enter confirms it); `n` (or an empty line) asks for
/// the replacement on a line of its own. `--yes`, or no terminal, takes it as it is.
fn confirm(ctx: &Ctx, text: String) -> Result<String> {
    if ctx.global.yes || !ctx.interactive {
        return Ok(text);
    }
    writeln!(ctx.ui.status().block(), "\n{text}\n")?;
    let answer =
        prompt::line("Send this update? [y/N, or type a replacement]")?.ok_or_else(prompt::closed)?;
    match prompt::parse_yes_no(&answer) {
        Some(true) => return Ok(text),
        // What a person typed at the prompt is the message they want sent.
        None => return Ok(answer.trim().to_string()),
        Some(false) => {}
    }
    let typed =
        prompt::line("Type the update instead (an empty line cancels):")?.ok_or_else(prompt::closed)?;
    if typed.trim().is_empty() {
        return Err(InputError::Empty { what: "update message" }.into());
    }
    Ok(typed)
}

// ── Listing ────────────────────────────────────────────────────────────────────────────────

/// An `updates --json` element.
#[derive(Serialize)]
struct UpdateJson<'a> {
    id: &'a str,
    channel: &'a str,
    status: Option<&'static str>,
    message: &'a str,
    at: String,
    delivered: bool,
    attempts: u32,
}

pub fn list(ctx: &Ctx, positional: Option<&str>) -> Result<u8> {
    let (repo, inc) = ctx.target(positional)?;
    if ctx.global.json {
        let rows: Vec<UpdateJson> = inc
            .updates
            .iter()
            .map(|u| UpdateJson {
                id: &u.id,
                channel: &u.channel,
                status: u.status.map(PublicStatus::name).or(u.maintenance_status.map(MaintenanceState::name)),
                message: &u.message,
                at: timefmt::stored(u.at),
                delivered: u.delivered,
                attempts: u.attempts,
            })
            .collect();
        return ctx.print_json(&rows).map(|()| 0);
    }
    if inc.updates.is_empty() {
        writeln!(
            ctx.ui.out(),
            "no updates yet  [{}]; `incident update --channel CH MESSAGE` sends one",
            inc.id
        )?;
        return Ok(0);
    }
    let mut table = ui::table(&["Update", "At (UTC)", "Channel", "Status", "Delivery", "Message"]);
    for u in &inc.updates {
        table.add_row(vec![
            short(&u.id).to_string(),
            timefmt::table(u.at),
            u.channel.clone(),
            u.status
                .map(PublicStatus::name)
                .or(u.maintenance_status.map(MaintenanceState::name))
                .unwrap_or("—")
                .to_string(),
            delivery_state(&repo, u),
            u.message.clone(),
        ]);
    }
    writeln!(ctx.ui.out().block(), "{table}")?;
    Ok(0)
}

/// `delivered`, `no target`, or `NOT DELIVERED after 3 attempts: HTTP 500`.
fn delivery_state(repo: &Repo, u: &UpdateRecord) -> String {
    if u.delivered {
        return "delivered".to_string();
    }
    if target_of(repo, &u.channel).is_none() {
        return "no target".to_string();
    }
    match (&u.last_outcome, u.attempts) {
        (_, 0) => "NOT DELIVERED (not tried)".to_string(),
        (Some(last), n) => {
            format!("NOT DELIVERED after {n} attempt{}: {last}", if n == 1 { "" } else { "s" })
        }
        (None, n) => format!("NOT DELIVERED after {n} attempts"),
    }
}

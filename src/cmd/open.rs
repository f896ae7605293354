//! `incident open`: a new incident, its first events in one atomic append.

use chrono::{DateTime, Utc};

use crate::cli::OpenArgs;
use crate::ctx::Ctx;
use crate::error::{InputError, Noun, Result};
use crate::events::{Body, Event, Milestone};
use crate::index;
use crate::load;
use crate::names;
use crate::out::Ui;
use crate::prompt;
use crate::repo::Repo;
use crate::state::{Moments, State};
use crate::timefmt;

pub fn run(ctx: &Ctx, args: OpenArgs) -> Result<u8> {
    let repo = ctx.repo()?;
    let started = args.started_at.as_deref().map(|t| ctx.parse_time("--started-at", t)).transpose()?;
    let detected = args.detected_at.as_deref().map(|t| ctx.parse_time("--detected-at", t)).transpose()?;
    // What the times typed at the questions are checked against; the opening itself is
    // stamped when the last one is answered (an earlier moment: every check still holds).
    let asked_at = ctx.at().unwrap_or(ctx.now);

    let title = match args.title.filter(|t| !t.trim().is_empty()) {
        Some(t) => t,
        None if ctx.interactive => ask_title(ctx.ui)?,
        None => {
            return Err(InputError::Missing {
                what: "TITLE",
                example: "incident open \"checkout returns 500\" --severity SEV1",
            }
            .into());
        }
    };
    crate::names::check_title(&title)?;
    if let Some(id) = open_with_title(&repo, &title) {
        // The same title again is more often a second responder than a second incident.
        let question = format!("An open incident has this title: {id}. Open another?");
        let what = format!("opening another incident titled like open incident {id}");
        if !ctx.confirm(&question, &what)? {
            writeln!(ctx.ui.status(), "not opened; the open incident is {id} (`incident status {id}`)")?;
            return Ok(0);
        }
    }
    let severity = match args.severity {
        Some(s) => s,
        None => ask_severity(ctx, &repo)?,
    };
    // Typed in any case; logged as incident.yaml spells it.
    let severity = repo.config.severity(&severity)?;
    let by = repo.responder(ctx.global.as_name.as_deref())?;
    let started = match started {
        None if ctx.interactive => ask_started(ctx, asked_at, detected)?,
        given => given,
    };
    let services = choose_services(ctx, &repo, args.services)?;
    let runbook = choose_runbook(ctx, &repo, args.runbook, &services, &severity)?;

    // The key moments given must be in order before anything is written.
    let moments = moments(asked_at, started, detected);
    for m in moments.marks.keys() {
        moments.check(*m)?;
    }
    let commander = match args.commander {
        Some(c) => names::check("--commander", c)?,
        None if ctx.interactive => ask_commander(&by)?,
        None => by.clone(),
    };
    let now = ctx.clock_now();
    let opened_at = ctx.at().unwrap_or(now);
    // Ids are made from the title as it will be logged: redacted.
    let title = crate::redact::redact(&title);
    let impact_start = started.unwrap_or(opened_at);
    // Read before anything is written, so that nothing fails once the incident is.
    let (changes, unread) = crate::changes::candidates(&repo, &services, impact_start);
    let id = repo.claim_incident_dir(&title, impact_start)?;
    let opened = Body::Opened {
        title,
        severity,
        services,
        drill: args.drill,
        private: args.private,
        maintenance: None,
    };
    let events = crate::events::opening(
        opened,
        (opened_at, started, detected),
        Some(commander),
        runbook.clone(),
        &by,
        now,
    );
    ctx.append_opening(&repo, &id, &events)?;
    if let Some(warning) = unread {
        ctx.ui.warn(warning)?;
    }
    tell_opened(ctx, &repo, &id, &events, runbook.map(|(r, _)| r), &changes)?;
    tell_changes(ctx, &repo, &changes)
}

/// The candidate changes, after what was opened: a table, or nothing when there are none
/// (with `--json` they are in the JSON).
fn tell_changes(ctx: &Ctx, repo: &Repo, changes: &[crate::changes::Change]) -> Result<u8> {
    if ctx.global.json || changes.is_empty() {
        return Ok(0);
    }
    writeln!(
        ctx.ui.out(),
        "Changes in the {} before impact started (candidate triggers):",
        timefmt::human(repo.config.lookback_s())
    )?;
    let rows: Vec<&crate::changes::Change> = changes.iter().collect();
    writeln!(ctx.ui.out().block(), "{}", crate::changes::table(&rows))?;
    Ok(0)
}

/// The severity asked for on a terminal (from incident.yaml's list, described), or an error
/// saying it is needed.
fn ask_severity(ctx: &Ctx, repo: &Repo) -> Result<String> {
    if !ctx.interactive || repo.config.severities.is_empty() {
        return Err(InputError::Missing {
            what: "--severity",
            example: "SEV1 is the most severe, SEV4 the least",
        }
        .into());
    }
    // Typed, not moved to, as every answer is; Enter alone keeps the first, as the menu did.
    let items: Vec<(String, String)> =
        repo.config.severities.iter().map(|(k, s)| (k.clone(), s.description.clone())).collect();
    let i = prompt::pick_one("Severity", &items, 0, "--severity")?.ok_or_else(prompt::closed)?;
    items.get(i).map(|(k, _)| k.clone()).ok_or_else(prompt::closed)
}

/// Says what was opened and what to do next; with `--json`, where the new incident stands,
/// as `status --json` gives it, and what was appended.
fn tell_opened(
    ctx: &Ctx,
    repo: &Repo,
    id: &str,
    events: &[Event],
    runbook: Option<String>,
    changes: &[crate::changes::Change],
) -> Result<u8> {
    if ctx.global.json {
        let inc = ctx.load(repo, id)?;
        let mut out = serde_json::to_value(crate::report::build(repo, &inc, ctx.now))?;
        if let Some(map) = out.as_object_mut() {
            map.insert("events".into(), serde_json::to_value(events)?);
            map.insert("changes".into(), serde_json::to_value(changes)?);
        }
        ctx.print_json(&out)?;
        return Ok(0);
    }
    writeln!(ctx.ui.out(), "Opened {id}")?;
    match runbook {
        Some(r) => writeln!(ctx.ui.out(), "Runbook: {r}. Next: `incident walk` (or `incident status`).")?,
        None => writeln!(
            ctx.ui.out(),
            "No runbook attached. Next: `incident walk --runbook ID`, or log as you go with `incident log`."
        )?,
    }
    Ok(0)
}

fn moments(
    opened_at: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    detected: Option<DateTime<Utc>>,
) -> Moments {
    let mut moments = Moments::new(opened_at);
    moments.marks.extend(started.map(|t| (Milestone::Started, t)));
    moments.marks.extend(detected.map(|t| (Milestone::Detected, t)));
    moments
}

fn ask_title(ui: Ui) -> Result<String> {
    loop {
        let title = prompt::line("What is broken?")?.ok_or_else(prompt::closed)?;
        if title.trim().is_empty() {
            continue;
        }
        match crate::names::check_title(&title) {
            Ok(()) => return Ok(title),
            Err(e) => {
                ui.explain("", &e)?;
            }
        }
    }
}

/// The open incident (the newest, if several) whose title is `title` in any case and
/// spacing, compared as logged (redacted). Read from the incidents' heads, which are cached
/// and followed by every append: no log is folded to answer.
fn open_with_title(repo: &Repo, title: &str) -> Option<String> {
    let wanted = same_title(&crate::redact::redact(title));
    repo.ids().into_iter().rev().find(|id| {
        // An incident that cannot be read is not one to warn about here.
        index::head(repo, id)
            .is_ok_and(|(h, _)| h.summary.state == State::Open && same_title(&h.summary.title) == wanted)
    })
}

/// A title as compared for sameness: lowercase, its whitespace runs one space, trimmed.
fn same_title(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// When impact started, asked on a terminal when `--started-at` was not given: Enter means
/// now (the moment of opening, so no separate mark); any form `--started-at` takes, else
/// the one-line reason and the question again.
fn ask_started(
    ctx: &Ctx,
    opened_at: DateTime<Utc>,
    detected: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>> {
    let answer = prompt::parsed("When did impact start? (HH:MM, -15m, RFC 3339)", "now", |given| {
        if given.is_empty() {
            return Ok(None);
        }
        // `-15m` typed means fifteen minutes before it was typed, however long the question
        // waited.
        let at = timefmt::parse_time(given, ctx.clock_now())
            .map_err(|reason| format!("cannot use {given:?}: {reason}"))?;
        if moments(opened_at, Some(at), detected).check(Milestone::Started).is_err() {
            let noticed = detected.unwrap_or(opened_at);
            return Err(format!(
                "cannot use {given:?}: impact would start at {}, after it was detected at {}",
                timefmt::rfc3339(at),
                timefmt::rfc3339(noticed)
            ));
        }
        Ok(Some(at))
    })?;
    answer.ok_or_else(prompt::closed)
}

/// Who is commander, asked on a terminal when `--commander` was not given: Enter means the
/// responder opening the incident.
fn ask_commander(by: &str) -> Result<String> {
    let answer = prompt::parsed("Who is commander?", by, |given| {
        if given.is_empty() {
            return Ok(by.to_string());
        }
        names::check("commander", given.to_string()).map_err(|e| e.to_string())
    })?;
    answer.ok_or_else(prompt::closed)
}

fn choose_services(ctx: &Ctx, repo: &Repo, given: Vec<String>) -> Result<Vec<String>> {
    let declared = &repo.config.services;
    for s in &given {
        repo.config.check_service(s)?;
    }
    if !given.is_empty() || !ctx.interactive || declared.is_empty() {
        return Ok(given);
    }
    let items: Vec<(String, String)> = declared.iter().map(|(k, s)| (k.clone(), s.name.clone())).collect();
    let picked = prompt::pick_many("Affected services", &items, "--service")?.ok_or_else(prompt::closed)?;
    Ok(picked.into_iter().filter_map(|i| items.get(i).map(|(id, _)| id.clone())).collect())
}

fn choose_runbook(
    ctx: &Ctx,
    repo: &Repo,
    given: Option<String>,
    services: &[String],
    severity: &str,
) -> Result<Option<(String, Option<String>)>> {
    let loaded = load::runbooks(&repo.runbooks_dir(), &load::context(&repo.config));
    // With the digest of its file, so a later change to it is flagged.
    let with_digest = |id: String| {
        let digest = loaded.digest(&id).map(str::to_string);
        (id, digest)
    };
    if let Some(id) = given {
        if loaded.get(&id).is_some() {
            return Ok(Some(with_digest(id)));
        }
        return Err(loaded.unknown(&id));
    }
    let matching = loaded.matching(services, severity);
    if matching.is_empty() {
        return Ok(None);
    }
    if !ctx.interactive {
        let ids: Vec<&str> = matching.iter().map(|r| r.id.as_str()).collect();
        writeln!(
            ctx.ui.status(),
            "hint: runbooks for these services: {} (pass --runbook ID)",
            ids.join(", ")
        )?;
        return Ok(None);
    }
    // Typed, not moved to: an arrow-key menu attached its first runbook to whoever typed
    // another's id and Enter.
    let items: Vec<(String, String)> = matching.iter().map(|r| (r.id.clone(), r.title.clone())).collect();
    let picked =
        prompt::pick("Runbook", Noun::Runbook, &items, "none for now")?.ok_or_else(prompt::closed)?;
    Ok(picked.and_then(|i| matching.get(i)).map(|r| with_digest(r.id.clone())))
}

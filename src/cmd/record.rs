//! The small commands that add one fact to the log: `log`, `mark`, `severity`, `role`,
//! `action`, `retro`, `resolve`, `close`.

use chrono::NaiveDate;

use crate::cli::{ActionType, MarkKind, RetroSection, RoleKind, value_name};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::{Body, Milestone};
use crate::repo::Repo;
use crate::state::{Incident, State};
use crate::timefmt;

/// The repository, the incident's id and its current state.
pub fn target(ctx: &Ctx, positional: Option<&str>) -> Result<(Repo, Incident)> {
    let repo = ctx.repo()?;
    let id = ctx.incident_id(&repo, positional)?;
    let incident = repo.load(&id)?.incident;
    Ok((repo, incident))
}

/// Appends the events and says what was logged, with its time.
fn write(ctx: &Ctx, repo: &Repo, inc: &Incident, bodies: Vec<Body>, said: &str) -> Result<u8> {
    let events = bodies.into_iter().map(|b| ctx.event(repo, b)).collect::<Result<Vec<_>>>()?;
    repo.append(&inc.id, &events)?;
    let when = events.first().map_or(ctx.now, |e| e.when());
    println!("{}  {said}  [{}]", timefmt::rfc3339(when), inc.id);
    Ok(0)
}

fn require_open(inc: &Incident) -> Result<()> {
    match inc.state {
        State::Open => Ok(()),
        s => Err(Error::Usage(format!("incident {} is {}; nothing more can happen in it", inc.id, s.name()))),
    }
}

pub fn log(ctx: &Ctx, note: String) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    // `-` reads the note from stdin: `kubectl logs … | incident log -`.
    let note = if note == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::Usage(format!("cannot read the note from stdin: {e}")))?;
        text
    } else {
        note
    };
    if note.trim().is_empty() {
        return Err(Error::usage("the note is empty"));
    }
    write(ctx, &repo, &inc, vec![Body::Note { text: note }], "note logged")
}

pub fn mark(ctx: &Ctx, kind: MarkKind) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    let milestone = match kind {
        MarkKind::Started => Milestone::Started,
        MarkKind::Detected => Milestone::Detected,
        MarkKind::Acknowledged => Milestone::Acknowledged,
        MarkKind::Mitigated => Milestone::Mitigated,
        MarkKind::Resolved => Milestone::Resolved,
    };
    let said = format!("marked {}", milestone.name());
    write(ctx, &repo, &inc, vec![Body::Mark { milestone }], &said)
}

pub fn severity(ctx: &Ctx, sev: &str, reason: Option<String>) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    require_open(&inc)?;
    check_severity(&repo, sev)?;
    if inc.severity == sev {
        return Err(Error::Usage(format!("incident {} is already {sev}", inc.id)));
    }
    let said = format!("severity {} → {sev}", inc.severity);
    write(
        ctx,
        &repo,
        &inc,
        vec![Body::Severity { from: inc.severity.clone(), to: sev.to_string(), reason }],
        &said,
    )
}

/// Severities must be ones `incident.yaml` declares, when it declares any.
pub fn check_severity(repo: &Repo, sev: &str) -> Result<()> {
    let known = &repo.config.severities;
    if known.is_empty() || known.contains_key(sev) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "unknown severity {sev:?}; incident.yaml declares {}",
        known.keys().cloned().collect::<Vec<_>>().join(", ")
    )))
}

pub fn role(ctx: &Ctx, role: RoleKind, name: String) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    require_open(&inc)?;
    let role = value_name(role);
    let said = format!("{role}: {name}");
    write(ctx, &repo, &inc, vec![Body::Role { role, name }], &said)
}

pub fn action(ctx: &Ctx, title: String, owner: String, due: Option<String>, kind: ActionType) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    if let Some(d) = &due
        && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        return Err(Error::Usage(format!("--due: {d:?} is not a date; use YYYY-MM-DD")));
    }
    let said = format!("action item for {owner}");
    write(ctx, &repo, &inc, vec![Body::Action { title, owner, due, action_type: value_name(kind) }], &said)
}

pub fn retro(ctx: &Ctx, section: RetroSection, text: String) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    let section = value_name(section);
    let said = format!("{section} noted");
    write(ctx, &repo, &inc, vec![Body::Retro { section, text }], &said)
}

pub fn resolve(ctx: &Ctx, root_cause: Option<String>) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    require_open(&inc)?;
    write(ctx, &repo, &inc, vec![Body::Resolved { root_cause }], "resolved; next: `incident postmortem`")
}

pub fn close(ctx: &Ctx) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    let bodies = match inc.state {
        State::Closed => {
            return Err(Error::Usage(format!("incident {} is already closed", inc.id)));
        }
        State::Open => vec![Body::Resolved { root_cause: None }, Body::Closed {}],
        State::Resolved => vec![Body::Closed {}],
    };
    write(ctx, &repo, &inc, bodies, "closed")
}

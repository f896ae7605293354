//! The small commands that add one fact to the log: `log`, `mark`, `severity`, `role`,
//! `action`, `retro`, `resolve`, `close`.

use chrono::NaiveDate;

use crate::cli::{ActionType, RetroSection, RoleKind, value_name};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::{Body, Milestone};
use crate::names;
use crate::state::{Incident, State, check_milestones};

pub fn log(ctx: &Ctx, note: String) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    // `-` reads the note from stdin: `kubectl logs … | incident log -`.
    let note = if note == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(Error::io("<stdin>"))?;
        // `echo x | incident log -` means the note "x", not "x\n".
        text.trim_end_matches(['\n', '\r']).to_string()
    } else {
        note
    };
    if note.trim().is_empty() {
        return Err(Error::Empty { what: "note" });
    }
    ctx.record(&repo, &inc, vec![Body::Note { text: note }], "note logged")
}

pub fn mark(ctx: &Ctx, milestone: Milestone) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    inc.check_new_mark(milestone, ctx.at()?.unwrap_or(ctx.now))?;
    let said = format!("marked {}", milestone.name());
    ctx.record(&repo, &inc, vec![Body::Mark { milestone }], &said)
}

pub fn severity(ctx: &Ctx, sev: &str, reason: Option<String>) -> Result<u8> {
    let (repo, inc) = ctx.open_target(None)?;
    repo.config.check_severity(sev)?;
    if inc.severity == sev {
        return Err(Error::SameSeverity { id: inc.id.clone(), severity: sev.to_string() });
    }
    let said = format!("severity {} → {sev}", inc.severity);
    let body = Body::Severity { from: inc.severity.clone(), to: sev.to_string(), reason };
    ctx.record(&repo, &inc, vec![body], &said)
}

pub fn role(ctx: &Ctx, role: RoleKind, name: String) -> Result<u8> {
    let (repo, inc) = ctx.open_target(None)?;
    let name = names::check("NAME", name)?;
    let role = value_name(role);
    let said = format!("{role}: {name}");
    ctx.record(&repo, &inc, vec![Body::Role { role, name }], &said)
}

pub fn action(ctx: &Ctx, title: String, owner: String, due: Option<String>, kind: ActionType) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    let owner = names::check("--owner", owner)?;
    if let Some(d) = &due
        && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        return Err(Error::BadDate { flag: "--due", value: d.clone() });
    }
    let said = format!("action item for {owner}");
    let body = Body::Action { title, owner, due, action_type: value_name(kind) };
    ctx.record(&repo, &inc, vec![body], &said)
}

pub fn retro(ctx: &Ctx, section: RetroSection, text: String) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    let section = value_name(section);
    let said = format!("{section} noted");
    ctx.record(&repo, &inc, vec![Body::Retro { section, text }], &said)
}

pub fn resolve(ctx: &Ctx, root_cause: Option<String>) -> Result<u8> {
    let (repo, inc) = ctx.open_target(None)?;
    check_resolution(ctx, &inc)?;
    let said = "resolved; next: `incident postmortem`";
    ctx.record(&repo, &inc, vec![Body::Resolved { root_cause }], said)
}

pub fn close(ctx: &Ctx) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    let bodies = match inc.state {
        State::Closed => return Err(Error::AlreadyClosed { id: inc.id.clone() }),
        State::Open => {
            check_resolution(ctx, &inc)?;
            vec![Body::Resolved { root_cause: None }, Body::Closed {}]
        }
        State::Resolved => vec![Body::Closed {}],
    };
    ctx.record(&repo, &inc, bodies, "closed")
}

/// Resolving marks the resolved milestone (unless `mark resolved` already did): in order.
fn check_resolution(ctx: &Ctx, inc: &Incident) -> Result<()> {
    if inc.marks.contains_key(&Milestone::Resolved) {
        return Ok(());
    }
    let mut marks = inc.marks.clone();
    marks.insert(Milestone::Resolved, ctx.at()?.unwrap_or(ctx.now));
    check_milestones(&marks, inc.opened_at, Milestone::Resolved)
}

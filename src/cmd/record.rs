//! The small commands that add one fact to the log: `log`, `mark`, `severity`, `role`,
//! `retro`, `resolve`, `close` (action items are `cmd/actions.rs`'s). Each checks what it
//! must against the incident's head, never the whole log, so it costs the same on an
//! incident of 100,000 events.

use crate::cli::{RetroSection, RoleKind, value_name};
use crate::ctx::Ctx;
use crate::error::{Error, InputError, RecordError, Result};
use crate::events::{Body, Milestone};
use crate::names;
use crate::postmortem;
use crate::state::State;

pub fn log(ctx: &Ctx, note: String) -> Result<u8> {
    // `-` reads the note from stdin: `kubectl logs … | incident log -`.
    let note = if note == "-" {
        if ctx.interactive {
            // A `-` typed by accident would otherwise leave a silent, seemingly hung prompt.
            writeln!(ctx.ui.status(), "reading the note from stdin; end with Ctrl-D (Ctrl-C to cancel)")?;
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(Error::io("<stdin>"))?;
        // `echo x | incident log -` means the note "x", not "x\n".
        text.trim_end_matches(['\n', '\r']).to_string()
    } else {
        note
    };
    if note.trim().is_empty() {
        return Err(InputError::Empty { what: "note" }.into());
    }
    let (repo, head) = ctx.head_target()?;
    ctx.record(&repo, head.id(), vec![Body::Note { text: note }], "note logged")
}

pub fn mark(ctx: &Ctx, milestone: Milestone) -> Result<u8> {
    let (repo, head) = ctx.head_target()?;
    let at = ctx.at().unwrap_or(ctx.now);
    head.moments.check_new_mark(milestone, at)?;
    if milestone == Milestone::Started {
        // Rare, so the whole log is read: no fact but a note may end up before impact.
        let (_, inc) = ctx.target(None)?;
        inc.check_started_later(at, |_| false)?;
    }
    let said = format!("marked {}", milestone.name());
    ctx.record(&repo, head.id(), vec![Body::Mark { milestone }], &said)
}

pub fn severity(ctx: &Ctx, sev: &str, reason: Option<String>) -> Result<u8> {
    let (repo, head) = ctx.head_target()?;
    head.require_open()?;
    // Typed in any case; logged as incident.yaml spells it.
    let sev = repo.config.severity(sev)?;
    let sev = sev.as_str();
    let current = &head.summary.severity;
    if current == sev {
        return Err(RecordError::SameSeverity { id: head.id().to_string(), severity: sev.to_string() }.into());
    }
    let said = format!("severity {current} → {sev}");
    let body = Body::Severity { from: current.clone(), to: sev.to_string(), reason };
    ctx.record(&repo, head.id(), vec![body], &said)
}

pub fn role(ctx: &Ctx, role: RoleKind, name: String) -> Result<u8> {
    let name = names::check("NAME", name)?;
    let (repo, head) = ctx.head_target()?;
    head.require_open()?;
    let role = value_name(role);
    let said = format!("{role}: {name}");
    ctx.record(&repo, head.id(), vec![Body::Role { role, name }], &said)
}

pub fn retro(ctx: &Ctx, section: RetroSection, text: String) -> Result<u8> {
    let (repo, head) = ctx.head_target()?;
    let section = value_name(section);
    let said = format!("{section} noted");
    ctx.record(&repo, head.id(), vec![Body::Retro { section, text }], &said)
}

pub fn impact(
    ctx: &Ctx,
    share: Option<f64>,
    customers: Option<u64>,
    failed_orders: Option<u64>,
    tickets: Option<u64>,
) -> Result<u8> {
    if let Some(p) = share
        && !(0.0..=100.0).contains(&p)
    {
        return Err(InputError::BadShare { value: p }.into());
    }
    if share.is_none() && customers.is_none() && failed_orders.is_none() && tickets.is_none() {
        return Err(InputError::Missing {
            what: "--share, --customers, --failed-orders or --tickets",
            example: "incident impact --share 7 --failed-orders 1200",
        }
        .into());
    }
    let (repo, head) = ctx.head_target()?;
    let said = match share {
        Some(p) => format!("impact: {p}% of traffic failing"),
        None => "impact recorded".to_string(),
    };
    ctx.record(&repo, head.id(), vec![Body::Impact { share, customers, failed_orders, tickets }], &said)
}

/// Refuses ending a maintenance the way an incident ends: it is completed or canceled.
fn not_a_maintenance(head: &crate::head::Head) -> Result<()> {
    match &head.summary.maintenance {
        Some(w) => {
            Err(RecordError::EndsAsMaintenance { id: head.id().to_string(), state: w.state.name() }.into())
        }
        None => Ok(()),
    }
}

pub fn resolve(ctx: &Ctx, root_cause: Option<String>) -> Result<u8> {
    let (repo, head) = ctx.head_target()?;
    head.require_open()?;
    not_a_maintenance(&head)?;
    head.moments.check_resolution(ctx.at().unwrap_or(ctx.now))?;
    // On a terminal, the moment of resolving is when the root cause is freshest: ask for it.
    let root_cause = match root_cause {
        None if ctx.interactive => {
            crate::prompt::line("Root cause (Enter to add it later with `incident retro root-cause`) >")?
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        }
        given => given,
    };
    let said = "resolved; next: `incident postmortem`";
    ctx.record(&repo, head.id(), vec![Body::Resolved { root_cause }], said)
}

pub fn close(ctx: &Ctx) -> Result<u8> {
    let (repo, head) = ctx.head_target()?;
    let bodies = match head.summary.state {
        State::Closed => return Err(RecordError::AlreadyClosed { id: head.id().to_string() }.into()),
        // Canceled is an end of its own: nothing to close, no postmortem to close after.
        State::Canceled => {
            return Err(RecordError::Canceled { id: head.id().to_string(), needs: "closing" }.into());
        }
        _ if head.summary.maintenance.is_some() => return not_a_maintenance(&head).map(|()| 0),
        // Closing is for after the postmortem; ending the response is `resolve`'s.
        State::Open => return Err(RecordError::NotResolved { id: head.id().to_string() }.into()),
        State::Resolved => vec![Body::Closed {}],
    };
    // Closing ends the record: it is committed, with a committed postmortem brought up to
    // date ("Status: closed"). A commit now would bury a merge a person is finishing, so
    // that is refused before anything is written.
    repo.require_finished()?;
    ctx.record(&repo, head.id(), bodies, "closed")?;
    let inc = ctx.load(&repo, head.id())?;
    let message = format!("close: {} {}", inc.id, crate::render::oneline(&inc.title));
    let followed = postmortem::follow(&repo, &inc, ctx.global.as_name.as_deref(), Some(message))?;
    postmortem::tell(ctx, &followed)?;
    Ok(0)
}

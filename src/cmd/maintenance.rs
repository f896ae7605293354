//! `incident maintenance`: schedule a maintenance (a record of kind maintenance, kept, synced
//! and updated as an incident is), and move it: `start`, `done`, `cancel`. Updates with a
//! maintenance status (`update --status verifying`) move it too, through the same check.

use crate::cli::{MaintenanceArgs, MaintenanceCmd};
use crate::ctx::Ctx;
use crate::error::{Error, InputError, RecordError, Result};
use crate::events::{Body, Event, MaintenanceState, Planned};
use crate::index;
use crate::state::MAINTENANCE_SEVERITY;
use crate::timefmt;

pub fn run(ctx: &Ctx, args: MaintenanceArgs) -> Result<u8> {
    match args.step {
        Some(MaintenanceCmd::Start { id }) => {
            step(ctx, id.as_deref(), MaintenanceState::InProgress, "started")
        }
        Some(MaintenanceCmd::Done { id }) => {
            step(ctx, id.as_deref(), MaintenanceState::Completed, "completed")
        }
        Some(MaintenanceCmd::Cancel { id }) => {
            step(ctx, id.as_deref(), MaintenanceState::Canceled, "canceled")
        }
        None => schedule(ctx, args),
    }
}

/// A planned moment typed for `flag`.
fn planned(ctx: &Ctx, flag: &'static str, value: Option<&str>) -> Result<chrono::DateTime<chrono::Utc>> {
    let Some(value) = value else {
        return Err(InputError::Missing {
            what: flag,
            example: "incident maintenance \"Database upgrade\" --service db --from 02:00 --until 04:00",
        }
        .into());
    };
    timefmt::parse_planned(value, ctx.now)
        .map_err(|reason| InputError::BadTime { flag, value: value.to_string(), reason }.into())
}

/// Schedules one: its opening (with the window and the message) and its commander, who
/// scheduled it, in one append. Everything is checked before the folder is made.
fn schedule(ctx: &Ctx, args: MaintenanceArgs) -> Result<u8> {
    let repo = ctx.repo()?;
    let title = args.title.filter(|t| !t.trim().is_empty()).ok_or(InputError::Empty { what: "title" })?;
    crate::names::check_title(&title)?;
    for s in &args.services {
        repo.config.check_service(s)?;
    }
    let from = planned(ctx, "--from", args.from.as_deref())?;
    let until = planned(ctx, "--until", args.until.as_deref())?;
    if until <= from {
        return Err(InputError::WindowOrder { from, until }.into());
    }
    if args.message.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(InputError::Empty { what: "--message" }.into());
    }
    let by = repo.responder(ctx.global.as_name.as_deref())?;
    let now = ctx.clock_now();
    let opened_at = ctx.at().unwrap_or(now);
    // The id is made from the title as it will be logged (redacted) and the day the work is
    // planned for: that is the date people will look for it by.
    let title = crate::redact::redact(&title);
    let id = repo.claim_incident_dir(&title, from)?;
    let opened = Body::Opened {
        title,
        severity: MAINTENANCE_SEVERITY.to_string(),
        services: args.services,
        drill: false,
        private: false,
        maintenance: Some(Planned { from, until, message: args.message }),
    };
    let events = vec![
        Event::new(opened, &by, now, Some(opened_at)),
        Event::new(Body::Role { role: "commander".into(), name: by.clone() }, &by, now, Some(opened_at)),
    ];
    ctx.append(&repo, &id, &events).inspect_err(|_| {
        // Refused whole: the folder that claimed the id holds nothing.
        if let Ok(dir) = repo.incident_dir(&id) {
            let _ = std::fs::remove_dir(dir);
        }
    })?;
    let said = format!(
        "maintenance scheduled from {} until {}; next: `incident maintenance start` when the work begins",
        timefmt::rfc3339(from),
        timefmt::rfc3339(until)
    );
    ctx.say_appended(&id, &events, &said)?;
    Ok(0)
}

/// Moves a maintenance to `to`, when it may go there from where it stands.
fn step(ctx: &Ctx, positional: Option<&str>, to: MaintenanceState, verb: &str) -> Result<u8> {
    let repo = ctx.repo()?;
    let mut warnings = Vec::new();
    let id = index::resolve_maintenance(&repo, positional.or(ctx.global.incident.as_deref()), &mut warnings);
    ctx.warn(warnings)?;
    let id = id?;
    let (head, warnings) = index::head(&repo, &id)?;
    ctx.warn(warnings)?;
    let window = head
        .summary
        .maintenance
        .ok_or_else(|| -> Error { RecordError::NotAMaintenance { id: id.clone() }.into() })?;
    window.check_move(&id, to, false)?;
    ctx.record(&repo, &id, vec![Body::Maintenance { to }], &format!("maintenance {verb}"))
}

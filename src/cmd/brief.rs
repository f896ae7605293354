//! `incident brief [ID]`: the handover for an incoming commander, on one screen.

use crate::ctx::Ctx;
use crate::error::{Error, InputError, RepoError, Result};
use crate::index;
use crate::report::brief;

pub fn run(ctx: &Ctx, positional: Option<&str>) -> Result<u8> {
    let repo = ctx.repo()?;
    let id = ctx.incident_id(&repo, positional)?;
    // `--at`: the brief as it stood then, from what had happened by that moment.
    let now = ctx.at().unwrap_or(ctx.now);
    let loaded = match index::load_until(&repo, &id, ctx.at()) {
        Ok(loaded) if ctx.at().is_none_or(|at| at >= loaded.incident.opened_at) => loaded,
        // Before the opening (as logged, or as amended): said with the moment it was opened,
        // which only the whole log tells.
        Ok(_) | Err(Error::Repo(RepoError::NoOpenedEvent { .. })) if ctx.at().is_some() => {
            let opened = ctx.load(&repo, &id)?.opened_at;
            // Between an opening amended earlier and the moment it was logged there is an
            // opening but no record of it yet: that is said as the log's own error.
            if ctx.at().is_some_and(|at| at >= opened) {
                return Err(RepoError::NoOpenedEvent { path: repo.events_path(&id)?, unreadable: 0 }.into());
            }
            return Err(InputError::BadTime {
                flag: "--at",
                value: ctx.global.at.clone().unwrap_or_default(),
                reason: format!("the incident was opened later, at {}", crate::timefmt::rfc3339(opened)),
            }
            .into());
        }
        other => other?,
    };
    ctx.warn(loaded.warnings)?;
    let b = brief::build(&repo, &loaded.incident, now)?;
    if let Some(warning) = &b.changes_unread {
        ctx.ui.warn(warning)?;
    }
    if ctx.global.json {
        ctx.print_json(&b)?;
        return Ok(0);
    }
    for line in b.lines(&repo) {
        // Each line was made visible and fitted to the screen as it was built.
        writeln!(ctx.ui.out().raw(), "{line}")?;
    }
    Ok(0)
}

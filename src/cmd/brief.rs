//! `incident brief [ID]`: the handover for an incoming commander, on one screen.

use crate::ctx::Ctx;
use crate::error::{InputError, Result};
use crate::index;
use crate::report::brief;

pub fn run(ctx: &Ctx, positional: Option<&str>) -> Result<u8> {
    let repo = ctx.repo()?;
    let id = ctx.incident_id(&repo, positional)?;
    // `--at`: the brief as it stood then, from what had happened by that moment.
    let now = ctx.at().unwrap_or(ctx.now);
    if let Some(at) = ctx.at() {
        let opened = ctx.load(&repo, &id)?.opened_at;
        if at < opened {
            return Err(InputError::BadTime {
                flag: "--at",
                value: ctx.global.at.clone().unwrap_or_default(),
                reason: format!("the incident was opened later, at {}", crate::timefmt::rfc3339(opened)),
            }
            .into());
        }
    }
    let loaded = index::load_until(&repo, &id, ctx.at())?;
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

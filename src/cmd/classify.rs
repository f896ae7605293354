//! What an incident is, beside what happened in it: `visibility public|private` (who may see
//! it), `drill on|off` (a game day or a real one) and `cancel --reason` (no incident at all: a
//! false alarm or a duplicate). Each is one event, checked against the incident's head.

use crate::ctx::Ctx;
use crate::error::{InputError, RecordError, Result};
use crate::events::{Body, Visibility};
use crate::state::State;

/// Any state: a resolved or closed incident may have to leave the public history too.
pub fn visibility(ctx: &Ctx, visibility: Visibility) -> Result<u8> {
    let (repo, head) = ctx.head_target()?;
    if head.summary.visibility == visibility {
        return Err(RecordError::NoChange { id: head.id().to_string(), what: visibility.name() }.into());
    }
    let said = match visibility {
        Visibility::Private => "made private: kept off the public status page",
        Visibility::Public => {
            "made public: on the status page when its severity or an external update puts it there"
        }
    };
    ctx.record(&repo, head.id(), vec![Body::Visibility { visibility }], said)
}

/// Until the incident is closed: a game day resolved without `--drill` must still be able to
/// leave the statistics before its record is settled.
pub fn drill(ctx: &Ctx, drill: bool) -> Result<u8> {
    let (repo, head) = ctx.head_target()?;
    head.summary.state.require_unsettled(head.id())?;
    if head.summary.drill == drill {
        let what = if drill { "a drill" } else { "not a drill" };
        return Err(RecordError::NoChange { id: head.id().to_string(), what }.into());
    }
    let said = if drill {
        "marked a drill: left out of statistics and the status page"
    } else {
        "no longer a drill: counts as a real incident"
    };
    ctx.record(&repo, head.id(), vec![Body::Drill { drill }], said)
}

/// Only while open: once resolved, the incident happened, and its record is corrected
/// (`amend`, `retract`) rather than thrown away.
pub fn cancel(ctx: &Ctx, reason: String) -> Result<u8> {
    if reason.trim().is_empty() {
        return Err(InputError::Empty { what: "--reason" }.into());
    }
    let (repo, head) = ctx.head_target()?;
    match head.summary.state {
        State::Open => {}
        State::Canceled => head.require_open()?,
        state => {
            return Err(RecordError::NotCancelable { id: head.id().to_string(), state: state.name() }.into());
        }
    }
    let said = "canceled: left out of statistics and the status page; no postmortem needed";
    ctx.record(&repo, head.id(), vec![Body::Canceled { reason }], said)
}

//! `incident phase next|PHASE`: move the response to another phase.

use crate::cmd::record::target;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Body;
use crate::phase::Phase;
use crate::repo::Repo;
use crate::state::{Incident, State};
use crate::timefmt;

pub fn run(ctx: &Ctx, to: &str) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    let now = inc.phase();
    let next = if to == "next" {
        now.next().ok_or_else(|| {
            Error::usage("validate is the last phase; when the service is healthy: `incident resolve`")
        })?
    } else {
        Phase::parse(to).ok_or_else(|| {
            Error::Usage(format!(
                "unknown phase {to:?}; use next, {}",
                Phase::ALL.map(Phase::name).join(", ")
            ))
        })?
    };
    enter(ctx, &repo, &inc, next)
}

pub fn enter(ctx: &Ctx, repo: &Repo, inc: &Incident, phase: Phase) -> Result<u8> {
    if inc.state != State::Open {
        return Err(Error::Usage(format!("incident {} is {}", inc.id, inc.state.name())));
    }
    if inc.phase() == phase {
        return Err(Error::Usage(format!("incident {} is already in phase {phase}", inc.id)));
    }
    let event = ctx.event(repo, Body::Phase { phase })?;
    let when = event.when();
    repo.append(&inc.id, &[event])?;
    println!(
        "{}  phase {phase} started (budget {})",
        timefmt::rfc3339(when),
        timefmt::human(repo.config.budget(phase, &inc.severity, None))
    );
    Ok(0)
}

//! `incident phase next|PHASE`: move the response to another phase.

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::phase::Phase;
use crate::respond;

pub fn run(ctx: &Ctx, to: &str) -> Result<u8> {
    let (repo, inc) = ctx.open_target(None)?;
    let next = if to == "next" {
        inc.phase().next().ok_or(Error::LastPhase)?
    } else {
        Phase::parse(to).ok_or_else(|| Error::UnknownPhase { given: to.to_string() })?
    };
    respond::enter_phase(ctx, &repo, &inc, next)
}

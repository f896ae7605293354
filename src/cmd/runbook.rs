//! `incident runbook attach ID`: another runbook mid-incident. The walk follows the latest
//! runbook from the current phase; every runbook attached keeps its results in `status` and
//! the postmortem.

use crate::ctx::Ctx;
use crate::error::Result;
use crate::respond;

pub fn attach(ctx: &Ctx, id: &str) -> Result<u8> {
    let (repo, inc) = ctx.open_target(None)?;
    respond::attach_runbook(ctx, &repo, &inc, id)
}

//! `incident phase next|PHASE`: move the response to another phase.

use crate::ctx::Ctx;
use crate::error::{Noun, RecordError, Result, Unknown};
use crate::phase::Phase;
use crate::respond;

pub fn run(ctx: &Ctx, to: &str) -> Result<u8> {
    let (repo, inc) = ctx.open_target(None)?;
    let next = if to == "next" {
        inc.phase().next().ok_or(RecordError::LastPhase)?
    } else {
        Phase::parse(to).ok_or_else(|| {
            let phases =
                std::iter::once("next").chain(Phase::ALL.map(Phase::name)).map(String::from).collect();
            Unknown::new(Noun::Phase, to, phases)
        })?
    };
    respond::enter_phase(ctx, &repo, &inc, next)
}

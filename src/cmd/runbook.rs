//! `incident runbook attach ID`: another runbook mid-incident. The walk follows the latest
//! runbook from the current phase; every runbook attached keeps its results in `status` and
//! the postmortem. `incident runbook graph ID`: the runbook as a picture.

use serde::Serialize;

use crate::ctx::Ctx;
use crate::error::Result;
use crate::graph::{Format, Graph};
use crate::load;
use crate::respond;

pub fn attach(ctx: &Ctx, id: &str) -> Result<u8> {
    let (repo, inc) = ctx.open_target(None)?;
    respond::attach_runbook(ctx, &repo, &inc, id)
}

/// `--json`'s answer: the picture's text whole, for a script to write where it wants.
#[derive(Serialize)]
struct Drawn<'a> {
    runbook: &'a str,
    format: Format,
    graph: String,
}

pub fn graph(ctx: &Ctx, id: &str, format: Format) -> Result<u8> {
    let repo = ctx.repo()?;
    let rb = load::runbook(&repo.runbooks_dir(), id, &load::context(&repo.config))?;
    let graph = Graph::of(&rb).render(format);
    if ctx.global.json {
        ctx.print_json(&Drawn { runbook: &rb.id, format, graph })?;
    } else {
        write!(ctx.ui.out().block(), "{graph}")?;
    }
    Ok(0)
}

//! `incident postmortem`: renders SPEC §5's postmortem from the log and commits it.

use std::path::PathBuf;

use crate::ctx::Ctx;
use crate::error::Result;
use crate::postmortem::{commit, write};
use crate::render;

pub fn run(
    ctx: &Ctx,
    positional: Option<&str>,
    no_commit: bool,
    template: Option<PathBuf>,
    output: Option<PathBuf>,
) -> Result<u8> {
    let (repo, inc) = ctx.target(positional)?;
    let to_file = output.is_some();
    let path = write(&repo, &inc, template, output)?;
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let oid = if no_commit || to_file { None } else { commit(&repo, &inc, ctx.global.as_name.as_deref())? };
    if ctx.global.json {
        let commit = oid.map(|o| o.to_string());
        ctx.print_json(&serde_json::json!({ "incident": inc.id, "path": path, "commit": commit }))?;
        return Ok(0);
    }
    if !(no_commit || to_file) {
        match oid {
            Some(oid) => eprintln!(
                "committed {} postmortem: {} {}",
                &oid.to_string()[..12],
                inc.id,
                render::oneline(&inc.title)
            ),
            None => eprintln!("postmortem unchanged since the last commit; nothing to commit"),
        }
    }
    println!("{}", path.display());
    Ok(0)
}

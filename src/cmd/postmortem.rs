//! `incident postmortem`: renders the postmortem from the log and commits it.

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
    if inc.state == crate::state::State::Canceled {
        return Err(crate::error::RecordError::Canceled { id: inc.id, needs: "postmortem" }.into());
    }
    let to_file = output.is_some();
    if !to_file {
        // Mid-merge the file in place may hold conflict markers, which a render would keep
        // as a hand edit and a commit would bury the merge under.
        repo.require_finished()?;
    }
    let (path, appended) = write(&repo, &inc, template, output)?;
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    for a in &appended {
        ctx.ui.warn(crate::postmortem::appended_warning(&path, a))?;
    }
    // A draft (the incident still open) is written for reading, never committed.
    let draft = inc.state == crate::state::State::Open;
    let no_commit = no_commit || draft;
    let oid = if no_commit || to_file { None } else { commit(&repo, &inc, ctx.global.as_name.as_deref())? };
    if ctx.global.json {
        let commit = oid.map(|o| o.to_string());
        ctx.print_json(
            &serde_json::json!({ "incident": inc.id, "path": path, "commit": commit, "draft": draft }),
        )?;
        return Ok(0);
    }
    if draft {
        writeln!(
            ctx.ui.status(),
            "draft: incident {} is still open, so nothing is committed (`incident resolve` first)",
            inc.id
        )?;
    } else if !(no_commit || to_file) {
        match oid {
            Some(oid) => writeln!(
                ctx.ui.status(),
                "committed {} postmortem: {} {}",
                crate::ui::cut(&oid.to_string(), 12),
                inc.id,
                render::oneline(&inc.title)
            )?,
            None => {
                writeln!(ctx.ui.status(), "postmortem unchanged since the last commit; nothing to commit")?
            }
        }
    }
    // A path for scripts, as it is.
    writeln!(ctx.ui.out().raw(), "{}", path.display())?;
    Ok(0)
}

//! `incident init [PATH]`: a new incident repository, committed. Safe to run again: it adds
//! only missing files, and commits what is not committed yet. The commit's author is the
//! responder every other command would log (`--as`, git's name, `$USER`), and it says which.

use std::path::PathBuf;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::load;
use crate::starter;

pub fn run(ctx: &Ctx, path: Option<PathBuf>) -> Result<u8> {
    let root = match path {
        Some(p) => p,
        None => std::env::current_dir().map_err(Error::io("."))?,
    };
    let written = starter::install(&root)?;
    let repo = load::repo(root.clone())?;
    let root_shown = std::fs::canonicalize(&root).unwrap_or(root);
    // Every starter file that is present, so a second `init` commits what a first one could not.
    let present: Vec<PathBuf> = starter::files()
        .into_iter()
        .map(|(rel, _)| PathBuf::from(rel))
        .filter(|rel| repo.root.join(rel).exists())
        .collect();
    let message = "incident: initialize repository";
    let (author, source) = repo.committer(ctx.global.as_name.as_deref())?;
    let commit = repo.commit_if_changed(&present, message, ctx.global.as_name.as_deref())?;
    if ctx.global.json {
        let commit = commit.map(|o| o.to_string());
        ctx.print_json(&serde_json::json!({
            "root": root_shown, "created": written, "commit": commit, "author": author,
        }))?;
        return Ok(0);
    }
    if written.is_empty() {
        writeln!(ctx.ui.out(), "{} is already an incident repository; nothing to add", root_shown.display())?;
    } else {
        for p in &written {
            writeln!(ctx.ui.out(), "created {}", p.display())?;
        }
    }
    match commit {
        Some(oid) => writeln!(
            ctx.ui.out(),
            "committed {}: {message} (as {author}, from {source})",
            crate::ui::cut(&oid.to_string(), 12)
        )?,
        None if written.is_empty() => {}
        None => writeln!(ctx.ui.out(), "nothing new to commit")?,
    }
    writeln!(
        ctx.ui.out(),
        "Next: cd {} && incident open \"what is broken\" --severity SEV2 --service web",
        root_shown.display()
    )?;
    Ok(0)
}

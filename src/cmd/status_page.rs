//! `incident status-page`: writes the public status page as static files.

use std::path::PathBuf;

use serde::Serialize;

use crate::ctx::Ctx;
use crate::error::Result;
use crate::statuspage;

#[derive(Serialize)]
struct Written<'a> {
    output: PathBuf,
    files: Vec<PathBuf>,
    indicator: &'a str,
    description: &'a str,
    updated_at: Option<&'a str>,
    open_incidents: usize,
    past_incidents: usize,
}

pub fn run(ctx: &Ctx, output: Option<PathBuf>, days: u32, allow_unreadable: bool) -> Result<u8> {
    let repo = ctx.repo()?;
    let dir = output.unwrap_or_else(|| repo.status_page_dir());
    let mut warnings = Vec::new();
    let page = statuspage::build(&repo, days, allow_unreadable, &mut warnings)?;
    ctx.warn(warnings)?;
    let written = statuspage::publish(&repo, &dir, &page)?;
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    if ctx.global.json {
        let files = written.names.iter().map(PathBuf::from).collect();
        return ctx
            .print_json(&Written {
                output: dir,
                files,
                indicator: page.indicator,
                description: page.description,
                updated_at: page.updated.as_ref().map(|s| s.iso.as_str()),
                open_incidents: page.open.len(),
                past_incidents: page.past.len(),
            })
            .map(|()| 0);
    }
    writeln!(
        ctx.ui.status(),
        "{} — {} open, {} past incident(s) over {days} days; {} files",
        page.description,
        page.open.len(),
        page.past.len(),
        written.files.len()
    )?;
    writeln!(ctx.ui.out().raw(), "{}", dir.join("index.html").display())?;
    Ok(0)
}

//! `incident lint` and `incident schema`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::lint::format::{self, Format};
use crate::lint::{self, Context, Declared};
use crate::phase::Phase;
use crate::repo::{self, CONFIG_FILE};

pub fn run(ctx: &Ctx, paths: &[PathBuf], fmt: Format, explain: Option<&str>) -> Result<u8> {
    if let Some(rule) = explain {
        let text = format::explain(Some(rule).filter(|r| !r.is_empty())).map_err(Error::Usage)?;
        print!("{text}");
        return Ok(0);
    }
    let root = repo_root(ctx, paths);
    let targets: Vec<PathBuf> = if paths.is_empty() {
        let Some(root) = &root else {
            return Err(Error::usage(
                "nothing to lint: pass files or folders, or run inside an incident repository",
            ));
        };
        [CONFIG_FILE, "runbooks", "templates"].iter().map(|p| root.join(p)).filter(|p| p.exists()).collect()
    } else {
        paths.to_vec()
    };
    let files = lint::collect(&targets).map_err(|e| Error::Usage(format!("cannot lint {e}")))?;
    let cx = context(root.as_deref());
    let findings = lint::lint(&files, &cx);
    let color =
        fmt == Format::Human && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print!("{}", format::render(fmt, &findings, files.len(), color));
    Ok(u8::from(!findings.is_empty()))
}

/// `--repo`, else the nearest incident repository above the first path (or the current
/// directory); `None` outside one, and the checks against incident.yaml are skipped.
fn repo_root(ctx: &Ctx, paths: &[PathBuf]) -> Option<PathBuf> {
    if let Some(r) = &ctx.global.repo {
        return repo::discover(Some(r)).ok();
    }
    let start = match paths.first() {
        Some(p) => std::fs::canonicalize(p).ok()?,
        None => std::env::current_dir().ok()?,
    };
    start.ancestors().find(|d| d.join(CONFIG_FILE).is_file()).map(Path::to_path_buf)
}

fn context(root: Option<&Path>) -> Context {
    let Some(config) = root.and_then(|r| Config::load(&r.join(CONFIG_FILE)).ok()) else {
        return Context::default();
    };
    let severities = config
        .severities
        .keys()
        .map(|sev| (sev.clone(), Phase::ALL.iter().map(|p| config.budget(*p, sev, None)).sum()))
        .collect();
    Context {
        declared: Some(Declared { services: config.services.keys().cloned().collect(), severities }),
        disabled: config.lint.disable.iter().cloned().collect(),
    }
}

pub fn schema() -> Result<u8> {
    print!("{}", crate::starter::schema_text());
    Ok(0)
}

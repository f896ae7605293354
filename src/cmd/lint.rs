//! `incident lint` and `incident schema`.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::config;
use crate::ctx::Ctx;
use crate::error::{FileError, Result, SystemError};
use crate::lint::format::{self, Format};
use crate::lint::shellcheck::{self, Level, Mode};
use crate::lint::{self, Context};
use crate::load;
use crate::repo;

pub fn run(
    ctx: &Ctx,
    paths: &[PathBuf],
    fmt: Format,
    explain: Option<&str>,
    check_programs: bool,
    (mode, level): (Mode, Level),
) -> Result<u8> {
    // The global `--json` asks for machine output, as on every command.
    let fmt = if ctx.global.json && fmt == Format::Human { Format::Json } else { fmt };
    if let Some(rule) = explain {
        let text = format::explain(Some(rule).filter(|r| !r.is_empty()))?;
        write!(ctx.ui.out().raw(), "{text}")?;
        return Ok(0);
    }
    // Before any file is read: `--shellcheck require` without it is a lint that cannot run.
    let shell = shellcheck::Settings::new(mode, level)?;
    let cwd_root = if paths.is_empty() { repo_root(ctx, None) } else { None };
    let targets: Vec<PathBuf> = if paths.is_empty() {
        let Some(root) = &cwd_root else {
            return Err(FileError::NothingToLint.into());
        };
        [config::FILE, "runbooks", "templates"].iter().map(|p| root.join(p)).filter(|p| p.exists()).collect()
    } else {
        paths.to_vec()
    };
    let files = lint::collect(&targets)?;
    // Each file is checked against the incident.yaml of the repository it belongs to (or none),
    // and duplicate runbook ids are looked for within one repository.
    let mut groups: BTreeMap<Option<PathBuf>, Vec<PathBuf>> = BTreeMap::new();
    let mut roots: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    for file in &files {
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = roots.entry(dir).or_insert_with_key(|dir| repo_root(ctx, Some(dir))).clone();
        groups.entry(root).or_default().push(file.clone());
    }
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    for (root, files) in &groups {
        let cx = Context {
            check_programs,
            root: root.clone(),
            shellcheck: shell.clone(),
            ..context(root.as_deref())
        };
        let linted = lint::lint(files, &cx);
        findings.extend(linted.findings);
        notes.extend(linted.notes);
    }
    findings.sort();
    notes.sort();
    notes.dedup();
    for note in &notes {
        writeln!(ctx.ui.status(), "note: {}", note.message)?;
    }
    let color =
        fmt == Format::Human && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Made visible where it is built: the colour codes are ours, JSON and SARIF are for programs.
    write!(ctx.ui.out().raw(), "{}", format::render(fmt, &findings, files.len(), color, &notes))?;
    if let Some(note) = notes.iter().find(|n| n.fatal) {
        return Err(SystemError::ShellcheckFailed { message: note.message.clone() }.into());
    }
    Ok(u8::from(!findings.is_empty()))
}

/// `--repo` (or `$INCIDENT_REPO`), else the nearest incident repository above `dir` (or the
/// current directory); `None` outside one, and the checks against incident.yaml are skipped.
fn repo_root(ctx: &Ctx, dir: Option<&Path>) -> Option<PathBuf> {
    if let Some(r) = &ctx.global.repo {
        return repo::discover(Some(r)).ok();
    }
    let start = match dir {
        Some(d) if d.as_os_str().is_empty() => std::env::current_dir().ok()?,
        Some(d) => std::fs::canonicalize(d).ok()?,
        None => std::env::current_dir().ok()?,
    };
    repo::nearest(&start)
}

/// The repository's declarations; none outside a repository, or when its incident.yaml has
/// errors (lint reports those itself).
fn context(root: Option<&Path>) -> Context {
    root.and_then(|r| load::config(r).ok()).map_or_else(Context::default, |c| load::context(&c))
}

pub fn schema(ctx: &Ctx) -> Result<u8> {
    write!(ctx.ui.out().raw(), "{}", crate::starter::schema_text())?;
    Ok(0)
}

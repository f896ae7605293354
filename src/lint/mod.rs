//! `incident lint`: checks runbooks, `incident.yaml` and templates. Files are read and
//! checked in parallel (one worker per core); rules that look across files (duplicate
//! runbook ids) run once at the end. Every finding carries file, line and column.

pub mod commands;
pub mod doc;
pub mod format;
pub mod programs;
pub mod rules;
pub mod shellcheck;
pub mod suppress;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

pub use doc::{Doc, Kind};
pub use rules::{Input, Meta};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// What the repository's `incident.yaml` declares, for the checks that need it. Outside an
/// incident repository there is none, and those checks are skipped.
#[derive(Debug, Default, Clone)]
pub struct Declared {
    pub services: Vec<String>,
    /// Severity → the sum of its phase budgets, in seconds.
    pub severities: BTreeMap<String, i64>,
}

#[derive(Debug, Default)]
pub struct Context {
    pub declared: Option<Declared>,
    /// Rules switched off for the whole repository (`lint.disable` in incident.yaml).
    pub disabled: HashSet<String>,
    /// Whether ShellCheck runs on the commands (off unless `lint` asks).
    pub shellcheck: shellcheck::Settings,
    /// `--check-programs`: look for the programs commands call on this machine.
    pub check_programs: bool,
    /// The repository the files belong to, where the runner starts commands (`None` outside
    /// one): what a relative program path such as `./scripts/x.sh` is found from.
    pub root: Option<PathBuf>,
    /// What `--check-programs` found installed, looked up once per name.
    pub programs: programs::Lookup,
}

impl Context {
    /// What a repository's `incident.yaml` declares and switches off.
    pub fn from_config(config: &crate::config::Config) -> Context {
        let severities = config
            .severities
            .keys()
            .map(|sev| (sev.clone(), crate::metrics::total_budget(config, sev)))
            .collect();
        Context {
            declared: Some(Declared { services: config.services.keys().cloned().collect(), severities }),
            disabled: config.lint.disable.iter().cloned().collect(),
            ..Context::default()
        }
    }
}

/// A rule's check: one concern. What the rule is called, how severe it is and how it is
/// explained is data, in [`rules::RULES`]. `check` sees one file (with what several rules
/// need of it, worked out once); `check_all` sees every runbook at once, for concerns that
/// span files.
pub trait Rule: Sync {
    fn check(&self, _input: &Input<'_>, _cx: &Context, _out: &mut Emit<'_>) {}
    fn check_all(&self, _rule: &Meta, _runbooks: &[doc::Summary], _out: &mut Vec<Finding>) {}
}

/// Collects one rule's findings for one file.
pub struct Emit<'a> {
    pub rule: &'a Meta,
    pub doc: &'a Doc,
    pub out: &'a mut Vec<Finding>,
}

impl Emit<'_> {
    pub fn at(&mut self, pos: crate::yaml::Pos, message: impl Into<String>) {
        self.out.push(finding(self.rule, self.doc, pos, message.into()));
    }
}

pub fn finding(rule: &Meta, doc: &Doc, pos: crate::yaml::Pos, message: String) -> Finding {
    Finding {
        file: doc.display.clone(),
        line: pos.line.max(1),
        column: pos.col.max(1),
        rule: rule.id,
        severity: rule.severity,
        message,
    }
}

pub fn find_rule(id: &str) -> Option<&'static Meta> {
    rules::RULES.iter().find(|r| r.id == id)
}

/// The files under `paths` that lint reads: YAML and Jinja templates; folders recursively.
pub fn collect(paths: &[PathBuf]) -> crate::error::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        let missing = |source| crate::error::FileError::NoSuchPath { path: p.clone(), source };
        // A linked folder (`runbooks -> /elsewhere`) is not walked: listed, `Doc::load` reports
        // it, and nothing of its target is read or quoted.
        if std::fs::symlink_metadata(p).map_err(missing)?.file_type().is_symlink() {
            files.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p).map_err(missing)?;
        if meta.is_dir() {
            walk(p, &mut files).map_err(missing)?;
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "incidents" {
            continue;
        }
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else if (ty.is_file() && Kind::of(&path).is_some())
            || (ty.is_symlink() && (Kind::of(&path).is_some() || path.is_dir()))
        {
            // A linked runbook, template or folder of them is listed, not followed, so
            // `Doc::load` reports it rather than lint passing what `open` would refuse.
            out.push(path);
        }
    }
    Ok(())
}

/// What a lint found: every finding, sorted and de-duplicated, and what the user must be told
/// besides (ShellCheck not installed, or failing).
#[derive(Debug, Default)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub notes: Vec<shellcheck::Note>,
}

/// Lints `files`.
pub fn lint(files: &[PathBuf], cx: &Context) -> Linted {
    let active = active(cx);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let mut per_worker: Vec<(Vec<doc::Summary>, Vec<Finding>, Vec<Doc>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut docs = Vec::new();
                    let mut found = Vec::new();
                    let mut shell = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let doc = Doc::load(path);
                        check_doc(&doc, cx, &active, &mut found);
                        if doc.kind == Kind::Runbook {
                            docs.push(doc.summary());
                        }
                        if shellcheck::wants(&doc, cx) {
                            shell.push(doc);
                        }
                    }
                    (docs, found, shell)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    let mut docs: Vec<doc::Summary> = Vec::new();
    let mut found: Vec<Finding> = Vec::new();
    let mut shell: Vec<Doc> = Vec::new();
    for (d, f, s) in per_worker.drain(..) {
        docs.extend(d);
        found.extend(f);
        shell.extend(s);
    }
    docs.sort_by(|a, b| a.display.cmp(&b.display));
    found.extend(across(&docs, &active));
    let mut notes = Vec::new();
    shellcheck::check(&shell, cx, &mut found, &mut notes);
    found.sort();
    found.dedup();
    Linted { findings: found, notes }
}

/// The findings of the `active` rules that look across files, on runbooks sorted by display name.
fn across(docs: &[doc::Summary], active: &[&'static Meta]) -> Vec<Finding> {
    let mut found = Vec::new();
    for rule in active {
        let mut cross = Vec::new();
        rule.rule.check_all(rule, docs, &mut cross);
        found.extend(cross.into_iter().filter(|f| !suppressed(docs, f)));
    }
    found
}

/// The active rules whose findings are errors: what stops a file from being loaded.
fn errors_only(cx: &Context) -> Vec<&'static Meta> {
    active(cx).into_iter().filter(|r| r.severity == Severity::Error).collect()
}

/// What loading a file needs of the linter (see `load`): its tree, and the errors lint finds
/// in it, sorted. Warnings are not looked for: they never stop a file from being used.
pub fn read_checked(path: &Path, text: String, cx: &Context) -> (Doc, Vec<Finding>) {
    let doc = Doc::from_text(path, text);
    let mut found = Vec::new();
    check_doc(&doc, cx, &errors_only(cx), &mut found);
    found.sort();
    found.dedup();
    (doc, found)
}

/// The errors of the rules that look across files, for `load` (see [`read_checked`]).
pub fn read_checked_across(mut docs: Vec<doc::Summary>, cx: &Context) -> Vec<Finding> {
    docs.sort_by(|a, b| a.display.cmp(&b.display));
    across(&docs, &errors_only(cx))
}

/// Lints `text` as if it were the file `name` (whose name gives its kind: `incident.yaml`,
/// a runbook, a template): the per-file rules of [`lint`], without reading the disk.
pub fn lint_text(name: &str, text: &str, cx: &Context) -> Vec<Finding> {
    let doc = Doc::from_text(Path::new(name), text.to_string());
    let mut found = Vec::new();
    check_doc(&doc, cx, &active(cx), &mut found);
    found.sort();
    found.dedup();
    found
}

fn suppressed(docs: &[doc::Summary], f: &Finding) -> bool {
    docs.iter().find(|d| d.display == f.file).is_some_and(|d| d.suppress.covers(f.rule, f.line))
}

/// The rules not switched off, looked up once per lint rather than once per file.
fn active(cx: &Context) -> Vec<&'static Meta> {
    rules::RULES.iter().filter(|r| !cx.disabled.contains(r.id)).collect()
}

fn check_doc(doc: &Doc, cx: &Context, active: &[&'static Meta], found: &mut Vec<Finding>) {
    let input = Input::new(doc);
    let mut mine = Vec::new();
    for rule in active {
        let mut emit = Emit { rule, doc, out: &mut mine };
        rule.rule.check(&input, cx, &mut emit);
    }
    found.extend(mine.into_iter().filter(|f| !doc.suppress.covers(f.rule, f.line)));
}

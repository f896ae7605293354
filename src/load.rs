//! Reading the files people write (`incident.yaml`, `runbooks/*.yaml`) for the commands that
//! use them. A file is accepted exactly when `lint` finds no error in it: the same parser,
//! the same shape, the same rules (and the same suppressions). The first error becomes the
//! load error, with lint's file:line:column and rule. An accepted tree is then turned into a
//! `serde_yaml::Value` by its shape ([`model::to_value`]) and deserialized by serde_yaml.
//!
//! A broken configuration never stops the response: when the working copy of `incident.yaml`
//! or of a runbook has a lint error, its newest committed version that passes lint is used
//! instead (found by `repo::newest_committed`, only then: a file that passes costs nothing
//! more), and a [`Fallback`] says so once. With no such version, the error stands.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::de::DeserializeOwned;

use crate::config::{self, Config};
use crate::error::{Error, FileError, RepoError, Result, RunbookError};
use crate::lint::{self, Context, Doc, Finding};
use crate::model::{self, Shape};
use crate::repo::Repo;
use crate::runbook::{self, Loaded, Runbook};
use crate::state::Incident;

/// The repository at `root`, with its configuration. Its `redact:` patterns are installed
/// for every later redaction in this process (`redact::configure`; why process-wide is said
/// there), before any command can write.
///
/// When `incident.yaml` fails lint, the configuration is its last committed version that
/// passes (`last_good_config`), and redaction never loses a pattern by it: the fallback's
/// patterns apply, and so does every `pattern:` the broken file still shows that compiles
/// (`salvaged_patterns`), since a teammate's new pattern must not wait for the fix.
pub fn repo(root: PathBuf) -> Result<Repo> {
    let (config, salvaged) = match config(&root) {
        Ok(config) => (config, Vec::new()),
        Err(error @ Error::File(FileError::BadFile { .. })) => {
            let Some((config, fallback)) = last_good_config(&root, &error) else {
                return Err(error);
            };
            remember(fallback);
            let text = crate::fsutil::read_in(&root, &root.join(config::FILE)).unwrap_or_default();
            (config, salvaged_patterns(&text))
        }
        Err(error) => return Err(error),
    };
    let mut patterns = redact_patterns(&root, &config)?;
    patterns.extend(salvaged);
    crate::redact::configure(patterns);
    Ok(Repo { config, root })
}

/// A file read as an earlier commit had it, because its working copy fails lint: what the
/// responder is told, once per command, in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    /// The file, as lint names it (`incident.yaml`, `runbooks/db.yaml`).
    pub file: String,
    /// The working copy's first error, as lint reports it (file:line:column, message, rule).
    pub error: String,
    /// The commit whose version is used, abbreviated, and when it was made.
    pub commit: String,
    pub time: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}; using {} as of commit {} ({}), the last that passes lint, until it is fixed",
            self.error,
            self.file,
            self.commit,
            crate::timefmt::date(self.time)
        )
    }
}

/// What this process fell back to: each fallback with whether it was told yet, and the
/// runbook versions chosen (by file and the digest of its working copy), so a command that
/// reads its runbooks again (a walk does, step after step) walks history once.
#[derive(Default)]
struct Chosen {
    told: Vec<(Fallback, bool)>,
    runbooks: HashMap<(PathBuf, String), Option<(String, Fallback)>>,
}

/// Process-wide, as the redaction patterns are: one command reads one repository, and its
/// loads happen in many places that should not each carry the news back to the terminal.
static CHOSEN: Mutex<Option<Chosen>> = Mutex::new(None);

fn chosen<T>(f: impl FnOnce(&mut Chosen) -> T) -> T {
    let mut guard = CHOSEN.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(Chosen::default))
}

fn remember(fallback: Fallback) {
    chosen(|c| {
        if !c.told.iter().any(|(f, _)| *f == fallback) {
            c.told.push((fallback, false));
        }
    });
}

/// The fallbacks this process made and has not told yet (`ctx` prints each as a warning).
pub fn untold_fallbacks() -> Vec<Fallback> {
    chosen(|c| {
        c.told
            .iter_mut()
            .filter(|(_, told)| !*told)
            .map(|(f, told)| {
                *told = true;
                f.clone()
            })
            .collect()
    })
}

/// The newest committed `incident.yaml` that passes lint, with what to tell: `error` is the
/// working copy's. `None` when history has none (a repository never committed).
fn last_good_config(root: &Path, error: &Error) -> Option<(Config, Fallback)> {
    let path = root.join(config::FILE);
    let mut good = None;
    let version = crate::repo::newest_committed(root, Path::new(config::FILE), |bytes| {
        let Ok(text) = String::from_utf8(bytes.to_vec()) else { return false };
        good = from_text::<Config>(&path, text, &config::CONFIG, &Context::default()).ok();
        good.is_some()
    })?;
    let fallback = Fallback {
        file: config::FILE.to_string(),
        error: error.with_hints(),
        commit: version.commit,
        time: version.time,
    };
    Some((good?, fallback))
}

/// Every `pattern:` line of a file that fails lint whose value still reads and compiles. A
/// syntax error elsewhere, a misspelt `redact:` or a neighbour's error must not keep a secret
/// pattern from applying: masking more is safe, masking less is not. A pattern that does not
/// compile cannot apply at all (lint names it).
fn salvaged_patterns(text: &str) -> Vec<regex::Regex> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().trim_start_matches('-').trim_start().strip_prefix("pattern:")?;
            let (node, _) = crate::yaml::parse(&format!("p:{rest}"));
            let pattern = node?.get("p")?.as_str()?.to_string();
            crate::redact::compile(&pattern).ok()
        })
        .collect()
}

/// The compiled `redact:` patterns of a loaded configuration. Lint's `bad-redact-pattern`
/// has refused a bad one already, unless that rule was switched off: then the same finding,
/// file:line:column, is the error here, since redaction cannot be skipped.
fn redact_patterns(root: &Path, config: &Config) -> Result<Vec<regex::Regex>> {
    let mut compiled = Vec::with_capacity(config.redact.len());
    for p in &config.redact {
        match crate::redact::compile(&p.pattern) {
            Ok(re) => compiled.push(re),
            Err(why) => {
                let path = root.join(config::FILE);
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let doc = Doc::from_text(&path, text);
                let found = lint::rules::redact_pattern_problems(&doc);
                let (pos, message) = found.into_iter().next().unwrap_or_else(|| {
                    (
                        crate::yaml::Pos { line: 1, col: 1 },
                        format!("redact: `{}` cannot be used: {why}", p.pattern),
                    )
                });
                return Err(bad_file(&path, pos.line, pos.col, "bad-redact-pattern", message, 0));
            }
        }
    }
    Ok(compiled)
}

/// Of `files` (paths relative to the root, as a sync names what it brought), the
/// configuration files whose working copy fails lint: `incident.yaml` and runbooks, checked
/// as loading checks them. Only these files are read.
pub fn failing_lint(repo: &Repo, files: &[String]) -> Vec<String> {
    let cx = context(&repo.config);
    let runbooks = repo.runbooks_dir();
    files
        .iter()
        .filter(|file| {
            let path = repo.root.join(file.as_str());
            if file.as_str() == config::FILE {
                return matches!(config(&repo.root), Err(Error::File(FileError::BadFile { .. })));
            }
            let yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
            if !yaml || path.parent() != Some(runbooks.as_path()) {
                return false;
            }
            crate::fsutil::read_to_string(&path)
                .is_ok_and(|text| !lint::read_checked(&path, text, &cx).1.is_empty())
        })
        .cloned()
        .collect()
}

/// The repository's `incident.yaml`.
pub fn config(root: &Path) -> Result<Config> {
    let path = root.join(config::FILE);
    let text = crate::fsutil::read_in(root, &path)?;
    from_text(&path, text, &config::CONFIG, &Context::default())
}

/// The lint context of a repository: what its `incident.yaml` declares and disables.
pub fn context(config: &Config) -> Context {
    Context::from_config(config)
}

/// `text` as the file at `path`, accepted when lint finds no error in it.
pub fn from_text<T: DeserializeOwned>(path: &Path, text: String, shape: &Shape, cx: &Context) -> Result<T> {
    let (doc, errors) = lint::read_checked(path, text, cx);
    accept(path, &doc, &errors, shape)
}

/// The model in `doc`, unless lint found `errors` in it (sorted; the first is reported).
fn accept<T: DeserializeOwned>(path: &Path, doc: &Doc, errors: &[Finding], shape: &Shape) -> Result<T> {
    if let Some(f) = errors.first() {
        let at = Path::new(&f.file);
        return Err(bad_file(at, f.line, f.column, f.rule, f.message.clone(), errors.len() - 1));
    }
    let Some(root) = &doc.root else {
        // lint reports an empty file as an error, so this is not reached; say so plainly anyway.
        return Err(bad_file(path, 1, 1, "missing-field", "the file is empty".into(), 0));
    };
    serde_yaml::from_value(model::to_value(root, shape)).map_err(|e| {
        // The shape accepted what serde refused: a disagreement the agreement test guards against.
        bad_file(path, root.pos.line, root.pos.col, "wrong-type", e.to_string(), 0)
    })
}

fn bad_file(
    path: &Path,
    line: usize,
    column: usize,
    rule: &'static str,
    message: String,
    more: usize,
) -> Error {
    FileError::BadFile { path: path.to_path_buf(), line, column, rule, message, more }.into()
}

/// Every `*.yaml` / `*.yml` in `dir`, sorted by file name; a missing folder is empty. Rules
/// that look across files (a runbook id used twice) count here as in `lint`.
///
/// Runbooks come from pull requests: a symlinked `runbooks/` or runbook file is not followed
/// (it could read a file from outside the repository into the log) but listed as
/// unreadable, as lint reports it.
pub fn runbooks(dir: &Path, cx: &Context) -> Loaded {
    let mut loaded = Loaded::default();
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        loaded.broken.push(RepoError::Symlink { path: dir.to_path_buf() }.into());
        return loaded;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return loaded;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    let mut docs = Vec::new();
    let mut read = Vec::new();
    for path in paths {
        let text = match crate::fsutil::read_to_string(&path) {
            Ok(t) => t,
            Err(source) => {
                loaded.broken.push(Error::io(path)(source));
                continue;
            }
        };
        let mut digest = sha256(text.as_bytes());
        let (mut doc, mut errors) = lint::read_checked(&path, text, cx);
        let mut fallback = None;
        if !errors.is_empty()
            && let Some((text, told)) = last_good_runbook(dir, &path, &digest, &errors, cx)
        {
            // The digest is the version's: a runbook attached while it was good is not
            // flagged as changed because a later commit broke it.
            digest = sha256(text.as_bytes());
            (doc, errors) = lint::read_checked(&path, text, cx);
            fallback = Some(told);
        }
        loaded.digests.insert(path.clone(), digest);
        docs.push(doc.summary());
        read.push((path, doc, errors, fallback));
    }
    let across = lint::read_checked_across(docs, cx);
    for (path, doc, mut errors, fallback) in read {
        errors.extend(across.iter().filter(|f| f.file == doc.display).cloned());
        errors.sort();
        match accept::<Runbook>(&path, &doc, &errors, &runbook::RUNBOOK) {
            Ok(r) => {
                fallback.into_iter().for_each(remember);
                loaded.runbooks.push((path, r));
            }
            Err(e) => loaded.broken.push(e),
        }
    }
    loaded
}

/// The newest committed version of the runbook at `path` (in `dir`, a repository's
/// `runbooks/`) that passes lint against `cx`, with what to tell; `errors` are its working
/// copy's, whose content has `digest`. A runbook no commit has good is left out, as any
/// broken runbook is, and named when asked for.
fn last_good_runbook(
    dir: &Path,
    path: &Path,
    digest: &str,
    errors: &[Finding],
    cx: &Context,
) -> Option<(String, Fallback)> {
    let key = (path.to_path_buf(), digest.to_string());
    if let Some(known) = chosen(|c| c.runbooks.get(&key).cloned()) {
        return known;
    }
    let root = dir.parent()?;
    let rel = Path::new(dir.file_name()?).join(path.file_name()?);
    let mut good = None;
    let version = crate::repo::newest_committed(root, &rel, |bytes| {
        let Ok(text) = String::from_utf8(bytes.to_vec()) else { return false };
        let passes = lint::read_checked(path, text.clone(), cx).1.is_empty();
        good = passes.then_some(text);
        passes
    });
    let found = version.zip(good).map(|(version, text)| {
        let f = &errors[0];
        let error =
            bad_file(Path::new(&f.file), f.line, f.column, f.rule, f.message.clone(), errors.len() - 1);
        let told = Fallback {
            file: f.file.clone(),
            error: error.with_hints(),
            commit: version.commit,
            time: version.time,
        };
        (text, told)
    });
    chosen(|c| c.runbooks.insert(key, found.clone()));
    found
}

/// The runbook `id` from `dir`, or an error naming the known ones and the unreadable files.
pub fn runbook(dir: &Path, id: &str, cx: &Context) -> Result<Runbook> {
    runbooks(dir, cx).take(id)
}

/// The runbook `id` from `dir` with the SHA-256 (hex) of the very bytes it was read from:
/// what `runbook` events record, and what a command's runbook is compared against.
pub fn runbook_with_digest(dir: &Path, id: &str, cx: &Context) -> Result<(Runbook, String)> {
    let loaded = runbooks(dir, cx);
    let digest = loaded.digest(id).unwrap_or_default().to_string();
    loaded.take(id).map(|r| (r, digest))
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The incident's runbook, loaded as `lint` would accept it.
pub fn attached_runbook(repo: &Repo, inc: &Incident) -> Result<Runbook> {
    let cx = context(&repo.config);
    let Some(id) = &inc.runbook else {
        let loaded = runbooks(&repo.runbooks_dir(), &cx);
        let available = loaded.runbooks.iter().map(|(_, r)| r.id.clone()).collect();
        return Err(RunbookError::NoRunbook { id: inc.id.clone(), available }.into());
    };
    runbook(&repo.runbooks_dir(), id, &cx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_of_a_broken_file_that_still_read_and_compile_are_kept() {
        let text = "redact:\n  - name: a\n    pattern: 'itk_[a-z]{4}'  # a comment\n  - { name: b }\n  -   pattern: \"x\\\\d+y\"\nredcat:\n  - pattern: ghx_[0-9]+\n  - pattern: '(unclosed'\n  - pattern: ''\nservices: [web\n";
        let found: Vec<String> = salvaged_patterns(text).iter().map(|r| r.as_str().to_string()).collect();
        assert_eq!(found, ["itk_[a-z]{4}", "x\\d+y", "ghx_[0-9]+"]);
    }
}

//! Reading the files people write (`incident.yaml`, `runbooks/*.yaml`) for the commands that
//! use them. A file is accepted exactly when `lint` finds no error in it: the same parser,
//! the same shape, the same rules (and the same suppressions). The first error becomes the
//! load error, with lint's file:line:column and rule. An accepted tree is then turned into a
//! `serde_yaml::Value` by its shape ([`model::to_value`]) and deserialized by serde_yaml.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::lint::{self, Context, Doc, Finding};
use crate::model::{self, Shape};
use crate::repo::Repo;
use crate::runbook::{self, Loaded, Runbook};
use crate::state::Incident;

/// The repository at `root`, with its configuration. Its `redact:` patterns are installed
/// for every later redaction in this process (`redact::configure`; why process-wide is said
/// there), before any command can write.
pub fn repo(root: PathBuf) -> Result<Repo> {
    let config = config(&root)?;
    crate::redact::configure(redact_patterns(&root, &config)?);
    Ok(Repo { config, root })
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
    Error::BadFile { path: path.to_path_buf(), line, column, rule, message, more }
}

/// Every `*.yaml` / `*.yml` in `dir`, sorted by file name; a missing folder is empty. Rules
/// that look across files (a runbook id used twice) count here as in `lint`.
///
/// Runbooks come from pull requests: a symlinked `runbooks/` or runbook file is not followed
/// (SPEC §9; it could read a file from outside the repository into the log) but listed as
/// unreadable, as lint reports it.
pub fn runbooks(dir: &Path, cx: &Context) -> Loaded {
    let mut loaded = Loaded::default();
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        loaded.broken.push(Error::Symlink { path: dir.to_path_buf() });
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
                loaded.broken.push(crate::fsutil::io(path)(source));
                continue;
            }
        };
        loaded.digests.insert(path.clone(), sha256(text.as_bytes()));
        let (doc, errors) = lint::read_checked(&path, text, cx);
        docs.push(doc.summary());
        read.push((path, doc, errors));
    }
    let across = lint::read_checked_across(docs, cx);
    for (path, doc, mut errors) in read {
        errors.extend(across.iter().filter(|f| f.file == doc.display).cloned());
        errors.sort();
        match accept::<Runbook>(&path, &doc, &errors, &runbook::RUNBOOK) {
            Ok(r) => loaded.runbooks.push((path, r)),
            Err(e) => loaded.broken.push(e),
        }
    }
    loaded
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
        return Err(Error::NoRunbook { id: inc.id.clone(), available });
    };
    runbook(&repo.runbooks_dir(), id, &cx)
}

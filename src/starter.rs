//! The starter repository that `incident init` writes and `demo` replays into, embedded in
//! the binary so a fresh install needs no other files.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::error::{Error, FileError, Result};

pub const CONFIG: &str = include_str!("../config/incident.yaml");
pub const POSTMORTEM_TEMPLATE: &str = include_str!("../templates/postmortem.md.j2");

/// The status page's templates, by file name under `templates/status/`; a
/// repository's own copy of one wins (`statuspage`). `.html` names are HTML-escaped by the
/// engine, and so is the feed, named `.xml` for that reason.
pub const STATUS_TEMPLATES: [(&str, &str); 5] = [
    ("index.html.j2", include_str!("../templates/status/index.html.j2")),
    ("incident.html.j2", include_str!("../templates/status/incident.html.j2")),
    ("maintenance.html.j2", include_str!("../templates/status/maintenance.html.j2")),
    ("banner.html.j2", include_str!("../templates/status/banner.html.j2")),
    ("feed.xml.j2", include_str!("../templates/status/feed.xml.j2")),
];

/// A built-in status page template by file name.
pub fn status_template(name: &str) -> Option<&'static str> {
    STATUS_TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Update templates: `incident update --template NAME`, rendered with the incident.
pub const COMMS_TEMPLATES: [(&str, &str); 5] = [
    ("initial", include_str!("../templates/comms/initial.md.j2")),
    ("progress", include_str!("../templates/comms/progress.md.j2")),
    ("mitigated", include_str!("../templates/comms/mitigated.md.j2")),
    ("shipped", include_str!("../templates/comms/shipped.md.j2")),
    ("resolved", include_str!("../templates/comms/resolved.md.j2")),
];

/// Starter runbooks: one per common cause of an outage.
pub const RUNBOOKS: [(&str, &str); 8] = [
    ("server-overload.yaml", include_str!("../runbooks/server-overload.yaml")),
    ("bad-deploy.yaml", include_str!("../runbooks/bad-deploy.yaml")),
    ("database.yaml", include_str!("../runbooks/database.yaml")),
    ("dns-failure.yaml", include_str!("../runbooks/dns-failure.yaml")),
    ("ddos.yaml", include_str!("../runbooks/ddos.yaml")),
    ("network.yaml", include_str!("../runbooks/network.yaml")),
    ("third-party.yaml", include_str!("../runbooks/third-party.yaml")),
    ("hardware-power.yaml", include_str!("../runbooks/hardware-power.yaml")),
];

/// Event logs are append-only with unique event ids, so when two responders' clones both
/// append, git's union merge keeps every line of both sides: no conflict to resolve mid-incident.
pub const GITATTRIBUTES: &str = "incidents/*/events.jsonl merge=union\nchanges/*.jsonl merge=union\n";

/// `sync` commits everything pending, as `git add -A`: an editor's swap and backup files
/// (vim, emacs, macOS) beside a runbook must not be shared with the team.
pub const GITIGNORE: &str = "# Editor litter: `incident sync` commits everything else.\n*.swp\n*.swo\n*~\n.#*\n\\#*#\n.DS_Store\n# A write in progress (`sync` never commits these anyway).\n.*.tmp\n";

/// Where the runbook JSON Schema goes: the starter runbooks' first line points editors at it.
pub const SCHEMA_FILE: &str = "runbook.schema.json";

/// Every starter file, by its path inside the repository.
pub fn files() -> Vec<(String, Cow<'static, str>)> {
    let mut out = vec![
        ("incident.yaml".to_string(), Cow::Borrowed(CONFIG)),
        ("templates/postmortem.md.j2".to_string(), Cow::Borrowed(POSTMORTEM_TEMPLATE)),
        (SCHEMA_FILE.to_string(), Cow::Owned(schema_text())),
        (".gitattributes".to_string(), Cow::Borrowed(GITATTRIBUTES)),
        (".gitignore".to_string(), Cow::Borrowed(GITIGNORE)),
    ];
    out.extend(RUNBOOKS.iter().map(|(name, text)| (format!("runbooks/{name}"), Cow::Borrowed(*text))));
    out.extend(
        COMMS_TEMPLATES
            .iter()
            .map(|(name, text)| (format!("templates/comms/{name}.md.j2"), Cow::Borrowed(*text))),
    );
    out
}

/// The schema as `incident schema` prints it.
pub fn schema_text() -> String {
    serde_json::to_string_pretty(&crate::schema::runbook()).unwrap_or_default() + "\n"
}

/// Writes the starter files that are missing (git init first when needed); returns them.
pub fn install(root: &Path) -> Result<Vec<PathBuf>> {
    // The user named this folder: one that cannot be made (its parent is a file, a read-only
    // place) is theirs to fix (exit 2), unlike a write failing inside a folder that exists.
    std::fs::create_dir_all(root)
        .map_err(|source| FileError::CannotCreate { path: root.to_path_buf(), source })?;
    crate::repo::git_init(root)?;
    let mut written = Vec::new();
    for (rel, text) in files() {
        let path = root.join(&rel);
        // `init` in a folder someone else filled: a planted `runbooks -> /elsewhere` (or a
        // dangling link in place of a file) must not take the starter files outside it.
        crate::fsutil::no_symlinks(root, &path)?;
        if path.exists() {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        std::fs::write(&path, text.as_bytes()).map_err(Error::io(&path))?;
        written.push(PathBuf::from(rel));
    }
    Ok(written)
}

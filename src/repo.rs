//! The incident repository on disk: finding it, its paths, and git. A leaf: it
//! knows folders, files and commits, not incidents (selection and summaries are `index`'s),
//! and it is the only module that speaks to git2.

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};

use crate::config::Config;
use crate::error::{Error, RepoError, Result, SystemError};
use crate::ids;
use crate::redact::redact;

use crate::config::FILE as CONFIG_FILE;

mod history;
mod locks;
mod mend;
mod sync;
mod vet;
pub use history::newest_committed;
pub use locks::{Held, LOCK_WAIT, Writer};
pub use sync::{Failure, Merged, Rerender, RerenderConflict, Standing, Upstream};

pub struct Repo {
    pub root: PathBuf,
    pub config: Config,
}

/// `--repo`, else `$INCIDENT_REPO` (clap fills the flag from it), else the nearest ancestor
/// of the working directory holding `incident.yaml`.
pub fn discover(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        if p.join(CONFIG_FILE).is_file() {
            return Ok(p.to_path_buf());
        }
        return Err(RepoError::NotARepo { path: p.to_path_buf() }.into());
    }
    let cwd = std::env::current_dir().map_err(Error::io("."))?;
    nearest(&cwd).ok_or_else(|| RepoError::NoRepo { from: cwd }.into())
}

/// The nearest folder at or above `dir` holding `incident.yaml`.
pub fn nearest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(CONFIG_FILE).is_file()).map(Path::to_path_buf)
}

/// Where `status-page` writes by default, relative to the root: derived from every
/// incident's log, so a merge re-renders it instead of asking a person.
pub const STATUS_PAGE_DIR: &str = "status-page";

/// The folder of the changes logs (`changes/<yyyy-mm>.jsonl`), at the root.
pub const CHANGES_DIR: &str = "changes";

/// Whether `name` (a file name in `changes/`) is a month's log: `yyyy-mm.jsonl`.
pub fn is_changes_month(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".jsonl") else { return false };
    let b = stem.as_bytes();
    b.len() == 7
        && b.get(4) == Some(&b'-')
        && b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit())
        && stem.get(5..).is_some_and(|m| ("01"..="12").contains(&m))
}

/// Whether a repository path is a changes log (`changes/yyyy-mm.jsonl`): merged by a sync as
/// an event log is.
pub fn is_changes_log(path: &str) -> bool {
    path.strip_prefix("changes/").is_some_and(|f| !f.contains('/') && is_changes_month(f))
}

impl Repo {
    pub fn incidents_dir(&self) -> PathBuf {
        self.root.join("incidents")
    }

    /// Makes `incidents/<id>/` for a new incident titled `title` whose record starts at `at`,
    /// choosing the next free suffix if the id is taken, atomically. Returns the id.
    pub fn claim_incident_dir(&self, title: &str, at: chrono::DateTime<chrono::Utc>) -> Result<String> {
        let dir = self.incidents_dir();
        // A linked `incidents/` would put the new incident outside the repository.
        crate::fsutil::no_symlinks(&self.root, &dir)?;
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        loop {
            let id = ids::new_id(title, at, |id| dir.join(id).exists());
            match std::fs::create_dir(dir.join(&id)) {
                Ok(()) => return Ok(id),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(SystemError::Io { path: dir.join(&id), source: e }.into());
                }
            }
        }
    }

    /// The one place an incident id becomes a path: the id must be one (`ids::is_valid`, so
    /// never `..`, `a/b`, absolute or empty, whether typed or read from a cache), and no
    /// component below the root may be a symlink: `incidents/evil -> /elsewhere`
    /// would otherwise take every write of that incident outside the repository.
    pub fn incident_dir(&self, id: &str) -> Result<PathBuf> {
        self.incident_file(id, "")
    }

    /// The incident's event log, checked as [`Repo::incident_dir`] is (the log itself too).
    pub fn events_path(&self, id: &str) -> Result<PathBuf> {
        self.incident_file(id, "events.jsonl")
    }

    /// A file in the incident's folder (`postmortem.md`), checked as [`Repo::incident_dir`].
    pub fn incident_file(&self, id: &str, name: &str) -> Result<PathBuf> {
        if !ids::is_valid(id) {
            return Err(RepoError::BadIncidentId { given: id.to_string() }.into());
        }
        let dir = self.incidents_dir().join(id);
        let path = if name.is_empty() { dir } else { dir.join(name) };
        crate::fsutil::no_symlinks(&self.root, &path)?;
        Ok(path)
    }

    pub fn status_page_dir(&self) -> PathBuf {
        self.root.join(STATUS_PAGE_DIR)
    }

    pub fn runbooks_dir(&self) -> PathBuf {
        self.root.join("runbooks")
    }

    /// Every incident id, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.incidents_dir())
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| ids::is_valid(name))
            .collect();
        ids.sort();
        ids
    }

    /// A file of ours inside git's own folder (caches: never committed, never the truth).
    /// In a linked worktree `.git` is a file naming the real folder (`gitdir: …`); each
    /// worktree then keeps its own caches, as its checkout may differ. `name` may have
    /// folders (`incident-heads/ID.json`); `None` when any part of it is a symlink, so a
    /// planted `.git/incident-heads -> /elsewhere` never redirects a write: a cache that
    /// cannot be used is only a slower command.
    pub fn git_file(&self, name: &str) -> Option<PathBuf> {
        let dir = self.git_dir()?;
        let path = dir.join(name);
        crate::fsutil::no_symlinks(&dir, &path).ok()?;
        Some(path)
    }

    /// Git's own folder: `.git`, or in a linked worktree the folder its `.git` file names.
    pub fn git_dir(&self) -> Option<PathBuf> {
        let dot_git = self.root.join(".git");
        if dot_git.is_dir() {
            return Some(dot_git);
        }
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let dir = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        let dir = self.root.join(dir); // a relative gitdir is relative to the worktree
        dir.is_dir().then_some(dir)
    }

    /// The responder's name (see [`identity`]).
    pub fn responder(&self, as_flag: Option<&str>) -> Result<String> {
        identity(&self.root, as_flag).map(|(name, _)| name)
    }

    /// Who a commit by this command is authored as, and where the name came from (`--as`,
    /// `git user.name`, `$USER`): the responder, the same fallback as every event's `by`.
    pub fn committer(&self, as_flag: Option<&str>) -> Result<(String, &'static str)> {
        identity(&self.root, as_flag)
    }

    fn git(&self) -> Result<Repository> {
        Repository::open(&self.root).map_err(git_error(format!("opening {}", self.root.display())))
    }

    /// Commits `paths` (relative to the root) with `message`; the author is `--as` (with
    /// git's `user.email` when set) or git's configured identity. `None` when nothing changed.
    /// The message may quote data (a title): its control characters are made visible, so
    /// `git log` in a terminal shows them rather than obeys them.
    pub fn commit_if_changed(
        &self,
        paths: &[PathBuf],
        message: &str,
        as_flag: Option<&str>,
    ) -> Result<Option<git2::Oid>> {
        // Not while a sync writes (it would take the index and the branch from under us), and
        // marked, so that a lock this commit leaves if it is killed is known to be its own.
        let _writing = self.hold(Writer::Commit, LOCK_WAIT)?;
        self.commit_files(paths, message, as_flag).map_err(|e| self.locate_lock(e))
    }

    fn commit_files(
        &self,
        paths: &[PathBuf],
        message: &str,
        as_flag: Option<&str>,
    ) -> Result<Option<git2::Oid>> {
        // A commit now would bury a merge a person is finishing, conflict markers and all.
        self.require_finished()?;
        let repo = self.git()?;
        let sig = signature(&repo, as_flag)?;
        // Every commit message passes here: whatever data it quotes, no secret enters history.
        let message = redact(message);
        let staging = git_error("staging files");
        let mut index = repo.index().map_err(git_error("reading the index"))?;
        for p in paths {
            self.stage(&repo, &mut index, &p.to_string_lossy())?;
        }
        index.write().map_err(git_error("writing the index"))?;
        let tree = index.write_tree().and_then(|t| repo.find_tree(t)).map_err(staging)?;
        let parent = match repo.head() {
            Ok(head) => Some(head.peel_to_commit().map_err(git_error("reading HEAD"))?),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => {
                None
            }
            Err(e) => return Err(git_error("reading HEAD")(e)),
        };
        if parent.as_ref().is_some_and(|p| p.tree_id() == tree.id()) {
            return Ok(None);
        }
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let message = crate::ui::visible_lines(&message);
        repo.commit(Some("HEAD"), &sig, &sig, &message, &tree, &parents)
            .map(Some)
            .map_err(git_error("committing"))
    }

    /// Whether the last commit holds the file `rel` (relative to the root): a postmortem
    /// committed, rather than a draft only written. No commit yet: no.
    pub fn is_committed(&self, rel: &Path) -> Result<bool> {
        let repo = self.git()?;
        let head = match repo.head() {
            Ok(head) => head.peel_to_tree().map_err(git_error("reading HEAD"))?,
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => {
                return Ok(false);
            }
            Err(e) => return Err(git_error("reading HEAD")(e)),
        };
        Ok(head.get_path(rel).is_ok())
    }

    /// The subject and author of a commit, as `git log -1` shows them.
    pub fn describe_commit(&self, oid: git2::Oid) -> Result<(String, String)> {
        let repo = self.git()?;
        let commit = repo.find_commit(oid).map_err(git_error(format!("reading commit {oid}")))?;
        let author = commit.author();
        let who = format!("{} <{}>", author.name().unwrap_or_default(), author.email().unwrap_or_default());
        Ok((String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(), who))
    }

    /// Sets this repository's own git identity (the demo commits as itself).
    pub fn set_identity(&self, name: &str, email: &str) -> Result<()> {
        let mut config = self.git()?.config().map_err(git_error("reading the git config"))?;
        config.set_str("user.name", name).map_err(git_error("setting user.name"))?;
        config.set_str("user.email", email).map_err(git_error("setting user.email"))
    }
}

/// Makes `root` a git repository unless it already is one. Its first branch is
/// `init.defaultBranch` as git resolves it (every scope, `GIT_CONFIG_GLOBAL` included, which
/// libgit2 alone would ignore), else libgit2's default.
pub fn git_init(root: &Path) -> Result<()> {
    if Repository::open(root).is_err() {
        let mut opts = git2::RepositoryInitOptions::new();
        let branch = git_config(root)
            .and_then(|c| c.get_string("init.defaultBranch").ok())
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty() && git2::Branch::name_is_valid(b).unwrap_or(false));
        if let Some(b) = &branch {
            opts.initial_head(b);
        }
        Repository::init_opts(root, &opts).map_err(git_error(format!("git init {}", root.display())))?;
    }
    Ok(())
}

/// Every git config scope, as the `git` CLI reads them: system (unless
/// `GIT_CONFIG_NOSYSTEM`), XDG, global (`GIT_CONFIG_GLOBAL`, else `~/.gitconfig`) and the
/// repository's own. libgit2's default reads `~/.gitconfig` and ignores `GIT_CONFIG_GLOBAL`.
fn git_config(root: &Path) -> Option<git2::Config> {
    use git2::ConfigLevel;
    let mut config = git2::Config::new().ok()?;
    let mut add = |path: PathBuf, level| {
        if path.is_file() {
            let _ = config.add_file(&path, level, true);
        }
    };
    if std::env::var_os("GIT_CONFIG_NOSYSTEM").is_none()
        && let Ok(p) = git2::Config::find_system()
    {
        add(p, ConfigLevel::System);
    }
    if let Ok(p) = git2::Config::find_xdg() {
        add(p, ConfigLevel::XDG);
    }
    match std::env::var_os("GIT_CONFIG_GLOBAL") {
        Some(p) => add(PathBuf::from(p), ConfigLevel::Global),
        None => {
            if let Ok(p) = git2::Config::find_global() {
                add(p, ConfigLevel::Global);
            }
        }
    }
    if let Ok(repo) = Repository::open(root) {
        add(repo.path().join("config"), ConfigLevel::Local);
    }
    Some(config)
}

/// Git's author name and email: `GIT_AUTHOR_NAME` / `GIT_AUTHOR_EMAIL`, else `user.name` /
/// `user.email` from the config scopes.
fn author(root: &Path) -> (Option<String>, Option<String>) {
    let config = git_config(root);
    let get = |env: &str, key: &str| {
        std::env::var(env)
            .ok()
            .or_else(|| config.as_ref().and_then(|c| c.get_string(key).ok()))
            .filter(|s| !s.trim().is_empty())
    };
    (get("GIT_AUTHOR_NAME", "user.name"), get("GIT_AUTHOR_EMAIL", "user.email"))
}

/// The responder's name and where it came from: `--as`, else git's identity as git itself
/// resolves it (`GIT_AUTHOR_NAME`, then `user.name` from every config scope), else `$USER`.
/// An empty or multi-line name is refused, wherever it came from. It is redacted: a secret
/// typed into `--as` reaches neither the log nor a commit's author.
fn identity(root: &Path, as_flag: Option<&str>) -> Result<(String, &'static str)> {
    let (name, source) = match (as_flag, author(root).0) {
        (Some(name), _) => (name.to_string(), "--as"),
        (None, Some(name)) => (name, "git user.name"),
        (None, None) => (std::env::var("USER").unwrap_or_else(|_| "unknown".into()), "$USER"),
    };
    crate::names::check(source, name).map(|n| (redact(&n), source))
}

/// A commit's author: the responder (the same name every event's `by` gets), with git's
/// email, else one made from the name under `.invalid` (a domain that never resolves), so
/// that a machine with no git identity still commits what it records.
fn signature(repo: &Repository, as_flag: Option<&str>) -> Result<Signature<'static>> {
    let root = repo.workdir().unwrap_or_else(|| repo.path());
    let (name, _) = identity(root, as_flag)?;
    let email = author(root).1.unwrap_or_else(|| format!("{}@incident.invalid", ids::slug(&name)));
    Signature::now(&name, &email).map_err(git_error("making the commit signature"))
}

/// For `map_err` on every git2 call: a failure while `doing` something. A lock file in the
/// way (another git at work, or one killed) is [`SystemError::GitLocked`], naming the file: libgit2
/// says "failed to lock file '…' for writing" (cut short: the cause is not given) or, for the
/// index, only that it is locked (then `index.lock`, relative to git's folder, made whole by
/// [`Repo::locate_lock`]).
pub(crate) fn git_error(doing: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    let doing = doing.into();
    move |source| match locked_file(&source) {
        Some(path) => SystemError::GitLocked { doing, path }.into(),
        None => SystemError::Git { doing, source }.into(),
    }
}

fn locked_file(e: &git2::Error) -> Option<PathBuf> {
    let message = e.message();
    for says in ["failed to lock file '", "failed to create locked file '"] {
        if let Some((_, rest)) = message.split_once(says)
            && let Some((path, _)) = rest.split_once('\'')
        {
            return Some(PathBuf::from(path));
        }
    }
    if message.contains("index is locked") {
        return Some(PathBuf::from("index.lock"));
    }
    if let Some((_, rest)) = message.split_once("failed to lock loose reference '")
        && let Some((name, _)) = rest.split_once('\'')
    {
        return Some(PathBuf::from(format!("{name}.lock")));
    }
    None
}

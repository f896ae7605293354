//! The incident repository on disk (SPEC §2): finding it, its paths, and git. A leaf: it
//! knows folders, files and commits, not incidents (selection and summaries are `index`'s),
//! and it is the only module that speaks to git2.

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ids;

use crate::config::FILE as CONFIG_FILE;

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
        return Err(Error::NotARepo { path: p.to_path_buf() });
    }
    let cwd = std::env::current_dir().map_err(Error::io("."))?;
    nearest(&cwd).ok_or(Error::NoRepo { from: cwd })
}

/// The nearest folder at or above `dir` holding `incident.yaml`.
pub fn nearest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(CONFIG_FILE).is_file()).map(Path::to_path_buf)
}

impl Repo {
    pub fn incidents_dir(&self) -> PathBuf {
        self.root.join("incidents")
    }

    pub fn incident_dir(&self, id: &str) -> PathBuf {
        self.incidents_dir().join(id)
    }

    pub fn events_path(&self, id: &str) -> PathBuf {
        self.incident_dir(id).join("events.jsonl")
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
    /// worktree then keeps its own caches, as its checkout may differ.
    pub fn git_file(&self, name: &str) -> Option<PathBuf> {
        let dot_git = self.root.join(".git");
        if dot_git.is_dir() {
            return Some(dot_git.join(name));
        }
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let dir = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        let dir = self.root.join(dir); // a relative gitdir is relative to the worktree
        dir.is_dir().then(|| dir.join(name))
    }

    /// The responder's name: `--as`, else git's `user.name`, else `$USER`.
    pub fn responder(&self, as_flag: Option<&str>) -> String {
        if let Some(name) = as_flag {
            return name.to_string();
        }
        git_config(&self.root, "user.name")
            .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "unknown".to_string())
    }

    fn git(&self) -> Result<Repository> {
        Repository::open(&self.root).map_err(Error::git(format!("opening {}", self.root.display())))
    }

    /// Commits `paths` (relative to the root) with `message`; the author is `--as` (with
    /// git's `user.email` when set) or git's configured identity. `None` when nothing changed.
    pub fn commit_if_changed(
        &self,
        paths: &[PathBuf],
        message: &str,
        as_flag: Option<&str>,
    ) -> Result<Option<git2::Oid>> {
        let repo = self.git()?;
        let sig = signature(&repo, as_flag)?;
        let staging = Error::git("staging files");
        let mut index = repo.index().map_err(Error::git("reading the index"))?;
        for p in paths {
            index.add_path(p).map_err(Error::git(format!("adding {}", p.display())))?;
        }
        index.write().map_err(Error::git("writing the index"))?;
        let tree = index.write_tree().and_then(|t| repo.find_tree(t)).map_err(staging)?;
        let parent = match repo.head() {
            Ok(head) => Some(head.peel_to_commit().map_err(Error::git("reading HEAD"))?),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => {
                None
            }
            Err(e) => return Err(Error::Git { doing: "reading HEAD".into(), source: e }),
        };
        if parent.as_ref().is_some_and(|p| p.tree_id() == tree.id()) {
            return Ok(None);
        }
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .map(Some)
            .map_err(Error::git("committing"))
    }

    /// The subject and author of a commit, as `git log -1` shows them.
    pub fn describe_commit(&self, oid: git2::Oid) -> Result<(String, String)> {
        let repo = self.git()?;
        let commit = repo.find_commit(oid).map_err(Error::git(format!("reading commit {oid}")))?;
        let author = commit.author();
        let who = format!("{} <{}>", author.name().unwrap_or_default(), author.email().unwrap_or_default());
        Ok((String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(), who))
    }

    /// Sets this repository's own git identity (the demo commits as itself).
    pub fn set_identity(&self, name: &str, email: &str) -> Result<()> {
        let mut config = self.git()?.config().map_err(Error::git("reading the git config"))?;
        config.set_str("user.name", name).map_err(Error::git("setting user.name"))?;
        config.set_str("user.email", email).map_err(Error::git("setting user.email"))
    }
}

/// Makes `root` a git repository unless it already is one.
pub fn git_init(root: &Path) -> Result<()> {
    if Repository::open(root).is_err() {
        Repository::init(root).map_err(Error::git(format!("git init {}", root.display())))?;
    }
    Ok(())
}

fn git_config(root: &Path, key: &str) -> Option<String> {
    let config =
        Repository::open(root).and_then(|r| r.config()).or_else(|_| git2::Config::open_default()).ok()?;
    config.get_string(key).ok().filter(|s| !s.trim().is_empty())
}

fn signature(repo: &Repository, as_flag: Option<&str>) -> Result<Signature<'static>> {
    let config = repo.config().map_err(Error::git("reading the git config"))?;
    let get = |k: &str| config.get_string(k).ok().filter(|s| !s.trim().is_empty());
    let name = as_flag.map(str::to_string).or_else(|| get("user.name"));
    let email = get("user.email");
    let sig = match (name, email) {
        (Some(name), Some(email)) => Signature::now(&name, &email),
        (Some(name), None) if as_flag.is_some() => {
            let local: String = ids::slug(&name);
            Signature::now(&name, &format!("{local}@incident.invalid"))
        }
        _ => return Err(Error::NoIdentity),
    };
    sig.map_err(Error::git("making the commit signature"))
}

//! The incident repository (SPEC §2): finding it, its paths, choosing an incident by id or
//! prefix, who is acting, and committing to git.

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::ids;
use crate::index::{self, Summary};
use crate::state::{Incident, State};

pub const CONFIG_FILE: &str = "incident.yaml";

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
        return Err(Error::Usage(format!(
            "{} is not an incident repository (no {CONFIG_FILE}); run `incident init {}`",
            p.display(),
            p.display()
        )));
    }
    let cwd = std::env::current_dir().map_err(Error::io("."))?;
    cwd.ancestors()
        .find(|d| d.join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
        .ok_or(Error::NoRepo { from: cwd })
}

/// A loaded incident, and the line of a torn last event that was left out, if any.
pub struct Loaded {
    pub incident: Incident,
    pub torn_line: Option<usize>,
}

impl Repo {
    pub fn open(root: PathBuf) -> Result<Repo> {
        let config = Config::load(&root.join(CONFIG_FILE))?;
        Ok(Repo { root, config })
    }

    pub fn incidents_dir(&self) -> PathBuf {
        self.root.join("incidents")
    }

    pub fn events_path(&self, id: &str) -> PathBuf {
        self.incidents_dir().join(id).join("events.jsonl")
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

    pub fn summaries(&self) -> Result<Vec<Summary>> {
        index::summaries(self, &self.ids())
    }

    /// SPEC §2: an exact id, a unique prefix, or, when none is given, the only open
    /// incident (or, when none is open, the only resolved one awaiting its postmortem).
    pub fn resolve(&self, given: Option<&str>) -> Result<String> {
        let ids = self.ids();
        if let Some(g) = given {
            if ids.iter().any(|id| id == g) {
                return Ok(g.to_string());
            }
            let hits: Vec<&String> = ids.iter().filter(|id| id.starts_with(g)).collect();
            return match hits.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(Error::UnknownIncident {
                    given: g.to_string(),
                    candidates: ids.iter().rev().take(10).cloned().collect(),
                }),
                many => Err(Error::AmbiguousIncident {
                    given: Some(g.to_string()),
                    candidates: many.iter().map(|s| (*s).clone()).collect(),
                }),
            };
        }
        let summaries = index::live(self, &ids)?;
        for state in [State::Open, State::Resolved] {
            let hits: Vec<&Summary> = summaries.iter().filter(|s| s.state == state).collect();
            match hits.as_slice() {
                [] => continue,
                [one] => return Ok(one.id.clone()),
                many => {
                    return Err(Error::AmbiguousIncident {
                        given: None,
                        candidates: many.iter().map(|s| format!("{} ({})", s.id, s.title)).collect(),
                    });
                }
            }
        }
        Err(Error::Usage(
            "no open incident; pass one with --incident ID, or open one with `incident open TITLE --severity SEV`"
                .into(),
        ))
    }

    pub fn load(&self, id: &str) -> Result<Loaded> {
        let path = self.events_path(id);
        let log = events::read(&path)?;
        let incident = Incident::fold(id, log.events).ok_or_else(|| Error::CorruptLog {
            path: path.clone(),
            line: 1,
            message: "the log has no `opened` event".into(),
        })?;
        if let Some(line) = log.torn_line {
            warn_torn(&path, line, false);
        }
        Ok(Loaded { incident, torn_line: log.torn_line })
    }

    pub fn append(&self, id: &str, events: &[Event]) -> Result<()> {
        let path = self.events_path(id);
        if let Some(line) = events::append(&path, events)? {
            warn_torn(&path, line, true);
        }
        Ok(())
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

    /// Commits `paths` (relative to the root) with `message`; the author is `--as` (with
    /// git's `user.email` when set) or git's configured identity.
    pub fn commit_if_changed(
        &self,
        paths: &[PathBuf],
        message: &str,
        as_flag: Option<&str>,
    ) -> Result<Option<git2::Oid>> {
        let repo = Repository::open(&self.root).map_err(|e| {
            Error::Git(format!("{} is not a git repository ({})", self.root.display(), e.message()))
        })?;
        let sig = signature(&repo, as_flag)?;
        let mut index = repo.index()?;
        for p in paths {
            index.add_path(p)?;
        }
        index.write()?;
        let tree = repo.find_tree(index.write_tree()?)?;
        let parent = match repo.head() {
            Ok(head) => Some(head.peel_to_commit()?),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => {
                None
            }
            Err(e) => return Err(e.into()),
        };
        if parent.as_ref().is_some_and(|p| p.tree_id() == tree.id()) {
            return Ok(None);
        }
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        Ok(Some(repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?))
    }
}

fn warn_torn(path: &Path, line: usize, repaired: bool) {
    let what =
        if repaired { "was removed before this write" } else { "is ignored; the next write repairs it" };
    eprintln!(
        "warning: {}:{line}: the last event was cut off mid-write (a crash?) and {what}; every complete event before it is intact",
        path.display()
    );
}

fn git_config(root: &Path, key: &str) -> Option<String> {
    let config =
        Repository::open(root).and_then(|r| r.config()).or_else(|_| git2::Config::open_default()).ok()?;
    config.get_string(key).ok().filter(|s| !s.trim().is_empty())
}

fn signature(repo: &Repository, as_flag: Option<&str>) -> Result<Signature<'static>> {
    let config = repo.config()?;
    let get = |k: &str| config.get_string(k).ok().filter(|s| !s.trim().is_empty());
    let name = as_flag.map(str::to_string).or_else(|| get("user.name"));
    let email = get("user.email");
    match (name, email) {
        (Some(name), Some(email)) => Ok(Signature::now(&name, &email)?),
        (Some(name), None) if as_flag.is_some() => {
            let local: String = ids::slug(&name);
            Ok(Signature::now(&name, &format!("{local}@incident.invalid"))?)
        }
        _ => Err(Error::Usage(
            "no git identity to commit with: set `git config user.name` and `git config user.email`, or pass --as NAME"
                .into(),
        )),
    }
}

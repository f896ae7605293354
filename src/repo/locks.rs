//! git's lock files, and knowing which ones a killed writer of ours left (a killed sync
//! heals).
//!
//! git and libgit2 change a file by writing `NAME.lock` beside it and renaming it over
//! `NAME`; a process killed in between leaves the lock, and every later write refuses. The
//! file does not say who made it, so the tool keeps its own account: every writer of ours (a
//! sync, a commit) holds an flock on `.git/incident-sync.lock` (a sync exclusively, a commit
//! shared) and leaves a marker, `.git/incident-sync.PID-N.running`, for as long as it
//! writes, removed when it ends. Whoever holds that flock exclusively knows that no writer of
//! ours runs, so a marker still there was left by one that died, and a lock file made since
//! that marker was made is its leftover, unless a git process is running in the repository
//! at that moment (the user's own `git commit` waiting for its editor). Any other lock is
//! named, never removed: only a person knows whether the git that made it is still running.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::Repo;
use crate::error::{Error, Result, SyncError, SystemError};

/// The flock every writer of ours holds, a sync exclusively (one at a time per clone), a
/// commit shared. The file stays; only its flock comes and goes.
pub const GATE: &str = "incident-sync.lock";

/// How long a writer waits for the gate (a sync for another sync, a commit for a sync)
/// before giving up with [`SyncError::SyncBusy`].
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

const MARKER_PREFIX: &str = "incident-sync.";
const MARKER_SUFFIX: &str = ".running";

/// Who writes: a sync (exclusive, and it clears what killed writers left before it starts)
/// or a commit of another command (shared: commits do not wait for each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    Sync,
    Commit,
}

/// A writer of ours at work: the gate's flock and its marker, both gone when dropped (the
/// kernel drops the flock if the process dies; the marker then stays, and says so).
#[derive(Debug)]
pub struct Held {
    // Dropped after `drop` removed the marker: the marker never outlives the flock.
    _gate: File,
    marker: Option<PathBuf>,
    /// For a sync: the git locks it removed before starting, left by a writer of ours that
    /// was killed (relative to the root, e.g. `.git/index.lock`).
    pub healed: Vec<String>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(marker) = &self.marker {
            let _ = std::fs::remove_file(marker);
        }
    }
}

/// What is left in git's folder by writers that did not finish ([`Repo::git_leftovers`]).
/// Paths are absolute.
#[derive(Debug, Default)]
pub struct Leftovers {
    /// Locks made since a killed writer of ours started: its own.
    pub killed: Vec<PathBuf>,
    /// Locks nothing of ours accounts for: another git's, running or killed.
    pub foreign: Vec<PathBuf>,
    /// Markers of writers of ours that were killed.
    pub markers: Vec<PathBuf>,
    /// A git process runs in the repository now: `killed` may be its, so nothing is removed.
    pub git_running: bool,
}

impl Repo {
    /// Waits (up to `wait`) for the gate and marks a writer at work. A sync first removes
    /// the locks writers of ours left when they were killed ([`Held::healed`]). `None`
    /// without a git folder: the steps after it say what is wrong.
    pub fn hold(&self, writer: Writer, wait: Duration) -> Result<Option<Held>> {
        let Some(path) = self.git_file(GATE) else { return Ok(None) };
        let gate = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        let start = Instant::now();
        loop {
            let tried = match writer {
                Writer::Sync => gate.try_lock(),
                Writer::Commit => gate.try_lock_shared(),
            };
            match tried {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(SyncError::SyncBusy { waited_s: wait.as_secs() }.into());
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(SystemError::Io { path, source: e }.into());
                }
            }
        }
        let healed = match writer {
            Writer::Sync => {
                let cleared = self.clear_held();
                if cleared.git_running {
                    Vec::new()
                } else {
                    cleared.killed.iter().map(|p| self.shown(p)).collect()
                }
            }
            Writer::Commit => Vec::new(),
        };
        let marker = self.mark(writer);
        Ok(Some(Held { _gate: gate, marker, healed }))
    }

    /// The git locks and markers writers left, as they stand; removes nothing. When a writer
    /// of ours is at work, its marker and the locks made since are its own and not listed.
    pub fn git_leftovers(&self) -> Leftovers {
        let Some(git_dir) = self.git_dir() else { return Leftovers::default() };
        let gate = self.git_file(GATE).and_then(|p| File::open(p).ok());
        let free = gate.as_ref().is_none_or(|g| g.try_lock().is_ok());
        self.leftovers(&git_dir, free)
    }

    /// Removes what writers of ours left when they were killed: their locks (unless a git
    /// process runs in the repository now) and their markers. Answers what was found, each
    /// removed unless `git_running`; nothing when a writer of ours is at work.
    pub fn clear_git_leftovers(&self) -> Leftovers {
        let gate = self.git_file(GATE).and_then(|p| File::open(p).ok());
        if gate.as_ref().is_some_and(|g| g.try_lock().is_err()) {
            return Leftovers::default();
        }
        self.clear_held()
    }

    /// [`Repo::clear_git_leftovers`], with the gate already held exclusively.
    fn clear_held(&self) -> Leftovers {
        let Some(git_dir) = self.git_dir() else { return Leftovers::default() };
        let mut found = self.leftovers(&git_dir, true);
        if found.git_running {
            return found;
        }
        found.killed.retain(|p| match std::fs::remove_file(p) {
            Ok(()) => true,
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        });
        for m in &found.markers {
            let _ = std::fs::remove_file(m);
        }
        found
    }

    /// `free`: nothing of ours holds the gate, so every marker is a killed writer's.
    fn leftovers(&self, git_dir: &Path, free: bool) -> Leftovers {
        let markers = markers(git_dir);
        let earliest = markers.iter().map(|(_, t)| *t).min();
        let mut out = Leftovers::default();
        let mut dirs = vec![git_dir.to_path_buf()];
        // A linked worktree's refs and config live in the main repository's folder.
        if let Ok(common) = std::fs::read_to_string(git_dir.join("commondir")) {
            dirs.push(git_dir.join(common.trim()));
        }
        let mut locks = Vec::new();
        for dir in &dirs {
            lock_files(dir, dir, &mut locks);
        }
        locks.sort();
        locks.dedup();
        for (lock, made) in locks {
            match earliest {
                Some(t) if made >= t && free => out.killed.push(lock),
                Some(t) if made >= t => {} // the running writer's own
                _ => out.foreign.push(lock),
            }
        }
        if free {
            out.markers = markers.into_iter().map(|(p, _)| p).collect();
        }
        out.git_running = !out.killed.is_empty() && git_running_in(&self.root, git_dir);
        out
    }

    /// Leaves this writer's marker; `None` if it cannot (its locks would then be named, not
    /// removed, if it were killed).
    fn mark(&self, writer: Writer) -> Option<PathBuf> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("{MARKER_PREFIX}{}-{seq}-{nanos:x}{MARKER_SUFFIX}", std::process::id());
        let path = self.git_file(&name)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .ok()?;
        let what = match writer {
            Writer::Sync => "sync\n",
            Writer::Commit => "commit\n",
        };
        let _ = file.write_all(what.as_bytes());
        Some(path)
    }

    /// `.git/index.lock`: a path as a person finds it from the root.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    /// A [`SystemError::GitLocked`] whose lock libgit2 did not name by path (the index's) made
    /// whole: relative paths are in git's folder.
    pub fn locate_lock(&self, e: Error) -> Error {
        match e {
            Error::System(SystemError::GitLocked { doing, path }) if path.is_relative() => {
                let path = self.git_dir().map_or(path.clone(), |d| d.join(&path));
                SystemError::GitLocked { doing, path }.into()
            }
            e => e,
        }
    }
}

/// The markers in git's folder, each with when it was made.
fn markers(git_dir: &Path) -> Vec<(PathBuf, SystemTime)> {
    let mut out: Vec<(PathBuf, SystemTime)> = std::fs::read_dir(git_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| n.starts_with(MARKER_PREFIX) && n.ends_with(MARKER_SUFFIX))
        })
        .filter_map(|e| {
            let meta = std::fs::symlink_metadata(e.path()).ok()?;
            (meta.is_file()).then_some((e.path(), meta.modified().ok()?))
        })
        .collect();
    out.sort();
    out
}

/// Every `*.lock` file below `dir` (index.lock, HEAD.lock, refs/**/X.lock, packed-refs.lock,
/// config.lock…), with when it was made; never through a symlink, never into the loose
/// objects, never the tool's own files.
fn lock_files(top: &Path, dir: &Path, out: &mut Vec<(PathBuf, SystemTime)>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().filter_map(|e| e.ok()) {
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        let name = e.file_name();
        let name = name.to_string_lossy();
        if meta.is_dir() {
            let loose_objects = dir.ends_with("objects") && name.len() == 2;
            let ours = dir == top && name.starts_with("incident-");
            // A linked worktree's folder is its own: its locks are its writers'.
            let others = dir == top && name == "worktrees";
            if !(loose_objects || ours || others) {
                lock_files(top, &path, out);
            }
        } else if meta.is_file()
            && name.ends_with(".lock")
            && !(dir == top && name.starts_with("incident-"))
            && let Ok(made) = meta.modified()
        {
            out.push((path, made));
        }
    }
}

/// Whether a git process runs with its working folder in the repository (the user's `git
/// commit` with its editor open, a `git fetch` whose sync was just killed and that is
/// still stopping). Read from `/proc`; elsewhere, as if none ran.
fn git_running_in(root: &Path, git_dir: &Path) -> bool {
    let me = std::process::id().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else { return false };
    procs.filter_map(|e| e.ok()).any(|e| {
        let name = e.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && *n != me) else {
            return false;
        };
        let proc = Path::new("/proc").join(pid);
        let is_git = std::fs::read_to_string(proc.join("comm"))
            .is_ok_and(|c| c.trim() == "git" || c.trim().starts_with("git-"));
        is_git
            && std::fs::read_link(proc.join("cwd"))
                .is_ok_and(|cwd| cwd.starts_with(root) || cwd.starts_with(git_dir))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_skip_the_tools_own_and_loose_objects() {
        let dir = tempfile::tempdir().unwrap();
        let g = dir.path();
        for p in ["refs/heads", "objects/ab", "objects/info", "incident-heads"] {
            std::fs::create_dir_all(g.join(p)).unwrap();
        }
        for f in [
            "index.lock",
            "HEAD.lock",
            "refs/heads/main.lock",
            "objects/ab/x.lock",
            "objects/info/commit-graph.lock",
            "incident-sync.lock",
            "incident-heads/a.lock",
            "config",
        ] {
            std::fs::write(g.join(f), "").unwrap();
        }
        let mut found = Vec::new();
        lock_files(g, g, &mut found);
        let mut names: Vec<String> =
            found.iter().map(|(p, _)| p.strip_prefix(g).unwrap().display().to_string()).collect();
        names.sort();
        assert_eq!(
            names,
            ["HEAD.lock", "index.lock", "objects/info/commit-graph.lock", "refs/heads/main.lock"]
        );
    }
}

//! Files on disk: writes that must not tear (a temp file in the same directory, fsync,
//! rename), and the one rule about symlinks: no symlink below the repository root
//! is followed to read or write incident files. A repository's files come from other people
//! (pull requests, `git pull`), and a link planted there must not turn `incident log` into a
//! write somewhere else, nor a template into a read of `~/.ssh`.
//!
//! Two halves, because neither is enough alone: [`no_symlinks`] checks every component of a
//! path below the root with `symlink_metadata` (`O_NOFOLLOW` only guards the last one), and
//! every open here passes `O_NOFOLLOW` (so a link that replaces the file between the check
//! and the open is still not followed).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, RepoError, Result};

/// Refuses `path` when it passes through a symlink below `root` (the repository): every
/// component from the first one below the root down to `path` itself is looked at without
/// following it. Components that do not exist yet are fine (they will be made as folders
/// or files, never as links). A path outside the root is not ours to judge (an explicit
/// `--output` the user typed) and passes; one that reaches inside it (even via `..`) is
/// checked from the point it does. The root itself may be a symlink: the user chose it.
pub fn no_symlinks(root: &Path, path: &Path) -> Result<()> {
    let Ok(path) = std::path::absolute(path) else { return Ok(()) };
    let mut roots: Vec<PathBuf> = std::path::absolute(root).into_iter().collect();
    roots.extend(std::fs::canonicalize(root));
    let mut at = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                at.pop();
                continue;
            }
            Component::CurDir => continue,
            c => at.push(c),
        }
        if !roots.iter().any(|r| at.starts_with(r) && at != *r) {
            continue;
        }
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Err(RepoError::Symlink { path: at }.into()),
            Ok(_) => {}
            // Nothing below a missing folder exists either: nothing more to follow.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) => {} // the open that follows reports it, with its own path
        }
    }
    Ok(())
}

/// Options that never follow a symlink in the last component: opening a link fails (ELOOP),
/// which [`Error::io`] turns into [`RepoError::Symlink`].
pub fn nofollow() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.custom_flags(libc::O_NOFOLLOW);
    o
}

/// The bytes of a file, without following a symlink at `path` itself.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    nofollow().read(true).open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read`] as UTF-8 text, failing as `std::fs::read_to_string` does.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?).map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8")
    })
}

/// A text file of the repository at `root` (a template, `incident.yaml`), or [`RepoError::Symlink`]
/// when it is, or lies behind, a symlink below the root.
pub fn read_in(root: &Path, path: &Path) -> Result<String> {
    no_symlinks(root, path)?;
    read_to_string(path).map_err(Error::io(path))
}

/// [`read_in`], with `None` when the file does not exist (a template the repository may
/// override or not).
pub fn read_text(root: &Path, path: &Path) -> Result<Option<String>> {
    no_symlinks(root, path)?;
    match read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
}

/// Whether `path` names a temp file of the tool's writes: `Some(pid)` for `.NAME.PID.tmp`,
/// `Some(None)` for another `.NAME.tmp`, `None` for any other name. Such a file is never the
/// truth: `doctor` removes it once its writer is gone, and a sync never commits it.
pub fn temp_pid(path: &Path) -> Option<Option<u32>> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    if stem.is_empty() {
        return None;
    }
    Some(stem.rsplit_once('.').and_then(|(_, pid)| pid.parse().ok()))
}

/// A fresh temp file beside `path`: a stale one of the same name is removed first (a link
/// is removed, never followed), and the new one is made with `O_EXCL`, which never follows.
fn temp_beside(path: &Path) -> std::io::Result<(PathBuf, File)> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let file = nofollow().write(true).create_new(true).open(&tmp)?;
    Ok((tmp, file))
}

/// Writes `bytes` to `path` so that no reader ever sees half of them, and they survive a
/// crash. The rename replaces a symlink at `path` rather than writing through it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut tmp = None;
    let mut write = || -> std::io::Result<()> {
        let (name, mut f) = temp_beside(path)?;
        let name = tmp.insert(name);
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(name, path)?;
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        if let Some(tmp) = &tmp {
            let _ = std::fs::remove_file(tmp);
        }
        Error::io(path)(e)
    })
}

/// Many new files made durable together: a clone catching up on thousands of incidents would
/// otherwise pay two fsyncs a file. Each is written to a temp file beside its place, then one
/// flush of the file system makes them all durable, then each is linked into place (never
/// over a file that appeared meanwhile: those are handed back), then one more flush makes
/// the names durable. As safe as [`write_atomic`] file by file: no name ever points at data
/// that is not on disk.
pub struct NewFiles {
    staged: Vec<(PathBuf, PathBuf)>,
    dirs: std::collections::BTreeSet<PathBuf>,
    /// Files written in place ([`NewFiles::stage_in_place`]).
    in_place: Vec<PathBuf>,
}

impl NewFiles {
    pub fn new() -> NewFiles {
        NewFiles { staged: Vec::new(), dirs: std::collections::BTreeSet::new(), in_place: Vec::new() }
    }

    fn make_dir(&mut self, path: &Path) -> Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        if !self.dirs.contains(dir) {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
            self.dirs.insert(dir.to_path_buf());
        }
        Ok(())
    }

    /// Writes `bytes` straight at `path`, which must not exist (`Ok(false)`, nothing written,
    /// when it does). For a format whose reader takes a cut-off file for what it is (an event
    /// log: a torn last line is skipped and repaired), so the temp file and link are saved;
    /// it is durable once [`NewFiles::commit`] returns.
    pub fn stage_in_place(&mut self, path: &Path, bytes: &[u8]) -> Result<bool> {
        self.make_dir(path)?;
        let mut f = match nofollow().write(true).create_new(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(Error::io(path)(e)),
        };
        self.in_place.push(path.to_path_buf());
        f.write_all(bytes).map_err(Error::io(path))?;
        Ok(true)
    }

    /// Writes `bytes` for `path` (folders made as needed); nothing is at `path` yet.
    pub fn stage(&mut self, path: &Path, bytes: &[u8], executable: bool) -> Result<()> {
        self.make_dir(path)?;
        let (tmp, mut f) = temp_beside(path).map_err(Error::io(path))?;
        self.staged.push((tmp.clone(), path.to_path_buf()));
        f.write_all(bytes).map_err(Error::io(&tmp))?;
        if executable {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o755)).map_err(Error::io(&tmp))?;
        }
        Ok(())
    }

    /// Makes every staged file durable and visible at its place. Returns the places where a
    /// file appeared since they were staged (nothing was written there): the caller decides.
    pub fn commit(mut self, root: &Path) -> Result<Vec<PathBuf>> {
        if self.staged.is_empty() && self.in_place.is_empty() {
            return Ok(Vec::new());
        }
        let written = self
            .staged
            .iter()
            .map(|(tmp, _)| tmp.as_path())
            .chain(self.in_place.iter().map(PathBuf::as_path));
        flush(root, written.chain(self.dirs.iter().map(PathBuf::as_path)))?;
        if self.staged.is_empty() {
            return Ok(Vec::new()); // in place: that one flush made data and names durable
        }
        let mut taken = Vec::new();
        for (tmp, path) in std::mem::take(&mut self.staged) {
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => taken.push(path),
                Err(e) => return Err(Error::io(&path)(e)),
            }
        }
        flush(root, self.dirs.iter().map(PathBuf::as_path))?;
        Ok(taken)
    }
}

impl Default for NewFiles {
    fn default() -> NewFiles {
        NewFiles::new()
    }
}

impl Drop for NewFiles {
    /// Staged files never committed (an error on the way) leave no temp file behind.
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Makes everything written under `root` durable: one `syncfs` of its file system on Linux;
/// elsewhere each of `paths` (files, or folders for their entries) is fsynced.
fn flush<'a>(root: &Path, paths: impl Iterator<Item = &'a Path>) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = paths;
        let dir = File::open(root).map_err(Error::io(root))?;
        // SAFETY: syncfs only reads the descriptor, which `dir` keeps open for the call.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(Error::io(root)(std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = root;
        for p in paths {
            File::open(p).and_then(|f| f.sync_all()).map_err(Error::io(p))?;
        }
        Ok(())
    }
}

/// Replaces a file by renaming a temp file over it, without fsync: for caches, which may be
/// lost in a crash but must never be seen half-written.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (tmp, mut f) = temp_beside(path)?;
    f.write_all(bytes).and_then(|()| std::fs::rename(&tmp, path)).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_below_the_root_are_refused_above_it_not() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("repo");
        let outside = t.path().join("outside");
        std::fs::create_dir_all(root.join("incidents/real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("incidents/evil")).unwrap();
        std::os::unix::fs::symlink(&root, t.path().join("link-to-repo")).unwrap();
        let refused = |p: &Path| matches!(no_symlinks(&root, p), Err(Error::Repo(RepoError::Symlink { .. })));
        assert!(refused(&root.join("incidents/evil/events.jsonl")));
        assert!(refused(&root.join("incidents/evil")));
        assert!(refused(&root.join("incidents/real/../evil/x")));
        assert!(!refused(&root.join("incidents/real/events.jsonl")));
        assert!(!refused(&root.join("incidents/new/events.jsonl")));
        assert!(!refused(&outside.join("x")), "outside the repository is the user's choice");
        // The root reached through a link of the user's is still the root.
        let linked_root = t.path().join("link-to-repo");
        assert!(no_symlinks(&linked_root, &linked_root.join("incidents/real")).is_ok());
        assert!(matches!(
            no_symlinks(&linked_root, &linked_root.join("incidents/evil/x")),
            Err(Error::Repo(RepoError::Symlink { .. }))
        ));
    }

    #[test]
    fn writes_replace_a_link_and_never_write_through_it() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("target");
        std::fs::write(&target, "outside").unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(read(&link).map_err(Error::io(&link)), Err(Error::Repo(RepoError::Symlink { .. }))));
        // A planted temp file name is removed, not followed.
        std::os::unix::fs::symlink(&target, t.path().join(format!(".cache.{}.tmp", std::process::id())))
            .unwrap();
        replace(&t.path().join("cache"), b"mine").unwrap();
        write_atomic(&link, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "outside");
        assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    }
}

//! The door a remote's history comes through: every commit a sync would bring in, checked
//! before anything of it is written (see `safe_path` for what a path may be). One hostile
//! entry refuses the whole history behind it, so a fast-forward, a merge and the first sync
//! of a fresh clone all stop at the same place, with the same words.

use std::collections::HashSet;

use git2::{Oid, Repository, Sort, Tree};

use crate::error::{Result, SyncError, SystemError};
use crate::safe_path::{self, Refusal};

/// Checks every commit reachable from `theirs` and not from `ours`, oldest first; each tree
/// object once (the names and modes a tree holds do not depend on where it hangs), so a
/// history of thousands of commits sharing most of their trees costs what its distinct trees
/// cost. `upstream` names the remote's branch in the refusal.
pub(super) fn incoming(repo: &Repository, ours: Option<Oid>, theirs: Oid, upstream: &str) -> Result<()> {
    let git = |doing: &'static str| move |e| SystemError::Git { doing: doing.into(), source: e };
    let mut walk = repo.revwalk().map_err(git("walking the incoming history"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).map_err(git("walking the incoming history"))?;
    walk.push(theirs).map_err(git("walking the incoming history"))?;
    if let Some(ours) = ours {
        walk.hide(ours).map_err(git("walking the incoming history"))?;
    }
    let mut seen = HashSet::new();
    for oid in walk {
        let oid = oid.map_err(git("walking the incoming history"))?;
        let commit = repo.find_commit(oid).map_err(git("reading an incoming commit"))?;
        let tree = commit.tree().map_err(git("reading an incoming tree"))?;
        if let Err((path, why)) = check_tree(repo, &tree, &mut seen) {
            return Err(SyncError::RefusedCommit {
                commit: short(oid),
                upstream: upstream.to_string(),
                path,
                why: why.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

/// The first refused entry below `tree`, as a path from it and why. Trees already in `seen`
/// were checked (and passed) before.
fn check_tree(
    repo: &Repository,
    tree: &Tree,
    seen: &mut HashSet<Oid>,
) -> std::result::Result<(), (String, Refusal)> {
    if !seen.insert(tree.id()) {
        return Ok(());
    }
    for entry in tree.iter() {
        let name = entry.name_bytes();
        let mode = u32::try_from(entry.filemode_raw()).unwrap_or(u32::MAX);
        let shown = || String::from_utf8_lossy(name).into_owned();
        if let Err(why) = safe_path::check_entry(name, mode) {
            // A refused folder is named with the first file below it: `.git/hooks/pre-push`
            // says what the commit was after better than `.git` does.
            let below = (mode == safe_path::TREE)
                .then(|| repo.find_tree(entry.id()).ok().and_then(|t| first_file(repo, &t, 8)))
                .flatten();
            return Err((below.map_or_else(shown, |b| format!("{}/{b}", shown())), why));
        }
        if mode == safe_path::TREE {
            let sub = repo.find_tree(entry.id()).map_err(|_| (shown(), Refusal::UnknownMode(mode)))?;
            check_tree(repo, &sub, seen).map_err(|(below, why)| (format!("{}/{below}", shown()), why))?;
        }
    }
    Ok(())
}

/// The path of the first file below `tree`, looking at most `depth` folders down.
fn first_file(repo: &Repository, tree: &Tree, depth: usize) -> Option<String> {
    let entry = tree.iter().next()?;
    let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
    if u32::try_from(entry.filemode_raw()).ok() != Some(safe_path::TREE) {
        return Some(name);
    }
    let sub = repo.find_tree(entry.id()).ok().filter(|_| depth > 0)?;
    Some(format!("{name}/{}", first_file(repo, &sub, depth - 1)?))
}

/// A commit as people quote it.
fn short(oid: Oid) -> String {
    crate::ui::cut(&oid.to_string(), 10).to_string()
}

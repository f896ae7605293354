//! What a remote's tree does to the record that a merge must not follow blindly, found before
//! the working tree is touched: an event log turned into a folder (no file can be written
//! where a folder is, and the log must never be lost), and an incident folder renamed (which a
//! merge that never removes a log would turn into two identical incidents).

use std::collections::HashMap;
use std::path::Path;

use git2::{Commit, Index, ObjectType, Oid, Repository, Signature, Tree, TreeWalkMode, TreeWalkResult};

use super::sync::{LOG, REJECTED, entry, incident_file};
use crate::error::{Error, Result};
use crate::events;

fn git_err(doing: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    Error::git(doing)
}

fn kind_at(tree: &Tree, path: &str) -> Option<ObjectType> {
    tree.get_path(Path::new(path)).ok().and_then(|e| e.kind())
}

/// The record's paths `theirs` turned into another kind of entry than `ours` has: `incidents`
/// or an incident's folder made a file, a log or `rejected.jsonl` made a folder. When there are
/// any, a commit on top of `theirs` puts ours back at each (the log as this clone had it), so
/// the sync goes on from that commit and its push mends the remote; the paths are returned
/// with it.
pub(super) fn wrong_kinds(
    repo: &Repository,
    ours: &Tree,
    theirs: &Commit,
    upstream: &str,
    sig: &Signature,
) -> Result<Option<(Oid, Vec<String>)>> {
    let theirs_tree = theirs.tree().map_err(git_err("reading an incoming tree"))?;
    let mut wrong: Vec<String> = Vec::new();
    let Ok(incidents) = ours.get_path(Path::new("incidents")) else { return Ok(None) };
    if incidents.kind() != Some(ObjectType::Tree) {
        return Ok(None);
    }
    match kind_at(&theirs_tree, "incidents") {
        Some(ObjectType::Tree) | None => {
            let ours_incidents = repo.find_tree(incidents.id()).map_err(git_err("reading a tree"))?;
            for e in ours_incidents.iter().filter(|e| e.kind() == Some(ObjectType::Tree)) {
                let Ok(name) = e.name() else { continue };
                let dir = format!("incidents/{name}");
                match kind_at(&theirs_tree, &dir) {
                    Some(ObjectType::Tree) | None => {}
                    Some(_) => {
                        wrong.push(dir);
                        continue;
                    }
                }
                for file in [LOG, REJECTED] {
                    let path = format!("{dir}/{file}");
                    let theirs_kind = kind_at(&theirs_tree, &path);
                    if kind_at(ours, &path) == Some(ObjectType::Blob)
                        && theirs_kind.is_some_and(|k| k != ObjectType::Blob)
                    {
                        wrong.push(path);
                    }
                }
            }
        }
        Some(_) => wrong.push("incidents".into()),
    }
    if wrong.is_empty() {
        return Ok(None);
    }
    let mut index = Index::new().map_err(git_err("making an index"))?;
    index.read_tree(&theirs_tree).map_err(git_err("reading an incoming tree"))?;
    for path in &wrong {
        let _ = index.remove_dir(Path::new(path), 0);
        let _ = index.remove_path(Path::new(path));
        put_back(repo, &mut index, ours, path)?;
    }
    let tree_id = index.write_tree_to(repo).map_err(git_err("writing the mended tree"))?;
    let tree = repo.find_tree(tree_id).map_err(git_err("reading the mended tree"))?;
    let message =
        format!("sync: mend {} from {upstream} (the record's files put back as they were)", wrong.join(", "));
    let message = crate::ui::visible(&message).into_owned();
    let oid =
        repo.commit(None, sig, sig, &message, &tree, &[theirs]).map_err(git_err("committing the mend"))?;
    Ok(Some((oid, wrong)))
}

/// Every file of `ours` at or below `path`, into `index`.
fn put_back(repo: &Repository, index: &mut Index, ours: &Tree, path: &str) -> Result<()> {
    let Ok(at) = ours.get_path(Path::new(path)) else { return Ok(()) };
    let mut files: Vec<(String, Oid, u32)> = Vec::new();
    match at.kind() {
        Some(ObjectType::Blob) => files.push((path.to_string(), at.id(), at.filemode() as u32)),
        Some(ObjectType::Tree) => {
            let tree = repo.find_tree(at.id()).map_err(git_err("reading a tree"))?;
            tree.walk(TreeWalkMode::PreOrder, |root, e| {
                if e.kind() == Some(ObjectType::Blob)
                    && let Ok(name) = e.name()
                {
                    files.push((format!("{path}/{root}{name}"), e.id(), e.filemode() as u32));
                }
                TreeWalkResult::Ok
            })
            .map_err(git_err("reading a tree"))?;
        }
        _ => {}
    }
    for (file, id, mode) in files {
        let size = repo.find_blob(id).map(|b| b.size()).unwrap_or(0);
        index.add(&entry(&file, id, size, mode)).map_err(git_err(format!("putting back {file}")))?;
    }
    Ok(())
}

/// Incidents whose folder `to` renamed: a log `from` has and `to` lacks, whose `opened` event
/// opens a log `to` adds. `(old id, new id)`, sorted.
pub(super) fn renames(repo: &Repository, from: &Tree, to: &Tree) -> Result<Vec<(String, String)>> {
    let diff = repo.diff_tree_to_tree(Some(from), Some(to), None).map_err(git_err("comparing trees"))?;
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for delta in diff.deltas() {
        let (old, new) = (delta.old_file(), delta.new_file());
        let log_of = |f: &git2::DiffFile| {
            let p = f.path()?.to_str()?;
            incident_file(p).filter(|(_, file)| *file == LOG).map(|(id, _)| (id.to_string(), f.id()))
        };
        match (old.exists(), new.exists()) {
            (true, false) => removed.extend(log_of(&old)),
            (false, true) => added.extend(log_of(&new)),
            _ => {}
        }
    }
    if removed.is_empty() || added.is_empty() {
        return Ok(Vec::new());
    }
    let opened = |oid: Oid| -> Option<String> {
        let blob = repo.find_blob(oid).ok()?;
        events::parse(blob.content())
            .events
            .into_iter()
            .find(|e| matches!(e.body, events::Body::Opened { .. }))
            .map(|e| e.id)
    };
    let by_opening: HashMap<String, String> =
        added.into_iter().filter_map(|(id, oid)| Some((opened(oid)?, id))).collect();
    let mut out: Vec<(String, String)> = removed
        .into_iter()
        .filter_map(|(id, oid)| Some((id, by_opening.get(&opened(oid)?)?.clone())))
        .collect();
    out.sort();
    Ok(out)
}

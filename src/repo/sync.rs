//! git's half of `incident sync`, in-process through git2: committing what is
//! pending, knowing where the remote stands, and merging it in. The network step is the
//! user's own `git` (the `sync` module, a few layers up); everything here works offline.
//!
//! Why not `git merge`: responders keep appending to the event logs while a sync runs, and
//! git refuses to merge into a file with local changes. Here the working tree is brought to
//! the merge's result file by file, and an event log only ever grows: the lines the merge
//! brings are appended under the log's lock (`events::merge_into`), so a writer racing the
//! sync loses nothing and its lines go with the next sync.

use std::path::Path;

use git2::{
    Commit, ErrorCode, Index, IndexConflict, IndexEntry, IndexTime, Oid, Repository, RepositoryState,
    StatusOptions, Tree,
};

use chrono::{DateTime, Utc};

use super::{Repo, signature};
use crate::error::{Error, Result, SyncError, SystemError};
use crate::events;

/// A path a checkout writes: its repository path, where it is on disk, its new content
/// (`None`: removed) and its mode.
type Planned = (String, std::path::PathBuf, Option<Vec<u8>>, git2::FileMode);

/// Where a branch syncs to: `branch.<name>.remote` and `.merge` when set (as `git pull`
/// reads them), else `origin` (or the only remote) and the branch of the same name.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub remote: String,
    /// The local branch, e.g. `main`.
    pub branch: String,
    /// The remote's branch, e.g. `refs/heads/main`.
    pub merge_ref: String,
    /// Where `git fetch` leaves it, e.g. `refs/remotes/origin/main`.
    pub tracking: String,
    /// Whether the branch already names its upstream (else the first push sets it).
    pub configured: bool,
}

impl Upstream {
    /// `origin/main`, as people say it.
    pub fn name(&self) -> String {
        let short = self.merge_ref.strip_prefix("refs/heads/").unwrap_or(&self.merge_ref);
        format!("{}/{short}", self.remote)
    }
}

/// Where this clone stands against its remote, for `status`, from what is on disk: no
/// network. [`Repo::standing`] tells git's part; the `sync` module adds its record of the last
/// sync ([`Standing::with_last`]).
#[derive(Debug, serde::Serialize)]
pub struct Standing {
    /// The remote branch, e.g. `origin/main`.
    pub remote: String,
    /// Whether the remote has the branch, as far as the last fetch knows. When not, `ahead`
    /// counts the commits no remote branch has, and `behind` is 0.
    pub on_remote: bool,
    /// Commits not yet pushed / not yet merged, as of the last fetch.
    pub ahead: usize,
    pub behind: usize,
    /// Events of the incident shown that are not yet committed (the next sync shares them).
    pub unsynced_events: usize,
    pub last_synced: Option<DateTime<Utc>>,
    /// The last sync, when it failed (after `last_synced`, if any).
    pub last_failed: Option<Failure>,
    /// Nothing to share either way as far as the last fetch knows, no event waiting, and the
    /// last sync did not fail: the only case `status` calls the clone in step.
    pub in_step: bool,
}

/// A sync that did not finish: when, and why in one line.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub at: DateTime<Utc>,
    pub reason: String,
}

impl Standing {
    /// With the last successful sync and the failure since, if any: a failed sync means the
    /// clone is not in step, whatever git says.
    pub fn with_last(self, last_synced: Option<DateTime<Utc>>, last_failed: Option<Failure>) -> Standing {
        let in_step = self.in_step && last_failed.is_none();
        Standing { last_synced, last_failed, in_step, ..self }
    }
}

/// What a merge of the remote's branch did.
#[derive(Debug)]
pub enum Merged {
    /// Nothing new on the remote.
    UpToDate,
    /// The remote had everything we had and more: we moved to its commit.
    FastForward(Incoming),
    /// Both sides had something new: a merge commit joins them.
    Merge(Incoming),
}

/// What the remote brought into the working tree.
#[derive(Debug, Default)]
pub struct Incoming {
    /// Per incident, the events appended to its log.
    pub events: Vec<(String, usize)>,
    /// Other files written or removed.
    pub files: Vec<String>,
    /// The incidents whose logs changed (their caches must go).
    pub logs: Vec<String>,
    /// Incidents each side had opened on its own (one title, one day, one id), now one.
    pub opened_twice: Vec<String>,
    /// Per incident, the incoming lines set aside in its `rejected.jsonl` instead of joining
    /// its log (over a limit, or an id both sides hold with other content).
    pub set_aside: Vec<(String, events::SetAside)>,
    /// The record's paths the remote turned into another kind of entry (a log made a folder),
    /// put back by a commit on top of the remote's.
    pub mended: Vec<String>,
    /// Incident folders the remote renamed, `(old id, new id)`: this clone's events of the
    /// old one moved into the new one.
    pub renamed: Vec<(String, String)>,
}

/// A postmortem both sides had, handed to the layer that can render one: the merged log, the
/// three versions of the file, and how conflict markers name the two sides. It answers the
/// re-rendered text, or a [`RerenderConflict`].
pub struct Rerender<'a> {
    pub id: &'a str,
    pub log: &'a [u8],
    pub base: Option<&'a str>,
    pub ours: Option<&'a str>,
    pub theirs: Option<&'a str>,
    /// Our side in conflict markers: `HEAD`, as `git merge` writes it.
    pub ours_label: &'a str,
    /// Their side in conflict markers: the upstream, e.g. `origin/main`.
    pub theirs_label: &'a str,
}

/// Hand-edited blocks both sides changed differently: their names, and the file a person
/// finishes the merge from (the render of the merged log with both sides between markers in
/// each of those blocks). `text` is `None` when there was nothing to render from; the file
/// is then git's line merge of the two sides.
#[derive(Debug)]
pub struct RerenderConflict {
    pub blocks: Vec<String>,
    pub text: Option<String>,
}

pub type Renderer<'r> = dyn FnMut(&Rerender) -> Result<std::result::Result<String, RerenderConflict>> + 'r;

/// Our side in conflict markers, as `git merge` names it.
pub const OURS_LABEL: &str = "HEAD";

pub(super) const LOG: &str = "events.jsonl";
pub(super) const REJECTED: &str = "rejected.jsonl";

/// How many times reading the working tree's status is tried again when a file changed under
/// it (see [`Repo::commit_pending`]).
const STATUS_TRIES: u32 = 10;
const POSTMORTEM: &str = "postmortem.md";

/// `incidents/<id>/<file>` → `(id, file)`.
pub(super) fn incident_file(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("incidents/")?;
    let (id, file) = rest.split_once('/')?;
    (!file.contains('/')).then_some((id, file))
}

fn is_log(path: &str) -> bool {
    incident_file(path).is_some_and(|(_, f)| f == LOG)
}

/// The files that are the record: an incident's log, its set-aside lines and its postmortem,
/// and the changes. Shared by every sync, whatever `.gitignore` says.
fn is_record(path: &str) -> bool {
    incident_file(path).is_some_and(|(_, f)| [LOG, REJECTED, POSTMORTEM].contains(&f))
        || path.strip_prefix("changes/").is_some_and(|f| !f.contains('/') && f.ends_with(".jsonl"))
}

/// `incidents/<id>/rejected.jsonl` (and the changes logs' `changes/rejected.jsonl`): lines
/// kept aside, only ever grown, merged as a union.
fn is_rejected(path: &str) -> bool {
    incident_file(path).is_some_and(|(_, f)| f == REJECTED) || path == CHANGES_REJECTED
}

/// `changes/<yyyy-mm>.jsonl`: a log of changes, merged as an event log is (a union by id).
fn is_changes_log(path: &str) -> bool {
    super::is_changes_log(path)
}

/// The lines set aside from a changes log are kept here.
const CHANGES_REJECTED: &str = "changes/rejected.jsonl";

/// What the lines set aside from the changes logs are reported under, where an incident's are
/// under its id (never one: it holds a slash).
pub const CHANGES_KEY: &str = "changes/";

/// Where lines set aside under `key` (an incident id, or [`CHANGES_KEY`]) are kept.
fn rejected_of(key: &str) -> String {
    if key == CHANGES_KEY { CHANGES_REJECTED.to_string() } else { format!("incidents/{key}/{REJECTED}") }
}

fn git_err(doing: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    super::git_error(doing)
}

impl Repo {
    /// Something a person started in git and has not finished, with what to do about it.
    pub fn unfinished(&self) -> Result<Option<(&'static str, &'static str)>> {
        let repo = self.git()?;
        Ok(match repo.state() {
            RepositoryState::Clean => None,
            RepositoryState::Merge => Some((
                "a merge",
                "resolve the conflicts, `git add` the files and `git commit` (or `git merge --abort`)",
            )),
            RepositoryState::Rebase | RepositoryState::RebaseInteractive | RepositoryState::RebaseMerge => {
                Some(("a rebase", "finish it with `git rebase --continue` (or `git rebase --abort`)"))
            }
            RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => {
                Some(("a `git am`", "finish it with `git am --continue` (or `git am --abort`)"))
            }
            RepositoryState::CherryPick | RepositoryState::CherryPickSequence => Some((
                "a cherry-pick",
                "finish it with `git cherry-pick --continue` (or `git cherry-pick --abort`)",
            )),
            RepositoryState::Revert | RepositoryState::RevertSequence => {
                Some(("a revert", "finish it with `git revert --continue` (or `git revert --abort`)"))
            }
            RepositoryState::Bisect => Some(("a bisect", "end it with `git bisect reset`")),
        })
    }

    /// Refuses to write history over something a person has not finished.
    pub fn require_finished(&self) -> Result<()> {
        match self.unfinished()? {
            Some((what, hint)) => Err(SyncError::UnfinishedGit { what, hint }.into()),
            None => Ok(()),
        }
    }

    /// The branch checked out and where it syncs to.
    pub fn upstream(&self) -> Result<Upstream> {
        upstream_of(&self.git()?)
    }

    /// Where this clone stands, for `status`, with one open of the repository: its upstream,
    /// commits ahead and behind as of the last fetch (`None` before the first), and the
    /// events of `id` not yet committed.
    pub fn standing(&self, id: Option<&str>) -> Result<Standing> {
        let repo = self.git()?;
        let up = upstream_of(&repo)?;
        let counts = ahead_behind_of(&repo, &up)?;
        let (ahead, behind) = match counts {
            Some(counts) => counts,
            None => (unpushed_of(&repo)?, 0),
        };
        let unsynced_events = match id {
            Some(id) => self.unsynced_of(&repo, id)?,
            None => 0,
        };
        let on_remote = counts.is_some();
        Ok(Standing {
            remote: up.name(),
            on_remote,
            ahead,
            behind,
            unsynced_events,
            last_synced: None,
            last_failed: None,
            in_step: on_remote && ahead == 0 && behind == 0 && unsynced_events == 0,
        })
    }

    /// Commits everything pending in the working tree (as `git add -A && git commit`), with a
    /// message saying what changed. An event log is committed up to its last complete line:
    /// a line being written (or torn by a crash) never reaches history. `None` when nothing
    /// was pending.
    pub fn commit_pending(&self, as_flag: Option<&str>) -> Result<Option<(Oid, String)>> {
        let repo = self.git()?;
        let mut index = repo.index().map_err(git_err("reading the index"))?;
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(true)
            .recurse_ignored_dirs(true)
            .exclude_submodules(true);
        // libgit2 hashes a changed file to compare it with the index, and fails when the file
        // grows while it reads ("error reading file for hashing"): responders keep appending
        // to the logs during a sync. A few quick tries get a moment between two appends.
        let mut tries = 0;
        let statuses = loop {
            match repo.statuses(Some(&mut opts)) {
                Ok(s) => break s,
                Err(e)
                    if tries < STATUS_TRIES
                        && matches!(e.class(), git2::ErrorClass::Os | git2::ErrorClass::Filesystem) =>
                {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20 * tries as u64));
                }
                Err(e) => {
                    return Err(git_err("reading the working tree's status")(e));
                }
            }
        };
        let changed = git2::Status::WT_NEW
            | git2::Status::WT_MODIFIED
            | git2::Status::WT_TYPECHANGE
            | git2::Status::WT_RENAMED;
        for entry in statuses.iter() {
            let Ok(path) = entry.path() else { continue };
            let status = entry.status();
            if status.contains(git2::Status::WT_DELETED) {
                index.remove_path(Path::new(path)).map_err(git_err(format!("removing {path}")))?;
                continue;
            }
            // A write in progress (or one a kill interrupted) is never shared, whatever the
            // repository's .gitignore says; the record is always shared, whatever it says (a
            // teammate's `.gitignore` naming `incidents/` must not stop a clone sharing).
            if crate::fsutil::temp_pid(Path::new(path)).is_some() {
                continue;
            }
            let ignored = status.contains(git2::Status::IGNORED);
            if (ignored && is_record(path)) || (!ignored && status.intersects(changed)) {
                self.stage(&repo, &mut index, path)?;
            }
        }
        index.write().map_err(git_err("writing the index"))?;
        let tree_id = index.write_tree().map_err(git_err("writing the tree"))?;
        let parent = head_commit(&repo)?;
        if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
            return Ok(None);
        }
        let tree = repo.find_tree(tree_id).map_err(git_err("reading the tree"))?;
        let message =
            describe_changes(&repo, parent.as_ref().map(Commit::tree).transpose().ok().flatten(), &tree)?;
        let sig = signature(&repo, as_flag)?;
        let parents: Vec<&Commit> = parent.iter().collect();
        let oid = repo
            .commit(Some("HEAD"), &sig, &sig, &message, &tree, &parents)
            .map_err(git_err("committing"))?;
        Ok(Some((oid, message)))
    }

    /// Puts one working-tree file in the index: an event log up to its last complete line,
    /// anything else as git would. A symlinked log is never read through.
    pub(super) fn stage(&self, repo: &Repository, index: &mut Index, path: &str) -> Result<()> {
        let full = self.root.join(path);
        let is_link = std::fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_symlink());
        if (is_log(path) || is_changes_log(path)) && !is_link {
            crate::fsutil::no_symlinks(&self.root, &full)?;
            let bytes = crate::fsutil::read(&full).map_err(Error::io(&full))?;
            let complete = events::complete_prefix(&bytes);
            let oid = repo.blob(complete).map_err(git_err(format!("storing {path}")))?;
            index.add(&entry(path, oid, complete.len(), 0o100_644)).map_err(git_err(format!("adding {path}")))
        } else {
            index.add_path(Path::new(path)).map_err(git_err(format!("adding {path}")))
        }
    }

    /// Commits ahead of and behind the remote's branch as of the last fetch; `None` before
    /// the first fetch.
    pub fn ahead_behind(&self, up: &Upstream) -> Result<Option<(usize, usize)>> {
        ahead_behind_of(&self.git()?, up)
    }

    /// Events in the working log of `id` that are not in the last commit: what the next sync
    /// will share. Reads only the bytes past the committed length.
    pub fn unsynced_events(&self, id: &str) -> Result<usize> {
        self.unsynced_of(&self.git()?, id)
    }

    fn unsynced_of(&self, repo: &Repository, id: &str) -> Result<usize> {
        use std::io::{Read, Seek, SeekFrom};
        let rel = format!("incidents/{id}/{LOG}");
        let committed = match head_commit(repo)? {
            Some(c) => {
                let tree = c.tree().map_err(git_err("reading HEAD's tree"))?;
                tree.get_path(Path::new(&rel))
                    .ok()
                    .and_then(|e| repo.find_blob(e.id()).ok())
                    .map_or(0, |b| b.size())
            }
            None => 0,
        };
        let path = self.root.join(&rel);
        let Ok(mut file) = std::fs::File::open(&path) else { return Ok(0) };
        let len = file.metadata().map_err(Error::io(&path))?.len();
        if len <= committed as u64 {
            return Ok(0);
        }
        file.seek(SeekFrom::Start(committed as u64)).map_err(Error::io(&path))?;
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).map_err(Error::io(&path))?;
        Ok(rest.iter().filter(|b| **b == b'\n').count())
    }

    /// Merges the remote's branch (as last fetched) into ours. Event logs merge as
    /// the union of their events; a postmortem both sides changed is re-rendered by `render`
    /// from the merged log; anything else git cannot merge, or hand-edited blocks both sides
    /// changed, stops with [`SyncError::SyncConflict`], the merge left in progress as `git merge`
    /// leaves it: `MERGE_HEAD` set, both versions in the index and between markers in the
    /// file, every other path already merged.
    pub fn merge_upstream(
        &self,
        up: &Upstream,
        as_flag: Option<&str>,
        render: &mut Renderer,
    ) -> Result<Merged> {
        let repo = self.git()?;
        let Ok(theirs_id) = repo.refname_to_id(&up.tracking) else { return Ok(Merged::UpToDate) };
        let mut theirs = repo.find_commit(theirs_id).map_err(git_err(format!("reading {}", up.name())))?;
        let now = Utc::now();
        let ours = head_commit(&repo)?;
        if ours.as_ref().map(Commit::id) == Some(theirs_id) {
            return Ok(Merged::UpToDate);
        }
        // Nothing of the remote's is written before all of it is known to be safe to write.
        super::vet::incoming(&repo, ours.as_ref().map(Commit::id), theirs_id, &up.name())?;
        let Some(ours) = ours else {
            // A fresh repository: take the remote's history as it is.
            return Ok(Merged::FastForward(self.fast_forward(&repo, up, None, &theirs, now)?));
        };
        if ours.id() == theirs_id
            || repo.graph_descendant_of(ours.id(), theirs_id).map_err(git_err("walking history"))?
        {
            return Ok(Merged::UpToDate);
        }
        let ours_tree = ours.tree().map_err(git_err("reading HEAD's tree"))?;
        // A log the remote made a folder (or the like) is put back by a commit on top of the
        // remote's, and the sync goes on from there: nothing is stuck, nothing lost.
        let mut mended = Vec::new();
        if let Some((oid, paths)) =
            super::mend::wrong_kinds(&repo, &ours_tree, &theirs, &up.name(), &signature(&repo, as_flag)?)?
        {
            theirs = repo.find_commit(oid).map_err(git_err("reading the mended commit"))?;
            mended = paths;
        }
        if repo.graph_descendant_of(theirs.id(), ours.id()).map_err(git_err("walking history"))? {
            let mut incoming = self.fast_forward(&repo, up, Some(&ours_tree), &theirs, now)?;
            incoming.mended = mended;
            return Ok(Merged::FastForward(incoming));
        }
        let merging = Merging::new(&repo, &ours, &theirs, ours_tree, up.name(), now)?;
        let mut incoming = self.merge_diverged(&merging, as_flag, render)?;
        incoming.mended = mended;
        Ok(Merged::Merge(incoming))
    }

    /// Moves the branch to `theirs`, which holds all of ours (`from`, our tree, when there is
    /// one), with the working tree and the index.
    fn fast_forward(
        &self,
        repo: &Repository,
        up: &Upstream,
        from: Option<&Tree>,
        theirs: &Commit,
        now: DateTime<Utc>,
    ) -> Result<Incoming> {
        let tree = theirs.tree().map_err(git_err("reading a tree"))?;
        let incoming = self.checkout(repo, from, &tree, now)?;
        let branch_ref = format!("refs/heads/{}", up.branch);
        repo.reference(&branch_ref, theirs.id(), true, "incident sync: fast-forward")
            .map_err(git_err("moving the branch"))?;
        reset_index(repo, &tree)?;
        Ok(incoming)
    }

    /// Joins two histories that both moved, in three steps: the event logs as the union of
    /// their events, the postmortems re-rendered from the merged logs, then what is still in
    /// conflict. With no conflict the merge is committed; else it is left for a person.
    fn merge_diverged(&self, m: &Merging, as_flag: Option<&str>, render: &mut Renderer) -> Result<Incoming> {
        let mut index = m
            .repo
            .merge_commits(m.ours, m.theirs, None)
            .map_err(git_err(format!("merging {}", m.theirs_label)))?;
        let logs = m.union_logs(&mut index)?;
        let (mut conflicts, rendered_conflicts) = m.rerender_postmortems(&mut index, &logs, render)?;
        settle_derived(&mut index)?;
        collect_conflicts(&index, &mut conflicts)?;
        let message = format!("sync: merge {}", m.theirs_label);
        if !conflicts.is_empty() {
            conflicts.sort();
            let left = Left { theirs: m.theirs.id(), theirs_label: &m.theirs_label, message: &message };
            self.leave_conflicted_merge(m.repo, &m.ours_tree, &mut index, &left, &rendered_conflicts)?;
            return Err(SyncError::SyncConflict { merging: m.theirs_label.clone(), paths: conflicts }.into());
        }
        self.commit_merge(m, &mut index, logs, &message, as_flag)
    }

    /// A merge without conflicts: the working tree brought to it, then the merge commit.
    fn commit_merge(
        &self,
        m: &Merging,
        index: &mut Index,
        logs: Logs,
        message: &str,
        as_flag: Option<&str>,
    ) -> Result<Incoming> {
        let repo = m.repo;
        let tree_id = index.write_tree_to(repo).map_err(git_err("writing the merged tree"))?;
        let tree = repo.find_tree(tree_id).map_err(git_err("reading the merged tree"))?;
        let mut incoming = self.checkout(repo, Some(&m.ours_tree), &tree, m.now)?;
        incoming.opened_twice = logs.opened_twice;
        for a in logs.set_aside {
            if !incoming.set_aside.contains(&a) {
                incoming.set_aside.push(a);
            }
        }
        let sig = signature(repo, as_flag)?;
        let summary = describe_changes(repo, Some(m.ours_tree.clone()), &tree)?;
        let body = summary.strip_prefix("sync: ").unwrap_or(&summary);
        let full = format!("{message}: {body}");
        repo.commit(Some("HEAD"), &sig, &sig, &full, &tree, &[m.ours, m.theirs])
            .map_err(git_err("committing the merge"))?;
        reset_index(repo, &tree)?;
        Ok(incoming)
    }

    /// Brings the working tree from `from` to `to`. Event logs only grow
    /// ([`events::merge_into`]); any other file is written only if it still is what `from`
    /// has, so nothing a person changed since the commit is overwritten.
    fn checkout(
        &self,
        repo: &Repository,
        from: Option<&Tree>,
        to: &Tree,
        now: DateTime<Utc>,
    ) -> Result<Incoming> {
        let plan = self.plan_checkout(repo, from, to)?;
        let mut incoming = Incoming::default();
        let one_by_one = self.write_new_files(plan, now, &mut incoming)?;
        for planned in one_by_one {
            self.write_one(planned, now, &mut incoming)?;
        }
        if let Some(from) = from {
            self.follow_renames(repo, from, to, now, &mut incoming)?;
        }
        Ok(incoming)
    }

    /// Each path that differs from `from` to `to`, checked before anything is written: a safe
    /// path, no symlink, no symlink on the way, and (but for logs, which only grow) still as
    /// `from` has it or already as `to` has it.
    fn plan_checkout(&self, repo: &Repository, from: Option<&Tree>, to: &Tree) -> Result<Vec<Planned>> {
        let diff = repo.diff_tree_to_tree(from, Some(to), None).map_err(git_err("comparing trees"))?;
        let mut plan = Vec::new();
        for delta in diff.deltas() {
            let Some(path) = delta_path(&delta) else { continue };
            let path = path.to_string();
            // Every incoming commit was vetted before this (`vet::incoming`); the same rule
            // again on each path written keeps this function safe for any tree it is given.
            let refusal = match crate::safe_path::check_path(&path) {
                Err(why) => Some(why.to_string()),
                Ok(_) if delta.new_file().exists() && delta.new_file().mode() == git2::FileMode::Link => {
                    Some(crate::safe_path::Refusal::Symlink.to_string())
                }
                Ok(_) => None,
            };
            if let Some(why) = refusal {
                let (commit, upstream) = ("(the merge)".into(), "the remote".into());
                return Err(SyncError::RefusedCommit { commit, upstream, path, why }.into());
            }
            let full = self.root.join(&path);
            // What the remote brings is written only inside the repository: a symlink planted
            // on the way (an incident folder linked elsewhere) stops the sync before any write.
            crate::fsutil::no_symlinks(&self.root, full.parent().unwrap_or(&self.root))?;
            let new = delta.new_file().exists().then(|| side_bytes(repo, &delta.new_file()));
            if !is_log(&path) && !is_changes_log(&path) && !is_rejected(&path) {
                let on_disk = crate::fsutil::read(&full).ok();
                let expected = delta.old_file().exists().then(|| side_bytes(repo, &delta.old_file()));
                if on_disk != expected && on_disk != new {
                    return Err(SyncError::ChangedDuringSync { path }.into());
                }
            }
            plan.push((path, full, new, delta.new_file().mode()));
        }
        Ok(plan)
    }

    /// Writes the files not on disk yet (a clone catching up on thousands of incidents) and
    /// makes them durable together; returns the rest, to be written one by one.
    fn write_new_files(
        &self,
        plan: Vec<Planned>,
        now: DateTime<Utc>,
        incoming: &mut Incoming,
    ) -> Result<Vec<Planned>> {
        let mut batch = crate::fsutil::NewFiles::new();
        let mut staged = Vec::new();
        let mut one_by_one = Vec::new();
        for item in plan {
            let (path, full, new, mode) = &item;
            let absent =
                std::fs::symlink_metadata(full).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
            let bytes = match new {
                Some(bytes) if absent && !is_rejected(path) => bytes,
                _ => {
                    one_by_one.push(item);
                    continue;
                }
            };
            if is_log(path) || is_changes_log(path) {
                let joined = events::union_checked(bytes, b"", events::Incoming::First, now);
                if !joined.set_aside.is_empty() {
                    one_by_one.push(item);
                    continue;
                }
                if !batch.stage_in_place(full, &joined.bytes)? {
                    one_by_one.push(item); // appeared meanwhile: merged with what is there
                    continue;
                }
            } else {
                batch.stage(full, bytes, *mode == git2::FileMode::BlobExecutable)?;
            }
            staged.push(item);
        }
        let taken = batch.commit(&self.root)?;
        for item in staged {
            if taken.contains(&item.1) {
                one_by_one.push(item); // appeared meanwhile: merged with what is there
                continue;
            }
            let (path, _, new, _) = item;
            match incident_file(&path).filter(|(_, f)| *f == LOG) {
                Some((id, _)) => {
                    let added = new.as_deref().map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
                    if added > 0 {
                        incoming.events.push((id.to_string(), added));
                    }
                    incoming.logs.push(id.to_string());
                }
                None => incoming.files.push(path),
            }
        }
        Ok(one_by_one)
    }

    /// One planned path onto a disk that may already hold it: a log merged into what is
    /// there, set-aside lines only ever grown, any other file written or removed.
    fn write_one(
        &self,
        (path, full, new, mode): Planned,
        now: DateTime<Utc>,
        incoming: &mut Incoming,
    ) -> Result<()> {
        match new {
            Some(bytes) if is_log(&path) => {
                let (added, aside) = events::merge_into(&full, &bytes, now)?;
                let id = incident_file(&path).map(|(id, _)| id.to_string()).unwrap_or_default();
                if added > 0 {
                    incoming.events.push((id.clone(), added));
                }
                incoming.set_aside.extend(aside.into_iter().map(|a| (id.clone(), a)));
                incoming.logs.push(id);
            }
            Some(bytes) if is_changes_log(&path) => {
                // Joined as an event log is; what it sets aside goes to changes/rejected.jsonl.
                let (_, aside) = events::merge_into_as::<events::AnyRecord>(&full, &bytes, now)?;
                incoming.set_aside.extend(aside.into_iter().map(|a| (CHANGES_KEY.to_string(), a)));
                incoming.files.push(path);
            }
            Some(bytes) if is_rejected(&path) => {
                // Only ever grown: lines set aside here since the last commit stay.
                let on_disk = crate::fsutil::read(&full).unwrap_or_default();
                let both = events::union_raw(&on_disk, &bytes);
                if both != on_disk {
                    crate::fsutil::write_atomic(&full, &both)?;
                }
            }
            Some(bytes) => {
                if crate::fsutil::read(&full).ok().as_deref() != Some(bytes.as_slice()) {
                    crate::fsutil::write_atomic(&full, &bytes)?;
                }
                if mode == git2::FileMode::BlobExecutable {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755));
                }
                incoming.files.push(path);
            }
            None if !is_log(&path) && !is_changes_log(&path) && !is_rejected(&path) => {
                match std::fs::remove_file(&full) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(SystemError::Io { path: full, source: e }.into()),
                }
                incoming.files.push(path);
            }
            None => {} // an event log (or its set-aside lines) is never removed by a merge
        }
        Ok(())
    }

    /// Incident folders `to` renamed (a title fixed on another clone): the events logged
    /// here under the old name move into the new folder's log.
    fn follow_renames(
        &self,
        repo: &Repository,
        from: &Tree,
        to: &Tree,
        now: DateTime<Utc>,
        incoming: &mut Incoming,
    ) -> Result<()> {
        for (old, new) in super::mend::renames(repo, from, to)? {
            let old_log = self.root.join(format!("incidents/{old}/{LOG}"));
            let new_log = self.root.join(format!("incidents/{new}/{LOG}"));
            crate::fsutil::no_symlinks(&self.root, &old_log)?;
            let aside = events::move_into(&old_log, &new_log, now)?;
            incoming.set_aside.extend(aside.into_iter().map(|a| (new.clone(), a)));
            // Gone once empty; anything a person left in it stays, with it.
            let _ = std::fs::remove_dir(self.root.join(format!("incidents/{old}")));
            incoming.logs.push(old.clone());
            incoming.renamed.push((old, new));
        }
        Ok(())
    }

    /// A merge only a person can finish, left as `git merge` leaves one: each conflicted file
    /// holds both sides between markers labelled [`OURS_LABEL`] and the upstream, except the
    /// files in `rendered`, written as given (postmortems rendered from the merged log).
    fn leave_conflicted_merge(
        &self,
        repo: &Repository,
        ours_tree: &Tree,
        index: &mut Index,
        left: &Left,
        rendered: &[(String, Vec<u8>)],
    ) -> Result<()> {
        let Left { theirs, theirs_label, message } = *left;
        let conflicts: Vec<IndexConflict> =
            index.conflicts().map_err(git_err("reading conflicts"))?.flatten().collect();
        // Everything that merged goes to the working tree as it would have.
        let mut clean = Index::new().map_err(git_err("making an index"))?;
        for e in index.iter().filter(|e| stage_of(e) == STAGE_MERGED) {
            clean.add(&e).map_err(git_err("building the merged index"))?;
        }
        // Each conflicted path gets its file with both versions between markers, each side
        // named as `git merge` names it (not both by the file's path, libgit2's default).
        let mut labels = git2::MergeFileOptions::new();
        labels.our_label(OURS_LABEL).their_label(theirs_label);
        let mut marked = Vec::new();
        for c in &conflicts {
            let path = conflict_path(c);
            if let Some((_, text)) = rendered.iter().find(|(p, _)| *p == path) {
                marked.push((path, text.clone()));
                continue;
            }
            let content = match (&c.ancestor, &c.our, &c.their) {
                (_, Some(o), Some(t)) => repo
                    .merge_file_from_index(c.ancestor.as_ref().unwrap_or(o), o, t, Some(&mut labels))
                    .map(|r| r.content().to_vec())
                    .map_err(git_err(format!("marking the conflict in {path}")))?,
                (_, Some(one), None) | (_, None, Some(one)) => {
                    repo.find_blob(one.id).map(|b| b.content().to_vec()).map_err(git_err("reading a blob"))?
                }
                (_, None, None) => continue,
            };
            marked.push((path, content));
        }
        let merged_tree_id = clean.write_tree_to(repo).map_err(git_err("writing the merged tree"))?;
        let merged_tree = repo.find_tree(merged_tree_id).map_err(git_err("reading the merged tree"))?;
        self.checkout(repo, Some(ours_tree), &merged_tree, Utc::now())?;
        for (path, content) in marked {
            let full = self.root.join(&path);
            if let Some(dir) = full.parent() {
                std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
            }
            crate::fsutil::write_atomic(&full, &content)?;
        }
        let mut repo_index = repo.index().map_err(git_err("reading the index"))?;
        repo_index.read_tree(&merged_tree).map_err(git_err("resetting the index"))?;
        for c in conflicts {
            let path = conflict_path(&c);
            let _ = repo_index.remove_path(Path::new(&path));
            add_conflict(&mut repo_index, &path, [c.ancestor, c.our, c.their])?;
        }
        repo_index.write().map_err(git_err("writing the index"))?;
        let git_dir = repo.path();
        let write = |name: &str, text: String| {
            let path = git_dir.join(name);
            std::fs::write(&path, text).map_err(Error::io(&path))
        };
        write("MERGE_HEAD", format!("{theirs}\n"))?;
        write("MERGE_MODE", "no-ff".to_string())?;
        write("MERGE_MSG", format!("{message}\n"))?;
        Ok(())
    }
}

/// The merge [`Repo::leave_conflicted_merge`] leaves: the commit merged in, its name in
/// conflict markers, and the message `git commit` offers.
struct Left<'a> {
    theirs: Oid,
    theirs_label: &'a str,
    message: &'a str,
}

/// Two histories that both moved, being merged: the two commits, the three trees, and how
/// conflict markers name their side.
struct Merging<'a, 'r> {
    repo: &'r Repository,
    ours: &'a Commit<'r>,
    theirs: &'a Commit<'r>,
    /// The merge base's tree; `None` when the histories share no commit.
    base_tree: Option<Tree<'r>>,
    ours_tree: Tree<'r>,
    theirs_tree: Tree<'r>,
    /// The upstream, e.g. `origin/main`.
    theirs_label: String,
    now: DateTime<Utc>,
}

/// What joining the event logs of a merge found.
#[derive(Default)]
struct Logs {
    /// Incidents whose log both sides added to: their postmortems are rendered again.
    both_changed: Vec<String>,
    /// Incidents each side had opened on its own.
    opened_twice: Vec<String>,
    /// Incidents whose postmortem either side changed.
    postmortems: Vec<String>,
    /// Per incident, the incoming lines set aside instead of joining its log.
    set_aside: Vec<(String, events::SetAside)>,
}

impl<'a, 'r> Merging<'a, 'r> {
    fn new(
        repo: &'r Repository,
        ours: &'a Commit<'r>,
        theirs: &'a Commit<'r>,
        ours_tree: Tree<'r>,
        theirs_label: String,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let theirs_tree = theirs.tree().map_err(git_err("reading a tree"))?;
        let base_tree = repo
            .merge_base(ours.id(), theirs.id())
            .ok()
            .and_then(|b| repo.find_commit(b).ok())
            .and_then(|c| c.tree().ok());
        Ok(Merging { repo, ours, theirs, base_tree, ours_tree, theirs_tree, theirs_label, now })
    }

    /// Event logs: the union of both sides' events, whatever git's line merge made of them,
    /// put in `index`; `rejected.jsonl` files likewise, with what the union set aside.
    fn union_logs(&self, index: &mut Index) -> Result<Logs> {
        let repo = self.repo;
        let diff = repo
            .diff_tree_to_tree(Some(&self.ours_tree), Some(&self.theirs_tree), None)
            .map_err(git_err("comparing the two sides"))?;
        let mut logs = Logs::default();
        // A folder the remote renamed: the old log goes (the checkout moves this clone's lines
        // into the new one), the new one holds both sides' events.
        let renames = super::mend::renames(repo, &self.ours_tree, &self.theirs_tree)?;
        for delta in diff.deltas() {
            let Some(path) = delta_path(&delta) else { continue };
            if is_changes_log(path) {
                // The union of both sides' changes, as an event log's: never git's line merge.
                let joined = events::union_checked(
                    &side_bytes(repo, &delta.old_file()),
                    &side_bytes(repo, &delta.new_file()),
                    events::Incoming::Second,
                    self.now,
                );
                logs.set_aside.extend(joined.set_aside.into_iter().map(|a| (CHANGES_KEY.to_string(), a)));
                put_blob(repo, index, path, &joined.bytes)?;
                continue;
            }
            if path == CHANGES_REJECTED {
                let both = events::union_raw(
                    &side_bytes(repo, &delta.old_file()),
                    &side_bytes(repo, &delta.new_file()),
                );
                put_blob(repo, index, path, &both)?;
                continue;
            }
            let Some((id, file)) = incident_file(path) else { continue };
            if renames.iter().any(|(old, _)| old == id) && (file == LOG || file == REJECTED) {
                let _ = index.conflict_remove(Path::new(path));
                let _ = index.remove_path(Path::new(path));
                continue;
            }
            if file == LOG {
                let ours_path = match renames.iter().find(|(_, new)| new == id) {
                    Some((old, _)) => format!("incidents/{old}/{LOG}"),
                    None => path.to_string(),
                };
                self.union_log(index, &delta, (id, path), &ours_path, &mut logs)?;
            } else if file == REJECTED {
                let both = events::union_raw(
                    &side_bytes(repo, &delta.old_file()),
                    &side_bytes(repo, &delta.new_file()),
                );
                put_blob(repo, index, path, &both)?;
            } else if file == POSTMORTEM {
                logs.postmortems.push(id.to_string());
            }
        }
        self.keep_set_aside(index, &logs.set_aside)?;
        Ok(logs)
    }

    /// The log of incident `id` at `path`, our version read at `ours_path` (another when the
    /// remote renamed the folder): the union of both, held to the log's limits.
    fn union_log(
        &self,
        index: &mut Index,
        delta: &git2::DiffDelta,
        (id, path): (&str, &str),
        ours_path: &str,
        logs: &mut Logs,
    ) -> Result<()> {
        let ours_bytes = if ours_path == path {
            side_bytes(self.repo, &delta.old_file())
        } else {
            blob_at(self.repo, &self.ours_tree, ours_path)
        };
        let theirs_bytes = side_bytes(self.repo, &delta.new_file());
        let joined = events::union_checked(&ours_bytes, &theirs_bytes, events::Incoming::Second, self.now);
        let merged = joined.bytes;
        if merged != theirs_bytes && merged != ours_bytes {
            logs.both_changed.push(id.to_string());
            if opened_apart(&ours_bytes, &theirs_bytes) {
                logs.opened_twice.push(id.to_string());
            }
        }
        logs.set_aside.extend(joined.set_aside.into_iter().map(|a| (id.to_string(), a)));
        put_blob(self.repo, index, path, &merged)
    }

    /// What was set aside is kept beside each log, in the merge as on disk.
    fn keep_set_aside(&self, index: &mut Index, set_aside: &[(String, events::SetAside)]) -> Result<()> {
        let mut ids: Vec<&str> = set_aside.iter().map(|(id, _)| id.as_str()).collect();
        ids.dedup();
        for id in ids {
            let path = rejected_of(id);
            let current = index_bytes(self.repo, index, &path);
            let records: Vec<u8> =
                set_aside.iter().filter(|(i, _)| i == id).flat_map(|(_, a)| a.record()).collect();
            put_blob(self.repo, index, &path, &events::union_raw(&current, &records))?;
        }
        Ok(())
    }

    /// Postmortems: re-rendered from the merged log where both sides added events, or where
    /// both sides changed the file; hand-edited blocks merge block by block. Returns the
    /// conflicts (path, what happened) and the conflicted postmortems as a person finishes
    /// them: rendered from the merged log.
    #[allow(clippy::type_complexity)]
    fn rerender_postmortems(
        &self,
        index: &mut Index,
        logs: &Logs,
        render: &mut Renderer,
    ) -> Result<(Vec<(String, String)>, Vec<(String, Vec<u8>)>)> {
        let mut rerender: Vec<&String> = logs
            .both_changed
            .iter()
            .chain(logs.postmortems.iter().filter(|id| conflicted(index, &pm_path(id))))
            .collect();
        rerender.sort();
        rerender.dedup();
        let (mut conflicts, mut rendered) = (Vec::new(), Vec::new());
        for id in rerender {
            let path = pm_path(id);
            let text = |tree: Option<&Tree>| tree.and_then(|t| blob_text(self.repo, t, &path));
            let (base, mine, yours) =
                (text(self.base_tree.as_ref()), text(Some(&self.ours_tree)), text(Some(&self.theirs_tree)));
            if mine.is_none() && yours.is_none() {
                continue;
            }
            let log = index_bytes(self.repo, index, &format!("incidents/{id}/{LOG}"));
            let asked = Rerender {
                id,
                log: &log,
                base: base.as_deref(),
                ours: mine.as_deref(),
                theirs: yours.as_deref(),
                ours_label: OURS_LABEL,
                theirs_label: &self.theirs_label,
            };
            match render(&asked)? {
                Ok(fresh) => put_blob(self.repo, index, &path, fresh.as_bytes())?,
                Err(RerenderConflict { blocks, text }) => {
                    if let Some(text) = text {
                        rendered.push((path.clone(), text.into_bytes()));
                    }
                    let what = format!(
                        "hand-edited block{} {} changed on both sides",
                        if blocks.len() == 1 { "" } else { "s" },
                        blocks.join(", ")
                    );
                    if !conflicted(index, &path) {
                        let trees = [self.base_tree.as_ref(), Some(&self.ours_tree), Some(&self.theirs_tree)];
                        mark_conflict(self.repo, index, &path, trees)?;
                    }
                    conflicts.push((path, what));
                }
            }
        }
        Ok((conflicts, rendered))
    }
}

/// Every conflict left in `index` that `conflicts` does not name yet, said as `git status`
/// would say it.
fn collect_conflicts(index: &Index, conflicts: &mut Vec<(String, String)>) -> Result<()> {
    for c in index.conflicts().map_err(git_err("reading conflicts"))?.flatten() {
        let path = conflict_path(&c);
        if !conflicts.iter().any(|(p, _)| *p == path) {
            let what = match (&c.our, &c.their) {
                (Some(_), Some(_)) => "changed on both sides",
                (Some(_), None) => "changed here, removed there",
                (None, _) => "removed here, changed there",
            };
            conflicts.push((path, what.to_string()));
        }
    }
    Ok(())
}

/// [`Repo::upstream`], on an open repository.
fn upstream_of(repo: &Repository) -> Result<Upstream> {
    let head = repo.find_reference("HEAD").map_err(git_err("reading HEAD"))?;
    let Some(branch) = head.symbolic_target().ok().flatten().and_then(|t| t.strip_prefix("refs/heads/"))
    else {
        return Err(SyncError::DetachedHead.into());
    };
    let branch = branch.to_string();
    let config = repo.config().map_err(git_err("reading the git config"))?;
    let configured_remote = config.get_string(&format!("branch.{branch}.remote")).ok();
    let configured = configured_remote.is_some();
    let remote = match configured_remote {
        Some(r) => r,
        None => {
            let remotes = repo.remotes().map_err(git_err("listing remotes"))?;
            let names: Vec<&str> = remotes.iter().filter_map(|r| r.ok().flatten()).collect();
            match names.as_slice() {
                [] => return Err(SyncError::NoRemote { branch }.into()),
                [only] => (*only).to_string(),
                many if many.contains(&"origin") => "origin".to_string(),
                _ => return Err(SyncError::NoRemote { branch }.into()),
            }
        }
    };
    let merge_ref = config
        .get_string(&format!("branch.{branch}.merge"))
        .unwrap_or_else(|_| format!("refs/heads/{branch}"));
    let short = merge_ref.strip_prefix("refs/heads/").unwrap_or(&merge_ref);
    let tracking = format!("refs/remotes/{remote}/{short}");
    Ok(Upstream { remote, branch, merge_ref, tracking, configured })
}

fn ahead_behind_of(repo: &Repository, up: &Upstream) -> Result<Option<(usize, usize)>> {
    let Ok(theirs) = repo.refname_to_id(&up.tracking) else { return Ok(None) };
    let Some(ours) = head_commit(repo)? else { return Ok(Some((0, 0))) };
    repo.graph_ahead_behind(ours.id(), theirs).map(Some).map_err(git_err("counting commits"))
}

/// Whether each side's log has an `opened` event the other lacks: the incident was opened on
/// two machines apart, and the merge makes one incident of both.
fn opened_apart(ours: &[u8], theirs: &[u8]) -> bool {
    let opened = |bytes: &[u8]| -> std::collections::BTreeSet<String> {
        events::parse(bytes)
            .events
            .into_iter()
            .filter(|e| matches!(e.body, events::Body::Opened { .. }))
            .map(|e| e.id)
            .collect()
    };
    let (ours, theirs) = (opened(ours), opened(theirs));
    !ours.is_subset(&theirs) && !theirs.is_subset(&ours)
}

/// The commits reachable from HEAD that no remote-tracking branch has (`git rev-list HEAD
/// --not --remotes --count`): what a branch the remote does not have yet would push.
fn unpushed_of(repo: &Repository) -> Result<usize> {
    if head_commit(repo)?.is_none() {
        return Ok(0);
    }
    let mut walk = repo.revwalk().map_err(git_err("walking history"))?;
    walk.push_head().map_err(git_err("walking history"))?;
    walk.hide_glob("refs/remotes/*").map_err(git_err("walking history"))?;
    Ok(walk.count())
}

/// The path a diff entry is about: its new name, or the old one when it was removed.
fn delta_path<'a>(delta: &git2::DiffDelta<'a>) -> Option<&'a str> {
    delta.new_file().path().or(delta.old_file().path()).and_then(Path::to_str)
}

fn pm_path(id: &str) -> String {
    format!("incidents/{id}/{POSTMORTEM}")
}

/// Whether a path is a file `status-page` writes into its default folder.
fn is_status_page(path: &str) -> bool {
    path.strip_prefix(super::STATUS_PAGE_DIR).is_some_and(|rest| rest.starts_with('/'))
}

/// The status page is derived from every incident's log, so a conflict in it is no
/// person's to settle: our side is kept for the merge commit and the caller re-renders the
/// page from the merged logs afterwards (see `sync::once`).
fn settle_derived(index: &mut Index) -> Result<()> {
    let settled: Vec<(String, Option<IndexEntry>)> = index
        .conflicts()
        .map_err(git_err("reading conflicts"))?
        .flatten()
        .map(|c| (conflict_path(&c), c.our.or(c.their)))
        .filter(|(path, _)| is_status_page(path))
        .collect();
    for (path, side) in settled {
        index.conflict_remove(Path::new(&path)).map_err(git_err(format!("settling {path}")))?;
        if let Some(mut e) = side {
            e.flags &= !STAGE_MASK;
            index.add(&e).map_err(git_err(format!("adding {path}")))?;
        }
    }
    Ok(())
}

/// The content at `path` in a merge's index (its merged stage), empty when there is none.
fn index_bytes(repo: &Repository, index: &Index, path: &str) -> Vec<u8> {
    index
        .get_path(Path::new(path), i32::from(STAGE_MERGED))
        .and_then(|e| repo.find_blob(e.id).ok())
        .map(|b| b.content().to_vec())
        .unwrap_or_default()
}

/// Puts `bytes` at `path` in a merge's index, settling any conflict there.
fn put_blob(repo: &Repository, index: &mut Index, path: &str, bytes: &[u8]) -> Result<()> {
    let oid = repo.blob(bytes).map_err(git_err(format!("storing {path}")))?;
    let _ = index.conflict_remove(Path::new(path));
    index.add(&entry(path, oid, bytes.len(), 0o100_644)).map_err(git_err(format!("adding {path}")))
}

/// Where git keeps an index entry's merge stage: bits 12 and 13 of its flags (libgit2's
/// `GIT_INDEX_ENTRY_STAGESHIFT` and `GIT_INDEX_ENTRY_STAGEMASK`). A path is either merged, one
/// entry at [`STAGE_MERGED`], or in conflict, up to three entries at [`STAGE_BASE`],
/// [`STAGE_OURS`] and [`STAGE_THEIRS`].
const STAGE_SHIFT: u16 = 12;
const STAGE_MASK: u16 = 0x3 << STAGE_SHIFT;
/// A path without a conflict.
const STAGE_MERGED: u16 = 0;
/// The common ancestor's version of a conflicted path.
const STAGE_BASE: u16 = 1;
/// Our version (HEAD's).
const STAGE_OURS: u16 = 2;
/// Their version (the branch being merged).
const STAGE_THEIRS: u16 = 3;

fn stage_of(e: &IndexEntry) -> u16 {
    (e.flags & STAGE_MASK) >> STAGE_SHIFT
}

fn conflicted(index: &Index, path: &str) -> bool {
    (STAGE_BASE..=STAGE_THEIRS).any(|s| index.get_path(Path::new(path), i32::from(s)).is_some())
}

fn conflict_path(c: &IndexConflict) -> String {
    c.our
        .as_ref()
        .or(c.their.as_ref())
        .or(c.ancestor.as_ref())
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .unwrap_or_default()
}

/// Records `path` as conflicted (stages 1–3 from the three trees), for a file git merged
/// line by line but whose hand-edited blocks both sides changed.
fn mark_conflict(repo: &Repository, index: &mut Index, path: &str, trees: [Option<&Tree>; 3]) -> Result<()> {
    let side = |tree: Option<&Tree>, stage: u16| -> Option<IndexEntry> {
        let e = tree?.get_path(Path::new(path)).ok()?;
        let size = repo.find_blob(e.id()).ok()?.size();
        let mut entry = entry(path, e.id(), size, 0o100_644);
        entry.flags |= stage << STAGE_SHIFT;
        Some(entry)
    };
    let sides = [side(trees[0], STAGE_BASE), side(trees[1], STAGE_OURS), side(trees[2], STAGE_THEIRS)];
    let _ = index.remove_path(Path::new(path));
    add_conflict(index, path, sides)
}

/// Adds a conflict's sides (base, ours, theirs) at stages 1–3, as git records one.
fn add_conflict(index: &mut Index, path: &str, sides: [Option<IndexEntry>; 3]) -> Result<()> {
    for (stage, side) in (STAGE_BASE..).zip(sides) {
        if let Some(mut e) = side {
            e.flags = (e.flags & !STAGE_MASK) | (stage << STAGE_SHIFT);
            index.add(&e).map_err(git_err(format!("recording the conflict in {path}")))?;
        }
    }
    Ok(())
}

fn head_commit(repo: &Repository) -> Result<Option<Commit<'_>>> {
    match repo.head() {
        Ok(head) => head.peel_to_commit().map(Some).map_err(git_err("reading HEAD")),
        Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(git_err("reading HEAD")(e)),
    }
}

fn reset_index(repo: &Repository, tree: &Tree) -> Result<()> {
    let mut index = repo.index().map_err(git_err("reading the index"))?;
    index.read_tree(tree).map_err(git_err("resetting the index"))?;
    index.write().map_err(git_err("writing the index"))
}

/// The content of one side of a diff entry, by its object id: no walk down the tree from its
/// root (which, for thousands of incidents, would read the `incidents` tree once per file).
fn side_bytes(repo: &Repository, file: &git2::DiffFile) -> Vec<u8> {
    if !file.exists() {
        return Vec::new();
    }
    repo.find_blob(file.id()).map(|b| b.content().to_vec()).unwrap_or_default()
}

fn blob_at(repo: &Repository, tree: &Tree, path: &str) -> Vec<u8> {
    tree.get_path(Path::new(path))
        .ok()
        .and_then(|e| repo.find_blob(e.id()).ok())
        .map(|b| b.content().to_vec())
        .unwrap_or_default()
}

fn blob_text(repo: &Repository, tree: &Tree, path: &str) -> Option<String> {
    let e = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(e.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

pub(super) fn entry(path: &str, id: Oid, size: usize, mode: u32) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(size).unwrap_or(u32::MAX),
        id,
        flags: u16::try_from(path.len()).unwrap_or(0xfff).min(0xfff),
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// A commit message saying what changed between two trees: new events per incident, then
/// other files. One subject line, at most a few names.
fn describe_changes(repo: &Repository, from: Option<Tree>, to: &Tree) -> Result<String> {
    let diff = repo.diff_tree_to_tree(from.as_ref(), Some(to), None).map_err(git_err("comparing trees"))?;
    let mut logs: Vec<(String, usize)> = Vec::new();
    let mut files: Vec<String> = Vec::new();
    for delta in diff.deltas() {
        let Some(path) = delta_path(&delta) else { continue };
        if is_log(path) {
            let lines = |f: &git2::DiffFile| {
                side_bytes(repo, f).split(|b| *b == b'\n').filter(|l| !l.is_empty()).count()
            };
            let new = lines(&delta.new_file()).saturating_sub(lines(&delta.old_file()));
            if new > 0 {
                let id = incident_file(path).map(|(id, _)| id).unwrap_or(path);
                logs.push((id.to_string(), new));
                continue;
            }
        }
        // A log that did not grow (removed, or rewritten by hand) is named as a file.
        if delta.status() == git2::Delta::Deleted {
            files.push(format!("{path} (removed)"));
        } else {
            files.push(path.to_string());
        }
    }
    logs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut parts = Vec::new();
    if !logs.is_empty() {
        let total: usize = logs.iter().map(|(_, n)| n).sum();
        let named: Vec<String> = logs.iter().take(3).map(|(id, n)| format!("{id} +{n}")).collect();
        let more =
            if logs.len() > 3 { format!(", {} more incidents", logs.len() - 3) } else { String::new() };
        parts.push(format!(
            "{total} event{} ({}{more})",
            if total == 1 { "" } else { "s" },
            named.join(", ")
        ));
    }
    if !files.is_empty() {
        let named = files.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let more = if files.len() > 3 { format!(" and {} more", files.len() - 3) } else { String::new() };
        parts.push(format!("{named}{more}"));
    }
    if parts.is_empty() {
        parts.push("no file changes".into());
    }
    // As every commit message: no secret (a path can quote one), no raw control character.
    let message = crate::redact::redact(&format!("sync: {}", parts.join("; ")));
    Ok(crate::ui::visible(&message).into_owned())
}

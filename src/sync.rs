//! `incident sync`: many responders on many machines sharing one record through
//! the repository's git remote, with no server.
//!
//! The network is the user's own `git` (`git fetch`, `git push`): it already knows their
//! ssh agent, `~/.ssh/config`, credential helpers and proxies, which libgit2 would have to
//! be taught one by one. Everything else (committing, merging, the working tree) is
//! in-process through `repo`, which merges event logs as the union of their events and
//! never writes a conflict marker into one.

use std::io::IsTerminal;
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::backoff;
use crate::error::{Error, Result, SyncError, SystemError};
use crate::head;
use crate::postmortem;
use crate::render;
use crate::repo::{Failure, Held, LOCK_WAIT, Merged, Repo, STATUS_PAGE_DIR, Standing, Upstream, Writer};
use crate::statuspage;

/// What one sync did, for the terminal and for `--json`.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The remote branch, e.g. `origin/main`.
    pub remote: String,
    /// The commit of local changes made first, if anything was pending.
    pub committed: Option<Committed>,
    /// `up-to-date`, `fast-forward` or `merge`.
    pub merge: Joined,
    /// Events the remote brought, per incident.
    pub incoming: Vec<IncomingEvents>,
    /// Other files the remote brought (written or removed).
    pub files: Vec<String>,
    /// Derived files rendered again from the merged logs: postmortems both sides had, and
    /// `status-page/` when one is built in the repository.
    pub rerendered: Vec<String>,
    /// Incidents opened on this machine and on another apart (one title, one day: one id),
    /// which the merge made one: the first opening stands, `status` says so.
    pub opened_twice: Vec<String>,
    /// Incoming lines kept in their incident's `rejected.jsonl` instead of its log: over the
    /// size limit, dated impossibly, or an event id the two sides hold with other content.
    pub set_aside: Vec<SetAside>,
    /// The record's paths the remote had turned into another kind of entry (a log made a
    /// folder): put back as this clone had them, by a commit the push sends.
    pub mended: Vec<String>,
    /// Incident folders the remote renamed: this clone's events moved with them.
    pub renamed: Vec<Renamed>,
    /// Configuration files the remote brought that fail lint (`incident.yaml`, runbooks):
    /// every command uses their last good version until someone pushes a fix.
    pub broken_config: Vec<String>,
    pub pushed: bool,
    pub ahead: usize,
    pub behind: usize,
    pub at: DateTime<Utc>,
    /// git locks removed before starting, left by a sync (or a commit of this tool) that was
    /// killed, e.g. `.git/index.lock`.
    pub healed: Vec<String>,
}

/// How the remote's branch joined this one, the most a sync's attempts did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Joined {
    #[default]
    UpToDate,
    FastForward,
    Merge,
}

#[derive(Debug, Serialize)]
pub struct Committed {
    pub commit: String,
    pub message: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SetAside {
    pub incident: String,
    /// The event's id, when the line had one.
    pub event: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Renamed {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize)]
pub struct IncomingEvents {
    pub incident: String,
    pub events: usize,
}

impl Report {
    /// Whether anything moved either way (a `--watch` prints only then).
    pub fn changed(&self) -> bool {
        self.committed.is_some() || self.merge != Joined::UpToDate || self.pushed
    }

    /// One line: what went out and what came in.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.committed {
            parts.push(format!("committed {}", c.message.strip_prefix("sync: ").unwrap_or(&c.message)));
        }
        // A few names, then counts: a clone catching up on thousands of incidents gets a line.
        for i in self.incoming.iter().take(SHOWN) {
            parts.push(format!("← {} event{} in {}", i.events, plural(i.events), i.incident));
        }
        if self.incoming.len() > SHOWN {
            let rest = &self.incoming[SHOWN..];
            let events: usize = rest.iter().map(|i| i.events).sum();
            parts.push(format!("← {events} event{} in {} more incidents", plural(events), rest.len()));
        }
        if !self.set_aside.is_empty() {
            let n = self.set_aside.len();
            let mut ids: Vec<&str> = self.set_aside.iter().map(|a| a.incident.as_str()).collect();
            ids.dedup();
            let first = &self.set_aside[0];
            parts.push(format!(
                "set aside {n} incoming line{} in rejected.jsonl of {} ({}{}; `incident doctor` lists them)",
                plural(n),
                ids.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", "),
                first.reason,
                if n > 1 { ", …" } else { "" }
            ));
        }
        if !self.files.is_empty() {
            let more = if self.files.len() > SHOWN {
                format!(" and {} more", self.files.len() - SHOWN)
            } else {
                String::new()
            };
            parts.push(format!(
                "← {}{more}",
                self.files.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        for r in &self.renamed {
            parts.push(format!(
                "{} is now {} (renamed on {}; this clone's events moved with it)",
                r.from, r.to, self.remote
            ));
        }
        if !self.mended.is_empty() {
            parts.push(format!(
                "mended {} ({} had made {} something else; put back as this clone had {})",
                self.mended.join(", "),
                self.remote,
                if self.mended.len() == 1 { "it" } else { "them" },
                if self.mended.len() == 1 { "it" } else { "them" },
            ));
        }
        for id in &self.opened_twice {
            parts.push(format!(
                "{id} was opened here and on another machine: one incident now, the first opening stands (`incident status {id}`)"
            ));
        }
        if !self.broken_config.is_empty() {
            parts.push(format!(
                "{} failing lint: commands use the last good version until it is fixed (`incident lint`)",
                self.broken_config.join(", ")
            ));
        }
        if !self.rerendered.is_empty() {
            parts.push(format!("re-rendered {}", self.rerendered.join(", ")));
        }
        match self.merge {
            Joined::Merge => parts.push(format!("merged {}", self.remote)),
            Joined::FastForward if self.incoming.is_empty() && self.files.is_empty() => {
                parts.push(format!("fast-forwarded to {}", self.remote));
            }
            _ => {}
        }
        if self.pushed {
            parts.push(format!("pushed to {}", self.remote));
        }
        if parts.is_empty() {
            return format!("up to date with {}", self.remote);
        }
        crate::ui::visible(&parts.join("; ")).into_owned()
    }
}

/// How many incidents or files a sync's line names before it counts the rest (`--json` has
/// them all).
const SHOWN: usize = 3;

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How many times a push that lost a race (someone pushed first) fetches, merges and tries
/// again before giving up.
const PUSH_ATTEMPTS: usize = 3;
/// The pause after the first push that lost a race; it doubles after each later one.
const PUSH_BACKOFF: std::time::Duration = std::time::Duration::from_millis(200);

/// One sync ([`once`]), its outcome kept for `status`: a success replaces the record of the
/// last sync, a failure is recorded beside the last success, with its reason.
pub fn run(repo: &Repo, as_flag: Option<&str>, progress: bool) -> Result<Report> {
    let started = Utc::now();
    once(repo, as_flag, progress).map_err(|e| {
        let e = repo.locate_lock(e);
        record_failure(repo, started, &e);
        e
    })
}

/// One sync: commit what is pending, fetch, merge, push. Refuses to start in the
/// middle of a merge or rebase a person has not finished. `progress`: let git draw its
/// progress on the terminal.
pub fn once(repo: &Repo, as_flag: Option<&str>, progress: bool) -> Result<Report> {
    let held = lock(repo)?;
    repo.require_finished()?;
    let up = repo.upstream()?;
    let mut report =
        Report { remote: up.name(), merge: Joined::UpToDate, at: Utc::now(), ..Report::default() };
    report.healed = held.as_ref().map(|h| h.healed.clone()).unwrap_or_default();
    // The page goes out as the logs it goes out with say.
    if rebuild_status_page(repo) {
        report.rerendered.push(format!("{STATUS_PAGE_DIR}/"));
    }
    report.committed =
        repo.commit_pending(as_flag)?.map(|(oid, message)| Committed { commit: oid.to_string(), message });
    for attempt in 1..=PUSH_ATTEMPTS {
        fetch(repo, &up, progress)?;
        let mut rendered = Vec::new();
        let mut rerender = |r: &crate::repo::Rerender| {
            let sides = render::Sides { ours: r.ours_label, theirs: r.theirs_label };
            let fresh = postmortem::rerender(repo, r.id, r.log, [r.base, r.ours, r.theirs], sides);
            if matches!(fresh, Ok(Ok(_))) {
                rendered.push(format!("incidents/{}/postmortem.md", r.id));
            }
            fresh
        };
        let merged = repo.merge_upstream(&up, as_flag, &mut rerender);
        let was_merge = matches!(merged, Ok(Merged::Merge(_)));
        // A fast-forward whose logs lost a line the limits refused is committed too, so the
        // remote's copy is mended by the push.
        let mut repaired = false;
        let incoming = match merged {
            Ok(Merged::UpToDate) => None,
            Ok(Merged::FastForward(i)) => {
                report.merge = report.merge.max(Joined::FastForward);
                Some(i)
            }
            Ok(Merged::Merge(i)) => {
                report.merge = Joined::Merge;
                Some(i)
            }
            Err(e) => {
                forget_heads(repo);
                return Err(e);
            }
        };
        if let Some(i) = incoming {
            // Every cache of a log the merge touched goes: heads are made again from the log.
            for id in &i.logs {
                head::forget(repo, id);
            }
            for (id, n) in i.events {
                match report.incoming.iter_mut().find(|x| x.incident == id) {
                    Some(x) => x.events += n,
                    None => report.incoming.push(IncomingEvents { incident: id, events: n }),
                }
            }
            report.files.extend(i.files);
            report.opened_twice.extend(i.opened_twice);
            repaired = !i.set_aside.is_empty() || !i.renamed.is_empty();
            report.mended.extend(i.mended);
            report.renamed.extend(i.renamed.into_iter().map(|(from, to)| Renamed { from, to }));
            for (incident, a) in i.set_aside {
                let a = SetAside { incident, event: a.event, reason: a.reason };
                if !report.set_aside.contains(&a) {
                    report.set_aside.push(a);
                }
            }
        }
        if was_merge || repaired {
            // Only a merge joins events nobody has rendered together; a fast-forward brings
            // a page its author built.
            if rebuild_status_page(repo) {
                rendered.push(format!("{STATUS_PAGE_DIR}/"));
            }
            // Committed with anything appended meanwhile, and pushed below with the merge.
            repo.commit_pending(as_flag)?;
        }
        for path in rendered {
            if !report.rerendered.contains(&path) {
                report.rerendered.push(path);
            }
        }
        let ahead = match repo.ahead_behind(&up)? {
            Some((ahead, _)) => ahead,
            None => 1, // the remote has no such branch yet: the first push makes it
        };
        if ahead == 0 {
            break;
        }
        match push(repo, &up, progress) {
            Ok(()) => {
                report.pushed = true;
                break;
            }
            Err(Push::Rejected(_)) if attempt < PUSH_ATTEMPTS => {
                backoff(attempt);
                continue;
            }
            Err(Push::Rejected(why)) => {
                return Err(SyncError::Remote {
                    remote: up.remote.clone(),
                    doing: "pushing to",
                    message: format!("{why} ({PUSH_ATTEMPTS} attempts)"),
                }
                .into());
            }
            Err(Push::Failed(e)) => return Err(e),
        }
    }
    if let Some((ahead, behind)) = repo.ahead_behind(&up)? {
        report.ahead = ahead;
        report.behind = behind;
    }
    // A push race retried brings each file again.
    report.files.sort();
    report.files.dedup();
    report.broken_config = crate::load::failing_lint(repo, &report.files);
    record(repo, &report);
    Ok(report)
}

/// The status page built in the repository, built again from the logs as they are now; true
/// when a file changed. A page that cannot be built (a broken template of the repository's)
/// is a warning: sharing the record matters more than the page.
fn rebuild_status_page(repo: &Repo) -> bool {
    match statuspage::rerender_in_repo(repo) {
        Ok(changed) => changed,
        Err(e) => {
            // Said, not failed: a stderr that is gone must not undo a sync that worked.
            let _ = writeln!(
                crate::out::Ui::terminal().status().whole(),
                "warning: {STATUS_PAGE_DIR}/ not rebuilt, the page built before is kept: {e}"
            );
            false
        }
    }
}

/// One sync at a time per clone, and none while another command commits: two would race on
/// the index, the branch and the remote-tracking ref. Held until dropped (the kernel drops
/// the flock if the process dies). Waits up to [`LOCK_WAIT`] (a `--watch` terminal and a
/// person's `sync`). Before it starts, git locks left by a sync or commit of ours that was
/// killed are removed (`Held::healed`): git would refuse every write after one.
/// `None` without a git folder: the steps after it say what is wrong.
fn lock(repo: &Repo) -> Result<Option<Held>> {
    repo.hold(Writer::Sync, LOCK_WAIT)
}

/// Before fetching again after losing a push race: a growing, jittered pause, so two
/// clones syncing in tight loops (a `--watch` each) stop colliding instead of taking turns
/// failing.
fn backoff(attempt: usize) {
    let made = u32::try_from(attempt).unwrap_or(u32::MAX);
    let pause = backoff::delay(PUSH_BACKOFF, made, PUSH_BACKOFF * 8, backoff::jitter());
    std::thread::sleep(pause);
}

/// A conflicted merge leaves the working logs grown: no head may outlive it.
fn forget_heads(repo: &Repo) {
    for id in repo.ids() {
        head::forget(repo, &id);
    }
}

/// `git` in the repository, the user's own: their credentials, config and hooks. Without a
/// terminal git must not wait for a password nobody will type.
fn git(repo: &Repo, progress: bool) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(&repo.root).stdin(Stdio::null()).stdout(Stdio::piped());
    stop_with_us(&mut cmd);
    if progress {
        cmd.stderr(Stdio::inherit());
    } else {
        cmd.stderr(Stdio::piped());
    }
    if !std::io::stdin().is_terminal() {
        cmd.env("GIT_TERMINAL_PROMPT", "0");
    }
    cmd
}

/// A `git fetch` or `git push` gets SIGTERM when the sync that started it dies (even by
/// SIGKILL): git then removes its own lock files and stops, instead of writing refs behind
/// the back of the next sync, which would find its locks.
#[cfg(target_os = "linux")]
fn stop_with_us(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (prctl, getppid) between fork and exec.
    let parent = std::process::id();
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Died before the line above: nobody would send the signal.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn stop_with_us(_: &mut Command) {}

/// What git said went wrong, in one line: its first `fatal:` or `error:` line (the cause;
/// what follows is advice, such as "Please make sure you have the correct access rights"),
/// else its last line.
fn git_reason(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let cause = lines
        .iter()
        .find_map(|l| l.strip_prefix("fatal: ").or_else(|| l.strip_prefix("error: ")))
        .or_else(|| lines.last().copied())
        .unwrap_or("git failed");
    // A URL in git's words may carry a token (`https://user:ghp_…@host`).
    crate::ui::visible(&crate::redact::redact(cause)).into_owned()
}

/// What the remote's hooks printed (`remote: …` lines), joined: the reason a server gave for
/// refusing a push.
fn remote_said(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let said: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("remote:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    (!said.is_empty()).then(|| crate::ui::visible(&crate::redact::redact(&said.join(" "))).into_owned())
}

fn fetch(repo: &Repo, up: &Upstream, progress: bool) -> Result<()> {
    let mut cmd = git(repo, progress);
    cmd.arg("fetch").arg(if progress { "--progress" } else { "--quiet" }).arg(&up.remote);
    let out = cmd.output().map_err(|source| SystemError::Spawn { program: "git", source })?;
    if out.status.success() {
        return Ok(());
    }
    if let Some(path) = lock_in(&out.stderr) {
        return Err(SystemError::GitLocked { doing: "fetching".into(), path }.into());
    }
    let message =
        if progress { format!("git fetch exited with {}", out.status) } else { git_reason(&out.stderr) };
    Err(SyncError::Remote { remote: up.remote.clone(), doing: "fetching from", message }.into())
}

/// The lock file git found in its way (`Unable to create '…/main.lock': File exists.`): a
/// local problem, which the next sync would meet again, not the remote's.
fn lock_in(stderr: &[u8]) -> Option<std::path::PathBuf> {
    let text = String::from_utf8_lossy(stderr);
    text.lines().find_map(|l| {
        let (_, rest) = l.split_once("Unable to create '")?;
        let (path, after) = rest.split_once("': ")?;
        (path.ends_with(".lock") && after.starts_with("File exists")).then(|| path.into())
    })
}

enum Push {
    /// Someone pushed first: fetch, merge and try again. With git's reason.
    Rejected(String),
    Failed(Error),
}

fn push(repo: &Repo, up: &Upstream, progress: bool) -> std::result::Result<(), Push> {
    let mut cmd = git(repo, progress);
    cmd.arg("push").arg("--porcelain").arg(if progress { "--progress" } else { "--quiet" });
    if !up.configured {
        cmd.arg("--set-upstream");
    }
    cmd.arg(&up.remote).arg(format!("HEAD:{}", up.merge_ref));
    let out =
        cmd.output().map_err(|source| Push::Failed(SystemError::Spawn { program: "git", source }.into()))?;
    if out.status.success() {
        return Ok(());
    }
    // `--porcelain` says why per ref: `!  HEAD:refs/heads/main  [rejected] (fetch first)`.
    // Losing a race (someone pushed first, or is pushing right now) is worth another round;
    // a refusal that stays (a protected branch) ends after the last attempt, with its reason.
    let said = String::from_utf8_lossy(&out.stdout);
    let refused = said
        .lines()
        .find(|l| l.starts_with('!'))
        .map(|l| l.split('\t').skip(2).collect::<Vec<_>>().join(" "));
    // A hook that declines (`[remote rejected] (pre-receive hook declined)`) will decline
    // again: no retry, and its own words are the reason.
    if let Some(why) = &refused
        && (why.contains("[rejected]") || why.contains("failed to update ref") || why.contains("lock"))
    {
        return Err(Push::Rejected(crate::ui::visible(why).into_owned()));
    }
    let message = match refused {
        Some(why) if !why.trim().is_empty() => {
            let why = crate::ui::visible(&why).into_owned();
            match remote_said(&out.stderr) {
                Some(said) => format!("{why}: {said}"),
                None => why,
            }
        }
        _ if progress => format!("git push exited with {}", out.status),
        _ => git_reason(&out.stderr),
    };
    Err(Push::Failed(SyncError::Remote { remote: up.remote.clone(), doing: "pushing to", message }.into()))
}

/// The last successful sync and, when one failed since, that failure: kept in
/// `.git/incident-sync.json` (a cache of this clone's own history: never committed).
#[derive(Serialize, Deserialize)]
struct Last {
    /// `None` when no sync with `remote` has succeeded yet.
    #[serde(default)]
    at: Option<DateTime<Utc>>,
    remote: String,
    #[serde(default)]
    failed: Option<Failure>,
}

const LAST: &str = "incident-sync.json";

fn record(repo: &Repo, report: &Report) {
    write_last(repo, &Last { at: Some(report.at), remote: report.remote.clone(), failed: None });
}

/// Keeps a failed sync's reason beside the last success, unless a sync that started after
/// this one has succeeded since (two syncs waiting on each other). A sync that never started
/// because another was running is not a failure: that one's outcome is recorded.
fn record_failure(repo: &Repo, started: DateTime<Utc>, e: &Error) {
    if matches!(e, Error::Sync(SyncError::SyncBusy { .. })) {
        return;
    }
    let Ok(up) = repo.upstream() else { return }; // no remote: `status` says nothing of syncing
    let remote = up.name();
    let mut last =
        read_last(repo).filter(|l| l.remote == remote).unwrap_or(Last { at: None, remote, failed: None });
    if last.at.is_some_and(|at| at >= started) {
        return;
    }
    let text = e.to_string();
    let line = text.lines().next().unwrap_or_default();
    let mut reason = crate::ui::visible(&crate::redact::redact(line)).into_owned();
    if let Some((cut, _)) = reason.char_indices().nth(300) {
        reason.truncate(cut);
        reason.push('…');
    }
    last.failed = Some(Failure { at: Utc::now(), reason });
    write_last(repo, &last);
}

fn write_last(repo: &Repo, last: &Last) {
    let Some(path) = repo.git_file(LAST) else { return };
    if let Ok(bytes) = serde_json::to_vec(last) {
        let _ = crate::fsutil::replace(&path, &bytes);
    }
}

/// The record of this clone's syncs with `remote` (a sync of another branch does not count).
fn read_last(repo: &Repo) -> Option<Last> {
    let bytes = std::fs::read(repo.git_file(LAST)?).ok()?;
    serde_json::from_slice::<Last>(&bytes).ok()
}

/// Where this clone stands against its remote, for `status`, from what is on disk: no
/// network. `None` when there is no remote.
pub fn standing(repo: &Repo, id: Option<&str>) -> Option<Standing> {
    if !repo.root.join(".git").exists() {
        return None;
    }
    let at = repo.standing(id).ok()?;
    let last = read_last(repo).filter(|l| l.remote == at.remote);
    let (last_synced, last_failed) = last.map_or((None, None), |l| (l.at, l.failed));
    Some(at.with_last(last_synced, last_failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a clone catching up on 5,000 incidents printed one 239 KB line.
    #[test]
    fn the_line_stays_short_whatever_the_number_of_incidents() {
        let report = Report {
            remote: "origin/main".into(),
            merge: Joined::FastForward,
            incoming: (0..5000)
                .map(|i| IncomingEvents { incident: format!("2026-11-27-incident-{i}"), events: 2 })
                .collect(),
            files: (0..800).map(|i| format!("runbooks/r{i}.yaml")).collect(),
            ..Report::default()
        };
        let line = report.line();
        assert!(line.len() < 400, "{} bytes: {line}", line.len());
        assert!(line.contains("← 9994 events in 4997 more incidents"), "{line}");
        assert!(line.contains("and 797 more"), "{line}");
    }

    #[test]
    fn the_line_says_an_incident_was_opened_on_two_machines() {
        let report = Report {
            remote: "origin/main".into(),
            merge: Joined::Merge,
            opened_twice: vec!["2026-11-27-checkout".into()],
            ..Report::default()
        };
        let line = report.line();
        assert!(
            line.contains("2026-11-27-checkout was opened here and on another machine: one incident now"),
            "{line}"
        );
        assert!(line.contains("merged origin/main"), "{line}");
    }
}

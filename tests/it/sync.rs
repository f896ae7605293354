//! docs/sync.md: many responders, many machines, one record. A bare repository on disk is the
//! remote; each responder is a real clone with its own home, checked with the `git` CLI.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::harness::{BIN, Env};

/// A remote and the clones of the responders around it.
pub(super) struct Team {
    pub(super) remote: PathBuf,
    pub(super) people: Vec<Env>,
    /// Keeps the remote's folder alive.
    _dir: tempfile::TempDir,
}

impl Team {
    /// `n` responders: the first made the repository and pushed it; the others cloned it.
    pub(super) fn new(n: usize) -> Team {
        let dir = tempfile::tempdir().unwrap();
        let remote = dir.path().join("incidents.git");
        let first = Env::init();
        first.git(&["init", "--bare", "--initial-branch=main", remote.to_str().unwrap()]);
        first.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        first.ok(&["sync"]);
        let mut people = vec![first];
        people.extend((1..n).map(|_| clone_of(&remote)));
        Team { remote, people, _dir: dir }
    }

    /// `n` responders sharing one incident: the first runs `open` (its arguments) and syncs,
    /// the others sync. Returns the team and the incident's id.
    pub(super) fn sharing(n: usize, open: &[&str]) -> (Team, String) {
        let team = Team::new(n);
        team.people[0].ok(open);
        for person in &team.people {
            person.ok(&["sync"]);
        }
        let id = team.people[0].only_id();
        (team, id)
    }

    pub(super) fn fresh_clone(&self) -> Env {
        clone_of(&self.remote)
    }
}

/// A new responder (own home and identity) with a clone of `remote`, as `git clone` makes it.
pub(super) fn clone_of(remote: &Path) -> Env {
    let person = Env::new();
    let o = person
        .command("git")
        .args(["clone", "-q", remote.to_str().unwrap(), person.repo.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "clone: {}", String::from_utf8_lossy(&o.stderr));
    person
}

/// Every event id in a log, and how many lines it has.
fn ids_in(env: &Env, id: &str) -> (BTreeSet<String>, usize) {
    let events = env.events(id);
    let ids: BTreeSet<String> = events.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    (ids, events.len())
}

fn no_conflict_markers(root: &Path) {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(
            !text.lines().any(|l| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>")),
            "conflict markers in {}",
            f.display()
        );
    }
}

#[test]
fn two_clones_log_offline_and_converge_in_either_order() {
    let team = Team::new(3);
    let [alice, bob, carol] = &team.people[..] else { unreachable!() };
    alice.ok(&["open", "Checkout down", "--severity", "SEV1"]);
    alice.ok(&["sync"]);
    bob.ok(&["sync"]);
    carol.ok(&["sync"]);
    let id = alice.only_id();
    assert_eq!(bob.only_id(), id);
    let opened = ids_in(alice, &id).1;
    // Offline: everyone logs.
    for i in 0..5 {
        alice.ok(&["log", &format!("alice {i}")]);
        bob.ok(&["log", &format!("bob {i}")]);
        carol.ok(&["log", &format!("carol {i}")]);
    }
    bob.ok(&["sync"]);
    alice.ok(&["sync"]);
    carol.ok(&["sync"]);
    // A second round so everyone has everything.
    bob.ok(&["sync"]);
    alice.ok(&["sync"]);
    let (ids, lines) = ids_in(alice, &id);
    assert_eq!(ids.len(), lines, "an event twice");
    assert_eq!(lines, opened + 15, "every event once");
    for p in [bob, carol] {
        assert_eq!(p.log_of(&id), alice.log_of(&id), "the logs are identical");
        no_conflict_markers(&p.repo);
    }
    no_conflict_markers(&alice.repo);
    let fresh = team.fresh_clone();
    assert_eq!(fresh.log_of(&id), alice.log_of(&id));
    fresh.git(&["fsck", "--strict"]);
    alice.git(&["fsck", "--strict"]);
    // Nothing is left pending anywhere.
    for p in [alice, bob, carol] {
        assert_eq!(p.git(&["status", "--porcelain"]), "", "clean working tree");
    }
    // The timeline reads every note.
    let timeline = fresh.ok(&["timeline", &id]).stdout;
    for who in ["alice 4", "bob 4", "carol 4"] {
        assert!(timeline.contains(who), "{who} missing from\n{timeline}");
    }
}

#[test]
fn postmortem_rendered_on_both_sides_does_not_conflict() {
    let (team, id) = Team::sharing(2, &["open", "Payments slow", "--severity", "SEV2"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["resolve", "--root-cause", "a slow query"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    // Both sides log more, render and commit the postmortem.
    a.ok(&["log", "from a"]);
    a.ok(&["postmortem"]);
    b.ok(&["log", "from b"]);
    b.ok(&["postmortem", &id]);
    a.ok(&["sync"]);
    let merged = b.json(&["sync", "--json"]);
    assert_eq!(merged["rerendered"], serde_json::json!([format!("incidents/{id}/postmortem.md")]));
    a.ok(&["sync"]);
    let pm = a.read(&format!("incidents/{id}/postmortem.md"));
    assert!(pm.contains("from a") && pm.contains("from b"), "re-rendered from the merged log:\n{pm}");
    assert_eq!(pm, b.read(&format!("incidents/{id}/postmortem.md")));
    no_conflict_markers(&a.repo);
    // The merge is a real two-parent commit.
    let parents = a.git(&["log", "-1", "--format=%P", "--grep=sync: merge"]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    // Running postmortem during an unfinished merge is refused, not committed.
    assert_eq!(a.git(&["status", "--porcelain"]), "");
}

#[test]
fn closed_on_one_side_stays_closed_after_the_other_resolves_later() {
    let (team, id) = Team::sharing(2, &["open", "Search down", "--severity", "SEV2"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["resolve"]);
    a.ok(&["close"]);
    b.ok(&["resolve", "-i", &id]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    for p in [a, b] {
        let s = p.json(&["status", &id, "--json"]);
        assert_eq!(s["state"], "closed", "{s}");
        let listed = p.json(&["list", "--json"]);
        assert_eq!(listed[0]["state"], "closed");
    }
    // With no open incident, commands that need one say so (not a stale cache's answer).
    let out = a.fails(2, &["log", "x"]);
    assert!(out.stderr.contains("no open incident"), "{}", out.stderr);
}

#[test]
fn severity_changed_on_both_sides_reads_as_one_sequence() {
    // Impact started before the severity changes backdated below: nothing but a note may
    // come before it.
    let open = ["open", "API errors", "--severity", "SEV1", "--started-at", "-10m"];
    let (team, id) = Team::sharing(2, &open);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["severity", "SEV2", "--at", "-2m"]);
    b.ok(&["severity", "SEV3", "-i", &id, "--at", "-1m"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    let timeline = a.ok(&["timeline", &id]).stdout;
    assert!(timeline.contains("SEV1 → SEV2"), "{timeline}");
    assert!(timeline.contains("SEV2 → SEV3"), "{timeline}");
    assert!(!timeline.contains("SEV1 → SEV3"), "{timeline}");
    assert_eq!(a.json(&["status", &id, "--json"])["severity"], "SEV3");
    assert_eq!(b.json(&["status", &id, "--json"])["severity"], "SEV3");
}

#[test]
fn torn_last_line_is_never_committed() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["open", "Queue stuck", "--severity", "SEV2"]);
    a.ok(&["log", "first"]);
    let id = a.only_id();
    let before = ids_in(a, &id).1;
    let log = a.path(&format!("incidents/{id}/events.jsonl"));
    // A writer killed mid-line.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, br#"{"id":"torn","at":"2026-11-2"#).unwrap();
    drop(f);
    a.ok(&["sync"]);
    let committed = a.git(&["show", &format!("HEAD:incidents/{id}/events.jsonl")]);
    assert!(committed.ends_with('\n') && !committed.contains("torn"), "{committed}");
    b.ok(&["sync"]);
    b.ok(&["log", "-i", &id, "from b"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    // Every line of the merged log reads: the torn bytes never went mid-file.
    let text = b.log_of(&id);
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert_eq!(ids_in(b, &id).1, before + 1);
    // Regression: the merge cut the torn bytes off a's log and dropped them, with no word.
    // They are kept in rejected.jsonl, as `doctor --fix` keeps unreadable lines.
    let rejected = a.read(&format!("incidents/{id}/rejected.jsonl"));
    assert_eq!(rejected, "{\"id\":\"torn\",\"at\":\"2026-11-2\n", "{rejected}");
    assert_eq!(a.log_of(&id), b.log_of(&id));
}

#[test]
fn runbook_edited_on_both_sides_stops_with_both_versions_kept() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    let rb = std::fs::read_dir(a.path("runbooks"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .find(|n| n.ends_with(".yaml"))
        .expect("a starter runbook");
    let rel = format!("runbooks/{rb}");
    let original = a.read(&rel);
    std::fs::write(a.path(&rel), original.replacen("title:", "title: A says", 1)).unwrap();
    std::fs::write(b.path(&rel), original.replacen("title:", "title: B says", 1)).unwrap();
    a.ok(&["open", "Cart empty", "--severity", "SEV3"]);
    a.ok(&["sync"]);
    let out = b.fails(1, &["sync", "--json"]);
    assert!(out.stderr.contains(&rel) && out.stderr.contains("both"), "{}", out.stderr);
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
    // A program gets the paths too, not only prose.
    let error: serde_json::Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "sync-conflict", "{error}");
    assert_eq!(
        error["error"]["paths"],
        serde_json::json!([{"path": rel, "why": "changed on both sides"}]),
        "{error}"
    );
    // Both versions kept: in the file between markers and in the index's stages.
    let text = b.read(&rel);
    assert!(text.contains("A says") && text.contains("B says"), "{text}");
    // Each side named as `git merge` names it, so a person can tell which is theirs (bug 6:
    // both markers named the file's path).
    assert!(text.lines().any(|l| l == "<<<<<<< HEAD"), "ours is HEAD:\n{text}");
    assert!(text.lines().any(|l| l == ">>>>>>> origin/main"), "theirs is the upstream:\n{text}");
    assert!(b.git(&["show", &format!(":2:{rel}")]).contains("B says"));
    assert!(b.git(&["show", &format!(":3:{rel}")]).contains("A says"));
    // The rest of the merge went through: A's incident arrived, its log intact.
    let id = a.only_id();
    assert_eq!(b.log_of(&id), a.log_of(&id));
    // Sync and postmortem refuse until a person finishes the merge, naming how.
    let again = b.fails(2, &["sync"]);
    assert!(again.stderr.contains("middle of a merge"), "{}", again.stderr);
    // A person finishes it with plain git; the next sync goes through.
    std::fs::write(b.path(&rel), original.replacen("title:", "title: A and B say", 1)).unwrap();
    b.git(&["add", &rel]);
    b.git(&["commit", "-q", "--no-edit"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert!(a.read(&rel).contains("A and B say"));
    b.git(&["fsck"]);
}

/// An incident `a` opens, resolves and renders, both clones share, and then each rewrites the
/// editable block starting with `block` differently ("Alice/Bob wrote this by hand"), not yet
/// synced. Returns the incident and its postmortem's path.
fn block_edited_on_both_sides(a: &Env, b: &Env, title: &str, block: &str) -> (String, String) {
    a.ok(&["open", title, "--severity", "SEV2"]);
    a.ok(&["resolve"]);
    a.ok(&["postmortem"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let id = a.only_id();
    let rel = format!("incidents/{id}/postmortem.md");
    let pm = a.read(&rel);
    assert_eq!(pm, b.read(&rel));
    let at = pm.find(block).expect("the block");
    let body_start = at + pm[at..].find("-->").unwrap() + 3;
    let body_end = body_start + pm[body_start..].find("<!-- /editable:").unwrap();
    let edit = |who: &str| format!("{}\n{who} wrote this by hand\n{}", &pm[..body_start], &pm[body_end..]);
    std::fs::write(a.path(&rel), edit("Alice")).unwrap();
    std::fs::write(b.path(&rel), edit("Bob")).unwrap();
    (id, rel)
}

#[test]
fn hand_edited_postmortem_block_edited_on_both_sides_stops_the_sync() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    // The first editable block, rewritten differently by each side.
    let (id, rel) = block_edited_on_both_sides(a, b, "Login loop", "<!-- editable:");
    a.ok(&["log", "-i", &id, "note a"]);
    b.ok(&["log", "-i", &id, "note b"]);
    a.ok(&["sync"]);
    let out = b.fails(1, &["sync"]);
    assert!(out.stderr.contains("hand-edited block"), "{}", out.stderr);
    assert!(b.git(&["show", &format!(":2:{rel}")]).contains("Bob wrote"));
    assert!(b.git(&["show", &format!(":3:{rel}")]).contains("Alice wrote"));
    // The logs merged all the same: nothing lost.
    let (ids, lines) = ids_in(b, &id);
    assert_eq!(ids.len(), lines);
    assert!(b.log_of(&id).contains("note a") && b.log_of(&id).contains("note b"));
    // postmortem would keep the markers as a hand edit: refused mid-merge.
    let refused = b.fails(2, &["postmortem", &id]);
    assert!(refused.stderr.contains("middle of a merge"), "{}", refused.stderr);
}

/// Regression: the postmortem a block conflict left was git's line merge of the two sides,
/// not the render of the merged log; once a person settled the markers and committed, every
/// clone had a postmortem missing the other side's events.
#[test]
fn a_postmortem_finished_by_hand_after_a_block_conflict_holds_both_sides_events() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    // The summary block, rewritten differently by each side.
    let (open, close) = ("<!-- editable:summary", "<!-- /editable:summary -->");
    let (id, rel) = block_edited_on_both_sides(a, b, "Search stale", open);
    a.ok(&["log", "-i", &id, "alice note 2"]);
    a.ok(&["sync"]);
    let out = b.fails(1, &["sync"]);
    assert!(out.stderr.contains("hand-edited block summary"), "{}", out.stderr);
    // git sees the merge unfinished, the postmortem unmerged.
    let status = b.git(&["status", "--porcelain"]);
    assert!(status.lines().any(|l| l == format!("UU {rel}")), "{status}");
    // The file is the render of the merged log, markers only inside the conflicting block.
    let conflicted = b.read(&rel);
    assert!(conflicted.contains("alice note 2"), "rendered from the merged log:\n{conflicted}");
    let lines: Vec<&str> = conflicted.lines().collect();
    let line_of = |l: &str| {
        let at: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == l).collect();
        assert_eq!(at.len(), 1, "{l:?} once:\n{conflicted}");
        at[0]
    };
    let is_marker =
        |l: &str| l.starts_with("<<<<<<<") || l.starts_with("=======") || l.starts_with(">>>>>>>");
    assert_eq!(lines.iter().filter(|l| is_marker(l)).count(), 3, "one conflict:\n{conflicted}");
    let block_open = (0..lines.len()).find(|&i| lines[i].starts_with(open)).unwrap();
    let block_close = line_of(close);
    let (ours, mid, theirs) = (line_of("<<<<<<< HEAD"), line_of("======="), line_of(">>>>>>> origin/main"));
    assert!(block_open < ours && ours < mid && mid < theirs && theirs < block_close, "{conflicted}");
    assert!(lines[ours + 1..mid].contains(&"Bob wrote this by hand"), "{conflicted}");
    assert!(lines[mid + 1..theirs].contains(&"Alice wrote this by hand"), "{conflicted}");
    // A person settles the block with plain git and syncs; then the other side syncs.
    let settled = format!(
        "{}Alice and Bob wrote this\n{}",
        &conflicted[..conflicted.find("<<<<<<< HEAD").unwrap()],
        &conflicted[conflicted.find(">>>>>>> origin/main\n").unwrap() + ">>>>>>> origin/main\n".len()..]
    );
    std::fs::write(b.path(&rel), settled).unwrap();
    b.git(&["add", "-A"]);
    b.git(&["commit", "-q", "-m", "done"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    for p in [a, b] {
        let pm = p.read(&rel);
        assert!(pm.contains("alice note 2"), "the other side's note is in the postmortem:\n{pm}");
        assert!(pm.contains("Alice and Bob wrote this"), "{pm}");
        no_conflict_markers(&p.repo);
        assert_eq!(p.git(&["status", "--porcelain"]), "", "clean working tree");
    }
    assert_eq!(a.read(&rel), b.read(&rel));
    assert_eq!(a.log_of(&id), b.log_of(&id));
    // The settled block is a hand edit: rendering again keeps it.
    a.ok(&["postmortem", &id]);
    assert!(a.read(&rel).contains("Alice and Bob wrote this"), "{}", a.read(&rel));
}

#[test]
fn unreachable_remote_loses_nothing_and_the_next_sync_catches_up() {
    let (team, id) = Team::sharing(2, &["open", "DNS flaky", "--severity", "SEV2"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["log", "written while the remote is away"]);
    let away = team.remote.with_extension("away");
    std::fs::rename(&team.remote, &away).unwrap();
    let out = a.fails(1, &["sync"]);
    assert!(out.stderr.contains("nothing local is lost"), "{}", out.stderr);
    // git's cause, not the tail of its advice ("… and the repository exists.").
    assert!(out.stderr.contains("does not appear to be a git repository"), "{}", out.stderr);
    assert!(a.log_of(&id).contains("written while the remote is away"));
    // The note was committed locally: status says we are ahead.
    let s = a.json(&["status", &id, "--json"]);
    assert!(s["sync"]["ahead"].as_u64().unwrap() >= 1, "{s}");
    a.ok(&["log", "and another"]);
    std::fs::rename(&away, &team.remote).unwrap();
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let log = b.log_of(&id);
    assert!(log.contains("written while the remote is away") && log.contains("and another"));
    let s = a.json(&["status", &id, "--json"]);
    assert_eq!(s["sync"]["ahead"], 0, "{s}");
    assert_eq!(s["sync"]["behind"], 0, "{s}");
    assert!(s["sync"]["last_synced"].is_string(), "{s}");
}

#[test]
fn status_shows_ahead_behind_and_last_sync() {
    let (team, id) = Team::sharing(2, &["open", "Images broken", "--severity", "SEV3"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    b.ok(&["log", "-i", &id, "b's note"]);
    b.ok(&["sync"]);
    a.git(&["fetch", "-q"]);
    a.ok(&["log", "unsynced"]);
    let s = a.json(&["status", &id, "--json"]);
    assert_eq!(s["sync"]["behind"], 1, "{s}");
    assert_eq!(s["sync"]["unsynced_events"], 1, "{s}");
    let human = a.ok(&["status", &id]).stdout;
    assert!(human.contains("sync: origin/main") && human.contains("1 behind"), "{human}");
    assert!(human.contains("1 event not yet synced") && human.contains("last synced"), "{human}");
    // Without a remote, status says nothing about syncing.
    let solo = Env::init();
    solo.ok(&["open", "Alone", "--severity", "SEV3"]);
    assert!(solo.json(&["status", "--json"])["sync"].is_null());
    let out = solo.fails(2, &["sync"]);
    assert!(out.stderr.contains("git remote add"), "{}", out.stderr);
}

#[test]
fn sync_refuses_to_start_in_the_middle_of_a_rebase() {
    let team = Team::new(1);
    let a = &team.people[0];
    std::fs::create_dir_all(a.repo.join(".git/rebase-merge")).unwrap();
    std::fs::write(a.repo.join(".git/rebase-merge/head-name"), "refs/heads/main").unwrap();
    let out = a.fails(2, &["sync"]);
    assert!(out.stderr.contains("rebase") && out.stderr.contains("--continue"), "{}", out.stderr);
}

#[test]
fn writers_appending_while_another_process_syncs_lose_nothing() {
    let (team, id) = Team::sharing(2, &["open", "Busy", "--severity", "SEV2"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    let opened = ids_in(a, &id).1;
    for i in 0..20 {
        b.ok(&["log", "-i", &id, &format!("remote {i}")]);
    }
    b.ok(&["sync"]);
    // Four writers on A while A syncs three times.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let repo = a.repo.clone();
            let home = a.home.clone();
            let id = id.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let o = std::process::Command::new(BIN)
                        .current_dir(&repo)
                        .env("HOME", &home)
                        .env("GIT_CONFIG_NOSYSTEM", "1")
                        .args(["log", "-i", &id, &format!("writer {w} note {i}")])
                        .output()
                        .unwrap();
                    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                }
            })
        })
        .collect();
    for _ in 0..3 {
        a.ok(&["sync"]);
    }
    for w in writers {
        w.join().unwrap();
    }
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let (ids, lines) = ids_in(b, &id);
    assert_eq!(ids.len(), lines, "nothing duplicated");
    assert_eq!(lines, opened + 20 + 40, "nothing lost");
    assert_eq!(a.log_of(&id), b.log_of(&id));
}

/// `sync --watch 1s` running for `person`, and its stdout's lines as they come.
fn watching(person: &Env) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = person
        .command(BIN)
        .args(["sync", "--watch", "1s"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

#[test]
fn watch_prints_one_line_per_change() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["open", "Watched", "--severity", "SEV2"]);
    a.ok(&["sync"]);
    let (mut child, rx) = watching(b);
    let wait = |needle: &str| -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?} within 20 s");
    };
    let first = wait("event");
    assert!(first.contains("←"), "{first}");
    let id = a.only_id();
    a.ok(&["log", "war room note"]);
    a.ok(&["sync"]);
    let second = wait("1 event in");
    assert!(second.contains(&id), "{second}");
    // A failure is said once, not every round, and its end is said too.
    let away = team.remote.with_extension("away");
    std::fs::rename(&team.remote, &away).unwrap();
    let failed = wait("sync failed");
    assert!(failed.contains("does not appear to be a git repository"), "{failed}");
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let again: Vec<String> = rx.try_iter().collect();
    assert!(again.is_empty(), "the same failure printed again: {again:?}");
    std::fs::rename(&away, &team.remote).unwrap();
    let back = wait("origin/main");
    assert!(!back.contains("failed"), "{back}");
    let _ = child.kill();
    let _ = child.wait();
    assert!(b.log_of(&id).contains("war room note"));
}

#[test]
fn bad_watch_interval_is_refused() {
    let team = Team::new(1);
    let out = team.people[0].fails(2, &["sync", "--watch", "soon"]);
    assert!(out.stderr.contains("--watch soon"), "{}", out.stderr);
}

#[test]
fn progress_shows_on_a_terminal_and_sync_is_quiet_without_one() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["open", "Progress", "--severity", "SEV2"]);
    // Without a terminal: one line on stdout, nothing on stderr.
    let out = a.ok(&["sync"]);
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    assert_eq!(out.stderr, "", "{out:?}");
    // On a terminal git draws its progress.
    let id = a.only_id();
    b.ok(&["sync"]);
    b.ok(&["log", "-i", &id, "from a terminal"]);
    let mut sync = super::walk_pty::Walk::spawn_args(b, &["sync"]);
    sync.expect("Writing objects");
    sync.expect("pushed to origin/main");
    let (code, _) = sync.finish();
    assert_eq!(code, 0);
}

#[test]
fn file_url_remotes_work_like_paths() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    let url = format!("file://{}", team.remote.display());
    b.git(&["remote", "set-url", "origin", &url]);
    a.ok(&["open", "Over file://", "--severity", "SEV3"]);
    a.ok(&["sync"]);
    let out = b.json(&["sync", "--json"]);
    assert_eq!(out["merge"], "fast-forward", "{out}");
    let id = a.only_id();
    assert_eq!(out["incoming"][0]["incident"], id.as_str(), "{out}");
    b.ok(&["log", "-i", &id, "via file url"]);
    let out = b.json(&["sync", "--json"]);
    assert_eq!(out["pushed"], true, "{out}");
    assert!(out["committed"]["message"].as_str().unwrap().contains(&id), "{out}");
    a.ok(&["sync"]);
    assert!(a.log_of(&id).contains("via file url"));
}

#[test]
fn status_page_built_on_both_sides_is_rerendered_from_the_merged_logs() {
    let (team, id) = Team::sharing(2, &["open", "Search down", "--severity", "SEV2"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    // Both publish an update and build the page (a 30-day page, not the default).
    a.ok(&["update", "--channel", "status-page", "Update from a"]);
    a.ok(&["status-page", "--days", "30"]);
    b.ok(&["update", "--channel", "status-page", "Update from b"]);
    b.ok(&["status-page", "--days", "30"]);
    a.ok(&["sync"]);
    let merged = b.ok(&["sync", "--json"]).stdout;
    a.ok(&["sync"]);
    // No conflict: the page is derived, re-rendered from the merged logs, the same on both.
    let page = b.read(&format!("status-page/incidents/{id}.html"));
    assert!(page.contains("Update from a") && page.contains("Update from b"), "{merged}\n{page}");
    for file in ["index.html", "status.json", "feed.atom", &format!("incidents/{id}.html")] {
        assert_eq!(a.read(&format!("status-page/{file}")), b.read(&format!("status-page/{file}")), "{file}");
    }
    let summary: serde_json::Value = serde_json::from_str(&b.read("status-page/status.json")).unwrap();
    assert_eq!(summary["page"]["period"]["days"], 30, "the page keeps the window it was built with");
    let json: serde_json::Value = serde_json::from_str(&merged).unwrap();
    assert_eq!(json["rerendered"], serde_json::json!(["status-page/"]), "{merged}");
    no_conflict_markers(&b.repo);
    for p in [a, b] {
        assert_eq!(p.git(&["status", "--porcelain"]), "", "clean working tree");
        // What sync rendered is what `status-page` renders: building it again changes nothing.
        p.ok(&["status-page", "--days", "30"]);
        assert_eq!(p.git(&["status", "--porcelain"]), "", "re-render is byte-identical");
    }
}

/// Regression: on a branch the remote did not have, `status` said "in step as of the last
/// fetch" with another branch's last sync, though nothing of it was shared.
#[test]
fn status_on_a_branch_the_remote_does_not_have_says_nothing_is_shared() {
    let team = Team::new(1);
    let a = &team.people[0];
    a.ok(&["open", "Queue stuck", "--severity", "SEV3"]);
    a.ok(&["sync"]);
    let id = a.only_id();
    a.git(&["switch", "-q", "-c", "hotfix"]);
    a.ok(&["log", "on the branch"]);
    a.git(&["commit", "-q", "-am", "by hand"]);
    let s = a.json(&["status", &id, "--json"]);
    assert_eq!(s["sync"]["remote"], "origin/hotfix", "{s}");
    assert_eq!((s["sync"]["on_remote"].clone(), s["sync"]["ahead"].clone()), (false.into(), 1.into()), "{s}");
    assert!(s["sync"]["last_synced"].is_null(), "main's sync is not this branch's: {s}");
    let human = a.ok(&["status", &id]).stdout;
    assert!(human.contains("sync: origin/hotfix · not on the remote yet (1 commit to push)"), "{human}");
    assert!(!human.contains("in step"), "{human}");
    // The first sync pushes it; then it is in step.
    a.ok(&["sync"]);
    let s = a.json(&["status", &id, "--json"]);
    assert_eq!((s["sync"]["on_remote"].clone(), s["sync"]["ahead"].clone()), (true.into(), 0.into()), "{s}");
    assert!(a.ok(&["status", &id]).stdout.contains("in step as of the last fetch"));
}

/// Regression: a push a server-side hook declined was taken for a lost race, tried three
/// times, and reported without the hook's reason.
#[test]
fn a_push_a_hook_declines_is_not_retried_and_says_why() {
    let team = Team::new(1);
    let a = &team.people[0];
    a.ok(&["open", "Cache cold", "--severity", "SEV3"]);
    let hook = team.remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'main is frozen until the review' >&2\necho x >> \"$0.calls\"\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = a.fails(1, &["sync"]);
    assert_eq!(super::harness::without_hints(&out.stderr), 1, "{}", out.stderr);
    assert!(out.stderr.contains("pre-receive hook declined"), "{}", out.stderr);
    assert!(out.stderr.contains("main is frozen until the review"), "{}", out.stderr);
    let calls = std::fs::read_to_string(team.remote.join("hooks/pre-receive.calls")).unwrap();
    assert_eq!(calls.lines().count(), 1, "declined once, not tried again");
}

/// Regression: two syncs at once in one clone (a `--watch` terminal and a person's `sync`)
/// raced on the index and the branch: "current tip is not the first parent", "cannot lock
/// ref". One now waits for the other.
#[test]
fn two_syncs_at_once_in_one_clone_take_turns() {
    let (team, id) = Team::sharing(2, &["open", "Cart empty", "--severity", "SEV2"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    for round in 0..4 {
        // Something to merge each round: both sides have new events.
        b.ok(&["log", "-i", &id, &format!("b {round}")]);
        b.ok(&["sync"]);
        a.ok(&["log", &format!("a {round}")]);
        let spawn = || {
            a.command(BIN)
                .arg("sync")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (first, second) = (spawn(), spawn());
        for child in [first, second] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    b.ok(&["sync"]);
    assert_eq!(a.log_of(&id), b.log_of(&id));
    let (ids, lines) = ids_in(a, &id);
    assert_eq!(ids.len(), lines, "an event twice");
    assert_eq!(a.git(&["status", "--porcelain"]), "");
}

/// Regression: removing an incident (or rewriting a log line by hand) was committed as
/// "0 events (<id> +0)".
#[test]
fn a_commit_names_what_was_removed_and_never_counts_zero_events() {
    let team = Team::new(1);
    let a = &team.people[0];
    a.ok(&["open", "Opened by mistake", "--severity", "SEV3"]);
    a.ok(&["sync"]);
    let id = a.only_id();
    std::fs::remove_dir_all(a.path(&format!("incidents/{id}"))).unwrap();
    let out = a.json(&["sync", "--json"]);
    let message = out["committed"]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains(&format!("incidents/{id}/events.jsonl (removed)")), "{message}");
    assert!(!message.contains("0 event"), "{message}");
    assert_eq!(a.git(&["log", "-1", "--format=%s"]).trim(), message);
}

/// Regression: `init` wrote no `.gitignore`, so an editor's swap and backup files beside a
/// runbook were committed and pushed to the whole team by the next sync.
#[test]
fn editor_litter_is_not_shared() {
    let team = Team::new(1);
    let a = &team.people[0];
    for litter in
        ["runbooks/.network.yaml.swp", "runbooks/network.yaml~", "runbooks/#network.yaml#", ".DS_Store"]
    {
        std::fs::write(a.path(litter), "litter").unwrap();
    }
    std::fs::write(a.path("runbooks/mine.yaml"), "id: mine\n").unwrap();
    a.ok(&["sync"]);
    let tracked = a.git(&["ls-files"]);
    assert!(tracked.lines().any(|l| l == "runbooks/mine.yaml"), "{tracked}");
    assert!(tracked.lines().any(|l| l == ".gitignore"), "{tracked}");
    for litter in [".swp", "~", "#", ".DS_Store"] {
        assert!(!tracked.lines().any(|l| l.ends_with(litter)), "{litter} shared:\n{tracked}");
    }
}

/// Regression: the same title opened on two machines the same day (one id) became one
/// incident with two openings, and nothing said so: the second responder's severity was
/// silently ignored.
#[test]
fn one_incident_opened_on_two_machines_is_said_when_a_sync_joins_them() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["open", "Checkout returns 500", "--severity", "SEV1", "--at", "-20m"]);
    let id = a.only_id();
    let day = format!("{}T00:00:00Z", &id[..10]);
    b.ok(&["open", "Checkout returns 500", "--severity", "SEV2", "--started-at", &day, "--at", "-10m"]);
    assert_eq!(b.only_id(), id, "the same id on both machines");
    a.ok(&["sync"]);
    let merged = b.json(&["sync", "--json"]);
    assert_eq!(merged["opened_twice"], serde_json::json!([id]), "{merged}");
    let line = {
        b.ok(&["log", "after the join"]);
        b.ok(&["sync"]).stdout
    };
    assert!(!line.contains("opened here and on another machine"), "said once, by the merge: {line}");
    a.ok(&["sync"]);
    for p in [a, b] {
        let s = p.json(&["status", &id, "--json"]);
        assert_eq!(s["severity"], "SEV1", "the first opening stands: {s}");
        let also = s["also_opened"].as_array().cloned().unwrap_or_default();
        assert_eq!(also.len(), 1, "{s}");
        assert_eq!(also[0]["severity"], "SEV2", "{s}");
        let human = p.ok(&["status", &id]).stdout;
        assert!(human.contains("NOTE: also opened by") && human.contains("(SEV2)"), "{human}");
    }
}

/// Regression (QA): a status page built in the repository went out stale on every sync that
/// merged nothing: a SEV1 opened and synced was pushed beside a page saying "All Systems
/// Operational". Each sync builds the page from the logs it commits before it commits.
#[test]
fn a_sync_never_pushes_a_status_page_older_than_the_logs_it_pushes() {
    let team = Team::new(2);
    let [a, b] = &team.people[..] else { unreachable!() };
    a.ok(&["status-page"]);
    a.ok(&["sync"]);
    a.ok(&["open", "Checkout down", "--severity", "SEV1", "--service", "checkout"]);
    let out = a.json(&["sync", "--json"]);
    assert_eq!(out["rerendered"], serde_json::json!(["status-page/"]), "{out}");
    let pushed = a.git(&["show", "origin/main:status-page/status.json"]);
    assert!(!pushed.contains("All Systems Operational") && pushed.contains("Checkout down"), "{pushed}");
    a.ok(&["update", "--channel", "status-page", "--status", "identified", "Found it"]);
    a.ok(&["sync"]);
    assert!(a.git(&["show", "origin/main:status-page/status.json"]).contains("Found it"));
    // The other clone fast-forwards to a page that matches its logs; nothing left to commit.
    b.ok(&["sync"]);
    assert!(b.read("status-page/status.json").contains("Found it"));
    assert_eq!(b.git(&["status", "--porcelain"]), "");
    let again = b.json(&["sync", "--json"]);
    assert_eq!(again["rerendered"], serde_json::json!([]), "{again}");
}

/// A log that cannot be read must not take an outage off the page a sync pushes: the sync
/// keeps the page built before, says why, and still shares the record.
#[test]
fn a_sync_keeps_the_page_built_before_when_a_log_cannot_be_read() {
    let team = Team::new(1);
    let a = &team.people[0];
    a.ok(&["open", "Checkout down OUTAGE-TITLE", "--severity", "SEV1", "--service", "checkout"]);
    a.ok(&["status-page"]);
    a.ok(&["sync"]);
    let page = a.read("status-page/index.html");
    assert!(page.contains("OUTAGE-TITLE"));
    let id = a.only_id();
    // A hand edit leaves the log without a readable opening.
    let log = a.path(&format!("incidents/{id}/events.jsonl"));
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("{\"id\"", "{\"id\" garbage", 1)).unwrap();
    let out = a.ok(&["sync"]);
    assert!(out.stderr.contains("status-page/ not rebuilt, the page built before is kept"), "{out:#?}");
    assert!(out.stderr.contains(&id), "{out:#?}");
    assert_eq!(a.read("status-page/index.html"), page);
    assert!(a.git(&["show", "origin/main:status-page/index.html"]).contains("OUTAGE-TITLE"));
    assert!(a.git(&["show", &format!("origin/main:incidents/{id}/events.jsonl")]).contains("garbage"));
}

/// A war-room `sync --watch` says, once each, when an open incident's next stakeholder update
/// becomes due (2s before it, on a 10s cadence) and when it is overdue.
#[test]
fn watch_reminds_once_when_an_update_falls_due_and_once_when_overdue() {
    let team = Team::new(1);
    let me = &team.people[0];
    let config = me.read("incident.yaml").replacen("update_every: 30m", "update_every: 10s", 1);
    std::fs::write(me.path("incident.yaml"), config).unwrap();
    me.ok(&["open", "Watched", "--severity", "SEV2"]);
    let id = me.only_id();
    let (mut child, rx) = watching(me);
    let mut seen = Vec::new();
    let mut wait = |needle: &str| -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?} within 20 s: {seen:#?}");
    };
    let due = wait("stakeholder update due in ");
    assert!(due.contains(&id), "{due}");
    let overdue = wait("stakeholder update OVERDUE since ");
    assert!(overdue.contains(&id) && overdue.contains("SEV2 expects one every 10s"), "{overdue}");
    std::thread::sleep(std::time::Duration::from_millis(3000));
    let _ = child.kill();
    let _ = child.wait();
    let again: Vec<String> = rx.try_iter().filter(|l| l.contains("stakeholder update")).collect();
    assert!(again.is_empty(), "a reminder said twice: {again:?}");
}

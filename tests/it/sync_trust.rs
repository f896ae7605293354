//! A teammate's clone may be careless or hostile: what `sync` brings in is checked before
//! anything is written. Each test has a real attacker clone that builds its commits with the
//! git CLI as an attacker would (trees no `git add` makes, written with `hash-object
//! --literally`, then `commit-tree` and a plain `git push`), and a victim clone that runs the
//! real binary.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use super::harness::Env;
use super::sync::Team;

/// A tree entry: mode, name, object id.
type Entry = (String, Vec<u8>, String);

/// Runs git in `env` with `input` on stdin; asserts success and returns stdout, trimmed.
fn git_in(env: &Env, args: &[&str], input: &[u8]) -> String {
    let mut child = env
        .command("git")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run git");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn blob(env: &Env, bytes: &[u8]) -> String {
    git_in(env, &["hash-object", "-w", "--stdin"], bytes)
}

/// A tree object holding exactly `entries` (mode, name, object id), whatever git would say
/// of them.
fn raw_tree(env: &Env, entries: &[Entry]) -> String {
    let mut bytes = Vec::new();
    for (mode, name, oid) in entries {
        bytes.extend_from_slice(mode.trim_start_matches('0').as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(name);
        bytes.push(0);
        bytes.extend((0..oid.len()).step_by(2).map(|i| u8::from_str_radix(&oid[i..i + 2], 16).unwrap()));
    }
    git_in(env, &["hash-object", "-t", "tree", "--literally", "-w", "--stdin"], &bytes)
}

fn entry(mode: &str, name: &[u8], oid: &str) -> Entry {
    (mode.to_string(), name.to_vec(), oid.to_string())
}

/// The entries of the tree at `rev` (`git ls-tree -z`).
fn entries_of(env: &Env, rev: &str) -> Vec<Entry> {
    let out = env.command("git").args(["ls-tree", "-z", rev]).output().unwrap();
    assert!(out.status.success());
    out.stdout
        .split(|b| *b == 0)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let tab = l.iter().position(|b| *b == b'\t').unwrap();
            let meta = String::from_utf8_lossy(&l[..tab]).into_owned();
            let mut parts = meta.split(' ');
            let (mode, _, oid) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
            entry(mode, &l[tab + 1..], oid)
        })
        .collect()
}

/// A tree holding one path of folders down to one entry: `["a", "b"]` + (mode, name, oid).
fn nested(env: &Env, folders: &[&[u8]], leaf: Entry) -> Entry {
    let mut current = leaf;
    for folder in folders.iter().rev() {
        let tree = raw_tree(env, &[current]);
        current = entry("40000", folder, &tree);
    }
    current
}

/// The attacker's commit: its HEAD's tree with `extra` entries added at the top, on top of
/// HEAD, pushed to the remote's main as a plain (fast-forward) push. Returns the commit.
fn push_hostile(attacker: &Env, extra: Vec<Entry>) -> String {
    let mut entries = entries_of(attacker, "HEAD");
    entries.extend(extra);
    let tree = raw_tree(attacker, &entries);
    let commit = git_in(attacker, &["commit-tree", &tree, "-p", "HEAD", "-m", "innocent change"], b"");
    attacker.git(&["push", "-q", "origin", &format!("{commit}:refs/heads/main")]);
    commit
}

/// A hook that leaves a mark when git runs it.
fn hook_tree(attacker: &Env, mark: &Path) -> Entry {
    let script = format!("#!/bin/sh\necho pwned > '{}'\n", mark.display());
    let hook = blob(attacker, script.as_bytes());
    nested(attacker, &[b".git", b"hooks"], entry("100755", b"pre-push", &hook))
}

fn head(env: &Env) -> String {
    env.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// The remote's history is repaired as a person would: the hostile commit rewritten away by
/// a force-push of the commit before it.
fn force_back(attacker: &Env, hostile: &str) {
    attacker.git(&["push", "-q", "-f", "origin", &format!("{hostile}~1:refs/heads/main")]);
}

#[test]
fn a_hostile_commit_cannot_plant_a_hook_or_write_outside_the_repository_on_a_fast_forward() {
    // Regression: the victim's idle sync (a fast-forward) wrote `.git/hooks/pre-push` and
    // `../OUTSIDE` from the attacker's tree, and its next sync ran the hook.
    let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
    let [victim, attacker] = &team.people[..] else { unreachable!() };
    let mark = attacker.dir.path().join("pwned");
    let outside = blob(attacker, b"written outside\n");
    let hostile = push_hostile(
        attacker,
        vec![hook_tree(attacker, &mark), nested(attacker, &[b".."], entry("100644", b"OUTSIDE", &outside))],
    );
    let before = head(victim);

    let out = victim.fails(1, &["sync"]);
    let err = out.stderr.trim();
    assert_eq!(super::harness::without_hints(err), 1, "{err}");
    assert!(err.contains(&format!("refused commit {}", &hostile[..10])), "{err}");
    assert!(err.contains("`.git/hooks/pre-push`") && err.contains("git's own folder"), "{err}");
    assert!(!victim.path(".git/hooks/pre-push").exists(), "the hook was written");
    assert!(!victim.dir.path().join("OUTSIDE").exists(), "a file was written outside the repository");
    assert_eq!(head(victim), before, "the branch moved");
    assert_eq!(victim.git(&["status", "--porcelain"]), "", "the working tree changed");

    // The response goes on, and syncing again changes nothing: still refused, still nothing run.
    victim.ok(&["log", "still logging"]);
    victim.fails(1, &["sync"]);
    assert!(!mark.exists(), "the attacker's hook ran");

    // Once the remote is repaired, the next sync shares what was logged meanwhile.
    force_back(attacker, &hostile);
    victim.ok(&["sync"]);
    attacker.git(&["reset", "-q", "--hard", "origin/main"]);
    attacker.git(&["pull", "-q", "origin", "main"]);
    assert!(attacker.log_of(&id).contains("still logging"), "the victim's note was not shared");
    assert!(!mark.exists(), "the attacker's hook ran");
}

#[test]
fn a_hostile_commit_is_refused_whole_on_a_merge_and_local_work_is_kept() {
    let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
    let [victim, attacker] = &team.people[..] else { unreachable!() };
    // Both sides have something new: the victim's sync is a three-way merge.
    victim.ok(&["log", "the victim's note"]);
    let outside = blob(attacker, b"written outside\n");
    let hostile =
        push_hostile(attacker, vec![nested(attacker, &[b".."], entry("100644", b"OUTSIDE", &outside))]);
    let before = head(victim);

    let out = victim.fails(1, &["sync"]);
    assert!(out.stderr.contains(&format!("refused commit {}", &hostile[..10])), "{}", out.stderr);
    assert!(out.stderr.contains("`../OUTSIDE`"), "{}", out.stderr);
    assert!(!victim.dir.path().join("OUTSIDE").exists(), "a file was written outside the repository");
    assert!(!victim.path(".git/MERGE_HEAD").exists(), "a merge was left in progress");
    // The sync committed the victim's note before it fetched; nothing else moved: no merge.
    assert_eq!(victim.git(&["rev-list", "--count", &format!("{before}..HEAD")]).trim(), "1");
    assert_eq!(victim.git(&["rev-list", "--parents", "-n1", "HEAD"]).split_whitespace().count(), 2);
    assert!(victim.log_of(&id).contains("the victim's note"));
    victim.ok(&["log", "and another"]);

    force_back(attacker, &hostile);
    victim.ok(&["sync"]);
    let fresh = team.fresh_clone();
    let shared = fresh.log_of(&id);
    assert!(shared.contains("the victim's note") && shared.contains("and another"), "{shared}");
}

#[test]
fn every_kind_of_hostile_entry_is_refused_before_anything_is_written() {
    // One team; each hostile commit is pushed, refused by the victim, then rewritten away.
    let team = Team::new(2);
    let [victim, attacker] = &team.people[..] else { unreachable!() };
    let file = blob(attacker, b"x\n");
    let head_commit = head(attacker);
    let cases: Vec<(&str, Entry, &str)> = vec![
        (
            "`.GIT/config`",
            nested(attacker, &[b".GIT"], entry("100644", b"config", &file)),
            "git's own folder",
        ),
        (
            "`GIT~1/config`",
            nested(attacker, &[b"GIT~1"], entry("100644", b"config", &file)),
            "git's own folder",
        ),
        (
            "`incidents/x/.Git/hooks/post-merge`",
            nested(attacker, &[b"incidents", b"x", b".Git", b"hooks"], entry("100755", b"post-merge", &file)),
            "git's own folder",
        ),
        (
            "`\\u{feff}.git/config`",
            nested(attacker, &["\u{feff}.git".as_bytes()], entry("100644", b"config", &file)),
            "git's own folder",
        ),
        (
            "`runbooks/link`",
            nested(attacker, &[b"runbooks"], entry("120000", b"link", &blob(attacker, b"/etc/passwd"))),
            "a symlink",
        ),
        ("`vendor`", entry("160000", b"vendor", &head_commit), "a submodule"),
        ("`a/b`", entry("100644", b"a/b", &file), "a path separator"),
        ("`.`", nested(attacker, &[b"."], entry("100644", b"x", &file)), "a `.` component"),
        ("`escape␛[2J`", entry("100644", b"escape\x1b[2J", &file), "a control character"),
    ];
    for (path, hostile_entry, why) in cases {
        let before = head(victim);
        let hostile = push_hostile(attacker, vec![hostile_entry]);
        let out = victim.fails(1, &["sync"]);
        let err = out.stderr.trim();
        assert_eq!(super::harness::without_hints(err), 1, "{path}: {err}");
        assert!(err.contains(&hostile[..10]), "{path}: {err}");
        assert!(err.contains(path), "{path}: {err}");
        assert!(err.contains(why), "{path}: {why:?} not in {err}");
        assert_eq!(head(victim), before, "{path}: the branch moved");
        assert_eq!(victim.git(&["status", "--porcelain", "--ignored"]), "", "{path}: something was written");
        force_back(attacker, &hostile);
        victim.ok(&["sync"]);
    }
}

/// The attacker writes `lines` into the incident's log by hand and pushes with plain git.
fn push_lines(attacker: &Env, id: &str, lines: &[String]) {
    let path = attacker.path(&format!("incidents/{id}/events.jsonl"));
    let mut log = std::fs::read_to_string(&path).unwrap();
    for l in lines {
        log.push_str(l);
        log.push('\n');
    }
    std::fs::write(&path, log).unwrap();
    attacker.git(&["commit", "-qam", "more events"]);
    attacker.git(&["push", "-q", "origin", "HEAD:main"]);
}

fn note(id: &str, at: &str, text: &str) -> String {
    serde_json::json!({"id": id, "at": at, "by": "mallory", "kind": "note", "text": text}).to_string()
}

#[test]
fn oversized_and_impossibly_dated_events_from_a_remote_are_set_aside_and_reach_no_view() {
    // Regression: a 50 MB event arrived by sync (the limit held only for local writes), then
    // `postmortem` failed and `status` took 106 MB.
    let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
    let [victim, attacker] = &team.people[..] else { unreachable!() };
    let big = "x".repeat(5 * 1024 * 1024);
    push_lines(
        attacker,
        &id,
        &[
            note("big00000", "2026-11-27T15:01:00Z", &big),
            note("future00", "2099-01-01T00:00:00Z", "from a clock 73 years fast"),
            note("past0000", "1969-07-20T20:17:00Z", "before the epoch"),
            note("fine0000", "2026-11-27T15:02:00Z", "a real note"),
        ],
    );

    let out = victim.json(&["--json", "sync"]);
    let aside = out["set_aside"].as_array().unwrap();
    let events: Vec<&str> = aside.iter().map(|a| a["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["big00000", "future00", "past0000"], "{out:#}");
    assert!(aside[0]["reason"].as_str().unwrap().contains("larger than the 4 MiB"), "{out:#}");
    assert!(aside[1]["reason"].as_str().unwrap().contains("more than a day after it arrived"), "{out:#}");
    assert!(aside[2]["reason"].as_str().unwrap().contains("before 1970"), "{out:#}");
    let log = victim.log_of(&id);
    assert!(log.contains("a real note"));
    for gone in ["big00000", "future00", "past0000"] {
        assert!(!log.contains(gone), "{gone} joined the log");
    }
    // Kept, with the reason, for a person to look at; `doctor` names them.
    let rejected = victim.read(&format!("incidents/{id}/rejected.jsonl"));
    assert_eq!(rejected.lines().count(), 3, "{}", &rejected[..200.min(rejected.len())]);
    assert!(rejected.contains("from a clock 73 years fast"));
    let doctor = victim.run(&["doctor"]);
    assert!(
        doctor.stdout.contains("rejected.jsonl:2") && doctor.stdout.contains("2099-01-01"),
        "{doctor:#?}"
    );

    // No view shows them.
    victim.ok(&["postmortem", "--no-commit"]);
    let pm = victim.read(&format!("incidents/{id}/postmortem.md"));
    assert!(!pm.contains("73 years fast") && !pm.contains("xxxxxxxx") && pm.contains("a real note"));
    // The sync committed the mended log; the next one sets nothing aside again.
    let again = victim.json(&["--json", "sync"]);
    assert_eq!(again["set_aside"].as_array().map(Vec::len), Some(0), "{again:#}");
    assert_eq!(victim.read(&format!("incidents/{id}/rejected.jsonl")), rejected, "recorded twice");
    let fresh = team.fresh_clone();
    assert!(!fresh.log_of(&id).contains("future00"), "the mended log was not pushed");
}

/// A victim and an attacker sharing an incident with one note of the victim's on both sides.
fn sharing_the_victims_note() -> (Team, String) {
    let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
    team.people[0].ok(&["log", "the victim's own words"]);
    team.people[0].ok(&["sync"]);
    team.people[1].ok(&["sync"]);
    (team, id)
}

#[test]
fn one_event_id_with_two_contents_keeps_the_earlier_and_says_so() {
    // Regression: a fast-forward silently kept the remote's version of the victim's own note
    // (`by` still the victim); a three-way merge silently kept the local one.
    let (team, id) = sharing_the_victims_note();
    let [victim, attacker] = &team.people[..] else { unreachable!() };
    let mine = victim.events(&id).into_iter().find(|e| e["text"] == "the victim's own words").unwrap();
    let note_id = mine["id"].as_str().unwrap().to_string();

    // The attacker rewrites that line: other words, logged a second later.
    let path = attacker.path(&format!("incidents/{id}/events.jsonl"));
    let forged: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            if !l.contains(&note_id) {
                return format!("{l}\n");
            }
            let mut e: serde_json::Value = serde_json::from_str(l).unwrap();
            e["text"] = "forged words".into();
            let at = chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap();
            e["at"] = (at + chrono::Duration::seconds(1)).to_rfc3339().into();
            format!("{e}\n")
        })
        .collect();
    std::fs::write(&path, forged).unwrap();
    attacker.git(&["commit", "-qam", "rewrite"]);
    attacker.git(&["push", "-q", "origin", "HEAD:main"]);
    // Both sides have something new: a three-way merge.
    victim.ok(&["log", "meanwhile"]);

    let out = victim.json(&["--json", "sync"]);
    assert_eq!(out["merge"], "merge", "{out:#}");
    let aside = out["set_aside"].as_array().unwrap();
    assert_eq!(aside.len(), 1, "{out:#}");
    assert_eq!(aside[0]["event"], note_id.as_str());
    assert!(aside[0]["reason"].as_str().unwrap().contains("same id"), "{out:#}");
    let with_id: Vec<_> = victim.events(&id).into_iter().filter(|e| e["id"] == note_id.as_str()).collect();
    assert_eq!(with_id.len(), 1);
    assert_eq!(with_id[0]["text"], "the victim's own words", "the earlier version is kept");
    assert!(victim.read(&format!("incidents/{id}/rejected.jsonl")).contains("forged words"));

    // The attacker's clone, synced, agrees: one version, the same on both.
    attacker.ok(&["sync"]);
    victim.ok(&["sync"]);
    let line_of = |env: &Env| env.log_of(&id).lines().find(|l| l.contains(&note_id)).unwrap().to_string();
    assert_eq!(line_of(attacker), line_of(victim));
}

#[test]
fn a_forged_earlier_version_on_a_fast_forward_is_said_and_the_victims_is_kept_aside() {
    let (team, id) = sharing_the_victims_note();
    let [victim, attacker] = &team.people[..] else { unreachable!() };
    let path = attacker.path(&format!("incidents/{id}/events.jsonl"));
    let text =
        std::fs::read_to_string(&path).unwrap().replace("the victim's own words", "an earlier forgery");
    std::fs::write(&path, text).unwrap();
    attacker.git(&["commit", "-qam", "rewrite"]);
    attacker.git(&["push", "-q", "origin", "HEAD:main"]);

    let out = victim.ok(&["sync"]);
    assert!(out.stdout.contains("set aside 1 incoming line"), "{out:#?}");
    // One version in the log (the same `at`: the smaller bytes win, on every clone alike),
    // the other kept in rejected.jsonl: nothing silently replaced, nothing lost.
    assert!(victim.log_of(&id).contains("an earlier forgery"));
    assert!(!victim.log_of(&id).contains("the victim's own words"));
    assert!(victim.read(&format!("incidents/{id}/rejected.jsonl")).contains("the victim's own words"));
}

#[test]
fn an_event_log_replaced_by_a_folder_on_the_remote_is_named_and_put_back() {
    // Regression: every sync failed with "File exists (os error 17)" and `doctor` said clean.
    for victim_has_news in [false, true] {
        let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
        let [victim, attacker] = &team.people[..] else { unreachable!() };
        let log = format!("incidents/{id}/events.jsonl");
        let before = victim.log_of(&id);
        attacker.git(&["rm", "-q", &log]);
        std::fs::create_dir_all(attacker.path(&log)).unwrap();
        std::fs::write(attacker.path(&format!("{log}/notes.txt")), "not a log\n").unwrap();
        attacker.git(&["add", "-A"]);
        attacker.git(&["commit", "-qm", "reorganise"]);
        attacker.git(&["push", "-q", "origin", "HEAD:main"]);
        if victim_has_news {
            victim.ok(&["log", "written before the sync"]);
        }

        let out = victim.json(&["--json", "sync"]);
        assert_eq!(out["mended"], serde_json::json!([log]), "{out:#}");
        assert!(victim.path(&log).is_file());
        assert!(victim.log_of(&id).starts_with(&before), "the log lost lines");
        assert_eq!(victim.log_of(&id).contains("written before the sync"), victim_has_news);
        victim.ok(&["log", "after the sync"]);
        victim.ok(&["sync"]);
        // The push mended the remote: a fresh clone has the log as a file, with everything.
        let fresh = team.fresh_clone();
        assert!(fresh.path(&log).is_file());
        assert!(fresh.log_of(&id).contains("after the sync"));
        fresh.ok(&["status"]);
    }
}

#[test]
fn an_incident_folder_renamed_on_the_remote_stays_one_incident_with_every_event() {
    // Regression: a `git mv` of an incident folder on the remote left two identical open
    // incidents on every clone that synced.
    for victim_has_news in [false, true] {
        let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
        let [victim, attacker] = &team.people[..] else { unreachable!() };
        let renamed = format!("{id}-payments");
        attacker.git(&["mv", &format!("incidents/{id}"), &format!("incidents/{renamed}")]);
        attacker.git(&["commit", "-qm", "a better name"]);
        attacker.git(&["push", "-q", "origin", "HEAD:main"]);
        if victim_has_news {
            victim.ok(&["log", "written before the sync"]);
        }

        let out = victim.json(&["--json", "sync"]);
        assert_eq!(out["renamed"], serde_json::json!([{"from": id, "to": renamed}]), "{out:#}");
        assert_eq!(victim.ids(), vec![renamed.clone()], "two incidents");
        let list = victim.json(&["--json", "list"]);
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list:#}");
        assert_eq!(victim.log_of(&renamed).contains("written before the sync"), victim_has_news);
        victim.ok(&["log", "-i", &renamed, "after"]);
        victim.ok(&["sync"]);
        let fresh = team.fresh_clone();
        assert_eq!(fresh.ids(), vec![renamed.clone()]);
        assert_eq!(fresh.log_of(&renamed).contains("written before the sync"), victim_has_news);
    }
}

#[test]
fn temp_files_are_never_shared_and_a_gitignore_never_hides_the_record() {
    // Regression: a killed sync's `.events.jsonl.<pid>.tmp` was committed and pushed.
    let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
    let [victim, teammate] = &team.people[..] else { unreachable!() };
    // An older repository's .gitignore, without the temp-file line; and a teammate's that
    // ignores the whole record.
    teammate.ok(&["sync"]);
    std::fs::write(teammate.path(".gitignore"), "incidents/\nchanges/\n").unwrap();
    teammate.git(&["commit", "-qam", "ignore everything"]);
    teammate.git(&["push", "-q", "origin", "HEAD:main"]);
    victim.ok(&["sync"]);
    assert_eq!(victim.read(".gitignore"), "incidents/\nchanges/\n");

    std::fs::write(victim.path(&format!("incidents/{id}/.events.jsonl.4242.tmp")), "half a line").unwrap();
    std::fs::write(victim.path(&format!("incidents/{id}/.postmortem.md.tmp")), "draft").unwrap();
    victim.ok(&["log", "still shared"]);
    victim.ok(&["open", "Search down", "--severity", "SEV3"]);
    victim.ok(&["sync"]);

    let tracked = victim.git(&["ls-files"]);
    assert!(!tracked.contains(".tmp"), "{tracked}");
    let fresh = team.fresh_clone();
    assert_eq!(fresh.ids().len(), 2, "an ignored new incident was not shared");
    assert!(fresh.log_of(&id).contains("still shared"));
}

/// `git daemon` on 127.0.0.1 serving the bare repositories under `base`, pushes allowed:
/// a real network transport (git://) beside file remotes. Stopped when dropped.
struct GitDaemon {
    child: std::process::Child,
    port: u16,
}

impl GitDaemon {
    fn serve(env: &Env, base: &Path) -> GitDaemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // The daemon itself, not `git daemon`: the `git` wrapper would run it as a child that
        // outlives the wrapper when the test stops it.
        let exec_path = env.git(&["--exec-path"]);
        let child = env
            .command(&format!("{}/git-daemon", exec_path.trim()))
            .args([
                "--reuseaddr",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", base.display()),
                "--export-all",
                "--enable=receive-pack",
                "--informative-errors",
                base.to_str().unwrap(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start git daemon");
        let daemon = GitDaemon { child, port };
        // Ready when it accepts a connection: at most 100 tries, 50 ms apart.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return daemon;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("git daemon did not listen on 127.0.0.1:{port} within 5 s");
    }

    fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn over_git_daemon_sync_shares_refuses_hostile_commits_and_survives_the_server_going_away() {
    let base = tempfile::tempdir().unwrap();
    let first = Env::init();
    first.git(&[
        "init",
        "-q",
        "--bare",
        "--initial-branch=main",
        base.path().join("incidents.git").to_str().unwrap(),
    ]);
    let mut daemon = GitDaemon::serve(&first, base.path());
    let url = daemon.url("incidents.git");
    first.git(&["remote", "add", "origin", &url]);
    first.ok(&["sync"]);
    let clone = |env: &Env| env.git(&["clone", "-q", &url, env.repo.to_str().unwrap()]);
    let (victim, attacker) = (Env::new(), Env::new());
    clone(&victim);
    clone(&attacker);

    // Shared both ways over the network.
    first.ok(&["open", "Checkout down", "--severity", "SEV1"]);
    first.ok(&["sync"]);
    victim.ok(&["sync"]);
    let id = victim.only_id();
    victim.ok(&["log", "from the victim"]);
    victim.ok(&["sync"]);
    first.ok(&["sync"]);
    assert!(first.log_of(&id).contains("from the victim"));

    // A hostile commit pushed over git:// is refused whole, as from a file remote.
    attacker.git(&["pull", "-q", "origin", "main"]);
    let mark = attacker.dir.path().join("pwned");
    let hostile = push_hostile(&attacker, vec![hook_tree(&attacker, &mark)]);
    let out = victim.fails(1, &["sync"]);
    assert!(out.stderr.contains(&hostile[..10]) && out.stderr.contains(".git/hooks/pre-push"), "{out:#?}");
    assert!(!victim.path(".git/hooks/pre-push").exists());
    force_back(&attacker, &hostile);
    victim.ok(&["sync"]);

    // The server goes away: the sync fails, nothing is lost, and the next one catches up.
    drop(daemon);
    victim.ok(&["log", "while the server was down"]);
    let out = victim.fails(1, &["sync"]);
    assert!(out.stderr.contains("nothing local is lost"), "{out:#?}");
    assert!(victim.log_of(&id).contains("while the server was down"));
    daemon = GitDaemon::serve(&first, base.path());
    let url2 = daemon.url("incidents.git");
    victim.git(&["remote", "set-url", "origin", &url2]);
    first.git(&["remote", "set-url", "origin", &url2]);
    victim.ok(&["sync"]);
    first.ok(&["sync"]);
    assert!(first.log_of(&id).contains("while the server was down"));
    assert!(!mark.exists(), "the attacker's hook ran");
}

#[test]
fn the_first_sync_of_a_clone_with_no_history_is_vetted_like_every_other() {
    // A clone with no commit of its own yet (its HEAD unborn, nothing to commit) takes the
    // remote's history as it is: the same check runs before anything of it is written.
    let team = Team::new(2);
    let attacker = &team.people[1];
    let victim = Env::new();
    std::fs::create_dir_all(&victim.repo).unwrap();
    victim.git(&["init", "-q"]);
    std::fs::copy(attacker.path("incident.yaml"), victim.path("incident.yaml")).unwrap();
    std::fs::write(victim.path(".git/info/exclude"), "*\n").unwrap();
    victim.git(&["remote", "add", "origin", team.remote.to_str().unwrap()]);
    let mark = attacker.dir.path().join("pwned");
    let hostile = push_hostile(attacker, vec![hook_tree(attacker, &mark)]);

    let out = victim.fails(1, &["sync"]);
    assert!(out.stderr.contains(&format!("refused commit {}", &hostile[..10])), "{out:#?}");
    assert!(!victim.path(".git/hooks/pre-push").exists(), "the hook was written");
    assert!(!victim.path("runbooks").exists(), "something of the remote's was written");

    force_back(attacker, &hostile);
    victim.ok(&["sync"]);
    assert!(victim.path("runbooks").is_dir(), "the remote's history was not taken");
    assert!(!mark.exists());
}

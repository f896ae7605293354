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
    assert_eq!(err.lines().count(), 1, "{err}");
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
        assert_eq!(err.lines().count(), 1, "{path}: {err}");
        assert!(err.contains(&hostile[..10]), "{path}: {err}");
        assert!(err.contains(path), "{path}: {err}");
        assert!(err.contains(why), "{path}: {why:?} not in {err}");
        assert_eq!(head(victim), before, "{path}: the branch moved");
        assert_eq!(victim.git(&["status", "--porcelain", "--ignored"]), "", "{path}: something was written");
        force_back(attacker, &hostile);
        victim.ok(&["sync"]);
    }
}

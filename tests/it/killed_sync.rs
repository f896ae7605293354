//! docs/sync.md: a sync killed at any instant heals. Syncs are SIGKILLed at random moments while
//! responders write; git's lock files a killed sync leaves are named by `doctor` and removed
//! by `doctor --fix` and by the next sync, never one a live git may hold; and `status` tells
//! a failed sync from a clone in step. Checked with the `git` CLI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::harness::{BIN, Env};
use super::sync::Team;

/// Every `*.lock` file under a clone's `.git`, but the tool's own flock file (`incident-sync.lock`
/// stays: only its flock comes and goes).
fn git_locks(repo: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "lock") && !p.ends_with(".git/incident-sync.lock") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo.join(".git"), &mut out);
    out
}

/// The marks of syncs and commits at work (or killed) in a clone's `.git`.
fn markers(repo: &Path) -> Vec<String> {
    std::fs::read_dir(repo.join(".git"))
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("incident-sync.") && n.ends_with(".running"))
        .collect()
}

/// How many times each event id is in the incident's log.
fn id_counts(env: &Env, id: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in env.events(id) {
        *counts.entry(e["id"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    counts
}

/// A small seeded generator (xorshift64*): the same delays on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A writer appending notes to `env`'s clone until `stop`; answers the ids of the events
/// acknowledged (exit 0 of `log --json`).
fn writer(env: &Env, id: &str, who: usize, stop: &AtomicBool) -> Vec<String> {
    let mut acked = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let note = format!("writer {who} note {n}");
        let out =
            env.command(BIN).args(["log", "--json", "-i", id, &note]).stdin(Stdio::null()).output().unwrap();
        n += 1;
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            acked.push(v["events"][0]["id"].as_str().unwrap().to_string());
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    acked
}

/// Regression: SIGKILL of `sync` at random moments (writers appending on both clones) left
/// `.git/index.lock` or `.git/refs/heads/main.lock` now and then; every sync after failed
/// ("failed to lock file '…main.lock' for writing: ", cut short), nothing healed it.
#[test]
fn syncs_killed_at_random_moments_leave_no_lock_and_lose_no_event() {
    let (team, id) = Team::sharing(2, &["open", "Killed syncs", "--severity", "SEV2"]);
    let stop = AtomicBool::new(false);
    let (acked, rounds, killed) = std::thread::scope(|scope| {
        let writers: Vec<_> = team
            .people
            .iter()
            .enumerate()
            .map(|(w, p)| {
                let (id, stop) = (&id, &stop);
                scope.spawn(move || writer(p, id, w, stop))
            })
            .collect();
        let (rounds, killed) = kill_loop(&team);
        stop.store(true, Ordering::Relaxed);
        let acked: Vec<String> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        (acked, rounds, killed)
    });
    assert!(rounds >= 100, "only {rounds} rounds in time");
    assert!(killed >= 20, "only {killed} of {rounds} syncs were killed: the delays miss the syncs");
    assert!(acked.len() >= 20, "writers acknowledged only {} events", acked.len());
    // Each must succeed: whatever the kills left, the next syncs heal.
    let [a, b] = &team.people[..] else { unreachable!() };
    for p in [a, b, a, b] {
        p.ok(&["sync"]);
    }
    for p in [a, b] {
        let counts = id_counts(p, &id);
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "events twice: {twice:?}");
        let lost: Vec<_> = acked.iter().filter(|e| !counts.contains_key(*e)).collect();
        assert!(lost.is_empty(), "{} acknowledged events lost: {lost:?}", lost.len());
        assert_eq!(git_locks(&p.repo), Vec::<PathBuf>::new(), "git locks left");
        assert_eq!(markers(&p.repo), Vec::<String>::new(), "marks of killed syncs left");
        p.git(&["fsck", "--strict", "--no-dangling"]);
        assert_eq!(p.git(&["status", "--porcelain"]), "", "clean working tree");
    }
    assert_eq!(id_counts(a, &id), id_counts(b, &id), "both clones hold the same events");
    eprintln!("{rounds} rounds, {killed} syncs killed, {} events acknowledged", acked.len());
}

/// Syncs on each clone in turn, each SIGKILLed after a seeded random delay unless it ended
/// first; bounded in count and in time. Answers the rounds and the kills.
fn kill_loop(team: &Team) -> (usize, usize) {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let started = Instant::now();
    let (mut rounds, mut killed) = (0, 0);
    // Bounded in count and in time; a sync takes 150-400 ms here, so the
    // delays fall before, inside and after it.
    while rounds < 110 && started.elapsed() < Duration::from_secs(60) {
        let p = &team.people[rounds % 2];
        let mut child = p
            .command(BIN)
            .arg("sync")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next() % 500));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        rounds += 1;
    }
    (rounds, killed)
}

/// Leaves what a sync killed at the wrong moment leaves: its mark, then a git lock made
/// after it.
fn killed_sync_left(p: &Env, lock: &str) {
    std::fs::write(p.path(".git/incident-sync.999999-0-0.running"), "sync\n").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(p.path(lock), "0000000000000000000000000000000000000000\n").unwrap();
}

/// Regression: a lock a killed sync left stopped every later sync and `postmortem`, while
/// `doctor` said "No problems found".
#[test]
fn a_lock_a_killed_sync_left_is_named_by_doctor_and_removed_by_fix_and_by_the_next_sync() {
    let (team, id) = Team::sharing(2, &["open", "Lock left", "--severity", "SEV2"]);
    let [a, b] = &team.people[..] else { unreachable!() };
    killed_sync_left(a, ".git/refs/heads/main.lock");
    let out = a.fails(1, &["doctor"]);
    assert!(
        out.stdout.contains(
            ".git/refs/heads/main.lock: git lock left by an `incident` sync or commit that was killed"
        ),
        "{out:#?}"
    );
    assert!(out.stdout.contains("--fix removes it"), "{}", out.stdout);
    assert!(
        out.stdout.contains(".git/incident-sync.999999-0-0.running"),
        "the mark is named: {}",
        out.stdout
    );
    let out = a.fails(1, &["doctor", "--fix"]);
    assert!(
        out.stdout.contains(".git/refs/heads/main.lock") && out.stdout.contains("removed"),
        "{}",
        out.stdout
    );
    assert!(!a.path(".git/refs/heads/main.lock").exists());
    assert_eq!(markers(&a.repo), Vec::<String>::new());
    assert!(a.ok(&["doctor"]).stdout.contains("No problems found"));

    // A fresh one: the next sync removes it, says so in a line, and syncs.
    killed_sync_left(a, ".git/index.lock");
    a.ok(&["log", "after the kill"]);
    let out = a.ok(&["sync"]);
    assert!(
        out.stdout.lines().next().unwrap().starts_with("removed .git/index.lock, left by a sync"),
        "{out:#?}"
    );
    assert!(!a.path(".git/index.lock").exists());
    b.ok(&["sync"]);
    assert!(b.log_of(&id).contains("after the kill"));
    // And `--json` has it as a field.
    killed_sync_left(a, ".git/HEAD.lock");
    let report = a.json(&["sync", "--json"]);
    assert_eq!(report["healed"], serde_json::json!([".git/HEAD.lock"]), "{report}");
    assert_eq!(git_locks(&a.repo), Vec::<PathBuf>::new());
    assert_eq!(markers(&a.repo), Vec::<String>::new());
    a.git(&["fsck", "--strict", "--no-dangling"]);
}

/// Regression: the lock error was cut short ("failed to lock file '…' for writing: ") and
/// said nothing of what to do. A lock no killed sync of ours accounts for may be a live
/// git's (a `git commit` waiting for its editor): named, with the fix, never removed.
#[test]
fn a_lock_nothing_of_ours_left_is_never_removed_and_the_error_names_it_and_the_fix() {
    let (team, _id) = Team::sharing(2, &["open", "Live git", "--severity", "SEV2"]);
    let a = &team.people[0];
    std::fs::write(a.path(".git/index.lock"), "").unwrap();
    a.ok(&["log", "waiting"]);
    let out = a.fails(1, &["sync"]);
    let lock = a.path(".git/index.lock");
    assert!(out.stderr.contains(&format!("{} is there", lock.display())), "{out:#?}");
    assert!(out.stderr.contains(&format!("rm '{}'", lock.display())), "{out:#?}");
    assert!(lock.exists(), "a lock a live git may hold was removed");
    let out = a.fails(1, &["doctor", "--fix"]);
    assert!(
        out.stdout.contains(".git/index.lock: git lock file") && out.stdout.contains("by hand"),
        "{out:#?}"
    );
    assert!(lock.exists());
    // Every command that commits says the same.
    a.ok(&["resolve", "--root-cause", "x"]);
    let out = a.fails(1, &["postmortem"]);
    assert!(out.stderr.contains(&format!("{} is there", lock.display())), "{out:#?}");
    let json = a.run(&["--json", "sync"]);
    let e: serde_json::Value = serde_json::from_str(&json.stderr).unwrap();
    assert_eq!(e["error"]["kind"], "git-locked", "{e}");
    // Removed by hand, everything goes on.
    std::fs::remove_file(&lock).unwrap();
    a.ok(&["sync"]);
    a.ok(&["doctor"]);
}

/// Regression: after every sync had failed, `status` called the clone "in step as of the last
/// fetch" with 168 events not synced.
#[test]
fn status_after_a_failed_sync_names_the_failure_and_never_says_in_step() {
    let (team, id) = Team::sharing(2, &["open", "Status after failure", "--severity", "SEV2"]);
    let a = &team.people[0];
    let s = a.json(&["status", &id, "--json"]);
    assert_eq!(s["sync"]["in_step"], true, "{s}");
    assert!(a.ok(&["status", &id]).stdout.contains("in step"));
    // Nothing to share either way, but the last sync failed.
    let away = team.remote.with_extension("away");
    std::fs::rename(&team.remote, &away).unwrap();
    a.fails(1, &["sync"]);
    let human = a.ok(&["status", &id]).stdout;
    assert!(!human.contains("in step"), "{human}");
    assert!(human.contains("LAST SYNC FAILED"), "{human}");
    assert!(human.contains("does not appear to be a git repository"), "{human}");
    let s = a.json(&["status", &id, "--json"]);
    assert_eq!(s["sync"]["in_step"], false, "{s}");
    let reason = s["sync"]["last_failed"]["reason"].as_str().unwrap();
    assert!(reason.contains("fetching from origin failed"), "{s}");
    assert!(s["sync"]["last_failed"]["at"].is_string(), "{s}");
    assert!(s["sync"]["last_synced"].is_string(), "the last success is kept beside it: {s}");
    // Events waiting are never "in step" either.
    std::fs::rename(&away, &team.remote).unwrap();
    a.ok(&["sync"]);
    a.ok(&["log", "not yet shared"]);
    let human = a.ok(&["status", &id]).stdout;
    assert!(!human.contains("in step") && human.contains("1 event not yet synced"), "{human}");
    assert!(!human.contains("FAILED"), "a success clears the failure: {human}");
    a.ok(&["sync"]);
    let human = a.ok(&["status", &id]).stdout;
    assert!(human.contains("in step") && !human.contains("FAILED"), "{human}");
    let s = a.json(&["status", &id, "--json"]);
    assert!(s["sync"]["last_failed"].is_null(), "{s}");
    assert_eq!(s["sync"]["in_step"], true, "{s}");
}

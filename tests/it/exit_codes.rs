//! Every error the tool can give, through the real binary: its exit code (2 for bad usage or
//! input, 1 for a failure of the machine around the command: I/O, git, starting a process)
//! and, with `--json`, the machine-readable `{"error": {"message", "code", "kind"}}`.

use serde_json::Value;

use super::harness::Env;

/// Runs `args` with `--json` and returns (exit code, the error object).
fn error(env: &Env, args: &[&str]) -> (i32, Value) {
    let mut full = args.to_vec();
    full.push("--json");
    let out = env.run(&full);
    let line = out.stderr.lines().last().unwrap_or_default();
    let v: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{args:?}: not a JSON error ({e}): {out:?}"));
    assert_eq!(v["error"]["code"], out.code, "{args:?}: {v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty() && !m.contains('\n')), "{v}");
    (out.code, v["error"].clone())
}

fn expect(env: &Env, args: &[&str], code: i32, kind: &str) {
    let (got, err) = error(env, args);
    assert_eq!((got, err["kind"].as_str().unwrap_or_default()), (code, kind), "{args:?}: {err}");
}

fn open(env: &Env, title: &str) {
    env.ok(&["open", title, "--severity", "SEV1", "--service", "checkout", "--runbook", "bad-deploy"]);
}

#[test]
fn usage_and_input_errors_exit_2_with_their_kind() {
    let outside = Env::new();
    std::fs::create_dir_all(&outside.repo).unwrap();
    expect(&outside, &["list"], 2, "no-repo");
    expect(&outside, &["list", "--repo", "/nonexistent/place"], 2, "not-a-repo");
    expect(&outside, &["lint"], 2, "nothing-to-lint");
    expect(&outside, &["lint", "/nonexistent/place"], 2, "no-such-path");
    expect(&outside, &["lint", "--explain", "no-such-rule"], 2, "unknown-rule");

    let env = Env::init();
    expect(&env, &["log", "x"], 2, "no-open-incident");
    expect(&env, &["open", "T", "--severity", "P1"], 2, "unknown-severity");
    expect(&env, &["open", "T", "--severity", "SEV1", "--service", "payments"], 2, "unknown-service");
    expect(&env, &["open", "T", "--severity", "SEV1", "--runbook", "nope"], 2, "unknown-runbook");
    expect(&env, &["open", "--severity", "SEV1"], 2, "missing");
    expect(&env, &["open", "T", "--severity", "SEV1", "--started-at", "yesterday-ish"], 2, "bad-time");
    env.ok(&["open", "No runbook here", "--severity", "SEV2"]);
    expect(&env, &["step", "done", "x"], 2, "no-runbook");
    open(&env, "Checkout down");
    expect(&env, &["log", "x"], 2, "ambiguous-incident");
    expect(&env, &["status", "2099-nothing"], 2, "unknown-incident");
    expect(&env, &["status", "../etc"], 2, "bad-incident-id");
    // A symlinked incident (SECURITY.md: never followed; tests/it/paths.rs has the rest).
    std::os::unix::fs::symlink(env.dir.path(), env.path("incidents/zz-linked")).unwrap();
    expect(&env, &["status", "zz-linked"], 2, "symlink");
    std::fs::remove_file(env.path("incidents/zz-linked")).unwrap();
    let id = env.ids().into_iter().find(|i| i.contains("checkout-down")).unwrap();
    let on = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend(["-i".to_string(), id.clone()]);
        v
    };
    let run = |args: &[&str], code: i32, kind: &str| {
        let full = on(args);
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        if code == 0 {
            env.ok(&refs);
        } else {
            expect(&env, &refs, code, kind);
        }
    };
    run(&["log", "   "], 2, "empty");
    run(&["log", "x", "--at", "25:99"], 2, "bad-time");
    run(&["action", "A", "--owner", "o", "--due", "next week"], 2, "bad-date");
    run(&["severity", "SEV1"], 2, "same-severity");
    run(&["step", "done", "restart-everything"], 2, "unknown-step");
    run(&["step", "done", "recent-deploy", "--choice", "maybe"], 2, "unknown-answer");
    run(&["step", "done", "scope-impact", "--choice", "yes"], 2, "not-a-decision");
    run(&["step", "done", "recent-deploy"], 2, "answer-needed");
    run(&["step", "run", "recent-deploy"], 2, "no-command");
    run(&["step", "run", "confirm-5xx-rate"], 2, "needs-terminal");
    run(&["phase", "sideways"], 2, "unknown-phase");
    run(&["phase", "detect"], 2, "already-in-phase");
    run(&["phase", "validate"], 0, "");
    run(&["phase", "next"], 2, "last-phase");
    run(&["postmortem", "--template", "/nonexistent/t.md.j2"], 2, "cannot-read");
    std::fs::write(env.dir.path().join("bad.md.j2"), "{% if %}").unwrap();
    let bad = env.dir.path().join("bad.md.j2");
    run(&["postmortem", "--no-commit", "--template", bad.to_str().unwrap()], 2, "template");
    // A template stopped at its limit is input the user can fix (issue 13).
    let huge = env.dir.path().join("huge.md.j2");
    std::fs::write(&huge, "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}").unwrap();
    run(&["postmortem", "--no-commit", "--template", huge.to_str().unwrap()], 2, "template-limit");
    expect(&env, &["status", "-i", ""], 2, "empty-id");
    run(&["resolve"], 0, "");
    run(&["severity", "SEV2"], 2, "not-open");
    run(&["close"], 0, "");
    run(&["close"], 2, "already-closed");

    // A runbook with an error is refused with lint's verdict.
    std::fs::write(env.path("runbooks/broken.yaml"), "id: broken\ntitle: [\n").unwrap();
    expect(&env, &["open", "T", "--severity", "SEV1", "--runbook", "broken"], 2, "unknown-runbook");
    // A broken incident.yaml with no committed version that passes (a branch with no commit
    // yet) stops every command with lint's verdict; with one, commands fall back to it.
    std::fs::write(env.path("incident.yaml"), "severities: {SEV1: {budgets: {detect: soon}}}\n").unwrap();
    env.git(&["checkout", "-q", "--orphan", "unborn"]);
    expect(&env, &["list"], 2, "bad-file");
}

/// Regression guard for the exit code decided once in `error.rs`: a failure of the machine
/// around the command (I/O, git, starting a process) is 1, not "bad input".
#[test]
fn io_git_and_spawn_failures_exit_1() {
    let env = Env::init();
    open(&env, "Checkout down");
    let id = env.only_id();
    // I/O: the log is a folder, not a file.
    let log = env.path(&format!("incidents/{id}/events.jsonl"));
    let saved = std::fs::read(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    std::fs::create_dir(&log).unwrap();
    expect(&env, &["status", &id], 1, "io");
    std::fs::remove_dir(&log).unwrap();
    std::fs::write(&log, saved).unwrap();
    // Spawn: no `sh` to be found on PATH.
    let out = env
        .command(super::harness::BIN)
        .args(["step", "run", "confirm-5xx-rate", "--yes", "--json"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("\"kind\":\"spawn\""), "{stderr}");
    // Git: the repository's git folder is damaged.
    env.ok(&["resolve"]);
    std::fs::write(env.path(".git/HEAD"), "not a ref\n").unwrap();
    expect(&env, &["postmortem", &id], 1, "git");
}

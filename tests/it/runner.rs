//! A step's command against hostile output and hostile timing (SECURITY.md, issue 13): output
//! that never ends, commands that outlive their shell, Ctrl-C, a runbook changed under the
//! responder's feet. Each test is named after the defect it guards against and drives the
//! real binary on a real repository; every wait is bounded in time.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{BIN, Env};

/// A repository with runbook `probe` holding `steps` (YAML, indented as under `steps:`) in
/// its detect phase, and an open incident following it.
fn with_steps(steps: &str) -> (Env, String) {
    let env = Env::init();
    let runbook = format!(
        "id: probe\ntitle: Probe\nservices: [web]\nseverities: [SEV2]\nphases:\n  detect:\n    steps:\n{steps}"
    );
    std::fs::write(env.path("runbooks/probe.yaml"), runbook).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "probe"]);
    let id = env.only_id();
    (env, id)
}

fn commands(env: &Env, id: &str) -> Vec<Value> {
    env.events(id).into_iter().filter(|e| e["kind"] == "command").collect()
}

/// Waits (at most `limit`) for the child to exit; its exit code, or a panic naming `what`.
fn wait_for(child: &mut Child, limit: Duration, what: &str) -> i32 {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("{what}: still running after {limit:?}");
}

/// Waits (at most 10 s) for a file a command writes, and returns its content trimmed.
fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text.trim().to_string();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} was never written", path.display());
}

/// Whether process `pid` still runs: present in /proc and not a zombie waiting to be reaped.
fn alive(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses, which may itself hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
        Err(_) => false,
    }
}

/// A process's peak resident memory (VmHWM) in KiB, while it runs.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Regression (issue 13): `run: yes` grew to 6.9 GB in 8 s and never finished. Now the
/// output is read with bounded memory, the middle dropped with a marker, and the step's
/// timeout ends it.
#[test]
fn unbounded_output_is_capped_with_bounded_memory() {
    let (env, id) = with_steps(
        "      - id: flood\n        title: Endless output\n        run: yes\n        timeout: 5s\n",
    );
    let start = Instant::now();
    let mut child = env
        .command(BIN)
        .args(["step", "run", "flood", "--yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    let mut code = None;
    // Bounded: 30 s at most, polled every 50 ms.
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            code = status.code();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = start.elapsed();
    if code.is_none() {
        let _ = child.kill();
    }
    // Reaped either way (try_wait above already has when it exited).
    let _ = child.wait();
    assert_eq!(code, Some(1), "a timed-out command is a failed check (after {elapsed:?})");
    assert!(peak > 0, "never read the memory of the running process");
    assert!(peak < 200 * 1024, "peak memory {peak} KiB");
    // 5 s of timeout, SIGTERM ends `yes` at once; the rest is start-up and the log.
    assert!(elapsed < Duration::from_secs(5 + 5), "took {elapsed:?}");
    let cmds = commands(&env, &id);
    assert_eq!(cmds.len(), 1, "{cmds:#?}");
    let c = &cmds[0];
    assert_eq!(c["timed_out"], true, "{c}");
    assert_eq!(c["timeout_s"], 5, "{c}");
    assert!(c["exit_code"].is_null(), "{c}");
    assert_eq!(c["truncated"], true, "{c}");
    let output = c["output"].as_str().unwrap();
    assert!(output.starts_with("y\ny\n"), "{}", &output[..40]);
    assert!(output.contains(" bytes of output dropped …]\n"), "no marker");
    assert!(output.len() < 17 * 1024, "{} bytes logged", output.len());
    // Shown where the result of a command is shown.
    let timeline = env.ok(&["timeline"]).stdout;
    assert!(timeline.contains("timed out after 5s"), "{timeline}");
    env.ok(&["postmortem", "--no-commit"]);
    let text = env.read(&format!("incidents/{id}/postmortem.md"));
    assert!(text.contains("| timed out after 5s (expected 0) |"), "{text}");
}

/// Regression (issue 13): a command's background processes outlived it. At the timeout the
/// whole process group goes: SIGTERM, then SIGKILL for what ignores it.
#[test]
fn timeout_kills_the_process_group() {
    // Each process writes its pid beside the repository ($INCIDENT_REPO/..).
    let (env, id) = with_steps(concat!(
        "      - id: spawner\n        title: Leaves processes behind\n        timeout: 2s\n        run: |\n",
        "          sleep 60 & echo $! > \"$INCIDENT_REPO/../bg.pid\"\n",
        "          (trap '' TERM; exec sleep 60) & echo $! > \"$INCIDENT_REPO/../stubborn.pid\"\n",
        "          echo $$ > \"$INCIDENT_REPO/../sh.pid\"\n",
        "          sleep 60\n",
    ));
    let dir = env.dir.path();
    let start = Instant::now();
    let out = env.fails(1, &["step", "run", "spawner", "--yes"]);
    let elapsed = start.elapsed();
    assert!(out.stdout.contains("timed out after 2s: its process group was killed"), "{out:?}");
    // 2 s, then at most 2 s of grace before SIGKILL.
    assert!(elapsed < Duration::from_secs(2 + 2 + 4), "took {elapsed:?}");
    for file in ["bg.pid", "stubborn.pid", "sh.pid"] {
        let pid = wait_for_file(&dir.join(file));
        assert!(!alive(&pid), "{file}: process {pid} survived the timeout");
    }
    let c = &commands(&env, &id)[0];
    assert_eq!((c["timed_out"].clone(), c["timeout_s"].clone()), (Value::Bool(true), Value::from(2)), "{c}");
}

/// Regression (issue 13): Ctrl-C during a command killed the tool and left the command
/// running, unlogged. Now it ends the command's process group, the tool logs the command as
/// interrupted and exits 1.
/// A step whose command starts a child in the background and waits: `step run` is started,
/// and once both processes run, `kill -SIGNAL` is sent to the tool (Ctrl-C is `INT`). Returns
/// the repository, the incident, the tool's exit code and output, the command's two pids and
/// how long the tool took to stop after the signal.
fn signalled_during_a_step(signal: &str) -> (Env, String, i32, std::process::Output, [String; 2], Duration) {
    let (env, id) = with_steps(
        "      - id: slow\n        title: A slow check\n        run: echo started; echo $$ > \"$INCIDENT_REPO/../sh.pid\"; sleep 30 & echo $! > \"$INCIDENT_REPO/../bg.pid\"; wait\n",
    );
    let dir = env.dir.path().to_path_buf();
    let mut child = env
        .command(BIN)
        .args(["step", "run", "slow", "--yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sh = wait_for_file(&dir.join("sh.pid"));
    let bg = wait_for_file(&dir.join("bg.pid"));
    let sent = Instant::now();
    let kill = env.command("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let code = wait_for(&mut child, Duration::from_secs(10), &format!("incident step run after SIG{signal}"));
    let took = sent.elapsed();
    let out = child.wait_with_output().unwrap();
    (env, id, code, out, [sh, bg], took)
}

#[test]
fn ctrl_c_ends_the_command_not_the_tool() {
    let (env, id, code, out, [sh, bg], took) = signalled_during_a_step("INT");
    assert!(took < Duration::from_secs(5), "took {took:?} to stop");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("interrupted (Ctrl-C): its process group was killed; logged"), "{stdout}");
    for pid in [&sh, &bg] {
        assert!(!alive(pid), "process {pid} of the command survived Ctrl-C");
    }
    let cmds = commands(&env, &id);
    assert_eq!(cmds.len(), 1, "{cmds:#?}");
    assert_eq!(cmds[0]["interrupted"], true, "{}", cmds[0]);
    assert!(cmds[0]["exit_code"].is_null(), "{}", cmds[0]);
    assert_eq!(cmds[0]["output"], "started\n");
    // The tool carried on to the end: the command is in the timeline.
    assert!(env.ok(&["timeline"]).stdout.contains("interrupted (Ctrl-C)"));
}

/// A walk in a pseudo-terminal that has just confirmed running step `slow` (whose command
/// writes its shell's pid to `../walk.pid` and sleeps); a step `next` follows it.
fn walking_into_a_slow_step() -> (Env, String, rexpect::session::PtySession) {
    let (env, id) = with_steps(
        "      - id: slow\n        title: A slow check\n        run: echo started; echo $$ > \"$INCIDENT_REPO/../walk.pid\"; sleep 30\n      - id: next\n        title: Then this\n",
    );
    let mut cmd = env.command(BIN);
    cmd.args(["walk"]).env("TERM", "xterm");
    let mut s = rexpect::session::spawn_command(cmd, Some(15_000)).unwrap();
    s.exp_string("r run,").unwrap();
    s.send_line("r").unwrap();
    s.exp_string("Run this command?").unwrap();
    s.send_line("y").unwrap();
    (env, id, s)
}

/// The same through a terminal: Ctrl-C typed during `walk` reaches the tool (the command runs
/// in a group of its own), ends the command, and the walk goes on at the failed step.
#[test]
fn ctrl_c_in_the_walk_ends_the_command_and_the_walk_goes_on() {
    let (env, id, mut s) = walking_into_a_slow_step();
    // Ctrl-C once the command runs (its output is shown when it ends).
    let sh = wait_for_file(&env.dir.path().join("walk.pid"));
    s.send_control('c').unwrap();
    s.exp_string("interrupted (Ctrl-C): its process group was killed; logged").unwrap();
    // Regression: it read "interrupted (Ctrl-C) (expected 0)", an exit code expected of a
    // command that gave none.
    let said = s.exp_string("step slow failed.").unwrap();
    assert!(said.ends_with("The command was interrupted (Ctrl-C): "), "{said}");
    s.exp_string("r retry, f mark failed and go on").unwrap();
    s.send_line("f").unwrap();
    s.exp_string("next: Then this").unwrap();
    s.send_line("q").unwrap();
    s.exp_eof().unwrap();
    let cmds = commands(&env, &id);
    assert_eq!(cmds.len(), 1, "{cmds:#?}");
    assert_eq!(cmds[0]["interrupted"], true, "{}", cmds[0]);
    assert_eq!(cmds[0]["output"], "started\n");
    assert!(!alive(&sh), "the command survived Ctrl-C");
}

/// Regression: the command runs in a process group of its own, which a hangup of the
/// terminal or a `kill` of the tool does not reach, so SIGTERM or SIGHUP to `incident` left
/// the command running, unlogged. Now either ends the command's group, the command is logged
/// with the signal, and the tool stops with one line (exit 1).
#[test]
fn sigterm_or_sighup_to_the_tool_ends_the_command_and_is_logged() {
    for signal in ["TERM", "HUP"] {
        let (env, id, code, out, [sh, bg], _) = signalled_during_a_step(signal);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code, 1, "SIG{signal}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("stopped by SIG{signal}")), "{stderr}");
        for pid in [&sh, &bg] {
            assert!(!alive(pid), "process {pid} of the command survived SIG{signal}");
        }
        let cmds = commands(&env, &id);
        assert_eq!(cmds.len(), 1, "{cmds:#?}");
        assert_eq!(
            (cmds[0]["interrupted"].clone(), cmds[0]["signal"].clone()),
            (Value::Bool(true), Value::from(format!("SIG{signal}")))
        );
        assert_eq!(cmds[0]["output"], "started\n");
        let timeline = env.ok(&["timeline"]).stdout;
        assert!(timeline.contains(&format!("interrupted (SIG{signal} to incident)")), "{timeline}");
    }
}

/// The terminal closing under a walk (an ssh session dropped): SIGHUP reaches the tool, not
/// the command's group; the command is ended and logged, and the walk stops there instead of
/// asking a terminal that is gone.
#[test]
fn a_hangup_during_the_walk_ends_the_command_and_the_walk() {
    let (env, id, mut s) = walking_into_a_slow_step();
    let sh = wait_for_file(&env.dir.path().join("walk.pid"));
    let tool = s.process.child_pid.to_string();
    assert!(env.command("kill").args(["-HUP", &tool]).status().unwrap().success());
    s.exp_string("stopped by SIGHUP").unwrap();
    s.exp_eof().unwrap();
    assert!(!alive(&sh), "the command survived the hangup");
    let cmds = commands(&env, &id);
    assert_eq!(cmds.len(), 1, "{cmds:#?}");
    assert_eq!(cmds[0]["signal"], "SIGHUP", "{}", cmds[0]);
    // Nothing after it: the walk did not go on to mark the step or move to the next one.
    let last = env.events(&id).pop().unwrap();
    assert_eq!(last["kind"], "command", "{last}");
}

/// SECURITY.md: a runbook changed since it was attached is flagged before one of its commands
/// runs; the command shown and run is the current file's, and the log says which file it was.
#[test]
fn runbook_changed_since_attached_is_flagged() {
    let (env, id) = with_steps("      - id: check\n        title: Check\n        run: echo original\n");
    let attached = env.events(&id).into_iter().find(|e| e["kind"] == "runbook").unwrap();
    let digest =
        attached["sha256"].as_str().expect("the runbook event records the file's digest").to_string();
    assert_eq!(digest.len(), 64);

    // Unchanged: no warning, and --json says so.
    let out = env.ok(&["step", "run", "check", "--yes", "--json"]);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["runbook_changed"], false, "{json}");
    assert!(!out.stderr.contains("changed since"), "{out:?}");

    // Someone edits the runbook mid-incident.
    let path = env.path("runbooks/probe.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("echo original", "echo edited")).unwrap();
    let out = env.ok(&["step", "run", "check", "--yes"]);
    let warning = out
        .stderr
        .lines()
        .find(|l| l.starts_with("warning: runbook probe changed since it was attached at "));
    assert!(warning.is_some_and(|w| w.contains("the command shown is the current file's")), "{out:?}");
    assert!(out.stdout.contains("$ echo edited") && out.stdout.contains("edited\n"), "{out:?}");
    // Without --yes and without a terminal, nothing runs.
    let refused = env.fails(2, &["step", "run", "check"]);
    assert!(refused.stderr.contains("changed since") && refused.stderr.contains("--yes"), "{refused:?}");
    let out = env.ok(&["step", "run", "check", "--yes", "--json"]);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["runbook_changed"], true, "{json}");
    let cmds = commands(&env, &id);
    assert_eq!(cmds.len(), 3);
    assert_eq!(cmds[0]["runbook_sha256"], digest.as_str());
    assert_ne!(cmds[1]["runbook_sha256"], digest.as_str());

    // Attaching it again accepts the file as it is now.
    let out = env.ok(&["runbook", "attach", "probe"]);
    assert!(out.stdout.contains("runbook probe attached again"), "{out:?}");
    let out = env.ok(&["step", "run", "check", "--yes"]);
    assert!(!out.stderr.contains("changed since"), "{out:?}");
    assert!(env.ok(&["runbook", "attach", "probe"]).stdout.contains("already the one the walk follows"));
}

/// SECURITY.md: before a command runs the responder sees it exactly, every line of it, before any
/// of its output.
#[test]
fn exact_command_shown_before_running() {
    let (env, id) = with_steps(
        "      - id: multi\n        title: A multi-line command\n        run: |\n          printf '%s\\n' \"$INCIDENT_TITLE\" | tr a-z A-Z  # shout\n          echo 'done; rm -rf \"not really\"'\n",
    );
    let out = env.ok(&["step", "run", "multi", "--yes"]);
    let shown =
        "$ printf '%s\\n' \"$INCIDENT_TITLE\" | tr a-z A-Z  # shout\n  echo 'done; rm -rf \"not really\"'\n";
    let at = out.stdout.find(shown).unwrap_or_else(|| panic!("command not shown exactly: {out:?}"));
    let output = out.stdout.find("CHECKOUT 500\n").expect("the command's output");
    assert!(at < output, "{out:?}");
    // What was shown is what was logged, byte for byte.
    let logged = commands(&env, &id)[0]["command"].as_str().unwrap().to_string();
    assert_eq!(format!("$ {}\n", logged.trim_end().replace('\n', "\n  ")), shown);
    // The same without --yes on a terminal-less run: shown, then refused.
    let refused = env.fails(2, &["step", "run", "multi"]);
    assert!(refused.stdout.contains(shown), "{refused:?}");
}

/// A step's `timeout` must be a duration: lint reports it with its position, `open` refuses
/// the runbook, `incident schema` exports the field.
#[test]
fn bad_step_timeout_is_a_lint_error() {
    let env = Env::init();
    let runbook = "id: slowpoke\ntitle: Slow\nservices: [web]\nseverities: [SEV2]\nphases:\n  detect:\n    steps:\n      - id: wait\n        title: Wait\n        run: sleep 1\n        timeout: 5\n";
    std::fs::write(env.path("runbooks/slowpoke.yaml"), runbook).unwrap();
    let out = env.fails(1, &["lint", "runbooks/slowpoke.yaml"]);
    assert!(
        out.stdout.contains(
            "runbooks/slowpoke.yaml:11:18: error: phases.detect.steps[0].timeout: `5` is not a duration; write 5m, 1h30m or 90s [bad-budget]"
        ),
        "{out:?}"
    );
    let out =
        env.fails(2, &["open", "Slow", "--severity", "SEV2", "--service", "web", "--runbook", "slowpoke"]);
    assert!(out.stderr.contains("slowpoke.yaml:11:18"), "{out:?}");
    let schema: Value = serde_json::from_str(&env.ok(&["schema"]).stdout).unwrap();
    let step = &schema["properties"]["phases"]["properties"]["detect"]["properties"]["steps"]["items"];
    assert_eq!(step["properties"]["timeout"]["type"], "string", "{step}");
}

/// Regression: a step's output was shown only when its command ended, so a rollout that ran
/// for minutes looked hung. On a terminal each line is shown as it comes (redacted, made
/// visible): the first line is on screen while the command still runs (nothing is logged
/// yet); a flood shows its first lines, says the rest is held back, and shows its end once
/// the command ends.
#[test]
fn output_is_shown_on_a_terminal_as_it_comes() {
    let (env, id) = with_steps(concat!(
        "      - id: rollout\n        title: Watch the rollout\n",
        "        run: echo 'step 1 of 2 password=hunter2xyz'; while [ ! -e \"$INCIDENT_REPO/../go\" ]; do sleep 0.1; done; echo 'step 2 of 2'\n",
        "        timeout: 30s\n",
        "      - id: flood\n        title: A chatty check\n        run: seq 1 5000\n",
    ));
    let mut cmd = env.command(BIN);
    cmd.args(["step", "run", "rollout", "--yes"]).env("TERM", "xterm");
    let mut s = rexpect::session::spawn_command(cmd, Some(15_000)).unwrap();
    s.exp_string("step 1 of 2 password=[REDACTED]").unwrap();
    // Shown while the command still waits: nothing is logged before it ends.
    assert!(commands(&env, &id).is_empty(), "the command had already ended");
    std::fs::write(env.dir.path().join("go"), "").unwrap();
    s.exp_string("step 2 of 2").unwrap();
    s.exp_string("exit 0 (as expected), logged").unwrap();
    s.exp_eof().unwrap();
    assert_eq!(commands(&env, &id).len(), 1);

    let mut cmd = env.command(BIN);
    cmd.args(["step", "run", "flood", "--yes"]).env("TERM", "xterm");
    let mut s = rexpect::session::spawn_command(cmd, Some(15_000)).unwrap();
    let before = s.exp_string("more output; its end is shown when the command ends").unwrap();
    assert!(before.contains("\r\n200\r\n") && !before.contains("\r\n201\r\n"), "{before}");
    let end = s.exp_string("exit 0 (as expected), logged").unwrap();
    assert!(end.contains("the end of the output:") && end.contains("4999\r\n5000"), "{end}");
    assert!(!end.contains("\r\n4980\r\n"), "only the last 20 lines: {end}");
    s.exp_eof().unwrap();
}

/// Regression: `step run --yes` ran the command, then checked `--at` and `--as` while making
/// its event: a mistyped `--at` ran a production command, exited 2 and logged nothing. Every
/// global flag is checked before anything acts.
#[test]
fn a_bad_global_flag_is_refused_before_a_step_command_runs() {
    let (env, id) = with_steps(
        "      - id: restart\n        title: Restart checkout\n        run: touch \"$INCIDENT_REPO/ran\"\n",
    );
    let before = env.log_of(&id);
    for flags in [&["--at", "25:99"][..], &["--as", "  "][..], &["--at", "yesterday-ish"][..]] {
        let mut args = flags.to_vec();
        args.extend(["step", "run", "restart", "--yes"]);
        let out = env.fails(2, &args);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{out:#?}");
        assert!(!env.path("ran").exists(), "{flags:?}: the command ran");
        assert_eq!(env.log_of(&id), before, "{flags:?}: something was logged");
    }
    env.ok(&["step", "run", "restart", "--yes"]);
    assert!(env.path("ran").exists());
}

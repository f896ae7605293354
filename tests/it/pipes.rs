//! Output into a pipe whose reader leaves early (`incident timeline | head -1`), or into a file
//! that cannot take it, through the real binary: the tool ignores SIGPIPE, as Rust programs
//! do, and every write goes through one writer that tells a reader gone from a failure.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{BIN, Env};

/// An open incident with a long timeline: more output than a pipe holds (64 KiB on Linux),
/// so the tool is still writing when the reader leaves.
fn busy() -> Env {
    let env = Env::init();
    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2"]);
    let mut log = env.command(BIN);
    log.args(["log", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = log.spawn().expect("spawn incident log -");
    let note = "a line of the pasted log, long enough to fill the terminal\n".repeat(1500);
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), note.as_bytes()).expect("write stdin");
    assert!(child.wait().expect("wait").success());
    env
}

/// Runs `incident ARGS`, reads `lines` lines of its stdout (none: the pipe is closed before it
/// writes), closes the pipe, and returns its exit code and stderr. Bounded: 30 s.
fn read_then_leave(env: &Env, args: &[&str], lines: usize) -> (Option<i32>, String) {
    let mut cmd: Command = env.command(BIN);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn incident");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read a line");
        assert!(!line.is_empty(), "{args:?}: fewer than {lines} lines");
    }
    drop(reader);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{args:?}: still running with its reader gone");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("stderr");
    (status.code(), stderr)
}

/// Regression: with the default SIGPIPE, every thread that wrote to a pipe had to block the
/// signal, and a `println!` into a closed pipe would panic without it. Now a reader that
/// leaves ends the command quietly and successfully, whatever command and wherever it was.
#[test]
fn a_reader_that_leaves_early_ends_the_command_quietly() {
    let env = busy();
    let cases: [(&[&str], usize); 8] = [
        (&["timeline"], 1),
        (&["timeline"], 0),
        (&["timeline", "--json"], 3),
        (&["list", "--all"], 0),
        (&["status"], 1),
        (&["stats"], 0),
        (&["completions", "bash"], 2),
        (&["man"], 1),
    ];
    for (args, lines) in cases {
        let (code, stderr) = read_then_leave(&env, args, lines);
        // Exit 0, not killed by a signal, not a panic, not an error.
        assert_eq!(code, Some(0), "{args:?} after {lines} lines: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("error:"), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

/// A write command whose reader left still did its work: the note is logged, then the line
/// saying so finds nobody to read it.
#[test]
fn a_write_command_whose_reader_left_has_still_written() {
    let env = busy();
    let (code, stderr) = read_then_leave(&env, &["log", "said into a closed pipe"], 0);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    let timeline = env.json(&["timeline", "--json"]);
    let notes: Vec<&str> = timeline.as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert!(notes.contains(&"said into a closed pipe"), "{notes:?}");
}

/// Regression: a stdout that could not be written (a full disk) made `println!` panic. It is
/// an error like any other, said on stderr.
#[cfg(target_os = "linux")]
#[test]
fn a_stdout_that_cannot_be_written_is_an_error_not_a_panic() {
    let env = busy();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let out = env.command(BIN).arg("timeline").stdin(Stdio::null()).stdout(full).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: stdout: No space left on device"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// An incident open on a runbook of one step, `step`, that runs `command` (single-quoted in
/// the YAML: no `'` in it).
fn opened_with_step(step: &str, command: &str) -> Env {
    let env = Env::init();
    let runbook = format!(
        "id: probe\ntitle: Probe\nservices: [web]\nseverities: [SEV2]\nphases:\n  detect:\n    steps:\n      - id: {step}\n        title: A check\n        run: '{command}'\n"
    );
    std::fs::write(env.path("runbooks/probe.yaml"), runbook).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "probe"]);
    env
}

/// A step's command starts with SIGPIPE's default, as any program started from a shell does,
/// though the tool itself ignores it: `yes | head -1` ends by the signal (128 + 13), not by
/// `yes` reporting a write error.
#[test]
fn a_step_command_gets_the_default_sigpipe() {
    let env = opened_with_step("pipe", r#"(yes; echo "yes ended $?" >&2) | head -n 1"#);
    let out = env.ok(&["step", "run", "pipe", "--yes"]);
    assert!(out.stdout.contains("exit 0 (as expected)"), "{out:?}");
    let id = env.only_id();
    let command = env.events(&id).into_iter().find(|e| e["kind"] == "command").expect("command logged");
    let output = command["output"].as_str().unwrap_or_default();
    assert!(output.contains("yes ended 141") && !output.contains("Broken pipe"), "{output}");
}

/// Regression: a step's command ran, its output met a reader that had left, and the tool
/// ended quietly before logging the run: a production command ran and the record lost it.
/// The run is logged before anything more is shown.
#[test]
fn a_step_command_whose_reader_left_is_still_logged() {
    // The pause lets the reader leave while the command runs, after the `$ …` line.
    let env = opened_with_step("talk", "sleep 1; echo checked the pool");
    let (code, stderr) = read_then_leave(&env, &["step", "run", "talk", "--yes"], 1);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    let id = env.only_id();
    let command = env.events(&id).into_iter().find(|e| e["kind"] == "command");
    let command = command.expect("the command that ran is logged");
    assert!(command["output"].as_str().unwrap_or_default().contains("checked the pool"), "{command}");
}

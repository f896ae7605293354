//! The interactive `incident walk`, driven in a real pseudo-terminal: the prompts (every
//! answer is a line and Enter; Ctrl-D leaves), running a step's command after confirmation,
//! a redacted note, leaving with `q`, resuming at the same step, a decision branch, the
//! phases advancing on their own, the card; and `open`'s prompts.

use rexpect::process::wait::WaitStatus;
use rexpect::session::PtySession;
use serde_json::Value;

use super::harness::{BIN, Env};

const TIMEOUT_MS: u64 = 10_000;

const RUNBOOK: &str = r#"id: pty
title: PTY walk
services: [web]
severities: [SEV2]
phases:
  detect:
    steps:
      - id: check-a
        title: Check the error rate
        details: Look at the checkout dashboard.
        run: echo checked-$INCIDENT_SEVERITY
      - id: check-b
        title: Check the alert history
  diagnose:
    steps:
      - id: decide
        title: Is the cache the cause?
        choices: { "yes": fix-a, "no": fix-b }
  remediate:
    steps:
      - id: fix-a
        title: Flush the cache
      - id: fix-b
        title: Roll back the release
  validate:
    steps:
      - id: verify
        title: Confirm checkout works again
"#;

const STEP_PROMPT: &str = "d done, s skip, f fail, n note, q quit";
const RUN_PROMPT: &str = "d done, s skip, f fail, r run, n note, q quit";
const DECISION_PROMPT: &str = "answer yes/no; or s skip, n note, q quit";

/// A walk in a pseudo-terminal, keeping everything it printed so far for failure messages.
pub(super) struct Walk {
    session: PtySession,
    /// The output read so far, as raw bytes (rexpect hands them over one byte per char).
    seen: Vec<u8>,
}

/// rexpect's reader turns each byte into a `char` of its own, so a UTF-8 needle such as
/// `·` must be spelled byte by byte to match.
fn as_pty_bytes(needle: &str) -> String {
    needle.bytes().map(char::from).collect()
}

impl Walk {
    fn spawn(env: &Env) -> Walk {
        Walk::spawn_args(env, &["walk"])
    }

    pub(super) fn spawn_args(env: &Env, args: &[&str]) -> Walk {
        Walk::spawn_with(env, args, false)
    }

    /// `color`: without `NO_COLOR`, which the harness sets.
    fn spawn_with(env: &Env, args: &[&str], color: bool) -> Walk {
        let mut cmd = env.command(BIN);
        cmd.args(args).env("TERM", "xterm");
        if color {
            cmd.env_remove("NO_COLOR");
        }
        let session =
            rexpect::session::spawn_command(cmd, Some(TIMEOUT_MS)).expect("spawn incident walk in a pty");
        Walk { session, seen: Vec::new() }
    }

    fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Keeps what was read, turning rexpect's one-char-per-byte text back into bytes.
    fn record(&mut self, text: &str) -> Vec<u8> {
        let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        self.seen.extend_from_slice(&bytes);
        bytes
    }

    /// Waits for `needle` and returns what came before it.
    pub(super) fn expect(&mut self, needle: &str) -> String {
        match self.session.exp_string(&as_pty_bytes(needle)) {
            Ok(before) => {
                let before = self.record(&before);
                self.seen.extend_from_slice(needle.as_bytes());
                String::from_utf8_lossy(&before).into_owned()
            }
            Err(e) => {
                panic!("waiting for {needle:?}: {e}\n--- walk output so far ---\n{}", self.transcript())
            }
        }
    }

    pub(super) fn send_line(&mut self, line: &str) {
        self.session.send_line(line).expect("write to the pty");
        self.session.flush().expect("flush the pty");
    }

    /// Ctrl-D: end of input on a terminal in line mode.
    pub(super) fn send_eof(&mut self) {
        self.session.send_control('d').expect("write to the pty");
        self.session.flush().expect("flush the pty");
    }

    /// Waits for the end of output and for the process, and returns its exit code.
    pub(super) fn finish(mut self) -> (i32, String) {
        match self.session.exp_eof() {
            Ok(rest) => {
                self.record(&rest);
            }
            Err(e) => {
                panic!("waiting for the walk to end: {e}\n--- walk output so far ---\n{}", self.transcript())
            }
        }
        let status = self.session.process().wait().expect("wait for incident walk");
        let code = match status {
            WaitStatus::Exited(_, code) => code,
            other => panic!("incident walk did not exit normally: {other:?}\n{}", self.transcript()),
        };
        (code, self.transcript())
    }
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

fn step_event<'a>(events: &'a [Value], step: &str) -> Option<&'a Value> {
    events.iter().find(|e| e["kind"] == "step" && e["step"] == step)
}

#[test]
fn walk_in_a_terminal_runs_notes_leaves_and_resumes_on_the_branch_taken() {
    let env = Env::init();
    std::fs::write(env.path("runbooks/pty.yaml"), RUNBOOK).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "pty"]);
    let id = env.only_id();

    // (1) First walk: run the command, done; a note with a secret, skip; leave at the decision.
    let mut walk = Walk::spawn(&env);
    walk.expect("SEV2 · detect · ");
    walk.expect("of 5m budget · step 1 of 2");
    walk.expect("check-a: Check the error rate");
    walk.expect("Look at the checkout dashboard.");
    walk.expect("$ echo checked-$INCIDENT_SEVERITY");
    walk.expect(RUN_PROMPT);
    walk.send_line("r");
    walk.expect("Run this command?");
    // Every answer is a line: `y` and Enter (the Enter must not reach the next prompt).
    walk.send_line("y");
    walk.expect("checked-SEV2");
    walk.expect("exit 0");
    // Running does not settle the step: the same step comes back.
    walk.expect("check-a: Check the error rate");
    walk.expect(RUN_PROMPT);
    walk.send_line("d");
    walk.expect("step 2 of 2");
    walk.expect("check-b: Check the alert history");
    walk.expect(STEP_PROMPT);
    walk.send_line("n");
    walk.expect("Note");
    walk.send_line("db creds leaked in chat, password=hunter2 rotated");
    walk.expect("noted");
    walk.expect("check-b: Check the alert history");
    walk.expect(STEP_PROMPT);
    walk.send_line("s");
    walk.expect("phase diagnose started");
    walk.expect("decide: Is the cache the cause?");
    walk.expect(DECISION_PROMPT);
    walk.send_line("q");
    walk.expect("Left the walk; `incident walk` resumes at step decide.");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");

    // (2) What the first walk logged.
    let events = env.events(&id);
    let commands = of_kind(&events, "command");
    assert_eq!(commands.len(), 1, "{commands:#?}");
    assert_eq!(commands[0]["step"], "check-a");
    assert_eq!(commands[0]["exit_code"], 0);
    assert!(commands[0]["output"].as_str().unwrap().contains("checked-SEV2"), "{:#?}", commands[0]);
    assert_eq!(step_event(&events, "check-a").expect("check-a settled")["outcome"], "done");
    assert_eq!(step_event(&events, "check-b").expect("check-b settled")["outcome"], "skipped");
    let notes = of_kind(&events, "note");
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let note = notes[0]["text"].as_str().unwrap();
    assert!(note.contains("db creds leaked in chat") && note.contains("[REDACTED]"), "{note}");
    let raw = env.read(&format!("incidents/{id}/events.jsonl"));
    assert!(!raw.contains("hunter2"), "{raw}");
    assert!(step_event(&events, "decide").is_none(), "q settles nothing");

    // (3) Second walk: resumes at the decision, takes "yes", and walks fix-a, then validate.
    let mut walk = Walk::spawn(&env);
    let before = walk.expect("decide: Is the cache the cause?");
    assert!(!before.contains("check-a") && !before.contains("check-b"), "resumed too early: {before}");
    walk.expect(DECISION_PROMPT);
    walk.send_line("yes");
    walk.expect("phase remediate started");
    // Regression: the step on the branch not taken (fix-b) used to count in "step N of M".
    walk.expect("remediate · ");
    walk.expect("step 1 of 1");
    walk.expect("fix-a: Flush the cache");
    walk.expect(STEP_PROMPT);
    walk.send_line("d");
    walk.expect("phase validate started");
    walk.expect("verify: Confirm checkout works again");
    walk.expect(STEP_PROMPT);
    walk.send_line("d");
    walk.expect("Every step of runbook pty is settled");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("fix-b"), "the branch not taken was shown:\n{out}");

    // (4) The final log: phases advanced, the branch taken recorded, the other left out.
    let events = env.events(&id);
    let phases: Vec<&str> = of_kind(&events, "phase").iter().map(|e| e["phase"].as_str().unwrap()).collect();
    for phase in ["diagnose", "remediate", "validate"] {
        assert!(phases.contains(&phase), "no phase event for {phase}: {phases:?}");
    }
    let decide = step_event(&events, "decide").expect("decide settled");
    assert_eq!(decide["outcome"], "done");
    assert_eq!(decide["choice"], "yes");
    assert_eq!(step_event(&events, "fix-a").expect("fix-a settled")["outcome"], "done");
    assert_eq!(step_event(&events, "verify").expect("verify settled")["outcome"], "done");
    assert!(step_event(&events, "fix-b").is_none(), "fix-b was on the branch not taken");
    assert!(!env.read(&format!("incidents/{id}/events.jsonl")).contains("hunter2"));
}

#[test]
fn walk_without_a_terminal_exits_2_naming_the_scripted_commands() {
    let env = Env::init();
    std::fs::write(env.path("runbooks/pty.yaml"), RUNBOOK).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "pty"]);
    // stdin is /dev/null here: the walk must not wait for input.
    let out = env.fails(2, &["walk"]);
    assert!(out.stderr.contains("incident step"), "{out:#?}");
    assert!(out.stderr.contains("stdin is not a terminal"), "{out:#?}");
    let id = env.only_id();
    assert!(of_kind(&env.events(&id), "step").is_empty(), "nothing settled without a terminal");
}

#[test]
fn open_in_a_terminal_prompts_for_title_severity_services_and_runbook() {
    let env = Env::init();
    let mut open = Walk::spawn_args(&env, &["open"]);
    open.expect("What is broken?");
    open.send_line("Checkout returns 500");
    open.expect("Severity:");
    open.expect("4. SEV4");
    open.expect("Severity (name or number) [SEV1]");
    open.send_line("2"); // SEV2, by its number
    open.expect("When did impact start?");
    open.send_line(""); // now: when it was opened
    open.expect("Affected services:");
    open.expect(". web");
    open.expect("Affected services (names or numbers, by commas or spaces) [none]");
    open.send_line("1"); // the first listed: checkout
    open.expect("Runbook");
    let listed = open.expect("none for now");
    open.send_line("1"); // the best match, listed first, by its number
    open.expect("Who is commander? [Test Responder]");
    open.send_line("");
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Opened 2026-") || out.contains("Opened "), "{out}");
    let id = env.only_id();
    assert!(id.ends_with("-checkout-returns-500"), "{id}");
    let events = env.events(&id);
    let opened = &of_kind(&events, "opened")[0];
    assert_eq!(opened["severity"], "SEV2");
    assert_eq!(opened["services"], serde_json::json!(["checkout"]));
    let runbook = of_kind(&events, "runbook")[0]["runbook"].as_str().unwrap().to_string();
    assert!(listed.contains(&runbook), "the attached runbook {runbook} was offered: {listed}");
}

fn open_pty_incident(env: &Env) -> String {
    std::fs::write(env.path("runbooks/pty.yaml"), RUNBOOK).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "pty"]);
    env.only_id()
}

#[test]
fn walk_answers_are_lines_so_the_enter_after_y_does_not_reach_the_next_prompt() {
    let env = Env::init();
    let id = open_pty_incident(&env);
    let mut walk = Walk::spawn(&env);
    // The card: the incident, how long impact has lasted, the phase and its budget, the
    // next stakeholder update (SEV2: every 30m), the step.
    walk.expect("── Checkout 500");
    walk.expect(&format!("incident {id}"));
    walk.expect("impact started ");
    walk.expect("SEV2 · detect · ");
    walk.expect("of 5m budget · step 1 of 2");
    walk.expect("next stakeholder update due ");
    walk.expect("UTC (in ");
    walk.expect("check-a: Check the error rate");
    walk.expect(RUN_PROMPT);
    // No, in full and in capitals: nothing runs.
    walk.send_line("r");
    walk.expect("Run this command? [y/N]");
    walk.send_line("NO");
    walk.expect("not run");
    walk.expect(RUN_PROMPT);
    // An answer that is neither: asked again in one line.
    walk.send_line("r");
    walk.expect("Run this command? [y/N]");
    walk.send_line("maybe");
    walk.expect("\"maybe\" is not an answer: type y or n, then Enter");
    walk.expect("Run this command? [y/N]");
    walk.send_line("y");
    walk.expect("checked-SEV2");
    walk.expect("exit 0");
    walk.expect("check-a: Check the error rate");
    let before = walk.expect(RUN_PROMPT);
    assert!(!before.contains("is not one of"), "the Enter after y reached the menu: {before}");
    // A key that means nothing here: one line, then the same question; not the whole card.
    walk.send_line("x");
    let before = walk.expect("\"x\" is not one of: d done, s skip, f fail, r run, n note, q quit");
    assert!(!before.contains(RUN_PROMPT), "the menu was asked twice before x was read: {before}");
    let between = walk.expect(RUN_PROMPT);
    assert!(!between.contains("check-a") && !between.contains("budget"), "the card came again: {between}");
    walk.send_line("d");
    let before = walk.expect("step 2 of 2");
    // Regression: the Enter of a one-key confirmation was read by the next prompt as "".
    assert!(!before.contains("is not one of"), "{before}");
    assert_eq!(before.matches(RUN_PROMPT).count(), 0, "the menu was asked twice: {before}");
    walk.expect(STEP_PROMPT);
    // `r` on a step without a command is a bad key there.
    walk.send_line("r");
    walk.expect("\"r\" is not one of: d done, s skip, f fail, n note, q quit");
    walk.expect(STEP_PROMPT);
    walk.send_line("q");
    walk.expect("Left the walk; `incident walk` resumes at step check-b.");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains('\x1b'), "NO_COLOR is set, yet the walk coloured: {out:?}");

    let events = env.events(&id);
    let commands = of_kind(&events, "command");
    assert_eq!(commands.len(), 1, "only the confirmed run ran: {commands:#?}");
    assert_eq!(step_event(&events, "check-a").expect("check-a settled")["outcome"], "done");
    assert!(step_event(&events, "check-b").is_none(), "{events:#?}");
}

#[test]
fn ctrl_d_leaves_the_walk_like_q_and_walk_resumes_at_the_same_step() {
    let env = Env::init();
    let id = open_pty_incident(&env);

    // Ctrl-D at the menu.
    let mut walk = Walk::spawn(&env);
    walk.expect("check-a: Check the error rate");
    walk.expect(RUN_PROMPT);
    walk.send_eof();
    walk.expect("Left the walk; `incident walk` resumes at step check-a.");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");

    // Ctrl-D at the run confirmation: nothing runs, the walk is left.
    let mut walk = Walk::spawn(&env);
    walk.expect("check-a: Check the error rate");
    walk.expect(RUN_PROMPT);
    walk.send_line("r");
    walk.expect("Run this command? [y/N]");
    walk.send_eof();
    walk.expect("Left the walk; `incident walk` resumes at step check-a.");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");
    let events = env.events(&id);
    assert!(of_kind(&events, "command").is_empty(), "{events:#?}");
    assert!(of_kind(&events, "step").is_empty(), "Ctrl-D settles nothing: {events:#?}");

    // Resumes at check-a; a decision answered in full, whatever its case; Ctrl-D at a note.
    // On a terminal without NO_COLOR, the card is coloured.
    let mut walk = Walk::spawn_with(&env, &["walk"], true);
    walk.expect("\x1b[1m── Checkout 500");
    walk.expect("check-a: Check the error rate");
    walk.expect(RUN_PROMPT);
    walk.send_line("d");
    walk.expect("check-b: Check the alert history");
    walk.expect(STEP_PROMPT);
    walk.send_line("d");
    walk.expect("decide: Is the cache the cause?");
    walk.expect(DECISION_PROMPT);
    // `d` is not an answer to a decision.
    walk.send_line("d");
    walk.expect("\"d\" is not one of: answer yes/no; or s skip, n note, q quit");
    walk.expect(DECISION_PROMPT);
    walk.send_line("No");
    walk.expect("phase remediate started");
    walk.expect("fix-b: Roll back the release");
    walk.expect(STEP_PROMPT);
    walk.send_line("n");
    walk.expect("Note >");
    walk.send_eof();
    walk.expect("Left the walk; `incident walk` resumes at step fix-b.");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");

    let events = env.events(&id);
    let decide = step_event(&events, "decide").expect("decide settled");
    assert_eq!(decide["choice"], "no", "logged as the runbook spells it: {decide}");
    assert!(of_kind(&events, "note").is_empty(), "{events:#?}");
    assert!(step_event(&events, "fix-b").is_none(), "{events:#?}");

    // And once more: the walk resumes at fix-b.
    let mut walk = Walk::spawn(&env);
    let before = walk.expect("fix-b: Roll back the release");
    assert!(!before.contains("decide:"), "{before}");
    walk.expect(STEP_PROMPT);
    walk.send_line("quit");
    walk.expect("Left the walk; `incident walk` resumes at step fix-b.");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");
}

#[test]
fn open_in_a_terminal_asks_when_impact_started_and_who_is_commander() {
    let env = Env::init();
    let mut open = Walk::spawn_args(&env, &["open", "Checkout returns 500", "--severity", "sev2"]);
    open.expect("When did impact start? (HH:MM, -15m, RFC 3339) [now]");
    open.send_line("yesterday-ish");
    open.expect("cannot use \"yesterday-ish\": use RFC 3339");
    open.expect("When did impact start?");
    open.send_line("-20m");
    open.expect("Affected services (names or numbers, by commas or spaces) [none]");
    open.send_line("checkout");
    open.expect("Runbook");
    open.expect("none for now");
    open.send_line("");
    open.expect("Who is commander? [Test Responder]");
    open.send_line("");
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");

    let id = env.only_id();
    let events = env.events(&id);
    let opened = of_kind(&events, "opened")[0];
    assert_eq!(opened["severity"], "SEV2", "typed sev2, logged as incident.yaml spells it");
    let marks = of_kind(&events, "mark");
    assert_eq!(marks.len(), 1, "{marks:#?}");
    assert_eq!(marks[0]["milestone"], "started");
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    // `-20m` counts back from when it was typed; the mark is logged when the last question
    // is answered, a moment later.
    let started = at(&marks[0]["occurred_at"]);
    let before = (at(&marks[0]["at"]) - started).num_seconds();
    assert!((20 * 60..20 * 60 + 10).contains(&before), "{before}s: {:#?}", marks[0]);
    let roles = of_kind(&events, "role");
    assert_eq!(roles.len(), 1, "{roles:#?}");
    assert_eq!(roles[0]["role"], "commander");
    assert_eq!(roles[0]["name"], "Test Responder");
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["severity"], "SEV2");
}

#[test]
fn open_in_a_terminal_refuses_an_impact_start_after_detection_and_takes_a_named_commander() {
    let env = Env::init();
    let mut open = Walk::spawn_args(
        &env,
        &["open", "DNS fails", "--severity", "SEV3", "--service", "web", "--detected-at", "-30m"],
    );
    open.expect("When did impact start?");
    open.send_line("-10m");
    open.expect("after it was detected at ");
    open.expect("When did impact start?");
    open.send_line("-45m");
    open.expect("Runbook");
    open.expect("none for now");
    open.send_line(""); // Enter alone: none for now
    open.expect("Who is commander?");
    open.send_line("Dana Ops");
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");
    let events = env.events(&env.only_id());
    let role = of_kind(&events, "role")[0];
    assert_eq!(role["name"], "Dana Ops");
    assert!(of_kind(&events, "runbook").is_empty(), "{events:#?}");
    let started: Vec<_> =
        of_kind(&events, "mark").into_iter().filter(|m| m["milestone"] == "started").collect();
    assert_eq!(started.len(), 1, "{events:#?}");
}

#[test]
fn typed_severities_are_case_insensitive_and_logged_as_declared() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "sev2", "--service", "web"]);
    let id = env.only_id();
    assert_eq!(of_kind(&env.events(&id), "opened")[0]["severity"], "SEV2");
    let out = env.ok(&["severity", "sev1", "--reason", "orders failing"]);
    assert!(out.stdout.contains("severity SEV2 → SEV1"), "{out:#?}");
    let sev = of_kind(&env.events(&id), "severity")[0].clone();
    assert_eq!((sev["from"].as_str(), sev["to"].as_str()), (Some("SEV2"), Some("SEV1")), "{sev}");
    // The same severity in another case is still the same severity.
    let out = env.fails(2, &["severity", "Sev1"]);
    assert!(out.stderr.contains("already SEV1"), "{out:#?}");
    let out = env.fails(2, &["severity", "sev9"]);
    assert!(out.stderr.contains("\"sev9\""), "{out:#?}");
    assert_eq!(env.json(&["status", "--json"])["severity"], "SEV1");
}

#[test]
fn walk_card_flags_a_phase_over_budget_and_an_overdue_stakeholder_update() {
    let env = Env::init();
    std::fs::write(env.path("runbooks/pty.yaml"), RUNBOOK).unwrap();
    // Opened 40 minutes ago at SEV1, which is when impact started and was detected: detect
    // took no time, and the confirming since is assessment, 40m against its 10m budget;
    // updates are due every 15m.
    env.ok(&[
        "open",
        "Checkout 500",
        "--severity",
        "SEV1",
        "--service",
        "web",
        "--runbook",
        "pty",
        "--at",
        "-40m",
    ]);
    let mut walk = Walk::spawn(&env);
    walk.expect("impact started 40m");
    walk.expect("SEV1 · detect · 0s of 5m budget · step 1 of 2");
    walk.expect("now assess 40m of 10m");
    walk.expect("BUDGET");
    walk.expect("stakeholder update OVERDUE: last one 40m");
    walk.expect("SEV1 expects one every 15m");
    walk.expect("check-a: Check the error rate");
    walk.expect(RUN_PROMPT);
    walk.send_line("q");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("next stakeholder update due"), "{out}");
}

/// Regression: a failed command just moved on. The walk stops at the failed step and offers
/// retry, mark failed and go on, or the step's `on_fail` target.
#[test]
fn walk_stops_at_a_failed_step_and_offers_on_fail() {
    let env = Env::init();
    let runbook = "id: onfail\ntitle: A check that can fail\nservices: [web]\nseverities: [SEV2]\nphases:\n  detect:\n    steps:\n      - id: check\n        title: Check the error rate\n        run: exit 3\n        on_fail: rollback\n      - id: look-around\n        title: Look at the dashboards\n  remediate:\n    steps:\n      - id: rollback\n        title: Roll back\n";
    std::fs::write(env.path("runbooks/onfail.yaml"), runbook).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "onfail"]);
    let id = env.only_id();
    let mut walk = Walk::spawn(&env);
    walk.expect("check: Check the error rate");
    walk.send_line("r");
    walk.expect("Run this command? [y/N]");
    walk.send_line("y");
    walk.expect("The command exited 3 (expected 0): step check failed.");
    walk.expect("r retry, f mark failed and go on, j go to rollback (on_fail), n note, s skip, q quit >");
    walk.send_line("r");
    walk.expect("Run this command? [y/N]");
    walk.send_line("y");
    walk.expect("step check failed.");
    walk.send_line("j");
    walk.expect("phase remediate started");
    walk.expect("rollback: Roll back");
    walk.send_line("q");
    let (code, _) = walk.finish();
    assert_eq!(code, 0);
    let events = env.events(&id);
    let check = step_event(&events, "check").expect("the failure is logged");
    assert_eq!((check["outcome"].as_str(), check["choice"].as_str()), (Some("failed"), Some("rollback")));
    assert_eq!(of_kind(&events, "command").len(), 2, "the command ran twice (a retry)");
    assert!(step_event(&events, "look-around").is_none());
}

/// `resolve` on a terminal asks for the root cause when none was given (and Enter leaves it
/// for later).
#[test]
fn resolve_in_a_terminal_asks_for_the_root_cause() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2"]);
    let id = env.only_id();
    let mut resolve = Walk::spawn_args(&env, &["resolve"]);
    resolve.expect("Root cause");
    resolve.send_line("a stale feature flag");
    let (code, _) = resolve.finish();
    assert_eq!(code, 0);
    let events = env.events(&id);
    let resolved = of_kind(&events, "resolved");
    assert_eq!(resolved[0]["root_cause"], "a stale feature flag");
}

/// The walk's card waiting for a key says, once each, when the next stakeholder update
/// becomes due (a fifth of the cadence before: 2s of 10s) and when it is overdue; a key typed
/// before a reminder is kept; an update sent from elsewhere moves the due moment and arms the
/// reminders again.
#[test]
fn walk_reminds_once_when_an_update_falls_due_and_once_when_overdue() {
    let env = Env::init();
    std::fs::write(env.path("runbooks/pty.yaml"), RUNBOOK).unwrap();
    let config = env.read("incident.yaml").replacen("update_every: 30m", "update_every: 10s", 1);
    std::fs::write(env.path("incident.yaml"), config).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "pty"]);
    let id = env.only_id();
    let mut walk = Walk::spawn(&env);
    walk.expect("next stakeholder update due");
    walk.expect(RUN_PROMPT);
    walk.expect("stakeholder update due in ");
    walk.expect(RUN_PROMPT);
    // Half an answer typed while the walk waits: the reminder comes, the key stays.
    walk.session.send("d").expect("write to the pty");
    walk.session.flush().expect("flush the pty");
    walk.expect("stakeholder update OVERDUE since ");
    walk.expect("SEV2 expects one every 10s");
    walk.expect(RUN_PROMPT);
    walk.send_line("");
    walk.expect("check-b: Check the alert history");
    walk.expect(STEP_PROMPT);
    assert_eq!(step_event(&env.events(&id), "check-a").map(|e| e["outcome"].clone()), Some("done".into()));
    // An update sent from another terminal: the next one is due 10s after it.
    env.ok(&["update", "--channel", "status-page", "Still on it"]);
    walk.expect("stakeholder update due in ");
    walk.expect(STEP_PROMPT);
    walk.send_line("q");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("stakeholder update due in ").count(), 2, "once per due moment: {out}");
    // Up to the second due moment's reminder (the walk may be left after its own overdue one).
    let first = out.get(..out.rfind("stakeholder update due in ").unwrap_or(0)).unwrap_or_default();
    assert_eq!(first.matches("stakeholder update OVERDUE since ").count(), 1, "once: {out}");
}

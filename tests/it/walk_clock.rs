//! When the walk's events are stamped, in a real pseudo-terminal with real waits: each when
//! the responder confirmed it (the key, the Enter), a command's start and end when it started
//! and ended, the log in order; and the walk's own words where a command failed or nobody
//! is at the terminal. `open`'s runbook question is a typed line, as every other one.

use std::thread::sleep;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::harness::Env;
use super::walk_pty::Walk;

/// How long the responder sits on a question: long enough that a stamp taken when it was
/// asked cannot pass for one taken when it was answered.
const WAIT: Duration = Duration::from_secs(3);

const RUNBOOK: &str = r#"id: clock
title: Clock
services: [web]
severities: [SEV2]
phases:
  detect:
    steps:
      - id: first
        title: Done after a wait
      - id: slow
        title: Run after a wait
        run: sleep 2; echo ran-it
"#;

fn time(v: &Value) -> DateTime<Utc> {
    let text = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text:?}: {e}")).with_timezone(&Utc)
}

/// When the event stands for: `occurred_at` if it has one, else `at`.
fn when(e: &Value) -> DateTime<Utc> {
    if e["occurred_at"].is_null() { time(&e["at"]) } else { time(&e["occurred_at"]) }
}

fn only<'a>(events: &'a [Value], kind: &str, pick: impl Fn(&Value) -> bool) -> &'a Value {
    let found: Vec<&Value> = events.iter().filter(|e| e["kind"] == kind && pick(e)).collect();
    assert_eq!(found.len(), 1, "one {kind} event: {events:#?}");
    found[0]
}

/// The log's events in the order they were appended are in time order, by when they were
/// logged and by when they stand for.
fn assert_in_order(events: &[Value]) {
    for pair in events.windows(2) {
        assert!(time(&pair[0]["at"]) <= time(&pair[1]["at"]), "logged out of order: {pair:#?}");
        assert!(when(&pair[0]) <= when(&pair[1]), "stamped out of order: {pair:#?}");
    }
}

/// Regression: the walk stamped every event of a turn with the moment its card was drawn: a
/// step settled after 30 s on the card was logged 30 s early, a note typed later got the
/// card's time, a command that started later was logged as started when the card was drawn,
/// and the log ended out of order.
#[test]
fn walk_stamps_steps_notes_and_commands_when_confirmed_not_when_the_card_was_drawn() {
    let env = Env::init();
    std::fs::write(env.path("runbooks/clock.yaml"), RUNBOOK).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "clock"]);
    let id = env.only_id();

    let mut walk = Walk::spawn_args(&env, &["walk"]);
    walk.expect("first: Done after a wait");
    walk.expect("q quit");
    sleep(WAIT);
    let done_sent = Utc::now();
    walk.send_line("d");

    walk.expect("slow: Run after a wait");
    walk.expect("q quit");
    walk.send_line("n");
    walk.expect("Note >");
    sleep(WAIT);
    let note_sent = Utc::now();
    walk.send_line("the dashboard lags by a minute");
    walk.expect("noted");

    walk.expect("slow: Run after a wait");
    walk.expect("q quit");
    sleep(WAIT);
    walk.send_line("r");
    walk.expect("Run this command?");
    sleep(WAIT);
    let run_sent = Utc::now();
    walk.send_line("y");
    walk.expect("ran-it");
    walk.expect("exit 0");
    let run_seen = Utc::now();

    walk.expect("slow: Run after a wait");
    walk.expect("q quit");
    sleep(WAIT);
    let slow_done_sent = Utc::now();
    walk.send_line("d");
    walk.expect("Every step of runbook clock is settled");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");

    let events = env.events(&id);
    let first = only(&events, "step", |e| e["step"] == "first");
    assert!(time(&first["at"]) >= done_sent, "step done stamped before `d` was typed: {first}");
    let note = only(&events, "note", |_| true);
    assert!(time(&note["at"]) >= note_sent, "note stamped before it was typed: {note}");
    let command = only(&events, "command", |_| true);
    let (started, ended) = (when(command), time(&command["at"]));
    assert!(started >= run_sent, "command logged as started before `y` was typed: {command}");
    // It sleeps 2 s: its end is that much after its start, and before the walk said so.
    assert!(ended - started >= chrono::Duration::seconds(2), "start and end: {command}");
    assert!(ended <= run_seen, "command logged as ended after the walk showed its end: {command}");
    let slow = only(&events, "step", |e| e["step"] == "slow");
    assert!(time(&slow["at"]) >= slow_done_sent, "step done stamped before `d` was typed: {slow}");
    assert_in_order(&events);
}

/// Regression: `update --template` was stamped when the command started, before the text was
/// shown and "Send this update?" asked, not when the responder said yes.
#[test]
fn templated_update_is_stamped_when_sending_is_confirmed() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web"]);
    let id = env.only_id();
    let mut update = Walk::spawn_args(&env, &["update", "--channel", "status-page", "--template", "initial"]);
    update.expect("Send this update?");
    sleep(WAIT);
    let sent = Utc::now();
    update.send_line("y");
    let (code, out) = update.finish();
    assert_eq!(code, 0, "{out}");
    let events = env.events(&id);
    let logged = only(&events, "update", |_| true);
    assert!(time(&logged["at"]) >= sent, "update stamped before it was confirmed: {logged}");
    assert_in_order(&events);
}

/// Regression: `open`'s runbook question was an arrow-key menu with the first runbook
/// chosen: typing `third-party` and Enter attached bad-deploy. Now the answer is typed: an
/// id attaches that runbook, Enter alone attaches none.
#[test]
fn open_attaches_the_runbook_typed_and_none_on_enter_alone() {
    let attached = |answer: &str| {
        let env = Env::init();
        let args =
            ["open", "Checkout 500", "--severity", "SEV2", "--service", "checkout", "--commander", "Dana"];
        let mut open = Walk::spawn_args(&env, &args);
        open.expect("When did impact start?");
        open.send_line("");
        open.expect(". third-party");
        open.expect("Runbook (id or number) [none for now]");
        open.send_line(answer);
        let (code, out) = open.finish();
        assert_eq!(code, 0, "{out}");
        let events = env.events(&env.only_id());
        events.iter().filter(|e| e["kind"] == "runbook").map(|e| e["runbook"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(attached("third-party"), vec![Value::from("third-party")]);
    assert_eq!(attached(""), Vec::<Value>::new(), "Enter alone: none for now");
}

/// An answer that names no runbook listed is said so, and the question is asked again.
#[test]
fn open_asks_again_when_the_runbook_typed_is_not_listed() {
    let env = Env::init();
    let args = ["open", "Checkout 500", "--severity", "SEV2", "--service", "checkout", "--commander", "Dana"];
    let mut open = Walk::spawn_args(&env, &args);
    open.expect("When did impact start?");
    open.send_line("");
    open.expect("Runbook (id or number) [none for now]");
    open.send_line("third-partee");
    open.expect("\"third-partee\" is not one listed");
    open.expect("Runbook (id or number) [none for now]");
    open.send_line("third-party");
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");
    let events = env.events(&env.only_id());
    let runbook = only(&events, "runbook", |_| true);
    assert_eq!(runbook["runbook"], "third-party");
}

/// Regression: the walk said "needs a decision" when run without a terminal, on a step that
/// is no decision: what it needs is a person at a terminal, and scripts have other commands.
#[test]
fn walk_without_a_terminal_says_it_needs_one_not_a_decision() {
    let env = Env::init();
    std::fs::write(env.path("runbooks/clock.yaml"), RUNBOOK).unwrap();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "web", "--runbook", "clock"]);
    let out = env.fails(2, &["walk"]);
    assert!(!out.stderr.contains("decision"), "{}", out.stderr);
    assert!(out.stderr.contains("needs a terminal"), "{}", out.stderr);
    assert!(out.stderr.contains("incident step done|skip|fail"), "{}", out.stderr);
    assert!(out.stderr.contains("incident step run STEP --yes"), "{}", out.stderr);
}

/// A responder (or a script at a terminal) typing only names that are not listed is not
/// asked for ever: after a few tries the answer is refused, exit 2, and nothing is opened.
#[test]
fn open_gives_up_after_a_few_unlisted_runbooks_and_opens_nothing() {
    let env = Env::init();
    let args = ["open", "Checkout 500", "--severity", "SEV2", "--service", "checkout", "--commander", "Dana"];
    let mut open = Walk::spawn_args(&env, &args);
    open.expect("When did impact start?");
    open.send_line("");
    for _ in 0..5 {
        open.expect("Runbook (id or number) [none for now]");
        open.send_line("nope");
    }
    open.expect("no runbook with id \"nope\"");
    let (code, out) = open.finish();
    assert_eq!(code, 2, "{out}");
    assert!(env.ids().is_empty(), "opened: {:?}", env.ids());
}

/// Regression: the walk's own runbook question (an incident opened with none) was the same
/// arrow-key menu as `open`'s, its first runbook chosen on Enter.
#[test]
fn walk_attaches_the_runbook_typed_when_the_incident_has_none() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--service", "checkout"]);
    let id = env.only_id();
    let mut walk = Walk::spawn_args(&env, &["walk"]);
    walk.expect("Which runbook fits? (id or number) [leave the walk]");
    walk.send_line("third-party");
    walk.expect("runbook third-party attached");
    walk.expect("q quit");
    walk.send_line("q");
    let (code, out) = walk.finish();
    assert_eq!(code, 0, "{out}");
    let events = env.events(&id);
    assert_eq!(only(&events, "runbook", |_| true)["runbook"], "third-party");
}

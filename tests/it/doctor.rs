//! Nothing bricks an incident (SPEC §2): an unreadable line is skipped and named with
//! file:line by the commands, which go on reading and appending.

use super::harness::Env;

fn log_rel(id: &str) -> String {
    format!("incidents/{id}/events.jsonl")
}

/// An open incident with two notes; its id and its log's lines (each without its newline).
fn incident(env: &Env, title: &str) -> (String, Vec<String>) {
    let before = env.ids();
    env.ok(&["open", title, "--severity", "SEV2"]);
    let id = env.ids().into_iter().find(|i| !before.contains(i)).expect("a new incident");
    env.ok(&["log", "-i", &id, "first note"]);
    env.ok(&["log", "-i", &id, "second note"]);
    let lines = env.read(&log_rel(&id)).lines().map(str::to_string).collect();
    (id, lines)
}

fn write_lines(env: &Env, id: &str, lines: &[&str]) {
    std::fs::write(env.path(&log_rel(id)), lines.join("\n") + "\n").unwrap();
}

fn notes(env: &Env, id: &str) -> Vec<String> {
    let text = env.read(&log_rel(id));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["kind"] == "note")
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

/// The rest of the log is read and written: status, timeline and list name the line, `log`
/// appends after it, and no byte of what was there changes.
fn still_readable_and_writable(env: &Env, id: &str, bad: &[usize]) {
    let rel = log_rel(id);
    let before = std::fs::read(env.path(&rel)).unwrap();
    for args in [vec!["status", id], vec!["timeline", id], vec!["status", id, "--json"], vec!["list"]] {
        let out = env.ok(&args);
        for line in bad {
            let named = format!("{rel}:{line}: unreadable line skipped");
            assert!(out.stderr.contains(&named), "{args:?} names {named}: {out:#?}");
        }
        assert!(out.stderr.starts_with("warning: "), "{out:#?}");
    }
    let timeline = env.ok(&["timeline", id]);
    assert!(timeline.stdout.contains("first note") && timeline.stdout.contains("second note"));
    let logged = env.ok(&["log", "-i", id, "written after the bad line"]);
    assert!(logged.stderr.contains(&format!("{rel}:{}:", bad[0])), "{logged:#?}");
    let after = std::fs::read(env.path(&rel)).unwrap();
    assert!(after.starts_with(&before), "the log's bytes are unchanged, the new event after them");
    assert_eq!(notes(env, id), ["first note", "second note", "written after the bad line"]);
    assert!(env.ok(&["timeline", id]).stdout.contains("written after the bad line"));
}

/// Regression: one garbage line in the middle of a log used to make every command on the
/// incident fail (exit 2, "unreadable event"), writes included.
#[test]
fn a_garbage_line_mid_file_is_skipped_and_named() {
    let env = Env::init();
    let (id, lines) = incident(&env, "Checkout 500");
    let mut with_garbage: Vec<&str> = lines.iter().map(String::as_str).collect();
    with_garbage.insert(2, "\u{1b}[31mnot json at all");
    with_garbage
        .insert(3, r#"{"id":"x","at":"2026-11-27T14:02:00Z","by":"a","kind":"no-such-\u001b[31mkind"}"#);
    write_lines(&env, &id, &with_garbage);
    still_readable_and_writable(&env, &id, &[3, 4]);
    // No raw control character from the log reaches the terminal.
    let status = env.ok(&["status", &id]);
    assert!(!status.stderr.contains('\u{1b}'), "{status:#?}");
}

/// Regression: a line torn by a crash, then committed and merged, sits in the middle of a log
/// with complete lines after it; it used to brick the incident.
#[test]
fn a_committed_torn_line_is_skipped_and_named() {
    let env = Env::init();
    let (id, lines) = incident(&env, "Checkout 500");
    let torn = &lines[1][..lines[1].len() / 2];
    let mut merged: Vec<&str> = lines.iter().map(String::as_str).collect();
    merged.insert(2, torn);
    write_lines(&env, &id, &merged);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "merge with a torn line"]);
    still_readable_and_writable(&env, &id, &[3]);
    // Only lines were added to the committed log.
    let numstat = env.git(&["diff", "--numstat", "--", &log_rel(&id)]);
    assert!(numstat.starts_with("1\t0\t"), "{numstat}");
}

#[test]
fn a_log_without_a_readable_opened_event_is_an_error_naming_the_file() {
    let env = Env::init();
    let (id, lines) = incident(&env, "Checkout 500");
    let mut rest: Vec<&str> = lines.iter().map(String::as_str).collect();
    rest[0] = "{\"kind\":\"opened\"";
    write_lines(&env, &id, &rest);
    let out = env.fails(2, &["status", &id]);
    assert!(out.stderr.contains(&format!("{}: no readable `opened` event", log_rel(&id))), "{out:#?}");
    assert!(out.stderr.contains("incident doctor"), "{out:#?}");
    let json = env.fails(2, &["status", &id, "--json"]);
    let err: serde_json::Value = serde_json::from_str(&json.stderr).unwrap();
    assert_eq!(err["error"]["code"], 2, "{err}");
    // The other incidents still list.
    let (other, _) = incident(&env, "DNS down");
    let list = env.ok(&["list"]);
    assert!(list.stdout.contains(&other) && list.stderr.contains(&format!("skipping incident {id}")));
}

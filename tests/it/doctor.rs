//! Nothing bricks an incident (docs/record.md): an unreadable line is skipped and named with
//! file:line by the commands, which go on reading and appending; `incident doctor` lists
//! every such line, stale temp file, folder without a log, symlink and stale cache, and
//! `--fix` repairs them without losing a byte.

use std::path::Path;

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

#[test]
fn doctor_on_a_clean_repository_exits_0() {
    let env = Env::init();
    let out = env.ok(&["doctor"]);
    assert_eq!(out.stdout, "No problems found.\n");
    incident(&env, "Checkout 500");
    env.ok(&["list"]);
    env.ok(&["doctor"]);
    let json = env.json(&["doctor", "--json"]);
    assert_eq!(json, serde_json::json!([]));
    env.ok(&["doctor", "--fix"]);
}

/// Every fault doctor knows, in one repository: what `doctor` lists, what `--fix` does, and
/// that nothing is lost.
#[test]
fn doctor_lists_every_fault_and_fix_repairs_them() {
    let env = Env::init();
    let (id, lines) = incident(&env, "Checkout 500");
    let (clean, _) = incident(&env, "DNS down");
    let clean_log = std::fs::read(env.path(&log_rel(&clean))).unwrap();

    // Unreadable lines: garbage, a torn line merged into the middle, and a torn last line.
    let garbage = "garbage \\ with a backslash\r";
    let torn_mid = &lines[1][..lines[1].len() / 3];
    let torn_tail = &lines[2][..20];
    let mut seeded: Vec<&str> = lines.iter().map(String::as_str).collect();
    seeded.insert(1, garbage); // line 2
    seeded.insert(3, torn_mid); // line 4
    let torn_line = seeded.len() + 1;
    std::fs::write(env.path(&log_rel(&id)), seeded.join("\n") + "\n" + torn_tail).unwrap();
    // A render killed before its rename; a process id no system has.
    let tmp = format!("incidents/{id}/.postmortem.md.2147483646.tmp");
    std::fs::write(env.path(&tmp), "half a postmortem").unwrap();
    // An `open` killed after making its folder.
    std::fs::create_dir(env.path("incidents/2026-11-27-killed-open")).unwrap();
    // Symlinks: to a file outside the repository, and a folder posing as an incident.
    let outside = env.dir.path().join("outside.txt");
    std::fs::write(&outside, "secret").unwrap();
    std::os::unix::fs::symlink(&outside, env.path(&format!("incidents/{id}/evidence.txt"))).unwrap();
    std::os::unix::fs::symlink("../runbooks", env.path("incidents/2026-11-27-linked")).unwrap();
    // Stale caches: `list` writes them; then they claim what the logs do not say.
    env.ok(&["list"]);
    std::fs::write(env.path(".git/incident-closed"), format!("{clean}\n")).unwrap();
    let index_path = env.path(".git/incident-index.json");
    let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let entry = index["entries"][&clean].clone();
    index["entries"]["2026-01-01-gone"] = entry;
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "seeded faults"]);

    let rel = log_rel(&id);
    let out = env.fails(1, &["doctor"]);
    let expected_starts = [
        ".git/incident-closed: stale cache: incident ".to_string()
            + &clean
            + " is listed as closed but is open",
        ".git/incident-index.json: stale cache: incident 2026-01-01-gone has no log".to_string(),
        "incidents/2026-11-27-killed-open: incident folder without events.jsonl".to_string(),
        "incidents/2026-11-27-linked: symlink inside incidents/ (to ../runbooks)".to_string(),
        format!("incidents/{id}/.postmortem.md.2147483646.tmp: temporary file left by an interrupted write"),
        format!("{rel}:2: unreadable line ("),
        format!("{rel}:4: unreadable line ("),
        format!("{rel}:{torn_line}: incomplete last line"),
        format!("incidents/{id}/evidence.txt: symlink inside incidents/"),
    ];
    let listed: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(listed.len(), expected_starts.len(), "{out:#?}");
    for want in &expected_starts {
        assert!(listed.iter().any(|l| l.starts_with(want.as_str())), "{want:?} in {out:#?}");
    }
    assert!(out.stderr.contains("9 problems; `incident doctor --fix`"), "{out:#?}");

    let json = env.fails(1, &["doctor", "--json"]);
    let findings: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 9);
    let torn = findings.iter().find(|f| f["kind"] == "torn-line").unwrap();
    assert_eq!(
        (torn["path"].as_str(), torn["line"].as_u64(), torn["fixed"].as_bool()),
        (Some(&*rel), Some(torn_line as u64), Some(false))
    );
    assert!(findings.iter().all(|f| f["message"].is_string() && f.get("kind").is_some()));
    assert!(
        findings
            .iter()
            .filter(|f| f["kind"] != "unreadable-line" && f["kind"] != "torn-line")
            .all(|f| f.get("line").is_none())
    );

    let fixed = env.fails(1, &["doctor", "--fix"]);
    assert_eq!(fixed.stdout.lines().count(), 9, "{fixed:#?}");
    assert!(fixed.stdout.contains(&format!("{rel}:2: unreadable line")), "{fixed:#?}");
    assert!(fixed.stdout.contains(&format!("moved to incidents/{id}/rejected.jsonl")), "{fixed:#?}");
    assert!(fixed.stderr.contains("9 problems: 9 fixed, 0 left"), "{fixed:#?}");
    let again = env.ok(&["doctor"]);
    assert_eq!(again.stdout, "No problems found.\n");

    // The bad lines, byte for byte, kept; every good line still in the log, in order.
    let rejected = std::fs::read(env.path(&format!("incidents/{id}/rejected.jsonl"))).unwrap();
    assert_eq!(rejected, format!("{garbage}\n{torn_mid}\n{torn_tail}\n").into_bytes());
    assert_eq!(env.read(&rel), lines.join("\n") + "\n");
    assert_eq!(std::fs::read(env.path(&log_rel(&clean))).unwrap(), clean_log, "a clean log is untouched");
    // Links removed, never their targets; the temp file and the empty folder gone.
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "secret");
    assert!(env.path("runbooks").read_dir().unwrap().next().is_some());
    for gone in [
        &tmp,
        &format!("incidents/{id}/evidence.txt"),
        "incidents/2026-11-27-linked",
        "incidents/2026-11-27-killed-open",
    ] {
        assert!(std::fs::symlink_metadata(env.path(gone)).is_err(), "{gone} removed");
    }
    assert!(!env.path(".git/incident-closed").exists() || !env.read(".git/incident-closed").contains(&clean));

    // git agrees: the repository is sound, the log only lost lines, and both incidents work.
    env.git(&["fsck", "--no-progress"]);
    let numstat = env.git(&["diff", "--numstat", "--", &rel]);
    assert!(numstat.starts_with("0\t3\t"), "only the three committed bad lines went: {numstat}");
    let status = env.git(&["status", "--porcelain"]);
    assert!(status.contains(&format!("?? incidents/{id}/rejected.jsonl")), "{status}");
    let clean_status = env.ok(&["status", &id]);
    assert!(!clean_status.stderr.contains("warning"), "{clean_status:#?}");
    env.ok(&["log", "-i", &id, "after the fix"]);
    assert_eq!(notes(&env, &id), ["first note", "second note", "after the fix"]);
    let list = env.json(&["list", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
}

/// A folder without a log that holds something is reported, never deleted.
#[test]
fn doctor_keeps_a_folder_without_a_log_that_is_not_empty() {
    let env = Env::init();
    let dir = env.path("incidents/2026-11-27-half");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.md"), "hand-written").unwrap();
    let out = env.fails(1, &["doctor"]);
    assert!(out.stdout.starts_with("incidents/2026-11-27-half: incident folder without events.jsonl"));
    assert!(out.stdout.contains("not empty"), "{out:#?}");
    let fixed = env.fails(1, &["doctor", "--fix", "--json"]);
    let findings: serde_json::Value = serde_json::from_str(&fixed.stdout).unwrap();
    assert_eq!(findings[0]["kind"], "no-log");
    assert_eq!(findings[0]["fixed"], false);
    assert_eq!(std::fs::read_to_string(dir.join("notes.md")).unwrap(), "hand-written");
    // A folder holding only a stale temp file: the temp file goes, then the empty folder.
    let killed = env.path("incidents/2026-11-27-killed");
    std::fs::create_dir_all(&killed).unwrap();
    std::fs::write(killed.join(".events.jsonl.2147483646.tmp"), "{").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    env.fails(1, &["doctor", "--fix"]);
    assert!(!killed.exists());
    env.ok(&["doctor"]);
}

/// A temp file whose writer is still running is a write in progress, not a leftover.
#[test]
fn doctor_leaves_the_temp_file_of_a_live_process() {
    let env = Env::init();
    let (id, _) = incident(&env, "Checkout 500");
    // This test's own process id: alive for as long as doctor runs.
    let tmp = format!("incidents/{id}/.postmortem.md.{}.tmp", std::process::id());
    std::fs::write(env.path(&tmp), "in progress").unwrap();
    env.ok(&["doctor", "--fix"]);
    assert!(Path::new(&env.path(&tmp)).exists());
}

/// `incidents/` itself a symlink: reported, never followed, never removed.
#[test]
fn doctor_does_not_follow_a_linked_incidents_folder() {
    let env = Env::init();
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("2026-11-27-x")).unwrap();
    std::fs::write(elsewhere.join("2026-11-27-x/events.jsonl"), "garbage\n").unwrap();
    let _ = std::fs::remove_dir_all(env.path("incidents"));
    std::os::unix::fs::symlink(&elsewhere, env.path("incidents")).unwrap();
    let out = env.fails(1, &["doctor", "--fix"]);
    assert_eq!(out.stdout.lines().count(), 1, "{out:#?}");
    assert!(out.stdout.starts_with("incidents: symlink in place of incidents/"), "{out:#?}");
    assert!(std::fs::symlink_metadata(env.path("incidents")).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(elsewhere.join("2026-11-27-x/events.jsonl")).unwrap(), "garbage\n");
}

/// A log whose `opened` line is unreadable: the line moves to rejected.jsonl, and what no
/// repair can make up (the incident's opening) stays reported, with exit 1.
#[test]
fn doctor_reports_a_log_without_an_opened_event_and_cannot_fix_it() {
    let env = Env::init();
    let (id, lines) = incident(&env, "Checkout 500");
    let mut rest: Vec<&str> = lines.iter().map(String::as_str).collect();
    rest[0] = "{\"kind\":\"opened\"";
    write_lines(&env, &id, &rest);
    let out = env.fails(1, &["doctor"]);
    let rel = log_rel(&id);
    assert!(out.stdout.contains(&format!("{rel}:1: unreadable line")), "{out:#?}");
    assert!(out.stdout.contains(&format!("{rel}: no readable `opened` event")), "{out:#?}");
    let fixed = env.fails(1, &["doctor", "--fix", "--json"]);
    let findings: serde_json::Value = serde_json::from_str(&fixed.stdout).unwrap();
    let kinds: Vec<(&str, bool)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["fixed"].as_bool().unwrap()))
        .collect();
    assert_eq!(kinds, [("no-opened-event", false), ("unreadable-line", true)]);
    assert_eq!(env.read(&format!("incidents/{id}/rejected.jsonl")), "{\"kind\":\"opened\"\n");
}

/// Regression (QA): an event dated 9999 (a hand edit, or a clone with a broken clock brought
/// in by a sync) made "time to mitigate 2921939d" and revenue lost in the trillions, and
/// nothing said why. `doctor` names each such event by line (exit 1); `--fix` leaves it (it
/// may hold a real fact) and says how to correct it.
#[test]
fn doctor_names_events_dated_before_1970_or_in_the_future() {
    let env = Env::init();
    let (id, lines) = incident(&env, "Checkout 500");
    let mut all: Vec<String> = lines.clone();
    let mut future: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    future["id"] = "f0000000-clock".into();
    future["kind"] = "note".into();
    future["text"] = "from a broken clock".into();
    future["occurred_at"] = "9999-12-31T23:59:59Z".into();
    let mut past = future.clone();
    past["id"] = "p0000000-clock".into();
    past["at"] = "1900-01-01T00:00:00Z".into();
    past.as_object_mut().unwrap().remove("occurred_at");
    all.push(future.to_string());
    all.push(past.to_string());
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    write_lines(&env, &id, &refs);
    let out = env.fails(1, &["doctor"]);
    let rel = log_rel(&id);
    let n = all.len();
    assert!(
        out.stdout.contains(&format!("{rel}:{}: event f0000000 (note) occurred at 9999-12-31", n - 1)),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(&format!("{rel}:{n}: event p0000000 (note) logged at 1900-01-01")),
        "{out:#?}"
    );
    assert!(out.stdout.contains("in the future") && out.stdout.contains("before 1970"), "{out:#?}");
    let fixed = env.fails(1, &["doctor", "--fix", "--json"]);
    let findings: serde_json::Value = serde_json::from_str(&fixed.stdout).unwrap();
    assert!(
        findings.as_array().unwrap().iter().all(|f| f["kind"] == "impossible-time" && f["fixed"] == false),
        "{findings:#}"
    );
    assert_eq!(env.events(&id).len(), n, "nothing moved");
    // Corrected as doctor says (QA: it went on reporting them, and never exited 0).
    env.ok(&["amend", "f0000000-clock", "--at", "-30m"]);
    env.ok(&["retract", "p0000000-clock", "--reason", "written by a machine with a broken clock"]);
    let out = env.ok(&["doctor"]);
    assert!(!out.stdout.contains("impossible") && !out.stdout.contains("1970"), "{out:#?}");
}

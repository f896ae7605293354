//! docs/record.md, "The record's rules", through the real binary: facts that cannot be true are
//! refused with exit 2 and nothing written; corrections are events that reach the
//! postmortem; the fold is a function of the set of events.

use serde_json::Value;

use super::harness::Env;

fn opened() -> (Env, String) {
    Env::opened_after_impact("Checkout down", "SEV1", "checkout")
}

#[test]
fn times_that_cannot_be_facts_are_refused() {
    let (env, id) = opened();
    // Regressions: year -1142 was written and bricked the incident; the next one panicked.
    env.refused(&id, &["log", "x", "--at", "-100000000000s"], "--at");
    env.refused(&id, &["log", "x", "--at", "-100000000000000s"], "--at");
    env.refused(&id, &["log", "x", "--at", "2099-01-01T00:00:00Z"], "in the future");
    env.refused(&id, &["log", "x", "--at", "1969-07-20T20:17:00Z"], "before 1970");
    env.refused(&id, &["log", "x", "--at", "soon"], "RFC 3339");
    let dirs = env.ids();
    let out = env.fails(2, &["open", "Ancient", "--severity", "SEV2", "--started-at", "-5000000d"]);
    assert!(out.stderr.contains("--started-at"), "{out:?}");
    assert_eq!(env.ids(), dirs, "no incident folder was made");
    // HH:MM is the latest such time not in the future: a minute from now means yesterday.
    let ahead = (chrono::Local::now() + chrono::Duration::minutes(1)).format("%H:%M").to_string();
    env.ok(&["log", "said at this time yesterday", "--at", &ahead]);
    let note = env.events(&id).into_iter().last().unwrap();
    let when = chrono::DateTime::parse_from_rfc3339(note["occurred_at"].as_str().unwrap()).unwrap();
    let ago = chrono::Utc::now().signed_duration_since(when);
    assert!(ago > chrono::Duration::hours(23) && ago < chrono::Duration::hours(25), "{note}");
}

#[test]
fn milestones_out_of_order_are_refused_naming_the_other_one() {
    let (env, id) = opened();
    // Impact started 2 hours ago; nothing may come before it.
    env.refused(&id, &["mark", "mitigated", "--at", "-3h"], "would come before impact started at");
    env.refused(&id, &["mark", "detected", "--at", "-150m"], "impact started");
    env.ok(&["mark", "acknowledged", "--at", "-100m"]);
    // Detected defaults to when the incident was opened (1h50m ago): after acknowledged.
    env.refused(&id, &["mark", "detected", "--at", "-90m"], "would come after acknowledged at");
    env.ok(&["mark", "mitigated", "--at", "-30m"]);
    env.refused(&id, &["resolve", "--at", "-40m"], "would come before mitigated at");
    env.refused(&id, &["mark", "resolved", "--at", "-45m"], "mitigated");
    // A milestone is given once; a wrong one is amended, not typed again.
    env.refused(&id, &["mark", "mitigated", "--at", "-20m"], "already marked");
    env.ok(&["resolve", "--at", "-10m"]);
    // Opening with detection before impact started is refused too, and makes no folder.
    let dirs = env.ids();
    let out = env.fails(
        2,
        &["open", "Backwards", "--severity", "SEV2", "--started-at", "-1h", "--detected-at", "-2h"],
    );
    assert!(out.stderr.contains("impact started") && out.stderr.contains("detected"), "{out:?}");
    assert_eq!(env.ids(), dirs);
}

#[test]
fn amend_and_retract_correct_the_record_through_to_the_postmortem() {
    // Absolute times from one instant (`Env::ago`): the figures are asserted to the second.
    let (env, id) = opened();
    let ago = |minutes: i64| env.ago(minutes);
    env.ok(&["mark", "mitigated", "--at", &ago(30)]);
    env.ok(&["log", "the DB was fine"]);
    let events = env.events(&id);
    let mitigated = events.iter().find(|e| e["kind"] == "mark" && e["milestone"] == "mitigated").unwrap();
    let mid = mitigated["id"].as_str().unwrap().to_string();
    let note = events.iter().find(|e| e["kind"] == "note").unwrap()["id"].as_str().unwrap().to_string();
    // Ids are shown by `timeline --ids`, as the prefix amend takes.
    let timeline = env.ok(&["timeline", "--ids"]).stdout;
    assert!(timeline.contains(&mid[..8]) && timeline.contains(&note[..8]), "{timeline}");
    // Impact was 1h30m as marked; mitigation really came 20 minutes later.
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["metrics"]["time_to_mitigate_s"], 90 * 60);
    env.refused(&id, &["amend", &mid[..8], "--at", "-3h"], "impact started");
    env.refused(&id, &["amend", "ffffffffffff"], "no event");
    env.refused(&id, &["amend", &mid[..8]], "--at or --text");
    env.refused(&id, &["amend", &mid[..8], "--text", "x"], "no text");
    let out: Value =
        serde_json::from_str(&env.ok(&["amend", &mid[..8], "--at", &ago(10), "--json"]).stdout).unwrap();
    let amend_id = out["events"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(out["events"][0]["kind"], "amend");
    assert_eq!(out["events"][0]["event"], mid.as_str());
    env.refused(&id, &["retract", &amend_id, "--reason", "x"], "is itself a correction");
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["metrics"]["time_to_mitigate_s"], 110 * 60, "the amended time counts");
    env.ok(&["amend", &note[..10], "--text", "the DB was saturated"]);
    env.ok(&["log", "a wrong guess"]);
    let guess = env.events(&id).into_iter().last().unwrap()["id"].as_str().unwrap().to_string();
    env.ok(&["retract", &guess, "--reason", "typed in the wrong incident"]);
    // Retracted once is out of the record: a second retraction or an amend would add a line
    // that looks like a correction and changes nothing.
    env.refused(&id, &["retract", &guess, "--reason", "again"], "was retracted already");
    env.refused(&id, &["amend", &guess, "--text", "x"], "was retracted already");
    // The original lines stay in the log.
    let log = env.log_of(&id);
    assert!(log.contains("the DB was fine") && log.contains("a wrong guess"), "{log}");
    env.ok(&["resolve"]);
    env.ok(&["postmortem", "--no-commit"]);
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    assert!(pm.contains("| the DB was saturated (corrected) |"), "{pm}");
    assert!(!pm.contains("| the DB was fine"), "{pm}");
    // Brackets in text are escaped (no link comes from data); rendered, they read as typed.
    assert!(pm.contains("\\[retracted: typed in the wrong incident\\] a wrong guess"), "{pm}");
    assert!(pm.contains("Marked mitigated (corrected)"), "{pm}");
    assert!(pm.contains("| Time to mitigate | impact started → mitigated | 1h 50m |"), "{pm}");
}

/// Tiny deterministic generator, so the property test needs no crate and repeats exactly.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn the_fold_is_a_function_of_the_set_of_events() {
    let (env, id) = opened();
    for (args, at) in [
        (vec!["log", "same minute A"], "-100m"),
        (vec!["log", "same minute B"], "-100m"),
        (vec!["severity", "SEV2", "--reason", "contained"], "-90m"),
        (vec!["role", "comms", "Ben"], "-90m"),
        (vec!["mark", "mitigated"], "-60m"),
        (vec!["action", "Alert on it", "--owner", "Ann", "--due", "2026-12-01"], "-50m"),
        (vec!["retro", "lucky", "low traffic"], "-40m"),
        (vec!["resolve", "--root-cause", "a bad flag"], "-30m"),
    ] {
        let mut full = args.clone();
        full.extend(["--at", at]);
        env.ok(&full);
    }
    let path = env.path(&format!("incidents/{id}/events.jsonl"));
    let original = std::fs::read_to_string(&path).unwrap();
    let render = |env: &Env| -> (String, Value, Value) {
        env.ok(&["postmortem", "--no-commit"]);
        let pm = env.read(&format!("incidents/{id}/postmortem.md"));
        let status = env.json(&["status", &id, "--json"]);
        let timeline = env.json(&["timeline", &id, "--json"]);
        (pm, status, timeline)
    };
    let expected = render(&env);
    let lines: Vec<&str> = original.lines().collect();
    let mut rng = Lcg(7);
    for round in 0..8 {
        // Shuffle, and repeat some lines, as a merge of two clones would.
        let mut shuffled: Vec<&str> = lines.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i + 1));
        }
        for _ in 0..round {
            shuffled.push(lines[rng.below(lines.len())]);
        }
        std::fs::write(&path, shuffled.join("\n") + "\n").unwrap();
        let got = render(&env);
        assert_eq!(got.0, expected.0, "round {round}: the postmortem differs");
        assert_eq!(got.1, expected.1, "round {round}: the state differs");
        assert_eq!(got.2, expected.2, "round {round}: the timeline differs");
        let timeline = got.2.as_array().unwrap();
        assert_eq!(timeline.len(), lines.len(), "a repeated id counts once");
    }
}

#[test]
fn identity_as_git_resolves_it_and_names_are_one_line() {
    let env = Env::init();
    // GIT_AUTHOR_NAME wins over the config.
    let out = env
        .command(super::harness::BIN)
        .args(["open", "T", "--severity", "SEV2"])
        .env("GIT_AUTHOR_NAME", "Author From Env")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let id = env.only_id();
    assert_eq!(env.events(&id)[0]["by"], "Author From Env");
    // GIT_CONFIG_GLOBAL names the global config file (libgit2 alone reads only ~/.gitconfig).
    let global = env.dir.path().join("other-gitconfig");
    std::fs::write(&global, "[user]\n\tname = Global From Env\n\temail = g@example.com\n").unwrap();
    let out = env
        .command(super::harness::BIN)
        .args(["log", "hello"])
        .env("GIT_CONFIG_GLOBAL", &global)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(env.events(&id).last().unwrap()["by"], "Global From Env");
    // Empty and multi-line names are refused wherever a name is taken.
    env.refused(&id, &["log", "x", "--as", "  "], "--as");
    env.refused(&id, &["log", "x", "--as", "Eve\nMallory"], "--as");
    env.refused(&id, &["role", "ops", ""], "not a name");
    env.refused(&id, &["action", "A", "--owner", "a\nb"], "--owner");
    let out = env.fails(2, &["open", "U", "--severity", "SEV2", "--commander", "x\ny"]);
    assert!(out.stderr.contains("--commander"), "{out:?}");
}

#[test]
fn write_commands_print_their_events_with_ids_under_json() {
    let (env, id) = opened();
    for args in [
        vec!["log", "hello", "--json"],
        vec!["mark", "mitigated", "--json"],
        vec!["severity", "SEV2", "--json"],
        vec!["role", "comms", "Ben", "--json"],
        vec!["retro", "lucky", "x", "--json"],
        vec!["phase", "next", "--json"],
        vec!["resolve", "--json"],
    ] {
        let out = env.ok(&args);
        let v: Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", out.stdout));
        assert_eq!(v["incident"], id.as_str(), "{args:?}");
        let events = v["events"].as_array().unwrap();
        assert!(
            !events.is_empty() && events.iter().all(|e| e["id"].as_str().is_some_and(|i| i.len() == 32)),
            "{v}"
        );
    }
    let v = env.json(&["open", "Another", "--severity", "SEV3", "--json"]);
    assert!(v["events"].as_array().is_some_and(|e| e.iter().all(|e| e["id"].is_string())), "{v}");
    // A note from stdin loses its trailing newline.
    let mut child = env
        .command(super::harness::BIN)
        .args(["log", "-", "-i", &id])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"from a pipe\n").unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(env.events(&id).last().unwrap()["text"], "from a pipe");
}

#[test]
fn the_other_commands_speak_json_too() {
    let env = Env::new();
    let out = env.ok(&["init", env.repo.to_str().unwrap(), "--json"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert!(v["commit"].as_str().is_some_and(|c| c.len() == 40), "{v}");
    assert!(v["created"].as_array().is_some_and(|c| !c.is_empty()), "{v}");
    let v = env.json(&["lint", "--json"]);
    assert_eq!(v, serde_json::json!([]), "the starter files lint clean");
    let v = env.json(&["doctor", "--json"]);
    assert_eq!(v, serde_json::json!([]));
    env.ok(&["open", "T", "--severity", "SEV2"]);
    env.ok(&["resolve"]);
    let v = env.json(&["postmortem", "--json"]);
    assert!(
        v["path"].as_str().is_some_and(|p| p.ends_with("postmortem.md")) && v["commit"].is_string(),
        "{v}"
    );
    let v = env.json(&["demo", "--json"]);
    assert!(v["postmortem"].as_str().is_some_and(|p| std::path::Path::new(p).is_file()), "{v}");
}

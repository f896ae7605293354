//! Changes in: deploys recorded with `change record` / `change add`, listed by `changes`, shared
//! by `sync`, and shown by `open` and the postmortem as candidate triggers.

use std::collections::BTreeSet;

use super::harness::Env;
use super::sync::{Team, clone_of};

/// The changes as `changes --json` gives them.
fn changes(env: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    let mut full = vec!["changes", "--json"];
    full.extend(args);
    env.json(&full).as_array().expect("an array").clone()
}

fn titles(list: &[serde_json::Value]) -> Vec<String> {
    list.iter().map(|c| c["title"].as_str().unwrap().to_string()).collect()
}

/// The changes logs' files, by name.
fn logs(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.path("changes"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_failed_deploy_is_recorded_with_its_exit_code_and_exits_1() {
    let env = Env::init();
    let out = env
        .fails(1, &["change", "record", "--service", "checkout", "--title", "checkout v42", "--", "false"]);
    assert!(out.stdout.contains("change to checkout recorded: checkout v42, exit 1"), "{out:?}");
    let list = changes(&env, &[]);
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!(c["exit"], 1);
    assert_eq!(c["services"], serde_json::json!(["checkout"]));
    assert_eq!(c["by"], "Test Responder");
    assert_eq!(c["command"], "false");
    assert!(c["ended_at"].is_string() && c["at"].is_string(), "{c}");
    assert!(c["ended_at"].as_str() >= c["at"].as_str());
    // A command that succeeds: exit 0, and the title defaults to the command.
    env.ok(&["change", "record", "--", "sh", "-c", "echo deployed"]);
    let list = changes(&env, &[]);
    assert_eq!(list[1]["exit"], 0);
    assert_eq!(list[1]["title"], "sh -c 'echo deployed'");
}

/// The command runs as given, not through a shell built from its words.
#[test]
fn the_command_is_run_as_given_without_a_shell() {
    let env = Env::init();
    let out = env.ok(&["change", "record", "--", "echo", "a; echo injected", "$HOME"]);
    assert!(out.stdout.contains("a; echo injected $HOME\n"), "{out:?}");
}

#[test]
fn a_deploys_output_is_redacted_on_screen_and_in_the_log() {
    let env = Env::init();
    let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    let script = format!("echo token={secret}; echo password=hunter22");
    let out = env.ok(&["change", "record", "--title", "deploy password=hunter22", "--", "sh", "-c", &script]);
    assert!(out.stdout.contains("token=[REDACTED]"), "{out:?}");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(secret) && !text.contains("hunter22"), "{out:?}");
    }
    let log = env.read(&format!("changes/{}", logs(&env)[0]));
    assert!(!log.contains(secret) && !log.contains("hunter22"), "{log}");
    assert!(log.contains("token=[REDACTED]"), "{log}");
}

#[test]
fn a_deploy_past_its_timeout_is_killed_and_recorded() {
    let env = Env::init();
    let out = env.fails(1, &["change", "record", "--timeout", "1s", "--", "sleep", "30"]);
    assert!(out.stdout.contains("timed out after 1s"), "{out:?}");
    let c = &changes(&env, &[])[0];
    assert!(c["exit"].is_null(), "{c}");
    assert_eq!(c["ending"], "timed out after 1s");
    // A timeout that is no duration is refused before anything runs.
    let bad = env.fails(2, &["change", "record", "--timeout", "soon", "--", "touch", "ran"]);
    assert!(bad.stderr.contains("--timeout"), "{bad:?}");
    assert!(!env.path("ran").exists());
    assert_eq!(changes(&env, &[]).len(), 1);
}

#[test]
fn a_change_add_with_a_bad_time_service_or_link_is_refused_and_nothing_written() {
    let env = Env::init();
    for (args, needle) in [
        (
            vec!["change", "add", "v42", "--service", "checkout", "--at", "2999-01-01T00:00:00Z"],
            "in the future",
        ),
        (vec!["change", "add", "v42", "--service", "checkout", "--at", "yesterday-ish"], "--at"),
        (vec!["change", "add", "v42", "--service", "nope"], "unknown service \"nope\""),
        (vec!["change", "add", "v42", "--service", "checkout", "--link", "ftp://x/y"], "not an http(s) URL"),
        (vec!["change", "add", "v42", "--service", "checkout", "--link", "javascript:alert(1)"], "--link"),
    ] {
        let out = env.fails(2, &args);
        assert!(out.stderr.contains(needle), "{args:?}: {out:?}");
        assert!(!env.path("changes").exists(), "{args:?} wrote something");
    }
    // The same, well formed, is recorded.
    env.ok(&[
        "change",
        "add",
        "v42",
        "--service",
        "checkout",
        "--at",
        &env.ago(5),
        "--link",
        "https://ci.example.com/1",
    ]);
    let c = &changes(&env, &[])[0];
    assert_eq!(c["link"], "https://ci.example.com/1");
    assert_eq!(c["at"].as_str().unwrap().get(..16), env.ago(5).get(..16));
}

#[test]
fn changes_lists_by_time_and_filters_by_service_and_since_with_the_json_keys() {
    let env = Env::init();
    env.ok(&["change", "add", "checkout old", "--service", "checkout", "--at", &env.ago(300)]);
    env.ok(&["change", "add", "web release", "--service", "web", "--at", &env.ago(20)]);
    env.ok(&[
        "change",
        "add",
        "checkout release",
        "--service",
        "checkout",
        "--service",
        "web",
        "--at",
        &env.ago(30),
    ]);
    assert_eq!(titles(&changes(&env, &[])), ["checkout old", "checkout release", "web release"]);
    assert_eq!(titles(&changes(&env, &["--service", "checkout"])), ["checkout old", "checkout release"]);
    assert_eq!(titles(&changes(&env, &["--since", &env.ago(60)])), ["checkout release", "web release"]);
    assert_eq!(
        titles(&changes(&env, &["--since", &env.ago(60), "--service", "web"])),
        ["checkout release", "web release"]
    );
    let keys: BTreeSet<String> = changes(&env, &[])[0].as_object().unwrap().keys().cloned().collect();
    for key in ["id", "title", "services", "at", "ended_at", "exit", "by", "link"] {
        assert!(keys.contains(key), "{key} missing from {keys:?}");
    }
    let table = env.ok(&["changes", "--service", "web"]).stdout;
    assert!(table.contains("web release") && table.contains("checkout release"), "{table}");
    assert!(!table.contains("checkout old"), "{table}");
    env.fails(2, &["changes", "--service", "nope"]);
}

/// Nothing bricks the changes log: a garbage line and a torn last line are skipped and named,
/// the rest still reads, and the next change is still recorded.
#[test]
fn a_garbage_or_torn_line_in_a_changes_log_is_skipped_and_named() {
    let env = Env::init();
    env.ok(&["change", "add", "first", "--service", "checkout"]);
    let name = logs(&env)[0].clone();
    let path = env.path(&format!("changes/{name}"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("not json at all\n{\"id\":\"torn\",\"ti");
    std::fs::write(&path, text).unwrap();
    let out = env.ok(&["changes"]);
    assert!(out.stdout.contains("first"), "{out:?}");
    assert!(out.stderr.contains(&format!("changes/{name}:2: unreadable line skipped")), "{out:?}");
    assert!(out.stderr.contains(&format!("changes/{name}:3: unreadable line skipped")), "{out:?}");
    // `doctor` lists them; `--fix` moves them to changes/rejected.jsonl, byte for byte.
    let doctor = env.fails(1, &["doctor"]);
    assert!(doctor.stdout.contains(&format!("changes/{name}:2: unreadable line")), "{doctor:?}");
    assert!(doctor.stdout.contains(&format!("changes/{name}:3: incomplete last line")), "{doctor:?}");
    env.run(&["doctor", "--fix"]);
    assert_eq!(env.read("changes/rejected.jsonl"), "not json at all\n{\"id\":\"torn\",\"ti\n");
    let clean = env.ok(&["changes"]);
    assert!(!clean.stderr.contains("unreadable"), "{clean:?}");
    env.ok(&["change", "add", "second", "--service", "checkout"]);
    assert_eq!(titles(&changes(&env, &[])), ["first", "second"]);
}

/// Changes are shared: one recorded on a clone arrives on another by `sync`, and two clones
/// appending to the same month's log merge as the union of both, without conflict markers.
#[test]
fn changes_recorded_on_two_clones_arrive_by_sync_and_merge_cleanly() {
    let team = Team::new(2);
    let [alice, bob] = &team.people[..] else { unreachable!() };
    alice.ok(&["change", "record", "--service", "checkout", "--title", "checkout v42", "--", "true"]);
    alice.ok(&["sync"]);
    bob.ok(&["sync"]);
    assert_eq!(titles(&changes(bob, &[])), ["checkout v42"]);
    // Both append to the same month while apart.
    alice.ok(&["change", "add", "alice's", "--service", "web", "--at", &alice.ago(3)]);
    bob.ok(&["change", "add", "bob's", "--service", "web", "--at", &bob.ago(2)]);
    bob.ok(&["change", "add", "bob's second", "--service", "web", "--at", &bob.ago(1)]);
    alice.ok(&["sync"]);
    bob.ok(&["sync"]);
    alice.ok(&["sync"]);
    let all = ["checkout v42", "alice's", "bob's", "bob's second"];
    for p in [alice, bob] {
        let mut got = titles(&changes(p, &[]));
        got.sort();
        let mut want: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want);
        let log = p.read(&format!("changes/{}", logs(p)[0]));
        assert!(!log.contains("<<<<<<<") && !log.contains(">>>>>>>"), "{log}");
        assert_eq!(p.git(&["status", "--porcelain"]), "", "everything committed");
    }
    assert_eq!(logs(alice), logs(bob));
    assert_eq!(
        alice.read(&format!("changes/{}", logs(alice)[0])),
        bob.read(&format!("changes/{}", logs(bob)[0])),
        "the logs are identical"
    );
    let fresh = clone_of(&team.remote);
    assert_eq!(changes(&fresh, &[]).len(), 4);
}

/// A change line that came from elsewhere with the same id and other content is kept once,
/// the other set aside and reported, never silently replaced.
#[test]
fn one_change_id_with_two_contents_is_reported_by_sync() {
    let team = Team::new(2);
    let [alice, bob] = &team.people[..] else { unreachable!() };
    alice.ok(&["change", "add", "v1", "--service", "web", "--at", &alice.ago(10)]);
    alice.ok(&["sync"]);
    bob.ok(&["sync"]);
    let name = logs(bob)[0].clone();
    let rel = format!("changes/{name}");
    let forged = bob.read(&rel).replace("\"v1\"", "\"forged\"");
    std::fs::write(bob.path(&rel), forged).unwrap();
    bob.git(&["commit", "-qam", "forged"]);
    alice.ok(&["change", "add", "v2", "--service", "web", "--at", &alice.ago(5)]);
    alice.ok(&["sync"]);
    let out = bob.ok(&["sync"]);
    assert!(out.stdout.contains("set aside") || out.stderr.contains("set aside"), "{out:?}");
    let rejected = bob.read("changes/rejected.jsonl");
    assert!(rejected.contains("v1") || rejected.contains("forged"), "{rejected}");
}

/// `open` shows the changes to the incident's services in the lookback before impact started,
/// and not those to other services or older; `open --json` carries them as `changes`; the
/// postmortem's Trigger section lists the same ones.
#[test]
fn open_and_the_postmortem_show_the_changes_before_impact_as_candidates() {
    let env = Env::init();
    env.ok(&[
        "change",
        "add",
        "checkout v42",
        "--service",
        "checkout",
        "--at",
        &env.ago(40),
        "--link",
        "https://ci.example.com/42",
    ]);
    env.ok(&["change", "add", "web v7", "--service", "web", "--at", &env.ago(35)]);
    env.ok(&["change", "add", "checkout v41", "--service", "checkout", "--at", &env.ago(200)]);
    // After impact started: not a candidate.
    env.ok(&["change", "add", "checkout hotfix", "--service", "checkout", "--at", &env.ago(5)]);
    let started = env.ago(30);
    let open = |title: &str, json: &[&str]| {
        let mut args =
            vec!["open", title, "--severity", "SEV1", "--service", "checkout", "--started-at", &started];
        args.extend(json);
        env.ok(&args)
    };
    let out = open("Checkout down", &[]);
    assert!(out.stdout.contains("Changes in the 2h 00m before impact started"), "{out:?}");
    assert!(out.stdout.contains("checkout v42"), "{out:?}");
    for absent in ["web v7", "checkout v41", "checkout hotfix"] {
        assert!(!out.stdout.contains(absent), "{absent}: {out:?}");
    }
    let id = env.only_id();
    env.ok(&["postmortem", "--no-commit"]);
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    let trigger = pm.split("### Trigger").nth(1).unwrap().split("### Root cause").next().unwrap();
    assert!(
        trigger.contains("| checkout v42 | checkout | — | Test Responder | https://ci.example.com/42 |"),
        "{trigger}"
    );
    for absent in ["web v7", "checkout v41", "checkout hotfix"] {
        assert!(!trigger.contains(absent), "{absent}: {trigger}");
    }
    // The same logs give the same bytes.
    env.ok(&["postmortem", "--no-commit"]);
    assert_eq!(env.read(&format!("incidents/{id}/postmortem.md")), pm);

    // `changes.lookback` widens the window; --json carries the candidates.
    let config = env.read("incident.yaml") + "\nchanges:\n  lookback: 4h\n";
    std::fs::write(env.path("incident.yaml"), config).unwrap();
    let out = open("Checkout down again", &["--yes", "--json"]);
    let opened: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let found: Vec<&str> =
        opened["changes"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert_eq!(found, ["checkout v41", "checkout v42"]);
}

/// Regression: a changes log that could not be read (here a folder where a month's file goes)
/// made `open` exit 1 after the incident was written, so a retry opened a second one; and
/// made `brief` fail whole. Both go on, saying what was left out.
#[test]
fn an_unreadable_changes_log_never_stops_open_or_brief() {
    let env = Env::init();
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    std::fs::create_dir_all(env.path(&format!("changes/{month}.jsonl"))).unwrap();
    let out = env.ok(&["open", "Checkout down", "--severity", "SEV2", "--service", "checkout"]);
    assert!(out.stderr.contains("candidate changes left out"), "{out:?}");
    assert_eq!(env.ids().len(), 1);
    let out = env.ok(&["brief"]);
    assert!(out.stderr.contains("candidate changes left out"), "{out:?}");
    assert!(out.stdout.contains("Handover brief"), "{out:?}");
}

/// Regression: a service named twice apart (`-s checkout -s web -s checkout`) was recorded
/// twice: only neighbours were dropped.
#[test]
fn a_service_named_twice_is_recorded_once() {
    let env = Env::init();
    env.ok(&["change", "add", "v2", "--service", "checkout", "--service", "web", "--service", "checkout"]);
    assert_eq!(changes(&env, &[])[0]["services"], serde_json::json!(["checkout", "web"]));
}

//! A broken configuration never stops the response: when `incident.yaml` or a runbook fails
//! lint, every command but `lint` runs on the last committed version that passes, says so in
//! one warning line, and `sync` keeps the logs flowing so the fix arrives with the next one.

use super::harness::Env;
use super::sync::Team;

/// The one warning line about `file` in `stderr`, asserting there is exactly one.
fn fallback_warning<'a>(stderr: &'a str, file: &str) -> &'a str {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with(&format!("warning: {file}:")) && l.contains("as of commit"))
        .collect();
    assert_eq!(lines.len(), 1, "one fallback warning about {file} expected: {stderr}");
    lines[0]
}

/// The commit a warning says it fell back to.
fn commit_in(warning: &str) -> String {
    let after = warning.split("as of commit ").nth(1).unwrap_or_else(|| panic!("no commit in {warning}"));
    after.split_whitespace().next().unwrap().to_string()
}

/// The victim's side of a broken `incident.yaml` the teammate pushed mid-incident: `broken`
/// is the file's text, `finding` what its warning and `lint` must say.
fn broken_incident_yaml_does_not_stop_the_victim(broken: &str, position: &str, finding: &str) {
    let (team, id) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
    let [victim, teammate] = &team.people[..] else { unreachable!() };
    let good = teammate.read("incident.yaml");
    std::fs::write(teammate.path("incident.yaml"), broken).unwrap();
    teammate.git(&["commit", "-qam", "config: a typo"]);
    teammate.ok(&["log", "the teammate goes on"]);
    teammate.ok(&["sync"]);

    // The sync that brings the broken file finishes and names it.
    let out = victim.ok(&["sync"]);
    assert!(out.stdout.contains("incident.yaml failing lint"), "{out:#?}");
    assert!(victim.log_of(&id).contains("the teammate goes on"));

    // Every command goes on, on the last good version, saying so once with the position.
    let out = victim.ok(&["log", "still logging mid-outage"]);
    let warning = fallback_warning(&out.stderr, "incident.yaml");
    assert!(warning.starts_with(&format!("warning: incident.yaml:{position}: ")), "{warning}");
    assert!(warning.contains(finding), "{warning}");
    let commit = commit_in(warning);
    assert_eq!(victim.git(&["show", &format!("{commit}:incident.yaml")]), good, "{warning}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    let out = victim.ok(&["status"]);
    fallback_warning(&out.stderr, "incident.yaml");
    assert!(out.stdout.contains("Checkout down"), "{out:#?}");
    // `--json` keeps stdout JSON; the warning is on stderr as every warning is.
    let status = victim.run(&["--json", "status"]);
    assert_eq!(status.code, 0, "{status:#?}");
    serde_json::from_str::<serde_json::Value>(&status.stdout).expect("status --json is JSON");
    fallback_warning(&status.stderr, "incident.yaml");
    let out = victim.run(&["doctor"]);
    assert_eq!(out.code, 0, "{out:#?}");
    fallback_warning(&out.stderr, "incident.yaml");

    // `lint` still reports the error.
    let out = victim.fails(1, &["lint"]);
    assert!(out.stdout.contains(&format!("incident.yaml:{position}: error: ")), "{out:#?}");
    assert!(out.stdout.contains(finding), "{out:#?}");

    // The victim's events still go out, with `--json` naming the broken file while it lasts.
    let out = victim.ok(&["--json", "sync"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["pushed"], true, "{out:#?}");
    fallback_warning(&out.stderr, "incident.yaml");
    teammate.ok(&["sync"]);
    assert!(teammate.log_of(&id).contains("still logging mid-outage"));

    // The fix, pushed by the teammate, arrives with the next sync and the warning goes.
    std::fs::write(teammate.path("incident.yaml"), &good).unwrap();
    teammate.git(&["commit", "-qam", "config: fixed"]);
    teammate.ok(&["sync"]);
    let out = victim.ok(&["sync"]);
    assert!(!out.stdout.contains("failing lint"), "{out:#?}");
    let out = victim.ok(&["log", "back to normal"]);
    assert_eq!(out.stderr, "", "{out:#?}");
    victim.ok(&["lint"]);
}

#[test]
fn a_broken_incident_yaml_pushed_mid_incident_does_not_stop_the_victim() {
    broken_incident_yaml_does_not_stop_the_victim(
        "name: Acme\ncurency: EUR\n",
        "2:1",
        "unknown key `curency`",
    );
}

#[test]
fn an_incident_yaml_with_a_syntax_error_pushed_mid_incident_does_not_stop_the_victim() {
    broken_incident_yaml_does_not_stop_the_victim("name: Acme\nservices: [web\n", "3:1", "[yaml-syntax]");
}

#[test]
fn the_sync_that_brings_a_broken_incident_yaml_names_it_in_json() {
    let (team, _) = Team::sharing(2, &["open", "Checkout down", "--severity", "SEV1"]);
    let [victim, teammate] = &team.people[..] else { unreachable!() };
    std::fs::write(teammate.path("incident.yaml"), "curency: EUR\n").unwrap();
    teammate.git(&["commit", "-qam", "config: a typo"]);
    teammate.ok(&["sync"]);
    let report = victim.json(&["--json", "sync"]);
    assert_eq!(report["broken_config"], serde_json::json!(["incident.yaml"]), "{report:#}");
}

#[test]
fn a_runbook_broken_mid_incident_keeps_its_walk_on_the_last_good_version() {
    let (team, id) = Team::sharing(
        2,
        &["open", "Checkout down", "--severity", "SEV1", "--service", "checkout", "--runbook", "database"],
    );
    let [victim, teammate] = &team.people[..] else { unreachable!() };
    let good = teammate.read("runbooks/database.yaml");
    // A typo in a step, and the first step renamed: the victim must still walk the old one.
    let broken = good
        .replacen("        run: pg_isready", "        detials: typo\n        run: pg_isready", 1)
        .replacen("id: confirm-db-errors", "id: confirm-errors", 1);
    assert_ne!(broken, good);
    std::fs::write(teammate.path("runbooks/database.yaml"), &broken).unwrap();
    teammate.git(&["commit", "-qam", "runbook: a typo"]);
    teammate.ok(&["sync"]);

    let out = victim.ok(&["sync"]);
    assert!(out.stdout.contains("runbooks/database.yaml failing lint"), "{out:#?}");

    let out = victim.ok(&["step", "done", "confirm-db-errors"]);
    let warning = fallback_warning(&out.stderr, "runbooks/database.yaml");
    assert!(warning.contains("unknown key `detials`"), "{warning}");
    let commit = commit_in(warning);
    assert_eq!(victim.git(&["show", &format!("{commit}:runbooks/database.yaml")]), good, "{warning}");
    let out = victim.ok(&["step", "done", "check-primary-reachable", "--note", "accepts"]);
    fallback_warning(&out.stderr, "runbooks/database.yaml");
    // The walk (without a terminal it shows where it stands) is at the old runbook's next step.
    let out = victim.run(&["walk"]);
    assert!(out.stdout.contains("check-connection-usage"), "{out:#?}");
    fallback_warning(&out.stderr, "runbooks/database.yaml");
    let out = victim.ok(&["status"]);
    fallback_warning(&out.stderr, "runbooks/database.yaml");
    victim.fails(1, &["lint"]);

    // The steps go out; the fix comes in and the warning goes.
    victim.ok(&["sync"]);
    teammate.ok(&["sync"]);
    let steps = teammate.log_of(&id);
    assert!(steps.contains("confirm-db-errors") && steps.contains("check-primary-reachable"), "{steps}");
    std::fs::write(teammate.path("runbooks/database.yaml"), &good).unwrap();
    teammate.git(&["commit", "-qam", "runbook: fixed"]);
    teammate.ok(&["sync"]);
    victim.ok(&["sync"]);
    let out = victim.ok(&["step", "skip", "check-connection-usage"]);
    assert_eq!(out.stderr, "", "{out:#?}");
}

/// A repository whose `incident.yaml` was never committed has no version to fall back to:
/// the error stops the command, as it always did.
#[test]
fn a_broken_incident_yaml_never_committed_still_stops_the_command() {
    let env = Env::new();
    std::fs::create_dir_all(&env.repo).unwrap();
    env.git(&["init", "-q"]);
    std::fs::write(env.path("incident.yaml"), "name: Acme\ncurency: EUR\n").unwrap();
    let out = env.fails(2, &["log", "hello"]);
    assert!(out.stderr.contains("incident.yaml:2:1: top level: unknown key `curency`"), "{out:#?}");
    assert!(!out.stderr.contains("warning"), "{out:#?}");
    env.fails(2, &["status"]);
}

/// A secret pattern a teammate adds in a file that fails lint for another reason still masks:
/// the fallback's patterns apply, and so does every pattern the broken file still shows.
#[test]
fn redact_patterns_of_the_last_good_and_of_the_broken_incident_yaml_both_apply() {
    let env = Env::init();
    let config = env.read("incident.yaml");
    let with_old = format!("{config}\nredact:\n  - name: old\n    pattern: 'OLD-[0-9]{{6}}'\n");
    std::fs::write(env.path("incident.yaml"), &with_old).unwrap();
    env.git(&["commit", "-qam", "config: a pattern"]);
    env.ok(&["open", "Checkout down", "--severity", "SEV1"]);
    let id = env.only_id();
    // The new pattern, and a syntax error after it.
    let broken = format!("{with_old}  - name: new\n    pattern: \"NEW-[a-z]{{8}}\"\nservices: [web\n");
    std::fs::write(env.path("incident.yaml"), broken).unwrap();
    let out = env.ok(&["log", "keys OLD-123456 and NEW-abcdefgh leaked"]);
    fallback_warning(&out.stderr, "incident.yaml");
    let log = env.log_of(&id);
    assert!(!log.contains("OLD-123456") && !log.contains("NEW-abcdefgh"), "{log}");
    assert!(log.contains("keys [REDACTED] and [REDACTED] leaked"), "{log}");
}

//! The founding scenario, driven through the CLI with fixed times: checkout returns 500 during
//! the peak sale after a bad deploy; rollback; validation; postmortem committed to git.

use super::harness::Env;

fn t(hhmm: &str) -> String {
    format!("2026-11-27T{hhmm}:00Z")
}

/// Runs the scenario and returns the environment and the incident id.
pub fn founding_scenario() -> (Env, String) {
    let env = Env::init();
    env.ok(&[
        "open",
        "Checkout returns 500 during the peak sale",
        "--severity",
        "SEV2",
        "--service",
        "checkout",
        "--service",
        "web",
        "--runbook",
        "bad-deploy",
        "--commander",
        "Alice Chen",
        "--as",
        "Alice Chen",
        "--started-at",
        &t("14:02"),
        "--detected-at",
        &t("14:06"),
        "--at",
        &t("14:09"),
    ]);
    let id = env.only_id();
    let at = |hhmm: &str, args: &[&str]| {
        let mut full: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        full.extend(["--at".to_string(), t(hhmm)]);
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        env.ok(&refs);
    };
    at("14:08", &["mark", "acknowledged"]);
    at("14:10", &["step", "done", "confirm-5xx-rate", "--note", "7% of checkouts fail"]);
    at("14:12", &["step", "done", "list-recent-rollouts"]);
    at("14:13", &["phase", "next"]);
    at("14:14", &["role", "comms", "Ben Okafor"]);
    at("14:15", &["step", "done", "scope-impact"]);
    at("14:16", &["severity", "SEV1", "--reason", "7% of checkouts failing at peak"]);
    at("14:19", &["step", "done", "check-error-signature"]);
    at("14:20", &["step", "done", "set-severity"]);
    at("14:24", &["step", "skip", "freeze-deploys", "--note", "no auto-sync on checkout"]);
    at("14:26", &["phase", "next"]);
    at("14:27", &["step", "done", "show-running-images"]);
    at("14:28", &["step", "skip", "list-flag-changes"]);
    at("14:31", &["step", "done", "recent-deploy", "--choice", "yes"]);
    at("14:34", &["step", "done", "check-migration", "--choice", "no"]);
    at("14:36", &["phase", "next"]);
    at("14:44", &["step", "done", "rollback", "--note", "back on v2.30.4"]);
    at("14:44", &["mark", "mitigated"]);
    at("14:47", &["phase", "next"]);
    at("14:50", &["role", "commander", "Priya Raman"]);
    for (hhmm, step) in [
        ("15:02", "check-error-rate-slo"),
        ("15:03", "check-rollout-healthy"),
        ("15:05", "run-synthetic-checkout"),
        ("15:10", "confirm-with-support"),
    ] {
        at(hhmm, &["step", "done", step]);
    }
    at("15:12", &["resolve", "--root-cause", "v2.31.0 shrank the DB connection pool from 50 to 5"]);
    at("15:20", &["retro", "summary", "42 minutes of failed checkouts after a bad deploy"]);
    at("15:21", &["retro", "went-well", "Rollback took 7 minutes"]);
    at(
        "15:25",
        &[
            "action",
            "Alert on DB pool saturation",
            "--owner",
            "Alice Chen",
            "--due",
            "2026-12-04",
            "--type",
            "prevent",
        ],
    );
    (env, id)
}

#[test]
fn founding_scenario_postmortem_has_the_computed_numbers_and_is_committed() {
    let (env, id) = founding_scenario();
    assert_eq!(id, "2026-11-27-checkout-returns-500-during-the-peak-sale");
    let out = env.ok(&["postmortem", "--as", "Priya Raman"]);
    let path = env.path(&format!("incidents/{id}/postmortem.md"));
    assert_eq!(out.stdout.trim(), std::fs::canonicalize(&path).unwrap().to_str().unwrap());
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    for line in [
        "| Time to detect | impact started → detected | 4m |",
        "| Time to acknowledge | detected → acknowledged | 2m |",
        "| Time to mitigate | impact started → mitigated | 42m |",
        "| Time to resolve | impact started → resolved | 1h 10m |",
        "| Impact duration | 42m |",
        "| Time at SEV2 | 7m |",
        "| Time at SEV1 | 56m |",
        "| Estimated revenue lost | USD 126,000 (USD 180,000/hour × 42m) |",
        "| detect | 5m | 4m | 2026-11-27 14:09:00Z | 2026-11-27 14:13:00Z | — |",
        "| assess | 10m | 13m | 2026-11-27 14:13:00Z | 2026-11-27 14:26:00Z | **over by 3m** |",
        "| diagnose | 30m | 10m | 2026-11-27 14:26:00Z | 2026-11-27 14:36:00Z | — |",
        "| remediate | 45m | 11m | 2026-11-27 14:36:00Z | 2026-11-27 14:47:00Z | — |",
        "| validate | 30m | 25m | 2026-11-27 14:47:00Z | 2026-11-27 15:12:00Z | — |",
        "Phases over budget: assess.",
        "    assess (13m of 10m) :crit, assess, 2026-11-27T14:13:00, 2026-11-27T14:26:00",
        "| commander | Alice Chen | 2026-11-27 14:09:00Z | 2026-11-27 14:50:00Z |",
        "| commander (handoff) | Priya Raman | 2026-11-27 14:50:00Z | 2026-11-27 15:12:00Z |",
        "| remediate | Turn off the new code path behind its feature flag, or roll forward a hotfix (`disable-new-code-path`) | not taken |  |  |",
        "| diagnose | Decide whether a new checkout or web version went out just before the errors (`recent-deploy`) | done | yes | Test Responder |",
        "| Alert on DB pool saturation | prevent | Alice Chen | 2026-12-04 | open |",
        "v2.31.0 shrank the DB connection pool from 50 to 5",
        "42 minutes of failed checkouts after a bad deploy",
        "| Severity | SEV1 (history: SEV2 from 2026-11-27 14:09:00Z; SEV1 from 2026-11-27 14:16:00Z, “7% of checkouts failing at peak”) |",
    ] {
        assert!(pm.contains(line), "postmortem lacks {line:?}:\n{pm}");
    }
    // Where nothing was given, the section says so plainly.
    assert!(pm.contains("_Not recorded. Add it with `incident retro lucky TEXT`._"), "{pm}");
    assert!(pm.contains("No customer or stakeholder updates were logged."));

    // The real git CLI sees the commit, its message and author, and a sound repository.
    assert_eq!(
        env.git(&["log", "-1", "--format=%s|%an"]).trim(),
        format!("postmortem: {id} Checkout returns 500 during the peak sale|Priya Raman")
    );
    let files = env.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [format!("incidents/{id}/events.jsonl"), format!("incidents/{id}/postmortem.md")]
    );
    assert_eq!(env.git(&["log", "--format=%s"]).lines().count(), 2, "init commit + postmortem commit");
    env.git(&["fsck", "--full", "--strict"]);
    assert_eq!(env.git(&["status", "--porcelain"]), "", "everything committed");

    // Re-rendering an unchanged incident commits nothing.
    let again = env.ok(&["postmortem"]);
    assert!(again.stderr.contains("nothing to commit"), "{again:?}");
    assert_eq!(env.git(&["log", "--format=%s"]).lines().count(), 2);
}

#[test]
fn status_and_list_json_carry_the_same_metrics() {
    let (env, id) = founding_scenario();
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["id"], id.as_str());
    assert_eq!(s["severity"], "SEV1");
    assert_eq!(s["state"], "resolved");
    assert_eq!(s["phase"], "validate");
    assert_eq!(s["services"], serde_json::json!(["checkout", "web"]));
    let m = &s["metrics"];
    assert_eq!(m["time_to_detect_s"], 240);
    assert_eq!(m["time_to_acknowledge_s"], 120);
    assert_eq!(m["time_to_mitigate_s"], 2520);
    assert_eq!(m["time_to_resolve_s"], 4200);
    assert_eq!(m["impact_s"], 2520);
    assert_eq!(s["revenue_lost"], 126000.0);

    let list = env.json(&["list", "--json"]);
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    for key in ["id", "title", "severity", "state", "phase", "services"] {
        assert_eq!(rows[0][key], s[key], "{key}");
    }
    assert!(rows[0].get("metrics").is_none());
}

#[test]
fn open_incident_metrics_are_null_until_known() {
    let env = Env::init();
    env.ok(&["open", "Pharmacy refills fail", "--severity", "SEV3", "--service", "pharmacy"]);
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["state"], "open");
    assert_eq!(s["phase"], "detect");
    assert_eq!(s["metrics"]["time_to_detect_s"], 0);
    assert!(s["metrics"]["time_to_mitigate_s"].is_null());
    assert!(s["metrics"]["time_to_resolve_s"].is_null());
    assert!(s["metrics"]["impact_s"].is_null());
    assert!(s["revenue_lost"].is_null());
}

#[test]
fn hand_edits_in_editable_blocks_survive_a_rerender() {
    let (env, id) = founding_scenario();
    env.ok(&["postmortem", "--no-commit"]);
    let rel = format!("incidents/{id}/postmortem.md");
    let pm = env.read(&rel);
    let edited = pm.replace(
        "_describe who was affected and how (orders failed, logins refused, …)._",
        "About 3,100 shoppers saw Error 500 at checkout.",
    );
    assert_ne!(pm, edited);
    std::fs::write(env.path(&rel), &edited).unwrap();
    // New facts arrive after the edit; the regenerated parts pick them up.
    env.ok(&["retro", "lucky", "No schema migration in the release"]);
    env.ok(&["postmortem", "--no-commit"]);
    let again = env.read(&rel);
    assert!(again.contains("About 3,100 shoppers saw Error 500 at checkout."), "{again}");
    assert!(again.contains("No schema migration in the release"), "{again}");
}

#[test]
fn step_command_runs_with_incident_data_in_env_and_redacts_secrets() {
    let env = Env::init();
    std::fs::write(
        env.path("runbooks/probe.yaml"),
        r#"id: probe
title: Probe
services: [web]
severities: [SEV3]
phases:
  detect:
    steps:
      - id: show-env
        title: Show the incident's environment
        run: 'printf "%s|%s|%s\n" "$INCIDENT_ID" "$INCIDENT_TITLE" "$INCIDENT_SERVICES"; echo "password=hunter2 key AKIAIOSFODNN7EXAMPLE"'
      - id: failing
        title: A check that fails
        run: exit 3
"#,
    )
    .unwrap();
    // A title that would break out of a shell string if it were pasted into one.
    let title = "web down'; touch pwned; echo '$(touch pwned2)";
    env.ok(&["open", title, "--severity", "SEV3", "--service", "web", "--runbook", "probe"]);
    let id = env.only_id();
    // No terminal and no --yes: nothing runs, and the flag to pass is named.
    let refused = env.fails(2, &["step", "run", "show-env"]);
    assert!(refused.stderr.contains("--yes"), "{refused:?}");
    let out = env.ok(&["step", "run", "show-env", "--yes"]);
    assert!(out.stdout.contains(&format!("{id}|{title}|web")), "{out:?}");
    assert!(!env.path("pwned").exists() && !env.path("pwned2").exists());
    let log = env.read(&format!("incidents/{id}/events.jsonl"));
    assert!(!log.contains("hunter2") && !log.contains("AKIAIOSFODNN7EXAMPLE"), "{log}");
    assert!(log.contains("password=[REDACTED]"));
    // A command whose exit code is not the expected one: logged, and exit 1.
    env.fails(1, &["step", "run", "failing", "--yes"]);
    let events = env.events(&id);
    let cmds: Vec<_> = events.iter().filter(|e| e["kind"] == "command").collect();
    assert_eq!(cmds.len(), 2);
    assert_eq!(cmds[0]["exit_code"], 0);
    assert_eq!(cmds[1]["exit_code"], 3);
}

#[test]
fn notes_are_redacted_before_they_reach_the_log() {
    let env = Env::init();
    env.ok(&["open", "Grocery slots empty", "--severity", "SEV2", "--service", "grocery"]);
    env.ok(&["log", "tried curl https://admin:s3cretpw@grocery.internal/health with token=abc123XYZ"]);
    let log = env.read(&format!("incidents/{}/events.jsonl", env.only_id()));
    assert!(!log.contains("s3cretpw") && !log.contains("abc123XYZ"), "{log}");
    assert!(log.contains("https://admin:[REDACTED]@grocery.internal/health"), "{log}");
}

#[test]
fn demo_prints_the_path_of_a_committed_postmortem() {
    let env = Env::new();
    let out = env.command(super::harness::BIN).env("TMPDIR", env.dir.path()).arg("demo").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let path = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(path.is_absolute() && path.ends_with("postmortem.md"), "{path:?}");
    let pm = std::fs::read_to_string(&path).unwrap();
    assert!(pm.contains("| Time to mitigate | impact started → mitigated | 42m |"));
    assert!(pm.contains("| Estimated revenue lost | USD 126,000 (USD 180,000/hour × 42m) |"));
    let root = path.ancestors().nth(3).unwrap();
    let log = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["log", "-1", "--format=%s"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&log.stdout).starts_with("postmortem: 2026-11-27-checkout-returns-error-500")
    );
}

#[test]
fn logs_appended_on_two_clones_merge_without_conflict() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1", "--at", "2026-11-27T14:00:00Z"]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "open"]);
    let other = env.dir.path().join("other");
    env.git(&["clone", "-q", env.repo.to_str().unwrap(), other.to_str().unwrap()]);
    // Two responders log at the same time on their own clones.
    env.ok(&["log", "from the first clone"]);
    env.git(&["commit", "-qam", "first"]);
    let out = env
        .command(super::harness::BIN)
        .current_dir(&other)
        .args(["log", "from the second clone"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let git_other = |args: &[&str]| {
        let o = env.command("git").current_dir(&other).args(args).output().unwrap();
        assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    git_other(&["commit", "-qam", "second"]);
    git_other(&["pull", "-q", "--no-rebase", "--no-edit"]);
    let id = env.only_id();
    let merged = std::fs::read_to_string(other.join(format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(merged.contains("from the first clone") && merged.contains("from the second clone"), "{merged}");
    assert!(!merged.contains("<<<<<<<"));
}

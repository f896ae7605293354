//! The founding scenario, driven through the CLI with fixed times: checkout returns Error 500
//! during the Black Friday peak after a bad deploy; rollback; validation; postmortem committed
//! to git. The story is `demo/scenario.yaml`, the one `incident demo` replays; the figures
//! asserted here are worked out by hand from it.

use chrono::SecondsFormat;
use incident::internals::cmd::demo::{self, What};

use super::harness::Env;

/// The founding scenario as `incident demo` tells it (demo/scenario.yaml): every command line
/// in it runs through the real binary with its `--as` and, unless it carries its own, `--at`;
/// the recorded results of production commands and the updates sent by hand are logged by
/// the library function the demo uses. Returns the environment and the incident id.
pub fn founding_scenario() -> (Env, String) {
    let env = Env::init();
    let entries = demo::parse(include_str!("../../demo/scenario.yaml")).expect("the scenario parses");
    for entry in &entries {
        match &entry.what {
            What::Args(args) => {
                let at = entry.at.to_rfc3339_opts(SecondsFormat::Secs, true);
                let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
                full.extend(["--as", &entry.by]);
                if !args.iter().any(|a| a == "--at") {
                    full.extend(["--at", &at]);
                }
                env.ok(&full);
            }
            What::Ran(_) | What::Update { .. } => {
                demo::log_recorded(&env.repo, entry).unwrap_or_else(|e| panic!("{entry:?}: {e}"))
            }
        }
    }
    let id = env.only_id();
    (env, id)
}

#[test]
fn founding_scenario_postmortem_has_the_computed_numbers_and_is_committed() {
    let (env, id) = founding_scenario();
    // The slug stops at a word boundary within 48 characters.
    assert_eq!(id, "2025-11-28-checkout-returns-error-500-during-the-black");
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
        // From impact started (14:02), not from opening (14:09): SEV2 until 14:16, then SEV1
        // until resolved (15:12); together the time to resolve.
        "| Time at SEV2 | 14m |",
        "| Time at SEV1 | 56m |",
        // Revenue lost (docs/statistics.md): checkout's and web's revenue per hour (100,000 + 20,000) × the 7%
        // failing share over the 42 minutes of impact = 5,880.
        "| Estimated revenue lost | USD 5,880 = USD 120,000/hour × (7% × 42m) |",
        "| Failing share 2025-11-28 14:02:00Z → 2025-11-28 14:44:00Z | 7% of the affected services' traffic (42m) |",
        "| Customers affected | 5200 |",
        "| Failed orders | 6300 |",
        "| Support tickets | 140 |",
        // The outage's clock: detect runs from impact started (14:02), not from opening (14:09),
        // to detected (14:06), as time to detect does; the confirming that follows is assessment,
        // until diagnosis (14:26). Detect and assess were entered at SEV2 and keep its budgets
        // (5m, 15m); the later phases were entered at SEV1 (30m, 45m, 30m).
        "| detect | 5m (SEV2) | 4m | 2025-11-28 14:02:00Z | 2025-11-28 14:06:00Z | — |",
        "| assess | 15m (SEV2) | 20m | 2025-11-28 14:06:00Z | 2025-11-28 14:26:00Z | **over by 5m** |",
        "| diagnose | 30m (SEV1) | 10m | 2025-11-28 14:26:00Z | 2025-11-28 14:36:00Z | — |",
        "| remediate | 45m (SEV1) | 11m | 2025-11-28 14:36:00Z | 2025-11-28 14:47:00Z | — |",
        "| validate | 30m (SEV1) | 25m | 2025-11-28 14:47:00Z | 2025-11-28 15:12:00Z | — |",
        "Phases over budget: assess.",
        "    detect (4m of 5m) :done, detect1, 2025-11-28T14:02:00, 2025-11-28T14:06:00",
        "    assess (20m of 15m) :crit, assess1, 2025-11-28T14:06:00, 2025-11-28T14:26:00",
        "    Impact started :milestone, started, 2025-11-28T14:02:00, 0m",
        "    Detected :milestone, detected, 2025-11-28T14:06:00, 0m",
        "    Mitigated :milestone, mitigated, 2025-11-28T14:44:00, 0m",
        "| commander | Alice Chen | 2025-11-28 14:09:00Z | 2025-11-28 14:50:00Z |",
        "| commander (handoff) | Priya Raman | 2025-11-28 14:50:00Z | 2025-11-28 15:12:00Z |",
        "| comms | Ben Okafor | 2025-11-28 14:14:00Z | 2025-11-28 15:12:00Z |",
        "| remediate | Turn off the new code path behind its feature flag, or roll forward a hotfix (`disable-new-code-path`) | not taken |  |  |",
        "| diagnose | Decide whether a new checkout or web version went out just before the errors (`recent-deploy`) | done | yes | Alice Chen |",
        "| diagnose | List feature-flag and config changes from the last two hours (`list-flag-changes`) | skipped | no flag changes since 11:00 | Alice Chen |",
        "| diagnose | Check whether the release ran a database migration the old version cannot use (`check-migration`) | done | no: v2.31.0 has no schema migration | Alice Chen |",
        "| validate | Run a synthetic guest checkout end to end (`run-synthetic-checkout`) | done | order SYN-88213 placed | Priya Raman |",
        // The recorded results of the production commands, with their exit codes.
        "| 2025-11-28 14:10:00Z | `confirm-5xx-rate` | curl -fsS \"https://status.internal/api/v1/services/checkout?window=30m\" | 0 | Alice Chen |",
        "| 2025-11-28 14:37:00Z | `rollback` | kubectl -n shop rollout undo deployment/checkout &amp;&amp; kubectl -n shop rollout status deployment/checkout --timeout=5m | 0 | Alice Chen |",
        "| 2025-11-28 14:37:00Z | Step rollback ran: kubectl -n shop rollout undo deployment/checkout &amp;&amp; kubectl -n shop rollout status deployment/checkout --timeout=5m → exit 0 in 6m 22s | Alice Chen |",
        "| 2025-11-28 14:30:00Z | v2.31.0 lowered the DB pool size from 50 to 5 per pod (config default changed in the new client library) | Alice Chen |",
        "| 2025-11-28 14:50:00Z | Handoff: Alice's shift ends; Priya takes command for validation | Alice Chen |",
        // Customer and stakeholder updates.
        "| 2025-11-28 14:18:00Z | status-page | external | — | — | We are investigating errors when placing orders. Browsing is not affected. | logged, no target | Ben Okafor |",
        "| 2025-11-28 14:46:00Z | support | internal | — | — | Checkout failed for about 7% of orders 14:02-14:44 UTC. Customers who saw Error 500 were not charged; ask them to retry. | logged, no target | Ben Okafor |",
        "| 2025-11-28 15:14:00Z | status-page | external | — | — | Resolved: checkout has been working normally since 14:44 UTC. We are sorry for the disruption. | logged, no target | Ben Okafor |",
        "| Alert on database connection pool saturation above 80% | prevent | Alice Chen | 2026-12-04 | open | — |",
        "| Freeze the release train during peak sales | process | Priya Raman | 2026-12-01 | open | — |",
        "| Pin the DB pool size in checkout's config instead of relying on library defaults | mitigate | Ben Okafor | 2026-12-02 | open | — |",
        "checkout v2.31.0 upgraded the database client library, whose default connection pool is 5 instead of 50.",
        "For 42 minutes of the Black Friday peak about 7% of checkouts failed with Error 500",
        "The bad release did not include a schema migration, so a plain rollback was safe.",
        // The opening severity from impact started (14:02), as time at SEV2 counts it.
        "| Severity | SEV1 (history: SEV2 from 2025-11-28 14:02:00Z; SEV1 from 2025-11-28 14:16:00Z, “7% of checkouts failing during the Black Friday peak”) |",
        "| Authors | Alice Chen, Ben Okafor, Priya Raman |",
        // The release recorded as a change at 13:58, four minutes before impact: a candidate.
        "Changes to its services in the 2h 00m before impact started, candidates for the trigger:",
        "| 2025-11-28 13:58:00Z | checkout v2.31.0: database client library upgrade | checkout | — | release-train | https://ci.example.com/checkout/pipelines/2310 |",
    ] {
        assert!(pm.contains(line), "postmortem lacks {line:?}:\n{pm}");
    }
    // Every retro section was told, so none says "not recorded"; see
    // `a_postmortem_says_plainly_what_was_not_recorded` for the placeholders.
    assert!(!pm.contains("_Not recorded."), "{pm}");

    // The recorded command results are logged as `step run` logs them: the runbook's command,
    // the exit code, the output and the duration.
    let events = env.events(&id);
    let cmds: Vec<_> = events.iter().filter(|e| e["kind"] == "command").collect();
    let steps: Vec<_> = cmds.iter().map(|c| c["step"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        ["confirm-5xx-rate", "list-recent-rollouts", "freeze-deploys", "rollback", "check-error-rate-slo"]
    );
    assert!(cmds.iter().all(|c| c["exit_code"] == 0 && c["truncated"] == false), "{cmds:?}");
    assert_eq!(cmds[3]["duration_ms"], 382_000);
    assert_eq!(
        cmds[3]["command"],
        "kubectl -n shop rollout undo deployment/checkout && kubectl -n shop rollout status deployment/checkout --timeout=5m"
    );
    assert!(
        cmds[3]["output"].as_str().unwrap().ends_with("deployment \"checkout\" successfully rolled out\n")
    );
    assert_eq!(cmds[4]["output"], "true\n");
    assert_eq!(events.iter().filter(|e| e["kind"] == "update").count(), 4);

    // The real git CLI sees the commit, its message and author, and a sound repository.
    assert_eq!(
        env.git(&["log", "-1", "--format=%s|%an"]).trim(),
        format!("postmortem: {id} Checkout returns Error 500 during the Black Friday peak|Priya Raman")
    );
    let files = env.git(&["show", "--name-only", "--format=", "HEAD"]);
    // The changes log the Trigger section read is committed with it.
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            "changes/2025-11.jsonl".to_string(),
            format!("incidents/{id}/events.jsonl"),
            format!("incidents/{id}/postmortem.md")
        ]
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
    assert_eq!(s["revenue_lost"], 5880.0);

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

/// Moved here from the founding scenario's test when that scenario came to tell every section
/// and log updates: where nothing was given, the postmortem says so plainly.
#[test]
fn a_postmortem_says_plainly_what_was_not_recorded() {
    let env = Env::init();
    env.ok(&["open", "Pharmacy refills fail", "--severity", "SEV3", "--service", "pharmacy"]);
    env.ok(&["resolve", "--root-cause", "a stale cache"]);
    let out = env.ok(&["postmortem", "--no-commit"]);
    let pm = std::fs::read_to_string(out.stdout.trim()).unwrap();
    assert!(pm.contains("_Not recorded. Add it with `incident retro lucky TEXT`._"), "{pm}");
    assert!(pm.contains("No customer or stakeholder updates were logged."), "{pm}");
}

#[test]
fn hand_edits_in_editable_blocks_survive_a_rerender() {
    let (env, id) = founding_scenario();
    env.ok(&["postmortem", "--no-commit"]);
    let rel = format!("incidents/{id}/postmortem.md");
    let pm = env.read(&rel);
    let edited = pm.replace(
        "Release v2.31.0 of checkout at 13:58 UTC.",
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
    // No git identity: the demo commits as itself.
    let env = Env::with_identity(false);
    let out = env.command(super::harness::BIN).env("TMPDIR", env.dir.path()).arg("demo").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "stdout is the path alone: {stdout}");
    let path = std::path::PathBuf::from(stdout.trim());
    assert!(path.is_absolute() && path.ends_with("postmortem.md"), "{path:?}");
    let pm = std::fs::read_to_string(&path).unwrap();
    assert!(pm.contains("| Time to mitigate | impact started → mitigated | 42m |"));
    assert!(pm.contains("| Estimated revenue lost | USD 5,880 = USD 120,000/hour × (7% × 42m) |"));
    let root = path.ancestors().nth(3).unwrap();
    let log = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["log", "-1", "--format=%s"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&log.stdout).starts_with("postmortem: 2025-11-28-checkout-returns-error-500")
    );
    let git = |args: &[&str]| {
        let o = env.command("git").arg("-C").arg(root).args(args).output().unwrap();
        assert!(o.status.success(), "git {args:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let head = git(&["log", "-1", "--format=%H|%an|%ae"]);
    assert_eq!(
        head.trim().split('|').skip(1).collect::<Vec<_>>(),
        ["Incident Demo", "demo@incident.invalid"]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let oid = head.split('|').next().unwrap();
    assert!(
        stderr.starts_with(&format!("commit {oid}\nAuthor: Incident Demo <demo@incident.invalid>\n")),
        "{stderr}"
    );
    assert_eq!(git(&["log", "--format=%s"]).lines().count(), 2, "init commit + postmortem commit");
    git(&["fsck", "--full", "--strict"]);
    assert_eq!(git(&["status", "--porcelain"]), "", "everything committed");

    // The story is told once: the binary, replaying the same file, renders the same
    // postmortem, but for the moment it was generated.
    let (replayed, id) = founding_scenario();
    replayed.ok(&["postmortem", "--no-commit"]);
    let theirs = replayed.read(&format!("incidents/{id}/postmortem.md"));
    // Events logged in the same minute fold in the order of their ids (docs/record.md: by time, then
    // id), and the two replays' ids differ: compare the lines, not their order within a tie.
    let body = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> =
            text.lines().filter(|l| !l.starts_with("| Generated |")).map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(body(&pm), body(&theirs));
    assert!(pm.contains("| Generated | 2025-11-28 15:26:00Z by `incident postmortem` |"), "{pm}");
}

#[test]
fn logs_appended_on_two_clones_merge_without_conflict() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1", "--at", "2025-11-28T14:00:00Z"]);
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

/// The handover brief on the founding scenario as it stood at 14:48, when Alice handed over
/// to Priya: one screen of at most 80 columns, checked line by line, every time in UTC and
/// beside it in the responder's zone (New York: EST in November).
#[test]
fn brief_on_the_founding_scenario_at_the_handover() {
    let (env, id) = founding_scenario();
    let brief = |json: bool| {
        let mut c = env.command(super::harness::BIN);
        c.args(["brief", "--at", "2025-11-28T14:48:00Z"]).env("TZ", "America/New_York");
        if json {
            c.arg("--json");
        }
        let out = super::harness::Out::from(c.output().expect("run incident brief"));
        assert_eq!(out.code, 0, "{out:#?}");
        out.stdout
    };
    let expected = [
        "Handover brief: 2025-11-28-checkout-returns-error-500-during-the-black",
        "Checkout returns Error 500 during the Black Friday peak",
        "as of 2025-11-28 14:48 UTC (09:48 EST)",
        "",
        "Now       SEV1 · open · validate 1m of 30m budget",
        "Impact    started 14:02 UTC (09:02 EST) · ended 14:44 UTC (09:44 EST) after 42m",
        "Services  Checkout, Storefront",
        "Roles     commander Alice Chen · comms Ben Okafor · scribe — · ops —",
        "",
        "Tried",
        "  done    confirm-5xx-rate · exit 0 · $ curl -fsS \"https://status.internal/api/…",
        "  done    list-recent-rollouts · exit 0 · $ kubectl -n shop rollout history dep…",
        "  done    freeze-deploys · exit 0 · $ argocd app set checkout --sync-policy non…",
        "  done    rollback · exit 0 · $ kubectl -n shop rollout undo deployment/checkou…",
        "  done    no command run: scope-impact, check-error-signature, set-severity,",
        "          show-running-images, recent-deploy (yes), check-migration (no)",
        "  skipped no command run: list-flag-changes",
        "Next      check-error-rate-slo: Confirm the checkout 5xx rate has stayed under",
        "          the 0.5% SLO for 15 minutes (validate)",
        "          $ out=$(curl -fsS --get \"http://prometheus.internal:9090/api/v1/query…",
        "Updates   last sent 14:46 UTC (09:46 EST) on support",
        "          next due 15:01 UTC (10:01 EST), in 13m",
        "Changes   to its services in the 2h 00m before impact started:",
        "  13:58 UTC (08:58 EST)  checkout v2.31.0: database client library upgrade (rel…",
        "",
        "Last 10 events",
        "  14:30 UTC (09:30 EST)  Alice Chen: v2.31.0 lowered the DB pool size from 50 t…",
        "  14:31 UTC (09:31 EST)  Alice Chen: Step recent-deploy done (answer: yes)",
        "  14:34 UTC (09:34 EST)  Alice Chen: Step check-migration done (answer: no): v2…",
        "  14:36 UTC (09:36 EST)  Alice Chen: Phase remediate started",
        "  14:37 UTC (09:37 EST)  Alice Chen: Step rollback ran: kubectl -n shop rollout…",
        "  14:44 UTC (09:44 EST)  Alice Chen: Step rollback done: back on v2.30.4",
        "  14:44 UTC (09:44 EST)  Alice Chen: Marked mitigated",
        "  14:45 UTC (09:45 EST)  Ben Okafor: Update on status-page: A fix has been appl…",
        "  14:46 UTC (09:46 EST)  Ben Okafor: Update on support: Checkout failed for abo…",
        "  14:47 UTC (09:47 EST)  Alice Chen: Phase validate started",
    ];
    let text = brief(false);
    let got: Vec<&str> = text.lines().collect();
    for (n, (g, e)) in got.iter().zip(expected.iter()).enumerate() {
        assert_eq!(g, e, "line {}:\n{text}", n + 1);
    }
    assert_eq!(got.len(), expected.len(), "{text}");
    assert!(got.iter().all(|l| l.chars().count() <= 80), "{text}");

    let b: serde_json::Value = serde_json::from_str(&brief(true)).expect("json");
    let mut keys: Vec<&str> = b.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "alerts",
            "as_of",
            "changes",
            "changes_lookback_s",
            "failing_percent",
            "id",
            "impact_s",
            "key_times",
            "last_events",
            "next_step",
            "peak_severity",
            "phase",
            "roles",
            "services",
            "severity",
            "state",
            "title",
            "tried",
            "updates",
        ]
    );
    assert_eq!(b["id"], id.as_str());
    assert_eq!(b["as_of"], "2025-11-28T14:48:00Z");
    assert_eq!(b["impact_s"], 42 * 60);
    assert_eq!(b["phase"]["phase"], "validate");
    assert_eq!(b["roles"][0], serde_json::json!({"role": "commander", "name": "Alice Chen"}));
    assert_eq!(b["next_step"]["id"], "check-error-rate-slo");
    assert_eq!(b["updates"]["due_at"], "2025-11-28T15:01:00Z");
    assert_eq!(b["last_events"].as_array().map(Vec::len), Some(10));
    let rollback = b["tried"].as_array().and_then(|t| t.iter().find(|s| s["step"] == "rollback")).cloned();
    assert_eq!(rollback.map(|r| r["exit_code"].clone()), Some(0.into()));
    assert_eq!(b["changes"][0]["title"], "checkout v2.31.0: database client library upgrade");
}

/// A brief before the incident was opened is refused (exit 2), naming when it was opened,
/// whether the moment is before the logged opening or before an amended one; a brief from
/// the opening on is given.
#[test]
fn brief_before_the_opening_is_refused_with_the_opening_time() {
    let (env, _id) = founding_scenario();
    let out = env.fails(2, &["brief", "--at", "2025-11-28T13:00:00Z"]);
    assert!(out.stderr.contains("the incident was opened later, at 2025-11-28T14:"), "{out:#?}");
    assert!(out.stdout.is_empty(), "{out:#?}");
    let json = env.fails(2, &["brief", "--at", "2025-11-28T13:00:00Z", "--json"]);
    let err: serde_json::Value = serde_json::from_str(&json.stderr).expect("a JSON error");
    assert_eq!(err["error"]["kind"], "bad-time", "{json:#?}");
    env.ok(&["brief", "--at", "2025-11-28T14:10:00Z"]);
}

//! On-call correctness (docs/record.md, docs/statistics.md): the outage's clock, phases that go back, budgets by the
//! severity in force, revenue by the failing share over time, and how an incident ends. Each
//! test is named after what broke.

use super::harness::Env;

/// An incident whose impact started `ago` minutes ago, opened `opened` minutes ago.
fn opened(env: &Env, sev: &str, started: i64, opened: i64) -> String {
    let (s, o) = (env.ago(started), env.ago(opened));
    env.ok(&[
        "open",
        "Checkout 500",
        "--severity",
        sev,
        "--service",
        "checkout",
        "--started-at",
        &s,
        "--at",
        &o,
    ]);
    env.only_id()
}

fn at(env: &Env, args: &[&str], ago: i64) {
    let when = env.ago(ago);
    let mut full = args.to_vec();
    full.extend(["--at", &when]);
    env.ok(&full);
}

fn phases(env: &Env) -> Vec<serde_json::Value> {
    env.json(&["status", "--json"])["phases"].as_array().unwrap().clone()
}

/// Regression: detect started at `open`, after detection had already happened.
#[test]
fn detect_runs_from_impact_started_not_from_opening() {
    let env = Env::init();
    opened(&env, "SEV2", 60, 50);
    at(&env, &["phase", "next"], 45);
    let p = phases(&env);
    assert_eq!(p[0]["phase"], "detect");
    // Detected when opened (nothing marked it): detect ends there, and the confirming that
    // followed is assessment.
    assert_eq!(p[0]["actual_s"], 10 * 60, "impact started 60m ago, opened (detected) 50m ago: {p:?}");
    assert_eq!(p[0]["over"], true, "SEV2 detect budget is 5m");
    assert_eq!(p[1]["started"], env.ago(50).as_str(), "{p:?}");
}

/// Regression: going back a phase garbled the table (overlapping spans; actual ≠ end − start).
#[test]
fn going_back_a_phase_sums_its_spans_and_draws_each() {
    let env = Env::init();
    opened(&env, "SEV2", 100, 100);
    at(&env, &["phase", "assess"], 95);
    at(&env, &["phase", "diagnose"], 90);
    at(&env, &["phase", "remediate"], 80);
    at(&env, &["phase", "diagnose"], 70); // the fix did not work: back to diagnosis
    at(&env, &["phase", "remediate"], 50);
    at(&env, &["mark", "mitigated"], 40);
    at(&env, &["resolve"], 30);
    let p = phases(&env);
    let diagnose = &p[2];
    assert_eq!(diagnose["actual_s"], (10 + 20) * 60, "{diagnose}");
    assert_eq!(diagnose["spans"].as_array().unwrap().len(), 2, "{diagnose}");
    let remediate = &p[3];
    assert_eq!(remediate["actual_s"], (10 + 20) * 60, "until resolution: {remediate}");
    env.ok(&["postmortem", "--no-commit"]);
    let id = env.only_id();
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    assert!(pm.contains("| diagnose | 45m (SEV2) | 30m in 2 spans |"), "{pm}");
    assert_eq!(pm.matches(":done, diagnose").count(), 2, "each span is drawn: {pm}");
}

/// Regression: budgets came from the final severity, so a downgrade hid an overrun.
#[test]
fn a_downgrade_does_not_hide_an_overrun() {
    let env = Env::init();
    opened(&env, "SEV1", 100, 100);
    at(&env, &["phase", "assess"], 95);
    at(&env, &["phase", "diagnose"], 90); // SEV1 diagnose budget: 30m
    at(&env, &["severity", "SEV3"], 80); // SEV3 diagnose budget: 2h
    at(&env, &["phase", "remediate"], 40); // 50 minutes of diagnosis
    let p = phases(&env);
    assert_eq!(p[2]["budget_s"], 30 * 60, "{:?}", p[2]);
    assert_eq!(p[2]["budget_severity"], "SEV1");
    assert_eq!(p[2]["over_by_s"], 20 * 60);
    assert_eq!(p[3]["budget_severity"], "SEV3", "remediate was entered at SEV3");
}

/// Regression: revenue assumed a total outage of the whole company (7% failing cost as 100%).
#[test]
fn revenue_costs_the_affected_services_at_the_failing_share_over_time() {
    let env = Env::init();
    opened(&env, "SEV1", 60, 55);
    // 100% failing for the first 10 minutes (the default), then 7% until mitigation.
    at(&env, &["impact", "--share", "7"], 50);
    at(&env, &["mark", "mitigated"], 20);
    let s = env.json(&["status", "--json"]);
    // checkout's revenue per hour (100,000) × (100% × 10m + 7% × 30m) = 16,667 + 3,500.
    assert_eq!(s["revenue_lost"], 20167.0, "{s}");
    at(&env, &["impact", "--failed-orders", "900", "--customers", "800", "--tickets", "12"], 15);
    at(&env, &["resolve"], 10);
    env.ok(&["postmortem", "--no-commit"]);
    let id = env.only_id();
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    for line in [
        "| Estimated revenue lost | USD 20,167 = USD 100,000/hour × (100% × 10m + 7% × 30m) |",
        "| Failed orders | 900 |",
        "| Customers affected | 800 |",
        "| Support tickets | 12 |",
    ] {
        assert!(pm.contains(line), "lacks {line:?}: {pm}");
    }
    assert!(!pm.contains("Customers affected: _describe"), "the placeholder goes when figures exist");
    let out = env.fails(2, &["impact", "--share", "140"]);
    assert!(out.stderr.contains("--share"), "{out:?}");
}

/// Regression: `close` on an unresolved incident silently wrote resolved + closed.
#[test]
fn close_refuses_an_unresolved_incident() {
    let env = Env::init();
    let id = opened(&env, "SEV2", 10, 10);
    let before = env.read(&format!("incidents/{id}/events.jsonl"));
    let out = env.fails(2, &["close"]);
    assert!(out.stderr.contains("not resolved") && out.stderr.contains("incident resolve"), "{out:?}");
    assert_eq!(env.read(&format!("incidents/{id}/events.jsonl")), before);
    env.ok(&["resolve"]);
    env.ok(&["close"]);
}

/// Regression: `postmortem` on an open incident committed a text saying every phase finished
/// within its budget.
#[test]
fn a_postmortem_of_an_open_incident_is_an_uncommitted_draft() {
    let env = Env::init();
    let id = opened(&env, "SEV2", 10, 10);
    let commits = env.git(&["rev-list", "--count", "HEAD"]);
    let out = env.ok(&["postmortem"]);
    assert!(out.stderr.contains("draft"), "{out:?}");
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]), commits, "nothing committed");
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    assert!(pm.contains("> **DRAFT.**"), "{pm}");
    assert!(!pm.contains("Every phase finished within its budget"), "{pm}");
    assert!(pm.contains(", still running"), "the running phase is not claimed done: {pm}");
    // Once resolved it is committed, and a re-render that changes nothing commits nothing.
    env.ok(&["resolve"]);
    env.ok(&["postmortem"]);
    let after = env.git(&["rev-list", "--count", "HEAD"]);
    assert_ne!(after, commits);
    let out = env.ok(&["postmortem"]);
    assert!(out.stderr.contains("nothing to commit"), "{out:?}");
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]), after);
}

/// Regression: `walk --runbook other` replaced the first runbook and its results vanished from
/// the postmortem; a step whose command ran was listed "not taken".
#[test]
fn a_second_runbook_keeps_the_first_ones_results() {
    let env = Env::init();
    env.ok(&[
        "open",
        "DNS down",
        "--severity",
        "SEV2",
        "--service",
        "web",
        "--runbook",
        "dns-failure",
        "--started-at",
        "-30m",
        "--at",
        "-30m",
    ]);
    let first = env.json(&["status", "--json"])["next_step"]["id"].as_str().unwrap().to_string();
    env.ok(&["step", "done", &first, "--note", "resolvers answer"]);
    // It turned out to be the payment gateway.
    env.ok(&["phase", "diagnose"]);
    let out = env.ok(&["runbook", "attach", "third-party"]);
    assert!(out.stdout.contains("third-party attached"), "{out:?}");
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["runbook"], "third-party");
    assert_eq!(s["runbooks"], serde_json::json!(["dns-failure", "third-party"]));
    assert_eq!(
        s["next_step"]["phase"], "diagnose",
        "the new runbook is followed from the current phase: {s}"
    );
    let next = s["next_step"]["id"].as_str().unwrap().to_string();
    env.ok(&["step", "skip", &next, "--note", "gateway status page is red"]);
    env.ok(&["resolve"]);
    env.ok(&["postmortem", "--no-commit"]);
    let id = env.only_id();
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    assert!(pm.contains("Runbook `dns-failure`") && pm.contains("Runbook `third-party`"), "{pm}");
    assert!(pm.contains("resolvers answer") && pm.contains("gateway status page is red"), "{pm}");
    env.fails(2, &["runbook", "attach", "no-such-runbook"]);
}

const ON_FAIL: &str = "id: onfail
title: A check that can fail
services: [checkout]
severities: [SEV1, SEV2]
phases:
  detect:
    steps:
      - id: check
        title: Check the error rate
        run: exit 3
        on_fail: rollback
      - id: look-around
        title: Look at the dashboards
  remediate:
    steps:
      - id: rollback
        title: Roll back
";

/// Regression: a failed command or an unexpected exit code just moved on.
#[test]
fn a_failed_step_stops_and_on_fail_jumps_to_its_target() {
    let env = Env::init();
    std::fs::write(env.path("runbooks/onfail.yaml"), ON_FAIL).unwrap();
    let lint = env.run(&["lint", "runbooks/onfail.yaml", "--format", "json"]);
    assert!(!lint.stdout.contains("\"error\""), "on_fail is part of the format: {lint:?}");
    env.ok(&["open", "Checkout 500", "--severity", "SEV2", "--runbook", "onfail"]);
    let out = env.fails(1, &["step", "run", "check", "--yes"]);
    assert!(out.stdout.contains("exit 3, expected 0"), "{out:?}");
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["next_step"]["id"], "check", "the walk stays on the failed step: {s}");
    env.fails(2, &["step", "fail", "look-around", "--jump"]);
    env.ok(&["step", "fail", "check", "--jump", "--note", "error rate still 7%"]);
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["next_step"]["id"], "rollback", "{s}");
    env.ok(&["resolve"]);
    env.ok(&["postmortem", "--no-commit"]);
    let id = env.only_id();
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    assert!(pm.contains("(`look-around`) | not taken |"), "{pm}");
    assert!(pm.contains("(`check`) | failed | rollback: error rate still 7% |"), "{pm}");
}

#[test]
fn lint_checks_on_fail_like_choices() {
    let env = Env::init();
    let dangling = ON_FAIL.replace("on_fail: rollback", "on_fail: rolback");
    std::fs::write(env.path("runbooks/onfail.yaml"), dangling).unwrap();
    let out = env.fails(1, &["lint", "runbooks/onfail.yaml"]);
    assert!(
        out.stdout.contains("`on_fail` leads to `rolback`") && out.stdout.contains("dangling-branch"),
        "{out:?}"
    );
    let back = ON_FAIL.replace("on_fail: rollback", "on_fail: check");
    std::fs::write(env.path("runbooks/onfail.yaml"), back).unwrap();
    let out = env.fails(1, &["lint", "runbooks/onfail.yaml"]);
    assert!(
        out.stdout.contains("`on_fail` jumps to itself") && out.stdout.contains("branch-cycle"),
        "{out:?}"
    );
    // A step reached only through on_fail is reachable.
    let only = "id: only\ntitle: T\nservices: [checkout]\nseverities: [SEV1]\nphases:\n  detect:\n    steps:\n      - {id: a, title: A, choices: {x: c, y: c}, on_fail: b}\n      - {id: b, title: B}\n      - {id: c, title: C}\n";
    std::fs::write(env.path("runbooks/only.yaml"), only).unwrap();
    let out = env.run(&["lint", "runbooks/only.yaml", "--format", "json"]);
    assert!(!out.stdout.contains("unreachable-step"), "{}", out.stdout);
}

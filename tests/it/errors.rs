//! Bad input: a clear one-line message, exit 2, and nothing already logged lost.

use super::harness::Env;

/// Opens one incident and returns its id and the bytes of its log.
fn opened(env: &Env) -> (String, Vec<u8>) {
    env.ok(&[
        "open",
        "Marketplace listings missing",
        "--severity",
        "SEV3",
        "--service",
        "marketplace",
        "--runbook",
        "bad-deploy",
    ]);
    env.ok(&["log", "first note"]);
    let id = env.only_id();
    let bytes = std::fs::read(env.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    (id, bytes)
}

fn assert_log_unchanged(env: &Env, id: &str, before: &[u8]) {
    let now = std::fs::read(env.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    assert_eq!(now, before, "the log changed");
}

/// The error line and the `hint:` lines after it (what to do next is a line of its own).
fn one_line_error(out: &super::harness::Out) -> &str {
    let err = out.stderr.trim_end();
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.lines().skip(1).all(|l| l.starts_with("hint: ")), "one line, then hints: {err}");
    err
}

#[test]
fn unknown_incident_id() {
    let env = Env::init();
    let (id, before) = opened(&env);
    let out = env.fails(2, &["status", "2025-no-such"]);
    let err = one_line_error(&out);
    assert!(err.contains("no incident matches \"2025-no-such\"") && err.contains(&id), "{err}");
    let out = env.fails(2, &["log", "note", "-i", "../../etc"]);
    one_line_error(&out);
    assert_log_unchanged(&env, &id, &before);
}

#[test]
fn ambiguous_prefix_and_several_open_incidents() {
    let env = Env::init();
    env.ok(&["open", "Checkout slow", "--severity", "SEV2", "--at", "2025-11-28T10:00:00Z"]);
    env.ok(&["open", "Checkout down", "--severity", "SEV1", "--at", "2025-11-28T11:00:00Z"]);
    let out = env.fails(2, &["status", "2025-11-28-checkout"]);
    let err = one_line_error(&out);
    assert!(err.contains("2025-11-28-checkout-slow") && err.contains("2025-11-28-checkout-down"), "{err}");
    // No id with two open: the command lists them and exits 2.
    let out = env.fails(2, &["log", "which one?"]);
    let err = one_line_error(&out);
    assert!(err.contains("several incidents are open") && err.contains("--incident"), "{err}");
    // A unique prefix works.
    let s = env.json(&["status", "2025-11-28-checkout-d", "--json"]);
    assert_eq!(s["title"], "Checkout down");
}

#[test]
fn malformed_runbook_yaml_names_file_line_and_column() {
    let env = Env::init();
    std::fs::write(
        env.path("runbooks/broken.yaml"),
        "id: broken\ntitle: Broken\nphases:\n  detect:\n    steps:\n      - id: a\n        title: \"unclosed\n",
    )
    .unwrap();
    let out = env.fails(2, &["open", "Web down", "--severity", "SEV1", "--runbook", "broken"]);
    let err = one_line_error(&out);
    assert!(err.contains("no runbook with id \"broken\""), "{err}");
    assert!(
        err.contains(
            "runbooks/broken.yaml:7:16: while scanning a quoted scalar, found unexpected end of stream [yaml-syntax]"
        ),
        "{err}"
    );
    assert!(env.ids().is_empty(), "no incident was created");

    // A wrong key is reported where it stands, with lint's message and rule.
    std::fs::write(
        env.path("runbooks/broken.yaml"),
        "id: broken\ntitle: Broken\nservices: [web]\nseverities: [SEV1]\nphases:\n  detect:\n    steps:\n      - id: a\n        title: A\n        detials: typo\n",
    )
    .unwrap();
    let out = env.fails(2, &["open", "Web down", "--severity", "SEV1", "--runbook", "broken"]);
    let err = one_line_error(&out);
    assert!(
        err.contains("runbooks/broken.yaml:10:9: phases.detect.steps[0]: unknown key `detials`; expected one of: choices, details, expect_exit, id, on_fail, run, timeout, title [unknown-key]"),
        "{err}"
    );
    // Several errors: the first is named, and the rest are counted.
    std::fs::write(
        env.path("runbooks/broken.yaml"),
        "id: broken\ntitle: Broken\nphases:\n  detect:\n    steps:\n      - id: a\n        titel: typo\n",
    )
    .unwrap();
    let out = env.fails(2, &["open", "Web down", "--severity", "SEV1", "--runbook", "broken"]);
    let err = one_line_error(&out);
    assert!(
        err.contains("runbooks/broken.yaml:1:1: top level: missing required field `services`")
            && err.contains("[missing-field] (and 3 more)")
            && err.contains("\nhint: `incident lint runbooks/broken.yaml` lists them"),
        "{err}"
    );
}

#[test]
fn unknown_step_id() {
    let env = Env::init();
    let (id, before) = opened(&env);
    let out = env.fails(2, &["step", "done", "restart-everything"]);
    let err = one_line_error(&out);
    assert!(
        err.contains("unknown step \"restart-everything\" in runbook bad-deploy")
            && err.contains("confirm-5xx-rate"),
        "{err}"
    );
    let out = env.fails(2, &["step", "done", "recent-deploy"]);
    assert!(one_line_error(&out).contains("--choice yes|no"));
    let out = env.fails(2, &["step", "done", "recent-deploy", "--choice", "maybe"]);
    assert!(one_line_error(&out).contains("answers: yes, no"));
    assert_log_unchanged(&env, &id, &before);
}

#[test]
fn unparseable_times() {
    let env = Env::init();
    let (id, before) = opened(&env);
    for (args, flag) in [
        (vec!["log", "x", "--at", "yesterday-ish"], "--at"),
        (vec!["mark", "mitigated", "--at", "25:99"], "--at"),
        (vec!["open", "Other", "--severity", "SEV2", "--started-at", "soon"], "--started-at"),
    ] {
        let out = env.fails(2, &args);
        let err = one_line_error(&out);
        assert!(err.contains(flag) && err.contains("RFC 3339"), "{err}");
    }
    let out = env.fails(2, &["action", "Fix it", "--owner", "me", "--due", "next week"]);
    assert!(one_line_error(&out).contains("YYYY-MM-DD"));
    assert_log_unchanged(&env, &id, &before);
    assert_eq!(env.ids().len(), 1);
}

#[test]
fn unknown_severity_service_and_missing_flags() {
    let env = Env::init();
    let out = env.fails(2, &["open", "Web down", "--severity", "P1"]);
    assert!(
        one_line_error(&out)
            .contains("unknown severity \"P1\"; incident.yaml declares SEV1, SEV2, SEV3, SEV4")
    );
    let out = env.fails(2, &["open", "Web down", "--severity", "SEV1", "--service", "payments"]);
    assert!(one_line_error(&out).contains("unknown service \"payments\""));
    let out = env.fails(2, &["open", "Web down"]);
    assert!(one_line_error(&out).contains("--severity"));
    assert!(env.ids().is_empty());
}

#[test]
fn no_git_identity_falls_back_to_user_as_every_command_does() {
    let env = Env::with_identity(false);
    // `init` commits as the responder every other command logs: $USER here, and says so.
    let out = env.ok(&["init", env.repo.to_str().unwrap()]);
    assert!(out.stdout.contains("(as tester, from $USER)"), "{}", out.stdout);
    assert_eq!(
        env.git(&["log", "--format=%an <%ae>|%s"]).trim(),
        "tester <tester@incident.invalid>|incident: initialize repository"
    );
    assert_eq!(env.git(&["status", "--porcelain"]).trim(), "", "everything committed");

    env.ok(&["open", "Web down", "--severity", "SEV1"]);
    env.ok(&["resolve"]);
    let id = env.only_id();
    assert_eq!(env.events(&id)[0]["by"], "tester");
    env.ok(&["postmortem"]);
    assert_eq!(env.git(&["log", "-1", "--format=%an"]).trim(), "tester");
    // `--as` wins, as everywhere.
    env.ok(&["retro", "summary", "checkout was down", "--as", "Sam Oncall"]);
    env.ok(&["postmortem", "--as", "Sam Oncall"]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%an <%ae>"]).trim(),
        "Sam Oncall <sam-oncall@incident.invalid>"
    );
}

#[test]
fn repository_missing() {
    let env = Env::new();
    std::fs::create_dir_all(&env.repo).unwrap();
    let out = env.fails(2, &["status"]);
    let err = one_line_error(&out);
    assert!(err.contains("no incident repository") && err.contains("incident init"), "{err}");
    let out = env.fails(2, &["list", "--repo", "/nonexistent/place"]);
    assert!(one_line_error(&out).contains("/nonexistent/place is not an incident repository"));
}

#[test]
fn malformed_config_names_file_line_and_column() {
    let env = Env::init();
    let cfg = env.read("incident.yaml").replace("revenue_per_hour: 180000", "revenue_per_hour: lots");
    std::fs::write(env.path("incident.yaml"), cfg).unwrap();
    // The committed version passes: the command runs on it and the warning names the error.
    let out = env.ok(&["list"]);
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with(
            "warning: incident.yaml:6:19: revenue_per_hour: expected a number, found a string [wrong-type]; using incident.yaml as of commit "
        ),
        "{err}"
    );
    // Never committed, there is nothing to fall back to: the error stops the command.
    env.git(&["update-ref", "-d", "HEAD"]);
    let out = env.fails(2, &["list"]);
    let err = one_line_error(&out);
    assert!(
        err.contains("incident.yaml:6:19: revenue_per_hour: expected a number, found a string [wrong-type]"),
        "{err}"
    );
}

#[test]
fn walk_without_a_terminal_says_what_to_use_instead() {
    let env = Env::init();
    opened(&env);
    let out = env.fails(2, &["walk"]);
    assert!(out.stdout.contains("confirm-5xx-rate"), "shows the current step: {out:?}");
    assert!(out.stderr.contains("incident step done|skip|fail STEP"), "{out:?}");
}

/// Regression: without a terminal, `walk` used to log the next phase before refusing.
#[test]
fn walk_without_a_terminal_writes_nothing_even_at_a_phase_boundary() {
    let env = Env::init();
    let (id, _) = opened(&env);
    env.ok(&["step", "done", "confirm-5xx-rate"]);
    env.ok(&["step", "done", "list-recent-rollouts"]);
    let before = std::fs::read(env.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    let out = env.fails(2, &["walk"]);
    assert!(out.stdout.contains("scope-impact"), "{out:?}");
    assert_log_unchanged(&env, &id, &before);
}

/// What to do next is not part of the message: a person gets it as `hint:` lines after the
/// error, a program as `hints` beside the message (always there, empty when there is none).
#[test]
fn hints_are_lines_of_their_own_and_a_list_in_json() {
    let env = Env::init();
    let out = env.fails(2, &["log", "x"]);
    assert_eq!(
        out.stderr,
        "error: no open incident\nhint: pass one with --incident ID, or open one with `incident open TITLE --severity SEV`\n"
    );
    let out = env.fails(2, &["log", "x", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(
        v["error"],
        serde_json::json!({
            "message": "no open incident",
            "code": 2,
            "kind": "no-open-incident",
            "hints": ["pass one with --incident ID, or open one with `incident open TITLE --severity SEV`"],
        })
    );
    let out = env.fails(2, &["open", "Web down", "--severity", "P1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(v["error"]["kind"], "unknown-severity");
    assert_eq!(v["error"]["hints"], serde_json::json!([]));
}

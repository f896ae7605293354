//! ShellCheck inside `incident lint`, through the real binary and the real `shellcheck`, with
//! `PATH` set so that it is found, not found, or a stand-in that hangs, crashes or writes
//! garbage.
//!
//! `tests/fixtures/lint/shellcheck/` holds one runbook per YAML scalar style, each with
//! known findings; the positions below are where the offending character is in the file,
//! counted by hand (and checked against the file's own text here).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::harness::{BIN, Env, Out, shellcheck_installed};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// `incident ARGS` in `cwd`, with `PATH` replaced when given and `vars` added.
fn lint_in(env: &Env, cwd: &Path, path: Option<&str>, vars: &[(&str, &str)], args: &[&str]) -> Out {
    let mut cmd = env.command(BIN);
    cmd.current_dir(cwd).args(args).stdin(std::process::Stdio::null());
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Out::from(cmd.output().expect("run incident"))
}

/// A folder holding a `shellcheck` that runs `body` (a sh script), and `PATH` with it first.
fn fake_shellcheck(env: &Env, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = env.dir.path().join("fake-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let program = dir.join("shellcheck");
    std::fs::write(&program, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:/usr/bin:/bin", dir.display())
}

/// A folder with nothing in it: a `PATH` on which shellcheck is not found.
fn empty_path(env: &Env) -> String {
    let dir = env.dir.path().join("empty-bin");
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

/// Every finding, by (file, line, column, SC code), in each scalar style; `char` is the
/// character of the file the finding is about (the first of `cd`, `==`, `$x`).
const EXPECTED: &[(&str, usize, usize, &str, char)] = &[
    ("shellcheck/double-quoted.yaml", 11, 36, "SC3014", '='),
    ("shellcheck/double-quoted.yaml", 11, 67, "SC2164", 'c'),
    ("shellcheck/double-quoted.yaml", 15, 11, "SC3014", '='),
    ("shellcheck/double-quoted.yaml", 15, 19, "SC2164", 'c'),
    ("shellcheck/folded.yaml", 12, 11, "SC2164", 'c'),
    ("shellcheck/folded.yaml", 13, 28, "SC3014", '='),
    ("shellcheck/literal.yaml", 13, 11, "SC2164", 'c'),
    ("shellcheck/literal.yaml", 14, 16, "SC2086", '$'),
    ("shellcheck/literal.yaml", 18, 28, "SC3014", '='),
    ("shellcheck/literal.yaml", 22, 11, "SC2164", 'c'),
    ("shellcheck/literal.yaml", 27, 13, "SC2164", 'c'),
    ("shellcheck/literal.yaml", 28, 28, "SC3014", '='),
    ("shellcheck/plain.yaml", 11, 14, "SC2164", 'c'),
    ("shellcheck/plain.yaml", 11, 44, "SC3014", '='),
    ("shellcheck/plain.yaml", 15, 11, "SC2164", 'c'),
    ("shellcheck/plain.yaml", 15, 25, "SC2086", '$'),
    ("shellcheck/single-quoted.yaml", 11, 28, "SC2164", 'c'),
    ("shellcheck/single-quoted.yaml", 11, 54, "SC3014", '='),
    ("shellcheck/single-quoted.yaml", 15, 11, "SC2164", 'c'),
];

/// The positions of the table are the characters named: a check of the hand count.
#[test]
fn the_expected_positions_are_the_characters_named() {
    for (file, line, col, code, want) in EXPECTED {
        let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
        let src = text.lines().nth(line - 1).unwrap();
        assert_eq!(src.chars().nth(col - 1), Some(*want), "{file}:{line}:{col} ({code}): {src}");
    }
}

/// Each finding of ShellCheck lands on its character in the YAML file, whatever the scalar
/// style (escapes, `''`, folding, indentation indicators), in all four formats. The
/// `# shellcheck disable=` line and the `# incident-lint: disable=shellcheck` comment in
/// literal.yaml each silence their step.
#[test]
fn shellcheck_findings_land_on_their_character_in_every_scalar_style_and_format() {
    if !shellcheck_installed("shellcheck_findings_land_on_their_character") {
        return;
    }
    let env = Env::new();
    let dir = fixtures();
    let args =
        |format: &'static str| ["lint", "shellcheck", "--shellcheck-level", "info", "--format", format];
    let expected: Vec<(String, usize, usize, String)> =
        EXPECTED.iter().map(|(f, l, c, code, _)| (f.to_string(), *l, *c, code.to_string())).collect();

    let json = lint_in(&env, &dir, None, &[], &args("json"));
    assert_eq!((json.code, json.stderr.as_str()), (1, ""), "{json:#?}");
    let findings: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let got: Vec<(String, usize, usize, String)> = findings
        .iter()
        .map(|f| {
            assert_eq!(
                (f["rule"].as_str(), f["severity"].as_str()),
                (Some("shellcheck"), Some("warning")),
                "{f}"
            );
            let message = f["message"].as_str().unwrap();
            let code = message.split(':').next().unwrap().to_string();
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
                f["column"].as_u64().unwrap() as usize,
                code,
            )
        })
        .collect();
    assert_eq!(got, expected, "json");

    let sarif = lint_in(&env, &dir, None, &[], &args("sarif"));
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let got: Vec<(String, usize, usize, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["ruleId"], "shellcheck");
            let location = &r["locations"][0]["physicalLocation"];
            (
                location["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                location["region"]["startLine"].as_u64().unwrap() as usize,
                location["region"]["startColumn"].as_u64().unwrap() as usize,
                r["message"]["text"].as_str().unwrap().split(':').next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected, "sarif");
    assert!(sarif["runs"][0].get("invocations").is_none(), "no notification when all went well");

    let github = lint_in(&env, &dir, None, &[], &args("github"));
    let want: String = expected
        .iter()
        .map(|(f, l, c, code)| format!("::warning file={f},line={l},col={c},title=shellcheck::{code}"))
        .collect::<Vec<_>>()
        .join("\n");
    let got: String = github
        .stdout
        .lines()
        .map(|l| l.split_once(": ").map_or(l, |(head, _)| head).replace("%3A", ":"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(got, want, "github");

    // Human: the header line, then the source line and a caret under the character.
    let human = lint_in(&env, &dir, None, &[], &args("human"));
    let lines: Vec<&str> = human.stdout.lines().collect();
    let mut seen = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some((place, rest)) = line.split_once(": warning: ") else { continue };
        let (file, l, c, code) = &expected[seen];
        assert_eq!(place, format!("{file}:{l}:{c}"), "human header {line}");
        assert!(rest.starts_with(&format!("{code}: ")) && rest.ends_with("[shellcheck]"), "{line}");
        let (src, caret) = (lines[i + 2], lines[i + 3]);
        let gutter = src.find(" | ").unwrap() + 3;
        assert_eq!(caret.find('^'), Some(gutter + c - 1), "caret of {file}:{l}:{c}\n{src}\n{caret}");
        assert_eq!(src.get(gutter..).unwrap().chars().nth(c - 1), Some(EXPECTED[seen].4), "{src}");
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "{}", human.stdout);
}

/// Info and style findings (SC2086 here) only when asked for.
#[test]
fn info_findings_only_with_shellcheck_level_info() {
    if !shellcheck_installed("info_findings_only_with_shellcheck_level_info") {
        return;
    }
    let env = Env::new();
    let out = lint_in(&env, &fixtures(), None, &[], &["lint", "shellcheck/plain.yaml", "--format", "json"]);
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(findings.len(), 3, "{out:#?}");
    assert!(findings.iter().all(|f| !f["message"].as_str().unwrap().starts_with("SC2086")), "{out:#?}");
    let out = lint_in(
        &env,
        &fixtures(),
        None,
        &[],
        &["lint", "shellcheck/plain.yaml", "--format", "json", "--shellcheck-level", "error"],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "[]\n"), "{out:#?}");
}

fn runbook(run: &str) -> String {
    format!(
        "# incident-lint: disable-file=missing-phase\nid: vars\ntitle: Variables\nservices: [web]\nseverities: [SEV1]\nphases:\n  detect:\n    steps:\n      - id: one\n        title: One\n        run: {run}\n"
    )
}

/// The variables the tool sets are known to be set; a misspelt one of its names is caught
/// with the name meant; the environment's own uppercase names are left alone; a delivery
/// command knows the `UPDATE_*` variables, a step does not.
#[test]
fn the_tool_s_variables_are_known_and_a_misspelt_one_is_caught() {
    if !shellcheck_installed("the_tool_s_variables_are_known") {
        return;
    }
    let env = Env::init();
    std::fs::write(
        env.path("runbooks/vars.yaml"),
        runbook(r#"printf '%s %s %s %s\n' "$INCIDENT_ID" "$KUBECONFIG" "$INCIDENT_SERVCE" "$UPDATE_ID""#),
    )
    .unwrap();
    let config = env.read("incident.yaml").replace(
        "channels:\n",
        "channels:\n  pager:\n    audience: internal\n    deliver:\n      command: 'notify \"$UPDATE_ID\" \"$INCIDENT_ID\" \"$UPDATE_STATSU\"'\n",
    );
    std::fs::write(env.path("incident.yaml"), config).unwrap();
    let out = env.run(&["lint", "--format", "json"]);
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let got: Vec<(String, u64, u64, String)> = findings
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let runbook_line = "        run: printf '%s %s %s %s\\n' \"$INCIDENT_ID\" \"$KUBECONFIG\" \"$INCIDENT_SERVCE\" \"$UPDATE_ID\"";
    let col = |needle: &str| runbook_line.find(needle).unwrap() as u64 + 1;
    let config_line = "      command: 'notify \"$UPDATE_ID\" \"$INCIDENT_ID\" \"$UPDATE_STATSU\"'";
    assert_eq!(
        got,
        [
            (
                "incident.yaml".to_string(),
                61,
                config_line.find("$UPDATE_STATSU").unwrap() as u64 + 1,
                "SC2154: UPDATE_STATSU is referenced but not assigned: the tool does not set it (did you mean UPDATE_STATUS?)"
                    .to_string()
            ),
            (
                "runbooks/vars.yaml".to_string(),
                11,
                col("$INCIDENT_SERVCE"),
                "SC2154: INCIDENT_SERVCE is referenced but not assigned: the tool does not set it (did you mean INCIDENT_SERVICES?)"
                    .to_string()
            ),
            (
                "runbooks/vars.yaml".to_string(),
                11,
                col("$UPDATE_ID"),
                "SC2154: UPDATE_ID is referenced but not assigned: the tool does not set it (it sets INCIDENT_ID, INCIDENT_TITLE, INCIDENT_SEVERITY, INCIDENT_SERVICES, INCIDENT_REPO)"
                    .to_string()
            ),
        ],
        "{out:#?}"
    );
    assert_eq!(env.read("incident.yaml").lines().nth(60), Some(config_line));
}

/// Without shellcheck, `auto` says so in one line (and in SARIF's run) and lints the rest;
/// `require` exits 2 with a typed error before reading anything; `off` says nothing.
#[test]
fn without_shellcheck_auto_says_so_require_fails_off_is_silent() {
    let env = Env::new();
    let path = empty_path(&env);
    let dir = fixtures().join("err");
    let args = ["lint", "shellcheck", "dangerous-command", "--format", "json"];
    let out = lint_in(&env, &dir, Some(&path), &[], &args);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(
        out.stderr,
        "note: shellcheck is not installed: the commands in runbooks were not checked (install it, or pass --shellcheck off)\n"
    );
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["dangerous-command"], "{out:#?}");

    let sarif = lint_in(&env, &dir, Some(&path), &[], &["lint", "shellcheck", "--format", "sarif"]);
    assert_eq!(sarif.code, 0, "{sarif:#?}");
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["message"]["text"],
        "shellcheck is not installed: the commands in runbooks were not checked (install it, or pass --shellcheck off)"
    );

    let out =
        lint_in(&env, &dir, Some(&path), &[], &["--json", "lint", "shellcheck", "--shellcheck", "require"]);
    assert_eq!((out.code, out.stdout.as_str()), (2, ""), "{out:#?}");
    let error: Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "shellcheck-missing", "{out:#?}");
    let out = lint_in(&env, &dir, Some(&path), &[], &["lint", "shellcheck", "--shellcheck", "require"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.starts_with("error: --shellcheck require: shellcheck is not installed"), "{out:#?}");

    let out = lint_in(&env, &dir, Some(&path), &[], &["lint", "shellcheck", "--shellcheck", "off"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{out:#?}");
    // With nothing to check, nothing to say.
    let out = lint_in(&env, &dir, Some(&path), &[], &["lint", "missing-phase"]);
    assert_eq!(out.stderr, "", "{out:#?}");
}

/// `--shellcheck off` runs nothing even when it is installed.
#[test]
fn shellcheck_off_runs_nothing() {
    let env = Env::new();
    let path = fake_shellcheck(&env, "touch \"$0.ran\"; exit 3");
    let dir = fixtures().join("err");
    let out = lint_in(&env, &dir, Some(&path), &[], &["lint", "shellcheck", "--shellcheck", "off"]);
    assert_eq!(
        (out.code, out.stderr.as_str(), out.stdout.as_str()),
        (0, "", "1 file checked, no problems found\n")
    );
    assert!(!env.dir.path().join("fake-bin/shellcheck.ran").exists());
    let out = lint_in(&env, &dir, Some(&path), &[], &["lint", "shellcheck"]);
    assert!(env.dir.path().join("fake-bin/shellcheck.ran").exists(), "{out:#?}");
}

/// A shellcheck that hangs, crashes or writes garbage is one line on stderr, the other
/// rules' findings stand; under `require` the lint cannot run as asked (exit 2,
/// `shellcheck-failed`), never exit 1, which would read as findings in the files.
#[test]
fn a_hung_crashing_or_garbled_shellcheck_is_one_line() {
    let env = Env::new();
    let dir = fixtures().join("err");
    let cases = [
        ("sleep 60", "shellcheck did not finish within 1s: 3 commands were not checked"),
        ("kill -SEGV $$", "shellcheck was killed by a signal: 3 commands were not checked"),
        (
            "echo 'not json'; exit 1",
            "shellcheck's output is not the JSON it should be (expected ident at line 1 column 2): 3 commands were not checked",
        ),
        (
            "echo 'unknown option' >&2; exit 3",
            "shellcheck failed (exit 3): unknown option: 3 commands were not checked",
        ),
    ];
    for (body, said) in cases {
        let path = fake_shellcheck(&env, body);
        let started = std::time::Instant::now();
        let vars = [("INCIDENT_SHELLCHECK_TIMEOUT", "1")];
        let out = lint_in(
            &env,
            &dir,
            Some(&path),
            &vars,
            &["lint", "shellcheck", "dangerous-command", "--format", "json"],
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{body}: waited on the stand-in");
        assert_eq!(out.code, 1, "{body}: {out:#?}");
        assert_eq!(out.stderr, format!("note: {said}\n"), "{body}");
        let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(findings.len(), 1, "{body}: {out:#?}");

        let out = lint_in(
            &env,
            &dir,
            Some(&path),
            &vars,
            &["--json", "lint", "shellcheck", "--shellcheck", "require", "--format", "json"],
        );
        assert_eq!((out.code, out.stdout.as_str()), (2, "[]\n"), "{body}: {out:#?}");
        let error: Value = serde_json::from_str(out.stderr.lines().last().unwrap()).unwrap();
        assert_eq!(error["error"]["kind"], "shellcheck-failed", "{body}: {out:#?}");
    }
}

/// Regression: a limit too large for the clock (`INCIDENT_SHELLCHECK_TIMEOUT=1e20`) made lint
/// panic; any number is now held to at most a day, and lint runs. `sync --watch` and `change
/// record --timeout` beyond a year are refused as bad input, where they too overflowed.
#[test]
fn limits_too_large_for_the_clock_do_not_panic() {
    let env = Env::new();
    let dir = fixtures().join("err");
    let path = fake_shellcheck(&env, "echo '{\"comments\":[]}'");
    for limit in ["1e20", "1e300", "18446744073709551615"] {
        let vars = [("INCIDENT_SHELLCHECK_TIMEOUT", limit)];
        let out = lint_in(&env, &dir, Some(&path), &vars, &["lint", "shellcheck", "--format", "json"]);
        assert!(matches!(out.code, 0 | 1) && !out.stderr.contains("panicked"), "{limit}: {out:#?}");
    }
    env.ok(&["init", "."]);
    let out = env.fails(2, &["sync", "--watch", "9223372036854775807s"]);
    assert!(!out.stderr.contains("panicked"), "{out:#?}");
    let out = env.fails(2, &["change", "record", "--timeout", "400d", "--", "true"]);
    assert!(out.stderr.contains("--timeout") && !out.stderr.contains("panicked"), "{out:#?}");
}

/// `lint.disable: [shellcheck]` in incident.yaml switches it off for the repository: it is not
/// even started.
#[test]
fn lint_disable_in_incident_yaml_does_not_start_shellcheck() {
    let env = Env::init();
    let path = fake_shellcheck(&env, "touch \"$0.ran\"; exit 3");
    let config = env.read("incident.yaml") + "\nlint:\n  disable: [shellcheck]\n";
    std::fs::write(env.path("incident.yaml"), config).unwrap();
    let out = lint_in(&env, &env.repo, Some(&path), &[], &["lint", "--format", "json"]);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (0, "[]\n", ""), "{out:#?}");
    assert!(!env.dir.path().join("fake-bin/shellcheck.ran").exists());
}

/// Many commands are checked by a few processes, not one each: a stand-in that logs each
/// start (and answers as shellcheck would for no finding).
#[test]
fn commands_are_checked_in_batches() {
    let env = Env::new();
    let path = fake_shellcheck(&env, "echo x >> \"$0.starts\"; echo '{\"comments\":[]}'");
    let dir = env.dir.path().join("many");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..60 {
        let text = runbook("echo one").replace("id: vars", &format!("id: r{i}"));
        std::fs::write(dir.join(format!("r{i}.yaml")), text).unwrap();
    }
    let out = lint_in(&env, env.dir.path(), Some(&path), &[], &["lint", "many"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{out:#?}");
    let starts = std::fs::read_to_string(env.dir.path().join("fake-bin/shellcheck.starts")).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(starts.lines().count() <= cores, "{} processes for 60 commands", starts.lines().count());
}

//! `incident lint` and `incident schema` through the real binary.
//!
//! - Golden files, as actionlint's `testdata/err`: `tests/fixtures/lint/err/<rule>/` holds a
//!   file that breaks exactly that rule and the exact output of each format beside it
//!   (`expected.human`, `expected.json`, `expected.sarif`, `expected.github`; the SARIF rule
//!   catalogue, the same for all, is kept once in `sarif-rules.json`).
//!   `tests/fixtures/lint/ok/` holds files that must lint clean. After a deliberate change of
//!   output, `UPDATE_GOLDEN=1 cargo test --test lib lint::` rewrites the expected files;
//!   read the diff (rule, line, column) before keeping it.
//! - Suppression comments, `lint.disable` in incident.yaml, and exit codes.
//! - Independent validators on our output: Python `jsonschema` checks the SARIF against the
//!   official SARIF 2.1.0 schema (`tests/fixtures/sarif-schema-2.1.0.json`, OASIS), and the
//!   runbooks against `incident schema`. They must be installed
//!   (`python3 -m pip install jsonschema pyyaml`, as `.ci/run` does): these tests fail, never
//!   skip, without them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::harness::{BIN, Env, Out, shellcheck_installed};

/// The formats and the file each one's expected output is kept in.
const FORMATS: [(&str, &str); 4] = [
    ("human", "expected.human"),
    ("json", "expected.json"),
    ("sarif", "expected.sarif"),
    ("github", "expected.github"),
];

/// In `expected.sarif`, the crate version and the rule catalogue (the same for every case,
/// kept once in `lint/sarif-rules.json`) stand in for themselves, so that a release or a
/// reworded explanation touches one file, not one per rule.
const VERSION_PLACEHOLDER: &str = "CARGO_PKG_VERSION";
const RULES_PLACEHOLDER: &str = "see tests/fixtures/lint/sarif-rules.json";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Runs `incident ARGS` in `cwd` with the harness's clean environment (NO_COLOR, no tty).
fn run_in(env: &Env, cwd: &Path, args: &[&str]) -> Out {
    let o = env
        .command(BIN)
        .current_dir(cwd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run incident");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn json_findings(out: &Out) -> Vec<Value> {
    match serde_json::from_str(&out.stdout) {
        Ok(Value::Array(items)) => items,
        _ => panic!("lint --format json did not print an array: {out:#?}"),
    }
}

/// `(rule, line, column)` of each finding, in output order.
fn positions(findings: &[Value]) -> Vec<(String, u64, u64)> {
    findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every rule and its severity, as `incident lint --explain` lists them.
fn rules(env: &Env) -> BTreeMap<String, String> {
    let out = env.ok(&["lint", "--explain"]);
    let rules: BTreeMap<String, String> = out
        .stdout
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace();
            let (Some(id), Some(severity)) = (words.next(), words.next()) else {
                panic!("--explain line without id and severity: {line:?}");
            };
            assert!(severity == "error" || severity == "warning", "{line:?}");
            (id.to_string(), severity.to_string())
        })
        .collect();
    assert!(rules.len() >= 20, "{}", out.stdout);
    rules
}

/// The output as it is kept in an expected file, and for SARIF the rule catalogue apart.
/// The split is lossless: serde_json prints the parsed SARIF back byte for byte.
fn normalize(format: &str, stdout: &str) -> (String, Option<String>) {
    if format != "sarif" {
        return (stdout.to_string(), None);
    }
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap() + "\n";
    let mut sarif: Value = serde_json::from_str(stdout).unwrap();
    assert_eq!(pretty(&sarif), stdout, "SARIF output is not serde_json's pretty print");
    let driver = &mut sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    driver["version"] = VERSION_PLACEHOLDER.into();
    let rules = std::mem::replace(&mut driver["rules"], RULES_PLACEHOLDER.into());
    (pretty(&sarif), Some(pretty(&rules)))
}

/// Compares `actual` with the expected file (or rewrites it under UPDATE_GOLDEN); returns a
/// description of the difference.
fn golden(expected: &Path, actual: &str) -> Option<String> {
    if updating() {
        std::fs::write(expected, actual).unwrap_or_else(|e| panic!("write {}: {e}", expected.display()));
        return None;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_else(|e| {
        panic!("{}: {e} (UPDATE_GOLDEN=1 creates it; check it by hand)", expected.display())
    });
    (want != actual).then(|| format!("{}:\n--- expected\n{want}\n--- actual\n{actual}", expected.display()))
}

/// One folder per rule under err/, each breaking that rule and no other, with the exact
/// output of every format; together they cover every rule `--explain` lists.
#[test]
fn golden_err_cases_cover_every_rule_in_every_format() {
    let env = Env::new();
    let rules = rules(&env);
    let err = fixtures().join("lint/err");
    let cases: BTreeSet<String> = std::fs::read_dir(&err)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    let ids: BTreeSet<String> = rules.keys().cloned().collect();
    assert_eq!(cases, ids, "one folder under {} per rule of `incident lint --explain`", err.display());

    let mut failures = Vec::new();
    let mut catalogues = BTreeSet::new();
    for case in &cases {
        if case == "shellcheck" && !shellcheck_installed("golden_err_cases_cover_every_rule (shellcheck)") {
            continue;
        }
        // A rule behind a flag (`--check-programs`) names it in the case's `args` file.
        let flags = std::fs::read_to_string(err.join(case).join("args")).unwrap_or_default();
        for (format, file) in FORMATS {
            let mut args = vec!["lint", case.as_str(), "--format", format];
            args.extend(flags.split_whitespace());
            let out = run_in(&env, &err, &args);
            assert_eq!(out.code, 1, "lint {case} --format {format}: expected exit 1: {out:#?}");
            assert!(out.stderr.is_empty(), "lint {case} --format {format}: {}", out.stderr);
            let (text, catalogue) = normalize(format, &out.stdout);
            failures.extend(golden(&err.join(case).join(file), &text));
            catalogues.extend(catalogue);
            if format == "json" {
                let findings = json_findings(&out);
                assert!(!findings.is_empty(), "{case}: no findings");
                for f in &findings {
                    assert_eq!(f["rule"], case.as_str(), "{case}: a finding of another rule: {f}");
                    assert_eq!(
                        f["severity"],
                        rules[case].as_str(),
                        "{case}: severity differs from --explain"
                    );
                    let file = f["file"].as_str().unwrap();
                    assert!(file.starts_with(&format!("{case}/")), "{case}: path not relative: {file}");
                    assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1, "{f}");
                    assert!(!f["message"].as_str().unwrap().is_empty(), "{f}");
                }
            }
        }
    }
    assert_eq!(catalogues.len(), 1, "the SARIF rule catalogue differs between runs");
    failures.extend(golden(&err.with_file_name("sarif-rules.json"), catalogues.first().unwrap()));
    assert!(failures.is_empty(), "output differs from the golden files:\n{}", failures.join("\n\n"));
}

/// Clean runbooks (every field, decisions, suppressed risks), a template and incident.yaml:
/// nothing in any format, exit 0.
#[test]
fn ok_fixtures_lint_clean_in_every_format() {
    let env = Env::new();
    let dir = fixtures().join("lint");
    let human = run_in(&env, &dir, &["lint", "ok"]);
    assert_eq!(
        (human.code, human.stdout.as_str()),
        (0, "4 files checked, no problems found\n"),
        "{human:#?}"
    );
    let json = run_in(&env, &dir, &["lint", "ok", "--format", "json"]);
    assert_eq!((json.code, json.stdout.as_str()), (0, "[]\n"), "{json:#?}");
    let github = run_in(&env, &dir, &["lint", "ok", "--format", "github"]);
    assert_eq!((github.code, github.stdout.as_str()), (0, ""), "{github:#?}");
    let sarif = run_in(&env, &dir, &["lint", "ok", "--format", "sarif"]);
    assert_eq!(sarif.code, 0, "{sarif:#?}");
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    // ok/ holds an incident.yaml, so services and severities were checked above; with no
    // path, lint inside it reads the repository's incident.yaml, runbooks and templates.
    let inside = run_in(&env, &dir.join("ok"), &["lint", "--format", "json"]);
    assert_eq!((inside.code, inside.stdout.as_str()), (0, "[]\n"), "{inside:#?}");
}

/// What ships must pass its own linter: the runbooks, config and template in the source tree,
/// and a freshly initialized repository (where services and severities are checked too).
#[test]
fn shipped_runbooks_config_and_templates_lint_clean() {
    let env = Env::init();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run_in(&env, root, &["lint", "runbooks", "config", "templates", "--format", "json"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "[]\n"), "{out:#?}");
    let runbooks = std::fs::read_dir(root.join("runbooks")).unwrap().count();
    let comms = std::fs::read_dir(root.join("templates/comms")).unwrap().count();
    let out = run_in(&env, root, &["lint", "runbooks", "config", "templates"]);
    assert_eq!(out.code, 0, "{out:#?}");
    // incident.yaml, the postmortem template, the update templates and the status page's
    // templates are checked too.
    let status_templates = std::fs::read_dir(root.join("templates/status")).unwrap().count();
    assert_eq!(
        out.stdout,
        format!("{} files checked, no problems found\n", runbooks + 2 + comms + status_templates)
    );

    // `incident lint` with no path lints the repository's incident.yaml, runbooks and templates.
    let out = env.ok(&["lint"]);
    assert_eq!(
        out.stdout,
        format!("{} files checked, no problems found\n", runbooks + 2 + comms),
        "{out:#?}"
    );
    let out = env.ok(&["lint", "--format", "json"]);
    assert_eq!(out.stdout, "[]\n");
}

/// The shipped runbooks and incident.yaml pass ShellCheck, as CI runs it (`--shellcheck
/// require`), in the source tree and in a new repository.
#[test]
fn shipped_runbooks_and_config_pass_shellcheck() {
    if !shellcheck_installed("shipped_runbooks_and_config_pass_shellcheck") {
        return;
    }
    let env = Env::init();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out =
        run_in(&env, root, &["lint", "runbooks", "config", "--shellcheck", "require", "--format", "json"]);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (0, "[]\n", ""), "{out:#?}");
    let out = env.run(&["lint", "--shellcheck", "require", "--format", "json"]);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (0, "[]\n", ""), "{out:#?}");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A runbook with all five phases; `remediate` holds `steps` (indented as list items under
/// `steps:`), and the header `head` comes first.
pub(super) fn runbook(id: &str, head: &str, remediate: &str) -> String {
    format!(
        "{head}id: {id}
title: Checkout returns Error 500
services: [checkout]
severities: [SEV1]
phases:
  detect:
    steps:
      - id: confirm-alert
        title: Confirm the alert
  assess:
    steps:
      - id: scope-impact
        title: Check which services fail
  diagnose:
    steps:
      - id: recent-deploy
        title: Was anything deployed?
  remediate:
    steps:
{remediate}  validate:
    steps:
      - id: check-error-rate
        title: Confirm the error rate is back under the SLO
"
    )
}

/// The line (1-based) of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    let i = text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?}"));
    i as u64 + 1
}

#[test]
fn disable_comment_above_a_step_silences_that_rule_in_that_step_only() {
    let env = Env::new();
    let dir = env.dir.path();
    // wipe-all breaks two rules; only dangerous-command is switched off, and only there.
    // (ShellCheck, which has its own word on `rm -rf /etc`, is not what this is about.)
    let steps = "      # incident-lint: disable=dangerous-command
      - id: wipe-all
        title: Wipe everything
        run: rm -rf / && notify $INCIDENT_TITLE
      - id: wipe-home
        title: Wipe home
        run: rm -rf ~
      - id: wipe-etc # incident-lint: disable=dangerous-command
        title: Wipe config
        run: rm -rf /etc
      - id: wipe-boot
        title: Wipe boot
        run: rm -rf /boot
";
    let text = runbook("wipe", "", steps);
    write(&dir.join("wipe.yaml"), &text);
    let out = run_in(&env, dir, &["lint", "wipe.yaml", "--format", "json", "--shellcheck", "off"]);
    assert_eq!(out.code, 1, "{out:#?}");
    let run = |cmd: &str| line_of(&text, &format!("run: {cmd}"));
    assert_eq!(
        positions(&json_findings(&out)),
        [
            ("command-interpolation".to_string(), run("rm -rf / &&"), 33),
            ("dangerous-command".to_string(), run("rm -rf ~"), 14),
            ("dangerous-command".to_string(), run("rm -rf /boot"), 14),
        ],
        "{}",
        out.stdout
    );
}

#[test]
fn disable_file_comment_silences_that_rule_in_that_file_only() {
    let env = Env::new();
    let dir = env.dir.path();
    let steps = "      - id: wipe-home
        title: Wipe home
        run: rm -rf ~
      - id: format-disk
        title: Format the disk
        run: mkfs.ext4 /dev/sdb1
        expect_exit: 0
      - id: wait
        title: Wait
        expect_exit: 0
";
    let quiet = runbook("quiet", "# incident-lint: disable-file=dangerous-command\n", steps);
    let loud = runbook("loud", "", steps);
    write(&dir.join("rb/quiet.yaml"), &quiet);
    write(&dir.join("rb/loud.yaml"), &loud);
    let out = run_in(&env, dir, &["lint", "rb", "--format", "json"]);
    assert_eq!(out.code, 1, "{out:#?}");
    let found: Vec<(String, String, u64)> = json_findings(&out)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().into(),
                f["rule"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let at = |file: &str, rule: &str, line: u64| (file.to_string(), rule.to_string(), line);
    // expect-exit-without-run points at the `expect_exit` under "title: Wait".
    assert_eq!(
        found,
        [
            at("rb/loud.yaml", "dangerous-command", line_of(&loud, "rm -rf ~")),
            at("rb/loud.yaml", "dangerous-command", line_of(&loud, "mkfs")),
            at("rb/loud.yaml", "expect-exit-without-run", line_of(&loud, "title: Wait") + 1),
            at("rb/quiet.yaml", "expect-exit-without-run", line_of(&quiet, "title: Wait") + 1),
        ],
        "{}",
        out.stdout
    );

    // Rules that look across files honour it too: the second file's duplicate id is silenced.
    write(&dir.join("dup/a/same.yaml"), &runbook("same", "", "      - id: x\n        title: X\n"));
    write(
        &dir.join("dup/b/same.yaml"),
        &runbook(
            "same",
            "# incident-lint: disable-file=duplicate-runbook-id\n",
            "      - id: x\n        title: X\n",
        ),
    );
    let out = run_in(&env, dir, &["lint", "dup"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "2 files checked, no problems found\n"), "{out:#?}");
    std::fs::write(dir.join("dup/b/same.yaml"), runbook("same", "", "      - id: x\n        title: X\n"))
        .unwrap();
    let out = run_in(&env, dir, &["lint", "dup", "--format", "json"]);
    assert_eq!(positions(&json_findings(&out)), [("duplicate-runbook-id".to_string(), 1, 5)], "{out:#?}");
}

#[test]
fn lint_disable_in_incident_yaml_switches_a_rule_off_repo_wide() {
    // ShellCheck (which warns about `rm -rf /` too) is off: this is about the other rules.
    let env = Env::init();
    let steps = "      - id: wipe\n        title: Wipe\n        run: rm -rf /\n";
    let risky = runbook("risky", "", steps).replace("services: [checkout]", "services: [checkout, chekout]");
    write(&env.path("runbooks/risky.yaml"), &risky);
    write(&env.path("runbooks/other/risky-too.yaml"), &runbook("risky-too", "", steps));
    let rules_of = |out: &Out| -> Vec<String> {
        json_findings(out).iter().map(|f| format!("{}:{}", f["file"].as_str().unwrap(), f["rule"])).collect()
    };
    let out = env.fails(1, &["lint", "--format", "json", "--shellcheck", "off"]);
    assert_eq!(
        rules_of(&out),
        [
            "runbooks/other/risky-too.yaml:\"dangerous-command\"",
            "runbooks/risky.yaml:\"unknown-service\"",
            "runbooks/risky.yaml:\"dangerous-command\"",
        ],
        "{}",
        out.stdout
    );

    let config = env.read("incident.yaml") + "\nlint:\n  disable: [dangerous-command]\n";
    write(&env.path("incident.yaml"), &config);
    let out = env.fails(1, &["lint", "--format", "json", "--shellcheck", "off"]);
    assert_eq!(rules_of(&out), ["runbooks/risky.yaml:\"unknown-service\""], "{}", out.stdout);
    // Linting one file of the repository uses the repository's settings too.
    let out = env.ok(&["lint", "runbooks/other/risky-too.yaml", "--shellcheck", "off"]);
    assert_eq!(out.stdout, "1 file checked, no problems found\n");
}

/// A broken incident.yaml is linted like a runbook: each problem at its place.
#[test]
fn broken_incident_yaml_findings() {
    let env = Env::init();
    let config = env
        .read("incident.yaml")
        .replace("    update_every: 15m", "    update_every: soon")
        .replace("status-page: { audience: external,", "status-page: { audience: everyone,")
        .replace("currency: USD", "currency: USD\nservics: {}");
    write(&env.path("incident.yaml"), &config);
    let out = env.fails(1, &["lint", "incident.yaml", "--format", "json"]);
    let col = |needle: &str, what: &str| {
        let line = config.lines().find(|l| l.contains(needle)).unwrap();
        line.find(what).unwrap() as u64 + 1
    };
    assert_eq!(
        positions(&json_findings(&out)),
        [
            ("unknown-key".to_string(), line_of(&config, "servics:"), 1),
            (
                "bad-budget".to_string(),
                line_of(&config, "update_every: soon"),
                col("update_every: soon", "soon")
            ),
            (
                "wrong-type".to_string(),
                line_of(&config, "audience: everyone"),
                col("audience: everyone", "everyone")
            ),
        ],
        "{}",
        out.stdout
    );
}

/// Regression: template-syntax findings always pointed at column 1 of the line, whatever the
/// engine said; the caret now stands where minijinja's error range starts (in characters).
#[test]
fn template_syntax_points_at_the_engine_s_column() {
    let env = Env::new();
    let dir = env.dir.path();
    write(&dir.join("t/update.md.j2"), "Status\n\nÜber {{ incident.title | }} — now\n");
    let out = run_in(&env, dir, &["lint", "t"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(
        out.stdout,
        "t/update.md.j2:3:26: error: syntax error: unexpected end of variable block, expected identifier [template-syntax]
  |
3 | Über {{ incident.title | }} — now
  |                          ^
1 error, 0 warnings in 1 file checked
"
    );
}

#[test]
fn exit_codes() {
    let env = Env::new();
    let dir = fixtures().join("lint");
    // 0 clean, 1 findings.
    assert_eq!(run_in(&env, &dir, &["lint", "ok"]).code, 0);
    assert_eq!(run_in(&env, &dir, &["lint", "err/dangling-branch"]).code, 1);
    // A warning alone is a finding too.
    assert_eq!(run_in(&env, &dir, &["lint", "err/file-name"]).code, 1);
    // 2: the lint cannot run.
    let out = run_in(&env, &dir, &["lint", "ok", "no-such-path"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("no-such-path") && out.stdout.is_empty(), "{out:#?}");
    let out = run_in(&env, &dir, &["lint", "ok", "--format", "xml"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("xml"), "{out:#?}");
    let out = run_in(&env, &dir, &["lint", "--explain", "no-such-rule"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("no-such-rule") && out.stderr.contains("dangling-branch"), "{out:#?}");
    // Outside an incident repository, with no path, there is nothing to lint.
    let out = run_in(&env, env.dir.path(), &["lint"]);
    assert_eq!(out.code, 2, "{out:#?}");
    // --explain RULE.
    let out = run_in(&env, &dir, &["lint", "--explain", "dangling-branch"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("dangling-branch (error)\n"), "{}", out.stdout);
}

/// Outside an incident repository the checks against incident.yaml are skipped; inside one
/// the same file is checked against the declared services and severities.
#[test]
fn incident_yaml_checks_only_inside_a_repository() {
    let env = Env::init();
    let text = runbook("nope-runbook", "", "      - id: x\n        title: X\n")
        .replace("services: [checkout]", "services: [nope]")
        .replace("severities: [SEV1]", "severities: [SEV9]");
    let outside = env.dir.path().join("loose/nope-runbook.yaml");
    write(&outside, &text);
    let out = run_in(&env, env.dir.path(), &["lint", "loose"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "1 file checked, no problems found\n"), "{out:#?}");

    write(&env.path("runbooks/nope-runbook.yaml"), &text);
    let out = env.fails(1, &["lint", "runbooks/nope-runbook.yaml", "--format", "json"]);
    assert_eq!(
        positions(&json_findings(&out)),
        [("unknown-service".to_string(), 3, 12), ("unknown-severity".to_string(), 4, 14)],
        "{}",
        out.stdout
    );
}

/// The Python validator: `jsonschema` (an independent implementation) checks each instance
/// (JSON, or YAML read with PyYAML) against the schema. Prints `file: path: message` per error.
const VALIDATE: &str = r#"
import json, sys
try:
    import jsonschema, yaml
except ImportError as e:
    sys.exit(f"missing Python package {e.name!r}: run `python3 -m pip install jsonschema pyyaml`")
schema_path, *paths = sys.argv[1:]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
print(f"validator: {cls.__name__}", file=sys.stderr)
validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
errors = 0
for path in paths:
    with open(path, encoding="utf-8") as f:
        data = json.load(f) if path.endswith((".json", ".sarif")) else yaml.safe_load(f)
    for e in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        errors += 1
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        print(f"{path}: {where}: {e.message}")
sys.exit(1 if errors else 0)
"#;

struct Validated {
    ok: bool,
    /// `file: path: message` per error.
    errors: Vec<String>,
    validator: String,
}

fn validate(schema: &Path, instances: &[PathBuf]) -> Validated {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(schema)
        .args(instances)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to validate against JSON Schemas: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(validator) = stderr.lines().find_map(|l| l.strip_prefix("validator: ")) else {
        panic!("the Python validator did not run: {stderr}");
    };
    assert!(matches!(out.status.code(), Some(0 | 1)), "the Python validator failed: {stderr}");
    Validated {
        ok: out.status.success(),
        errors: String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect(),
        validator: validator.to_string(),
    }
}

/// The SARIF of every err/ case at once (many results, both levels, several files) validates
/// against the official SARIF 2.1.0 schema; a broken one does not.
#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let env = Env::new();
    let dir = fixtures().join("lint");
    let out = run_in(&env, &dir, &["lint", "err", "--format", "sarif"]);
    assert_eq!(out.code, 1, "{out:#?}");
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let json = json_findings(&run_in(&env, &dir, &["lint", "err", "--format", "json"]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), json.len());
    // err/ is not itself in an incident repository, so the cases that need incident.yaml
    // are quiet here; every other case gives at least one result.
    assert!(results.len() >= 20, "{}", results.len());
    assert!(results.iter().any(|r| r["level"] == "error") && results.iter().any(|r| r["level"] == "warning"));
    // What the schema cannot see: each result's ruleIndex names its rule, and its location
    // is the finding's.
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for (r, f) in results.iter().zip(&json) {
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], r["ruleId"]);
        assert_eq!(r["ruleId"], f["rule"]);
        assert_eq!(r["level"], f["severity"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], f["file"]);
        assert_eq!(loc["region"]["startLine"], f["line"]);
        assert_eq!(loc["region"]["startColumn"], f["column"]);
    }

    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.sarif");
    std::fs::write(&good, &out.stdout).unwrap();
    let mut broken = sarif.clone();
    broken["version"] = "9".into();
    let bad_version = tmp.path().join("bad-version.sarif");
    std::fs::write(&bad_version, broken.to_string()).unwrap();
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    let bad_level = tmp.path().join("bad-level.sarif");
    std::fs::write(&bad_level, broken.to_string()).unwrap();

    // Without shellcheck, the run says so in a notification.
    let empty = tmp.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let o = env
        .command(BIN)
        .current_dir(&dir)
        .env("PATH", &empty)
        .args(["lint", "err", "--format", "sarif"])
        .output()
        .expect("run incident");
    let noted: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(noted["runs"][0]["invocations"][0]["toolExecutionNotifications"][0].is_object(), "{noted}");
    let notified = tmp.path().join("notified.sarif");
    std::fs::write(&notified, &o.stdout).unwrap();

    let schema = fixtures().join("sarif-schema-2.1.0.json");
    let v = validate(&schema, &[good.clone(), notified]);
    assert_eq!(v.validator, "Draft7Validator");
    assert!(
        v.ok && v.errors.is_empty(),
        "SARIF output rejected by the 2.1.0 schema:\n{}",
        v.errors.join("\n")
    );
    let v = validate(&schema, &[bad_version.clone(), bad_level.clone()]);
    assert!(!v.ok, "a broken SARIF passed");
    let bad = bad_version.display().to_string();
    assert!(v.errors.iter().any(|e| e.starts_with(&format!("{bad}: version: "))), "{:#?}", v.errors);
    let bad = bad_level.display().to_string();
    assert!(
        v.errors.iter().any(|e| e.starts_with(&format!("{bad}: runs/0/results/0/level: "))),
        "{:#?}",
        v.errors
    );
}

/// `incident schema` against an independent validator: every shipped and ok/ runbook passes;
/// files the linter rejects for their shape are rejected by the schema too.
#[test]
fn runbook_schema_accepts_good_runbooks_and_rejects_bad_ones() {
    let env = Env::new();
    let tmp = tempfile::tempdir().unwrap();
    let schema = tmp.path().join("runbook.schema.json");
    std::fs::write(&schema, env.ok(&["schema"]).stdout).unwrap();

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut good: Vec<PathBuf> =
        std::fs::read_dir(root.join("runbooks")).unwrap().map(|e| e.unwrap().path()).collect();
    good.sort();
    assert!(good.len() >= 8, "{good:?}");
    good.extend(
        ["payment-gateway.yaml", "cache-stampede.yml"].map(|f| fixtures().join("lint/ok/runbooks").join(f)),
    );
    let v = validate(&schema, &good);
    assert_eq!(v.validator, "Draft202012Validator");
    assert!(v.ok, "good runbooks rejected by `incident schema`:\n{}", v.errors.join("\n"));

    // Each wrong file is rejected with the error the linter reports, at the same place.
    let err = fixtures().join("lint/err");
    let bad_id = tmp.path().join("bad-id.yaml");
    std::fs::write(&bad_id, runbook("Bad_Deploy", "", "      - id: x\n        title: X\n")).unwrap();
    let cases = [
        (
            err.join("unknown-key/unknown-key.yaml"),
            "phases/detect/steps/0: Additional properties are not allowed ('owner' was unexpected)",
        ),
        (
            err.join("wrong-type/wrong-type.yaml"),
            "phases/validate/steps/0/expect_exit: 'zero' is not of type 'integer'",
        ),
        (
            err.join("missing-field/missing-field.yaml"),
            "phases/assess/steps/0: 'title' is a required property",
        ),
        (err.join("bad-budget/bad-budget.yaml"), "phases/detect/budget: 5 is not of type 'string'"),
        (err.join("missing-phase/missing-phase.yaml"), ""),
        (bad_id.clone(), "id: 'Bad_Deploy' does not match '^[a-z0-9-]+$'"),
    ];
    for (file, want) in &cases {
        let v = validate(&schema, std::slice::from_ref(file));
        if want.is_empty() {
            // missing-phase is style, not shape: the schema lets a phase be left out.
            assert!(v.ok, "{}: {:#?}", file.display(), v.errors);
            continue;
        }
        assert!(!v.ok, "{} passed the schema", file.display());
        assert_eq!(v.errors, [format!("{}: {want}", file.display())], "{}", file.display());
    }
    // The linter agrees on the bad id.
    let out = run_in(&env, tmp.path(), &["lint", "bad-id.yaml", "--format", "json"]);
    assert_eq!(positions(&json_findings(&out)), [("wrong-type".to_string(), 1, 5)], "{out:#?}");
}

/// Each file is checked against the incident.yaml of its own repository, even when one
/// `lint` call covers several repositories.
#[test]
fn each_file_gets_its_own_repositorys_declarations() {
    let env = Env::new();
    let dir = env.dir.path();
    for name in ["shop", "pharmacy"] {
        env.ok(&["init", dir.join(name).to_str().unwrap()]);
    }
    // The pharmacy repository does not declare `web`.
    let cfg = dir.join("pharmacy/incident.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text
        .replace(
            "  web:\n    name: Storefront\n    description: The public website and mobile web\n    revenue_per_hour: 20000\n",
            "",
        );
    assert!(!text.contains("  web:"), "{text}");
    write(&cfg, &text);
    let out = run_in(&env, dir, &["lint", ".", "--format", "json"]);
    let found = json_findings(&out);
    let unknown: Vec<&serde_json::Value> = found.iter().filter(|f| f["rule"] == "unknown-service").collect();
    assert!(!unknown.is_empty(), "{}", out.stdout);
    assert!(
        unknown.iter().all(|f| f["file"].as_str().unwrap().starts_with("pharmacy/runbooks/")),
        "{}",
        out.stdout
    );
}

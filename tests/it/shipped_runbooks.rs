//! The shipped runbooks' checks fail when what they check fails (docs/runbooks.md).
//!
//! A step is *checked* when its exit code is its verdict: it has `expect_exit` or `on_fail`,
//! or it stands in `detect` or `validate` (the phases whose commands confirm a problem or its
//! fix). This is the rule `pipeline-masks-failure` uses (`src/lint/rules/pipeline_masks_failure.rs`).
//!
//! Every checked step's command runs with `sh -c`, as the runner runs it, on a PATH that holds
//! only stubs for the tools that reach a host (`curl`, `kubectl`, `dig`, `psql`, …) and links to
//! a few local text tools (`grep`, `sort`, `awk`, … and the real `jq`). Nothing contacts the
//! network: a tool that is neither stubbed nor linked is absent, and the tests fail if a
//! step tries one ("not found"), so a new tool in a runbook gets a stub here first.
//!
//! - Unreachable: every stub prints nothing on stdout and exits non-zero, as a tool does when
//!   its host cannot be reached. Each checked step must exit with something other than its
//!   `expect_exit` (default 0), after reaching at least one stub.
//! - Healthy (the mirror): the stubs answer as a healthy site would. Each checked step must
//!   exit with its `expect_exit`, so the first test's failures come from the hosts, not from
//!   a command that can never pass.
//!
//! `jq` must be installed (`.ci/run` installs it): these tests fail, never skip, without it.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Tools that reach a host: stubbed in both modes. (tool, exit code when its host is down.)
const NETWORK_TOOLS: &[(&str, i32)] = &[
    ("curl", 7),
    ("wget", 4),
    ("kubectl", 1),
    ("dig", 9),
    ("getent", 2),
    ("psql", 2),
    ("pg_isready", 2),
    ("redis-cli", 1),
    ("nc", 1),
    ("argocd", 20),
    ("aws", 255),
    ("ssh", 255),
    ("mtr", 1),
    ("ipmitool", 1),
    ("openssl", 1),
    ("whois", 1),
    ("patronictl", 1),
];

/// Local tools the commands use on text the shell already holds: the real ones.
const LOCAL_TOOLS: &[&str] = &[
    "jq", "grep", "sort", "uniq", "head", "tail", "cut", "tr", "awk", "sed", "wc", "xargs", "date", "base64",
    "cat",
];

/// What each stub prints when the site is healthy (a `case` on its arguments), exit 0.
const HEALTHY: &[(&str, &str)] = &[
    (
        "curl",
        r#"case "$*" in
  *prometheus*) echo '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"service":"checkout","upstream":"payment-gateway","result":"approved","destination_service":"payments","instance":"node-1"},"value":[1764338400,"0.0004"]}]}}' ;;
  *summary.json*) echo '{"status":{"indicator":"none","description":"All Systems Operational"},"incidents":[]}' ;;
  *synthetic/checkout*) echo '{"order":"SYN-88213","status":"placed"}' ;;
  *) echo '{"status":"ok","errors_5xx_ratio":0.0004}' ;;
esac"#,
    ),
    (
        "kubectl",
        r#"case "$*" in
  *"rollout status"*) echo 'deployment "checkout" successfully rolled out' ;;
  *"rollout history"*) printf 'REVISION  CHANGE-CAUSE\n41        checkout v2.30.4\n' ;;
  *" logs "*) echo '2025-11-28T15:00:00Z INFO order placed in 212ms' ;;
  *status.phase=Pending*) ;;
  *readyReplicas*) printf '12/12' ;;
  *"get nodes"*) echo 'node-1   Ready   <none>   30d   v1.30.4   us-east-1a' ;;
  *" exec "*) printf '10.0.4.12       db-primary.internal\n10.0.9.3        payments.internal\n' ;;
  *) echo 'NAME       READY   UP-TO-DATE   AVAILABLE   AGE' ;;
esac"#,
    ),
    ("dig", "echo 203.0.113.10"),
    ("getent", "echo '10.0.4.12       db-primary.internal'"),
    ("psql", "printf '41%% of max connections\\n0 blocked sessions\\n'"),
    ("pg_isready", "echo 'db-primary.internal:5432 - accepting connections'"),
    ("aws", "echo '[]'"),
];

/// A runbook's checked steps: (runbook file, step id, command, expected exit code).
fn checked_steps() -> Vec<(String, String, String, i32)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("runbooks/")
        .map(|e| e.expect("runbooks/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in &files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let before = out.len();
        for phase in ["detect", "assess", "diagnose", "remediate", "validate"] {
            let steps = doc["phases"][phase]["steps"].as_sequence().cloned().unwrap_or_default();
            for step in steps {
                let Some(run) = step["run"].as_str() else { continue };
                let expect = step.get("expect_exit").and_then(serde_yaml::Value::as_i64);
                let checked = expect.is_some()
                    || step.get("on_fail").is_some()
                    || matches!(phase, "detect" | "validate");
                if checked {
                    let id = step["id"].as_str().unwrap_or("?").to_string();
                    let expect = i32::try_from(expect.unwrap_or(0)).expect("expect_exit fits an exit code");
                    out.push((name.clone(), id, run.to_string(), expect));
                }
            }
        }
        assert!(out.len() > before, "{name} has no checked step: nothing would be tested");
    }
    assert!(files.len() >= 8, "the starter runbooks: {files:?}");
    out
}

/// A PATH of stubs and local tools; `healthy` picks what the stubs do.
fn sandbox(healthy: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin/");
    let which = |tool: &str| {
        ["/usr/local/bin", "/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(tool)).find(|p| p.is_file())
    };
    for tool in LOCAL_TOOLS {
        let real = which(tool).unwrap_or_else(|| {
            panic!("`{tool}` is not installed; the shipped runbooks' checks use it (apt-get install {tool})")
        });
        std::os::unix::fs::symlink(&real, bin.join(tool)).expect("link a local tool");
    }
    let answers: BTreeMap<&str, &str> = HEALTHY.iter().copied().collect();
    for (tool, down) in NETWORK_TOOLS {
        let body = if healthy {
            answers.get(tool).copied().unwrap_or(":").to_string()
        } else {
            format!("echo \"{tool}: could not reach the host (test stub)\" >&2\nexit {down}")
        };
        let script = format!("#!/bin/sh\necho \"{tool} $*\" >> \"$STUB_LOG\"\n{body}\n");
        let path = bin.join(tool);
        std::fs::write(&path, script).expect("write a stub");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod a stub");
    }
    dir
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The stubs called, one line each.
    calls: String,
}

fn run_step(sandbox: &Path, cmd: &str) -> Ran {
    let log = sandbox.join("calls.log");
    let _ = std::fs::remove_file(&log);
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(sandbox)
        .env_clear()
        .env("PATH", sandbox.join("bin"))
        .env("HOME", sandbox)
        .env("LC_ALL", "C")
        .env("STUB_LOG", &log)
        .env("INCIDENT_ID", "2026-11-27-checkout-returns-500")
        .env("INCIDENT_TITLE", "Checkout returns 500")
        .env("INCIDENT_SEVERITY", "SEV1")
        .env("INCIDENT_SERVICES", "checkout")
        .env("INCIDENT_REPO", sandbox)
        .stdin(Stdio::null())
        .output()
        .expect("run sh -c");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        calls: std::fs::read_to_string(&log).unwrap_or_default(),
    }
}

/// Every tool a step runs is stubbed or linked: "not found" would be a vacuous failure.
fn assert_tools_known(file: &str, id: &str, ran: &Ran) {
    assert!(
        !ran.stderr.contains("not found"),
        "{file} `{id}` runs a tool this test neither stubs nor links; add it to NETWORK_TOOLS or LOCAL_TOOLS:\n{}",
        ran.stderr
    );
}

#[test]
fn every_shipped_check_fails_when_its_hosts_are_unreachable() {
    let sandbox = sandbox(false);
    let mut passed = Vec::new();
    for (file, id, cmd, expect) in checked_steps() {
        let ran = run_step(sandbox.path(), &cmd);
        assert_tools_known(&file, &id, &ran);
        assert!(
            !ran.calls.is_empty(),
            "{file} `{id}` reached no stubbed tool; exit {:?}: {}",
            ran.code,
            ran.stderr
        );
        if ran.code == Some(expect) {
            passed.push(format!(
                "{file} `{id}` exits {expect} with every host down:\n  {cmd}\n  stdout: {:?}",
                ran.stdout
            ));
        }
    }
    assert!(passed.is_empty(), "checks that pass while what they check is down:\n{}", passed.join("\n"));
}

#[test]
fn every_shipped_check_passes_when_the_site_is_healthy() {
    let sandbox = sandbox(true);
    let mut failed = Vec::new();
    for (file, id, cmd, expect) in checked_steps() {
        let ran = run_step(sandbox.path(), &cmd);
        assert_tools_known(&file, &id, &ran);
        if ran.code != Some(expect) {
            failed.push(format!(
                "{file} `{id}` exits {:?}, not {expect}, on a healthy site:\n  {cmd}\n  stdout: {:?}\n  stderr: {:?}",
                ran.code, ran.stdout, ran.stderr
            ));
        }
    }
    assert!(failed.is_empty(), "checks that fail on a healthy site:\n{}", failed.join("\n"));
}

/// Regression: `curl … | jq -e …` passed with every host down (a pipeline exits with its
/// last command's status, and jq 1.6 exits 0 on empty input). The mechanism, without jq: the
/// pipeline hides the stub's failure, the captured form does not.
#[test]
fn a_pipeline_hides_an_unreachable_host_and_capturing_does_not() {
    let sandbox = sandbox(false);
    let masked = run_step(sandbox.path(), "curl -fsS http://prometheus.internal:9090 | sort");
    let captured = run_step(
        sandbox.path(),
        "out=$(curl -fsS http://prometheus.internal:9090) && printf '%s\\n' \"$out\" | sort",
    );
    assert_eq!((masked.code, captured.code), (Some(0), Some(7)), "{:?} {:?}", masked.stderr, captured.stderr);
}

/// Regression: the starter `database` runbook's `ssh … | grep | tail` passed (showing
/// nothing) with the host down, and `lint` said nothing because it looked only at checked
/// steps. Every shipped runbook, as `init` installs it, lints with no finding at all.
#[test]
fn every_shipped_runbook_lints_with_no_findings() {
    let env = super::harness::Env::init();
    let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks"))
        .expect("runbooks/")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yaml")))
        .count();
    let installed = std::fs::read_dir(env.path("runbooks")).expect("installed runbooks/").count();
    assert!(shipped >= 8 && installed == shipped, "{installed} installed of {shipped} shipped");
    let out = env.run(&["lint", "--format", "json", "runbooks"]);
    let findings: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(findings, serde_json::json!([]), "{}", env.run(&["lint", "runbooks"]).stdout);
}

//! One model per file format: what `open` (and every command that loads runbooks and
//! `incident.yaml`) accepts is exactly what `lint` accepts without errors, and a file it
//! refuses is named with lint's first error, file:line:column and rule. Proven on every lint
//! fixture, through the real binary.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::harness::Env;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// Every YAML file under `dir`, recursively, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A repository holding the fixture's files: its `incident.yaml` (else the starter one) and
/// its runbooks only, each named after its folder so that files from `a/` and `b/` differ.
fn repo_with(dir: &Path) -> (Env, Vec<String>) {
    let env = Env::init();
    for e in std::fs::read_dir(env.path("runbooks")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let mut runbooks = Vec::new();
    for file in yaml_files(dir) {
        if file.file_name().is_some_and(|n| n == "incident.yaml") {
            std::fs::copy(&file, env.path("incident.yaml")).unwrap();
            continue;
        }
        let rel = file.strip_prefix(dir).unwrap().to_string_lossy().replace('/', "-");
        let name = format!("runbooks/{rel}");
        std::fs::copy(&file, env.path(&name)).unwrap();
        runbooks.push(name);
    }
    (env, runbooks)
}

/// lint's errors (not warnings), by file, as `file:line:column: message [rule]`, sorted.
fn lint_errors(env: &Env, paths: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["lint", "--format", "json"];
    args.extend(paths);
    let out = env.run(&args);
    assert!(out.code == 0 || out.code == 1, "{out:?}");
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let mut errors: Vec<(String, u64, u64, String)> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            let file = f["file"].as_str().unwrap().to_string();
            let (line, col) = (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap());
            (file, line, col, format!("{} [{}]", f["message"].as_str().unwrap(), f["rule"].as_str().unwrap()))
        })
        .collect();
    errors.sort();
    errors.into_iter().map(|(file, l, c, m)| (file.clone(), format!("{file}:{l}:{c}: {m}"))).collect()
}

fn check_dir(dir: &Path) -> usize {
    let (env, runbooks) = repo_with(dir);
    let mut checked = 0;
    // incident.yaml: every command loads it; `list` is accepted exactly when lint has no error.
    let config_errors = lint_errors(&env, &["incident.yaml"]);
    let out = env.run(&["list"]);
    match config_errors.first() {
        None => {
            assert_eq!(out.code, 0, "{}: lint accepts incident.yaml, list refused it: {out:?}", dir.display())
        }
        Some((_, first)) => {
            // Refused: the command runs on the last committed version that passes (the
            // starter's), naming lint's first error; the broken file itself is never used.
            let fell_back = format!("warning: {first}; using incident.yaml as of commit ");
            assert!(
                out.code == 0 && out.stderr.starts_with(&fell_back),
                "{}: lint refuses incident.yaml ({first}), list did not fall back: {out:?}",
                dir.display()
            );
            return 1; // runbooks are checked against another configuration than lint's
        }
    }
    checked += 1;
    if runbooks.is_empty() {
        return checked;
    }
    // Runbooks: asking for one that does not exist makes `open` name every runbook it accepted
    // (`known: …`) and every file it refused, with its first error.
    let refs: Vec<&str> = runbooks.iter().map(String::as_str).collect();
    let errors = lint_errors(&env, &refs);
    let out = env.fails(2, &["open", "T", "--severity", "SEV1", "--runbook", "no-such-runbook"]);
    for file in &runbooks {
        let first = errors.iter().find(|(f, _)| f == file).map(|(_, e)| e);
        let refused = out.stderr.contains(&format!("{file}:"));
        match first {
            Some(first) => assert!(
                out.stderr.contains(first.as_str()),
                "{file}: lint's first error {first:?} is not what open says: {}",
                out.stderr
            ),
            None => assert!(!refused, "{file}: lint accepts it, open refused it: {}", out.stderr),
        }
        checked += 1;
    }
    // And a runbook lint accepts is one `open --runbook` takes.
    for file in runbooks.iter().filter(|f| !errors.iter().any(|(e, _)| e == *f)) {
        let text = std::fs::read_to_string(env.path(file)).unwrap();
        let id = text.lines().find_map(|l| l.strip_prefix("id: ")).unwrap().trim().to_string();
        if errors.is_empty() {
            env.ok(&["open", &format!("Uses {id}"), "--severity", "SEV1", "--runbook", &id]);
        } else {
            let out = env.run(&["open", &format!("Uses {id}"), "--severity", "SEV1", "--runbook", &id]);
            assert_eq!(out.code, 0, "{file}: lint accepts it, open --runbook {id} refused: {out:?}");
        }
    }
    checked
}

#[test]
fn open_accepts_exactly_what_lint_accepts_on_every_fixture() {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(fixtures().join("err")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs.push(fixtures().join("ok"));
    let mut checked = 0;
    for dir in &dirs {
        checked += check_dir(dir);
    }
    // Every fixture folder was looked at, and most hold a runbook.
    assert!(checked >= dirs.len() + 20, "checked only {checked} files");
}

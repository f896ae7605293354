//! `incident lint --check-programs`: every program a command calls is a builtin of `sh`, a
//! function the command defines, or installed here; each missing one is a `missing-program`
//! warning at its first character in the YAML file. The machine is made for the test: a
//! folder of our own on PATH holds the one program that "exists".

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;

use super::harness::{BIN, Env, Out};

/// A repository whose PATH is a `bin/` folder holding `present-tool` and `sudo`, plus the
/// system's own folders (for `env` and `timeout`).
struct Machine {
    env: Env,
    path: String,
}

impl Machine {
    fn new() -> Machine {
        let env = Env::init();
        let bin = env.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        // `sudo` is not on every machine: the test brings its own.
        for name in ["present-tool", "sudo"] {
            executable(&bin.join(name), "#!/bin/sh\nexit 0\n");
        }
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
        Machine { env, path }
    }

    fn lint(&self, args: &[&str]) -> Out {
        Out::from(
            self.env
                .command(BIN)
                .env("PATH", &self.path)
                .args(["lint", "--format", "json"])
                .args(args)
                .stdin(std::process::Stdio::null())
                .output()
                .expect("run incident"),
        )
    }

    /// The `missing-program` findings of linting `args`: (line, column, message).
    fn missing(&self, args: &[&str]) -> Vec<(u64, u64, String)> {
        let out = self.lint(args);
        assert!(out.code == 0 || out.code == 1, "{out:#?}");
        let findings: Vec<Value> =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:#?}"));
        findings
            .iter()
            .filter(|f| f["rule"] == "missing-program")
            .map(|f| {
                assert_eq!(f["severity"], "warning", "{f}");
                (
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn executable(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A runbook of the starter repository's shape whose `remediate` phase holds `steps`.
fn runbook(steps: &str) -> String {
    super::lint::runbook("programs", "", steps)
}

/// Where `needle` starts in `text`: the 1-based line and column (in characters) of its
/// `nth` occurrence, counted here rather than by the linter.
fn at(text: &str, needle: &str, nth: usize) -> (u64, u64) {
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        for (byte, _) in line.match_indices(needle) {
            if seen == nth {
                let col = line.get(..byte).unwrap().chars().count() + 1;
                return (i as u64 + 1, col as u64);
            }
            seen += 1;
        }
    }
    panic!("no {needle:?} #{nth} in the runbook")
}

fn not_found(name: &str) -> String {
    format!("`{name}` is not a shell builtin and is not on this machine's PATH")
}

#[test]
fn missing_programs_are_found_at_their_first_character_through_every_construct() {
    let m = Machine::new();
    executable(&m.env.path("scripts/ok.sh"), "#!/bin/sh\n");
    std::fs::write(m.env.path("scripts/plain.sh"), "#!/bin/sh\n").unwrap();
    let steps = r#"      - id: one-line
        title: A plain one-line command
        run: present-tool --ok | absent-one && absent-two || present-tool
      - id: block
        title: A literal block
        run: |
          if present-tool; then
            absent-if-body "$(absent-subst)"
          fi
          x=`absent-backquote`
          greet() { printf '%s\n' hi; absent-in-function; }
          greet
          cd /tmp && test -n "$x" && [ -n "$x" ] && read -r y < /dev/null
          while false; do :; done; for i in 1; do absent-in-for "$i"; done
          case "$x" in a) absent-in-case ;; esac
          ( absent-in-subshell ); { present-tool; }
          $CMD arg
          "$(present-tool)" arg
          sudo -u root absent-under-sudo; env A=1 absent-under-env
          timeout 5s absent-under-timeout; command -v absent-probe
          ./scripts/ok.sh && ./scripts/absent.sh; ./scripts/plain.sh
"#;
    let text = runbook(steps);
    std::fs::write(m.env.path("runbooks/programs.yaml"), &text).unwrap();
    let found = m.missing(&["runbooks/programs.yaml", "--check-programs"]);
    let expect = |needle: &str, nth: usize, message: String| {
        let (line, col) = at(&text, needle, nth);
        (line, col, message)
    };
    let missing = |name: &str| expect(name, 0, not_found(name));
    let mut expected = vec![
        missing("absent-one"),
        missing("absent-two"),
        missing("absent-if-body"),
        missing("absent-subst"),
        missing("absent-backquote"),
        missing("absent-in-function"),
        missing("absent-in-for"),
        missing("absent-in-case"),
        missing("absent-in-subshell"),
        missing("absent-under-sudo"),
        missing("absent-under-env"),
        missing("absent-under-timeout"),
        expect(
            "./scripts/absent.sh",
            0,
            "`./scripts/absent.sh` does not exist in the repository (commands run from the repository's top folder)"
                .to_string(),
        ),
        expect("./scripts/plain.sh", 0, "`./scripts/plain.sh` is not executable (chmod +x ./scripts/plain.sh)".to_string()),
    ];
    expected.sort();
    let mut found = found;
    found.sort();
    assert_eq!(found, expected);
}

#[test]
fn check_programs_is_off_by_default_and_suppressions_hold() {
    let m = Machine::new();
    let steps = "      - id: rollback
        title: Roll back
        run: absent-rollout undo checkout
      # incident-lint: disable=missing-program
      - id: scale
        title: Scale up
        run: absent-scaler up
";
    let text = runbook(steps);
    std::fs::write(m.env.path("runbooks/programs.yaml"), &text).unwrap();
    assert_eq!(m.missing(&["runbooks/programs.yaml"]), [], "found without --check-programs");
    let (line, col) = at(&text, "absent-rollout", 0);
    assert_eq!(
        m.missing(&["runbooks/programs.yaml", "--check-programs"]),
        [(line, col, not_found("absent-rollout"))]
    );
    // `lint.disable` in incident.yaml switches the rule off for the repository.
    let config = m.env.read("incident.yaml");
    std::fs::write(m.env.path("incident.yaml"), format!("{config}\nlint:\n  disable: [missing-program]\n"))
        .unwrap();
    assert_eq!(m.missing(&["runbooks/programs.yaml", "--check-programs"]), []);
}

/// Broken shell is ShellCheck's to report: this rule says nothing about it, and never fails.
#[test]
fn unparseable_commands_give_no_missing_program() {
    let m = Machine::new();
    let steps = "      - id: broken
        title: Broken shell
        run: if absent-x; then ((( absent-y
";
    std::fs::write(m.env.path("runbooks/programs.yaml"), runbook(steps)).unwrap();
    assert_eq!(m.missing(&["runbooks/programs.yaml", "--check-programs"]), []);
}

/// Regression: the shell parser's scanner crashed the process (SIGSEGV) on a `{` followed by
/// a character past 255, such as an emoji; lint must read any command.
#[test]
fn a_brace_before_an_emoji_does_not_crash_lint() {
    let m = Machine::new();
    let steps = "      - id: emoji
        title: Say it with an emoji
        run: echo {😀..😀} && absent-after-emoji
";
    let text = runbook(steps);
    std::fs::write(m.env.path("runbooks/programs.yaml"), &text).unwrap();
    let (line, col) = at(&text, "absent-after-emoji", 0);
    assert_eq!(
        m.missing(&["runbooks/programs.yaml", "--check-programs"]),
        [(line, col, not_found("absent-after-emoji"))]
    );
}

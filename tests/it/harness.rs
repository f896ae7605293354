//! The test builder: a temporary HOME with a fixed git identity, a repository path, and
//! helpers that run the real binary and the real `git` CLI.

use std::path::PathBuf;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_incident");

pub struct Env {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub home: PathBuf,
    /// One instant, whole seconds, that `ago` counts back from: relative `--at` values are
    /// read against each command's own clock, so a second passing between two commands
    /// moved figures a test asserts to the second.
    pub base: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn from(o: Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The lines of `stderr` that are not hints: an error is one line, and each `hint:` line
/// after it says what to do next.
pub fn without_hints(stderr: &str) -> usize {
    stderr.trim_end().lines().filter(|l| !l.starts_with("hint: ")).count()
}

impl Env {
    /// A home with git identity "Test Responder", and an empty repository path.
    pub fn new() -> Env {
        Env::with_identity(true)
    }

    pub fn with_identity(identity: bool) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut gitconfig = String::from("[init]\n\tdefaultBranch = main\n");
        if identity {
            gitconfig.push_str("[user]\n\tname = Test Responder\n\temail = test@example.com\n");
        }
        std::fs::write(home.join(".gitconfig"), gitconfig).unwrap();
        let repo = dir.path().join("repo");
        let base = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).expect("now");
        Env { dir, repo, home, base }
    }

    /// `minutes` before [`Env::base`], as an absolute `--at` value.
    pub fn ago(&self, minutes: i64) -> String {
        (self.base - chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// An initialized incident repository.
    pub fn init() -> Env {
        let env = Env::new();
        env.ok(&["init", env.repo.to_str().unwrap()]);
        env
    }

    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(if self.repo.exists() { &self.repo } else { self.dir.path() })
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("USER", "tester")
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .env("GIT_COMMITTER_DATE", "2026-11-27T16:00:00Z")
            .env("GIT_AUTHOR_DATE", "2026-11-27T16:00:00Z");
        // Run under `faketime` (see README: tests near midnight), the binary must see the same
        // shifted clock as the test.
        for var in ["LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "DONT_FAKE_MONOTONIC"] {
            if let Some(value) = std::env::var_os(var) {
                c.env(var, value);
            }
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        Out::from(
            self.command(BIN).args(args).stdin(std::process::Stdio::null()).output().expect("run incident"),
        )
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(out.code, 0, "incident {args:?} failed: {out:#?}");
        out
    }

    /// Runs and asserts the exit code, returning the output.
    pub fn fails(&self, code: i32, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(out.code, code, "incident {args:?}: expected exit {code}: {out:#?}");
        out
    }

    /// The real git CLI in the repository; asserts success and returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let o = self.command("git").args(args).output().expect("run git");
        assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.repo.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// The only incident id in the repository.
    /// A repository with one incident on `service`, whose impact started 2 hours before the
    /// test's instant and which was opened 10 minutes later: room for times on both sides.
    pub fn opened_after_impact(title: &str, severity: &str, service: &str) -> (Env, String) {
        let env = Env::init();
        let (started, opened) = (env.ago(120), env.ago(110));
        let args = [
            "open",
            title,
            "--severity",
            severity,
            "--service",
            service,
            "--started-at",
            &started,
            "--at",
            &opened,
        ];
        env.ok(&args);
        let id = env.only_id();
        (env, id)
    }

    pub fn only_id(&self) -> String {
        let ids = self.ids();
        assert_eq!(ids.len(), 1, "{ids:?}");
        ids[0].clone()
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.path("incidents"))
            .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    pub fn events(&self, id: &str) -> Vec<serde_json::Value> {
        self.read(&format!("incidents/{id}/events.jsonl"))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
            .collect()
    }

    /// The incident's log, as bytes on disk (as text).
    pub fn log_of(&self, id: &str) -> String {
        self.read(&format!("incidents/{id}/events.jsonl"))
    }

    /// `incident ARGS` exits 2 with a one-line error containing `needle`, and the incident's
    /// log is unchanged byte for byte.
    pub fn refused(&self, id: &str, args: &[&str], needle: &str) {
        let before = self.log_of(id);
        let out = self.fails(2, args);
        let err = out.stderr.trim_end();
        assert_eq!(without_hints(err), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: expected {needle:?} in {err}");
        assert_eq!(self.log_of(id), before, "{args:?} wrote to the log");
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stdout))
    }
}

/// Whether the real `shellcheck` is on `PATH`, for a test that needs it. Under CI (`CI=true`,
/// where `.ci/run` installs it) it must be: the test fails rather than pass unchecked.
/// Elsewhere the test is skipped, and says so.
pub fn shellcheck_installed(test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("shellcheck").is_file()));
    peer_ready(test, (!found).then(|| "shellcheck (apt-get install shellcheck)".to_string()))
}

/// Whether a real peer a test checks against (a browser, a published client, a parser) is
/// here: `missing` says what is not, and how to install it. Under CI (`CI=true`, where
/// `.ci/run` installs every peer) a missing one fails the test rather than let it pass
/// unchecked; elsewhere the test is skipped, and says so.
pub fn peer_ready(check: &str, missing: Option<String>) -> bool {
    let Some(what) = missing else { return true };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{check} needs {what}, and CI must run it (.ci/run installs it)"
    );
    eprintln!("SKIPPED {check}: it needs {what}");
    false
}

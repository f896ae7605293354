//! `incident lint` on broken and hostile input: it never panics, every finding points inside
//! the file, and inputs built to exhaust a parser (deep nesting, huge files, alias bombs,
//! 100k keys) get a clear finding and exit 1 in bounded time. The deterministic mutation test
//! runs the library directly (fast); the hostile inputs go through the real binary.
//! (The open-ended search is `fuzz/`, with cargo-fuzz.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use incident::internals::lint::{self, Context, Declared, Finding};

use super::harness::{BIN, Env};

/// A tiny, seeded PRNG (xorshift64*): the same mutations on every run and machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-enough in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Lines as YAML counts them (LF, CRLF, bare CR), counted independently of the linter.
fn yaml_lines(text: &str) -> usize {
    let b = text.as_bytes();
    let breaks =
        (0..b.len()).filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n'))).count();
    breaks + usize::from(!text.is_empty() && !text.ends_with(['\n', '\r']))
}

/// Start offsets of the lines of `b` (split at LF).
fn line_starts(b: &[u8]) -> Vec<usize> {
    std::iter::once(0).chain(b.iter().enumerate().filter(|(_, c)| **c == b'\n').map(|(i, _)| i + 1)).collect()
}

/// The byte range of one random line (without its LF).
fn pick_line(b: &[u8], rng: &mut Rng) -> (usize, usize) {
    let starts = line_starts(b);
    let k = rng.below(starts.len());
    let from = starts[k];
    let to = starts.get(k + 1).map_or(b.len(), |s| s - 1);
    (from, to.max(from))
}

const SNIPPETS: &[&str] = &[
    "&a ",
    "*a",
    "*a ",
    "[&a x, *a]",
    "{k: &a v, l: *a}\n",
    "\t",
    "[",
    "{",
    "]",
    "}",
    ": ",
    "- ",
    "? ",
    "#",
    "'",
    "\"",
    "|\n",
    ">-\n",
    "\r",
    "\u{feff}",
    "\u{0}",
    "é",
    "---\n",
    "...\n",
    "!!binary ",
    "%YAML 1.2\n",
    "{{ title }}",
    "$INCIDENT_TITLE",
    "rm -rf /",
    "choices: {x: nowhere}\n",
    " # incident-lint: disable=dangerous-command\n",
    "# incident-lint: disable-file=missing-phase\n",
    "budget: 99999999999999999999d\n",
    "expect_exit: -1\n",
    "id: Not An Id\n",
];

/// One random change to `b`: byte flips, truncation, line deletion, duplication and swaps,
/// re-indentation, YAML syntax (anchors, aliases, tabs, brackets), deep nesting, long lines.
fn mutate(b: &mut Vec<u8>, rng: &mut Rng) {
    let at = rng.below(b.len() + 1);
    match rng.below(12) {
        0 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] ^= 1 << rng.below(8);
        }
        1 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] = rng.next() as u8;
        }
        2 => b.truncate(at),
        3 => {
            let (from, to) = pick_line(b, rng);
            b.drain(from..(to + 1).min(b.len()));
        }
        4 => {
            let (from, to) = pick_line(b, rng);
            let mut line = b[from..to].to_vec();
            line.push(b'\n');
            b.splice(from..from, line);
        }
        5 => {
            // Swap a line with the next one.
            let (from, to) = pick_line(b, rng);
            if to < b.len() {
                let next_end = b[to + 1..].iter().position(|c| *c == b'\n').map_or(b.len(), |p| to + 1 + p);
                let mut swapped = b[to + 1..next_end].to_vec();
                swapped.push(b'\n');
                swapped.extend_from_slice(&b[from..to]);
                b.splice(from..next_end, swapped);
            }
        }
        6 => {
            // Re-indent a line: more, fewer, or tabs.
            let (from, _) = pick_line(b, rng);
            match rng.below(3) {
                0 => drop(b.splice(from..from, b"  ".iter().copied())),
                1 => {
                    if b.get(from) == Some(&b' ') {
                        b.remove(from);
                    }
                }
                _ => drop(b.splice(from..from, b"\t".iter().copied())),
            }
        }
        7 => {
            // Deep nesting, in flow or block style.
            let depth = 1 + rng.below(300);
            let nest: Vec<u8> = match rng.below(3) {
                0 => "[".repeat(depth).into_bytes(),
                1 => "{a: ".repeat(depth).into_bytes(),
                _ => "- ".repeat(depth).into_bytes(),
            };
            b.splice(at..at, nest);
        }
        8 => {
            // A very long line.
            let long = match rng.below(3) {
                0 => "x".repeat(10_000 + rng.below(100_000)),
                1 => "é".repeat(5_000 + rng.below(20_000)),
                _ => "[a, ".repeat(1_000 + rng.below(5_000)),
            };
            b.splice(at..at, long.into_bytes());
        }
        9 => {
            // A range of the file repeated, or cut out.
            let end = (at + rng.below(2_000)).min(b.len());
            if rng.below(2) == 0 {
                let piece = b[at..end].to_vec();
                b.splice(at..at, piece);
            } else {
                b.drain(at..end);
            }
        }
        _ => {
            let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
            b.splice(at..at, snippet.bytes());
        }
    }
}

/// The starter repository's services and severities, so the checks against incident.yaml run.
fn declared() -> Context {
    Context {
        declared: Some(Declared {
            services: ["web", "checkout", "grocery", "pharmacy", "marketplace"].map(String::from).to_vec(),
            severities: BTreeMap::from([
                ("SEV1".to_string(), 2 * 3600),
                ("SEV2".to_string(), 3 * 3600),
                ("SEV3".to_string(), 9 * 3600 + 45 * 60),
                ("SEV4".to_string(), 5 * 86_400),
            ]),
        }),
        ..Context::default()
    }
}

fn starter_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("runbooks"))
        .expect("runbooks/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let mut out: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let name = format!("runbooks/{}", p.file_name().unwrap().to_string_lossy());
            (name, std::fs::read_to_string(p).expect("read runbook"))
        })
        .collect();
    out.push((
        "incident.yaml".into(),
        std::fs::read_to_string(root.join("config/incident.yaml")).expect("config"),
    ));
    out
}

/// Lints `text` as `name`, turning a panic into a failure that names the seed and keeps the
/// input for replay.
fn lint_or_report(name: &str, text: &str, cx: &Context, seed: u64) -> Vec<Finding> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lint::lint_text(name, text, cx))).unwrap_or_else(
        |_| {
            let keep = std::env::temp_dir().join(format!("lint-robust-{seed}.yaml"));
            let _ = std::fs::write(&keep, text);
            panic!("lint panicked on {name} mutated with seed {seed}; input kept in {}", keep.display())
        },
    )
}

fn check_positions(name: &str, text: &str, findings: &[Finding], seed: u64) {
    let lines = yaml_lines(text);
    for f in findings {
        assert_eq!(f.file, name, "seed {seed}: {f:?}");
        assert!(f.line >= 1 && f.column >= 1, "seed {seed}: {name}: position not 1-based: {f:?}");
        assert!(
            f.line <= lines + 1,
            "seed {seed}: {name}: line {} past the end ({lines} lines): {f:?}",
            f.line
        );
        let rule = lint::find_rule(f.rule).unwrap_or_else(|| panic!("seed {seed}: unknown rule in {f:?}"));
        assert_eq!(rule.severity, f.severity, "seed {seed}: {f:?}");
        assert!(!f.message.is_empty(), "seed {seed}: {f:?}");
    }
}

/// Mutated starter runbooks and incident.yaml: 500 variants each (4,500 in all), one to
/// four mutations apiece, all seeded; the files are shared out over the cores.
#[test]
fn mutated_starter_files_never_panic_and_point_inside_the_file() {
    const VARIANTS: u64 = 500;
    let files = starter_files();
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(files.len());
    let rules_seen: std::collections::BTreeSet<&str> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let (cx, outside) = (declared(), Context::default());
                    let mut seen = std::collections::BTreeSet::new();
                    while let Some((name, original)) =
                        files.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        let n = files.iter().position(|(f, _)| f == name).unwrap() as u64;
                        // The originals are clean, apart from warnings.
                        let clean = lint::lint_text(name, original, &cx);
                        assert!(
                            clean.iter().all(|f| f.severity == lint::Severity::Warning),
                            "{name}: {clean:#?}"
                        );
                        for v in 0..VARIANTS {
                            let seed = n << 32 | v;
                            let mut rng = Rng::new(seed);
                            let mut bytes = original.clone().into_bytes();
                            for _ in 0..1 + rng.below(4) {
                                mutate(&mut bytes, &mut rng);
                            }
                            let text = String::from_utf8_lossy(&bytes);
                            // Inside the repository on odd seeds, outside it on even ones.
                            let context = if v % 2 == 1 { &cx } else { &outside };
                            let findings = lint_or_report(name, &text, context, seed);
                            check_positions(name, &text, &findings, seed);
                            seen.extend(findings.iter().map(|f| f.rule));
                        }
                    }
                    seen
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    eprintln!(
        "lint_robust: {} mutated files linted in {:.2?}; rules hit: {rules_seen:?}",
        files.len() as u64 * VARIANTS,
        started.elapsed()
    );
    // The mutations reach the parser's and the rules' error paths, not just one of them.
    for rule in ["yaml-syntax", "yaml-alias", "yaml-limits", "duplicate-key", "unknown-key", "wrong-type"] {
        assert!(rules_seen.contains(rule), "no mutation produced {rule}: {rules_seen:?}");
    }
}

/// The linter on the file alone: bytes that are not UTF-8 at all (the binary reads those).
#[test]
fn invalid_utf8_is_a_finding_with_its_position() {
    let env = Env::new();
    std::fs::create_dir_all(env.dir.path().join("rb")).unwrap();
    let file = env.dir.path().join("rb/bad.yaml");
    std::fs::write(&file, b"id: x\ntitle: caf\xe9\n").unwrap();
    let (out, _) = lint_bounded(&env, &file);
    let findings = findings(&out.stdout);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        findings.iter().any(|f| f["rule"] == "yaml-syntax" && f["line"] == 2 && f["column"] == 11),
        "{findings:#?}"
    );
}

/// Output of one bounded run.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `incident lint FILE --format json`, killing it (and failing) if it has not finished in
/// a minute: a hang is a failure, not a stuck CI job. Returns the output and the wall time.
fn lint_bounded(env: &Env, file: &Path) -> (Ran, Duration) {
    const HANG: Duration = Duration::from_secs(60);
    let out_path = env.dir.path().join("lint.out");
    let err_path = env.dir.path().join("lint.err");
    let started = Instant::now();
    let mut child = env
        .command(BIN)
        .args(["lint", "--format", "json"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("run incident lint");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("incident lint {} did not finish within {HANG:?}", file.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let ran = Ran {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
    };
    (ran, elapsed)
}

fn findings(stdout: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    v.as_array().expect("an array of findings").clone()
}

/// Writes `text` as a runbook, lints it with the real binary, and checks: exit 1, no crash
/// (nothing on stderr), a `rule` finding at a position inside the file.
fn hostile(what: &str, text: &str, rule: &str) -> Vec<serde_json::Value> {
    let env = Env::new();
    std::fs::create_dir_all(env.dir.path().join("runbooks")).unwrap();
    let file = env.dir.path().join("runbooks/hostile.yaml");
    std::fs::write(&file, text).unwrap();
    let (out, elapsed) = lint_bounded(&env, &file);
    eprintln!("lint_robust: {what} ({} bytes): exit {} in {elapsed:.2?}", text.len(), out.code);
    assert_eq!(out.code, 1, "{what}: {out:?}");
    assert!(out.stderr.is_empty(), "{what}: {}", out.stderr);
    let found = findings(&out.stdout);
    let lines = yaml_lines(text) as u64;
    for f in &found {
        let line = f["line"].as_u64().unwrap();
        assert!(line >= 1 && line <= lines + 1 && f["column"].as_u64().unwrap() >= 1, "{what}: {f}");
    }
    assert!(found.iter().any(|f| f["rule"] == rule), "{what}: no {rule} finding: {found:#?}");
    found
}

#[test]
fn ten_thousand_levels_of_nesting_are_a_limits_finding() {
    let n = 10_000;
    hostile("10,000 [", &"[".repeat(n), "yaml-limits");
    hostile("10,000 {a:", &format!("{}x{}", "{a: ".repeat(n), "}".repeat(n)), "yaml-limits");
    hostile("10,000 block sequences", &format!("{}x\n", "- ".repeat(n)), "yaml-limits");
    hostile("10,000 nested keys", &format!("{}x\n", "a: ".repeat(n)), "yaml-syntax");
}

#[test]
fn a_file_over_four_mib_is_a_limits_finding() {
    let (_, runbook) = &starter_files()[0];
    let mut text = runbook.clone();
    text.push_str("# padding\n");
    let filler = "# ".to_string() + &"lorem ipsum dolor sit amet ".repeat(4) + "\n";
    while text.len() <= 4 << 20 {
        text.push_str(&filler);
    }
    let found = hostile("a 4 MiB+ runbook", &text, "yaml-limits");
    assert!(found.iter().any(|f| f["message"].as_str().unwrap().contains("limited to")), "{found:#?}");
}

#[test]
fn an_alias_bomb_is_not_expanded() {
    // Billion laughs: nine levels of nine aliases, 9^9 strings if expanded.
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..=9 {
        let prev = format!("*a{}", level - 1);
        text.push_str(&format!("a{level}: &a{level} [{}]\n", [prev.as_str(); 9].join(", ")));
    }
    let found = hostile("billion laughs", &text, "yaml-alias");
    assert_eq!(found.iter().filter(|f| f["rule"] == "yaml-alias").count(), 81, "each alias is reported once");
}

#[test]
fn a_hundred_thousand_keys_are_a_limits_finding() {
    let text: String = (0..100_000).map(|i| format!("k{i}: {i}\n")).collect();
    hostile("100,000 keys", &text, "yaml-limits");
    let text: String = (0..100_000).map(|i| format!("- {{k{i}: {i}}}\n")).collect();
    hostile("100,000 one-key mappings", &text, "yaml-limits");
}

/// Shapes that are valid YAML but stress the rules rather than the parser: tens of thousands
/// of suppression comments, dangling answers, and answers of one decision.
#[test]
fn generated_runbooks_of_extreme_shape_finish() {
    let head = "id: hostile\ntitle: t\nservices: [web]\nseverities: [SEV1]\nphases:\n  detect:\n    steps:\n";
    hostile("100,000 suppression comments", &"# incident-lint: disable=x\n".repeat(100_000), "missing-field");

    let mut text = head.to_string();
    for i in 0..4_000 {
        text.push_str(&format!("      - {{id: s{i}, title: t}}\n"));
    }
    text.push_str("      - id: last\n        title: t\n        choices:\n");
    for j in 0..10_000 {
        text.push_str(&format!("          a{j}: nowhere{j}\n"));
    }
    let found = hostile("10,000 dangling answers", &text, "dangling-branch");
    assert!(found.iter().all(|f| f["message"].as_str().unwrap().len() < 2_000));

    let mut text = head.to_string() + "      - id: first\n        title: t\n        choices:\n";
    for j in 0..10_000 {
        text.push_str(&format!("          a{j}: s{}\n", j % 4_000));
    }
    for i in 0..4_000 {
        text.push_str(&format!("      - {{id: s{i}, title: t}}\n"));
    }
    hostile("one decision with 10,000 answers", &text, "missing-phase");
}

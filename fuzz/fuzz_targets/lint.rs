//! Arbitrary bytes through the linter, as a runbook, as `incident.yaml` and as a template:
//! it must never panic, and every finding must point inside the file (1-based line and
//! column, at most one line past the last). Lines are counted as YAML counts them: a bare
//! CR breaks a line too.
//!
//! From `fuzz/`, seeded with the starter files (cargo-fuzz needs nightly, or
//! RUSTC_BOOTSTRAP=1 on stable):
//!
//!     mkdir -p corpus/lint && cp ../runbooks/*.yaml ../config/incident.yaml ../templates/*.j2 corpus/lint/
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run lint -- -max_total_time=300 -dict=lint.dict -timeout=10 -fork=2
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use incident::internals::lint::{self, Context, Declared};
use libfuzzer_sys::fuzz_target;

/// As inside the starter repository, so the checks against incident.yaml run too.
static DECLARED: LazyLock<Context> = LazyLock::new(|| Context {
    declared: Some(Declared {
        services: ["web", "checkout", "grocery", "pharmacy", "marketplace"].map(String::from).to_vec(),
        severities: BTreeMap::from([
            ("SEV1".to_string(), 3 * 3600),
            ("SEV2".to_string(), 6 * 3600),
            ("SEV3".to_string(), 24 * 3600),
        ]),
    }),
    // The programs each command calls are looked up too (the shell parser meets every input).
    check_programs: true,
    ..Context::default()
});

static OUTSIDE: LazyLock<Context> = LazyLock::new(Context::default);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = yaml_lines(&text);
    for (name, cx) in [
        ("runbooks/fuzz.yaml", &*DECLARED),
        ("runbooks/fuzz.yaml", &*OUTSIDE),
        ("incident.yaml", &*DECLARED),
        ("templates/fuzz.md.j2", &*OUTSIDE),
    ] {
        for f in lint::lint_text(name, &text, cx) {
            assert!(f.line >= 1 && f.column >= 1, "{name}: finding at {}:{}: {f:?}", f.line, f.column);
            assert!(f.line <= lines + 1, "{name}: finding on line {} of {lines}: {f:?}", f.line);
        }
    }
});

/// Lines as YAML counts them: LF, CRLF and a bare CR each end one.
fn yaml_lines(text: &str) -> usize {
    let b = text.as_bytes();
    let breaks =
        (0..b.len()).filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n'))).count();
    breaks + usize::from(!text.is_empty() && !text.ends_with(['\n', '\r']))
}

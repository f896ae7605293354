//! Arbitrary text through secret redaction (SECURITY.md): it never panics; it is idempotent
//! (redacting what was redacted changes nothing); and a planted secret of every built-in
//! family (`incident::internals::redact::SAMPLES`), and one matching a repository pattern, put on a
//! line of its own between arbitrary lines, never survives.
//!
//! From `fuzz/` (cargo-fuzz needs nightly, or RUSTC_BOOTSTRAP=1 on stable), seeded with the
//! samples (`-dict=redact.dict` gives the mutator the patterns' needles):
//!
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run redact -- -max_total_time=600 -timeout=10 -max_len=4096 -dict=redact.dict
//!
//! Found so far (each kept as a regression test in `src/redact.rs`): an empty header value
//! running on into the next line and hiding the header there; two patterns disagreeing on
//! where a value ends, so that redaction never settled. Then 807,014 runs in 9 minutes
//! found nothing more.
#![no_main]

use std::sync::OnceLock;

use incident::internals::redact::{self, SAMPLES};
use libfuzzer_sys::fuzz_target;

/// A repository pattern, as `incident.yaml`'s `redact:` would give it.
fn extra() -> &'static [regex::Regex] {
    static EXTRA: OnceLock<Vec<regex::Regex>> = OnceLock::new();
    EXTRA.get_or_init(|| vec![redact::compile("itk_[A-Za-z0-9]{20}").expect("a valid pattern")])
}

const PLANTED_EXTRA: &str = "itk_Q1w2E3r4T5y6U7i8O9p0";

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);

    let once = redact::redact_with(&text, extra());
    let twice = redact::redact_with(&once, extra());
    assert_eq!(twice, once, "not idempotent on {text:?}");

    let (planted, secret) = match usize::from(pick) % (SAMPLES.len() + 1) {
        i if i < SAMPLES.len() => SAMPLES[i],
        _ => (PLANTED_EXTRA, PLANTED_EXTRA),
    };
    let cut = text
        .char_indices()
        .nth(usize::from(pick) * 7 % (text.chars().count() + 1))
        .map_or(text.len(), |(i, _)| i);
    let (before, after) = text.split_at(cut);
    if before.contains(secret) || after.contains(secret) {
        return;
    }
    let with = format!("{before}\n{planted}\n{after}");
    let out = redact::redact_with(&with, extra());
    assert!(!out.contains(secret), "{secret:?} survived in {with:?} → {out:?}");
    assert_eq!(redact::redact_with(&out, extra()), out, "not idempotent on {with:?}");
});

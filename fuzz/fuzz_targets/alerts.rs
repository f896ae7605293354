//! Arbitrary bytes as an alert notification's body, in each format and told apart by `auto`:
//! the parsers answer with a notification or the field that is wrong, never a panic; an
//! accepted notification's alerts each have a name and a fingerprint; what `auto` accepts,
//! the format it picked accepts the same way.
//!
//! From `fuzz/` (cargo-fuzz needs nightly, or RUSTC_BOOTSTRAP=1 on stable), seeded with the
//! senders' own examples:
//!
//!     mkdir -p corpus/alerts && cp ../tests/fixtures/alerts/*.json corpus/alerts/
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run alerts corpus/alerts -- -max_total_time=600 -max_len=65536
#![no_main]

use incident::internals::alerts::{Format, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [Format::Alertmanager, Format::Grafana, Format::Pagerduty] {
        if let Err(e) = parse(data, format) {
            assert!(!e.field.is_empty() && !e.expected.is_empty(), "{e:?}");
        }
    }
    match parse(data, Format::Auto) {
        Ok(n) => {
            for a in &n.alerts {
                assert!(!a.name.is_empty(), "an alert without a name: {a:?}");
            }
            let picked = match n.source {
                "alertmanager" => Format::Alertmanager,
                "grafana" => Format::Grafana,
                _ => Format::Pagerduty,
            };
            assert_eq!(parse(data, picked).as_ref(), Ok(&n));
        }
        Err(e) => assert!(!e.field.is_empty() && !e.expected.is_empty(), "{e:?}"),
    }
});

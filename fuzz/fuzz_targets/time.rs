//! Arbitrary text as a time (`--at`, `--started-at`) and as a duration (`5m`, budgets): the
//! parsers never panic, whatever the magnitude, with the clock fixed so a finding replays.
//!
//! From `fuzz/` (cargo-fuzz needs nightly, or RUSTC_BOOTSTRAP=1 on stable):
//!
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run time -- -max_total_time=300 -dict=time.dict -timeout=10
#![no_main]

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use incident::internals::timefmt;
use libfuzzer_sys::fuzz_target;

static NOW: LazyLock<DateTime<Utc>> = LazyLock::new(|| {
    DateTime::parse_from_rfc3339("2026-11-27T14:02:00Z").expect("a time").with_timezone(&Utc)
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = timefmt::parse_time(text, *NOW) {
        let _ = timefmt::rfc3339(t);
        let _ = timefmt::stored(t);
    }
    if let Some(secs) = timefmt::parse_duration(text) {
        assert!(secs >= 0, "{text:?} is {secs}s");
        let _ = timefmt::human(secs);
    }
});

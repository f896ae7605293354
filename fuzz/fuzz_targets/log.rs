//! Arbitrary bytes as an incident's event log (docs/record.md, "nothing bricks an incident"):
//! reading never panics and never fails; every unreadable line is named by a line that
//! exists; what `doctor --fix` keeps reads back as the same events with nothing unreadable,
//! and what it moves plus what it keeps accounts for every line. Every event read writes
//! back to a line that reads as the same event.
//!
//! From `fuzz/` (cargo-fuzz needs nightly, or RUSTC_BOOTSTRAP=1 on stable), seeded with the
//! demo's log (`incident demo` prints its postmortem's path; `events.jsonl` is beside it):
//!
//!     mkdir -p corpus/log && cp "$(dirname "$(incident demo)")/events.jsonl" corpus/log/demo.jsonl
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run log corpus/log -- -max_total_time=300 -timeout=10 -max_len=8192
#![no_main]

use incident::internals::events::{self, Event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let log = events::parse(data);
    let lines = data.split(|b| *b == b'\n').count() - usize::from(data.ends_with(b"\n"));
    let lines = if data.is_empty() { 0 } else { lines };
    let mut last = 0;
    for u in &log.unreadable {
        assert!(u.line > last && u.line <= lines, "line {} of {lines}: {u:?}", u.line);
        last = u.line;
    }
    if let Some(torn) = log.torn_line {
        assert!(!data.ends_with(b"\n") && torn == lines && torn > last, "torn {torn} of {lines}");
    }
    assert!(log.events.len() + log.unreadable.len() <= lines);

    for e in &log.events {
        let line = serde_json::to_string(e).expect("an event read is an event written");
        let back: Event = serde_json::from_str(&line).expect("an event written is an event read");
        assert_eq!(&back, e, "{line}");
    }

    let (keep, moved) = events::without_unreadable(data);
    let kept = events::parse(&keep);
    assert!(kept.unreadable.is_empty() && kept.torn_line.is_none(), "{kept:?}");
    assert_eq!(kept.events, log.events);
    assert_eq!(moved.len(), log.unreadable.len() + usize::from(log.torn_line.is_some()));
    let moved_bytes: usize = moved.iter().map(|(_, l)| l.len()).sum();
    assert!(keep.len() + moved_bytes <= data.len() + 1);
});

//! Arbitrary bytes as a tree entry's name, as a remote's tree may carry it: whatever the
//! check accepts is one plain path component that no file system reads as git's own folder.
//!
//! From `fuzz/` (cargo-fuzz needs nightly, or RUSTC_BOOTSTRAP=1 on stable):
//!
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run safe_path -- -max_total_time=300 -dict=safe_path.dict
#![no_main]

use std::path::{Component, Path};

use incident::internals::safe_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if safe_path::check_name(data).is_err() {
        return;
    }
    let name = std::str::from_utf8(data).expect("an accepted name is UTF-8");
    let root = Path::new("/repo");
    let joined = root.join(name);
    let below: Vec<Component> =
        joined.strip_prefix(root).expect("stays below the root").components().collect();
    assert_eq!(below.len(), 1, "{name:?} is more than one component");
    assert!(matches!(below[0], Component::Normal(_)), "{name:?}");
    assert!(!data.iter().any(|b| *b < 0x20 || *b == 0x7f), "{name:?} has a control character");
    let plain: String = name
        .chars()
        .filter(|c| !matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'))
        .collect();
    let plain = plain.trim_end_matches(['.', ' ']).to_ascii_lowercase();
    assert!(plain != ".git" && plain != "git~1", "{name:?} reads as .git");
    // A path of accepted names is accepted as a path.
    assert!(safe_path::check_path(&format!("incidents/{name}/events.jsonl")).is_ok());
});

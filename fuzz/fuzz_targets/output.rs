//! Arbitrary bytes, in arbitrary chunks, as a command's output (SECURITY.md: "command output is
//! read with bounded memory"): the capture never holds more than `OUTPUT_CAP` bytes; what it
//! logs is stable under redaction (so no secret pattern is left in it, and the log's door,
//! which redacts again, changes nothing: the marker is never taken for a secret); output that
//! fits is kept whole, output that does not carries the marker with a count no larger than
//! what was dropped; and how the bytes were chunked does not matter.
//!
//! Input: a control byte, then a piece of up to 64 bytes; the control byte says how long the
//! piece is and how many times it is pushed (1, 16, 256 or 4096), so small inputs make
//! outputs well past the cap. From `fuzz/` (nightly, or RUSTC_BOOTSTRAP=1 on stable):
//!
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run output -- -dict=output.dict -max_total_time=600 -timeout=10
#![no_main]

use incident::internals::redact::redact;
use incident::internals::runner::{Capture, OUTPUT_CAP};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut pieces: Vec<(&[u8], usize)> = Vec::new();
    let mut rest = data;
    while let Some((&control, after)) = rest.split_first() {
        let len = usize::from(control & 0x3f) + 1;
        let (piece, after) = after.split_at(len.min(after.len()));
        pieces.push((piece, 1 << (4 * (control >> 6))));
        rest = after;
    }
    let mut capture = Capture::new();
    let mut all = Vec::new();
    for (piece, times) in &pieces {
        for _ in 0..*times {
            capture.push(piece);
            assert!(capture.held() <= OUTPUT_CAP, "holds {}", capture.held());
            if all.len() < 1 << 20 {
                all.extend_from_slice(piece);
            }
        }
    }
    let total = capture.total();
    let (text, truncated) = capture.finish();

    assert_eq!(redact(&text), text, "not stable under redaction: {text:?}");
    assert!(text.len() <= 4 * OUTPUT_CAP + 200, "{} bytes logged", text.len());
    if truncated {
        // The output itself may imitate the marker: some `[… N bytes …]` line must be real.
        let counts: Vec<u64> = text
            .match_indices("[… ")
            .filter_map(|(i, m)| text[i + m.len()..].split_once(" bytes of output dropped …]\n"))
            .filter_map(|(n, _)| n.parse::<u64>().ok())
            .collect();
        let count = counts
            .into_iter()
            .find(|&n| n > 0 && n <= total)
            .unwrap_or_else(|| panic!("no marker in {text:?}"));
        assert!(count > 0 && count <= total, "{count} of {total}");
    } else {
        assert!(total <= OUTPUT_CAP as u64);
        assert_eq!(text, redact(&String::from_utf8_lossy(&all)));
    }

    // One chunk or many: the same text.
    if (all.len() as u64) == total {
        let mut whole = Capture::new();
        whole.push(&all);
        assert_eq!(whole.finish(), (text, truncated));
    }
});

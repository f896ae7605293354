//! Arbitrary bytes as YAML, and every scalar in the tree mapped back to the file: it must
//! never panic; every character of a value placed exactly must land on itself in the file
//! (an escape on its backslash or doubled quote, a line break or folded space anywhere on
//! the scalar's lines), in order. What the map cannot place it must say (`exact` false),
//! never guess.
//!
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run scalar -- -max_total_time=300 -timeout=10
#![no_main]

use incident::internals::yaml::{self, Node, Pos, ScalarMap, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (root, _) = yaml::parse(&text);
    let lines: Vec<&str> = yaml::lines(&text).collect();
    if let Some(root) = root {
        visit(&text, &lines, &root, 0);
    }
});

fn visit(text: &str, lines: &[&str], node: &Node, depth: usize) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| visit(text, lines, n, depth + 1)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            visit(text, lines, k, depth + 1);
            visit(text, lines, v, depth + 1);
        }),
        Value::Alias => {}
        Value::Scalar(value, _) => check(text, lines, node, value),
    }
}

fn check(text: &str, lines: &[&str], node: &Node, value: &str) {
    let map = ScalarMap::new(text, node);
    if !map.exact() {
        return;
    }
    let mut last = Pos::default();
    for (i, c) in value.chars().enumerate() {
        let at = map.at_char(i);
        assert!(at.line >= 1 && at.col >= 1, "char {i} at {at:?}");
        let found = lines.get(at.line - 1).and_then(|l| l.chars().nth(at.col - 1));
        if c.is_whitespace() {
            continue;
        }
        let ok = found == Some(c) || found == Some('\\') || (c == '\'' && found == Some('\''));
        assert!(ok, "char {i} {c:?} placed at {at:?} on {found:?}");
        assert!(at > last, "char {i} {c:?} at {at:?} is not after {last:?}");
        last = at;
    }
}

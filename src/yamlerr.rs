//! Turns a serde_yaml error into a compiler-style `file:line:column: message` error.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::Error;

/// serde_yaml repeats positions inside its message; the `file:line:col` prefix says it once.
static POSITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r" at line \d+ column \d+").unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

pub fn to_error(path: &Path, e: &serde_yaml::Error) -> Error {
    let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    let message = POSITION.replace_all(&e.to_string(), "").into_owned();
    Error::BadFile { at: format!("{}:{line}:{col}", path.display()), message }
}

//! Turns a serde_yaml error into a compiler-style `file:line:column: message` error.

use std::path::Path;

use crate::error::Error;

pub fn to_error(path: &Path, e: &serde_yaml::Error) -> Error {
    let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    // serde_yaml appends " at line X column Y" to its message; the prefix says it already.
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    Error::BadFile { at: format!("{}:{line}:{col}", path.display()), message }
}

//! Names of people (`--as`, role holders, owners, commanders): one line, not empty. A name
//! that spans lines would break the timeline, the tables and commit trailers.

use crate::error::{InputError, Result};

/// The name, trimmed, or an error naming the flag it came from.
pub fn check(flag: &'static str, value: String) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.contains(['\n', '\r']) {
        return Err(InputError::BadName { flag, value }.into());
    }
    Ok(trimmed.to_string())
}

//! Names of people (`--as`, role holders, owners, commanders): one line, not empty. A name
//! that spans lines would break the timeline, the tables and commit trailers. And the name of
//! an incident or a maintenance, its title: at most a line's worth of characters.

use crate::error::{InputError, Result};

/// The name, trimmed, or an error naming the flag it came from.
pub fn check(flag: &'static str, value: String) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.contains(['\n', '\r']) {
        return Err(InputError::BadName { flag, value }.into());
    }
    Ok(trimmed.to_string())
}

/// The longest title, in characters after trimming: a title is the line customers would
/// recognise, and it heads every list, card and postmortem; details go in the log.
pub const MAX_TITLE: usize = 200;

/// Refuses a title longer than [`MAX_TITLE`].
pub fn check_title(title: &str) -> Result<()> {
    let length = title.trim().chars().count();
    if length > MAX_TITLE {
        return Err(InputError::TitleTooLong { length, limit: MAX_TITLE }.into());
    }
    Ok(())
}

/// A link (an action item's, a change's): an http(s) URL with a host, on one line, without
/// spaces.
pub fn check_link(link: &str) -> Result<()> {
    let bad = || InputError::BadLink { value: link.to_string() };
    let lower = link.to_ascii_lowercase();
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme).and_then(|_| link.get(scheme.len()..)))
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || link.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad().into());
    }
    Ok(())
}

//! Incident ids: `YYYY-MM-DD-slug-of-the-title`, typable, unique, and safe as one path part
//! whatever the title holds.

use chrono::{DateTime, Utc};

const MAX_SLUG: usize = 48;

/// The lowercase ASCII letters and digits of the title, every other run of characters
/// folded into one `-`; never empty, never `.` or `..`, never a path separator.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if out.len() > MAX_SLUG {
                break;
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    if out.len() > MAX_SLUG {
        // Cut at a word boundary when there is one: `...-black-friday` reads better than `...-bla`.
        out.truncate(out[..MAX_SLUG].rfind('-').filter(|i| *i > MAX_SLUG / 2).unwrap_or(MAX_SLUG));
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() { "incident".to_string() } else { trimmed.to_string() }
}

/// A fresh id for a title opened at `at`; `taken` says whether an id is in use.
pub fn new_id(title: &str, at: DateTime<Utc>, taken: impl Fn(&str) -> bool) -> String {
    let base = format!("{}-{}", crate::timefmt::date(at), slug(title));
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|id| !taken(id)).unwrap_or(base)
}

/// The one id predicate: incident, runbook, step, service and rule ids are lowercase ASCII
/// letters, digits and `-`. For incidents it also guards against `--incident ../../etc`.
pub fn is_valid(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe() {
        assert_eq!(slug("Checkout returns 500"), "checkout-returns-500");
        assert_eq!(slug("../../etc/passwd | `rm -rf` <b>\n"), "etc-passwd-rm-rf-b");
        assert_eq!(slug("///"), "incident");
        assert_eq!(slug("Ünïcode only ✓"), "n-code-only");
        assert!(slug(&"x".repeat(500)).len() <= MAX_SLUG);
    }
}

//! Incident ids: `YYYY-MM-DD-slug-of-the-title`, typable, unique, and safe as one path part
//! whatever the title holds.

use chrono::{DateTime, Utc};

const MAX_SLUG: usize = 48;

/// The title's letters and digits, lowercase ASCII (accented and other letters transliterated:
/// `refusé` → `refuse`, `Straße` → `strasse`), every other run of characters folded into one
/// `-`; never empty, never `.` or `..`, never a path separator.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    'title: for c in title.chars() {
        for c in ascii(c).chars() {
            if c.is_ascii_alphanumeric() {
                if out.len() > MAX_SLUG {
                    break 'title;
                }
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
    }
    if out.len() > MAX_SLUG {
        // Cut at a word boundary when there is one: `...-black-friday` reads better than `...-bla`.
        let word_end = out.get(..MAX_SLUG).and_then(|s| s.rfind('-')).filter(|i| *i > MAX_SLUG / 2);
        out.truncate(word_end.unwrap_or(MAX_SLUG));
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() { "incident".to_string() } else { trimmed.to_string() }
}

/// A character as ASCII: itself when it is; a letter or digit transliterated (`é` → `e`,
/// `ß` → `ss`, `北` → `Bei `); anything else (symbols, emoji, punctuation) a separator, so a
/// `✓` or a `🔥` does not become a word of the id.
fn ascii(c: char) -> std::borrow::Cow<'static, str> {
    if c.is_ascii() {
        return c.to_string().into();
    }
    match deunicode::deunicode_char(c) {
        Some(t) if c.is_alphanumeric() => t.into(),
        _ => " ".into(),
    }
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
        // Accented letters used to be dropped ("Ünïcode only ✓" gave `n-code-only`): they are
        // transliterated now, and symbols still only separate words.
        assert_eq!(slug("Ünïcode only ✓"), "unicode-only");
        assert!(slug(&"x".repeat(500)).len() <= MAX_SLUG);
    }

    /// Ids become paths: nothing that could leave `incidents/` is one (issue 13).
    #[test]
    fn path_like_ids_are_not_ids() {
        for bad in ["", ".", "..", "../x", "a/b", "/etc/passwd", "a\0b", "a\\b", "A", "a b", "-\n"] {
            assert!(!is_valid(bad), "{bad:?}");
        }
        assert!(is_valid("2026-11-26-checkout-500"));
    }

    #[test]
    fn accented_letters_are_transliterated_not_dropped() {
        assert_eq!(slug("Paiement refusé"), "paiement-refuse");
        assert_eq!(slug("Ünïcode"), "unicode");
        assert_eq!(slug("Straße gesperrt"), "strasse-gesperrt");
        assert_eq!(slug("🔥 checkout down 🔥"), "checkout-down");
        assert_eq!(slug("✓✓✓"), "incident");
        assert_eq!(slug("北京 outage"), "bei-jing-outage");
        // Every guarantee holds whatever the transliteration yields.
        for title in ["ß".repeat(300), "北".repeat(300), "é-".repeat(300), "ﷺ".repeat(100)] {
            let s = slug(&title);
            assert!(is_valid(&s) && s.len() <= MAX_SLUG && !s.ends_with('-'), "{s:?}");
        }
    }
}

/// How many characters of an event id are shown: enough to be unique in any one incident,
/// few enough to type; `amend` and `retract` take any unique prefix.
pub const SHORT_EVENT_ID: usize = 8;

/// An event id as it is shown: its first [`SHORT_EVENT_ID`] characters (never a slice inside
/// a character, whatever a hand edit or another clone wrote).
pub fn short(id: &str) -> &str {
    id.char_indices().nth(SHORT_EVENT_ID).and_then(|(i, _)| id.get(..i)).unwrap_or(id)
}

/// What an event id read from a log may be: 1 to 64 ASCII letters, digits, `-` or `_`. The
/// tool writes 32 hex digits; a line with anything else (a hand edit, another clone) is not
/// read as an event, like any other line no reader can use.
pub fn is_event_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod event_id_tests {
    use super::*;

    /// Regression: `updates` and the already-marked error sliced a non-ASCII id at byte 8 and
    /// panicked.
    #[test]
    fn a_short_id_never_cuts_a_character() {
        assert_eq!(short("0123456789abcdef"), "01234567");
        assert_eq!(short("abc"), "abc");
        assert_eq!(short("ééééééééé"), "éééééééé");
        assert_eq!(short("a€€€€€€€€"), "a€€€€€€€");
    }

    #[test]
    fn event_ids_are_plain_ascii() {
        assert!(is_event_id("0f8e2c4a9b1d4e7f8a6b5c3d2e1f0a9b"));
        assert!(is_event_id("big00000"));
        for bad in ["", "é", "a b", "../x", "a\nb", &"x".repeat(65)] {
            assert!(!is_event_id(bad), "{bad:?}");
        }
    }
}

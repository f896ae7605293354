//! Two sides' logs joined by a sync, when one side is someone else's. A local write obeys
//! the log's limits (an event's size, a time between 1970 and now); what a remote brings is
//! held to the same limits here, and a line that breaks one is set aside, with why, for
//! `rejected.jsonl` instead of joining the log. An event id the two sides hold with different
//! content (a hand edit, a forged line) is kept once, the same way on every clone: the
//! version logged earlier (by `at`, then by its bytes) stays, the other is set aside. So no
//! line is lost, none is silently replaced, and clones that synced agree.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::Event;
#[cfg(test)]
use super::parse::MAX_EVENT_BYTES;
use super::parse::{line_key, lines_of, too_large};

/// Which side of a union came from elsewhere and is held to the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    First,
    Second,
}

/// A line a union did not take into the log, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAside {
    /// The event's id, when the line has one.
    pub event: Option<String>,
    pub reason: String,
    pub line: Vec<u8>,
}

impl SetAside {
    /// The line as `rejected.jsonl` keeps it: the reason beside the original text. A function
    /// of the line and its reason only, so setting the same line aside again (at the next
    /// sync, or on another clone) writes the same bytes, and a union of the files keeps one.
    pub fn record(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Record<'a> {
            set_aside: &'a str,
            line: std::borrow::Cow<'a, str>,
        }
        let record = Record { set_aside: &self.reason, line: String::from_utf8_lossy(&self.line) };
        let mut out = serde_json::to_vec(&record).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// A union and what it set aside.
#[derive(Debug, Default)]
pub struct Union {
    pub bytes: Vec<u8>,
    pub set_aside: Vec<SetAside>,
}

/// `first` line for line, then every line of `second` whose event is not in it; the
/// `incoming` side's new lines held to the log's limits, and an id both sides hold with
/// different content kept once (see the module's comment). `now` is this machine's clock, for
/// "more than a day ahead".
pub fn union_checked(first: &[u8], second: &[u8], incoming: Incoming, now: DateTime<Utc>) -> Union {
    let local = match incoming {
        Incoming::First => second,
        Incoming::Second => first,
    };
    // An incoming line the local side holds byte for byte is not new: it passed before.
    let known: std::collections::HashSet<&[u8]> = lines_of(local).collect();
    let mut out: Vec<&[u8]> = Vec::new();
    let mut at: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
    let mut set_aside = Vec::new();
    for (side, bytes) in [(Incoming::First, first), (Incoming::Second, second)] {
        for line in lines_of(bytes) {
            let Some(key) = line_key(line) else { continue };
            if side == incoming
                && !known.contains(line)
                && let Some(reason) = refusal(line, now)
            {
                set_aside.push(aside(line, reason));
                continue;
            }
            match at.get(&key) {
                Some(&i) if out[i] == line || same_event(out[i], line) => {}
                Some(&i) => {
                    let (kept, other) = if earlier(line, out[i]) { (line, out[i]) } else { (out[i], line) };
                    out[i] = kept;
                    set_aside.push(aside(other, conflict_reason(kept)));
                }
                None => {
                    at.insert(key, out.len());
                    out.push(line);
                }
            }
        }
    }
    let mut bytes = Vec::with_capacity(out.iter().map(|l| l.len() + 1).sum());
    for line in out {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    Union { bytes, set_aside }
}

/// The lines of two files of raw lines (`rejected.jsonl`), each once: `first`'s, then the new
/// ones of `second`. Nothing in them is an event the log reads, so nothing is checked.
pub fn union_raw(first: &[u8], second: &[u8]) -> Vec<u8> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(first.len() + second.len());
    for line in lines_of(first).chain(lines_of(second)) {
        if seen.insert(line) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

fn aside(line: &[u8], reason: String) -> SetAside {
    let event = serde_json::from_slice::<IdOnly>(line).ok().map(|i| i.id);
    SetAside { event, reason, line: line.to_vec() }
}

#[derive(serde::Deserialize)]
struct IdOnly {
    id: String,
}

/// Why a line from elsewhere may not join a log: what a local write would have refused. A
/// line no reader can use is not refused here (it is kept as such, skipped by every reader
/// and named by `doctor`, as a local one would be).
fn refusal(line: &[u8], now: DateTime<Utc>) -> Option<String> {
    if let Some(why) = too_large(line.len()) {
        return Some(why);
    }
    // Only the times are read: a clone catching up reads every line of thousands of logs.
    #[derive(serde::Deserialize)]
    struct Times {
        #[serde(with = "super::schema::ts")]
        at: DateTime<Utc>,
        #[serde(default, with = "super::schema::ts_opt")]
        occurred_at: Option<DateTime<Utc>>,
    }
    let event = serde_json::from_slice::<Times>(line).ok()?;
    let latest = now + Duration::days(1);
    for t in [Some(event.at), event.occurred_at].into_iter().flatten() {
        if t < DateTime::<Utc>::UNIX_EPOCH {
            return Some(format!("dated {}, before 1970", crate::timefmt::rfc3339(t)));
        }
        if t > latest {
            return Some(format!("dated {}, more than a day after it arrived", crate::timefmt::rfc3339(t)));
        }
    }
    None
}

/// Whether two lines hold the same event written differently (keys in another order, other
/// spacing: a line rewritten by a tool that parses and prints JSON): not a conflict.
fn same_event(a: &[u8], b: &[u8]) -> bool {
    match (serde_json::from_slice::<Event>(a), serde_json::from_slice::<Event>(b)) {
        (Ok(x), Ok(y)) => x == y,
        // Not events (a line of the changes log): the same JSON value.
        _ => match (
            serde_json::from_slice::<serde_json::Value>(a),
            serde_json::from_slice::<serde_json::Value>(b),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
    }
}

/// Whether `a` was logged before `b` (by `at`, then by bytes, so every clone decides alike).
/// A line that is not an event counts as logged last.
fn earlier(a: &[u8], b: &[u8]) -> bool {
    let at = logged_at;
    match (at(a), at(b)) {
        (Some(x), Some(y)) if x != y => x < y,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        _ => a < b,
    }
}

/// When a line (an event, a change) was logged, when it says so readably.
fn logged_at(line: &[u8]) -> Option<DateTime<Utc>> {
    #[derive(serde::Deserialize)]
    struct At {
        id: String,
        #[serde(with = "super::schema::ts")]
        at: DateTime<Utc>,
    }
    serde_json::from_slice::<At>(line).ok().filter(|l| !l.id.is_empty()).map(|l| l.at)
}

fn conflict_reason(kept: &[u8]) -> String {
    let when = logged_at(kept).map(crate::timefmt::rfc3339);
    format!(
        "the same id as a line kept in the log{}, with other content: the earlier one is kept",
        when.map(|w| format!(" (logged {w})")).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T16:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn line(id: &str, at: &str, text: &str) -> String {
        format!(r#"{{"id":"{id}","at":"{at}","by":"a","kind":"note","text":"{text}"}}"#)
    }

    fn log<S: AsRef<str>>(lines: &[S]) -> Vec<u8> {
        lines.iter().map(AsRef::as_ref).flat_map(|l| format!("{l}\n").into_bytes()).collect()
    }

    #[test]
    fn incoming_lines_over_the_limits_are_set_aside_and_ours_are_not() {
        let ours =
            log(&[line("a", "2026-11-27T15:00:00Z", "ours"), line("f", "2099-01-01T00:00:00Z", "ours, odd")]);
        let big = "x".repeat(MAX_EVENT_BYTES);
        let theirs = log(&[
            line("b", "2026-11-27T15:01:00Z", "fine"),
            line("c", "2099-01-01T00:00:00Z", "future"),
            line("d", "1969-12-31T23:00:00Z", "past"),
            line("e", "2026-11-27T15:02:00Z", &big),
        ]);
        let u = union_checked(&ours, &theirs, Incoming::Second, now());
        let kept: Vec<String> =
            lines_of(&u.bytes).map(|l| serde_json::from_slice::<Event>(l).unwrap().id).collect();
        assert_eq!(kept, ["a", "f", "b"]);
        let why: Vec<(Option<&str>, &str)> =
            u.set_aside.iter().map(|s| (s.event.as_deref(), s.reason.as_str())).collect();
        assert_eq!(why[0], (Some("c"), "dated 2099-01-01T00:00:00Z, more than a day after it arrived"));
        assert_eq!(why[1], (Some("d"), "dated 1969-12-31T23:00:00Z, before 1970"));
        assert_eq!(why[2].0, Some("e"));
        assert!(why[2].1.ends_with("larger than the 4 MiB an event may be"), "{}", why[2].1);
    }

    #[test]
    fn one_id_with_two_contents_keeps_the_earlier_on_either_side_and_sets_the_other_aside() {
        let early = line("x", "2026-11-27T15:00:00Z", "early");
        let late = line("x", "2026-11-27T15:05:00Z", "late");
        for (ours, theirs) in [(&early, &late), (&late, &early)] {
            let u = union_checked(&log(&[ours]), &log(&[theirs]), Incoming::Second, now());
            assert_eq!(u.bytes, log(&[&early]));
            assert_eq!(u.set_aside.len(), 1);
            assert_eq!(u.set_aside[0].line, late.as_bytes());
            assert!(
                u.set_aside[0].reason.contains("logged 2026-11-27T15:00:00Z"),
                "{}",
                u.set_aside[0].reason
            );
        }
        // The same event on both sides is no conflict, however its JSON is written.
        let u = union_checked(&log(&[&early]), &log(&[&early]), Incoming::Second, now());
        assert!(u.set_aside.is_empty());
        let reordered = r#"{"at":"2026-11-27T15:00:00Z", "id":"x","text":"early","kind":"note","by":"a"}"#;
        let u = union_checked(&log(&[&early]), reordered.as_bytes(), Incoming::Second, now());
        assert!(u.set_aside.is_empty());
        assert_eq!(u.bytes, log(&[&early]));
    }

    #[test]
    fn a_record_is_the_same_bytes_whenever_it_is_made() {
        let a = aside(line("x", "2099-01-01T00:00:00Z", "t").as_bytes(), "why".into());
        assert_eq!(a.record(), a.clone().record());
        let twice = [a.record(), a.record()].concat();
        assert_eq!(union_raw(&a.record(), &twice), a.record());
    }
}

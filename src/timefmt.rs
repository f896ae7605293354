//! Every textual form of a time or a duration, both ways: parsing what users type for times
//! (`--at`, `--started-at`) and budgets (`5m`), and each way a moment or a duration is
//! written (the log, tables, ids, Mermaid, people). Everything is stored in UTC; local time
//! is only an input form.

use chrono::{DateTime, Local, NaiveTime, SecondsFormat, TimeZone, Utc};

/// How far past the machine's clock a typed time may lie: clocks drift between responders'
/// machines, and "14:05" typed at 14:04:30 means now.
pub const FUTURE_SLACK_S: i64 = 5 * 60;

/// Parses a moment: RFC 3339, `HH:MM` (the latest such local time not in the future),
/// `-15m`, `15m ago`, or `now`; and refuses what cannot be a fact: a time before
/// 1970-01-01 or more than [`FUTURE_SLACK_S`] past `now`. `now` is passed in so that one
/// command uses one clock reading throughout.
pub fn parse_time(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = read_time(input, now)?;
    let earliest = DateTime::<Utc>::UNIX_EPOCH;
    if t < earliest {
        return Err(format!("{} is before 1970-01-01", rfc3339(t)));
    }
    if t > now + chrono::Duration::seconds(FUTURE_SLACK_S) {
        return Err(format!("{} is in the future (the clock says {})", rfc3339(t), rfc3339(now)));
    }
    Ok(t)
}

/// Parses a bound of a period (`stats --since/--until`): as [`parse_time`], but it may lie in
/// the future (the end of this month).
pub fn parse_bound(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = read_time(input, now)?;
    if t < DateTime::<Utc>::UNIX_EPOCH {
        return Err(format!("{} is before 1970-01-01", rfc3339(t)));
    }
    Ok(t)
}

/// Parses an estimated time (`update --eta`): RFC 3339, `HH:MM` (the next such local time),
/// or a span from now, `30m`, `+1h`, `in 2h`. An ETA lies ahead: one more than
/// [`FUTURE_SLACK_S`] in the past is refused.
pub fn parse_eta(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    let t = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else if let Some(secs) =
        parse_duration(s.strip_prefix('+').or_else(|| s.strip_prefix("in ")).unwrap_or(s))
    {
        chrono::Duration::try_seconds(secs)
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| format!("{input:?} is too far ahead"))?
    } else if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M") {
        let today = now.with_timezone(&Local).date_naive();
        let at = |day: chrono::NaiveDate| {
            Local.from_local_datetime(&day.and_time(t)).earliest().map(|t| t.with_timezone(&Utc))
        };
        match at(today) {
            Some(x) if x >= now => x,
            _ => today
                .succ_opt()
                .and_then(at)
                .ok_or_else(|| format!("{input:?} does not exist in the local time zone"))?,
        }
    } else {
        return Err(
            "use RFC 3339 (2026-11-26T16:00:00Z), HH:MM (local), or a span from now: 30m, +1h".to_string()
        );
    };
    if t < now - chrono::Duration::seconds(FUTURE_SLACK_S) {
        return Err(format!("{} is in the past (the clock says {})", rfc3339(t), rfc3339(now)));
    }
    Ok(chrono::SubsecRound::trunc_subsecs(t, 0))
}

fn read_time(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let relative = s.strip_prefix('-').or_else(|| s.strip_suffix("ago").map(str::trim_end));
    if let Some(rel) = relative
        && let Some(secs) = parse_duration(rel)
    {
        return chrono::Duration::try_seconds(secs)
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| format!("{input:?} is too far in the past"));
    }
    for fmt in ["%H:%M", "%H:%M:%S"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, fmt) {
            return latest_local(t, now)
                .ok_or_else(|| format!("{input:?} does not exist in the local time zone"));
        }
    }
    Err("use RFC 3339 (2026-11-26T14:02:00Z), HH:MM (local), -15m or \"15m ago\"".to_string())
}

/// The latest moment at local clock time `t` that is not after `now`: today's, else
/// yesterday's (`23:59` typed at 00:10 means last night).
fn latest_local(t: NaiveTime, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.with_timezone(&Local).date_naive();
    let at = |day: chrono::NaiveDate| {
        Local.from_local_datetime(&day.and_time(t)).earliest().map(|t| t.with_timezone(&Utc))
    };
    match at(today) {
        Some(x) if x <= now => Some(x),
        _ => at(today.pred_opt()?),
    }
}

/// Parses a duration such as `5m`, `1h30m`, `90s`, `2h`, `1d`. Returns whole seconds.
pub fn parse_duration(input: &str) -> Option<i64> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            ' ' if digits.is_empty() => continue,
            _ => return None,
        };
        let n: i64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return None;
    }
    Some(total)
}

/// Prints a duration for people: `45s`, `4m 30s`, `1h 05m`, `2d 3h`.
pub fn human(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let body = if d > 0 {
        if h == 0 { format!("{d}d") } else { format!("{d}d {h}h") }
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        if sec == 0 { format!("{m}m") } else { format!("{m}m {sec:02}s") }
    } else {
        format!("{sec}s")
    };
    format!("{sign}{body}")
}

/// A duration given in milliseconds: `412 ms` under a second, else as [`human`].
pub fn human_ms(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { human(i64::try_from(ms / 1000).unwrap_or(i64::MAX)) }
}

/// A duration that may not be known yet: `—` when it is not.
pub fn opt_human(secs: Option<i64>) -> String {
    secs.map_or_else(|| "—".to_string(), human)
}

/// A moment as people read it in messages: RFC 3339 in UTC with a `Z`, whole seconds.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A moment as the log stores it: RFC 3339 in UTC with a `Z`, whole seconds unless the
/// moment has a fraction (so nothing typed is rounded away).
pub fn stored(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads a stored (or any RFC 3339) moment, in UTC.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// `2026-11-27 14:02:00Z`: compact, unambiguous UTC for tables.
pub fn table(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// A moment that may not be known yet, for tables: `—` when it is not.
pub fn opt_table(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_string(), table)
}

/// The table form of stored RFC 3339 text; `—` when it is not a time. Our own timestamps
/// are already UTC (`2026-11-27T14:02:00Z`, maybe with a fraction) and are reshaped without
/// parsing, since a long timeline calls this thousands of times.
pub fn table_from_text(s: &str) -> String {
    let b = s.as_bytes();
    if s.ends_with('Z') && b.len() >= 20 && b[10] == b'T' && b[13] == b':' && b[16] == b':' {
        // A hand-edited log may hold anything: byte 19 can be inside a character.
        if let (Some(day), Some(time)) = (s.get(..10), s.get(11..19)) {
            return format!("{day} {time}Z");
        }
    }
    parse_rfc3339(s).map_or_else(|| "—".to_string(), table)
}

/// `2026-11-27`: the UTC day (ids, postmortem dates, action due dates).
pub fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// `14:02`: a UTC clock time, as the demo's scenario writes it.
pub fn hhmm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// Reads `14:02` as a clock time.
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

/// What Mermaid's `dateFormat YYYY-MM-DDTHH:mm:ss` reads.
pub fn mermaid(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap()
    }

    #[test]
    fn parses_every_documented_form() {
        let n = now();
        assert_eq!(parse_time("2026-11-26T14:02:00Z", n).unwrap().to_rfc3339(), "2026-11-26T14:02:00+00:00");
        assert_eq!(
            parse_time("2026-11-26T15:02:00+01:00", n).unwrap(),
            parse_time("2026-11-26T14:02:00Z", n).unwrap()
        );
        assert_eq!(parse_time("-15m", n).unwrap(), parse_time("2026-11-26T14:45:00Z", n).unwrap());
        assert_eq!(parse_time("15m ago", n).unwrap(), parse_time("2026-11-26T14:45:00Z", n).unwrap());
        assert_eq!(parse_time("1h30m ago", n).unwrap(), parse_time("2026-11-26T13:30:00Z", n).unwrap());
        assert!(parse_time("14:02", n).is_ok());
        assert!(parse_time("yesterday-ish", n).is_err());
        assert!(parse_time("25:99", n).is_err());
    }

    #[test]
    fn only_times_that_can_be_facts() {
        let n = now();
        // Regression: a huge relative time overflowed chrono and panicked; another gave year -1142.
        // The first three panicked in chrono before (found by fuzz/fuzz_targets/time.rs).
        for huge in [
            "-99999999999999h",
            "2411041099hago",
            "-100000000000000s",
            "-100000000000s",
            "-5000000d",
            "-9999999999999999999s",
        ] {
            assert!(parse_time(huge, n).is_err(), "{huge}");
        }
        let future = parse_time("2099-01-01T00:00:00Z", n).unwrap_err();
        assert!(future.contains("in the future"), "{future}");
        assert!(parse_time("1969-12-31T23:59:59Z", n).unwrap_err().contains("before 1970"));
        assert!(parse_time("1970-01-01T00:00:00Z", n).is_ok());
        // Clocks drift: up to five minutes ahead is accepted, a second more is not.
        assert!(parse_time("2026-11-26T15:05:00Z", n).is_ok());
        assert!(parse_time("2026-11-26T15:05:01Z", n).is_err());
        assert!(parse_time("-1m", n).is_ok());
    }

    #[test]
    fn hh_mm_is_the_latest_such_time_not_in_the_future() {
        let n = now();
        let local_now = n.with_timezone(&Local);
        // One minute after the local clock time now: that was yesterday.
        let later = (local_now + chrono::Duration::minutes(1)).format("%H:%M").to_string();
        let t = parse_time(&later, n).unwrap();
        assert!(t <= n && n - t < chrono::Duration::hours(25) && n - t > chrono::Duration::hours(23), "{t}");
        let earlier = (local_now - chrono::Duration::minutes(1)).format("%H:%M").to_string();
        let t = parse_time(&earlier, n).unwrap();
        assert!(t <= n && n - t <= chrono::Duration::minutes(2), "{t}");
    }

    #[test]
    fn etas_lie_ahead() {
        let now = now();
        assert_eq!(parse_eta("30m", now), Ok(now + chrono::Duration::minutes(30)));
        let fraction = now + chrono::Duration::milliseconds(1500);
        assert_eq!(parse_eta("1m", fraction), Ok(now + chrono::Duration::seconds(61)), "whole seconds");
        assert_eq!(parse_eta("+1h", now), Ok(now + chrono::Duration::hours(1)));
        assert_eq!(parse_eta("in 2h", now), Ok(now + chrono::Duration::hours(2)));
        let at = parse_eta("2030-01-01T00:00:00Z", now).unwrap();
        assert_eq!(rfc3339(at), "2030-01-01T00:00:00Z");
        let hm = parse_eta("00:00", now).unwrap();
        assert!(hm >= now && hm - now <= chrono::Duration::days(1), "{hm}");
        assert!(parse_eta("2000-01-01T00:00:00Z", now).is_err());
        assert!(parse_eta("soon", now).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(human(45), "45s");
        assert_eq!(human(270), "4m 30s");
        assert_eq!(human(3900), "1h 05m");
        assert_eq!(human(600), "10m");
    }

    /// Regression: text shaped like our timestamps (`T` at byte 10, `:` at 13 and 16, a final
    /// `Z`) but with a character across byte 19 was sliced there and panicked. The `utc`
    /// filter takes any text a template gives it (a title, a hand-edited log's value).
    #[test]
    fn a_character_across_the_seconds_end_is_not_a_time_and_does_not_panic() {
        assert_eq!(table_from_text("2026-11-27T14:02:0éZ"), "—");
        assert_eq!(table_from_text("2026-11-27T14:02:日Z"), "—");
        assert_eq!(table_from_text("2026-11-27T14:02:00.5Z"), "2026-11-27 14:02:00Z");
    }
}

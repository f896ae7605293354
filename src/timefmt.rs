//! Every textual form of a time or a duration, both ways: parsing what users type for times
//! (`--at`, `--started-at`) and budgets (`5m`), and each way a moment or a duration is
//! written (the log, tables, ids, Mermaid, people). Everything is stored in UTC; local time
//! is only an input form.

use chrono::{
    DateTime, Datelike, Local, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat, TimeZone,
    Timelike, Utc,
};

/// How far past the machine's clock a typed time may lie: clocks drift between responders'
/// machines, and "14:05" typed at 14:04:30 means now.
pub const FUTURE_SLACK_S: i64 = 5 * 60;

/// Parses a moment: RFC 3339, `HH:MM` (the latest such local time not in the future),
/// `-15m`, `15m ago`, or `now`; and refuses what cannot be a fact: a time before
/// 1970-01-01 or more than [`FUTURE_SLACK_S`] past `now`. `now` is passed in so that one
/// command uses one clock reading throughout.
pub fn parse_time(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = read_time(input, now)?;
    check_fact_time(t, now)?;
    Ok(t)
}

/// Whether `t` can be when something happened, by a clock that reads `now`: not before
/// 1970-01-01, not more than [`FUTURE_SLACK_S`] past `now`. The reason when not. The one
/// test every time given as a fact passes, typed or sent (an alert's start).
pub fn check_fact_time(t: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
    if t < DateTime::<Utc>::UNIX_EPOCH {
        return Err(format!("{} is before 1970-01-01", rfc3339(t)));
    }
    if t > now + chrono::Duration::seconds(FUTURE_SLACK_S) {
        return Err(format!("{} is in the future (the clock says {})", rfc3339(t), rfc3339(now)));
    }
    Ok(())
}

/// Parses a bound of a period (`stats --since/--until`): as [`parse_time`], but it may lie in
/// the future (the end of this month), and a bare date (`2026-06-01`) is that day's start in
/// UTC: a period is read in days, and the figures are all UTC.
pub fn parse_bound(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = match NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d") {
        Ok(day) => day.and_time(NaiveTime::MIN).and_utc(),
        Err(_) => read_time(input, now)?,
    };
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
        no_leap_second(s, t.nanosecond())?;
        t.with_timezone(&Utc)
    } else if let Some(secs) =
        parse_duration(s.strip_prefix('+').or_else(|| s.strip_prefix("in ")).unwrap_or(s))
    {
        chrono::Duration::try_seconds(secs)
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| format!("{input:?} is too far ahead"))?
    } else if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M") {
        next_local(&Local, s, t, now)?
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

/// Parses a planned moment (`maintenance --from/--until`): RFC 3339, `HH:MM` (the next such
/// local time), a span from now (`2h`, `+2h`, `in 2h`), or a moment past as [`parse_time`]
/// reads it (`-15m`, `15m ago`, `now`), for work logged after it began. A plan is not a fact
/// that happened, so it may lie any distance ahead; only a time before 1970-01-01 is refused.
pub fn parse_planned(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    let past = s.eq_ignore_ascii_case("now") || s.starts_with('-') || s.ends_with("ago");
    let t = if past {
        read_time(s, now)?
    } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        no_leap_second(s, t.nanosecond())?;
        t.with_timezone(&Utc)
    } else if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M") {
        next_local(&Local, s, t, now)?
    } else if let Some(secs) =
        parse_duration(s.strip_prefix('+').or_else(|| s.strip_prefix("in ")).unwrap_or(s))
    {
        chrono::Duration::try_seconds(secs)
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| format!("{input:?} is too far ahead"))?
    } else {
        return Err(
            "use RFC 3339 (2026-12-08T02:00:00Z), HH:MM (the next such local time), or a span from now: 2h, in 2h"
                .to_string(),
        );
    };
    if t < DateTime::<Utc>::UNIX_EPOCH {
        return Err(format!("{} is before 1970-01-01", rfc3339(t)));
    }
    Ok(chrono::SubsecRound::trunc_subsecs(t, 0))
}

fn read_time(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        no_leap_second(s, t.nanosecond())?;
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
            no_leap_second(s, t.nanosecond())?;
            return latest_local(&Local, s, t, now);
        }
    }
    Err("use RFC 3339 (2026-11-26T14:02:00Z), HH:MM (local), -15m or \"15m ago\"".to_string())
}

/// A leap second (`23:59:60`) is no moment the log, the figures or a status page's readers
/// can place: chrono keeps it as a second that lasts two, and JSON readers refuse it.
fn no_leap_second(input: &str, nanosecond: u32) -> Result<(), String> {
    if nanosecond >= 1_000_000_000 {
        return Err(format!(
            "{input:?} is a leap second (:60), which cannot be recorded; type :59 or the next minute's :00"
        ));
    }
    Ok(())
}

/// What a local clock time is on one day in zone `tz`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OnDay {
    /// One moment.
    Once(DateTime<Utc>),
    /// The clocks skipped it (a daylight saving gap). The two readings, earlier first: the
    /// time with the offset after the change and with the one before it.
    Skipped(DateTime<Utc>, DateTime<Utc>),
    /// The clocks showed it twice (set back): both moments, earlier first.
    Twice(DateTime<Utc>, DateTime<Utc>),
}

impl OnDay {
    fn of<Tz: TimeZone>(tz: &Tz, local: NaiveDateTime) -> OnDay {
        match tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => OnDay::Once(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                OnDay::Twice(a.min(b), a.max(b))
            }
            chrono::LocalResult::None => {
                // The offsets in force on either side of the gap: the nearest local times that
                // exist, a quarter of an hour apart (every zone's offsets are), up to two days.
                let near = |sign: i32| {
                    (1..=192).find_map(|k| {
                        let probe = local + chrono::Duration::minutes(15 * i64::from(k * sign));
                        tz.from_local_datetime(&probe).earliest().map(|t| t.offset().fix().local_minus_utc())
                    })
                };
                let reading = |offset: Option<i32>| {
                    let offset = offset.unwrap_or(0);
                    (local - chrono::Duration::seconds(i64::from(offset))).and_utc()
                };
                let (a, b) = (reading(near(-1)), reading(near(1)));
                OnDay::Skipped(a.min(b), a.max(b))
            }
        }
    }

    /// The earliest and the latest moment it may mean.
    fn span(self) -> (DateTime<Utc>, DateTime<Utc>) {
        match self {
            OnDay::Once(t) => (t, t),
            OnDay::Skipped(a, b) | OnDay::Twice(a, b) => (a, b),
        }
    }

    /// The one moment, or why there is none, naming the UTC moments it could mean.
    fn moment(self, input: &str, day: NaiveDate) -> Result<DateTime<Utc>, String> {
        match self {
            OnDay::Once(t) => Ok(t),
            OnDay::Skipped(a, b) => Err(format!(
                "{input:?} does not exist on {day} in the local time zone (the clocks skipped it); \
                 type the moment in UTC: {} or {}",
                rfc3339(a),
                rfc3339(b)
            )),
            OnDay::Twice(a, b) => Err(format!(
                "{input:?} happened twice on {day} in the local time zone (the clocks were set back); \
                 type the moment in UTC: {} or {}",
                rfc3339(a),
                rfc3339(b)
            )),
        }
    }
}

/// The latest moment at clock time `t` in zone `tz` that is not after `now`: today's, else
/// yesterday's (`23:59` typed at 00:10 means last night). A day whose clocks skipped `t`, or
/// showed it twice, is refused rather than guessed, unless every moment it could mean is
/// still ahead (then it was yesterday's).
fn latest_local<Tz: TimeZone>(
    tz: &Tz,
    input: &str,
    t: NaiveTime,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    local_on(tz, input, t, now, Way::Back)
}

/// The next moment at clock time `t` in zone `tz` from `now` on (an ETA): today's, else
/// tomorrow's; refused as [`latest_local`] refuses.
fn next_local<Tz: TimeZone>(
    tz: &Tz,
    input: &str,
    t: NaiveTime,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    local_on(tz, input, t, now, Way::Ahead)
}

/// Which way from `now` a clock time without a date is read.
#[derive(Clone, Copy)]
enum Way {
    Back,
    Ahead,
}

/// Clock time `t` today, else on the day `way` leads to, the first day some moment it could
/// mean lies on that side of `now`.
fn local_on<Tz: TimeZone>(
    tz: &Tz,
    input: &str,
    t: NaiveTime,
    now: DateTime<Utc>,
    way: Way,
) -> Result<DateTime<Utc>, String> {
    let today = now.with_timezone(tz).date_naive();
    let other = match way {
        Way::Back => today.pred_opt(),
        Way::Ahead => today.succ_opt(),
    };
    for day in [Some(today), other].into_iter().flatten() {
        let on = OnDay::of(tz, day.and_time(t));
        let (first, last) = on.span();
        let fits = match way {
            Way::Back => first <= now,
            Way::Ahead => last >= now,
        };
        if fits {
            return on.moment(input, day);
        }
    }
    Err(format!("{input:?} does not exist in the local time zone"))
}

/// The longest [`parse_period`]: a year. Longer is a typo, and would overflow the clock's
/// arithmetic (`sync --watch 9223372036854775807s`).
const MAX_PERIOD_S: i64 = 366 * 86_400;

/// A length of time something may run for or wait (a command's `--timeout`, a watch's
/// interval): a [`parse_duration`] longer than zero and at most a year.
pub fn parse_period(input: &str) -> Option<std::time::Duration> {
    parse_duration(input)
        .filter(|s| *s > 0 && *s <= MAX_PERIOD_S)
        .and_then(|s| u64::try_from(s).ok())
        .map(std::time::Duration::from_secs)
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

/// A place's time zone, for the public status page: an IANA name (`Europe/Paris`, `UTC`).
pub fn zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse().ok()
}

/// A moment as a customer reads it, in the page's zone: `7 Dec, 15:13 CET`, with the year
/// (`7 Dec 2025, 15:13 CET`) when it is not `this_year`, the year the page speaks of.
/// Where a zone has no letters for itself, its offset: `15:13 UTC+04`.
pub fn public(t: DateTime<Utc>, tz: chrono_tz::Tz, this_year: i32) -> String {
    let local = t.with_timezone(&tz);
    let abbr = local.format("%Z").to_string();
    let abbr = if abbr.starts_with(['+', '-']) { format!("UTC{abbr}") } else { abbr };
    format!("{}, {} {abbr}", public_day(local.date_naive(), this_year), local.format("%H:%M"))
}

/// A day as a customer reads it: `7 Dec`, or `7 Dec 2025` when it is not `this_year`.
pub fn public_day(day: NaiveDate, this_year: i32) -> String {
    if day.year() == this_year {
        day.format("%-d %b").to_string()
    } else {
        day.format("%-d %b %Y").to_string()
    }
}

/// The first moment of `day` in `tz`: its midnight, or where a change of clocks skips
/// midnight, the first minute that exists.
pub fn day_start(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    (0..24 * 60)
        .find_map(|m| {
            let local = day.and_time(NaiveTime::MIN) + chrono::Duration::minutes(m);
            tz.from_local_datetime(&local).earliest()
        })
        .map_or_else(|| day.and_time(NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
}

/// A duration in words, for people who hear it (a screen reader reads `42m` as metres):
/// `1 hour 5 minutes`, `42 minutes`, `2 days 3 hours`, `under a minute`.
pub fn spoken(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    let unit = |n: i64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    match (d, h, m) {
        (0, 0, 0) => "under a minute".to_string(),
        (0, 0, m) => unit(m, "minute"),
        (0, h, 0) => unit(h, "hour"),
        (0, h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
        (d, 0, _) => unit(d, "day"),
        (d, h, _) => format!("{} {}", unit(d, "day"), unit(h, "hour")),
    }
}

/// `14:02`: a UTC clock time, as the demo's scenario writes it.
pub fn hhmm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// `14:50 UTC (09:50 EST)`: a time for a responder, in UTC (what the record and every other
/// view say) and beside it in their own zone, when that is not UTC.
pub fn hhmm_local(t: DateTime<Utc>) -> String {
    with_local(t, "%H:%M")
}

/// `2025-11-28 14:50 UTC (09:50 EST)`, as [`hhmm_local`] with the date (the local one only
/// when it differs).
pub fn date_local(t: DateTime<Utc>) -> String {
    let local = local_format(t, "%Y-%m-%d");
    let day = if local.as_deref().is_some_and(|d| *d != date(t)) { "%Y-%m-%d %H:%M" } else { "%H:%M" };
    format!("{} {}", date(t), with_local(t, day))
}

fn with_local(t: DateTime<Utc>, local: &str) -> String {
    let utc = t.format("%H:%M");
    match local_format(t, &format!("{local} %Z")) {
        Some(l) => format!("{utc} UTC ({l})"),
        None => format!("{utc} UTC"),
    }
}

/// `t` in the responder's zone: `TZ` when it names a zone of the IANA database (shown by its
/// abbreviation, `EST`), else the system's local time (shown by its offset, `-05:00`).
/// `None` when that zone is UTC.
fn local_format(t: DateTime<Utc>, format: &str) -> Option<String> {
    let named = std::env::var("TZ").ok().and_then(|z| zone(z.trim_start_matches(':')));
    let text = match named {
        Some(tz)
            if tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc() == 0
                && t.with_timezone(&tz).format("%Z").to_string() == "UTC" =>
        {
            return None;
        }
        Some(tz) => t.with_timezone(&tz).format(format).to_string(),
        None => {
            let local = t.with_timezone(&Local);
            if local.offset().local_minus_utc() == 0 {
                return None;
            }
            local.format(&format.replace("%Z", "%:z")).to_string()
        }
    };
    Some(text)
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

    #[test]
    fn public_times_read_in_the_page_zone_with_the_year_only_when_another() {
        let t = parse_rfc3339("2026-12-07T14:13:00Z").unwrap_or_default();
        let paris = zone("Europe/Paris").unwrap_or(chrono_tz::UTC);
        assert_eq!(public(t, paris, 2026), "7 Dec, 15:13 CET");
        assert_eq!(public(t, paris, 2027), "7 Dec 2026, 15:13 CET");
        let summer = parse_rfc3339("2026-07-01T22:30:00Z").unwrap_or_default();
        assert_eq!(public(summer, paris, 2026), "2 Jul, 00:30 CEST", "the local day, not UTC's");
        assert_eq!(public(t, chrono_tz::UTC, 2026), "7 Dec, 14:13 UTC");
        let dubai = zone("Asia/Dubai").unwrap_or(chrono_tz::UTC);
        assert_eq!(public(t, dubai, 2026), "7 Dec, 18:13 UTC+04");
        assert!(zone("Europe/Pariss").is_none() && zone("").is_none());
    }

    #[test]
    fn a_day_starts_at_its_local_midnight_or_the_first_minute_that_exists() {
        let paris = zone("Europe/Paris").unwrap_or(chrono_tz::UTC);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        assert_eq!(rfc3339(day_start(day, paris)), "2026-12-06T23:00:00Z");
        // Santiago moved its clocks from midnight to 01:00 on 2022-09-11.
        let santiago = zone("America/Santiago").unwrap_or(chrono_tz::UTC);
        let skipped = NaiveDate::from_ymd_opt(2022, 9, 11).unwrap_or_default();
        assert_eq!(rfc3339(day_start(skipped, santiago)), "2022-09-11T04:00:00Z");
    }

    #[test]
    fn durations_are_spoken_in_words() {
        assert_eq!(spoken(0), "under a minute");
        assert_eq!(spoken(42 * 60 + 5), "42 minutes");
        assert_eq!(spoken(3600 + 60), "1 hour 1 minute");
        assert_eq!(spoken(2 * 3600), "2 hours");
        assert_eq!(spoken(86_400 + 3 * 3600 + 60), "1 day 3 hours");
    }

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

    /// New York in 2026, as its zone file has it: clocks go from 02:00 to 03:00 on 8 March
    /// (07:00Z) and from 02:00 back to 01:00 on 1 November (06:00Z). A zone of our own, so
    /// the tests need neither the system's zone files nor `TZ` changed under other threads.
    #[derive(Debug, Clone, Copy)]
    struct NewYork2026;

    impl NewYork2026 {
        fn edt() -> chrono::FixedOffset {
            chrono::FixedOffset::west_opt(4 * 3600).unwrap()
        }
        fn est() -> chrono::FixedOffset {
            chrono::FixedOffset::west_opt(5 * 3600).unwrap()
        }
    }

    impl TimeZone for NewYork2026 {
        type Offset = chrono::FixedOffset;
        fn from_offset(_: &chrono::FixedOffset) -> Self {
            NewYork2026
        }
        fn offset_from_local_date(&self, local: &NaiveDate) -> chrono::MappedLocalTime<chrono::FixedOffset> {
            self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
        }
        fn offset_from_local_datetime(
            &self,
            local: &NaiveDateTime,
        ) -> chrono::MappedLocalTime<chrono::FixedOffset> {
            let fits: Vec<chrono::FixedOffset> = [NewYork2026::edt(), NewYork2026::est()]
                .into_iter()
                .filter(|o| {
                    let utc = *local - chrono::Duration::seconds(i64::from(o.local_minus_utc()));
                    self.offset_from_utc_datetime(&utc) == *o
                })
                .collect();
            match fits.as_slice() {
                [] => chrono::MappedLocalTime::None,
                [one] => chrono::MappedLocalTime::Single(*one),
                [a, b, ..] => chrono::MappedLocalTime::Ambiguous(*a, *b),
            }
        }
        fn offset_from_utc_date(&self, utc: &NaiveDate) -> chrono::FixedOffset {
            self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
        }
        fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> chrono::FixedOffset {
            let t = utc.and_utc();
            if t >= at("2026-03-08T07:00:00Z") && t < at("2026-11-01T06:00:00Z") {
                NewYork2026::edt()
            } else {
                NewYork2026::est()
            }
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    fn hm(s: &str) -> NaiveTime {
        parse_hhmm(s).unwrap()
    }

    /// Regression: `--started-at 02:30` typed in New York on 8 March 2026, when the clocks
    /// skip from 02:00 to 03:00, silently became 07:30Z the day before (24.5 h of impact).
    #[test]
    fn a_local_time_the_clocks_skipped_is_refused_naming_its_readings() {
        let now = at("2026-03-08T15:00:00Z"); // 11:00 EDT
        let err = latest_local(&NewYork2026, "02:30", hm("02:30"), now).unwrap_err();
        assert!(err.contains("does not exist on 2026-03-08"), "{err}");
        assert!(err.contains("2026-03-08T06:30:00Z or 2026-03-08T07:30:00Z"), "{err}");
        // The same time on a day that had it is the day's one moment.
        let next_day = at("2026-03-09T15:00:00Z");
        assert_eq!(
            latest_local(&NewYork2026, "02:30", hm("02:30"), next_day),
            Ok(at("2026-03-09T06:30:00Z"))
        );
        // Typed before the gap's day got there (01:00 EST), 02:30 means the day before.
        let early = at("2026-03-08T06:00:00Z");
        assert_eq!(latest_local(&NewYork2026, "02:30", hm("02:30"), early), Ok(at("2026-03-07T07:30:00Z")));
        // The times on either side of the gap are fine.
        assert_eq!(latest_local(&NewYork2026, "01:59", hm("01:59"), now), Ok(at("2026-03-08T06:59:00Z")));
        assert_eq!(latest_local(&NewYork2026, "03:00", hm("03:00"), now), Ok(at("2026-03-08T07:00:00Z")));
    }

    /// 01:30 on 1 November 2026 in New York happened twice: 05:30Z (EDT), then 06:30Z (EST).
    #[test]
    fn a_local_time_the_clocks_showed_twice_is_refused_naming_both() {
        let now = at("2026-11-01T15:00:00Z");
        let err = latest_local(&NewYork2026, "01:30", hm("01:30"), now).unwrap_err();
        assert!(err.contains("happened twice on 2026-11-01"), "{err}");
        assert!(err.contains("2026-11-01T05:30:00Z or 2026-11-01T06:30:00Z"), "{err}");
        // Between the two (01:45 EDT), only the first had happened: still refused, not guessed.
        let between = at("2026-11-01T05:45:00Z");
        assert!(latest_local(&NewYork2026, "01:30", hm("01:30"), between).is_err());
        // An ETA of 01:30 asked for the evening before is as ambiguous.
        let evening = at("2026-11-01T02:00:00Z");
        assert!(next_local(&NewYork2026, "01:30", hm("01:30"), evening).unwrap_err().contains("twice"));
        let gap_eta = next_local(&NewYork2026, "02:30", hm("02:30"), at("2026-03-08T03:00:00Z"));
        assert!(gap_eta.unwrap_err().contains("does not exist"));
        assert_eq!(
            next_local(&NewYork2026, "12:00", hm("12:00"), at("2026-11-01T18:00:00Z")),
            Ok(at("2026-11-02T17:00:00Z")),
            "noon has passed: tomorrow's, in EST"
        );
    }

    /// Regression: `12:00:60Z` was stored, and published in status.json.
    #[test]
    fn a_leap_second_is_refused() {
        let n = now();
        for leap in ["2026-11-26T12:00:60Z", "2026-11-26T23:59:60+00:00", "12:00:60"] {
            let err = parse_time(leap, n).unwrap_err();
            assert!(err.contains("leap second"), "{leap}: {err}");
            assert!(parse_bound(leap, n).unwrap_err().contains("leap second"), "{leap}");
        }
        assert!(parse_eta("2026-12-31T23:59:60Z", n).unwrap_err().contains("leap second"));
        assert!(parse_time("2026-11-26T12:00:59Z", n).is_ok());
    }

    /// Regression: `stats --since 2026-06-01` was refused; a date is that day's start, UTC.
    #[test]
    fn a_bound_may_be_a_date() {
        let n = now();
        assert_eq!(parse_bound("2026-06-01", n), Ok(at("2026-06-01T00:00:00Z")));
        assert_eq!(parse_bound("2027-01-01", n), Ok(at("2027-01-01T00:00:00Z")), "ahead is fine");
        assert!(parse_bound("2026-02-30", n).is_err());
        assert!(parse_time("2026-06-01", n).is_err(), "--at is a moment, not a day");
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

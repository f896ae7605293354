//! docs/record.md, "The record's rules" and "Times", through the real binary: nothing but a
//! note may be dated before impact started; a local time the clocks skipped or showed twice,
//! and a leap second, are refused; `doctor` names events a slow clock stamped before the
//! opening; an incident is named by words of its title; a period's bound may be a date.

use chrono::{DateTime, Datelike, Duration, DurationRound, Utc};
use serde_json::Value;

use super::harness::{BIN, Env, Out};

/// Impact started 2 hours before the test's instant; the incident was opened 10 minutes later.
fn opened() -> (Env, String) {
    Env::opened_after_impact("Grocery checkout slow", "SEV3", "checkout")
}

fn event_id(env: &Env, id: &str, kind: &str) -> String {
    let events = env.events(id);
    let e = events.iter().rev().find(|e| e["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"));
    e["id"].as_str().unwrap().to_string()
}

/// Regression: `--at -90m` (or a typo, `14:05` for `15:05`) was accepted for `update`,
/// `impact` and `severity` on an incident whose impact started later, and the postmortem
/// showed "Time at SEV3 -1h 28m". Only `mark` refused.
#[test]
fn facts_backdated_before_impact_started_are_refused() {
    let (env, id) = opened();
    let before = env.ago(150);
    let refusals: [&[&str]; 6] = [
        &["update", "--channel", "support", "we are looking", "--at", &before],
        &["impact", "--share", "5", "--at", &before],
        &["severity", "SEV2", "--at", &before],
        &["role", "scribe", "Bob", "--at", &before],
        &["retro", "went-well", "paging worked", "--at", &before],
        &["phase", "next", "--at", &before],
    ];
    let started = env.ago(120);
    for args in refusals {
        env.refused(&id, args, &format!("would come before impact started at {started}"));
    }
    let out = env.fails(2, &["severity", "SEV2", "--at", &before, "--json"]);
    let err: Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "before-impact", "{err}");
    // At impact started, or after, each is a fact like any other.
    env.ok(&["severity", "SEV2", "--at", &started]);
    env.ok(&["update", "--channel", "support", "we are looking", "--at", &env.ago(100)]);
}

/// Impact started defaults to the opening: a fact backdated before it is refused, naming that.
#[test]
fn before_an_opening_without_impact_started_is_refused_too() {
    let env = Env::init();
    env.ok(&["open", "Search slow", "--severity", "SEV3", "--at", &env.ago(30)]);
    let id = env.only_id();
    env.refused(
        &id,
        &["impact", "--customers", "40", "--at", &env.ago(45)],
        "(when the incident was opened; it was not given)",
    );
}

/// A note may lie before impact: context, such as the deploy that set it off. The timeline
/// and the postmortem say so.
#[test]
fn a_note_before_impact_is_kept_and_shown_as_before_impact() {
    let (env, id) = opened();
    env.ok(&["log", "deploy v2.31.0 went out", "--at", &env.ago(130)]);
    env.ok(&["log", "still slow", "--at", &env.ago(60)]);
    let timeline = env.ok(&["timeline"]).stdout;
    assert!(timeline.contains("deploy v2.31.0 went out (before impact)"), "{timeline}");
    assert!(!timeline.contains("still slow (before impact)"), "{timeline}");
    assert!(timeline.contains("still slow"), "{timeline}");
    env.ok(&["resolve", "--root-cause", "the deploy"]);
    env.ok(&["postmortem", "--no-commit"]);
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    assert!(pm.contains("deploy v2.31.0 went out (before impact)"), "{pm}");
}

/// Regression: `amend --at` could move a fact before impact started where typing it could not.
#[test]
fn amending_a_fact_to_before_impact_started_is_refused() {
    let (env, id) = opened();
    env.ok(&["severity", "SEV2", "--at", &env.ago(100)]);
    let sev = event_id(&env, &id, "severity");
    env.refused(&id, &["amend", &sev[..8], "--at", &env.ago(130)], "severity at");
    env.refused(&id, &["amend", &sev[..8], "--at", &env.ago(130)], "before impact started");
    env.ok(&["amend", &sev[..8], "--at", &env.ago(115)]);
    // A note may move before impact.
    env.ok(&["log", "deploy went out", "--at", &env.ago(90)]);
    let note = event_id(&env, &id, "note");
    env.ok(&["amend", &note[..8], "--at", &env.ago(140)]);
}

/// Regression: `amend <opening> --at` earlier than impact started was accepted, and with
/// detected unmarked (it is the opening) status then showed "detected -9m 59s". The opening
/// moved stays after impact started and, standing for detected, not before it.
#[test]
fn amending_the_opening_before_impact_started_is_refused() {
    let (env, id) = opened();
    let opening = event_id(&env, &id, "opened");
    env.refused(&id, &["amend", &opening[..8], "--at", &env.ago(130)], "before impact started");
    env.ok(&["amend", &opening[..8], "--at", &env.ago(115)]);
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["metrics"]["time_to_detect_s"], 5 * 60, "detected is the opening, moved: {s}");
}

/// Regression: moving impact started later (amending its mark, or the opening that stands
/// for it) left facts already logged before impact: the same contradiction `--at` is refused
/// for, reached from the other side.
#[test]
fn moving_impact_started_later_than_a_logged_fact_is_refused() {
    let (env, id) = opened();
    // Detected is the opening, 110 minutes ago: impact started may move up to it.
    env.ok(&["severity", "SEV2", "--at", &env.ago(115)]);
    let sev = event_id(&env, &id, "severity");
    let started = event_id(&env, &id, "mark");
    env.refused(&id, &["amend", &started[..8], "--at", &env.ago(112)], "would come after severity");
    let out = env.fails(2, &["amend", &started[..8], "--at", &env.ago(112), "--json"]);
    let err: Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "fact-before-impact", "{err}");
    assert!(err["error"]["hints"].to_string().contains(&sev[..8]), "{err}");
    // Earlier than every fact, or with a note only before it, the move is a correction.
    env.ok(&["log", "deploy went out", "--at", &env.ago(118)]);
    env.ok(&["amend", &started[..8], "--at", &env.ago(116)]);

    // Without a given impact started, the opening stands for it.
    let env = Env::init();
    env.ok(&["open", "Search slow", "--severity", "SEV3", "--at", &env.ago(30)]);
    let id = env.only_id();
    env.ok(&["impact", "--customers", "40", "--at", &env.ago(20)]);
    let opening = event_id(&env, &id, "opened");
    env.refused(&id, &["amend", &opening[..8], "--at", &env.ago(10)], "would come after impact");
}

fn run_in_zone(env: &Env, tz: &str, args: &[&str]) -> Out {
    let o = env.command(BIN).env("TZ", tz).args(args).stdin(std::process::Stdio::null()).output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A POSIX `TZ` rule (what `TZ=EST5EDT,M3.2.0,M11.1.0` spells for New York) whose clock
/// change happens at UTC instant `change`, so that the day of the change is the latest day
/// an `HH:MM` can mean whatever day the test runs. `spring`: clocks go forward an hour at
/// `change` (standard time UTC-5 before it); else back an hour (daylight time UTC-4 before).
fn zone_changing_at(change: DateTime<Utc>, spring: bool) -> String {
    let local = if spring { change - Duration::hours(5) } else { change - Duration::hours(4) };
    let day = local.ordinal0();
    let other = (day + 180) % 365;
    let at = local.format("%H:%M");
    if spring { format!("XST5XDT,{day}/{at},{other}/2") } else { format!("XST5XDT,{other}/2,{day}/{at}") }
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Regression: with `TZ=America/New_York`, `--started-at 02:30` on 2026-03-08 (when clocks
/// skip from 02:00 to 03:00) silently became 07:30Z the day before: 24.5 h of impact. Run in
/// a zone whose clocks skipped an hour three hours ago, the same as New York's that day.
#[test]
fn a_local_time_the_clocks_skipped_is_refused_naming_its_utc_readings() {
    let env = Env::init();
    let change = (Utc::now() - Duration::hours(3)).duration_trunc(Duration::minutes(1)).unwrap();
    let tz = zone_changing_at(change, true);
    let skipped = (change - Duration::hours(5) + Duration::minutes(30)).format("%H:%M").to_string();
    let out =
        run_in_zone(&env, &tz, &["open", "Checkout down", "--severity", "SEV1", "--started-at", &skipped]);
    assert_eq!(out.code, 2, "{tz}: {out:#?}");
    assert!(out.stderr.contains("does not exist on"), "{out:#?}");
    let readings =
        format!("{} or {}", rfc(change - Duration::minutes(30)), rfc(change + Duration::minutes(30)));
    assert!(out.stderr.contains(&readings), "{readings}: {out:#?}");
    assert!(env.ids().is_empty(), "nothing was opened");
    // Half an hour before the gap exists: it is that moment.
    let before = (change - Duration::hours(5) - Duration::minutes(30)).format("%H:%M").to_string();
    let out =
        run_in_zone(&env, &tz, &["open", "Checkout down", "--severity", "SEV1", "--started-at", &before]);
    assert_eq!(out.code, 0, "{out:#?}");
    let id = env.only_id();
    let started = env.events(&id).into_iter().find(|e| e["milestone"] == "started").unwrap();
    assert_eq!(started["occurred_at"], rfc(change - Duration::minutes(30)));
}

/// 01:30 on 2026-11-01 happened twice in New York. Run in a zone whose clocks went back an
/// hour three hours ago: the half hour before the change is refused, naming both moments.
#[test]
fn a_local_time_the_clocks_showed_twice_is_refused_naming_both() {
    let (env, id) = opened();
    let change = (Utc::now() - Duration::hours(3)).duration_trunc(Duration::minutes(1)).unwrap();
    let tz = zone_changing_at(change, false);
    let twice = (change - Duration::hours(4) - Duration::minutes(30)).format("%H:%M").to_string();
    let before = env.log_of(&id);
    let out = run_in_zone(&env, &tz, &["log", "x", "--at", &twice]);
    assert_eq!(out.code, 2, "{tz}: {out:#?}");
    let both = format!("{} or {}", rfc(change - Duration::minutes(30)), rfc(change + Duration::minutes(30)));
    assert!(out.stderr.contains("happened twice on") && out.stderr.contains(&both), "{both}: {out:#?}");
    assert_eq!(env.log_of(&id), before);
}

/// Regression: `12:00:60Z` was stored, and published in status.json.
#[test]
fn a_leap_second_is_refused() {
    let (env, id) = opened();
    let leap = format!("{}T12:00:60Z", (Utc::now() - Duration::days(1)).format("%Y-%m-%d"));
    env.refused(&id, &["log", "x", "--at", &leap], "leap second");
    env.refused(&id, &["update", "--channel", "status-page", "Investigating", "--at", &leap], "leap second");
    env.refused(&id, &["mark", "mitigated", "--at", "12:00:60"], "leap second");
}

/// A machine whose clock ran 2 h slow logged a "resolved" public update before the opening,
/// and the public state ignored it: `doctor` names such events.
#[test]
fn doctor_names_events_stamped_before_the_opening() {
    let (env, id) = opened();
    env.ok(&["update", "--channel", "support", "Resolved", "--as", "Slow Clock"]);
    let opened_at = env.events(&id)[0]["at"].as_str().unwrap().to_string();
    // What the slow machine wrote: its update, stamped 2 hours before the opening.
    let mut slow = env.events(&id).into_iter().find(|e| e["kind"] == "update").unwrap();
    let opening = DateTime::parse_from_rfc3339(&opened_at).unwrap().with_timezone(&Utc);
    let stamped = rfc(opening - Duration::hours(2));
    slow["id"] = "5104c10c000000000000000000000001".into();
    slow["at"] = stamped.clone().into();
    let path = env.path(&format!("incidents/{id}/events.jsonl"));
    let mut log = env.log_of(&id);
    log.push_str(&format!("{slow}\n"));
    std::fs::write(&path, log).unwrap();
    let out = env.fails(1, &["doctor"]);
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.contains("before incident")).collect();
    assert_eq!(lines.len(), 1, "{out:#?}");
    let opened = rfc(DateTime::parse_from_rfc3339(&opened_at).unwrap().with_timezone(&Utc));
    for part in ["5104c10c", "(update)", &stamped, &id, &opened] {
        assert!(lines[0].contains(part), "{part}: {}", lines[0]);
    }
    let json = env.fails(1, &["doctor", "--json"]);
    let findings: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(findings[0]["kind"], "before-opening", "{findings}");
    // Retracted, it no longer counts.
    env.ok(&["retract", "5104c10c", "--reason", "written by a machine with a slow clock"]);
    env.ok(&["doctor"]);
}

/// Regression: `-i grocery` matched nothing because ids start with the date.
#[test]
fn an_incident_is_named_by_words_of_its_title() {
    let env = Env::init();
    env.ok(&["open", "Grocery checkout slow", "--severity", "SEV3"]);
    env.ok(&["open", "Payments checkout down", "--severity", "SEV2"]);
    let ids = env.ids();
    let grocery = ids.iter().find(|i| i.contains("grocery")).unwrap();
    let out = env.ok(&["status", "-i", "grocery"]);
    assert!(out.stdout.contains(grocery.as_str()), "{out:#?}");
    let out = env.ok(&["status", "-i", "payments-checkout"]);
    assert!(out.stdout.contains("Payments checkout down"), "{out:#?}");
    // Words of two ids: exit 2 listing both, as an ambiguous prefix does.
    let out = env.fails(2, &["status", "-i", "checkout"]);
    assert!(ids.iter().all(|i| out.stderr.contains(i.as_str())), "{out:#?}");
    // Whole words only, and in order.
    env.fails(2, &["status", "-i", "grocer"]);
    env.fails(2, &["status", "-i", "slow-checkout"]);
}

/// Regression: `stats --since 2026-06-01` was refused; a date is that day's start, UTC.
#[test]
fn a_period_may_be_given_in_days() {
    let env = Env::init();
    let s = env.json(&["stats", "--json", "--since", "2026-06-01", "--until", "2026-07-01"]);
    assert_eq!(s["since"], "2026-06-01T00:00:00Z", "{s}");
    assert_eq!(s["until"], "2026-07-01T00:00:00Z", "{s}");
    let out = env.fails(2, &["stats", "--since", "2026-06-31"]);
    assert!(out.stderr.contains("2026-06-31"), "{out:#?}");
}

//! Figures a reader compares side by side (docs/record.md, docs/statistics.md): the severity
//! (current and peak), time at each severity, phase budgets, the detect phase against time to
//! detect, revenue with no service named, and the failing share's rows. Each test is named after
//! what disagreed.

use super::harness::Env;

/// `incident ARGS --at <minutes ago>`.
fn at(env: &Env, args: &[&str], ago: i64) -> String {
    let when = env.ago(ago);
    let mut full = args.to_vec();
    full.extend(["--at", &when]);
    env.ok(&full).stdout
}

/// Opens `SEV` on checkout: impact started `started` minutes ago, opened `opened` minutes ago.
fn opened(env: &Env, sev: &str, started: i64, opened: i64) -> String {
    let s = env.ago(started);
    at(
        env,
        &["open", "Checkout 500", "--severity", sev, "--service", "checkout", "--started-at", &s],
        opened,
    );
    env.only_id()
}

fn postmortem(env: &Env) -> String {
    env.ok(&["postmortem", "--no-commit"]);
    env.read(&format!("incidents/{}/postmortem.md", env.only_id()))
}

/// Regression: the header and `list` showed the final severity (SEV2) while `stats --by
/// severity` counted the incident as SEV1, with nothing saying it had been SEV1.
#[test]
fn a_lowered_severity_is_shown_with_its_peak_in_list_status_and_the_postmortem() {
    let env = Env::init();
    opened(&env, "SEV1", 60, 60);
    at(&env, &["severity", "SEV2"], 40);
    let list = env.ok(&["list"]).stdout;
    assert!(list.contains("SEV2, peak SEV1"), "{list}");
    let rows = env.json(&["list", "--json"]);
    assert_eq!(
        (rows[0]["severity"].as_str(), rows[0]["peak_severity"].as_str()),
        (Some("SEV2"), Some("SEV1"))
    );
    let s = env.json(&["status", "--json"]);
    assert_eq!((s["severity"].as_str(), s["peak_severity"].as_str()), (Some("SEV2"), Some("SEV1")), "{s}");
    assert!(env.ok(&["status"]).stdout.contains("SEV2, peak SEV1 · open"));
    at(&env, &["resolve"], 10);
    let pm = postmortem(&env);
    assert!(pm.contains("| Severity | SEV2, peak SEV1 (history:"), "{pm}");
    let stats = env.json(&["stats", "--json", "--by", "severity"]);
    assert_eq!(stats["groups"][0]["key"], "SEV1", "{stats}");
    // Never raised: no peak beside it.
    let env = Env::init();
    opened(&env, "SEV3", 20, 20);
    assert!(!env.ok(&["list"]).stdout.contains("peak"));
    assert_eq!(env.json(&["status", "--json"])["peak_severity"], "SEV3");
}

/// Regression: time at each severity was counted from the opening, not from impact started:
/// "Time at SEV2 1m 50s / SEV1 1m 31s" on a 37m 51s impact.
#[test]
fn time_at_each_severity_counts_from_impact_started_until_resolved() {
    let env = Env::init();
    opened(&env, "SEV2", 60, 45);
    at(&env, &["severity", "SEV1"], 40);
    at(&env, &["mark", "mitigated"], 25);
    at(&env, &["resolve"], 20);
    let pm = postmortem(&env);
    // The header's history tells the opening severity from impact started too.
    let started = env.ago(60).replace('T', " ");
    let history = format!("| Severity | SEV1 (history: SEV2 from {started}; SEV1 from");
    for line in [
        "| Time at SEV2 | 20m |",
        "| Time at SEV1 | 20m |",
        "| Time to resolve | impact started → resolved | 40m |",
        history.as_str(),
    ] {
        assert!(pm.contains(line), "lacks {line:?}:\n{pm}");
    }
}

/// Regression: a phase not yet entered was given the opening severity's budget, and `phase`
/// said "started (budget 2h)" while `status` and the walk's card said 30m.
#[test]
fn a_phase_entered_after_a_severity_change_has_the_new_severitys_budget_everywhere() {
    let env = Env::init();
    opened(&env, "SEV3", 30, 30);
    at(&env, &["phase", "assess"], 28);
    env.ok(&["severity", "SEV1", "--as", "Other Shell"]);
    let s = env.json(&["status", "--json"]);
    let diagnose = &s["phases"][2];
    assert_eq!(
        (diagnose["budget_s"].as_i64(), diagnose["budget_severity"].as_str()),
        (Some(1800), Some("SEV1"))
    );
    let out = env.ok(&["phase", "diagnose"]);
    let said = out.stdout + &out.stderr;
    assert!(said.contains("phase diagnose started (budget 30m)"), "{said}");
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["phases"][2]["budget_s"], 1800, "{s}");
    // Assess was entered at SEV3 and keeps its budget.
    assert_eq!(s["phases"][1]["budget_s"], 30 * 60);
}

/// Regression: "Time to detect 7m" beside "detect 36m 10s, over by 31m", and `stats` said
/// "detect over budget" for every incident, as detect ran until someone moved on.
#[test]
fn the_detect_phase_ends_at_detected_as_time_to_detect_does() {
    let env = Env::init();
    opened(&env, "SEV2", 60, 50);
    at(&env, &["mark", "detected"], 56);
    at(&env, &["phase", "diagnose"], 24);
    let s = env.json(&["status", "--json"]);
    assert_eq!(s["metrics"]["time_to_detect_s"], 4 * 60);
    let (detect, assess) = (&s["phases"][0], &s["phases"][1]);
    assert_eq!((detect["actual_s"].as_i64(), detect["over"].as_bool()), (Some(4 * 60), Some(false)), "{s}");
    // The confirming that followed detection is assessment: 56m ago until diagnosis, 24m ago.
    assert_eq!((assess["actual_s"].as_i64(), assess["over"].as_bool()), (Some(32 * 60), Some(true)), "{s}");
    at(&env, &["resolve"], 10);
    let pm = postmortem(&env);
    assert!(pm.contains("| Time to detect | impact started → detected | 4m |"), "{pm}");
    assert!(pm.contains("| detect | 5m (SEV2) | 4m |"), "{pm}");
    let stats = env.json(&["stats", "--json"]);
    assert_eq!(stats["phase_overruns"]["detect"], 0, "{stats}");
    assert_eq!(stats["phase_overruns"]["assess"], 1, "{stats}");
}

/// Regression: an incident that named no service ("Internal admin tool slow", SEV4, no
/// customer impact) was charged the whole company's revenue per hour.
#[test]
fn an_incident_naming_no_service_has_no_revenue_estimate() {
    let env = Env::init();
    let s = env.ago(70);
    at(&env, &["open", "Internal admin tool slow", "--severity", "SEV4", "--started-at", &s], 70);
    at(&env, &["mark", "mitigated"], 10);
    let s = env.json(&["status", "--json"]);
    assert!(s["revenue_lost"].is_null(), "{s}");
    assert!(env.json(&["list", "--json"])[0]["revenue_lost"].is_null());
    assert!(!env.ok(&["status"]).stdout.contains("revenue"), "nothing to say about revenue");
    at(&env, &["resolve"], 5);
    let pm = postmortem(&env);
    assert!(
        pm.contains("| Estimated revenue lost | none estimated: no service was named, so no revenue is known to be at stake |"),
        "{pm}"
    );
    let stats = env.json(&["stats", "--json"]);
    assert_eq!(stats["revenue_lost"], 0.0, "{stats}");
    assert_eq!(stats["incidents"], 1);
}

/// Regression: a share logged a moment before mitigation made a row
/// "14:25:51Z → 14:25:51Z (0s)" in the failing-share table.
#[test]
fn a_failing_share_row_of_no_length_is_left_out() {
    let env = Env::init();
    opened(&env, "SEV2", 30, 30);
    let mitigated = env.base - chrono::Duration::minutes(10);
    let just_before = (mitigated - chrono::Duration::milliseconds(400)).to_rfc3339();
    env.ok(&["impact", "--share", "0", "--at", &just_before]);
    env.ok(&["mark", "mitigated", "--at", &mitigated.to_rfc3339()]);
    at(&env, &["resolve"], 5);
    let pm = postmortem(&env);
    let rows: Vec<&str> = pm.lines().filter(|l| l.starts_with("| Failing share")).collect();
    assert_eq!(rows.len(), 1, "{pm}");
    assert!(rows[0].ends_with("| 100% of the affected services' traffic (20m) |"), "{pm}");
}

/// For any log of severity changes, phase moves and a detection mark, the severity (current
/// and peak), each phase's budget and time, time to detect and the time at each severity agree
/// across `status --json`, `list --json`, the walk's card and the postmortem, and with the
/// definitions worked out here from the log: the budget is the one of the severity in force
/// when the phase was first entered (the current one for a phase not yet entered), detect runs
/// from impact started to detected or the next phase, time at a severity runs from impact
/// started to resolved.
mod agreement {
    use chrono::{DateTime, Duration, Utc};
    use incident::internals::timefmt::human;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::super::harness::Env;

    const SEVS: [&str; 4] = ["SEV1", "SEV2", "SEV3", "SEV4"];
    const PHASES: [&str; 5] = ["detect", "assess", "diagnose", "remediate", "validate"];

    /// The starter incident.yaml's budgets, in minutes, by severity then phase.
    fn budget_s(sev: &str, phase: &str) -> i64 {
        let row: [i64; 5] = match sev {
            "SEV1" => [5, 10, 30, 45, 30],
            "SEV2" => [5, 15, 45, 60, 60],
            "SEV3" => [15, 30, 120, 240, 120],
            _ => [60, 60, 1440, 2880, 1440],
        };
        row[PHASES.iter().position(|p| *p == phase).unwrap()] * 60
    }

    #[derive(Debug, Clone)]
    enum Op {
        Severity(usize),
        NextPhase,
    }

    #[derive(Debug, Clone)]
    struct Case {
        sev: usize,
        /// Impact started this many minutes ago.
        started: i64,
        /// Opened this many minutes after impact started.
        opened_after: i64,
        /// `mark detected` this many minutes after impact started, if at all.
        detected_after: Option<i64>,
        /// Each after the one before (the first after opening), by these minutes.
        ops: Vec<(i64, Op)>,
        resolve_after: i64,
    }

    fn case() -> impl Strategy<Value = Case> {
        let op = prop_oneof![(0..4usize).prop_map(Op::Severity), Just(Op::NextPhase)];
        (
            0..4usize,
            150..200i64,
            0..20i64,
            proptest::option::of(0..40i64),
            proptest::collection::vec((1..15i64, op), 0..7),
            1..20i64,
        )
            .prop_map(|(sev, started, opened_after, detected_after, ops, resolve_after)| Case {
                sev,
                started,
                opened_after,
                detected_after,
                ops,
                resolve_after,
            })
    }

    fn time(v: &Value) -> Option<DateTime<Utc>> {
        v.as_str().map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    /// What the log says, worked out here.
    struct Model {
        started: DateTime<Utc>,
        detected: DateTime<Utc>,
        /// (from, severity), the opening first.
        severities: Vec<(DateTime<Utc>, &'static str)>,
        /// When each phase after detect was first entered.
        entered: Vec<DateTime<Utc>>,
    }

    impl Model {
        fn current(&self) -> &'static str {
            self.severities.last().unwrap().1
        }
        fn peak(&self) -> &'static str {
            self.severities.iter().map(|s| s.1).min().unwrap()
        }
        fn label(&self) -> String {
            if self.peak() == self.current() {
                self.current().to_string()
            } else {
                format!("{}, peak {}", self.current(), self.peak())
            }
        }
        fn severity_at(&self, t: DateTime<Utc>) -> &'static str {
            self.severities.iter().rev().find(|s| s.0 <= t).unwrap_or(&self.severities[0]).1
        }
        /// Detect: from impact started to detected, or to the next phase if that came first.
        fn detect_s(&self) -> i64 {
            let end = self.entered.first().map_or(self.detected, |e| self.detected.min(*e));
            (end - self.started).num_seconds()
        }
        fn time_at(&self, resolved: DateTime<Utc>) -> Vec<(&'static str, i64)> {
            let mut out: Vec<(&'static str, i64)> = Vec::new();
            for (i, (from, sev)) in self.severities.iter().enumerate() {
                // The opening severity applies from impact started.
                let from = if i == 0 { self.started } else { (*from).max(self.started) };
                let to = self.severities.get(i + 1).map_or(resolved, |n| n.0.max(self.started));
                match out.iter_mut().find(|(s, _)| s == sev) {
                    Some((_, t)) => *t += (to - from).num_seconds(),
                    None => out.push((sev, (to - from).num_seconds())),
                }
            }
            out
        }
    }

    /// Every phase row of `status --json` against the model's budgets and detect time.
    fn check_rows(m: &Model, s: &Value) {
        let rows = s["phases"].as_array().unwrap();
        for row in rows {
            let phase = row["phase"].as_str().unwrap();
            let sev = match time(&row["started"]) {
                Some(t) => m.severity_at(t),
                None => m.current(),
            };
            assert_eq!(row["budget_severity"], sev, "{row}");
            assert_eq!(row["budget_s"], budget_s(sev, phase), "{row}");
        }
        assert_eq!(rows[0]["actual_s"], m.detect_s(), "{s}");
        assert_eq!(time(&rows[0]["started"]), Some(m.started));
        assert!(m.detect_s() <= s["metrics"]["time_to_detect_s"].as_i64().unwrap());
        assert_eq!(s["severity"], m.current());
        assert_eq!(s["peak_severity"], m.peak());
    }

    /// The card's `LABEL · PHASE · SPENT of BUDGET budget`, its lines joined again.
    fn check_card(env: &Env, m: &Model, s: &Value) {
        let out = env.run(&["walk"]);
        assert_eq!(out.code, 2, "{out:?}");
        let text = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        let (phase, rest) = PHASES
            .iter()
            .find_map(|p| text.split_once(&format!("{} · {p} · ", m.label())).map(|(_, r)| (*p, r)))
            .unwrap_or_else(|| panic!("no card line with {:?}: {text}", m.label()));
        let (spent, budget) = rest.split_once(" budget").unwrap().0.split_once(" of ").unwrap();
        let row = s["phases"].as_array().unwrap().iter().find(|r| r["phase"] == phase).unwrap();
        assert_eq!(budget, human(row["budget_s"].as_i64().unwrap()), "{text}");
        if row["running"] == false {
            assert_eq!(spent, human(row["actual_s"].as_i64().unwrap_or(0)), "{text}");
        }
    }

    fn run(c: &Case) {
        let env = Env::init();
        let at = |minutes_ago: i64| env.ago(minutes_ago);
        let mut now = c.started - c.opened_after;
        let started_at = at(c.started);
        env.ok(&[
            "open",
            "Checkout 500",
            "--severity",
            SEVS[c.sev],
            "--service",
            "checkout",
            "--runbook",
            "bad-deploy",
            "--started-at",
            &started_at,
            "--at",
            &at(now),
        ]);
        let ts = |ago: i64| env.base - Duration::minutes(ago);
        let mut m = Model {
            started: ts(c.started),
            detected: ts(now),
            severities: vec![(ts(now), SEVS[c.sev])],
            entered: Vec::new(),
        };
        // Detected no later than resolved.
        let last = c.opened_after + c.ops.iter().map(|(g, _)| g).sum::<i64>() + c.resolve_after;
        if let Some(d) = c.detected_after.map(|d| d.min(last)) {
            env.ok(&["mark", "detected", "--at", &at(c.started - d)]);
            m.detected = ts(c.started - d);
        }
        let mut phase = 0;
        for (gap, op) in &c.ops {
            now -= gap;
            match op {
                Op::Severity(i) if SEVS[*i] != m.current() => {
                    env.ok(&["severity", SEVS[*i], "--at", &at(now)]);
                    m.severities.push((ts(now), SEVS[*i]));
                }
                Op::NextPhase if phase < 4 => {
                    env.ok(&["phase", "next", "--at", &at(now)]);
                    m.entered.push(ts(now));
                    phase += 1;
                }
                _ => {}
            }
        }
        let s = env.json(&["status", "--json"]);
        check_rows(&m, &s);
        assert_eq!(env.json(&["list", "--json"])[0]["peak_severity"], m.peak());
        check_card(&env, &m, &s);

        now -= c.resolve_after;
        env.ok(&["resolve", "--at", &at(now)]);
        let s = env.json(&["status", "--json"]);
        check_rows(&m, &s);
        env.ok(&["postmortem", "--no-commit"]);
        let pm = env.read(&format!("incidents/{}/postmortem.md", env.only_id()));
        let header = format!("| Severity | {}", m.label());
        assert!(
            pm.lines().any(|l| l == format!("{header} |") || l.starts_with(&format!("{header} (history"))),
            "{header}: {pm}"
        );
        for row in s["phases"].as_array().unwrap() {
            let actual = match row["actual_s"].as_i64() {
                Some(a) => human(a),
                None => "not entered".to_string(),
            };
            let line = format!(
                "| {} | {} ({}) | {actual}",
                row["phase"].as_str().unwrap(),
                human(row["budget_s"].as_i64().unwrap()),
                row["budget_severity"].as_str().unwrap()
            );
            assert!(
                pm.lines()
                    .any(|l| l.starts_with(&format!("{line} |")) || l.starts_with(&format!("{line} in "))),
                "{line}: {pm}"
            );
        }
        let ttd = s["metrics"]["time_to_detect_s"].as_i64().unwrap();
        assert!(
            pm.contains(&format!("| Time to detect | impact started → detected | {} |", human(ttd))),
            "{pm}"
        );
        for (sev, secs) in m.time_at(ts(now)) {
            assert!(pm.contains(&format!("| Time at {sev} | {} |", human(secs))), "{sev} {secs}: {pm}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn severity_budget_and_phase_figures_agree_across_status_card_and_postmortem(c in case()) {
            run(&c);
        }
    }
}

//! `incident ingest`: alert notifications as Alertmanager, Grafana and PagerDuty post them
//! (the fixtures are their documented examples, tests/fixtures/alerts/README.md), routed by
//! `alerts:` rules, through the real binary.

use std::io::Write;
use std::process::Stdio;

use serde_json::{Value, json};

use super::harness::{Env, Out, without_hints};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/alerts");

/// The rules every test routes by: the first two both match the Alertmanager fixture's
/// alerts, so the first must win.
const RULES: &str = r#"
alerts:
  - match: { service: checkout, severity: critical }
    services: [checkout]
    severity: SEV1
    runbook: bad-deploy
    title: "{{ labels.alertname }} on {{ labels.service }}"
  - match: { service: checkout }
    services: [checkout]
    severity: SEV3
  - match: { team: blue }
    services: [web]
    severity: SEV2
    title: "{{ name }}: {{ annotations.summary }}"
  - match: { service: API Service, urgency: high }
    services: [checkout]
    severity: SEV2
    runbook: third-party
"#;

fn routed() -> Env {
    let env = Env::init();
    let config = env.read("incident.yaml") + RULES;
    std::fs::write(env.path("incident.yaml"), config).unwrap();
    env.ok(&["lint"]);
    env.git(&["commit", "-qam", "alert rules"]);
    env
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// `ingest -` with `body` on stdin.
fn ingest(env: &Env, body: &[u8], args: &[&str]) -> Out {
    let mut child = env
        .command(super::harness::BIN)
        .args(["ingest", "-"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run incident");
    let mut stdin = child.stdin.take().unwrap();
    let body = body.to_vec();
    // The binary may stop reading early (a body over the limit): a broken pipe is its answer.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    Out::from(out)
}

fn ingest_json(env: &Env, body: &[u8]) -> Value {
    let out = ingest(env, body, &["--json"]);
    assert_eq!(out.code, 0, "{out:#?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stdout))
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

fn alert_events(env: &Env, id: &str) -> Vec<Value> {
    env.events(id).into_iter().filter(|e| e["kind"] == "alert").collect()
}

/// An Alertmanager notification for group `group` with `alerts` as (fingerprint, status,
/// service).
fn am(group: &str, alerts: &[(&str, &str, &str)], starts_at: &str) -> Vec<u8> {
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|(fp, status, service)| {
            json!({
                "status": status,
                "labels": {"alertname": format!("Alert{fp}"), "service": service, "severity": "critical"},
                "annotations": {"summary": "s"},
                "startsAt": starts_at,
                "endsAt": if *status == "resolved" { starts_at } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus.example.com/graph",
                "fingerprint": fp,
            })
        })
        .collect();
    let status = if alerts.iter().any(|a| a["status"] == "firing") { "firing" } else { "resolved" };
    let body = json!({
        "version": "4", "groupKey": group, "status": status, "receiver": "incident",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com", "truncatedAlerts": 0, "alerts": alerts,
    });
    body.to_string().into_bytes()
}

#[test]
fn the_alertmanager_example_opens_one_incident_by_the_first_rule_that_matches() {
    let env = routed();
    let before = env.base;
    let out = env.json(&["ingest", &fixture("alertmanager.json"), "--json"]);
    let after = chrono::Utc::now();
    assert_eq!(out["opened"], true);
    let id = out["incident"].as_str().unwrap();
    assert_eq!(id, "2026-11-26-checkouterrorrate-on-checkout");
    assert_eq!(env.ids(), vec![id.to_string()]);
    let events = env.events(id);
    assert_eq!(kinds(&events), ["opened", "mark", "mark", "runbook", "alert", "alert"], "{events:#?}");
    assert_eq!(out["events"].as_array().unwrap().len(), 6);
    for e in &events {
        assert_eq!(e["by"], "alertmanager", "{e}");
    }
    // The first rule (service and severity) wins over the second (service alone).
    assert_eq!(events[0]["severity"], "SEV1");
    assert_eq!(events[0]["services"], json!(["checkout"]));
    assert_eq!(events[0]["title"], "CheckoutErrorRate on checkout");
    assert_eq!(events[3]["runbook"], "bad-deploy");
    // Impact started when the first alert started (its offset read), to the nanosecond.
    assert_eq!(events[1]["milestone"], "started");
    assert_eq!(events[1]["occurred_at"], "2026-11-26T13:02:00.123456789Z");
    // Detected when it was received, by this machine's clock.
    assert_eq!(events[2]["milestone"], "detected");
    let detected = chrono::DateTime::parse_from_rfc3339(events[2]["at"].as_str().unwrap()).unwrap();
    assert!(detected >= before && detected <= after, "{detected}");
    // Each alert whole: labels, annotations, its link, fingerprint and group.
    let a = &events[4];
    assert_eq!(a["source"], "alertmanager");
    assert_eq!(a["name"], "CheckoutErrorRate");
    assert_eq!(a["status"], "firing");
    assert_eq!(a["fingerprint"], "1a30ba71cca2921f");
    assert_eq!(a["group_key"], "{}/{service=\"checkout\"}:{alertname=\"CheckoutErrorRate\"}");
    assert_eq!(a["starts_at"], "2026-11-26T13:02:00.123456789Z");
    assert_eq!(a["labels"]["instance"], "checkout-1:8080");
    assert_eq!(a["annotations"]["runbook_url"], "https://runbooks.example.com/checkout-errors");
    assert_eq!(
        a["link"],
        "http://prometheus.example.com:9090/graph?g0.expr=checkout_error_ratio+%3E+0.05&g0.tab=1"
    );
    assert!(a.get("ends_at").is_none(), "a firing alert has no end: {a}");
    assert_eq!(events[5]["fingerprint"], "5c8e2f1b7d3a9e40");
    // Nobody acknowledged, and no commander: both are a person's to take.
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["key_times"]["acknowledged"], Value::Null, "{status:#}");
    assert_eq!(status["commander"], Value::Null);
    assert_eq!(status["key_times"]["started"], "2026-11-26T13:02:00.123456789Z");
    assert_eq!(status["alerts"].as_array().unwrap().len(), 2, "{status:#}");
    assert_eq!(status["alerts"][0]["status"], "firing");
}

#[test]
fn a_repeat_adds_nothing_and_a_resolve_is_logged_on_the_same_incident_without_resolving_it() {
    let env = routed();
    let first = env.json(&["ingest", &fixture("alertmanager.json"), "--json"]);
    let id = first["incident"].as_str().unwrap().to_string();
    let log = env.log_of(&id);
    let again = env.json(&["ingest", &fixture("alertmanager.json"), "--json"]);
    assert_eq!(again, json!({"incident": id, "opened": false, "events": []}));
    let human = env.ok(&["ingest", &fixture("alertmanager.json")]);
    assert!(human.stdout.contains("nothing new"), "{}", human.stdout);
    assert_eq!(env.log_of(&id), log, "a repeat wrote to the log");

    // Alertmanager's notification when the first alert resolved: the same group.
    let mut body: Value = serde_json::from_str(&env_read(&fixture("alertmanager.json"))).unwrap();
    body["alerts"][0]["status"] = json!("resolved");
    body["alerts"][0]["endsAt"] = json!("2026-11-26T15:30:00Z");
    let resolved = ingest_json(&env, body.to_string().as_bytes());
    assert_eq!(resolved["incident"], id.as_str());
    assert_eq!(resolved["opened"], false);
    assert_eq!(kinds(resolved["events"].as_array().unwrap()), ["alert"]);
    assert_eq!(resolved["events"][0]["status"], "resolved");
    assert_eq!(resolved["events"][0]["ends_at"], "2026-11-26T15:30:00Z");
    assert_eq!(env.ids().len(), 1);

    let status = env.ok(&["status"]).stdout;
    assert!(status.contains("SEV1 · open"), "{status}");
    assert!(
        status.contains(
            "alert CheckoutErrorRate (alertmanager, 1a30ba71cca2921f): resolved at 2026-11-26 15:30:00Z"
        ),
        "{status}"
    );
    assert!(
        status.contains("alert CheckoutErrorRate (alertmanager, 5c8e2f1b7d3a9e40): firing since"),
        "{status}"
    );
    let timeline = env.ok(&["timeline"]).stdout;
    assert!(timeline.contains("Alert CheckoutErrorRate resolved at 2026-11-26T15:30:00Z"), "{timeline}");
    let json = env.json(&["status", "--json"]);
    assert_eq!(json["state"], "open");
    assert_eq!(json["alerts"][0]["status"], "resolved");
    // A resolved alert that fires again is news.
    let refired = env.json(&["ingest", &fixture("alertmanager.json"), "--json"]);
    assert_eq!(kinds(refired["events"].as_array().unwrap()), ["alert"]);
}

fn env_read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_grafana_example_opens_its_incident_from_stdin() {
    let env = routed();
    let out = ingest_json(&env, env_read(&fixture("grafana.json")).as_bytes());
    assert_eq!(out["opened"], true);
    let id = out["incident"].as_str().unwrap();
    let events = env.events(id);
    assert_eq!(kinds(&events), ["opened", "mark", "mark", "alert", "alert"], "{events:#?}");
    assert!(events.iter().all(|e| e["by"] == "grafana"));
    assert_eq!(events[0]["title"], "High memory usage: This alert was triggered for zone us-1");
    assert_eq!(events[0]["severity"], "SEV2");
    assert_eq!(events[0]["services"], json!(["web"]));
    assert_eq!(events[1]["occurred_at"], "2021-10-12T07:51:03.157076Z");
    let a = &events[3];
    assert_eq!(a["source"], "grafana");
    assert_eq!(a["fingerprint"], "c6eadffa33fcdf37");
    assert_eq!(a["group_key"], "{}:{}");
    assert_eq!(a["labels"], json!({"alertname": "High memory usage", "team": "blue", "zone": "us-1"}));
    assert_eq!(a["annotations"]["description"], "The system has high memory usage");
    assert_eq!(a["annotations"]["values"], "[ metric='' labels={} value=14151.331895396988 ]");
    assert!(
        a["annotations"]["silence_url"]
            .as_str()
            .unwrap()
            .starts_with("https://play.grafana.org/alerting/silence/")
    );
    assert!(a["annotations"].get("dashboard_url").is_none(), "an empty URL is no link: {a}");
    assert_eq!(a["link"], "https://play.grafana.org/alerting/1afz29v7z/edit");
    assert_eq!(events[4]["name"], "High CPU usage");
}

#[test]
fn pagerduty_triggered_acknowledged_and_resolved_land_on_one_incident_that_stays_open() {
    let env = routed();
    let out = env.json(&["ingest", &fixture("pagerduty-triggered.json"), "--format", "pagerduty", "--json"]);
    assert_eq!(out["opened"], true);
    let id = out["incident"].as_str().unwrap().to_string();
    let events = env.events(&id);
    assert_eq!(kinds(&events), ["opened", "mark", "mark", "runbook", "alert"], "{events:#?}");
    assert!(events.iter().all(|e| e["by"] == "pagerduty"));
    assert_eq!(events[0]["title"], "A little bump in the road");
    assert_eq!(events[0]["severity"], "SEV2");
    assert_eq!(events[3]["runbook"], "third-party");
    assert_eq!(events[1]["occurred_at"], "2020-04-09T15:16:27Z");
    let a = &events[4];
    assert_eq!(a["fingerprint"], "PGR0VU2");
    assert_eq!(a["status"], "firing");
    assert_eq!(a["link"], "https://acme.pagerduty.com/incidents/PGR0VU2");
    assert_eq!(
        a["labels"],
        json!({
            "event_type": "incident.triggered", "title": "A little bump in the road",
            "status": "triggered", "incident_key": "d3640fbd41094207a1c11e58e46b1662", "urgency": "high",
            "number": "2", "service": "API Service", "service_id": "PF9KMXH", "priority": "P1",
            "escalation_policy": "Default", "teams": "Engineering",
        })
    );
    assert_eq!(
        a["annotations"],
        json!({"assignees": "User 123", "agent": "Tenex Engineer", "conference_url": "https://example.com"})
    );

    let acked = env.json(&["ingest", &fixture("pagerduty-acknowledged.json"), "--json"]);
    assert_eq!((acked["incident"].as_str(), &acked["opened"]), (Some(id.as_str()), &json!(false)));
    assert_eq!(acked["events"][0]["status"], "acknowledged");
    let resolved = env.json(&["ingest", &fixture("pagerduty-resolved.json"), "--json"]);
    assert_eq!(resolved["incident"], id.as_str());
    assert_eq!(resolved["events"][0]["status"], "resolved");
    assert_eq!(resolved["events"][0]["ends_at"], "2020-04-09T15:45:10Z");
    // Acknowledged in PagerDuty is not acknowledged here, and resolved there resolves nothing.
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["state"], "open");
    assert_eq!(status["key_times"]["acknowledged"], Value::Null);
    assert_eq!(env.ids().len(), 1);
}

#[test]
fn an_alert_no_rule_matches_opens_nothing_and_says_so() {
    let env = routed();
    let body = am("{}:{service=\"search\"}", &[("aa", "firing", "search")], "2026-11-26T13:00:00Z");
    let out = ingest_json(&env, &body);
    assert_eq!(out, json!({"incident": null, "opened": false, "events": []}));
    let human = ingest(&env, &body, &[]);
    assert_eq!(human.code, 0, "{human:#?}");
    assert!(
        human.stdout.contains("no alert rule matches Alertaa from alertmanager: nothing opened"),
        "{}",
        human.stdout
    );
    assert!(env.ids().is_empty());
    // Nor does a resolved alert that belongs to no open incident.
    let body = am("{}:{service=\"checkout\"}", &[("bb", "resolved", "checkout")], "2026-11-26T13:00:00Z");
    assert_eq!(ingest_json(&env, &body)["opened"], false);
    assert!(env.ids().is_empty());
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn an_alert_starting_a_little_after_it_was_received_starts_the_impact_when_it_was_detected() {
    let env = routed();
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339();
    let out = ingest_json(&env, &am("g", &[("cc", "firing", "checkout")], &soon));
    let status = env.json(&["status", "--json", "-i", out["incident"].as_str().unwrap()]);
    assert_eq!(status["key_times"]["started"], status["key_times"]["detected"], "{status:#}");
}

/// A storm of notifications for 5 alerts in two routing groups, each notification repeating some
/// of its group's alerts as Alertmanager does: one incident per group, one event per alert.
#[test]
fn a_storm_of_notifications_gives_one_incident_per_group_and_one_event_per_alert() {
    let env = routed();
    let groups = [
        ("{}:{service=\"checkout\"}", vec!["f0", "f1", "f2"], "checkout"),
        ("{}:{service=\"checkout-api\"}", vec!["f3", "f4"], "checkout"),
    ];
    let started = std::time::Instant::now();
    for i in 0..STORM {
        let (group, fps, service) = &groups[i % 2];
        // Alertmanager resends the group with the alerts it holds: a growing subset.
        let n = 1 + (i / 2) % fps.len();
        let alerts: Vec<(&str, &str, &str)> =
            fps.iter().take(n).map(|fp| (*fp, "firing", *service)).collect();
        let out = ingest(&env, &am(group, &alerts, "2026-11-26T13:00:00Z"), &["--json"]);
        assert_eq!(out.code, 0, "{out:#?}");
    }
    eprintln!("{STORM} notifications in {:?}", started.elapsed());
    let ids = env.ids();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let mut fingerprints: Vec<String> = ids
        .iter()
        .flat_map(|id| alert_events(&env, id))
        .map(|e| e["fingerprint"].as_str().unwrap().to_string())
        .collect();
    fingerprints.sort();
    assert_eq!(fingerprints, ["f0", "f1", "f2", "f3", "f4"]);
}

/// How many notifications the storm sends, each through its own process: about 45 ms each
/// in a debug build, so 1,000 would hold the suite for most of a minute; 300 repeat every
/// alert dozens of times.
const STORM: usize = 300;

/// Notifications at once must not open two incidents for one group: the decision and the
/// append are made under one lock.
#[test]
fn notifications_at_once_open_one_incident() {
    let env = routed();
    let body = am("{}:{service=\"checkout\"}", &[("dd", "firing", "checkout")], "2026-11-26T13:00:00Z");
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut c = env
                .command(super::harness::BIN)
                .args(["ingest", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            c.stdin.take().unwrap().write_all(&body).unwrap();
            c
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let ids = env.ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(alert_events(&env, &ids[0]).len(), 1);
}

/// Every malformed body is refused with exit 2, one line naming the field and what was
/// expected, and nothing written: the open incident's log and the working tree unchanged.
#[test]
fn malformed_notifications_are_refused_naming_the_field_and_nothing_is_written() {
    let env = routed();
    let id = env.json(&["ingest", &fixture("alertmanager.json"), "--json"])["incident"]
        .as_str()
        .unwrap()
        .to_string();
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "opened"]);
    let log = env.log_of(&id);
    let valid: Value = serde_json::from_str(&env_read(&fixture("alertmanager.json"))).unwrap();
    let with = |path: &[&str], value: Option<Value>| -> Vec<u8> {
        let mut v = valid.clone();
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut v;
        for p in parents {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        match value {
            Some(x) => at[*last] = x,
            None => {
                at.as_object_mut().unwrap().remove(*last);
            }
        }
        v.to_string().into_bytes()
    };
    let future = (chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339();
    let mut pd: Value = serde_json::from_str(&env_read(&fixture("pagerduty-triggered.json"))).unwrap();
    pd["event"]["event_type"] = json!("incident.annotated");
    let mut pd_number = pd.clone();
    pd_number["event"]["event_type"] = json!("incident.triggered");
    pd_number["event"]["data"]["number"] = json!("two");
    let mut too_large = b"{\"alerts\": \"".to_vec();
    too_large.resize(10 * 1024 * 1024 + 10, b'a');
    let cases: Vec<(&str, Vec<u8>, &[&str], &str)> = vec![
        (
            "not JSON",
            b"<html>502 Bad Gateway</html>".to_vec(),
            &[],
            "alert notification: body: expected JSON",
        ),
        ("empty", Vec::new(), &[], "body: expected JSON"),
        (
            "invalid UTF-8",
            b"{\"version\": \"4\xff\"}".to_vec(),
            &[],
            "body: expected UTF-8 text (byte 14 is not)",
        ),
        ("an array", b"[]".to_vec(), &[], "body: expected an object, found an array"),
        (
            "no sender's shape",
            b"{\"hello\": 1}".to_vec(),
            &[],
            "body: expected an Alertmanager (version 4), Grafana or PagerDuty",
        ),
        (
            "missing startsAt",
            with(&["alerts", "0", "startsAt"], None),
            &[],
            "alerts[0].startsAt: expected a value: it is missing",
        ),
        (
            "startsAt a number",
            with(&["alerts", "1", "startsAt"], Some(json!(12))),
            &[],
            "alerts[1].startsAt: expected an RFC 3339 time, found the number 12",
        ),
        (
            "startsAt not a time",
            with(&["alerts", "0", "startsAt"], Some(json!("yesterday"))),
            &[],
            "alerts[0].startsAt: expected an RFC 3339 time, found \"yesterday\"",
        ),
        (
            "labels not strings",
            with(&["alerts", "0", "labels", "severity"], Some(json!(2))),
            &[],
            "alerts[0].labels.severity: expected a string, found the number 2",
        ),
        (
            "labels missing",
            with(&["alerts", "0", "labels"], None),
            &[],
            "alerts[0].labels: expected a value: it is missing",
        ),
        (
            "alerts not a list",
            with(&["alerts"], Some(json!({}))),
            &[],
            "alerts: expected an array, found an object",
        ),
        (
            "status unknown",
            with(&["alerts", "0", "status"], Some(json!("burning"))),
            &[],
            "alerts[0].status: expected \"firing\" or \"resolved\", found \"burning\"",
        ),
        (
            "version 3",
            with(&["version"], Some(json!("3"))),
            &["--format", "alertmanager"],
            "version: expected \"4\"",
        ),
        ("groupKey missing", with(&["groupKey"], None), &[], "groupKey: expected a value: it is missing"),
        (
            "grafana without orgId",
            valid.to_string().into_bytes(),
            &["--format", "grafana"],
            "orgId: expected a value: it is missing",
        ),
        (
            "pagerduty's other events",
            pd.to_string().into_bytes(),
            &[],
            "event.event_type: expected \"incident.triggered\", \"incident.acknowledged\" or \"incident.resolved\", found \"incident.annotated\"",
        ),
        (
            "pagerduty number",
            pd_number.to_string().into_bytes(),
            &[],
            "event.data.number: expected a whole number, found \"two\"",
        ),
        (
            "startsAt in the future",
            with(&["alerts", "0", "startsAt"], Some(json!(future))),
            &[],
            "is in the future",
        ),
        (
            "startsAt before 1970",
            with(&["alerts", "0", "startsAt"], Some(json!("1969-07-20T20:17:00Z"))),
            &[],
            "startsAt: cannot use time \"1969-07-20T20:17:00Z\": 1969-07-20T20:17:00Z is before 1970-01-01",
        ),
        ("over 10 MiB", too_large, &[], "the body is over 10 MiB"),
    ];
    for (what, body, args, needle) in cases {
        let out = ingest(&env, &body, args);
        assert_eq!(out.code, 2, "{what}: {out:#?}");
        let err = out.stderr.trim_end();
        assert_eq!(without_hints(err), 1, "{what}: {err}");
        assert!(err.contains(needle), "{what}: expected {needle:?} in {err}");
        assert_eq!(env.log_of(&id), log, "{what} wrote to the log");
        assert_eq!(env.ids().len(), 1, "{what} opened an incident");
        assert_eq!(env.git(&["status", "--porcelain"]), "", "{what} changed the working tree");
    }
    // With --json, the error is JSON on stderr and its kind says what it was.
    let out = ingest(&env, b"nope", &["--json"]);
    let err: Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "bad-payload", "{err:#}");
    // A file that is not there is input to fix (exit 2), named; so is a postmortem template.
    let out = env.fails(2, &["ingest", "no-such-file.json"]);
    assert!(out.stderr.contains("cannot read no-such-file.json"), "{}", out.stderr);
    let out = env.fails(2, &["postmortem", "--template", "no-such.md.j2", "--no-commit"]);
    assert!(out.stderr.contains("cannot read no-such.md.j2"), "{}", out.stderr);
}

/// A rule naming a service or a severity incident.yaml does not declare could never open its
/// incident: lint says so where it stands.
#[test]
fn lint_names_an_alert_rule_for_an_undeclared_service_or_severity() {
    let env = Env::init();
    let config = env.read("incident.yaml")
        + "alerts:\n  - match: { service: checkout }\n    services: [chekout]\n    severity: P1\n  - match: {}\n    services: [checkout]\n    severity: sev2\n";
    std::fs::write(env.path("incident.yaml"), &config).unwrap();
    let out = env.fails(1, &["lint", "--format", "json"]);
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let found: Vec<(&str, &str)> =
        findings.iter().map(|f| (f["rule"].as_str().unwrap(), f["message"].as_str().unwrap())).collect();
    let lines = config.lines().count();
    assert_eq!(found.len(), 2, "{findings:#?}");
    assert!(
        found.iter().any(|(r, m)| *r == "unknown-service" && m.starts_with("service `chekout`")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(r, m)| *r == "unknown-severity" && m.starts_with("severity `P1`")),
        "{found:?}"
    );
    // `sev2` is SEV2 in any case, as `open --severity sev2` reads it.
    assert!(findings.iter().all(|f| f["line"].as_u64().unwrap() as usize <= lines - 3), "{findings:#?}");
}

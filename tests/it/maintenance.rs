//! Scheduled maintenance (`incident maintenance`, docs/communications.md) through the real
//! binary: its states, what the status page, `status.json` and the feed say at each, that it
//! never counts as downtime (page uptime and `stats` unchanged), and the moves it refuses.

use serde_json::Value;

use super::harness::Env;
use super::status_page::{ATOM_FACTS, html_facts, page, python_json};

/// A repository with a resolved SEV2 on checkout: one hour of real downtime, so the uptime
/// figures have something to stay equal to.
fn with_an_outage() -> Env {
    let env = Env::init();
    let opened = env.json(&[
        "--json",
        "open",
        "Checkout errors",
        "--severity",
        "SEV2",
        "--service",
        "checkout",
        "--started-at",
        &env.ago(180),
    ]);
    let id = opened["id"].as_str().expect("id").to_string();
    env.ok(&["-i", &id, "mark", "mitigated", "--at", &env.ago(120)]);
    env.ok(&["-i", &id, "resolve", "--root-cause", "a bad deploy"]);
    env
}

fn component<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["components"].as_array().unwrap().iter().find(|c| c["id"] == id).expect("component")
}

fn index_text(env: &Env) -> String {
    html_facts(&env.path("out/index.html"))["text"].as_str().unwrap().to_string()
}

fn feed_contents(env: &Env) -> Vec<String> {
    let feed = python_json(ATOM_FACTS, &env.path("out/feed.atom"));
    feed["entries"].as_array().unwrap().iter().map(|e| e["content"].as_str().unwrap().to_string()).collect()
}

/// The figures a maintenance must leave alone.
fn stats(env: &Env) -> (Value, Value, Value) {
    let s = env.json(&["--json", "stats"]);
    (s["incidents"].clone(), s["outages"].clone(), s["downtime_s"].clone())
}

#[test]
fn a_maintenance_goes_through_its_states_on_the_page_and_never_counts_as_downtime() {
    let env = with_an_outage();
    let before = page(&env);
    let uptime = component(&before, "checkout")["uptime_percent"].clone();
    assert_ne!(uptime, "100.00", "the outage shows in the uptime");
    let figures = stats(&env);

    // Scheduled for tomorrow: a plan may lie in the future, and says what it appended.
    let scheduled = env.json(&[
        "--json",
        "maintenance",
        "Database upgrade",
        "--service",
        "checkout",
        "--from",
        "24h",
        "--until",
        "26h",
        "--message",
        "We are upgrading the checkout database.",
    ]);
    let id = scheduled["incident"].as_str().expect("incident").to_string();
    let opening = &scheduled["events"][0];
    assert_eq!(opening["kind"], "opened");
    assert!(opening["id"].is_string() && opening["maintenance"]["from"].is_string(), "{scheduled:#}");
    let status = env.json(&["--json", "status", &id]);
    assert_eq!(
        (status["kind"].as_str(), status["maintenance"]["state"].as_str()),
        (Some("maintenance"), Some("scheduled"))
    );
    let list = env.json(&["--json", "list"]);
    let kinds: Vec<&str> = list.as_array().unwrap().iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(kinds, ["maintenance", "incident"], "{list:#}");

    let json = page(&env);
    let m = &json["scheduled_maintenances"][0];
    assert_eq!((m["id"].as_str(), m["status"].as_str()), (Some(id.as_str()), Some("scheduled")));
    assert_eq!(m["components"], serde_json::json!(["checkout"]));
    assert_eq!(component(&json, "checkout")["status"], "operational", "not started yet");
    let text = index_text(&env);
    assert!(text.contains("Scheduled maintenance") && text.contains("Database upgrade"), "{text}");
    assert!(text.contains("scheduled maintenance is never counted as downtime"), "the formula: {text}");
    assert!(env.path(&format!("out/incidents/{id}.html")).is_file());
    assert!(feed_contents(&env).contains(&"We are upgrading the checkout database.".to_string()));

    env.ok(&["maintenance", "start"]);
    let json = page(&env);
    assert_eq!(json["scheduled_maintenances"][0]["status"], "in_progress");
    assert!(json["scheduled_maintenances"][0]["started_at"].is_string());
    assert_eq!(component(&json, "checkout")["status"], "under_maintenance");
    assert_eq!(json["status"]["indicator"], "maintenance");
    let text = index_text(&env);
    assert!(
        text.contains("Maintenance in progress") && text.contains("Checkout Under maintenance"),
        "{text}"
    );

    env.ok(&["update", "--channel", "status-page", "--status", "verifying", "Checking the new database."]);
    let json = page(&env);
    let m = &json["scheduled_maintenances"][0];
    assert_eq!(m["status"], "verifying");
    assert_eq!(
        (m["updates"][0]["status"].as_str(), m["updates"][0]["body"].as_str()),
        (Some("verifying"), Some("Checking the new database."))
    );
    assert!(feed_contents(&env).contains(&"Checking the new database.".to_string()));
    let page_text = html_facts(&env.path(format!("out/incidents/{id}.html").as_str()))["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        page_text.contains("Verifying") && page_text.contains("Checking the new database."),
        "{page_text}"
    );

    env.ok(&["maintenance", "done", &id]);
    let json = page(&env);
    let m = &json["scheduled_maintenances"][0];
    assert_eq!(m["status"], "completed");
    assert!(m["completed_at"].is_string());
    assert_eq!(component(&json, "checkout")["status"], "operational");
    assert_eq!(component(&json, "checkout")["uptime_percent"], uptime, "maintenance is never downtime");
    assert_eq!(json["status"]["indicator"], "none");
    assert!(!index_text(&env).contains("Maintenance in progress"));
    assert_eq!(stats(&env), figures, "stats count no maintenance");
    // Over, it needs no postmortem: it is closed, off the open list.
    assert_eq!(env.json(&["--json", "status", &id])["state"], "closed");
    assert!(!env.ok(&["list"]).stdout.contains("Database upgrade"));
}

#[test]
fn a_canceled_maintenance_leaves_the_page_and_moves_no_more() {
    let env = with_an_outage();
    env.ok(&["maintenance", "Cache migration", "--service", "web", "--from", "2h", "--until", "3h"]);
    let id = env.ids().into_iter().find(|i| i.contains("cache-migration")).expect("id");
    assert_eq!(page(&env)["scheduled_maintenances"].as_array().unwrap().len(), 1);
    env.ok(&["maintenance", "cancel", "-i", &id]);
    let json = page(&env);
    assert_eq!(json["scheduled_maintenances"], serde_json::json!([]));
    assert!(!env.path(&format!("out/incidents/{id}.html")).exists());
    assert_eq!(component(&json, "web")["status"], "operational");
    let out = env.fails(2, &["maintenance", "start", &id]);
    assert!(out.stderr.contains("is canceled"), "{}", out.stderr);
}

#[test]
fn wrong_moves_and_statuses_exit_2_naming_the_state_and_write_nothing() {
    let env = Env::init();
    env.ok(&["maintenance", "Kernel patch", "--service", "web", "--from", "1h", "--until", "2h"]);
    let id = env.only_id();
    let lines = env.events(&id).len();
    let out = env.fails(2, &["maintenance", "done"]);
    assert!(out.stderr.contains("is scheduled") && out.stderr.contains("completed"), "{}", out.stderr);
    assert!(out.stderr.contains("in_progress, canceled"), "where it can go: {}", out.stderr);
    let out = env.fails(2, &["update", "--channel", "status-page", "--status", "verifying", "too soon"]);
    assert!(out.stderr.contains("is scheduled"), "{}", out.stderr);
    let out = env.fails(2, &["update", "--channel", "status-page", "--status", "monitoring", "wrong kind"]);
    assert!(out.stderr.contains("is a maintenance") && out.stderr.contains("verifying"), "{}", out.stderr);
    assert_eq!(env.events(&id).len(), lines, "nothing written");

    env.ok(&["maintenance", "start"]);
    let out = env.fails(2, &["maintenance", "start"]);
    assert!(out.stderr.contains("is in_progress"), "{}", out.stderr);
    // It ends by its own moves, never as an incident does.
    for ending in ["resolve", "close"] {
        let out = env.fails(2, &[ending]);
        assert!(
            out.stderr.contains("in_progress") && out.stderr.contains("maintenance done"),
            "{}",
            out.stderr
        );
    }

    // An incident takes only an incident's statuses, and is no maintenance to move.
    let incident = env.json(&["--json", "open", "Web down", "--severity", "SEV1", "--service", "web"]);
    let incident = incident["id"].as_str().unwrap().to_string();
    let out =
        env.fails(2, &["-i", &incident, "update", "--channel", "status-page", "--status", "verifying", "x"]);
    assert!(out.stderr.contains("is an incident") && out.stderr.contains("monitoring"), "{}", out.stderr);
    let out = env.fails(2, &["maintenance", "done", &incident]);
    assert!(out.stderr.contains("not a scheduled maintenance"), "{}", out.stderr);
}

#[test]
fn a_window_that_ends_before_it_starts_is_refused_naming_both_times() {
    let env = Env::init();
    let out = env.fails(
        2,
        &[
            "maintenance",
            "Backwards",
            "--service",
            "web",
            "--from",
            "2030-01-02T04:00:00Z",
            "--until",
            "2030-01-02T02:00:00Z",
        ],
    );
    assert!(
        out.stderr.contains("2030-01-02T02:00:00Z") && out.stderr.contains("2030-01-02T04:00:00Z"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--until") && out.stderr.contains("--from"), "{}", out.stderr);
    assert!(env.ids().is_empty(), "nothing made");
    // Years ahead is a plan, not a fact in the future: accepted.
    env.ok(&[
        "maintenance",
        "Forwards",
        "--service",
        "web",
        "--from",
        "2030-01-02T02:00:00Z",
        "--until",
        "2030-01-02T04:00:00Z",
    ]);
}

/// A maintenance scheduled for later must not make tonight's incident commands ask which
/// record is meant: without an id, the only open incident is still the one acted on.
#[test]
fn a_scheduled_maintenance_does_not_take_the_place_of_the_open_incident() {
    let env = Env::init();
    env.ok(&["maintenance", "Kernel patch", "--service", "web", "--from", "3h", "--until", "4h"]);
    let incident = env.json(&["--json", "open", "Web down", "--severity", "SEV1", "--service", "web"]);
    let incident = incident["id"].as_str().unwrap().to_string();
    env.ok(&["log", "restarted the pods"]);
    let notes = env.events(&incident).iter().filter(|e| e["kind"] == "note").count();
    assert_eq!(notes, 1, "the note went to the incident");
    // And the maintenance commands find the maintenance.
    env.ok(&["maintenance", "start"]);
}

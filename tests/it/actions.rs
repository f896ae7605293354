//! Action items (docs/record.md) through the real binary: `action TITLE --owner …` adds one (with
//! an http(s) `--link`), `action done ID [--note]` and `action drop ID --reason` settle it
//! once, on any incident state; `actions [--open] [--owner] [--overdue] [--json]` lists them
//! across every incident by due date; `status` names the overdue open ones; the postmortem's
//! table has `Action | Type | Owner | Due | Status | Link`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::harness::Env;

/// An initialized repository with one open incident.
fn opened(title: &str) -> (Env, String) {
    let env = Env::init();
    env.ok(&["open", title, "--severity", "SEV2", "--service", "checkout"]);
    let id = env.only_id();
    (env, id)
}

/// Runs a write command with `--json` and returns the id of the event it appended.
fn appended(env: &Env, args: &[&str]) -> String {
    let mut full = args.to_vec();
    full.push("--json");
    let out = env.json(&full);
    out["events"][0]["id"].as_str().expect("an event id").to_string()
}

/// A usage error clap reports (several lines): exit 2 naming `needle`, and nothing written.
fn usage_refused(env: &Env, id: &str, args: &[&str], needle: &str) {
    let before = env.log_of(id);
    let out = env.fails(2, args);
    assert!(out.stderr.contains(needle), "{args:?}: expected {needle:?} in {}", out.stderr);
    assert_eq!(env.log_of(id), before, "{args:?} wrote to the log");
}

fn actions_json(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["actions", "--json"];
    full.extend_from_slice(args);
    env.json(&full).as_array().expect("an array").clone()
}

fn titles(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|r| r["title"].as_str().unwrap()).collect()
}

#[test]
fn add_then_done_with_a_note_and_drop_with_a_reason_each_once() {
    let (env, id) = opened("Checkout down");
    let a = appended(
        &env,
        &[
            "action",
            "Alert on pool saturation",
            "--owner",
            "Ann",
            "--due",
            "2026-12-04",
            "--link",
            "https://tracker.example.com/OPS-1",
        ],
    );
    let b = appended(&env, &["action", "Freeze releases at peak", "--owner", "Bo", "--type", "process"]);
    let events = env.events(&id);
    let added = events.iter().find(|e| e["id"] == a.as_str()).unwrap();
    assert_eq!(added["kind"], "action");
    assert_eq!(added["link"], "https://tracker.example.com/OPS-1");
    assert_eq!(added["type"], "prevent");

    // `actions` shows the first 8 characters; any unique prefix is taken.
    let shown = env.ok(&["actions"]).stdout;
    assert!(shown.contains(&a[..8]) && shown.contains(&b[..8]), "{shown}");
    assert!(!shown.contains(&a[..9]), "{shown}");
    let out = env.ok(&["action", "done", &a[..8], "--note", "alert live in prod"]);
    assert!(out.stdout.contains(&format!("action item {} done", &a[..8])), "{out:?}");
    let out = env.ok(&["action", "drop", &b, "--reason", "covered by the change freeze policy"]);
    assert!(out.stdout.contains("dropped"), "{out:?}");

    let events = env.events(&id);
    let done = events.iter().find(|e| e["kind"] == "action_done").unwrap();
    assert_eq!(
        (done["action"].as_str(), done["note"].as_str()),
        (Some(a.as_str()), Some("alert live in prod"))
    );
    let dropped = events.iter().find(|e| e["kind"] == "action_dropped").unwrap();
    assert_eq!(dropped["action"].as_str(), Some(b.as_str()));
    assert_eq!(dropped["reason"], "covered by the change freeze policy");

    // Settled once: a second done or drop is refused naming the state, and writes nothing.
    env.refused(&id, &["action", "done", &a], "is already done");
    env.refused(&id, &["action", "drop", &a[..6], "--reason", "x"], "is already done");
    env.refused(&id, &["action", "done", &b], "is already dropped");
    // A drop needs a reason, and not an empty one.
    let c = appended(&env, &["action", "Third", "--owner", "Cy"]);
    env.refused(&id, &["action", "drop", &c, "--reason", "  "], "--reason");
    assert_eq!(env.fails(2, &["action", "drop", &c]).code, 2);

    let rows = actions_json(&env, &[]);
    let state = |t: &str| rows.iter().find(|r| r["title"] == t).map(|r| r["state"].clone());
    assert_eq!(state("Alert on pool saturation"), Some("done".into()));
    assert_eq!(state("Freeze releases at peak"), Some("dropped".into()));
    assert_eq!(state("Third"), Some("open".into()));

    // The timeline tells it.
    let timeline = env.ok(&["timeline"]).stdout;
    assert!(timeline.contains(&format!("Action item {} done: alert live in prod", &a[..8])), "{timeline}");
    assert!(timeline.contains(&format!("Action item {} dropped: covered by", &b[..8])), "{timeline}");
}

#[test]
fn the_flat_form_still_adds_and_the_settling_forms_parse_alongside() {
    let (env, id) = opened("Checkout down");
    // A title that merely starts with a settling word is a title.
    env.ok(&["action", "done right: alert on X", "--owner", "a", "--due", "2026-12-01"]);
    env.ok(&["action", "drop the legacy pool", "--owner", "a", "--type", "mitigate"]);
    let rows = actions_json(&env, &[]);
    assert_eq!(titles(&rows), ["done right: alert on X", "drop the legacy pool"]);
    // TITLE and --owner stay required for adding; a settling form takes neither.
    usage_refused(&env, &id, &["action", "--owner", "a"], "TITLE");
    usage_refused(&env, &id, &["action", "Alert on X"], "--owner");
    usage_refused(&env, &id, &["action", "done"], "<ID>");
    usage_refused(&env, &id, &["action", "done", "abc", "--owner", "x"], "--owner");
    usage_refused(&env, &id, &["action", "drop", "abc", "--due", "2026-12-01", "--reason", "r"], "--due");
}

#[test]
fn unknown_and_ambiguous_ids_are_refused() {
    let (env, id) = opened("Checkout down");
    env.refused(&id, &["action", "done", "0123456789abcdef"], "no action item \"0123456789abcdef\"");
    // 17 action ids (hexadecimal) cannot all start with different characters.
    let mut ids = Vec::new();
    for n in 0..17 {
        ids.push(appended(&env, &["action", &format!("Item {n}"), "--owner", "o"]));
    }
    let firsts: BTreeSet<char> = ids.iter().filter_map(|i| i.chars().next()).collect();
    let shared = ids.iter().find_map(|i| {
        let c = i.chars().next()?;
        (ids.iter().filter(|j| j.starts_with(c)).count() > 1).then_some(c)
    });
    assert!(firsts.len() < ids.len());
    let prefix = shared.expect("two ids share a first character").to_string();
    env.refused(&id, &["action", "done", &prefix], "matches several action items");
    // The id of another kind of event is not an action item's.
    let note = appended(&env, &["log", "a note"]);
    env.refused(&id, &["action", "done", &note], "no action item");
    // With --incident, only that incident's items are looked at.
    env.refused(&id, &["action", "done", "ffff0000", "-i", &id], &format!("in incident {id}"));
}

#[test]
fn link_must_be_an_http_url() {
    let (env, id) = opened("Checkout down");
    for bad in [
        "ftp://tracker.example.com/1",
        "tracker.example.com/OPS-1",
        "https://",
        "https:// x.example",
        "javascript:alert(1)",
        "https://a.example/x y",
    ] {
        env.refused(&id, &["action", "A", "--owner", "o", "--link", bad], "--link");
    }
    let out = env.fails(2, &["action", "A", "--owner", "o", "--link", "mailto:x@example.com", "--json"]);
    let err: Value = serde_json::from_str(&out.stderr).expect("a JSON error");
    assert_eq!(
        (err["error"]["code"].as_i64(), err["error"]["kind"].as_str()),
        (Some(2), Some("bad-link")),
        "{err}"
    );
    env.ok(&["action", "A", "--owner", "o", "--link", "http://tracker.example.com/OPS-1"]);
    env.ok(&["action", "B", "--owner", "o", "--link", "HTTPS://Tracker.example.com/browse/OPS-2?focus=1#c"]);
    let rows = actions_json(&env, &[]);
    let links: Vec<&str> = rows.iter().map(|r| r["link"].as_str().unwrap()).collect();
    assert_eq!(
        links,
        ["http://tracker.example.com/OPS-1", "HTTPS://Tracker.example.com/browse/OPS-2?focus=1#c"]
    );
}

/// Two incidents: one resolved (its follow-ups settled after resolution and after closing),
/// one open; `actions` spans both, sorted by due date then incident, and filters.
#[test]
fn actions_across_incidents_filter_and_give_the_spec_keys() {
    let env = Env::init();
    env.ok(&["open", "Checkout down", "--severity", "SEV2", "--service", "checkout"]);
    let first = env.only_id();
    let late = appended(&env, &["action", "Overdue alert", "--owner", "Ann", "--due", "2020-01-15"]);
    let settled_late = appended(&env, &["action", "Settled late", "--owner", "Ann", "--due", "2020-01-10"]);
    let after_close = appended(&env, &["action", "After close", "--owner", "Bo", "--due", "2999-01-01"]);
    env.ok(&["resolve", "--root-cause", "bad deploy"]);
    // Postmortem follow-ups happen after the response: resolved and closed incidents take them.
    env.ok(&["action", "done", &settled_late, "--note", "fixed after resolution"]);
    env.ok(&["postmortem"]);
    env.ok(&["close"]);
    env.ok(&["action", "drop", &after_close, "--reason", "superseded"]);

    env.ok(&["open", "Search slow", "--severity", "SEV3", "--service", "checkout"]);
    let second = env.ids().into_iter().find(|i| *i != first).unwrap();
    appended(&env, &["action", "Same due, other incident", "--owner", "ann", "--due", "2020-01-15"]);
    appended(
        &env,
        &["action", "Index the orders table", "--owner", "Bo", "--due", "2999-02-01", "--type", "mitigate"],
    );
    appended(&env, &["action", "No due date", "--owner", "Cy", "--type", "process"]);

    let all = actions_json(&env, &[]);
    assert_eq!(
        titles(&all),
        [
            "Settled late",
            "Overdue alert",
            "Same due, other incident",
            "After close",
            "Index the orders table",
            "No due date"
        ]
    );
    // Same due date: by incident id.
    assert!(first < second, "{first} {second}");
    let keys: BTreeSet<&str> = ["id", "incident", "title", "type", "owner", "due", "link", "state"].into();
    for row in &all {
        let have: BTreeSet<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(have.is_superset(&keys), "{row}");
        assert!(["open", "done", "dropped"].contains(&row["state"].as_str().unwrap()), "{row}");
    }
    let overdue = &all[1];
    assert_eq!(overdue["id"].as_str(), Some(late.as_str()));
    assert_eq!(overdue["incident"].as_str(), Some(first.as_str()));
    assert_eq!(overdue["type"], "prevent");
    assert_eq!(overdue["owner"], "Ann");
    assert_eq!(overdue["due"], "2020-01-15");
    assert_eq!(overdue["link"], Value::Null);
    assert_eq!(overdue["state"], "open");
    assert_eq!(all[2]["incident"].as_str(), Some(second.as_str()));
    assert_eq!(all[5]["due"], Value::Null);

    assert_eq!(
        titles(&actions_json(&env, &["--open"])),
        ["Overdue alert", "Same due, other incident", "Index the orders table", "No due date"]
    );
    // Owners compare without regard to case.
    assert_eq!(
        titles(&actions_json(&env, &["--owner", "Ann"])),
        ["Settled late", "Overdue alert", "Same due, other incident"]
    );
    // Overdue: open, due before today (a done item due long ago is not overdue).
    assert_eq!(titles(&actions_json(&env, &["--overdue"])), ["Overdue alert", "Same due, other incident"]);
    assert_eq!(titles(&actions_json(&env, &["--overdue", "--owner", "bo"])), Vec::<&str>::new());

    // The human table: readable at 80 columns, with 8-character ids and the states.
    let table = env.ok(&["actions"]).stdout;
    for line in table.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line:?}\n{table}");
    }
    assert!(table.contains(&late[..8]) && table.contains("overdue") && table.contains("dropped"), "{table}");
    let none = env.ok(&["actions", "--overdue", "--owner", "nobody"]).stdout;
    assert!(none.contains("No action items match"), "{none}");
}

/// `status` names overdue open items, never done or dropped ones.
#[test]
fn status_lists_only_open_overdue_items() {
    let (env, _id) = opened("Checkout down");
    let a = appended(&env, &["action", "Past due and open", "--owner", "Ann", "--due", "2020-01-15"]);
    let b = appended(&env, &["action", "Past due but done", "--owner", "Ann", "--due", "2020-01-16"]);
    let c = appended(&env, &["action", "Past due but dropped", "--owner", "Ann", "--due", "2020-01-17"]);
    appended(&env, &["action", "Due later", "--owner", "Ann", "--due", "2999-01-01"]);
    let overdue = |env: &Env| -> Vec<String> {
        let s = env.json(&["status", "--json"]);
        s["overdue"].as_array().unwrap().iter().filter_map(|o| o.as_str()).map(str::to_string).collect()
    };
    let before = overdue(&env);
    for t in ["Past due and open", "Past due but done", "Past due but dropped"] {
        assert!(before.iter().any(|o| o.contains(t)), "{t}: {before:?}");
    }
    assert!(!before.iter().any(|o| o.contains("Due later")), "{before:?}");
    env.ok(&["action", "done", &b]);
    env.ok(&["action", "drop", &c, "--reason", "not needed"]);
    let after: Vec<String> = overdue(&env).into_iter().filter(|o| o.contains("action item")).collect();
    assert_eq!(after, ["action item \"Past due and open\" (Ann) was due 2020-01-15"], "{a}");
    let human = env.ok(&["status"]).stdout;
    assert!(human.contains("Past due and open") && !human.contains("Past due but done"), "{human}");
}

/// The postmortem's action table (docs/statistics.md): `Action | Type | Owner | Due | Status | Link`, Status open, done (date) or
/// dropped (reason), every cell escaped.
#[test]
fn the_postmortem_table_has_status_and_link() {
    let (env, id) = opened("Checkout down");
    let a = appended(
        &env,
        &[
            "action",
            "Alert on pool saturation",
            "--owner",
            "Ann",
            "--due",
            "2026-12-04",
            "--link",
            "https://tracker.example.com/OPS-1",
        ],
    );
    let b = appended(
        &env,
        &[
            "action",
            "Pin | the <pool> size",
            "--owner",
            "Bo",
            "--due",
            "2026-12-02",
            "--type",
            "mitigate",
            "--link",
            "https://tracker.example.com/q?a=1|2&b=<3>",
        ],
    );
    env.ok(&["action", "Freeze releases", "--owner", "Cy", "--type", "process"]);
    let done = env.json(&["action", "done", &a, "--note", "live", "--json"]);
    let done_date = done["events"][0]["at"].as_str().unwrap()[..10].to_string();
    env.ok(&["action", "drop", &b[..8], "--reason", "dup | of OPS-1\nsee <OPS-1>"]);
    env.ok(&["resolve", "--root-cause", "pool too small"]);
    env.ok(&["postmortem", "--no-commit"]);
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    for line in [
        "| Action | Type | Owner | Due | Status | Link |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
        format!("| Alert on pool saturation | prevent | Ann | 2026-12-04 | done ({done_date}) | https://tracker.example.com/OPS-1 |"),
        "| Pin \\| the &lt;pool&gt; size | mitigate | Bo | 2026-12-02 | dropped (dup \\| of OPS-1<br>see &lt;OPS-1&gt;) | https://tracker.example.com/q?a=1\\|2&amp;b=&lt;3&gt; |".to_string(),
        "| Freeze releases | process | Cy | — | open | — |".to_string(),
    ] {
        assert!(pm.contains(&line), "postmortem lacks {line:?}:\n{pm}");
    }
}

/// `stats` counts action items by their state: done ones as done, dropped ones as neither.
#[test]
fn stats_counts_actions_by_state() {
    let env = super::harness::Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1", "--started-at", "-2h", "--at", "-2h"]);
    env.ok(&["mark", "mitigated", "--at", "-1h"]);
    env.ok(&["resolve"]);
    for title in ["Alert on pool saturation", "Freeze releases at peak", "Pin the pool size"] {
        env.ok(&["action", title, "--owner", "Ann", "--due", "2020-01-01"]);
    }
    let ids: Vec<String> = env
        .json(&["actions", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    env.ok(&["action", "done", &ids[0]]);
    env.ok(&["action", "drop", &ids[1], "--reason", "release train already frozen"]);
    let s = env.json(&["stats", "--json"]);
    assert_eq!(s["actions"]["done"], 1, "{s}");
    assert_eq!(s["actions"]["open"], 1, "{s}");
    assert_eq!(s["actions"]["overdue"], 1, "{s}");
}

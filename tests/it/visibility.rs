//! Who sees an incident, and whether it counts: `open --private`, `visibility public|private`,
//! `drill on|off` and `cancel --reason`, through the real binary. The status page is checked
//! file by file (every file the build wrote, walked), the statistics through `stats --json`.
//!
//! Regression: every incident went on the public page, its feed, `status.json` and the
//! banner (a SEV4 with only an internal update, an incident opened by mistake), there was no
//! way to make one private or to cancel one, and `--drill` existed only at `open`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::harness::Env;

fn open(env: &Env, title: &str, args: &[&str]) -> String {
    let mut all = vec!["--json", "open", title];
    all.extend_from_slice(args);
    env.json(&all)["id"].as_str().expect("id").to_string()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Builds the page into `out/` and returns every file in it (the build's own list of what it
/// wrote left out) by path inside the folder.
fn build(env: &Env) -> BTreeMap<String, String> {
    env.ok(&["status-page", "--output", "out"]);
    let dir = env.path("out");
    files(&dir)
        .into_iter()
        .filter(|p| !p.ends_with(".incident-status-page"))
        .map(|p| {
            let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// No file of the site names any of `needles`.
fn nowhere(site: &BTreeMap<String, String>, needles: &[&str]) {
    assert!(site.contains_key("index.html") && site.contains_key("status.json"), "{:?}", site.keys());
    for (rel, text) in site {
        for n in needles {
            assert!(!text.contains(n), "{rel} names {n:?}");
        }
        assert!(!rel.contains(needles[0]), "{rel} is named after {:?}", needles[0]);
    }
}

fn component(site: &BTreeMap<String, String>, id: &str) -> Value {
    let json: Value = serde_json::from_str(&site["status.json"]).unwrap();
    json["components"].as_array().unwrap().iter().find(|c| c["id"] == id).cloned().expect(id)
}

fn stats(env: &Env, extra: &[&str]) -> Value {
    let mut args = vec!["--json", "stats"];
    args.extend_from_slice(extra);
    env.json(&args)
}

#[test]
fn a_private_sev1_beside_a_public_sev2_is_in_no_public_file_and_changes_nothing_there() {
    let env = Env::init();
    let public =
        open(&env, "Search is slow", &["--severity", "SEV2", "--service", "web", "--started-at", "-40m"]);
    let alone = build(&env);
    assert!(alone.contains_key(&format!("incidents/{public}.html")), "{:?}", alone.keys());

    let private = open(
        &env,
        "Secret payment outage",
        &["--severity", "SEV1", "--service", "checkout", "--started-at", "-30m", "--private"],
    );
    // Not even an update on an external channel publishes a private incident.
    env.ok(&[
        "-i",
        &private,
        "update",
        "--channel",
        "status-page",
        "--status",
        "identified",
        "CARDS-DOWN-NOTE",
    ]);
    env.ok(&["-i", &private, "log", "later than every public event"]);
    let both = build(&env);
    nowhere(&both, &[&private, "Secret payment outage", "CARDS-DOWN-NOTE"]);
    assert_eq!(both, alone, "a private incident changed a public file");
    let checkout = component(&both, "checkout");
    assert_eq!(checkout["status"], "operational");
    assert_eq!(checkout["uptime_percent"], "100.00");
    assert_eq!(component(&both, "web")["status"], "partial_outage");
    let json: Value = serde_json::from_str(&both["status.json"]).unwrap();
    assert_eq!(json["status"]["indicator"], "major", "the SEV2's, not the private SEV1's");

    // Internal views show it, marked.
    let status = env.json(&["--json", "status", &private]);
    assert_eq!((status["visibility"].as_str(), status["kind"].as_str()), (Some("private"), Some("incident")));
    assert_eq!(env.json(&["--json", "status", &public])["visibility"], "public");
    let text = env.ok(&["status", &private]).stdout;
    assert!(text.lines().nth(1).unwrap().contains("PRIVATE"), "{text}");
    let list = env.ok(&["list"]).stdout;
    assert!(list.contains("(private)"), "{list}");
    // Statistics are internal: a private incident counts.
    assert_eq!(stats(&env, &[])["incidents"], 2);
    assert_eq!(stats(&env, &[])["outages"], 2);
    // The opening says so in the log; an opening that is not private is written as before.
    assert_eq!(env.events(&private)[0]["private"], true);
    assert!(env.events(&public)[0].get("private").is_none(), "{:?}", env.events(&public)[0]);
}

#[test]
fn a_sev4_is_public_only_once_an_update_goes_out_on_an_external_channel() {
    let env = Env::init();
    let id = open(&env, "Admin tool slow", &["--severity", "SEV4", "--service", "web"]);
    env.ok(&["-i", &id, "update", "--channel", "support", "INTERNAL-SUPPORT-NOTE"]);
    nowhere(&build(&env), &[&id, "Admin tool slow", "INTERNAL-SUPPORT-NOTE"]);
    // A SEV3 is not published for its severity either (the default is SEV1 and SEV2).
    let sev3 = open(&env, "Reports lag", &["--severity", "SEV3", "--service", "grocery"]);
    nowhere(&build(&env), &[&sev3, "Reports lag"]);

    env.ok(&["-i", &id, "update", "--channel", "email", "Some admin pages are slow."]);
    let site = build(&env);
    assert!(site.contains_key(&format!("incidents/{id}.html")), "{:?}", site.keys());
    assert!(site["index.html"].contains("Admin tool slow"));
    assert!(site["feed.atom"].contains("Some admin pages are slow."));
    assert!(!site.values().any(|t| t.contains("INTERNAL-SUPPORT-NOTE")), "an internal update went public");
    nowhere(&site, &[&sev3, "Reports lag"]);
}

#[test]
fn status_page_publish_in_incident_yaml_chooses_the_severities() {
    let env = Env::init();
    let yaml = env.read("incident.yaml");
    assert!(yaml.contains("  publish: [SEV1, SEV2]\n"), "the starter says what is published");
    let yaml = yaml.replace("publish: [SEV1, SEV2]", "publish: [SEV1, SEV2, SEV3]");
    std::fs::write(env.path("incident.yaml"), yaml).unwrap();
    let sev3 = open(&env, "Reports lag", &["--severity", "SEV3", "--service", "grocery"]);
    let sev2 = open(&env, "Search is slow", &["--severity", "SEV2", "--service", "web"]);
    let site = build(&env);
    assert!(site.contains_key(&format!("incidents/{sev3}.html")), "{:?}", site.keys());

    let yaml = env.read("incident.yaml").replace("publish: [SEV1, SEV2, SEV3]", "publish: []");
    std::fs::write(env.path("incident.yaml"), yaml).unwrap();
    // None by severity: only what customers were told about.
    nowhere(&build(&env), &[&sev2, "Search is slow"]);
    env.ok(&["-i", &sev2, "update", "--channel", "status-page", "Search is slow for some."]);
    assert!(build(&env).contains_key(&format!("incidents/{sev2}.html")));
}

#[test]
fn making_an_incident_private_later_takes_it_off_a_page_built_before() {
    let env = Env::init();
    let id = open(
        &env,
        "Checkout errors",
        &["--severity", "SEV1", "--service", "checkout", "--started-at", "-30m"],
    );
    let before = build(&env);
    assert!(before.contains_key(&format!("incidents/{id}.html")));
    assert_eq!(component(&before, "checkout")["status"], "major_outage");

    let out = env.json(&["--json", "-i", &id, "visibility", "private"]);
    assert_eq!(out["events"][0]["kind"], "visibility");
    assert_eq!(out["events"][0]["visibility"], "private");
    let after = build(&env);
    nowhere(&after, &[&id, "Checkout errors"]);
    assert!(!env.path(&format!("out/incidents/{id}.html")).exists(), "its page was left behind");
    let checkout = component(&after, "checkout");
    assert_eq!(
        (checkout["status"].as_str(), checkout["uptime_percent"].as_str()),
        (Some("operational"), Some("100.00"))
    );

    // Back to public, and private again once resolved: a past incident can leave the history.
    env.ok(&["-i", &id, "visibility", "public"]);
    assert!(build(&env).contains_key(&format!("incidents/{id}.html")));
    env.ok(&["-i", &id, "resolve", "--root-cause", "a bad deploy"]);
    env.ok(&["-i", &id, "visibility", "private"]);
    nowhere(&build(&env), &[&id, "Checkout errors"]);
    env.refused(&id, &["-i", &id, "visibility", "private"], "already private");
}

#[test]
fn a_canceled_incident_is_gone_from_stats_and_the_page_and_needs_no_postmortem() {
    let env = Env::init();
    let real =
        open(&env, "Search is slow", &["--severity", "SEV2", "--service", "web", "--started-at", "-50m"]);
    let id = open(
        &env,
        "Checkout errors",
        &["--severity", "SEV1", "--service", "checkout", "--started-at", "-30m"],
    );
    assert!(build(&env).contains_key(&format!("incidents/{id}.html")));
    assert_eq!(stats(&env, &[])["incidents"], 2);

    let out = env.json(&["--json", "-i", &id, "cancel", "--reason", "false alarm: a probe misfired"]);
    assert_eq!(out["events"][0]["kind"], "canceled");
    assert_eq!(out["events"][0]["reason"], "false alarm: a probe misfired");

    let site = build(&env);
    nowhere(&site, &[&id, "Checkout errors"]);
    assert_eq!(component(&site, "checkout")["uptime_percent"], "100.00");
    let whole = stats(&env, &[]);
    assert_eq!((whole["incidents"].as_i64(), whole["outages"].as_i64()), (Some(1), Some(1)), "{whole}");
    for by in ["service", "severity", "month", "cause"] {
        let groups = stats(&env, &["--by", by]);
        let total: i64 =
            groups["groups"].as_array().unwrap().iter().map(|g| g["incidents"].as_i64().unwrap()).sum();
        assert_eq!(total, 1, "--by {by}: {groups}");
        let checkout = groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == "checkout" || g["key"] == "SEV1");
        assert!(checkout.is_none_or(|g| g["incidents"] == 0), "--by {by}: {groups}");
    }
    assert_eq!(stats(&env, &["--include-drills"])["incidents"], 1, "a canceled incident is no drill");

    // Internal views: hidden from `list` like a closed one, shown by `list --all`.
    let status = env.json(&["--json", "status", &id]);
    assert_eq!(status["state"], "canceled");
    assert_eq!(status["canceled"]["reason"], "false alarm: a probe misfired");
    let text = env.ok(&["status", &id]).stdout;
    assert!(text.contains("CANCELED") && text.contains("false alarm: a probe misfired"), "{text}");
    assert!(!env.ok(&["list"]).stdout.contains(&id));
    let all = env.ok(&["list", "--all"]).stdout;
    assert!(all.lines().any(|l| l.contains(&id) && l.contains("canceled")), "{all}");
    let listed = env.json(&["--json", "list"]);
    let row = listed.as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).unwrap();
    assert_eq!(row["state"], "canceled");
    // The only open incident is now the real one.
    assert_eq!(env.json(&["--json", "status"])["id"], real.as_str());

    // No postmortem, no closing, nothing more in the response.
    env.refused(&id, &["postmortem", &id], "needs no postmortem");
    assert!(!env.path(&format!("incidents/{id}/postmortem.md")).exists());
    env.refused(&id, &["-i", &id, "close"], "needs no closing");
    env.refused(&id, &["-i", &id, "severity", "SEV2"], "is canceled");
    env.refused(&id, &["-i", &id, "resolve"], "is canceled");
    env.refused(&id, &["-i", &id, "update", "--channel", "status-page", "x"], "is canceled");
    env.refused(&id, &["-i", &id, "cancel", "--reason", "again"], "is canceled");
    let err = env.fails(2, &["--json", "postmortem", &id]).stderr;
    let err: Value = serde_json::from_str(&err).unwrap();
    assert_eq!(err["error"]["kind"], "canceled");

    // Canceling by mistake is undone by retracting the cancel event.
    let cancel = env.events(&id).into_iter().find(|e| e["kind"] == "canceled").unwrap();
    env.ok(&["-i", &id, "retract", cancel["id"].as_str().unwrap(), "--reason", "it was real after all"]);
    assert_eq!(env.json(&["--json", "status", &id])["state"], "open");
    assert!(build(&env).contains_key(&format!("incidents/{id}.html")));
}

#[test]
fn cancel_is_refused_once_resolved_and_without_a_reason() {
    let env = Env::init();
    let id = open(&env, "Checkout errors", &["--severity", "SEV1", "--service", "checkout"]);
    env.refused(&id, &["-i", &id, "cancel", "--reason", "  "], "--reason");
    let out = env.fails(2, &["-i", &id, "cancel"]);
    assert!(out.stderr.contains("--reason"), "{}", out.stderr);
    env.ok(&["-i", &id, "resolve"]);
    env.refused(
        &id,
        &["-i", &id, "cancel", "--reason", "dup"],
        "is resolved; only an open incident can be canceled",
    );
    let out = env.fails(2, &["-i", &id, "cancel", "--reason", "dup"]);
    assert!(out.stderr.contains("hint: ") && out.stderr.contains("visibility private"), "{}", out.stderr);
}

#[test]
fn drill_on_after_the_fact_takes_it_off_the_page_and_out_of_stats() {
    let env = Env::init();
    let id = open(
        &env,
        "Checkout errors",
        &["--severity", "SEV1", "--service", "checkout", "--started-at", "-30m"],
    );
    assert!(build(&env).contains_key(&format!("incidents/{id}.html")));
    assert_eq!(stats(&env, &[])["outages"], 1);

    let out = env.json(&["--json", "-i", &id, "drill", "on"]);
    assert_eq!(
        (out["events"][0]["kind"].as_str(), out["events"][0]["drill"].as_bool()),
        (Some("drill"), Some(true))
    );
    let site = build(&env);
    nowhere(&site, &[&id, "Checkout errors"]);
    assert_eq!(component(&site, "checkout")["status"], "operational");
    let s = stats(&env, &[]);
    assert_eq!((s["incidents"].as_i64(), s["downtime_s"].as_i64()), (Some(0), Some(0)), "{s}");
    assert_eq!(stats(&env, &["--include-drills"])["outages"], 1);
    assert_eq!(env.json(&["--json", "status", &id])["drill"], true);
    assert!(env.ok(&["status", &id]).stdout.contains("DRILL"));
    env.refused(&id, &["-i", &id, "drill", "on"], "already a drill");

    // Resolved, it can still stop being one; closed, it is settled.
    env.ok(&["-i", &id, "resolve"]);
    env.ok(&["-i", &id, "drill", "off"]);
    assert_eq!(stats(&env, &[])["outages"], 1);
    assert!(build(&env).contains_key(&format!("incidents/{id}.html")));
    env.ok(&["postmortem", &id]);
    env.ok(&["-i", &id, "close"]);
    env.refused(&id, &["-i", &id, "drill", "on"], "is closed");
}

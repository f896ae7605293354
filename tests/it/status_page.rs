//! `incident status-page` (docs/communications.md) through the real binary, its output checked by tools
//! that are not ours: Python's `html.parser` for the HTML, the `jsonschema` validator for
//! `status.json` (against `tests/fixtures/status-page/status.schema.json`), `xml.etree` for
//! the Atom feed, and a real headless browser (Debian's `chromium`, installed by `.ci/run`)
//! for the rendered page and its screenshots. Like the lint tests' validators, these fail,
//! never skip, when the tool is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::Value;

use super::harness::Env;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// Parses an HTML file with Python's html.parser; prints what the page is made of as JSON.
const HTML_FACTS: &str = r#"
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.titles, self.attrs = [], [], [], {}
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k == "title": self.titles.append(v)
            if tag == "html": self.attrs[k] = v
            if k.startswith("on"): self.tags.append("EVENT-HANDLER:" + k)
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
    def handle_data(self, d):
        self.text.append(d)
p = P()
with open(sys.argv[1], encoding="utf-8") as f:
    p.feed(f.read())
p.close()
print(json.dumps({"tags": p.tags, "text": " ".join(" ".join(p.text).split()), "titles": p.titles, "html": p.attrs}))
"#;

/// Checks a file is an Atom 1.0 feed with xml.etree; prints its entries as JSON.
pub(super) const ATOM_FACTS: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == A + "feed", root.tag
for need in ("id", "title", "updated"):
    el = root.find(A + need)
    assert el is not None and (el.text or "").strip(), "feed without " + need
assert root.find(A + "author/" + A + "name") is not None, "feed without author"
entries = []
for e in root.findall(A + "entry"):
    item = {}
    for need in ("id", "title", "updated", "content"):
        el = e.find(A + need)
        assert el is not None and (el.text or "").strip(), "entry without " + need
        item[need] = el.text
    assert e.find(A + "link").get("href"), "entry without link"
    entries.append(item)
print(json.dumps({"updated": root.find(A + "updated").text, "entries": entries}))
"#;

pub(super) const VALIDATE: &str = r#"
import json, sys
try:
    import jsonschema
except ImportError as e:
    sys.exit(f"missing Python package {e.name!r}: run `python3 -m pip install jsonschema`")
schema = json.load(open(sys.argv[1], encoding="utf-8"))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
v = cls(schema, format_checker=cls.FORMAT_CHECKER)
errors = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in v.iter_errors(json.load(open(sys.argv[2], encoding="utf-8")))]
print("\n".join(errors))
sys.exit(1 if errors else 0)
"#;

pub(super) fn python(script: &str, args: &[&Path]) -> std::process::Output {
    Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to check the status page: {e}"))
}

pub(super) fn python_json(script: &str, file: &Path) -> Value {
    let out = python(script, &[file]);
    assert!(out.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the checker prints JSON")
}

pub(super) fn html_facts(file: &Path) -> Value {
    python_json(HTML_FACTS, file)
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

/// An update event, written into the log as `update` would have logged it.
fn add_update(
    env: &Env,
    id: &str,
    minutes_after_open: i64,
    channel: &str,
    message: &str,
    status: Option<&str>,
) {
    let opened = env.events(id)[0]["at"].as_str().map(t).expect("opened at");
    let at = opened + Duration::minutes(minutes_after_open);
    let mut e = serde_json::json!({
        "id": format!("upd{minutes_after_open:04}{}", channel.len()),
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "by": "Comms Person",
        "kind": "update",
        "channel": channel,
        "message": message,
    });
    if let Some(s) = status {
        e["status"] = Value::from(s);
        e["eta"] = Value::from((at + Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    let path = env.path(&format!("incidents/{id}/events.jsonl"));
    let mut text = std::fs::read_to_string(&path).expect("log");
    text.push_str(&format!("{e}\n"));
    std::fs::write(&path, text).expect("append");
}

fn open(env: &Env, title: &str, args: &[&str]) -> String {
    let mut all = vec!["--json", "open", title];
    all.extend_from_slice(args);
    env.json(&all)["id"].as_str().expect("id").to_string()
}

/// The scenario most tests look at: a hostile SEV1 title on checkout with a public and an
/// internal update, a drill on web, and a resolved SEV3 on grocery that customers were told
/// about (a SEV3 is public only then).
fn scenario() -> (Env, String) {
    let env = Env::init();
    let past = open(
        &env,
        "Grocery slots slow",
        &["--severity", "SEV3", "--service", "grocery", "--started-at", "-2h"],
    );
    add_update(&env, &past, 0, "status-page", "Delivery slots load slowly.", None);
    env.ok(&["-i", &past, "resolve", "--root-cause", "cache eviction"]);
    let id = open(&env, HOSTILE, &["--severity", "SEV1", "--service", "checkout", "--started-at", "-20m"]);
    add_update(
        &env,
        &id,
        1,
        "status-page",
        "Checkout fails for some <b>customers</b> & we know why.",
        Some("identified"),
    );
    add_update(&env, &id, 2, "stakeholders", "INTERNAL-ONLY revenue figures", None);
    open(&env, "Game day DRILL-TITLE", &["--severity", "SEV1", "--service", "web", "--drill"]);
    (env, id)
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn the_page_shows_services_and_states_publishes_only_external_updates_and_escapes_titles() {
    let (env, id) = scenario();
    env.ok(&["status-page"]);
    let site = env.path("status-page");

    let index = html_facts(&site.join("index.html"));
    let tags: Vec<&str> = index["tags"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for unwanted in ["img", "script", "iframe", "object", "link-stylesheet"] {
        assert!(!tags.contains(&unwanted), "<{unwanted}> in index.html: {tags:?}");
    }
    assert!(!tags.iter().any(|t| t.starts_with("EVENT-HANDLER")), "an event handler attribute: {tags:?}");
    for wanted in ["header", "main", "section", "h1", "h2", "ul", "ol", "time"] {
        assert!(tags.contains(&wanted), "no <{wanted}> in index.html");
    }
    assert_eq!(index["html"]["lang"], "en");
    let text = index["text"].as_str().unwrap();
    assert!(text.contains(HOSTILE), "the hostile title is shown as text: {text}");
    for wanted in [
        "Checkout Major outage",
        "Storefront Operational",
        "Identified",
        "We expect to resolve this by",
        "Grocery slots slow",
        "Major System Outage",
        "customers</b> & we know why",
    ] {
        assert!(text.contains(wanted), "{wanted:?} not in: {text}");
    }
    // 5 services × 90 day cells, each with a tooltip naming its day and state.
    let titles: Vec<&str> = index["titles"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let is_day = |t: &str| {
        t.split_once(": ").is_some_and(|(day, _)| {
            day.split_once(' ').is_some_and(|(d, m)| d.parse::<u8>().is_ok() && m.len() == 3)
        })
    };
    let cells: Vec<&&str> = titles.iter().filter(|t| is_day(t)).collect();
    assert_eq!(cells.len(), 5 * 90, "{titles:?}");
    assert!(cells.iter().any(|c| c.contains("Major outage") && c.contains("down")), "{cells:?}");

    let page = html_facts(&site.join(format!("incidents/{id}.html")));
    assert!(!page["tags"].as_array().unwrap().iter().any(|t| t == "img" || t == "script"));
    assert!(page["text"].as_str().unwrap().contains(HOSTILE));

    let raw_index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(!raw_index.contains("<img") && !raw_index.contains("<script"), "raw HTML injected");
    // Drills never appear; internal updates never do.
    for f in all_files(&site) {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("DRILL-TITLE"), "{} shows the drill", f.display());
        assert!(!text.contains("INTERNAL-ONLY"), "{} shows an internal update", f.display());
    }
    let banner = std::fs::read_to_string(site.join("banner.html")).unwrap();
    assert!(banner.contains("&lt;img src=x onerror=alert(1)&gt;") && !banner.contains("<img"), "{banner}");
    assert!(banner.contains("style=") && !banner.contains("<script"), "{banner}");
}

/// Builds the page into `out/` and returns its `status.json`, checked against the schema.
pub(super) fn page(env: &Env) -> Value {
    env.ok(&["status-page", "--output", "out"]);
    let file = env.path("out/status.json");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/status-page/status.schema.json");
    let out = python(VALIDATE, &[&schema, &file]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&env.read("out/status.json")).expect("status.json")
}

#[test]
fn status_json_validates_against_a_statuspage_summary_schema() {
    let (env, id) = scenario();
    let json = page(&env);
    assert_eq!(json["status"]["indicator"], "critical");
    let component =
        |sid: &str| json["components"].as_array().unwrap().iter().find(|c| c["id"] == sid).cloned();
    assert_eq!(component("checkout").unwrap()["status"], "major_outage");
    assert_eq!(component("web").unwrap()["status"], "operational", "a drill moves no service");
    let incidents = json["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 2, "the open one and the past one; never the drill: {incidents:#?}");
    let open = incidents.iter().find(|i| i["id"] == id.as_str()).unwrap();
    assert_eq!(open["name"], HOSTILE);
    assert_eq!(open["status"], "identified");
    assert_eq!(open["impact"], "critical");
    assert_eq!(open["updates"].as_array().unwrap().len(), 1, "only the external update");
    let past = incidents.iter().find(|i| i["id"] != id.as_str()).unwrap();
    assert_eq!((past["status"].as_str(), past["impact"].as_str()), (Some("resolved"), Some("minor")));
    assert!(past["resolved_at"].is_string());
}

#[test]
fn the_feed_is_atom_with_one_entry_per_public_update() {
    let (env, id) = scenario();
    add_update(&env, &id, 3, "social", "Still working on it", None);
    env.ok(&["status-page"]);
    let feed = python_json(ATOM_FACTS, &env.path("status-page/feed.atom"));
    let entries = feed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{feed:#}");
    assert!(entries[0]["content"].as_str().unwrap().contains("Still working"), "newest first");
    assert!(entries[1]["title"].as_str().unwrap().starts_with(HOSTILE));
    assert!(entries[2]["title"].as_str().unwrap().starts_with("Grocery slots slow"));
}

/// docs/communications.md: the same log gives the same bytes, whatever order its lines are in and whenever
/// the page is built.
#[test]
fn the_same_log_gives_the_same_bytes() {
    let (env, _) = scenario();
    env.ok(&["status-page", "--output", "one"]);
    env.ok(&["status-page", "--output", "two"]);
    let copy = env.dir.path().join("copy");
    let cp = Command::new("cp").arg("-r").arg(&env.repo).arg(&copy).status().expect("cp");
    assert!(cp.success());
    for id in env.ids() {
        let path = copy.join(format!("incidents/{id}/events.jsonl"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.reverse();
        let half = lines.len() / 2;
        lines.rotate_left(half);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    env.ok(&[
        "--repo",
        copy.to_str().unwrap(),
        "status-page",
        "--output",
        env.path("three").to_str().unwrap(),
    ]);
    let one = all_files(&env.path("one"));
    assert!(one.len() >= 6, "{one:?}");
    for other in ["two", "three"] {
        let files = all_files(&env.path(other));
        assert_eq!(files.len(), one.len());
        for (a, b) in one.iter().zip(&files) {
            assert_eq!(a.file_name(), b.file_name());
            assert!(
                std::fs::read(a).unwrap() == std::fs::read(b).unwrap(),
                "{} differs in {other}",
                a.display()
            );
        }
    }
}

#[test]
fn public_states_follow_the_record_and_the_banner_is_empty_when_all_is_well() {
    let env = Env::init();
    let status = |env: &Env| -> Value {
        env.ok(&["status-page"]);
        serde_json::from_str(&env.read("status-page/status.json")).unwrap()
    };
    let banner = |env: &Env| env.read("status-page/banner.html");
    let s = status(&env);
    assert_eq!(s["status"]["indicator"], "none");
    assert_eq!(banner(&env), "", "nothing open: the banner file is empty");
    assert!(env.read("status-page/index.html").contains("All Systems Operational"));

    let id = open(&env, "Storefront errors", &["--severity", "SEV2", "--service", "web"]);
    let incident = |s: &Value| s["incidents"][0]["status"].as_str().unwrap().to_string();
    let web = |s: &Value| {
        s["components"].as_array().unwrap().iter().find(|c| c["id"] == "web").unwrap()["status"].clone()
    };
    let s = status(&env);
    assert_eq!((incident(&s), web(&s)), ("investigating".to_string(), Value::from("partial_outage")));
    assert_eq!(s["status"]["indicator"], "major");
    assert!(banner(&env).contains("Storefront errors"), "{}", banner(&env));

    env.ok(&["retro", "root-cause", "a bad config push"]);
    assert_eq!(incident(&status(&env)), "identified");
    env.ok(&["mark", "mitigated"]);
    let s = status(&env);
    assert_eq!((incident(&s), web(&s)), ("monitoring".to_string(), Value::from("operational")));
    env.ok(&["resolve"]);
    let s = status(&env);
    assert_eq!(incident(&s), "resolved");
    assert_eq!(s["status"]["indicator"], "none");
    assert_eq!(banner(&env), "");
    let index = html_facts(&env.path("status-page/index.html"));
    assert!(index["text"].as_str().unwrap().contains("Past incidents Storefront errors"), "{index}");
    assert!(env.path(&format!("status-page/incidents/{id}.html")).exists());
}

#[test]
fn the_output_may_not_be_the_repository_itself() {
    let env = Env::init();
    let out = env.fails(2, &["status-page", "--output", "."]);
    assert!(out.stderr.contains("refusing"), "{out:?}");
    env.fails(2, &["status-page", "--days", "0"]);
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_string())
}

/// Runs headless chromium on a page, bounded by `timeout` so a hung browser fails the test
/// in seconds instead of holding CI.
pub(super) fn browse(env: &Env, args: &[&str], page: &Path) -> std::process::Output {
    let profile = env.dir.path().join("chromium-profile");
    Command::new("timeout")
        .args(["60", &chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", &env.home)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (apt-get install -y chromium): {e}", chromium()))
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 10_000, "{} is only {} bytes", path.display(), bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

#[test]
fn a_real_browser_renders_the_page_at_phone_and_desktop_widths() {
    let (env, _) = scenario();
    env.ok(&["status-page"]);
    let index = env.path("status-page/index.html");
    let dom = browse(&env, &["--dump-dom"], &index);
    assert!(dom.status.success(), "chromium failed: {}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<main>") && dom.contains("Open incidents") && dom.contains("Checkout"), "{dom}");
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"), "the title renders as text");
    assert!(!dom.contains("<img") && !dom.contains("<script"), "the browser built an element from a title");
    assert_eq!(dom.matches("<li class=\"s-").count(), 5 * 90, "every day cell renders");
    for (name, w, h) in [("phone", 375, 812), ("desktop", 1280, 900)] {
        let shot = env.dir.path().join(format!("{name}.png"));
        let out = browse(
            &env,
            &[&format!("--screenshot={}", shot.display()), &format!("--window-size={w},{h}")],
            &index,
        );
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(png_size(&shot), (w, h), "{name} screenshot size");
    }
}

/// Regression (QA): an update in several lines (as the shipped templates write them) showed
/// its line breaks as `␊` on the public page, the banner and the feed. Line breaks are kept
/// (legal in HTML and XML) and shown as breaks; other control characters stay visible.
#[test]
fn an_update_in_several_lines_reads_as_lines_on_the_page() {
    let env = Env::init();
    let id = open(&env, "Checkout slow", &["--severity", "SEV2", "--service", "checkout"]);
    env.ok(&["update", "--channel", "status-page", "We are on it.\r\nNext: a rollback.\nBell:\u{7}"]);
    env.ok(&["status-page"]);
    for file in ["index.html", &format!("incidents/{id}.html"), "banner.html", "feed.atom"] {
        let text = env.read(&format!("status-page/{file}"));
        assert!(text.contains("We are on it.\nNext: a rollback.\nBell:␇"), "{file}:\n{text}");
        assert!(!text.contains('␊') && !text.contains('␍') && !text.contains('\u{7}'), "{file}");
    }
    let index = env.read("status-page/index.html");
    assert!(index.contains("<p style=\"white-space:pre-line\">We are on it."), "{index}");
}

/// Regression: `status-page --output DIR` deleted every `*.html` in `DIR/incidents/` it had not
/// just written, a stranger's files included. It removes only pages a build wrote before (its
/// list beside the site) or named after an incident of this repository.
#[test]
fn a_rebuild_removes_only_pages_it_wrote_never_a_strangers() {
    let env = Env::init();
    let gone = open(&env, "Search down", &["--severity", "SEV1", "--service", "web"]);
    open(&env, "Checkout down", &["--severity", "SEV1", "--service", "checkout"]);
    let site = env.dir.path().join("site");
    env.ok(&["status-page", "--output", site.to_str().unwrap()]);
    assert!(site.join(format!("incidents/{gone}.html")).is_file());
    std::fs::write(site.join("incidents/notes.html"), "<p>ours, not the tool's</p>").unwrap();
    std::fs::write(site.join("incidents/2020-01-01-a-page-from-elsewhere.html"), "<p>x</p>").unwrap();
    // The incident leaves the repository (its folder removed by hand).
    std::fs::remove_dir_all(env.path(&format!("incidents/{gone}"))).unwrap();

    env.ok(&["status-page", "--output", site.to_str().unwrap()]);
    assert!(!site.join(format!("incidents/{gone}.html")).exists(), "the page of a gone incident stayed");
    assert!(site.join("incidents/notes.html").is_file(), "a stranger's file was removed");
    assert!(site.join("incidents/2020-01-01-a-page-from-elsewhere.html").is_file());
}

/// Rewrites every event of `id` as logged at `at`: a log fixed in time, whatever the clock.
fn logged_at(env: &Env, id: &str, at: &str) {
    let lines: Vec<String> = env
        .events(id)
        .into_iter()
        .map(|mut e| {
            e["at"] = Value::from(at);
            e.to_string()
        })
        .collect();
    std::fs::write(env.path(&format!("incidents/{id}/events.jsonl")), lines.join("\n") + "\n").unwrap();
}

/// `status_page.time_zone`: every time a customer reads is in the page's zone, in words
/// ("7 Dec, 15:13 CET"), inside `<time datetime>` holding UTC; machine files stay UTC.
#[test]
fn times_on_the_public_pages_are_in_the_page_time_zone_and_read_as_words() {
    let env = Env::init();
    let config = env.read("incident.yaml").replace("time_zone: UTC", "time_zone: Europe/Paris");
    std::fs::write(env.path("incident.yaml"), config).unwrap();
    // Times fixed in the past (December: CET, UTC+1), whatever the day the test runs.
    let id = open(
        &env,
        "Checkout down",
        &["--severity", "SEV1", "--service", "checkout", "--at", "2025-12-07T14:13:00Z"],
    );
    logged_at(&env, &id, "2025-12-07T14:13:00Z");
    add_update(&env, &id, 10, "status-page", "We found the cause.", Some("identified"));
    env.ok(&["status-page"]);
    let index = env.read("status-page/index.html");
    // The update at 14:23 UTC, its estimate an hour later: Paris time, and the page's year
    // (the update's) is left out.
    assert!(index.contains("<time datetime=\"2025-12-07T14:23:00Z\">7 Dec, 15:23 CET</time>"), "{index}");
    assert!(
        index.contains(
            "We expect to resolve this by <time datetime=\"2025-12-07T15:23:00Z\">7 Dec, 16:23 CET</time>"
        ),
        "{index}"
    );
    assert!(
        index.contains("Last updated <time datetime=\"2025-12-07T14:23:00Z\">7 Dec, 15:23 CET</time>"),
        "{index}"
    );
    assert!(index.contains("Europe/Paris"), "the page says its zone");
    let page = env.read(&format!("status-page/incidents/{id}.html"));
    assert!(page.contains("<time datetime=\"2025-12-07T14:13:00Z\">7 Dec, 15:13 CET</time>"), "{page}");
    let banner = env.read("status-page/banner.html");
    assert!(banner.contains("7 Dec, 16:23 CET"), "{banner}");
    // The day cells are Paris days: the last one is 7 Dec, ninety of them.
    let facts = html_facts(&env.path("status-page/index.html"));
    let titles: Vec<&str> = facts["titles"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(titles.contains(&"7 Dec: Major outage, down for 10 minutes"), "{titles:?}");
    assert!(titles.contains(&"9 Sep: Operational"), "{titles:?}");
    // Machine files stay UTC.
    let json: Value = serde_json::from_str(&env.read("status-page/status.json")).unwrap();
    assert_eq!(json["incidents"][0]["created_at"], "2025-12-07T14:13:00Z");
    assert_eq!(json["page"]["updated_at"], "2025-12-07T14:23:00Z");

    // An update in another year shows the year on what is not the page's year.
    let next = open(
        &env,
        "Search slow",
        &["--severity", "SEV2", "--service", "web", "--at", "2026-01-02T09:00:00Z"],
    );
    logged_at(&env, &next, "2026-01-02T09:00:00Z");
    env.ok(&["status-page"]);
    let index = env.read("status-page/index.html");
    assert!(index.contains("7 Dec 2025, 15:23 CET"), "{index}");
    assert!(index.contains("2 Jan, 10:00 CET"), "{index}");
    assert!(env.path(&format!("status-page/incidents/{next}.html")).is_file());
}

/// A time zone that is not one is a lint error at its place, and no command loads the file.
#[test]
fn an_unknown_time_zone_is_a_lint_error_at_its_line() {
    let env = Env::init();
    let config = env.read("incident.yaml").replace("time_zone: UTC", "time_zone: Europe/Pariss");
    let line = config.lines().position(|l| l.contains("Europe/Pariss")).expect("the line") + 1;
    std::fs::write(env.path("incident.yaml"), config).unwrap();
    let out = env.fails(1, &["lint", "incident.yaml"]);
    assert!(
        out.stdout.contains(&format!(
            "incident.yaml:{line}:14: error: status_page.time_zone: `Europe/Pariss` is not a time zone"
        )),
        "{out:#?}"
    );
    assert!(out.stdout.contains("[unknown-time-zone]"), "{out:#?}");
    // Commands read the last committed incident.yaml that passes, and say so.
    let out = env.ok(&["status-page"]);
    assert!(out.stderr.contains("incident.yaml"), "{out:#?}");
    assert!(env.read("status-page/index.html").contains("Times are UTC"), "the committed file's zone");
}

/// Words a customer must not read: the record's own vocabulary, the tool's, and raw stamps.
const INTERNAL_WORDS: &[&str] = &[
    "event",
    "events",
    "record",
    "recorded",
    "log",
    "logs",
    "logged",
    "fold",
    "drill",
    "sev1",
    "sev2",
    "sev3",
    "sev4",
    "runbook",
    "jsonl",
    "postmortem",
];

fn internal_words_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| INTERNAL_WORDS.contains(&w.as_str()))
        .collect();
    // A stamp as the tool prints it for responders (`2026-11-26 22:13:35Z`).
    let stamp = regex_like_stamp(text);
    found.extend(stamp);
    found.sort();
    found.dedup();
    found
}

/// `YYYY-MM-DD HH:MM:SSZ` anywhere in `text`.
fn regex_like_stamp(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(19)).find_map(|i| {
        let w = &b[i..i + 20];
        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
        let ok = digits.iter().all(|&k| w[k].is_ascii_digit())
            && w[4] == b'-'
            && w[7] == b'-'
            && w[10] == b' '
            && w[13] == b':'
            && w[16] == b':'
            && w[19] == b'Z';
        ok.then(|| String::from_utf8_lossy(w).into_owned())
    })
}

/// Regression: customers read "Estimated resolution: 2026-11-26 22:13:35Z" and "(the latest
/// event in the incident record)". The text people read on the public pages (the banner
/// included) has none of the tool's inner words and no responder's time stamps.
#[test]
fn the_public_pages_use_no_internal_wording() {
    let (env, id) = scenario();
    env.ok(&["status-page"]);
    let site = env.path("status-page");
    let pages =
        [site.join("index.html"), site.join(format!("incidents/{id}.html")), site.join("banner.html")];
    for page in pages.iter().chain(all_files(&site.join("incidents")).iter()) {
        let facts = html_facts(page);
        let text = facts["text"].as_str().unwrap();
        let titles: Vec<&str> =
            facts["titles"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        let read = format!("{text} {}", titles.join(" "));
        // Titles and update bodies are people's own words: the checks look at ours.
        let ours =
            read.replace(HOSTILE, "").replace("Checkout fails for some <b>customers</b> & we know why.", "");
        assert_eq!(internal_words_in(&ours), Vec::<String>::new(), "{}: {ours}", page.display());
    }
    let index = env.read("status-page/index.html");
    assert!(index.contains("Last updated <time"), "{index}");
    assert!(index.contains("We expect to resolve this by <time"), "{index}");
    // The checker finds what it looks for.
    assert_eq!(
        internal_words_in(
            "Estimated resolution: 2026-11-26 22:13:35Z (the latest event in the incident record)"
        ),
        ["2026-11-26 22:13:35Z", "event", "record"]
    );
}

/// Whether the tests run as root, for whom mode 000 stops nothing.
fn running_as_root(env: &Env) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = env.dir.path().join("whoami");
    std::fs::write(&probe, "").unwrap();
    std::fs::metadata(&probe).unwrap().uid() == 0
}

/// Runs `incident ARGS` so that mode 000 really stops it from reading: as is, or, when the
/// tests run as root (CI), as the unprivileged `nobody` (uid 65534) over a tree it may read
/// and an output folder it may write.
fn run_unprivileged(env: &Env, args: &[&str]) -> super::harness::Out {
    run_as_tester(env, super::harness::BIN, args)
}

/// Lets the one [`run_unprivileged`] runs as read the test's tree and write `site/` in it.
fn share_with_tester(env: &Env) {
    let open_up = |mode: &str, path: &Path| {
        let ok = Command::new("chmod").args(["-R", mode]).arg(path).status().expect("chmod");
        assert!(ok.success());
    };
    open_up("a+rX", env.dir.path());
    open_up("a+rwX", &env.path("site"));
}

/// `program ARGS` as [`run_unprivileged`] runs the binary.
fn run_as_tester(env: &Env, program: &str, args: &[&str]) -> super::harness::Out {
    use std::os::unix::process::CommandExt;
    let mut c = env.command(program);
    c.args(args).stdin(std::process::Stdio::null());
    if running_as_root(env) {
        c.uid(65534).gid(65534);
    }
    let o = c.output().expect("run incident");
    super::harness::Out::from(o)
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The site's files and their bytes.
fn site_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    all_files(dir).into_iter().map(|f| (f.clone(), std::fs::read(&f).unwrap())).collect()
}

/// Regression: a log that could not be read (mode 000) made `status-page` exit 0 with a
/// warning and leave an open SEV2 outage off the public page. It fails, naming the file, and
/// leaves the site as it was, unless `--allow-unreadable`, which leaves the incident off
/// with a one-line warning. Each way a log can be unreadable: the file, its folder, and a
/// log without a readable opening.
#[test]
fn an_unreadable_log_fails_the_page_unless_allowed() {
    for how in ["file", "folder", "opening"] {
        let env = Env::init();
        open(&env, "Checkout slow", &["--severity", "SEV2", "--service", "checkout"]);
        let id = open(&env, "Search down OUTAGE-TITLE", &["--severity", "SEV2", "--service", "web"]);
        env.ok(&["status-page", "--output", "site"]);
        assert!(env.read("site/index.html").contains("OUTAGE-TITLE"));
        share_with_tester(&env);
        let before = site_bytes(&env.path("site"));
        let folder = env.path(&format!("incidents/{id}"));
        let log = folder.join("events.jsonl");
        match how {
            "file" => chmod(&log, 0o000),
            "folder" => chmod(&folder, 0o000),
            _ => {
                let text = std::fs::read_to_string(&log).unwrap();
                std::fs::write(&log, text.replacen("{\"id\"", "{\"id\" garbage", 1)).unwrap();
            }
        }
        // The log really cannot be read by the one building the page.
        let read = match how {
            "opening" => run_unprivileged(&env, &["status", &id]),
            _ => run_as_tester(&env, "cat", &[log.to_str().unwrap()]),
        };
        assert_ne!(read.code, 0, "{how}: the log is still readable: {read:#?}");

        let out = run_unprivileged(&env, &["status-page", "--output", "site"]);
        assert_eq!(out.code, 1, "{how}: {out:#?}");
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: the status page was not built: incident"), "{how}: {out:#?}");
        assert!(first.contains(&id) && first.contains(&format!("incidents/{id}")), "{how}: {first}");
        assert!(out.stderr.contains("--allow-unreadable"), "{how}: {out:#?}");
        assert_eq!(site_bytes(&env.path("site")), before, "{how}: the site was touched");

        let out = run_unprivileged(&env, &["status-page", "--output", "site", "--allow-unreadable"]);
        assert_eq!(out.code, 0, "{how}: {out:#?}");
        let warned: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("warning:")).collect();
        assert_eq!(warned.len(), 1, "{how}: {out:#?}");
        assert!(
            warned[0].contains(&id) && warned[0].contains("left off the status page"),
            "{how}: {warned:?}"
        );
        chmod(&folder, 0o755);
        chmod(&log, 0o644);
        let index = env.read("site/index.html");
        assert!(!index.contains("OUTAGE-TITLE") && index.contains("Checkout slow"), "{how}: {index}");
    }
}

/// A damaged line inside a log that can be read is not a reason to stop the page: the
/// incident's opening is read, so it is shown; the line is named in a warning.
#[test]
fn a_damaged_line_in_a_readable_log_keeps_the_incident_on_the_page() {
    let env = Env::init();
    let id = open(&env, "Search down OUTAGE-TITLE", &["--severity", "SEV2", "--service", "web"]);
    let log = env.path(&format!("incidents/{id}/events.jsonl"));
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("not an event\n");
    std::fs::write(&log, text).unwrap();
    let out = env.ok(&["status-page"]);
    assert!(out.stderr.contains("unreadable line skipped"), "{out:#?}");
    assert!(env.read("status-page/index.html").contains("OUTAGE-TITLE"));
}

/// Where chromium is, for a driver that needs its path: `$CHROMIUM`, else `chromium` on PATH.
pub(super) fn chromium_path() -> Option<PathBuf> {
    let name = chromium();
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(&name)).find(|p| p.is_file())
}

/// The accessibility check's pieces (node, the npm packages `.ci/run` installs with `npm ci`
/// in tests/a11y, chromium), or why one is missing. Under CI=true a missing piece fails the
/// test; elsewhere the test says what to install and passes without checking.
fn axe_runner() -> Option<(PathBuf, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    let missing = if Command::new("node").arg("--version").output().is_err() {
        Some("node (apt-get install -y nodejs npm)".to_string())
    } else if !dir.join("node_modules/axe-core/axe.min.js").is_file()
        || !dir.join("node_modules/puppeteer-core/package.json").is_file()
    {
        Some(format!("axe-core and puppeteer-core (npm ci --prefix {})", dir.display()))
    } else if chromium_path().is_none() {
        Some("chromium (apt-get install -y chromium)".to_string())
    } else {
        None
    };
    if !super::harness::peer_ready("the accessibility check", missing) {
        return None;
    }
    Some((dir.join("axe.mjs"), chromium_path()?))
}

/// Runs axe-core (and the day bars' keyboard check) on `pages` in chromium.
fn axe(env: &Env, script: &Path, chromium: &Path, pages: &[PathBuf], profile: &str) -> std::process::Output {
    Command::new("timeout")
        .arg("180")
        .arg("node")
        .arg(script)
        .arg(chromium)
        .arg(env.dir.path().join(profile))
        .args(pages)
        .env("HOME", &env.home)
        .output()
        .expect("run node")
}

/// The public pages pass axe-core's rules (no violation of impact serious or critical) in a
/// real browser at phone and desktop widths, and a keyboard reaches each day of the bars,
/// which shows a focus ring and reads as its label: the index with an open and a past
/// incident, and their own pages.
#[test]
fn the_public_pages_pass_an_axe_core_check_and_the_bars_work_by_keyboard() {
    let Some((script, chromium)) = axe_runner() else { return };
    let (env, id) = scenario();
    let past = env.ids().into_iter().find(|i| *i != id && !i.contains("drill")).unwrap();
    env.ok(&["status-page"]);
    let site = env.path("status-page");
    let pages = [
        site.join("index.html"),
        site.join(format!("incidents/{id}.html")),
        site.join(format!("incidents/{past}.html")),
    ];
    let out = axe(&env, &script, &chromium, &pages, "axe-profile");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "accessibility violations:\n{stdout}\n{stderr}");
    assert_eq!(stderr.matches("0 serious or critical").count(), 6, "{stderr}");

    // The check finds what it looks for: an image without a text alternative (critical) and
    // a bar a keyboard cannot reach.
    let bad = env.dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!doctype html><html lang=en><title>t</title><main><img src=x.png><ol class=bar><li>1</li></ol></main>",
    )
    .unwrap();
    let out = axe(&env, &script, &chromium, &[bad], "axe-profile-bad");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("[critical] image-alt") && stdout.contains("[keyboard] Tab never reaches"),
        "{stdout}"
    );
}

/// Checks one `api/v2/` file against the definition named after it in a schema's `$defs`.
const VALIDATE_DEF: &str = r##"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
one = dict(schema, **{"$ref": "#/$defs/" + sys.argv[2].replace("~", "~0").replace("/", "~1")})
v = cls(one, format_checker=cls.FORMAT_CHECKER)
errors = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in v.iter_errors(json.load(open(sys.argv[3], encoding="utf-8")))]
print("\n".join(errors))
sys.exit(1 if errors else 0)
"##;

/// Every file under `api/v2/`, by its path there.
const API_FILES: [&str; 8] = [
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
];

/// Checks every `api/v2/` file under `dir` against the definition named after it in
/// `tests/fixtures/status-page/api-v2.schema.json`, with the `jsonschema` validator.
fn check_api_v2(env: &Env, dir: &str) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/status-page/api-v2.schema.json");
    for name in API_FILES {
        let file = env.path(&format!("{dir}/api/v2/{name}"));
        let out = Command::new("python3")
            .arg("-c")
            .arg(VALIDATE_DEF)
            .arg(&schema)
            .arg(name)
            .arg(&file)
            .output()
            .expect("python3 is needed to check api/v2/");
        assert!(
            out.status.success(),
            "{name}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every `api/v2/` file holds to the shapes Statuspage documents: its field names and no
/// other, its value sets, its nesting (`tests/fixtures/status-page/api-v2.schema.json`,
/// checked by the `jsonschema` validator), with the same incidents as the page.
#[test]
fn every_api_v2_file_has_the_shape_statuspage_documents() {
    let (env, id) = scenario();
    env.ok(&["status-page", "--output", "out"]);
    check_api_v2(&env, "out");
    let read =
        |name: &str| -> Value { serde_json::from_str(&env.read(&format!("out/api/v2/{name}"))).unwrap() };
    let all = read("incidents.json");
    let incidents = all["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 2, "the open one and the past one, never the drill: {incidents:#?}");
    let open = &incidents[0];
    assert_eq!((open["id"].as_str(), open["name"].as_str()), (Some(id.as_str()), Some(HOSTILE)));
    let updates = open["incident_updates"].as_array().unwrap();
    assert_eq!(updates.len(), 1, "only the external update: {updates:#?}");
    assert_eq!(updates[0]["incident_id"], id.as_str());
    assert_eq!(open["components"][0]["id"], "checkout");
    let past = &incidents[1];
    assert_eq!((past["status"].as_str(), past["impact"].as_str()), (Some("resolved"), Some("minor")));
    assert_eq!(read("incidents/unresolved.json")["incidents"].as_array().unwrap().len(), 1);
    // The same page everywhere, and the root status.json as it was.
    let page = read("summary.json")["page"].clone();
    for name in API_FILES {
        assert_eq!(read(name)["page"], page, "{name}");
    }
    let root: Value = serde_json::from_str(&env.read("out/status.json")).unwrap();
    assert!(root["incidents"][0]["updates"].is_array() && root["page"]["period"]["days"] == 90, "{root:#}");
}

/// Schedules a maintenance on `service` from `from` to `until` (as `--from`/`--until` take
/// them), with a message for customers; returns its id.
fn schedule(env: &Env, title: &str, service: &str, from: &str, until: &str) -> String {
    let args =
        ["--json", "maintenance", title, "--service", service, "--from", from, "--until", until, "--message"];
    let mut all = args.to_vec();
    let message = format!("{title}: planned work.");
    all.push(&message);
    env.json(&all)["incident"].as_str().expect("incident").to_string()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().expect("a list").iter().map(|m| m["id"].as_str().expect("id")).collect()
}

/// Regression: `api/v2/` published no maintenance at all: `scheduled-maintenances.json`,
/// `upcoming.json`, `active.json` and `summary.json`'s `scheduled_maintenances` were always
/// empty, so a tool reading the page as Statuspage's never heard of planned work. A
/// maintenance scheduled, then started, is in each file as Statuspage shapes one (checked
/// against the schema at each step), and its service is `under_maintenance` in
/// `components.json` and `summary.json` while it runs.
#[test]
fn api_v2_lists_a_maintenance_as_upcoming_then_active() {
    let env = Env::init();
    let db = schedule(&env, "Database upgrade", "checkout", "24h", "26h");
    env.ok(&["status-page", "--output", "out"]);
    check_api_v2(&env, "out");
    let read =
        |name: &str| -> Value { serde_json::from_str(&env.read(&format!("out/api/v2/{name}"))).unwrap() };
    let maintenances = |name: &str| read(name)["scheduled_maintenances"].clone();
    assert_eq!(ids(&maintenances("scheduled-maintenances/upcoming.json")), [db.as_str()]);
    assert_eq!(ids(&maintenances("scheduled-maintenances/active.json")), Vec::<&str>::new());
    assert_eq!(ids(&maintenances("scheduled-maintenances.json")), [db.as_str()]);
    assert_eq!(ids(&maintenances("summary.json")), [db.as_str()]);
    let m = &maintenances("scheduled-maintenances/upcoming.json")[0];
    let status = env.json(&["--json", "status", &db]);
    let window = &status["maintenance"];
    assert_eq!(
        (m["status"].as_str(), m["impact"].as_str(), m["name"].as_str()),
        (Some("scheduled"), Some("maintenance"), Some("Database upgrade"))
    );
    assert_eq!((&m["scheduled_for"], &m["scheduled_until"]), (&window["from"], &window["until"]));
    assert_eq!(m["started_at"], m["scheduled_for"], "not started: the planned start");
    assert!(m["monitoring_at"].is_null() && m["resolved_at"].is_null(), "{m:#}");
    assert_eq!(m["shortlink"], format!("incidents/{db}.html"));
    assert!(env.path(&format!("out/{}", m["shortlink"].as_str().unwrap())).is_file(), "its page exists");
    assert_eq!(
        (m["components"][0]["id"].as_str(), m["components"][0]["status"].as_str()),
        (Some("checkout"), Some("operational"))
    );
    let update = &m["incident_updates"][0];
    assert_eq!(
        (update["status"].as_str(), update["body"].as_str(), update["incident_id"].as_str()),
        (Some("scheduled"), Some("Database upgrade: planned work."), Some(db.as_str()))
    );
    assert_eq!(
        update["affected_components"],
        serde_json::json!([{"code": "checkout", "name": "Checkout", "old_status": "operational", "new_status": "operational"}])
    );
    let checkout = |name: &str| {
        let all = read(name)["components"].clone();
        all.as_array().unwrap().iter().find(|c| c["id"] == "checkout").expect("checkout")["status"].clone()
    };
    assert_eq!(checkout("components.json"), "operational", "not started yet");

    // Started, with a word to customers; a second one scheduled later.
    env.ok(&["maintenance", "start", &db]);
    env.ok(&["-i", &db, "update", "--channel", "status-page", "The upgrade has begun."]);
    let later = schedule(&env, "Search reindex", "web", "48h", "50h");
    env.ok(&["status-page", "--output", "out"]);
    check_api_v2(&env, "out");
    assert_eq!(ids(&maintenances("scheduled-maintenances/upcoming.json")), [later.as_str()]);
    assert_eq!(ids(&maintenances("scheduled-maintenances/active.json")), [db.as_str()]);
    assert_eq!(
        ids(&maintenances("scheduled-maintenances.json")),
        [later.as_str(), db.as_str()],
        "newest first"
    );
    assert_eq!(ids(&maintenances("summary.json")), [db.as_str(), later.as_str()], "under way, then upcoming");
    let m = &maintenances("scheduled-maintenances/active.json")[0];
    assert_eq!(m["status"], "in_progress");
    let started = env.json(&["--json", "status", &db])["maintenance"]["started_at"].as_str().map(t);
    let started = started.expect("status gives when it started");
    // Statuspage's times are whole seconds.
    assert_eq!(m["started_at"].as_str().map(t), Some(started.with_nanosecond(0).expect("a time")));
    assert_ne!(m["started_at"], m["scheduled_for"], "started a day early");
    assert_eq!(m["components"][0]["status"], "under_maintenance");
    let updates = m["incident_updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2, "{updates:#?}");
    assert_eq!(
        (updates[0]["status"].as_str(), updates[0]["body"].as_str()),
        (Some("in_progress"), Some("The upgrade has begun."))
    );
    assert_eq!(
        (
            updates[0]["affected_components"][0]["old_status"].as_str(),
            updates[0]["affected_components"][0]["new_status"].as_str()
        ),
        (Some("operational"), Some("under_maintenance"))
    );
    assert_eq!(checkout("components.json"), "under_maintenance");
    assert_eq!(checkout("summary.json"), "under_maintenance");
    let web =
        read("components.json")["components"].as_array().unwrap().iter().find(|c| c["id"] == "web").unwrap()
            ["status"]
            .clone();
    assert_eq!(web, "operational", "a maintenance not started moves no service");
    for name in ["status.json", "summary.json"] {
        assert_eq!(
            (read(name)["status"]["indicator"].as_str(), read(name)["status"]["description"].as_str()),
            (Some("maintenance"), Some("Service Under Maintenance")),
            "{name}"
        );
    }
    // Maintenance is not an incident.
    assert_eq!(read("incidents.json")["incidents"], serde_json::json!([]));
}

/// The folder served by a real static server (Python's `http.server`) on 127.0.0.1: a port
/// of its own, and what was asked of it. It stops when dropped, and by itself after two
/// minutes.
struct Served {
    child: std::process::Child,
    port: u16,
}

const SERVE: &str = r#"
import functools, http.server, sys, threading
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        print("GET " + self.path, flush=True)
        super().do_GET()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
threading.Timer(120, server.shutdown).start()
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

impl Served {
    fn start(dir: &Path) -> Served {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(SERVE)
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 serves the folder");
        let mut line = String::new();
        let stdout = child.stdout.as_mut().expect("stdout");
        std::io::BufReader::new(stdout).read_line(&mut line).expect("the server's port");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("not a port: {line:?}"));
        Served { child, port }
    }

    /// Stops the server and returns the paths it was asked for.
    fn requests(mut self) -> Vec<String> {
        use std::io::Read;
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut text = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = out.read_to_string(&mut text);
        }
        text.lines().filter_map(|l| l.strip_prefix("GET ")).map(str::to_string).collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `.ci/run` installs the published client (`npm ci` from the lock file beside
/// `tests/fixtures/status-page/client/package.json`).
fn statuspage_client() -> Option<PathBuf> {
    let dir = std::env::var_os("STATUSPAGE_CLIENT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/statuspage-client"),
        PathBuf::from,
    );
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let installed = dir.join("node_modules/statuspage.io/package.json").is_file();
    if node && installed {
        return Some(dir.join("node_modules"));
    }
    let missing =
        if node { format!("the statuspage.io package in {}", dir.display()) } else { "node".to_string() };
    let install = "mkdir -p target/statuspage-client && cp tests/fixtures/status-page/client/package*.json target/statuspage-client/ && npm ci --prefix target/statuspage-client";
    super::harness::peer_ready("the Statuspage client test", Some(format!("{missing} ({install})")));
    None
}

/// A published Statuspage API v2 client from the npm registry (`statuspage.io`, pinned in
/// `tests/fixtures/status-page/client/`), pointed at the folder served on 127.0.0.1, reads
/// the overall indicator, each service's state, an incident's updates and the upcoming and
/// active maintenances unchanged.
#[test]
fn a_published_statuspage_client_reads_the_folder_served_by_a_static_server() {
    let Some(modules) = statuspage_client() else { return };
    let (env, id) = scenario();
    let active = schedule(&env, "Pharmacy database upgrade", "pharmacy", "24h", "26h");
    env.ok(&["maintenance", "start", &active]);
    let upcoming = schedule(&env, "Storefront CDN switch", "web", "48h", "50h");
    env.ok(&["status-page", "--output", "site"]);
    let served = Served::start(&env.path("site"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/status-page/client/read.js");
    let out = Command::new("timeout")
        .arg("60")
        .arg("node")
        .arg(&script)
        .arg(&modules)
        .arg(format!("http://127.0.0.1:{}", served.port))
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .expect("node runs the client");
    let asked = served.requests();
    assert!(out.status.success(), "the client failed: {}", String::from_utf8_lossy(&out.stderr));
    let read: Value = serde_json::from_slice(&out.stdout).expect("the client's reading as JSON");

    // It asked the documented paths, and the static server had each of them.
    for path in
        ["summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json"]
    {
        assert!(asked.contains(&format!("/api/v2/{path}")), "/api/v2/{path} not asked: {asked:?}");
    }
    // The package's three maintenance calls all ask for upcoming.json (its bug); active.json
    // and the full list come through its HTTP instance (read.js).
    let maintenance_requests: Vec<&str> = asked
        .iter()
        .map(String::as_str)
        .filter(|p| p.starts_with("/api/v2/scheduled-maintenances"))
        .collect();
    assert_eq!(
        maintenance_requests,
        [
            "/api/v2/scheduled-maintenances/upcoming.json",
            "/api/v2/scheduled-maintenances/upcoming.json",
            "/api/v2/scheduled-maintenances/upcoming.json",
            "/api/v2/scheduled-maintenances/active.json",
            "/api/v2/scheduled-maintenances.json",
        ]
    );

    assert_eq!(read["summary"]["status"]["indicator"], "critical");
    assert_eq!(read["status"]["status"]["indicator"], "critical");
    assert_eq!(read["status"]["status"]["description"], "Major System Outage");
    let states: Vec<(String, String)> = read["components"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect();
    assert!(states.contains(&("checkout".into(), "major_outage".into())), "{states:?}");
    assert!(states.contains(&("web".into(), "operational".into())), "a drill moves no service: {states:?}");
    assert!(states.contains(&("grocery".into(), "operational".into())), "{states:?}");

    let unresolved = read["unresolved"]["incidents"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{unresolved:#?}");
    let incident = &unresolved[0];
    assert_eq!((incident["id"].as_str(), incident["name"].as_str()), (Some(id.as_str()), Some(HOSTILE)));
    assert_eq!(
        (incident["status"].as_str(), incident["impact"].as_str()),
        (Some("identified"), Some("critical"))
    );
    let updates = incident["incident_updates"].as_array().unwrap();
    assert_eq!(updates.len(), 1, "only the external update: {updates:#?}");
    assert_eq!(updates[0]["body"], "Checkout fails for some <b>customers</b> & we know why.");
    assert_eq!(updates[0]["status"], "identified");
    assert_eq!(updates[0]["affected_components"][0]["code"], "checkout");
    assert_eq!(updates[0]["affected_components"][0]["new_status"], "major_outage");
    assert_eq!(read["summary"]["incidents"], read["unresolved"]["incidents"]);
    let all = read["incidents"]["incidents"].as_array().unwrap();
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(all[1]["resolved_at"].is_string());

    // Maintenance: the upcoming one where the client asks (every call of its gets it), the
    // one under way in active.json, both in the summary and the full list.
    let upcoming_read = &read["upcoming"]["scheduled_maintenances"];
    assert_eq!(ids(upcoming_read), [upcoming.as_str()]);
    assert_eq!(
        (upcoming_read[0]["status"].as_str(), upcoming_read[0]["impact"].as_str()),
        (Some("scheduled"), Some("maintenance"))
    );
    assert_eq!(upcoming_read[0]["components"][0]["id"], "web");
    assert!(upcoming_read[0]["scheduled_for"].is_string() && upcoming_read[0]["scheduled_until"].is_string());
    assert_eq!(&read["active"]["scheduled_maintenances"], upcoming_read, "getActive reads upcoming.json");
    assert_eq!(&read["maintenances"]["scheduled_maintenances"], upcoming_read, "so does getAll");
    let active_read = &read["activeFile"]["scheduled_maintenances"];
    assert_eq!(ids(active_read), [active.as_str()]);
    assert_eq!(active_read[0]["status"], "in_progress");
    assert_eq!(
        (active_read[0]["components"][0]["id"].as_str(), active_read[0]["components"][0]["status"].as_str()),
        (Some("pharmacy"), Some("under_maintenance"))
    );
    assert_eq!(active_read[0]["incident_updates"][0]["body"], "Pharmacy database upgrade: planned work.");
    assert_eq!(ids(&read["allFile"]["scheduled_maintenances"]), [upcoming.as_str(), active.as_str()]);
    assert_eq!(ids(&read["summary"]["scheduled_maintenances"]), [active.as_str(), upcoming.as_str()]);
    assert!(states.contains(&("pharmacy".into(), "under_maintenance".into())), "{states:?}");
}

/// Regression: one U+FFFE or U+FFFF in a title or an update made `feed.atom` not well-formed
/// XML (XML 1.0 forbids them, and C0 controls other than tab, line feed and carriage
/// return), and a feed reader lost every entry. Each is shown as its code point; a real XML
/// parser (Python's expat) reads the whole feed and each service's.
#[test]
fn characters_xml_forbids_in_a_title_or_an_update_leave_every_feed_well_formed() {
    let env = Env::init();
    let id = open(&env, "Checkout \u{ffff} down", &["--severity", "SEV1", "--service", "checkout"]);
    env.ok(&["update", "--channel", "status-page", "Bad \u{fffe} byte \u{1} here"]);
    env.ok(&["status-page"]);
    for feed in ["feed.atom", "feeds/checkout.atom"] {
        let facts = python_json(ATOM_FACTS, &env.path(&format!("status-page/{feed}")));
        let entries = facts["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{feed}: {facts:#}");
        assert_eq!(entries[0]["title"], "Checkout \\u{ffff} down: Investigating", "{feed}");
        assert_eq!(entries[0]["content"], "Bad \\u{fffe} byte \u{2401} here", "{feed}");
    }
    // The JSON shows the same as the feeds.
    let api: Value = serde_json::from_str(&env.read("status-page/api/v2/incidents.json")).unwrap();
    assert_eq!(api["incidents"][0]["id"], id.as_str());
    assert_eq!(api["incidents"][0]["name"], "Checkout \\u{ffff} down");
}

/// Each service has its own feed, `feeds/<service>.atom`, with the public updates of the
/// incidents naming it and no other; its links lead back to the site's pages.
#[test]
fn each_service_has_a_feed_of_the_updates_of_its_incidents() {
    let (env, id) = scenario();
    let other = open(&env, "Storefront slow", &["--severity", "SEV2", "--service", "web"]);
    env.ok(&["-i", &other, "update", "--channel", "status-page", "Storefront pages load slowly"]);
    env.ok(&["status-page"]);
    let site = env.path("status-page");
    let checkout = python_json(ATOM_FACTS, &site.join("feeds/checkout.atom"));
    let entries = checkout["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{checkout:#}");
    assert!(entries[0]["title"].as_str().unwrap().starts_with(HOSTILE));
    let web = python_json(ATOM_FACTS, &site.join("feeds/web.atom"));
    let entries = web["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "the drill on web is not in its feed: {web:#}");
    assert_eq!(entries[0]["content"], "Storefront pages load slowly");
    let grocery = python_json(ATOM_FACTS, &site.join("feeds/grocery.atom"));
    let entries = grocery["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "the resolved SEV3's one public update: {grocery:#}");
    assert_eq!(entries[0]["content"], "Delivery slots load slowly.");
    let whole = python_json(ATOM_FACTS, &site.join("feed.atom"));
    assert_eq!(whole["entries"].as_array().unwrap().len(), 3, "checkout, web and grocery");
    let text = std::fs::read_to_string(site.join("feeds/checkout.atom")).unwrap();
    assert!(text.contains(&format!("href=\"../incidents/{id}.html\"")), "{text}");
    assert!(text.contains("href=\"../index.html\"") && text.contains("href=\"checkout.atom\""), "{text}");
    assert!(site.join(format!("incidents/{id}.html")).is_file());
}

/// A service no longer listed loses its feed at the next build; a file of someone else's in
/// `feeds/` stays (only what a build wrote, by its list beside the site, is removed).
#[test]
fn a_services_feed_goes_when_the_service_does_and_a_strangers_file_stays() {
    let env = Env::init();
    open(&env, "Checkout down", &["--severity", "SEV1", "--service", "checkout"]);
    env.ok(&["status-page"]);
    let feeds = env.path("status-page/feeds");
    assert!(feeds.join("pharmacy.atom").is_file());
    std::fs::write(feeds.join("ours.atom"), "<feed/>").unwrap();
    let config = env.read("incident.yaml");
    let start = config.find("  pharmacy:\n").expect("the starter declares pharmacy");
    let mut without = config.clone();
    let block_end = config[start..]
        .match_indices('\n')
        .map(|(n, _)| start + n + 1)
        .find(|&n| !config[n..].starts_with("    "))
        .unwrap_or(config.len());
    without.replace_range(start..block_end, "");
    std::fs::write(env.path("incident.yaml"), without).unwrap();
    env.ok(&["status-page"]);
    assert!(!feeds.join("pharmacy.atom").exists(), "the feed of a service no longer listed stayed");
    assert!(feeds.join("checkout.atom").is_file());
    assert!(feeds.join("ours.atom").is_file(), "a stranger's file was removed");
}

/// Every file of a site, by path inside it, with its bytes (the build's own list aside: its
/// order follows the build's).
fn site_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if !path.ends_with(".incident-status-page") {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The page reads only the logs that can touch its period, told by the cached summaries; a
/// build with no cache at all (every log folded) gives the same bytes, an incident long over
/// included (it is not on the page) and one still open since before the period (it is).
#[test]
fn a_page_built_without_any_cache_is_the_one_built_with_it() {
    let (env, _) = scenario();
    let old = open(
        &env,
        "Payments down long ago",
        &["--severity", "SEV1", "--service", "checkout", "--started-at", "-200d"],
    );
    env.ok(&["-i", &old, "mark", "mitigated", "--at", "-199d"]);
    env.ok(&["-i", &old, "resolve", "--at", "-199d"]);
    let lingering = open(
        &env,
        "Marketplace search degraded",
        &["--severity", "SEV2", "--service", "marketplace", "--started-at", "-120d"],
    );
    env.ok(&["list", "--json"]);
    env.ok(&["status-page", "--output", "warm"]);
    for cache in ["incident-index.json", "incident-closed"] {
        let _ = std::fs::remove_file(env.path(&format!(".git/{cache}")));
    }
    for id in env.ids() {
        for entry in std::fs::read_dir(env.path(&format!("incidents/{id}"))).unwrap().flatten() {
            if entry.file_name() != "events.jsonl" {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    env.ok(&["status-page", "--output", "cold"]);
    let (warm, cold) = (site_files(&env.path("warm")), site_files(&env.path("cold")));
    assert_eq!(warm.keys().collect::<Vec<_>>(), cold.keys().collect::<Vec<_>>());
    for (name, bytes) in &warm {
        assert!(cold[name] == *bytes, "{name} differs between a warm and a cold build");
    }
    assert!(!warm.contains_key(&format!("incidents/{old}.html")), "over before the period");
    assert!(warm.contains_key(&format!("incidents/{lingering}.html")), "open since before the period");
}

/// The site is written file by file as it is rendered, incident pages first: a repository's
/// template that fails on one incident stops the build before the index, the JSON and the
/// feeds change, so they still say what the last build said.
#[test]
fn a_template_failing_half_way_leaves_the_index_and_the_machine_files_as_they_were() {
    let (env, id) = scenario();
    env.ok(&["status-page"]);
    let before = site_files(&env.path("status-page"));
    let other = open(&env, "Storefront down", &["--severity", "SEV1", "--service", "web"]);
    let built_in = include_str!("../../templates/status/incident.html.j2");
    let template = format!(
        "{{% if incident.name == 'Storefront down' %}}{{{{ no_such_value }}}}{{% endif %}}{built_in}"
    );
    std::fs::create_dir_all(env.path("templates/status")).unwrap();
    std::fs::write(env.path("templates/status/incident.html.j2"), template).unwrap();
    let out = env.run(&["status-page"]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("incident.html.j2"), "{}", out.stderr);
    let after = site_files(&env.path("status-page"));
    for name in ["index.html", "status.json", "feed.atom", "banner.html", "api/v2/summary.json"] {
        assert!(before[name] == after[name], "{name} changed although the build failed");
    }
    assert!(!after.contains_key(&format!("incidents/{other}.html")));
    assert!(after.contains_key(&format!("incidents/{id}.html")));
}

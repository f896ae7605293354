//! `update`, `update --retry`, `updates` (docs/communications.md) against a real HTTP receiver on 127.0.0.1
//! that each test starts: a thread per connection, every loop bounded by a deadline, no
//! network beyond the loopback. `INCIDENT_RETRY_SCALE=0` makes the backoff delays zero, except
//! where a test checks that `Retry-After` is honoured.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{BIN, Env, Out};

/// What the receiver answers to its n-th request (the last entry repeats).
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    /// How long to wait before answering.
    delay: Duration,
}

const OK: Reply = Reply { status: 200, headers: &[], delay: Duration::ZERO };
const FAIL: Reply = Reply { status: 500, headers: &[], delay: Duration::ZERO };

#[derive(Clone, Debug)]
struct Request {
    /// Header names lowercased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Instant,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

struct Receiver {
    port: u16,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    /// Answers `replies` in order, the last one from then on, for at most 60 s.
    fn start(replies: Vec<Reply>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut n = 0;
            while Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let reply = replies[n.min(replies.len() - 1)].clone();
                        n += 1;
                        let log = Arc::clone(&log);
                        std::thread::spawn(move || handle(stream, &reply, &log));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Receiver { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().expect("lock").clone()
    }
}

fn handle(mut stream: TcpStream, reply: &Reply, log: &Mutex<Vec<Request>>) {
    let at = Instant::now();
    stream.set_nonblocking(false).ok();
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
        if buf.len() > 1 << 20 {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize =
        headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buf.len() < header_end + len {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
    }
    let body = buf[header_end..].to_vec();
    log.lock().expect("lock").push(Request { headers, body, at });
    std::thread::sleep(reply.delay);
    let mut out = format!("HTTP/1.1 {} X\r\nContent-Length: 2\r\nConnection: close\r\n", reply.status);
    for (k, v) in reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\nok");
    let _ = stream.write_all(out.as_bytes());
}

/// A port nothing listens on: bound, then closed.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A repository with one open SEV2 incident and the channels `yaml` declares (lines under
/// `channels:`).
fn setup(channels: &str) -> (Env, String) {
    let env = Env::init();
    let config = env.read("incident.yaml");
    let config = config.replacen("channels:\n", &format!("channels:\n{channels}"), 1);
    std::fs::write(env.path("incident.yaml"), config).expect("write config");
    env.ok(&["lint"]);
    env.ok(&["open", "Checkout fails", "--severity", "SEV2"]);
    let id = env.only_id();
    (env, id)
}

fn run(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Out {
    let mut c = env.command(BIN);
    c.args(args).stdin(std::process::Stdio::null());
    for (k, v) in vars {
        c.env(k, v);
    }
    let o = c.output().expect("run incident");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

const FAST: (&str, &str) = ("INCIDENT_RETRY_SCALE", "0");

fn kinds<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

fn updates(env: &Env) -> Vec<Value> {
    env.json(&["updates", "--json"]).as_array().cloned().unwrap_or_default()
}

#[test]
fn server_down_logs_the_update_and_every_attempt_and_exits_1() {
    let port = free_port();
    let (env, id) = setup(&format!(
        "  hook: {{ audience: internal, deliver: {{ webhook: 'http://127.0.0.1:{port}/x' }} }}\n"
    ));
    let out = run(&env, &["update", "--channel", "hook", "Checkout is failing"], &[FAST]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stderr.contains("incident update --retry"), "{}", out.stderr);
    let events = env.events(&id);
    let logged = kinds(&events, "update");
    assert_eq!(logged.len(), 1, "the update is in the log whatever the receiver does");
    assert_eq!(logged[0]["message"], "Checkout is failing");
    let tries = kinds(&events, "delivery");
    assert_eq!(tries.len(), 3, "bounded retries: {tries:#?}");
    for (n, t) in tries.iter().enumerate() {
        assert_eq!(t["update"], logged[0]["id"]);
        assert_eq!(t["attempt"], n as u64 + 1);
        assert_eq!(t["delivered"], false);
        assert!(t["error"].as_str().is_some_and(|e| !e.is_empty()), "{t}");
        assert!(t["latency_ms"].is_u64());
    }
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["undelivered"], serde_json::json!([logged[0]["id"]]));
    let human = env.ok(&["status"]).stdout;
    assert!(human.contains("NOT DELIVERED"), "{human}");
}

#[test]
fn a_slow_receiver_times_out_and_the_next_attempt_delivers() {
    let rx = Receiver::start(vec![Reply { delay: Duration::from_secs(3), ..OK }, OK]);
    let (env, id) = setup(&format!(
        "  hook: {{ audience: internal, deliver: {{ webhook: '{}', timeout: 1s }} }}\n",
        rx.url()
    ));
    let start = Instant::now();
    let out = run(&env, &["update", "--channel", "hook", "Slow going"], &[FAST]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(start.elapsed() < Duration::from_secs(3), "the first attempt was cut at 1s");
    let tries = kinds(&env.events(&id), "delivery").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(tries.len(), 2, "{tries:#?}");
    assert_eq!(tries[0]["delivered"], false);
    assert!(tries[0]["error"].as_str().is_some_and(|e| e.contains("timed out")), "{:#?}", tries[0]);
    assert_eq!(tries[1]["delivered"], true);
    assert_eq!(tries[1]["http_status"], 200);
}

#[test]
fn a_500_is_retried_with_the_same_update_id_and_slack_text() {
    let rx = Receiver::start(vec![FAIL, OK]);
    let (env, id) = setup(&format!(
        "  hook: {{ audience: internal, deliver: {{ webhook: '{}', format: slack }} }}\n",
        rx.url()
    ));
    let out = run(
        &env,
        &["--json", "update", "--channel", "hook", "--status", "identified", "Cause found"],
        &[FAST],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let printed: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(printed["incident"], id.as_str());
    let printed = printed["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        printed.iter().map(|e| e["kind"].as_str().unwrap_or("")).collect::<Vec<_>>(),
        ["update", "delivery", "delivery"]
    );
    let update_id = printed[0]["id"].as_str().unwrap_or_default().to_string();
    let seen = rx.requests();
    assert_eq!(seen.len(), 2);
    for r in &seen {
        assert_eq!(r.header("x-incident-update-id"), Some(update_id.as_str()));
        let body: Value = serde_json::from_slice(&r.body).expect("slack json");
        let text = body["text"].as_str().unwrap_or_default();
        assert!(text.contains("Cause found") && text.contains("Checkout fails"), "{text}");
    }
    let u = &updates(&env)[0];
    assert_eq!((u["delivered"].as_bool(), u["attempts"].as_u64()), (Some(true), Some(2)));
}

#[test]
fn retry_after_is_honoured() {
    let rx = Receiver::start(vec![
        Reply { status: 429, headers: &[("Retry-After", "1")], delay: Duration::ZERO },
        OK,
    ]);
    let (env, _) =
        setup(&format!("  hook: {{ audience: internal, deliver: {{ webhook: '{}' }} }}\n", rx.url()));
    // No scale knob here: the real schedule, whose only wait is the receiver's second.
    let out = run(&env, &["update", "--channel", "hook", "Too many"], &[]);
    assert_eq!(out.code, 0, "{out:#?}");
    let seen = rx.requests();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(900), "waited {gap:?}, not the 1s Retry-After asked");
}

#[test]
fn update_retry_delivers_exactly_once_more() {
    let rx = Receiver::start(vec![FAIL, FAIL, FAIL, OK]);
    let (env, id) =
        setup(&format!("  hook: {{ audience: internal, deliver: {{ webhook: '{}' }} }}\n", rx.url()));
    // A channel without a target: logged, no target, exit 0, never retried.
    let out = run(&env, &["update", "--channel", "social", "Posted by hand"], &[FAST]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("no target"), "{}", out.stdout);
    assert_eq!(run(&env, &["update", "--channel", "hook", "First"], &[FAST]).code, 1);
    assert_eq!(rx.requests().len(), 3);
    let out = run(&env, &["update", "--retry"], &[FAST]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(rx.requests().len(), 4, "exactly one more request");
    let out = run(&env, &["update", "--retry"], &[FAST]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(rx.requests().len(), 4, "nothing left to deliver");
    let ids: Vec<_> =
        rx.requests().iter().map(|r| r.header("x-incident-update-id").map(str::to_string)).collect();
    assert!(ids.iter().all(|i| i.is_some() && *i == ids[0]), "{ids:?}");
    let tries = kinds(&env.events(&id), "delivery").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(tries.iter().map(|t| t["attempt"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(env.json(&["status", "--json"])["undelivered"], serde_json::json!([]));

    // The postmortem's Communications say how each delivery ended.
    env.ok(&["postmortem", "--no-commit"]);
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));
    let comms = pm.split("## Communications").nth(1).unwrap_or_default();
    assert!(comms.contains("delivered (attempt 4)"), "{comms}");
    assert!(comms.contains("logged, no target"), "{comms}");
    assert!(comms.contains("| internal |"), "{comms}");
}

#[test]
fn json_envelopes_are_signed_with_hmac_sha256() {
    use hmac::{KeyInit, Mac};
    let rx = Receiver::start(vec![OK]);
    let (env, id) = setup(&format!(
        "  hook: {{ audience: external, deliver: {{ webhook: '{}', format: json, secret_env: HOOK_KEY }} }}\n",
        rx.url()
    ));
    let out = run(
        &env,
        &["update", "--channel", "hook", "--eta", "45m", "Signed"],
        &[FAST, ("HOOK_KEY", "s3cret")],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let seen = rx.requests();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").expect("key");
    mac.update(&r.body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(r.header("x-incident-signature-256"), Some(format!("sha256={hex}").as_str()));
    let envelope: Value = serde_json::from_slice(&r.body).expect("envelope");
    assert_eq!(envelope["incident"]["id"], id.as_str());
    assert_eq!(envelope["incident"]["title"], "Checkout fails");
    assert_eq!(envelope["incident"]["severity"], "SEV2");
    assert_eq!(envelope["channel"], "hook");
    assert_eq!(envelope["message"], "Signed");
    assert!(envelope["eta"].is_string() && envelope["at"].is_string(), "{envelope}");
    assert_eq!(Some(envelope["id"].as_str().unwrap_or_default()), r.header("x-incident-update-id"));
}

#[test]
fn command_targets_get_the_message_on_stdin_and_the_rest_in_the_environment() {
    let (env, id) = setup(
        "  pager: { audience: internal, deliver: { command: 'cat > \"$OUT/msg\"; env | grep -E \"^(UPDATE|INCIDENT)_\" > \"$OUT/env\"', timeout: 5s } }\n",
    );
    let out_dir = env.dir.path().join("out");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let message = "It's \"broken\"; $(touch pwned) `rm -rf /`";
    let out = run(
        &env,
        &["update", "--channel", "pager", "--status", "monitoring", "--eta", "1h", message],
        &[FAST, ("OUT", out_dir.to_str().unwrap_or_default())],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(std::fs::read_to_string(out_dir.join("msg")).expect("msg"), message);
    assert!(!env.path("pwned").exists(), "the message is never interpolated");
    let vars = std::fs::read_to_string(out_dir.join("env")).expect("env");
    let update = kinds(&env.events(&id), "update")[0].clone();
    assert!(vars.contains(&format!("UPDATE_ID={}", update["id"].as_str().unwrap_or("?"))), "{vars}");
    assert!(vars.contains("UPDATE_CHANNEL=pager"), "{vars}");
    assert!(vars.contains("UPDATE_STATUS=monitoring"), "{vars}");
    assert!(vars.contains(&format!("UPDATE_ETA={}", update["eta"].as_str().unwrap_or("?"))), "{vars}");
    assert!(vars.contains(&format!("INCIDENT_ID={id}")), "{vars}");

    // A failing command: final, one attempt, exit 1.
    let out = run(&env, &["update", "--channel", "pager", "again"], &[FAST, ("OUT", "/nonexistent/dir")]);
    assert_eq!(out.code, 1, "{out:#?}");
    let u = updates(&env);
    assert_eq!((u[1]["delivered"].as_bool(), u[1]["attempts"].as_u64()), (Some(false), Some(1)));
}

/// Regression: a delivery command was run apart from step commands: its stderr was read to
/// the end (so a failing command that left a child running, holding stderr, hung the update
/// until that child ended), only its first 4 KiB (so a chattier one blocked on a full pipe
/// until the timeout, and was tried again), and at the timeout only `sh` was killed (what it
/// started ran on). It now runs as a step's command does.
#[test]
fn delivery_commands_never_hang_on_what_they_leave_running_and_die_whole_at_the_timeout() {
    let (env, id) = setup(concat!(
        "  lingering: { audience: internal, deliver: { command: 'sleep 60 & echo \"relay refused\" >&2; exit 3', timeout: 30s } }\n",
        "  chatty: { audience: internal, deliver: { command: 'head -c 200000 /dev/zero | tr \"\\\\0\" x >&2; echo >&2; echo \"quota exceeded\" >&2; exit 4', timeout: 30s } }\n",
        "  stuck: { audience: internal, deliver: { command: '(sleep 3; touch \"$INCIDENT_REPO/late\") & sleep 60', timeout: 1s } }\n",
        "  deaf: { audience: internal, deliver: { command: 'exit 0', timeout: 30s } }\n",
    ));
    // A command that never reads its stdin, with a message larger than a pipe holds: the
    // write fails, and must not take the tool down with SIGPIPE before the attempt is logged.
    let long = "status ".repeat(12_000);
    let out = run(&env, &["update", "--channel", "deaf", &long], &[FAST]);
    assert_eq!(out.code, 0, "delivered: {:?}", out.stderr);
    let started = std::time::Instant::now();
    let out = run(&env, &["update", "--channel", "lingering", "one"], &[FAST]);
    assert_eq!(out.code, 1, "{out:#?}");
    let out = run(&env, &["update", "--channel", "chatty", "two"], &[FAST]);
    assert_eq!(out.code, 1, "{out:#?}");
    // Each ended when its shell did, not when a child let go of stderr (60 s) or at a timeout.
    assert!(started.elapsed() < std::time::Duration::from_secs(25), "{:?}", started.elapsed());
    let tries: Vec<Value> = kinds(&env.events(&id), "delivery").into_iter().cloned().collect();
    assert_eq!(tries.len(), 3, "a failing command is final: one attempt each {tries:#?}");
    assert_eq!(tries[0]["delivered"], true, "{tries:#?}");
    assert_eq!(tries[1]["error"], "exit 3: relay refused", "{tries:#?}");
    let chatty = tries[2]["error"].as_str().unwrap_or_default();
    assert!(
        chatty.starts_with("exit 4: ") && chatty.ends_with("quota exceeded"),
        "the end is kept: {chatty:.80}"
    );
    assert!(chatty.len() < 4096, "bounded: {} bytes", chatty.len());

    // At the timeout the whole group goes: what the command started never finishes.
    let out = run(&env, &["update", "--channel", "stuck", "three"], &[FAST]);
    assert_eq!(out.code, 1, "{out:#?}");
    let tries: Vec<Value> = kinds(&env.events(&id), "delivery").into_iter().cloned().collect();
    let stuck: Vec<&Value> = tries.iter().filter(|t| t["channel"] == "stuck").collect();
    assert!(stuck.len() > 1, "a timeout is tried again: {stuck:#?}");
    assert!(stuck.iter().all(|t| t["error"] == "timed out after 1s"), "{stuck:#?}");
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(!env.path("late").exists(), "a child of the timed-out command ran on");
}

#[test]
fn urls_expand_variables_and_a_missing_one_is_a_clear_error() {
    let rx = Receiver::start(vec![OK]);
    let (env, id) = setup(
        "  hook: { audience: internal, deliver: { webhook: 'http://127.0.0.1:${HOOK_PORT}/services/${HOOK_PATH}' } }\n",
    );
    let out = run(&env, &["--json", "update", "--channel", "hook", "No var"], &[FAST]);
    assert_eq!(out.code, 1, "{out:#?}");
    let err: Value = serde_json::from_str(&out.stderr).expect("json error");
    assert_eq!(err["error"]["kind"], "undeliverable", "{err}");
    assert!(err["error"]["message"].as_str().is_some_and(|m| m.contains("HOOK_PORT")), "{err}");
    let events = env.events(&id);
    assert_eq!(kinds(&events, "update").len(), 1, "logged all the same");
    assert!(kinds(&events, "delivery").is_empty(), "no attempt without the variable");

    let port = rx.port.to_string();
    let vars = [FAST, ("HOOK_PORT", port.as_str()), ("HOOK_PATH", "T0/B1")];
    let out = run(&env, &["update", "--retry"], &vars);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(rx.requests().len(), 1);
    let events = env.events(&id);
    assert!(!events.iter().any(|e| e.to_string().contains("T0/B1")), "the expanded URL is not logged");
}

#[test]
fn updates_json_has_exactly_the_documented_keys() {
    let (env, _) = setup("");
    env.ok(&["update", "--channel", "status-page", "--status", "investigating", "Looking into it"]);
    let list = updates(&env);
    assert_eq!(list.len(), 1);
    let keys: Vec<&str> =
        list[0].as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, ["at", "attempts", "channel", "delivered", "id", "message", "status"]);
    assert_eq!(list[0]["status"], "investigating");
    assert_eq!(list[0]["delivered"], false);
    env.fails(2, &["update", "--channel", "nowhere", "x"]);
    env.fails(2, &["update", "--channel", "status-page", "--template", "nope"]);
}

#[test]
fn templates_render_with_the_incident() {
    let (env, id) = setup("");
    let out = env.ok(&["update", "--channel", "status-page", "--template", "initial", "--eta", "2h"]);
    assert!(out.stdout.contains("no target"), "{}", out.stdout);
    let update = kinds(&env.events(&id), "update")[0].clone();
    let text = update["message"].as_str().unwrap_or_default();
    assert!(text.contains("Checkout fails") && text.contains("Next update within 30m"), "{text}");
    assert_eq!(update["status"], "investigating", "initial announces investigating");
    for name in ["progress", "mitigated", "shipped", "resolved"] {
        env.ok(&["update", "--channel", "email", "--template", name]);
    }
}

#[test]
fn the_update_clock() {
    let env = Env::init();
    env.ok(&["open", "Checkout fails", "--severity", "SEV2", "--at", "-40m"]);
    // Opened 40 minutes ago at SEV2 (an update every 30m), none sent: overdue.
    let s = env.json(&["status", "--json"]);
    let due = s["updates_due_at"].as_str().expect("due").to_string();
    let opened = s["opened_at"].as_str().expect("opened_at").to_string();
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).expect("time");
    assert_eq!((parse(&due) - parse(&opened)).num_minutes(), 30);
    assert!(
        s["overdue"]
            .as_array()
            .is_some_and(|o| o.iter().any(|x| x.as_str().unwrap_or("").contains("update")))
    );
    assert!(env.ok(&["status"]).stdout.contains("OVERDUE: stakeholder update"));

    // An update resets the clock: due 30 minutes from now.
    env.ok(&["update", "--channel", "status-page", "Still on it"]);
    let s = env.json(&["status", "--json"]);
    let due = parse(s["updates_due_at"].as_str().expect("due"));
    let left = due.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(left > chrono::Duration::minutes(28) && left <= chrono::Duration::minutes(30), "{left}");
    let human = env.ok(&["status"]).stdout;
    assert!(
        human.contains("next stakeholder update due") && !human.contains("OVERDUE: stakeholder"),
        "{human}"
    );

    // None once resolved.
    env.ok(&["resolve", "--root-cause", "a bad deploy"]);
    assert!(env.json(&["status", "--json"])["updates_due_at"].is_null());
    assert!(!env.ok(&["status"]).stdout.contains("next stakeholder update"));
}

#[test]
fn an_update_whose_id_is_not_ascii_is_skipped_not_a_panic() {
    // Regression: a hand-edited (or synced) update line with a non-ASCII id made `updates`
    // slice the id inside a character and panic.
    let (env, id) = setup("");
    env.ok(&["update", "--channel", "status-page", "--status", "investigating", "Looking into it"]);
    let update_id = kinds(&env.events(&id), "update")[0]["id"].as_str().unwrap().to_string();
    let path = env.path(&format!("incidents/{id}/events.jsonl"));
    let log = std::fs::read_to_string(&path).unwrap().replace(&update_id, "aéééééééé");
    std::fs::write(&path, log).unwrap();
    let out = env.ok(&["updates"]);
    assert!(out.stderr.contains("is not an event id"), "{out:#?}");
    assert!(!out.stdout.contains("Looking into it"), "{out:#?}");
    let doctor = env.run(&["doctor"]);
    assert!(doctor.stdout.contains("is not an event id"), "{doctor:#?}");
}

#[test]
fn the_shipped_template_says_the_fix_shipped() {
    let (env, id) = setup("");
    env.ok(&["update", "--channel", "email", "--template", "shipped"]);
    let update = kinds(&env.events(&id), "update")[0].clone();
    let text = update["message"].as_str().unwrap_or_default();
    assert!(text.starts_with("The fix for Checkout fails has shipped"), "{text}");
    assert!(text.contains("Next update within 30m"), "{text}");
    assert!(update["status"].is_null(), "shipped moves no public state: {update}");
}

/// One update to two channels: both logged in one append before any delivery, each delivered
/// on its own; one receiver failing makes the command exit 1 naming `update --retry`.
#[test]
fn one_update_fans_out_to_every_channel_named() {
    let good = Receiver::start(vec![OK]);
    let bad = Receiver::start(vec![FAIL]);
    let (env, id) = setup(&format!(
        "  good: {{ audience: internal, deliver: {{ webhook: '{}' }} }}\n  bad: {{ audience: internal, deliver: {{ webhook: '{}' }} }}\n",
        good.url(),
        bad.url()
    ));
    let args = [
        "--json",
        "update",
        "--channel",
        "good",
        "--channel",
        "bad",
        "--channel",
        "good",
        "Checkout is failing",
    ];
    let out = run(&env, &args, &[FAST]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr.contains("not delivered to bad") && out.stderr.contains("incident update --retry"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("not delivered to good"), "{}", out.stderr);

    let events = env.events(&id);
    // The two updates are next to each other in the log, before every delivery attempt.
    let order: Vec<&str> =
        events.iter().map(|e| e["kind"].as_str().unwrap_or("")).skip_while(|k| *k != "update").collect();
    assert_eq!(&order[..2], ["update", "update"], "{order:?}");
    assert!(order[2..].iter().all(|k| *k == "delivery"), "{order:?}");
    let logged = kinds(&events, "update");
    let channels: Vec<&str> = logged.iter().map(|u| u["channel"].as_str().unwrap_or("")).collect();
    assert_eq!(channels, ["good", "bad"], "a channel named twice counts once");
    assert_ne!(logged[0]["id"], logged[1]["id"]);
    assert!(logged.iter().all(|u| u["message"] == "Checkout is failing"));
    let to = |u: &Value| {
        kinds(&events, "delivery").into_iter().filter(|d| d["update"] == u["id"]).cloned().collect::<Vec<_>>()
    };
    let to_good = to(logged[0]);
    assert_eq!(to_good.len(), 1, "{to_good:#?}");
    assert_eq!(
        (to_good[0]["channel"].as_str(), to_good[0]["delivered"].as_bool()),
        (Some("good"), Some(true))
    );
    let to_bad = to(logged[1]);
    assert_eq!(to_bad.len(), 3, "bounded retries: {to_bad:#?}");
    assert!(
        to_bad.iter().all(|d| d["channel"] == "bad" && d["delivered"] == false && d["http_status"] == 500)
    );
    assert_eq!(good.requests().len(), 1);
    assert_eq!(bad.requests().len(), 3);
    assert_eq!(good.requests()[0].header("x-incident-update-id"), logged[0]["id"].as_str());

    // --json lists every event appended: both updates, then every attempt.
    let printed: Value = serde_json::from_str(&out.stdout).expect("json");
    let printed = printed["events"].as_array().cloned().unwrap_or_default();
    let kinds_printed: Vec<&str> = printed.iter().map(|e| e["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds_printed, ["update", "update", "delivery", "delivery", "delivery", "delivery"]);

    let listed = updates(&env);
    let delivered: Vec<(Option<&str>, Option<bool>)> =
        listed.iter().map(|u| (u["channel"].as_str(), u["delivered"].as_bool())).collect();
    assert_eq!(delivered, [(Some("good"), Some(true)), (Some("bad"), Some(false))]);
}

#[test]
fn a_fan_out_where_every_channel_delivers_exits_0() {
    let one = Receiver::start(vec![OK]);
    let two = Receiver::start(vec![OK]);
    let (env, id) = setup(&format!(
        "  one: {{ audience: internal, deliver: {{ webhook: '{}' }} }}\n  two: {{ audience: internal, deliver: {{ webhook: '{}' }} }}\n",
        one.url(),
        two.url()
    ));
    let out =
        run(&env, &["update", "--channel", "one", "--channel", "two", "--template", "progress"], &[FAST]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stdout.contains("delivered to one") && out.stdout.contains("delivered to two"),
        "{}",
        out.stdout
    );
    let events = env.events(&id);
    assert_eq!(kinds(&events, "update").len(), 2);
    assert_eq!(kinds(&events, "delivery").len(), 2);
    assert!(kinds(&events, "delivery").iter().all(|d| d["delivered"] == true));
    assert_eq!((one.requests().len(), two.requests().len()), (1, 1));
    // An unknown channel among them: refused before anything is written.
    env.fails(2, &["update", "--channel", "one", "--channel", "nowhere", "x"]);
    assert_eq!(kinds(&env.events(&id), "update").len(), 2);
}

//! `ingest --listen` through the real binary and a real HTTP client over a socket: what a 2xx
//! acknowledges is already in the log, what is refused writes nothing, garbage never stops the
//! server, a key is required off loopback, SIGTERM ends it with 0; and end to end behind a
//! real Alertmanager.

use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::harness::{BIN, Env};

/// Routing: an alert on `service: checkout` opens a SEV2 on checkout with the bad-deploy runbook.
const RULES: &str = "\nalerts:\n  - match: { service: checkout }\n    services: [checkout]\n    severity: SEV2\n    runbook: bad-deploy\n";

/// How long any one wait of these tests lasts at most.
const WAIT: Duration = Duration::from_secs(20);

fn with_rules() -> Env {
    let env = Env::init();
    let path = env.path("incident.yaml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(RULES);
    std::fs::write(&path, config).unwrap();
    env
}

/// An Alertmanager webhook (version 4) with one alert.
fn notification(fingerprint: &str, status: &str, starts_at: &str) -> String {
    serde_json::json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"CheckoutErrors\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "incident",
        "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": {"alertname": "CheckoutErrors", "service": "checkout"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [{
            "status": status,
            "labels": {"alertname": "CheckoutErrors", "service": "checkout", "severity": "page"},
            "annotations": {"summary": "checkout 5xx above 5%"},
            "startsAt": starts_at,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=x",
            "fingerprint": fingerprint
        }]
    })
    .to_string()
}

/// `incident ingest --listen`, killed when dropped; its stdout lines arrive on `lines`.
struct Listener {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
}

impl Listener {
    fn start(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Listener {
        let mut cmd = env.command(BIN);
        cmd.args(["ingest", "--listen"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start incident ingest --listen");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let addr = loop {
            match rx.recv_timeout(WAIT) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("listening on http://") {
                        let addr = rest.split('/').next().unwrap().parse().expect("an address");
                        break addr;
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("the listener said no address: {seen:?}");
                }
            }
        };
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // stderr keeps draining so the listener never blocks on it.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Listener { child, addr, lines }
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
        let mut head = format!("POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        exchange(self.addr, &bytes)
    }

    /// The next line on stdout, within [`WAIT`].
    fn line(&self) -> String {
        self.lines.recv_timeout(WAIT).expect("a line on stdout")
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill").args([signal, &self.child.id().to_string()]).status();
        assert!(status.unwrap().success());
    }

    /// Waits (bounded) for the process to end; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the listener did not stop");
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `bytes` on a new connection and reads the answer to its end: status and body.
/// Writing may fail once the server has answered (it stops reading a body it refuses).
fn exchange(addr: SocketAddr, bytes: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.set_write_timeout(Some(WAIT)).unwrap();
    let _ = s.write_all(bytes);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    parse_answer(&answer)
}

fn parse_answer(answer: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{head}"));
    (status, body.to_string())
}

fn alert_events(env: &Env, id: &str) -> Vec<serde_json::Value> {
    env.events(id).into_iter().filter(|e| e["kind"] == "alert").collect()
}

fn minutes_ago(minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn a_notification_is_in_the_log_when_its_answer_arrives() {
    let env = with_rules();
    let listener = Listener::start(&env, &["127.0.0.1:0"], &[]);
    let started = minutes_ago(10);
    let (status, body) = listener.post(
        "/alerts",
        &[("Content-Type", "application/json")],
        notification("f00d", "firing", &started).as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    // Read before anything else happens: the 200 came after the append.
    let id = env.only_id();
    let alerts = alert_events(&env, &id);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["fingerprint"], "f00d");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("the answer is what was recorded");
    assert_eq!(answer["incident"], id.as_str());
    assert_eq!(answer["opened"], true);
    assert!(listener.line().contains(&id), "one line per notification naming the incident");
    // The same alert again lands on the same incident (a repeat: nothing new), and a second
    // alert of the group is added to it; `/` serves as well as `/alerts`.
    let (status, body) = listener.post("/", &[], notification("f00d", "firing", &started).as_bytes());
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((answer["incident"].as_str(), answer["opened"].as_bool()), (Some(id.as_str()), Some(false)));
    assert_eq!(alert_events(&env, &id).len(), 1);
    listener.line();
    let (status, _) = listener.post("/", &[], notification("f00e", "firing", &started).as_bytes());
    assert_eq!(status, 200);
    assert_eq!(env.ids(), vec![id.clone()]);
    assert_eq!(alert_events(&env, &id).len(), 2);
    listener.line();
}

#[test]
fn json_prints_one_object_per_notification_line() {
    let env = with_rules();
    let listener = Listener::start(&env, &["127.0.0.1:0", "--json"], &[]);
    for _ in 0..2 {
        let (status, _) = listener.post("/", &[], notification("beef", "firing", &minutes_ago(5)).as_bytes());
        assert_eq!(status, 200);
        let line: serde_json::Value =
            serde_json::from_str(&listener.line()).expect("a JSON object on one line");
        assert_eq!(line["incident"], env.only_id().as_str());
        assert!(line["events"].is_array(), "{line}");
    }
}

#[test]
fn a_bad_payload_is_answered_400_with_its_reason_and_nothing_is_written() {
    let env = with_rules();
    let listener = Listener::start(&env, &["127.0.0.1:0"], &[]);
    let bad: [&[u8]; 4] = [b"{\"version\":\"4\"}", b"not json", b"{\"alerts\": [\xff\xfe]}", b""];
    for body in bad {
        let (status, reason) = listener.post("/alerts", &[], body);
        assert_eq!(status, 400, "{body:?}: {reason}");
        assert_eq!(reason.trim_end().lines().count(), 1, "one line: {reason:?}");
        assert!(!reason.trim().is_empty());
    }
    // A body cut short: the client gives up half-way through.
    let body = notification("cafe", "firing", &minutes_ago(5));
    let head = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len());
    let mut s = TcpStream::connect(listener.addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body.as_bytes()[..body.len() / 2]).unwrap();
    drop(s);
    // Still serving, and nothing of any of it written.
    let (status, _) = exchange(listener.addr, b"GET /healthz HTTP/1.1\r\n\r\n");
    assert_eq!(status, 200);
    assert!(env.ids().is_empty(), "{:?}", env.ids());
}

#[test]
fn a_body_over_the_limit_is_answered_413_and_nothing_is_written() {
    let env = with_rules();
    let listener = Listener::start(&env, &["127.0.0.1:0"], &[]);
    let big = vec![b' '; 1024 * 1024 + 1];
    let (status, reason) = listener.post("/alerts", &[], &big);
    assert_eq!(status, 413, "{reason}");
    assert!(reason.contains("1048576"), "{reason}");
    assert!(env.ids().is_empty());
    let (status, _) = listener.post("/", &[], notification("f1", "firing", &minutes_ago(3)).as_bytes());
    assert_eq!(status, 200);
}

#[test]
fn garbage_on_the_socket_never_stops_the_server() {
    let env = with_rules();
    let listener = Listener::start(&env, &["127.0.0.1:0"], &[]);
    let huge_header = format!("POST / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(64 * 1024));
    let many_headers: String = (0..200).map(|i| format!("X-{i}: v\r\n")).collect();
    let garbage: Vec<(Vec<u8>, u16)> = vec![
        (b"\x00\xff\xfe garbage \x01\x02\r\n\r\n".to_vec(), 400),
        (b"POST / HTTP/1.1\r\nContent-Length: lots\r\n\r\n".to_vec(), 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".to_vec(), 411),
        (huge_header.into_bytes(), 431),
        (format!("POST / HTTP/1.1\r\n{many_headers}\r\n").into_bytes(), 431),
        (b"GET /alerts HTTP/1.1\r\n\r\n".to_vec(), 405),
        (b"POST /elsewhere HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}".to_vec(), 404),
    ];
    for (bytes, expected) in garbage {
        let (status, reason) = exchange(listener.addr, &bytes);
        assert_eq!(
            status,
            expected,
            "{:?}: {reason}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
        );
    }
    // A 405 names the methods its path takes (the health check's are not the alerts').
    for (request, allow) in [("GET /alerts", "Allow: POST\r\n"), ("POST /healthz", "Allow: GET, HEAD\r\n")] {
        let mut s = TcpStream::connect_timeout(&listener.addr, WAIT).expect("connect");
        s.set_read_timeout(Some(WAIT)).unwrap();
        let _ = s.write_all(format!("{request} HTTP/1.1\r\nContent-Length: 0\r\n\r\n").as_bytes());
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 405") && answer.contains(allow), "{request}: {answer}");
    }
    // Connections that say nothing, or half a head, and go.
    for bytes in [&b""[..], b"POST / HTT", b"\xff"] {
        let mut s = TcpStream::connect(listener.addr).unwrap();
        let _ = s.write_all(bytes);
        drop(s);
    }
    let (status, body) =
        listener.post("/alerts", &[], notification("f2", "firing", &minutes_ago(3)).as_bytes());
    assert_eq!(status, 200, "{body}");
    assert_eq!(env.ids().len(), 1);
}

#[test]
fn off_loopback_the_listener_needs_a_key_from_token_env() {
    let env = with_rules();
    let out = env.fails(2, &["ingest", "--listen", "0.0.0.0:0"]);
    assert!(out.stderr.contains("--token-env"), "{}", out.stderr);
    // Named but unset: refused too, on loopback as well.
    let out = env.fails(2, &["ingest", "--listen", "127.0.0.1:0", "--token-env", "INGEST_TOKEN"]);
    assert!(out.stderr.contains("INGEST_TOKEN"), "{}", out.stderr);
    assert!(env.ids().is_empty());
}

#[test]
fn with_a_key_a_request_carries_it_as_a_bearer_token_or_a_signature() {
    let env = with_rules();
    let key = "k3y-for-the-test";
    let listener =
        Listener::start(&env, &["0.0.0.0:0", "--token-env", "INGEST_TOKEN"], &[("INGEST_TOKEN", key)]);
    let addr = SocketAddr::from(([127, 0, 0, 1], listener.addr.port()));
    let post = |headers: &[(&str, &str)], body: &str| {
        let mut head = format!("POST /alerts HTTP/1.1\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        exchange(addr, format!("{head}\r\n{body}").as_bytes())
    };
    let started = minutes_ago(4);
    let body = notification("5eed0", "firing", &started);
    for refused in
        [vec![], vec![("Authorization", "Bearer wrong")], vec![("X-Incident-Signature-256", "sha256=00")]]
    {
        let (status, reason) = post(&refused, &body);
        assert_eq!(status, 401, "{refused:?}: {reason}");
    }
    assert!(env.ids().is_empty(), "a refused request wrote");
    let bearer = format!("Bearer {key}");
    assert_eq!(post(&[("Authorization", &bearer)], &body).0, 200);
    let body = notification("5eed1", "firing", &started);
    let ours = hmac_sha256_hex(key.as_bytes(), body.as_bytes());
    assert_eq!(post(&[("X-Incident-Signature-256", &format!("sha256={ours}"))], &body).0, 200);
    let body = notification("5eed2", "firing", &started);
    let ours = hmac_sha256_hex(key.as_bytes(), body.as_bytes());
    assert_eq!(post(&[("X-PagerDuty-Signature", &format!("v1=00, v1={ours}"))], &body).0, 200);
    // A signature of another body is no key.
    let (status, _) = post(
        &[("X-Incident-Signature-256", &format!("sha256={ours}"))],
        &notification("5eed3", "firing", &started),
    );
    assert_eq!(status, 401);
    assert_eq!(alert_events(&env, &env.only_id()).len(), 3);
}

/// HMAC-SHA256 by its definition (RFC 2104) over the `sha256sum` tool, so the test checks the
/// server against an implementation that is not its own.
fn hmac_sha256_hex(key: &[u8], body: &[u8]) -> String {
    let sha = |data: &[u8]| -> Vec<u8> {
        let mut child = std::process::Command::new("sha256sum")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sha256sum");
        child.stdin.take().unwrap().write_all(data).unwrap();
        let out = child.wait_with_output().unwrap();
        let hex = String::from_utf8(out.stdout).unwrap();
        (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect()
    };
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).chain(body.iter().copied()).collect();
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).chain(sha(&inner)).collect();
    sha(&outer).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn sigterm_and_ctrl_c_stop_it_with_exit_0() {
    for signal in ["-TERM", "-INT"] {
        let env = with_rules();
        let mut listener = Listener::start(&env, &["127.0.0.1:0"], &[]);
        assert_eq!(listener.post("/", &[], notification("ab", "firing", &minutes_ago(2)).as_bytes()).0, 200);
        listener.signal(signal);
        assert_eq!(listener.exit_code(), Some(0), "{signal}");
        assert_eq!(env.ids().len(), 1);
    }
}

/// A real Alertmanager on 127.0.0.1, killed when dropped.
struct Alertmanager {
    child: Child,
    base: String,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// A port free a moment ago (the system's choice for port 0).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP request with a JSON body (or none), answered with status and body.
fn http(method: &str, url_base: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let addr: SocketAddr = url_base.trim_start_matches("http://").parse().unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, request.as_bytes())
}

/// Whether Alertmanager answers `/-/ready` with 200 (nothing listening yet is not ready).
fn ready(base: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(base.trim_start_matches("http://")) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut answer = Vec::new();
    s.write_all(b"GET /-/ready HTTP/1.1\r\nHost: am\r\nConnection: close\r\n\r\n").is_ok()
        && s.read_to_end(&mut answer).is_ok()
        && answer.starts_with(b"HTTP/1.1 200")
}

impl Alertmanager {
    /// Started with `webhook` as its one receiver's URL, sending with the bearer `token`, and
    /// group wait, group interval and repeat interval of a second; ready when this returns.
    fn start(env: &Env, webhook: &str, token: &str) -> Alertmanager {
        let dir = env.dir.path().join("alertmanager");
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "route:\n  receiver: incident\n  group_by: [alertname, service]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1s\nreceivers:\n  - name: incident\n    webhook_configs:\n      - url: {webhook}\n        send_resolved: true\n        http_config:\n          authorization:\n            credentials: {token}\n"
        );
        std::fs::write(dir.join("alertmanager.yml"), config).unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = env
            .command(ALERTMANAGER)
            .arg(format!("--config.file={}", dir.join("alertmanager.yml").display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start alertmanager");
        let am = Alertmanager { child, base };
        let deadline = Instant::now() + WAIT;
        loop {
            if ready(&am.base) {
                return am;
            }
            assert!(Instant::now() < deadline, "alertmanager did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn post_alerts(&self, alerts: &serde_json::Value) {
        let (status, body) = http("POST", &self.base, "/api/v2/alerts", Some(&alerts.to_string()));
        assert_eq!(status, 200, "alertmanager refused the alerts: {body}");
    }
}

/// End to end: alerts posted to a real Alertmanager reach `ingest --listen` through its
/// webhook receiver (with the bearer token its `http_config` sends) and open one incident with
/// the routed services, severity and runbook, impact started at the alert's start; repeats and
/// the resolve land on that incident, never a second one.
#[test]
fn alertmanager_opens_one_incident_and_its_repeats_and_resolve_land_on_it() {
    if !std::path::Path::new(ALERTMANAGER).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs {ALERTMANAGER} (apt-get install prometheus-alertmanager)"
        );
        eprintln!("skipped: {ALERTMANAGER} is not installed (apt-get install prometheus-alertmanager)");
        return;
    }
    let env = with_rules();
    let token = "am-test-token";
    let listener =
        Listener::start(&env, &["127.0.0.1:0", "--token-env", "INGEST_TOKEN"], &[("INGEST_TOKEN", token)]);
    let am = Alertmanager::start(&env, &format!("http://{}/alerts", listener.addr), token);
    let started = minutes_ago(7);
    let labels =
        serde_json::json!({"alertname": "CheckoutErrors", "service": "checkout", "severity": "page"});
    let alert = |ends_at: Option<&str>| {
        let mut a = serde_json::json!({
            "labels": labels,
            "annotations": {"summary": "checkout 5xx above 5%"},
            "startsAt": started,
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=x"
        });
        if let Some(end) = ends_at {
            a["endsAt"] = serde_json::json!(end);
        }
        serde_json::json!([a])
    };
    am.post_alerts(&alert(None));
    // The first notification opens the incident; with a repeat interval of a second, more come.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut notifications = 0;
    while notifications < 3 {
        assert!(Instant::now() < deadline, "only {notifications} notifications in 30 s");
        if listener.lines.recv_timeout(Duration::from_secs(1)).is_ok() {
            notifications += 1;
        }
        if notifications == 1 {
            am.post_alerts(&alert(None)); // the same alert posted again
        }
    }
    let id = env.only_id();
    let status = env.json(&["status", &id, "--json"]);
    assert_eq!(status["severity"], "SEV2", "{status}");
    assert_eq!(status["services"], serde_json::json!(["checkout"]), "{status}");
    assert_eq!(status["runbook"], "bad-deploy", "{status}");
    let impact = status["key_times"]["started"].as_str().unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(impact).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&started).unwrap(),
        "impact started at the alert's start"
    );
    assert!(status["key_times"]["acknowledged"].is_null(), "nobody acknowledged: {status}");
    // Resolved: Alertmanager sends the resolve at its next group interval.
    am.post_alerts(&alert(Some(&minutes_ago(0))));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let resolved = alert_events(&env, &id).iter().any(|e| e["status"] == "resolved");
        if resolved {
            break;
        }
        assert!(Instant::now() < deadline, "no resolve in 30 s: {:?}", alert_events(&env, &id));
        let _ = listener.lines.recv_timeout(Duration::from_millis(500));
    }
    assert_eq!(env.ids(), vec![id.clone()], "one incident, never a second");
    let fingerprints: std::collections::BTreeSet<String> = alert_events(&env, &id)
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(fingerprints.len(), 1, "{fingerprints:?}");
    drop(am);
}

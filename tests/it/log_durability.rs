//! The event log survives crashes and concurrent writers: a torn last line is reported and
//! repaired, and never hides the complete events before it.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use super::harness::{BIN, Env};

fn log_path(env: &Env, id: &str) -> std::path::PathBuf {
    env.path(&format!("incidents/{id}/events.jsonl"))
}

#[test]
fn torn_last_line_is_reported_then_repaired_by_the_next_write() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1"]);
    env.ok(&["log", "before the crash"]);
    let id = env.only_id();
    let path = log_path(&env, &id);
    let complete = std::fs::read(&path).unwrap();
    // What a crash mid-append leaves: half an event, no newline.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(br#"{"id":"abc","at":"2026-11-27T14:3"#).unwrap();
    drop(f);

    let status = env.ok(&["status", "--json"]);
    assert!(status.stderr.contains("events.jsonl:4: the last event was cut off mid-write"), "{status:?}");
    let timeline = env.ok(&["timeline"]);
    assert!(timeline.stdout.contains("before the crash"));

    let logged = env.ok(&["log", "after the crash"]);
    assert!(logged.stderr.contains("was moved to rejected.jsonl before this write"), "{logged:?}");
    // Cut from the log, but kept: the torn bytes are in rejected.jsonl, whole.
    let rejected = std::fs::read_to_string(path.with_file_name("rejected.jsonl")).unwrap();
    assert_eq!(rejected, "{\"id\":\"abc\",\"at\":\"2026-11-27T14:3\n");
    let repaired = std::fs::read(&path).unwrap();
    assert!(repaired.starts_with(&complete), "complete events kept byte for byte");
    assert!(repaired.ends_with(b"\n"));
    let notes: Vec<String> = env
        .events(&id)
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(notes, ["before the crash", "after the crash"]);
    let clean = env.ok(&["status"]);
    assert!(!clean.stderr.contains("cut off"), "{clean:?}");
}

#[test]
fn corrupt_line_in_the_middle_is_named_with_its_line_number() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1"]);
    env.ok(&["log", "note"]);
    let id = env.only_id();
    let path = log_path(&env, &id);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(1, "{not json");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    // docs/record.md, "nothing bricks an incident": named with its line, skipped, and the rest reads.
    let out = env.ok(&["status", &id]);
    assert!(out.stderr.contains("events.jsonl:2: unreadable line skipped"), "{out:?}");
    assert!(env.ok(&["timeline", &id]).stdout.contains("note"));
}

#[test]
fn concurrent_writers_never_interleave() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1"]);
    let id = env.only_id();
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let mut cmd = env.command(BIN);
            let script: Vec<String> =
                (0..8).map(|n| format!("writer {w} note {n} {}", "x".repeat(3000))).collect();
            std::thread::spawn(move || {
                for note in script {
                    let st = cmd_clone(&mut cmd).args(["log", &note]).stdout(Stdio::null()).status().unwrap();
                    assert!(st.success());
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let notes = env.events(&id).into_iter().filter(|e| e["kind"] == "note").count();
    assert_eq!(notes, 48);
}

fn cmd_clone(base: &mut std::process::Command) -> std::process::Command {
    let mut c = std::process::Command::new(base.get_program());
    if let Some(dir) = base.get_current_dir() {
        c.current_dir(dir);
    }
    c.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c
}

/// A writer killed in the middle of its write, for certain: the file-size limit (RLIMIT_FSIZE)
/// lets the append write part of its line, then the kernel cuts the write short and kills the
/// process (SIGXFSZ). Whatever is left, the log reads, the next write repairs it, and the torn
/// bytes are kept in `rejected.jsonl`.
///
/// Regression: this test used to pipe 16 MiB into `log -`, which is refused whole before any
/// append (over the 4 MiB limit), so its kill never landed mid-write.
#[test]
fn a_writer_killed_mid_write_leaves_a_readable_log() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1"]);
    let id = env.only_id();
    let before = std::fs::read(log_path(&env, &id)).unwrap();
    let limit = before.len() as u64 + 1000;
    let mut cmd = env.command(BIN);
    cmd.args(["log", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe, and only the child's own limit changes.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&vec![b'y'; 1 << 20]).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGXFSZ), "the write was not cut: {status:?}");
    let torn = std::fs::read(log_path(&env, &id)).unwrap();
    assert_eq!(torn.len() as u64, limit, "the write stopped at the limit");
    assert!(torn.starts_with(&before) && torn.last() != Some(&b'\n'), "a partial line is left");

    // The log reads (the torn line named), and the next write repairs it.
    let out = env.ok(&["status"]);
    assert!(out.stderr.contains(":3: the last event was cut off mid-write"), "{out:#?}");
    env.ok(&["log", "after the kill"]);
    let events = env.events(&id); // every line parses
    assert!(events.iter().any(|e| e["text"] == "after the kill"));
    let rejected = std::fs::read(env.path(&format!("incidents/{id}/rejected.jsonl"))).unwrap();
    assert_eq!(rejected.len(), 1000 + 1, "the torn bytes are kept, with a newline");
}

#[test]
fn writers_killed_at_random_moments_leave_a_readable_log() {
    let env = Env::init();
    env.ok(&["open", "Checkout 500", "--severity", "SEV1"]);
    let id = env.only_id();
    // Notes of 3 MB (under the 4 MiB limit, so each is appended) make each write long
    // enough for a SIGKILL to land inside it sometimes.
    for attempt in 0..6u64 {
        let mut child = env
            .command(BIN)
            .args(["log", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&vec![b'y'; 3 << 20]);
        });
        std::thread::sleep(Duration::from_millis(20 + attempt * 25));
        let _ = child.kill();
        let _ = child.wait();
        let _ = feeder.join();
        // Whatever the kill left, the log reads and takes the next write.
        env.ok(&["status", "--json"]);
        env.ok(&["log", &format!("after kill {attempt}")]);
    }
    let events = env.events(&id);
    let marks: Vec<&str> =
        events.iter().filter_map(|e| e["text"].as_str()).filter(|t| t.starts_with("after kill")).collect();
    assert_eq!(marks.len(), 6, "every note after a kill is there");
    assert!(events.iter().all(|e| e["kind"].is_string()));
}

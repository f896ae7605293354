//! Runs a step's command: `sh -c COMMAND` with the incident's data only in the environment,
//! never spliced into the command text (SPEC §3). Output is captured, capped and redacted.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::redact::redact;
use crate::state::Incident;

/// Output kept per command; more is cut in the middle, keeping the start and the end.
pub const OUTPUT_CAP: usize = 16 * 1024;

pub struct Ran {
    pub exit_code: Option<i32>,
    pub output: String,
    pub truncated: bool,
    pub duration_ms: u64,
}

pub fn run(command: &str, inc: &Incident, repo_root: &Path) -> std::io::Result<Ran> {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(repo_root)
        .env("INCIDENT_ID", &inc.id)
        .env("INCIDENT_TITLE", &inc.title)
        .env("INCIDENT_SEVERITY", &inc.severity)
        .env("INCIDENT_SERVICES", inc.services.join(","))
        .env("INCIDENT_REPO", repo_root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Read stderr on a thread so neither pipe can fill up and stall the child.
    let mut stderr = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_end(&mut buf);
        }
        buf
    });
    let mut out = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_end(&mut out)?;
    }
    let status = child.wait()?;
    let err = err_thread.join().unwrap_or_default();
    if !err.is_empty() {
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(&err);
    }
    let text = redact(&String::from_utf8_lossy(&out));
    let (output, truncated) = cap(&text);
    Ok(Ran {
        exit_code: status.code(),
        output,
        truncated,
        duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

fn cap(text: &str) -> (String, bool) {
    if text.len() <= OUTPUT_CAP {
        return (text.to_string(), false);
    }
    let half = OUTPUT_CAP / 2;
    let mut head_end = half;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - half;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    let cut = tail_start - head_end;
    (format!("{}\n[… {cut} bytes cut …]\n{}", &text[..head_end], &text[tail_start..]), true)
}

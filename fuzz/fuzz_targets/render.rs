//! The postmortem rendered with hostile values in every field (SECURITY.md: "markdown and HTML
//! never carry raw HTML from data"; "never raw control characters"): the title, severity,
//! service id and name, notes, names, roles, reasons, the root cause, retro text, step
//! answers and notes, commands, action items, updates and channels all come from the fuzzer.
//! Properties: rendering never panics and never fails; the markdown holds no control
//! character but line breaks, and no `<` but the template's own (`<br>`, the editable
//! markers); data adds no code fence and no editable block (compared with the same incident
//! holding plain values).
//!
//! From `fuzz/` (cargo-fuzz needs nightly, or RUSTC_BOOTSTRAP=1 on stable). Fields are the
//! input split on the byte 0xFE (never in UTF-8), each read as lossy UTF-8:
//!
//!     mkdir -p corpus/render
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run render corpus/render -- -max_total_time=600 -timeout=10 -max_len=4096
#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use incident::internals::config::Service;
use incident::internals::events::{AlertStatus, Body, Event, Milestone, Outcome, PublicStatus};
use incident::internals::phase::Phase;
use incident::internals::repo::Repo;
use incident::internals::state::Incident;
use libfuzzer_sys::fuzz_target;

/// A repository made once by `init`'s own starter: its config and shipped runbooks.
fn base() -> &'static (tempfile_dir::Dir, Repo) {
    static BASE: OnceLock<(tempfile_dir::Dir, Repo)> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile_dir::Dir::new();
        incident::internals::starter::install(&dir.0).expect("starter");
        let repo = incident::internals::load::repo(dir.0.clone()).expect("starter repository loads");
        (dir, repo)
    })
}

/// A folder removed when the process ends (no tempfile dependency for one folder).
mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let p = std::env::temp_dir().join(format!("incident-fuzz-render-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).expect("temp dir");
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

const RUNBOOK: &str = "dns-failure";
const STEP: &str = "confirm-resolution-errors";

fn events(f: &dyn Fn(usize) -> String, t0: DateTime<Utc>) -> Vec<Event> {
    let at = |m: i64| t0 + Duration::minutes(m);
    let by = |i: usize| f(i);
    let bodies: Vec<(Body, String)> = vec![
        (
            Body::Opened {
                title: f(0),
                severity: f(1),
                services: vec![f(2)],
                drill: false,
                private: false,
                maintenance: None,
            },
            by(3),
        ),
        (Body::Note { text: f(4) }, by(5)),
        (Body::Severity { from: f(1), to: f(6), reason: Some(f(7)) }, by(3)),
        (Body::Role { role: f(8), name: f(9) }, by(3)),
        (Body::Role { role: "commander".into(), name: f(10) }, by(3)),
        (Body::Runbook { runbook: RUNBOOK.into(), sha256: None }, by(3)),
        (Body::Mark { milestone: Milestone::Detected }, by(3)),
        (
            Body::Step {
                step: STEP.into(),
                phase: Phase::Detect,
                outcome: Outcome::Done,
                choice: Some(f(11)),
                note: Some(f(12)),
                runbook: Some(RUNBOOK.into()),
            },
            by(13),
        ),
        (
            Body::Command {
                step: STEP.into(),
                command: f(14),
                exit_code: Some(1),
                output: f(15),
                truncated: false,
                duration_ms: 5,
                runbook: Some(RUNBOOK.into()),
                timeout_s: Some(5),
                timed_out: true,
                interrupted: false,
                signal: None,
                runbook_sha256: None,
            },
            by(3),
        ),
        (
            Body::Action {
                title: f(16),
                owner: f(17),
                due: Some(f(18)),
                action_type: f(19),
                link: Some(f(20)),
            },
            by(3),
        ),
        (
            Body::Update {
                channel: f(21),
                message: f(22),
                status: Some(PublicStatus::Identified),
                maintenance_status: None,
                eta: None,
            },
            by(3),
        ),
        (
            Body::Alert {
                source: "alertmanager".into(),
                name: f(29),
                fingerprint: f(30),
                group_key: Some(f(31)),
                status: AlertStatus::Firing,
                starts_at: at(0),
                ends_at: None,
                labels: [(f(32), f(33))].into_iter().collect(),
                annotations: [(f(34), f(35))].into_iter().collect(),
                link: Some(f(36)),
            },
            "alertmanager".into(),
        ),
        (Body::Retro { section: "summary".into(), text: f(23) }, by(3)),
        (Body::Retro { section: f(24), text: f(25) }, by(3)),
        (Body::Mark { milestone: Milestone::Mitigated }, by(3)),
        (Body::Resolved { root_cause: Some(f(26)) }, by(27)),
    ];
    bodies.into_iter().enumerate().map(|(i, (b, who))| Event::new(b, &who, at(i as i64), None)).collect()
}

fn render(f: &dyn Fn(usize) -> String) -> String {
    let (_, base) = base();
    let mut config = base.config.clone();
    config.services.insert(f(2), Service { name: f(28), ..Default::default() });
    let repo = Repo { root: base.root.clone(), config };
    let t0 = DateTime::parse_from_rfc3339("2026-11-27T14:00:00Z").unwrap().with_timezone(&Utc);
    let inc = Incident::fold("2026-11-27-fuzz", events(f, t0)).expect("an opened event");
    let ctx = incident::internals::postmortem::context(&repo, &inc);
    incident::internals::render::render_markdown(
        "postmortem.md.j2",
        incident::internals::starter::POSTMORTEM_TEMPLATE,
        &ctx,
    )
    .unwrap_or_else(|e| panic!("the postmortem must render: {e}"))
}

fn shape(md: &str) -> (usize, usize) {
    (md.matches("<!-- editable:").count(), md.lines().filter(|l| l.trim_start().starts_with("```")).count())
}

fuzz_target!(|data: &[u8]| {
    let fields: Vec<String> =
        data.split(|b| *b == 0xFE).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
    let field = |i: usize| fields.get(i % fields.len().max(1)).cloned().unwrap_or_default();
    let md = render(&field);
    for c in md.chars() {
        assert!(c == '\n' || !incident::internals::ui::is_hidden(c), "raw {c:?} in the markdown");
    }
    let stripped = md.replace("<br>", "").replace("<!-- editable:", "").replace("<!-- /editable:", "");
    if let Some(i) = stripped.find('<') {
        panic!("raw < from data: {:?}", &stripped[i.saturating_sub(40)..(i + 40).min(stripped.len())]);
    }
    // The same incident with plain values: rendered once, its shape is the same every time.
    static PLAIN: OnceLock<(usize, usize)> = OnceLock::new();
    let plain = *PLAIN.get_or_init(|| shape(&render(&|_| "x".to_string())));
    assert_eq!(shape(&md), plain, "data changed the document's structure");
});

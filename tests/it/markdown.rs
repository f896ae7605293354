//! Hostile titles and notes: ids stay safe path parts, and every table in the postmortem stays
//! valid GitHub-flavoured markdown, checked with a real markdown parser.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::harness::Env;

const HOSTILE: &str = "../../etc/passwd | `rm -rf /` <script>alert(1)</script>\nsecond line | x";

/// Cells per row for every table, as the parser sees them.
fn tables(md: &str) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cells = 0;
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Table(_)) => out.push(Vec::new()),
            Event::Start(Tag::TableHead | Tag::TableRow) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => out.last_mut().unwrap().push(cells),
            _ => {}
        }
    }
    out
}

#[test]
fn hostile_title_and_notes_give_a_safe_id_and_valid_tables() {
    let env = Env::init();
    env.ok(&[
        "open",
        HOSTILE,
        "--severity",
        "SEV2",
        "--service",
        "web",
        "--runbook",
        "bad-deploy",
        "--as",
        "Eve | <b>",
    ]);
    let id = env.only_id();
    assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{id}");
    assert!(id.ends_with("-etc-passwd-rm-rf-script-alert-1-script-second"), "{id}");
    assert!(env.path(&format!("incidents/{id}/events.jsonl")).is_file());
    env.ok(&["log", HOSTILE]);
    env.ok(&["step", "done", "confirm-5xx-rate", "--note", HOSTILE]);
    env.ok(&["action", HOSTILE, "--owner", "a|b", "--type", "process"]);
    // A name that spans lines is refused (docs/record.md), and nothing is written; one with pipes
    // and HTML on one line is taken and escaped in every table.
    let before = env.read(&format!("incidents/{id}/events.jsonl"));
    env.fails(2, &["role", "scribe", "Mallory\n| injected | row |"]);
    assert_eq!(env.read(&format!("incidents/{id}/events.jsonl")), before);
    env.ok(&["role", "scribe", "Mallory | injected | <b>row</b> |"]);
    env.ok(&["resolve", "--root-cause", HOSTILE]);
    env.ok(&["postmortem"]);
    let pm = env.read(&format!("incidents/{id}/postmortem.md"));

    let tables = tables(&pm);
    assert!(tables.len() >= 8, "{tables:?}");
    for t in &tables {
        let header = t[0];
        assert!(t.iter().all(|n| *n == header), "a row with the wrong number of cells: {t:?}\n{pm}");
    }
    for ev in Parser::new_ext(&pm, Options::ENABLE_TABLES) {
        if let Event::Html(h) | Event::InlineHtml(h) = ev {
            let h = h.trim();
            assert!(h.starts_with("<!--") || h == "<br>", "raw HTML reached the output: {h:?}");
        }
    }
    assert!(!pm.contains("<script>"));
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]).trim(),
        format!("postmortem: {id} ../../etc/passwd | `rm -rf /` <script>alert(1)</script> second line | x")
    );
    env.git(&["fsck", "--full", "--strict"]);
}

#[test]
fn the_demo_postmortem_is_valid_markdown() {
    let env = Env::new();
    let out = env.command(super::harness::BIN).env("TMPDIR", env.dir.path()).arg("demo").output().unwrap();
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let pm = std::fs::read_to_string(path).unwrap();
    let tables = tables(&pm);
    assert!(tables.len() >= 10);
    for t in &tables {
        assert!(t.iter().all(|n| *n == t[0]), "{t:?}");
    }
}

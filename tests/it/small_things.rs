//! Regression tests for the smaller things seen in use, each through the real binary and named
//! after what broke: `log -` waiting in silence on a terminal, a repeated title opening a
//! duplicate unasked, titles without a length limit, accented letters dropped from ids, the
//! demo not saying where its repository is, and `init` on an impossible path exiting 1.

use super::harness::{BIN, Env};
/// `incident ARGS` in a pseudo-terminal, so stdin is a terminal: the walk tests' driver.
use super::walk_pty::Walk as Pty;

fn notes(env: &Env, id: &str) -> Vec<String> {
    env.events(id)
        .iter()
        .filter(|e| e["kind"] == "note")
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

/// Regression: `incident log -` on a terminal waited for stdin without a word, so a `-` typed
/// by accident looked like a hung command. It now says what it is waiting for.
#[test]
fn log_dash_on_a_terminal_no_longer_waits_in_silence() {
    let env = Env::init();
    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2"]);
    let id = env.only_id();
    let mut log = Pty::spawn_args(&env, &["log", "-"]);
    log.expect("reading the note from stdin; end with Ctrl-D");
    log.send_line("typed at the terminal");
    log.send_eof();
    log.expect("note logged");
    let (code, out) = log.finish();
    assert_eq!(code, 0, "{out}");
    assert_eq!(notes(&env, &id), ["typed at the terminal"]);

    // Piped, nobody is waiting: nothing is said.
    let mut piped = env.command(BIN);
    piped.args(["log", "-"]).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = piped.stderr(std::process::Stdio::piped()).spawn().expect("spawn incident log -");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"piped note\n").expect("write stdin");
    let out = child.wait_with_output().expect("wait for incident log -");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no prompt when piped");
    assert_eq!(notes(&env, &id), ["typed at the terminal", "piped note"]);
}

/// Regression: opening an incident whose title an open incident already has (a second
/// responder paged for the same thing) silently opened a `-2` duplicate. Without a terminal it
/// is now refused unless `--yes`; on a terminal it is asked.
#[test]
fn a_repeated_title_no_longer_opens_a_duplicate_unasked() {
    let env = Env::init();
    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2"]);
    let id = env.only_id();
    // An id is dated by when impact started; every later open starts impact on the first one's
    // day so the suffixes line up even when the run crosses midnight UTC.
    let started = format!("{}T00:00:00Z", &id[..10]);

    // Any case, any spacing: the same title.
    let out = env.fails(2, &["open", "  checkout   RETURNS 500 ", "--severity", "SEV2"]);
    assert_eq!(super::harness::without_hints(&out.stderr), 1, "{out:?}");
    assert!(out.stderr.contains(&id) && out.stderr.contains("--yes"), "{out:?}");
    assert_eq!(env.ids(), std::slice::from_ref(&id), "nothing opened");
    let json = env.fails(2, &["open", "Checkout returns 500", "--severity", "SEV2", "--json"]);
    assert!(json.stderr.contains(r#""kind":"needs-terminal""#), "{json:?}");

    // A different title is not asked about.
    env.ok(&["open", "Checkout returns 502", "--severity", "SEV2"]);
    // --yes opens the duplicate.
    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2", "--started-at", &started, "--yes"]);
    let second = format!("{id}-2");
    assert!(env.ids().contains(&second), "{:?}", env.ids());

    // On a terminal: asked; no opens nothing, yes opens another.
    let args = [
        "open",
        "CHECKOUT returns 500",
        "--severity",
        "SEV2",
        "--service",
        "web",
        "--runbook",
        "bad-deploy",
        "--started-at",
        &started,
        "--commander",
        "Test Responder",
    ];
    let mut open = Pty::spawn_args(&env, &args);
    // The newest open incident with the title is named.
    open.expect(&format!("An open incident has this title: {second}. Open another? [y/N]"));
    open.send_line("n");
    open.expect("not opened");
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.ids().len(), 3, "{:?}", env.ids());
    let mut open = Pty::spawn_args(&env, &args);
    open.expect("Open another? [y/N]");
    open.send_line("y");
    open.expect(&format!("Opened {id}-3"));
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");

    // Only open incidents count: once resolved, the title is free again.
    let other = Env::init();
    other.ok(&["open", "DNS fails", "--severity", "SEV3"]);
    other.ok(&["resolve"]);
    other.ok(&["open", "DNS fails", "--severity", "SEV3"]);
    assert_eq!(other.ids().len(), 2);
}

/// Regression: a title had no length limit, so a pasted stack trace became the title of every
/// list, card and postmortem. Over 200 characters (after trimming) it is refused in one line.
#[test]
fn an_endless_title_is_refused_in_one_line() {
    let env = Env::init();
    let long = "x".repeat(201);
    let out = env.fails(2, &["open", &long, "--severity", "SEV2"]);
    assert_eq!(super::harness::without_hints(&out.stderr), 1, "{out:?}");
    assert!(out.stderr.contains("201 characters") && out.stderr.contains("limit is 200"), "{out:?}");
    assert!(env.ids().is_empty(), "nothing opened");
    let json = env.fails(2, &["open", &long, "--severity", "SEV2", "--json"]);
    assert!(json.stderr.contains(r#""kind":"title-too-long""#), "{json:?}");
    // Characters, not bytes, and the spaces around do not count.
    let accented = format!("  {}  ", "é".repeat(200));
    env.ok(&["open", &accented, "--severity", "SEV2"]);
}

/// Regression: ids dropped every letter that was not ASCII, so `Paiement refusé` became
/// `…-paiement-refus` and `Ünïcode` became `n-code`. Letters are transliterated now.
#[test]
fn accented_titles_no_longer_lose_letters_in_ids() {
    let env = Env::init();
    for (title, slug) in [
        ("Paiement refusé", "-paiement-refuse"),
        ("Ünïcode ✓ everywhere", "-unicode-everywhere"),
        ("Straße gesperrt", "-strasse-gesperrt"),
    ] {
        let out = env.ok(&["open", title, "--severity", "SEV3"]);
        let id = out.stdout.lines().next().and_then(|l| l.strip_prefix("Opened ")).unwrap_or_default();
        assert!(id.ends_with(slug), "{title:?} → {id:?}");
        assert!(env.path(&format!("incidents/{id}/events.jsonl")).is_file(), "{id}");
    }
}

/// Regression: `demo` left its repository in a temporary folder without saying where, and it
/// could not be put anywhere else. Stderr now names the folder; `--output DIR` chooses it.
#[test]
fn demo_says_where_its_repository_is_and_builds_it_in_output() {
    let env = Env::with_identity(false);
    let tmp = env.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let out = env.command(BIN).env("TMPDIR", &tmp).arg("demo").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let postmortem = std::path::PathBuf::from(stdout.trim());
    let root = postmortem.ancestors().nth(3).unwrap();
    assert!(root.starts_with(std::fs::canonicalize(&tmp).unwrap()), "{root:?}");
    assert!(stderr.contains(&format!("kept in {}", root.display())), "{stderr}");
    assert!(root.join("incident.yaml").is_file(), "kept");

    // --output: a new folder, stdout still the path alone.
    let dir = env.dir.path().join("demo-here");
    let out = env.command(BIN).arg("demo").arg("--output").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let dir = std::fs::canonicalize(&dir).unwrap();
    assert!(std::path::Path::new(stdout.trim()).starts_with(&dir), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("kept in {}", dir.display())));
    let v = env.json(&["demo", "--json", "--output", env.dir.path().join("empty").to_str().unwrap()]);
    assert!(v["repo"].as_str().is_some_and(|r| r.ends_with("empty")), "{v}");

    // A folder with something in it is refused, untouched.
    let full = env.dir.path().join("full");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::write(full.join("notes.txt"), "mine").unwrap();
    let out = env.fails(2, &["demo", "--output", full.to_str().unwrap()]);
    assert_eq!(super::harness::without_hints(&out.stderr), 1, "{out:?}");
    assert!(
        out.stderr.contains(full.to_str().unwrap()) && out.stderr.contains("not an empty folder"),
        "{out:?}"
    );
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1, "untouched");
    assert!(out.stdout.is_empty(), "{out:?}");
}

/// Regression: `incident init PATH` where PATH cannot be a folder (its parent is a file) was
/// an I/O failure, exit 1; it is the user's path to fix: exit 2, one line naming it. (Tests run
/// as root, so permission bits would not stop the write: the parent here is a regular file.)
#[test]
fn init_under_a_file_exits_2_naming_the_path() {
    let env = Env::new();
    let file = env.dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let path = file.join("repo");
    let out = env.fails(2, &["init", path.to_str().unwrap()]);
    assert_eq!(super::harness::without_hints(&out.stderr), 1, "{out:?}");
    assert!(out.stderr.contains(&format!("cannot create {}", path.display())), "{out:?}");
    let json = env.fails(2, &["init", path.to_str().unwrap(), "--json"]);
    assert!(json.stderr.contains(r#""kind":"cannot-create""#), "{json:?}");
}

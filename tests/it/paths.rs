//! Paths never leave the repository (SECURITY.md, issue 13 "Symlinks escape the repository"):
//! no symlink inside the repository is followed to read or write incident files, templates,
//! runbooks or the caches under `.git/`, and ids are validated wherever one becomes a path.
//! Each test is named after the defect it guards against, and drives the real binary.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use super::harness::{Env, Out};

/// Every file below `dir` (recursively, links seen as links), with its bytes: the "before"
/// and "after" of a folder outside the repository that must not change.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    // Bounded: a temp folder of a few files, and links are never descended into.
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let path = e.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                todo.push(path);
            } else if meta.is_file() {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            } else {
                out.insert(
                    path.clone(),
                    std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes(),
                );
            }
        }
    }
    out
}

/// A repository with one resolved incident (so `postmortem` would write and commit), and a
/// folder outside the repository.
fn resolved() -> (Env, String, PathBuf) {
    let env = Env::init();
    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2", "--service", "checkout"]);
    let id = env.only_id();
    env.ok(&["log", "-i", &id, "rolled back the deploy"]);
    env.ok(&["resolve", "-i", &id, "--root-cause", "a bad deploy"]);
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    (env, id, outside)
}

fn head(env: &Env) -> String {
    env.git(&["rev-parse", "HEAD"])
}

/// Exit 2 with one error line naming `needle` and saying "symlink" (`open` may print a hint
/// before it).
fn refused_as_symlink(env: &Env, args: &[&str], needle: &str) -> Out {
    let out = env.fails(2, args);
    let errors: Vec<&str> =
        out.stderr.lines().filter(|l| l.starts_with("error") || l.starts_with("{\"error")).collect();
    assert_eq!(errors.len(), 1, "{args:?}: {}", out.stderr);
    assert!(errors[0].contains(needle) && errors[0].contains("symlink"), "{args:?}: {}", out.stderr);
    out
}

/// Regression: with `incidents/evil-link` → a folder outside, `log -i evil-link` appended
/// outside and `postmortem evil-link` wrote and committed a file outside. Every command on
/// it is refused now, nothing outside changes, and no commit is made; commands over all
/// incidents skip it with a warning.
#[test]
fn symlinked_incident_dir_is_refused_and_nothing_written_outside() {
    let (env, id, outside) = resolved();
    std::fs::copy(env.path(&format!("incidents/{id}/events.jsonl")), outside.join("events.jsonl")).unwrap();
    symlink(&outside, env.path("incidents/evil-link")).unwrap();
    let before = snapshot(&outside);
    let commit = head(&env);
    let commands: &[&[&str]] = &[
        &["log", "-i", "evil-link", "appended outside?"],
        &["log", "-i", "evil", "by a prefix"],
        &["postmortem", "evil-link"],
        &["postmortem", "evil-link", "--no-commit"],
        &["status", "evil-link"],
        &["status", "evil-link", "--json"],
        &["timeline", "evil-link"],
        &["mark", "mitigated", "-i", "evil-link"],
        &["severity", "SEV1", "-i", "evil-link"],
        &["close", "-i", "evil-link"],
        &["action", "Add a canary", "--owner", "ops", "-i", "evil-link"],
        &["role", "comms", "Ann", "-i", "evil-link"],
        &["update", "--channel", "support", "Still looking", "-i", "evil-link"],
    ];
    for args in commands {
        refused_as_symlink(&env, args, "evil-link");
    }
    assert_eq!(snapshot(&outside), before, "something was written outside the repository");
    assert_eq!(head(&env), commit, "a commit was made");

    // Over all incidents: the real one is listed, the linked one skipped with a warning.
    let out = env.ok(&["list"]);
    assert!(out.stdout.contains(&id) && !out.stdout.contains("evil-link"), "{out:#?}");
    assert!(out.stderr.contains("skipping incident evil-link") && out.stderr.contains("symlink"), "{out:#?}");
    let out = env.ok(&["status"]);
    assert!(out.stdout.contains(&id), "{out:#?}");
    for args in [&["actions"][..], &["stats", "--include-drills"]] {
        let out = env.ok(args);
        assert!(out.stderr.contains("skipping incident evil-link"), "{args:?}: {out:#?}");
    }
    // The public page cannot leave an incident off unasked: it stops, naming the link.
    let out = env.fails(1, &["status-page"]);
    assert!(
        out.stderr.contains("incident evil-link cannot be read") && out.stderr.contains("symlink"),
        "{out:#?}"
    );
    let out = env.ok(&["status-page", "--allow-unreadable"]);
    assert!(out.stderr.contains("incident evil-link is left off the status page"), "{out:#?}");
    env.ok(&["postmortem"]);
    assert_eq!(snapshot(&outside), before);

    // `incidents/` itself a link: opening an incident would create it outside.
    let env2 = Env::init();
    let elsewhere = env2.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    symlink(&elsewhere, env2.path("incidents")).unwrap();
    refused_as_symlink(&env2, &["open", "Checkout down", "--severity", "SEV1"], "incidents");
    assert!(snapshot(&elsewhere).is_empty(), "an incident was opened outside the repository");
}

/// Regression: an `events.jsonl` that is a symlink to a file outside was appended through.
#[test]
fn symlinked_events_log_is_not_appended_through() {
    let env = Env::init();
    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2"]);
    let id = env.only_id();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let log = env.path(&format!("incidents/{id}/events.jsonl"));
    std::fs::rename(&log, outside.join("events.jsonl")).unwrap();
    symlink(outside.join("events.jsonl"), &log).unwrap();
    let before = snapshot(&outside);
    for args in [
        &["log", "-i", &id, "through the link?"][..],
        &["status", &id],
        &["timeline", &id],
        &["resolve", "-i", &id, "--root-cause", "x"],
        &["log", "no id: the only open incident is the linked one"],
    ] {
        let out = env.fails(2, args);
        assert!(
            out.stderr.contains("symlink") || out.stderr.contains("no open incident"),
            "{args:?}: {out:#?}"
        );
    }
    assert_eq!(snapshot(&outside), before);
    let out = env.ok(&["list"]);
    assert!(out.stderr.contains(&format!("skipping incident {id}")), "{out:#?}");
    // doctor lists it, as every symlink in incidents/.
    let out = env.run(&["doctor"]);
    assert!(out.stdout.contains("events.jsonl: symlink inside incidents/"), "{out:#?}");
}

/// Regression: `incidents/ID/postmortem.md` → a file outside was written through (and its
/// text, read as the "previous" postmortem, could be committed). Refused now; an explicit
/// `--output` outside the repository stays the user's choice.
#[test]
fn symlinked_postmortem_is_not_written_through() {
    let (env, id, outside) = resolved();
    let target = outside.join("notes.md");
    std::fs::write(
        &target,
        "OUTSIDE-SECRET <!-- incident:editable summary -->kept<!-- /incident:editable -->\n",
    )
    .unwrap();
    let pm = format!("incidents/{id}/postmortem.md");
    symlink(&target, env.path(&pm)).unwrap();
    let before = snapshot(&outside);
    let commit = head(&env);
    refused_as_symlink(&env, &["postmortem", &id], "postmortem.md");
    refused_as_symlink(&env, &["postmortem", &id, "--no-commit"], "postmortem.md");
    // `--output` into the repository is checked the same way.
    let inside = env.path(&pm);
    refused_as_symlink(&env, &["postmortem", &id, "--output", inside.to_str().unwrap()], "postmortem.md");
    assert_eq!(snapshot(&outside), before);
    assert_eq!(head(&env), commit);
    let objects = env.git(&["cat-file", "--batch-all-objects", "--batch"]);
    assert!(!objects.contains("OUTSIDE-SECRET"), "the outside file reached git");

    // An explicit --output outside the repository is the user's choice, and writes there.
    let chosen = outside.join("chosen.md");
    env.ok(&["postmortem", &id, "--output", chosen.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&chosen).unwrap().contains("Checkout returns 500"));
    assert_eq!(head(&env), commit, "--output implies --no-commit");

    // Without the link, the postmortem is written in place and committed.
    std::fs::remove_file(env.path(&pm)).unwrap();
    env.ok(&["postmortem", &id]);
    assert!(!std::fs::symlink_metadata(env.path(&pm)).unwrap().is_symlink());
    assert_ne!(head(&env), commit);
}

/// The caches under `.git/` (the heads, the summary index, the closed list) are written on
/// almost every command: a symlink planted there must not redirect those writes. A cache
/// that cannot be used is only a slower command, so the commands still succeed.
#[test]
fn symlinked_cache_in_git_dir_is_not_followed() {
    let env = Env::init();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(outside.join("heads")).unwrap();
    std::fs::write(outside.join("index.json"), "not ours\n").unwrap();
    std::fs::write(outside.join("closed"), "not ours either\n").unwrap();
    let git = env.path(".git");
    let _ = std::fs::remove_dir_all(git.join("incident-heads"));
    let _ = std::fs::remove_file(git.join("incident-index.json"));
    let _ = std::fs::remove_file(git.join("incident-closed"));
    symlink(outside.join("heads"), git.join("incident-heads")).unwrap();
    symlink(outside.join("index.json"), git.join("incident-index.json")).unwrap();
    symlink(outside.join("closed"), git.join("incident-closed")).unwrap();
    let before = snapshot(&outside);

    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2"]);
    let id = env.only_id();
    env.ok(&["log", "a note"]);
    env.ok(&["status"]);
    env.ok(&["list"]);
    env.ok(&["resolve", "--root-cause", "x"]);
    env.ok(&["postmortem"]);
    env.ok(&["close", "-i", &id]);
    env.ok(&["list"]);
    env.ok(&["stats", "--include-drills"]);
    let shown = env.json(&["status", &id, "--json"]);
    assert_eq!(shown["state"], "closed", "{shown}");

    assert_eq!(snapshot(&outside), before, "a cache was written through a symlink");
    for link in ["incident-heads", "incident-index.json", "incident-closed"] {
        assert!(std::fs::symlink_metadata(git.join(link)).unwrap().is_symlink(), "{link} replaced");
    }
    // doctor names them; --fix removes the links (never their targets), and the caches
    // come back as files.
    let out = env.run(&["doctor"]);
    for link in ["incident-heads", "incident-index.json", "incident-closed"] {
        let line = format!(".git/{link}: symlink in place of a cache");
        assert!(out.stdout.contains(&line), "{line} in {out:#?}");
    }
    env.run(&["doctor", "--fix"]);
    assert_eq!(snapshot(&outside), before);
    env.ok(&["list"]);
    env.ok(&["status", &id]);
    assert!(std::fs::symlink_metadata(git.join("incident-index.json")).unwrap().is_file());

    // A head file itself linked (the folder real): not read, not written through.
    let env = Env::init();
    env.ok(&["open", "Checkout returns 500", "--severity", "SEV2"]);
    let id = env.only_id();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("head.json"), "{}").unwrap();
    let heads = env.path(".git/incident-heads");
    std::fs::create_dir_all(&heads).unwrap();
    let _ = std::fs::remove_file(heads.join(format!("{id}.json")));
    symlink(outside.join("head.json"), heads.join(format!("{id}.json"))).unwrap();
    let before = snapshot(&outside);
    env.ok(&["log", "a note"]);
    env.ok(&["status"]);
    assert_eq!(snapshot(&outside), before);
}

/// Runbooks come from pull requests and templates from the repository: a runbook or a
/// template that is a symlink (to `~/.ssh/id_rsa`, say) would be read into the log, the
/// postmortem or the public status page. Decision: refused with a clear error where it is
/// loaded, and reported by `lint` (CI sees it before it merges).
#[test]
fn symlinked_runbook_or_template_is_refused() {
    let (env, id, outside) = resolved();
    let runbook = env.read("runbooks/bad-deploy.yaml").replace("id: bad-deploy", "id: linked");
    std::fs::write(outside.join("linked.yaml"), format!("# OUTSIDE-SECRET\n{runbook}")).unwrap();
    symlink(outside.join("linked.yaml"), env.path("runbooks/linked.yaml")).unwrap();
    let out = env.fails(2, &["open", "T", "--severity", "SEV1", "--runbook", "linked"]);
    assert!(out.stderr.contains("runbooks/linked.yaml") && out.stderr.contains("symlink"), "{out:#?}");
    let out = env.run(&["lint"]);
    assert_ne!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("linked.yaml") && out.stdout.contains("symlink"), "{out:#?}");
    assert!(!out.stdout.contains("OUTSIDE-SECRET"), "{out:#?}");
    std::fs::remove_file(env.path("runbooks/linked.yaml")).unwrap();

    // The postmortem template.
    std::fs::write(outside.join("pm.md.j2"), "OUTSIDE-SECRET {{ incident.id }}\n").unwrap();
    std::fs::remove_file(env.path("templates/postmortem.md.j2")).unwrap();
    symlink(outside.join("pm.md.j2"), env.path("templates/postmortem.md.j2")).unwrap();
    let commit = head(&env);
    refused_as_symlink(&env, &["postmortem", &id], "postmortem.md.j2");
    assert_eq!(head(&env), commit);
    assert!(std::fs::symlink_metadata(env.path(&format!("incidents/{id}/postmortem.md"))).is_err());

    // An update template.
    std::fs::write(outside.join("progress.md.j2"), "OUTSIDE-SECRET\n").unwrap();
    std::fs::remove_file(env.path("templates/comms/progress.md.j2")).unwrap();
    symlink(outside.join("progress.md.j2"), env.path("templates/comms/progress.md.j2")).unwrap();
    env.ok(&["open", "Search is slow", "--severity", "SEV3"]);
    let open_id = env.ids().into_iter().find(|i| i.contains("search")).unwrap();
    let before = env.log_of(&open_id);
    refused_as_symlink(&env, &["update", "--channel", "support", "--template", "progress"], "progress.md.j2");
    assert_eq!(env.log_of(&open_id), before);

    // A status page template, and the status page's own folder.
    std::fs::create_dir_all(env.path("templates/status")).unwrap();
    std::fs::write(outside.join("index.html.j2"), "OUTSIDE-SECRET\n").unwrap();
    let _ = std::fs::remove_file(env.path("templates/status/index.html.j2"));
    symlink(outside.join("index.html.j2"), env.path("templates/status/index.html.j2")).unwrap();
    refused_as_symlink(&env, &["status-page"], "index.html.j2");
    // Regression (QA): lint skipped a linked status page template, so CI passed a repository
    // that cannot build its page.
    let out = env.run(&["lint"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stdout.contains("templates/status/index.html.j2:1:1") && out.stdout.contains("symlink"),
        "{out:#?}"
    );
    std::fs::remove_file(env.path("templates/status/index.html.j2")).unwrap();
    std::fs::create_dir_all(outside.join("site")).unwrap();
    symlink(outside.join("site"), env.path("status-page")).unwrap();
    refused_as_symlink(&env, &["status-page"], "status-page");
    assert!(snapshot(&outside.join("site")).is_empty(), "the status page was written outside");

    // `incident.yaml` itself.
    let config = env.read("incident.yaml");
    std::fs::write(outside.join("incident.yaml"), config).unwrap();
    std::fs::remove_file(env.path("incident.yaml")).unwrap();
    symlink(outside.join("incident.yaml"), env.path("incident.yaml")).unwrap();
    refused_as_symlink(&env, &["list"], "incident.yaml");

    let objects = env.git(&["cat-file", "--batch-all-objects", "--batch"]);
    assert!(!objects.contains("OUTSIDE-SECRET"), "a linked file reached git");
}

/// Regression (QA): `lint` walked a linked `runbooks/` or `templates/` folder, read the
/// files it points at and quoted them in its findings (or passed them), though every other
/// command refuses the link. A linked folder is now a finding, and nothing behind it is read.
#[test]
fn lint_reports_a_linked_folder_and_never_reads_behind_it() {
    let env = Env::init();
    let outside = env.dir.path().join("outside");
    for folder in ["runbooks", "templates"] {
        let target = outside.join(folder);
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("x.yaml"), "id: outside\ntitle: x\nbogus_key: OUTSIDE-SECRET\n").unwrap();
        std::fs::write(target.join("y.md.j2"), "OUTSIDE-SECRET {{ unclosed\n").unwrap();
        std::fs::rename(env.path(folder), env.path(&format!("{folder}.real"))).unwrap();
        symlink(&target, env.path(folder)).unwrap();
        let out = env.run(&["lint"]);
        assert_eq!(out.code, 1, "{folder}: {out:#?}");
        assert!(out.stdout.contains(&format!("{folder}:1:1")) && out.stdout.contains("symlink"), "{out:#?}");
        assert!(!out.stdout.contains("OUTSIDE-SECRET"), "{out:#?}");
        std::fs::remove_file(env.path(folder)).unwrap();
        std::fs::rename(env.path(&format!("{folder}.real")), env.path(folder)).unwrap();
    }
    // A linked folder further down, named explicitly or found by the walk.
    symlink(outside.join("runbooks"), env.path("runbooks/team")).unwrap();
    let out = env.run(&["lint"]);
    assert!(out.stdout.contains("runbooks/team:1:1") && !out.stdout.contains("OUTSIDE-SECRET"), "{out:#?}");
    let out = env.run(&["lint", "runbooks/team"]);
    assert!(out.stdout.contains("runbooks/team:1:1") && !out.stdout.contains("OUTSIDE-SECRET"), "{out:#?}");
}

/// Ids become paths (`incidents/<id>/`, `.git/incident-heads/<id>.json`): whatever is typed
/// as `-i` or a positional id, and whatever a cache says, an id that is not one (`../x`,
/// `a/b`, absolute, `..`) is refused with exit 2 and names the value.
#[test]
fn path_traversal_ids_are_refused() {
    let (env, id, outside) = resolved();
    std::fs::copy(env.path(&format!("incidents/{id}/events.jsonl")), outside.join("events.jsonl")).unwrap();
    let before = snapshot(&outside);
    let commit = head(&env);
    let traversal = format!("../../{}", outside.file_name().unwrap().to_str().unwrap());
    let absolute = outside.to_str().unwrap().to_string();
    // The empty id has its own error (`empty_incident_id_is_refused` in hostile_output.rs).
    for bad in [traversal.as_str(), "../x", "a/b", absolute.as_str(), "..", ".", "Checkout"] {
        for args in [
            vec!["log", "-i", bad, "note"],
            vec!["postmortem", bad],
            vec!["status", bad],
            vec!["timeline", bad],
            vec!["mark", "mitigated", "-i", bad],
        ] {
            let out = env.fails(2, &args);
            let err = out.stderr.trim_end();
            assert_eq!(super::harness::without_hints(err), 1, "{args:?}: {err}");
            assert!(err.contains(&format!("{bad:?} is not an incident id")), "{args:?}: {err}");
        }
    }
    let out = env.fails(2, &["--json", "status", "../x"]);
    assert!(out.stderr.contains("\"bad-incident-id\""), "{out:#?}");
    assert_eq!(snapshot(&outside), before);
    assert_eq!(head(&env), commit);

    // Ids read from the caches: a summary cache and a closed list naming paths are stale
    // caches to `doctor`, never paths it reads or writes.
    env.ok(&["close", "-i", &id]);
    env.ok(&["list"]);
    let cache_path = env.path(".git/incident-index.json");
    let mut cache: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache_path).unwrap()).unwrap();
    let entry = cache["entries"][&id].clone();
    let entries = cache["entries"].as_object_mut().unwrap();
    entries.insert(traversal.clone(), entry.clone());
    entries.insert("a\u{0}b".to_string(), entry);
    std::fs::write(&cache_path, serde_json::to_vec(&cache).unwrap()).unwrap();
    std::fs::write(env.path(".git/incident-closed"), format!("{id}\n{traversal}\n/etc\n")).unwrap();
    let out = env.run(&["doctor"]);
    assert!(out.stdout.contains("stale cache"), "{out:#?}");
    env.ok(&["list"]); // which rewrites the caches from the logs
    env.ok(&["status", &id]);
    let out = env.run(&["doctor"]);
    assert!(!out.stdout.contains("stale cache"), "{out:#?}");
    assert_eq!(snapshot(&outside), before);
}

//! The interface description itself: clap's own consistency check, completions and man page.

use super::harness::Env;
use clap::CommandFactory;

#[test]
fn clap_definition_is_consistent() {
    incident::cli::Cli::command().debug_assert();
}

#[test]
fn completions_and_man_page_are_generated() {
    let env = Env::new();
    let bash = env.ok(&["completions", "bash"]);
    assert!(bash.stdout.contains("_incident()") && bash.stdout.contains("postmortem"));
    let man = env.ok(&["man"]);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH incident"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
}

/// Every argument and option of every command says what it is for (clap's own `--help` and
/// `--version` aside), so `--help`, the man pages and the completions' descriptions are whole.
#[test]
fn every_argument_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let has =
                |h: Option<&clap::builder::StyledStr>| h.is_some_and(|h| !h.to_string().trim().is_empty());
            if !has(arg.get_help()) && !has(arg.get_long_help()) {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut cmd = incident::cli::Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "incident", &mut missing);
    assert!(missing.is_empty(), "arguments without help text:\n{}", missing.join("\n"));
}

/// The global options are listed apart from a command's own, under "Global options".
#[test]
fn global_options_have_their_own_heading() {
    let cmd = incident::cli::Cli::command();
    let globals: Vec<_> = cmd.get_arguments().filter(|a| a.is_global_set()).collect();
    let names: Vec<&str> = globals.iter().filter_map(|a| a.get_long()).collect();
    for flag in ["repo", "as", "json", "yes", "incident", "at"] {
        assert!(names.contains(&flag), "--{flag} is not global: {names:?}");
    }
    for a in &globals {
        assert_eq!(a.get_help_heading(), Some("Global options"), "--{:?}", a.get_long());
    }
    let env = Env::new();
    let help = env.ok(&["open", "--help"]).stdout;
    let (own, global) = help.split_once("Global options:").expect("a Global options heading");
    assert!(own.contains("--severity") && !own.contains("--repo"), "{help}");
    assert!(
        global.contains("--repo") && global.contains("--incident") && !global.contains("--severity"),
        "{help}"
    );
}

/// The `name(1)` pages a man page refers to, read from its roff source.
fn page_refs(roff: &str) -> Vec<String> {
    let text = roff.replace("\\-", "-");
    let mut refs = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("(1)") {
        let name: String = rest[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() {
            refs.push(name);
        }
        rest = &rest[i + 3..];
    }
    refs
}

/// incident(1) says what the exit codes mean and shows an on-call session; `man --dir` writes
/// a page for every command, and no page refers to one that was not written.
/// Regression: `stats --help` and `status-page --help` ended in "(SPEC §7)" and "(SPEC §6)",
/// naming a document users do not have. No help text or man page names it.
#[test]
fn help_and_man_pages_never_name_documents_users_do_not_have() {
    let env = Env::new();
    let dir = env.dir.path().join("man-pages");
    env.ok(&["man", "--dir", dir.to_str().unwrap()]);
    let mut texts = vec![("man".to_string(), env.ok(&["man"]).stdout)];
    for page in std::fs::read_dir(&dir).unwrap().flatten() {
        texts.push((page.path().display().to_string(), std::fs::read_to_string(page.path()).unwrap()));
    }
    for args in [&["--help"][..], &["stats", "--help"], &["status-page", "--help"], &["sync", "--help"]] {
        texts.push((format!("{args:?}"), env.ok(args).stdout));
    }
    for (what, text) in texts {
        assert!(!text.contains("SPEC") && !text.contains("STYLE.md"), "{what} names SPEC/STYLE");
    }
}

#[test]
fn man_pages_have_exit_status_examples_and_no_dangling_references() {
    let env = Env::new();
    let stdout = env.ok(&["man"]).stdout;
    for section in [".SH \"EXIT STATUS\"", ".SH \"EXAMPLES\"", ".SH \"GLOBAL OPTIONS\""] {
        assert!(stdout.contains(section), "no {section} in incident(1)");
    }
    let exit = stdout.split(".SH \"EXIT STATUS\"").nth(1).and_then(|s| s.split(".SH").next()).unwrap_or("");
    for code in ["\n.B 0\n", "\n.B 1\n", "\n.B 2\n"] {
        assert!(exit.contains(code), "exit status {code:?} not described:\n{exit}");
    }
    let examples = stdout.split(".SH \"EXAMPLES\"").nth(1).and_then(|s| s.split(".SH").next()).unwrap_or("");
    for step in [
        "incident init",
        "incident open",
        "--started-at",
        "incident walk",
        "incident log",
        "incident mark mitigated",
        "incident resolve",
        "incident postmortem",
        "incident lint",
    ] {
        assert!(examples.replace("\\-", "-").contains(step), "the examples do not show {step}:\n{examples}");
    }

    let dir = env.dir.path().join("man");
    let listed = env.ok(&["man", "--dir", dir.to_str().unwrap()]).stdout;
    let mut pages: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    pages.sort();
    assert_eq!(listed.lines().count(), pages.len(), "{listed}");
    assert_eq!(std::fs::read_to_string(dir.join("incident.1")).unwrap(), stdout, "man prints incident.1");
    // A page for every command, nested ones included.
    fn names(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            let name = format!("{prefix}-{}", sub.get_name());
            out.push(format!("{name}.1"));
            names(sub, &name, out);
        }
    }
    let mut expected = vec!["incident.1".to_string()];
    names(&incident::cli::Cli::command(), "incident", &mut expected);
    expected.sort();
    assert_eq!(pages, expected);
    let mut checked = 0;
    for page in &pages {
        let roff = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(roff.contains(".SH \"EXIT STATUS\""), "{page} has no EXIT STATUS");
        for name in page_refs(&roff) {
            assert!(dir.join(format!("{name}.1")).is_file(), "{page} refers to {name}(1), which has no page");
            checked += 1;
        }
    }
    assert!(checked > pages.len(), "too few references seen ({checked}): is page_refs reading the pages?");
    assert!(page_refs(&stdout).iter().any(|r| r == "incident-step"), "{:?}", page_refs(&stdout));
}

/// Asks the real binary for completions as the bash script clap_complete registers does:
/// `COMPLETE=bash incident -- WORDS…`, the index of the word being completed in
/// `_CLAP_COMPLETE_INDEX`, candidates separated by `_CLAP_IFS`.
fn complete_in(env: &Env, dir: &std::path::Path, words: &[&str], extra: &[(&str, &str)]) -> Vec<String> {
    let mut c = env.command(super::harness::BIN);
    c.current_dir(dir)
        .env("COMPLETE", "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "false")
        .arg("--")
        .args(words)
        .stdin(std::process::Stdio::null());
    for (k, v) in extra {
        c.env(k, v);
    }
    let out = c.output().expect("run incident");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "completing {words:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with('-')).map(str::to_string).collect()
}

fn complete(env: &Env, words: &[&str]) -> Vec<String> {
    complete_in(env, &env.repo, words, &[])
}

/// The step ids a runbook file declares (`- id: X` lines), read independently of the loader.
fn step_ids(env: &Env, runbook: &str) -> Vec<String> {
    env.read(&format!("runbooks/{runbook}.yaml"))
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- id:"))
        .map(|id| id.trim().to_string())
        .collect()
}

#[test]
fn dynamic_completions_come_from_the_repository() {
    let env = Env::init();
    let script = env.command(super::harness::BIN).env("COMPLETE", "bash").output().unwrap();
    let script = String::from_utf8_lossy(&script.stdout);
    assert!(
        script.contains("_clap_complete_incident") && script.contains("-F _clap_complete_incident incident")
    );

    env.ok(&[
        "open",
        "Checkout returns 500s",
        "--severity",
        "SEV1",
        "--service",
        "checkout",
        "--runbook",
        "bad-deploy",
        "--started-at",
        "-10m",
    ]);
    let id = env.only_id();
    let bad_deploy = step_ids(&env, "bad-deploy");
    assert!(bad_deploy.len() > 3, "{bad_deploy:?}");
    let other: Vec<String> =
        step_ids(&env, "database").into_iter().filter(|s| !bad_deploy.contains(s)).collect();
    assert!(!other.is_empty());

    // Steps: the attached runbook's, in walking order, for every step subcommand.
    for sub in ["done", "skip", "fail", "run"] {
        assert_eq!(complete(&env, &["incident", "step", sub, ""]), bad_deploy, "step {sub}");
    }
    let prefix = &bad_deploy[0][..3];
    let narrowed = complete(&env, &["incident", "step", "done", prefix]);
    assert!(
        narrowed.contains(&bad_deploy[0]) && narrowed.iter().all(|s| s.starts_with(prefix)),
        "{narrowed:?}"
    );

    // Incident ids: the global option and the positional [ID].
    assert_eq!(complete(&env, &["incident", "-i", ""]), [id.as_str()]);
    assert_eq!(complete(&env, &["incident", "log", "--incident", ""]), [id.as_str()]);
    for sub in ["status", "walk", "timeline", "postmortem"] {
        assert_eq!(complete(&env, &["incident", sub, ""]), [id.as_str()], "{sub} [ID]");
    }
    // Severities, services and runbooks, as incident.yaml and runbooks/ declare them.
    let sevs = complete(&env, &["incident", "open", "--severity", ""]);
    assert!(["SEV1", "SEV2", "SEV3", "SEV4"].iter().all(|s| sevs.contains(&s.to_string())), "{sevs:?}");
    assert_eq!(complete(&env, &["incident", "severity", ""]), sevs);
    let services = complete(&env, &["incident", "open", "x", "--service", ""]);
    assert!(
        services.contains(&"checkout".to_string()) && services.contains(&"web".to_string()),
        "{services:?}"
    );
    for line in [&["incident", "open", "--runbook", ""][..], &["incident", "walk", "--runbook", ""]] {
        let runbooks = complete(&env, line);
        assert!(runbooks.contains(&"bad-deploy".to_string()) && runbooks.contains(&"database".to_string()));
    }

    // A second open incident without a runbook: with none named, every runbook's steps are
    // offered; `-i` names the one whose runbook counts.
    env.ok(&["open", "Search is slow", "--severity", "SEV3", "--service", "web"]);
    let every = complete(&env, &["incident", "step", "done", ""]);
    assert!(bad_deploy.iter().chain(&other).all(|s| every.contains(s)), "{every:?}");
    assert_eq!(every.len(), every.iter().collect::<std::collections::BTreeSet<_>>().len(), "each id once");
    assert_eq!(complete(&env, &["incident", "step", "done", "-i", &id, ""]), bad_deploy);
    assert_eq!(complete(&env, &["incident", "--incident", &id[..12], "step", "run", ""]), bad_deploy);
    assert_eq!(complete(&env, &["incident", "status", ""]).len(), 2);

    // The repository is found as usual: --repo on the line, $INCIDENT_REPO, else nothing.
    let outside = env.dir.path();
    let repo = env.repo.to_str().unwrap();
    assert_eq!(
        complete_in(&env, outside, &["incident", "--repo", repo, "step", "done", "-i", &id, ""], &[]),
        bad_deploy
    );
    assert_eq!(complete_in(&env, outside, &["incident", "-i", ""], &[("INCIDENT_REPO", repo)]).len(), 2);
    for line in [
        &["incident", "step", "done", ""][..],
        &["incident", "-i", ""],
        &["incident", "open", "--severity", ""],
    ] {
        assert!(complete_in(&env, outside, line, &[]).is_empty(), "{line:?} outside a repository");
    }
}

/// A file of the reference in `docs/`.
fn doc(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// docs/commands.md covers every command `incident --help` lists (and every subcommand of
/// those, `step done` and the like) and every global option, so the reference cannot fall
/// behind the binary.
#[test]
fn docs_commands_names_every_command_and_global_option() {
    let env = Env::new();
    let help = env.ok(&["--help"]).stdout;
    let listed: Vec<String> = help
        .split("Commands:")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .expect("a Commands: section in --help")
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    assert!(listed.len() > 20 && listed.iter().any(|c| c == "status-page"), "{listed:?}");
    let text = doc("commands.md");
    let names = |phrase: &str| {
        let needle = format!("`{phrase}");
        text.match_indices(&needle)
            .any(|(i, _)| matches!(text[i + needle.len()..].chars().next(), Some(' ' | '`' | '\\' | ',')))
    };
    let mut missing: Vec<String> = listed.iter().filter(|c| !names(c)).cloned().collect();
    let cmd = incident::cli::Cli::command();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        for nested in sub.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            let phrase = format!("{} {}", sub.get_name(), nested.get_name());
            if !names(&phrase) {
                missing.push(phrase);
            }
        }
    }
    for long in cmd.get_arguments().filter(|a| a.is_global_set()).filter_map(|a| a.get_long()) {
        if !names(&format!("--{long}")) {
            missing.push(format!("--{long}"));
        }
    }
    assert!(missing.is_empty(), "docs/commands.md does not name: {missing:?}");
}

/// The complete runbook example in docs/runbooks.md (its first ```yaml block) passes
/// `incident lint` in a repository made by `incident init`, and an incident can follow it.
#[test]
fn docs_runbook_example_passes_lint() {
    let text = doc("runbooks.md");
    let example = text
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("\n```").next())
        .expect("a ```yaml block in docs/runbooks.md");
    let id = example
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("the example has a top-level id")
        .trim()
        .to_string();
    let env = Env::init();
    let rel = format!("runbooks/{id}.yaml");
    std::fs::write(env.path(&rel), format!("{example}\n")).unwrap();
    let out = env.run(&["lint", &rel]);
    assert_eq!(out.code, 0, "the documented runbook does not pass lint: {out:#?}");
    assert!(out.stdout.contains("no problems found"), "{out:#?}");
    env.ok(&["open", "Checkout errors", "--severity", "SEV1", "--service", "checkout", "--runbook", &id]);
}

/// The reference is written in its own words: it names no document users do not have.
#[test]
fn docs_name_no_document_users_do_not_have() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path).unwrap();
            for word in ["SPEC", "§", "STYLE.md"] {
                assert!(!text.contains(word), "{} names {word}", path.display());
            }
            seen += 1;
        }
    }
    assert!(seen >= 7, "only {seen} pages in docs/");
}

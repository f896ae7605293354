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

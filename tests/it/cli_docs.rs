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

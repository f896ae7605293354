//! Regression tests for small things that cost a responder's trust, each through the real
//! binary and named after what broke: a `retro` entry vanishing under a hand edit, `close`
//! not committing, `action done` leaving the committed postmortem stale, past due dates
//! taken in silence, a shipped runbook lint warns about, and wording that said a thing twice
//! or not at all.

use super::harness::Env;

/// An incident opened 30 minutes ago on `web`, resolved, its postmortem committed.
fn resolved_with_postmortem(env: &Env) -> String {
    env.ok(&[
        "open",
        "Checkout returns 500",
        "--severity",
        "SEV2",
        "--service",
        "web",
        "--started-at",
        &env.ago(30),
    ]);
    env.ok(&["resolve", "--root-cause", "a stale cache", "--at", &env.ago(5)]);
    env.ok(&["postmortem"]);
    env.only_id()
}

/// Regression: a `retro` entry given after its section of postmortem.md was edited by hand
/// vanished from the re-rendered postmortem without a word (the hand edit was kept whole).
/// The person's text is kept, the new entry follows it, and a warning says so.
#[test]
fn a_retro_entry_after_a_hand_edit_no_longer_vanishes_in_silence() {
    let env = Env::init();
    let id = resolved_with_postmortem(&env);
    env.ok(&["retro", "summary", "Checkout failed for 25 minutes."]);
    env.ok(&["postmortem"]);
    let rel = format!("incidents/{id}/postmortem.md");
    let pm = env.read(&rel);
    let edited =
        pm.replace("Checkout failed for 25 minutes.", "About 3,100 shoppers saw Error 500 at checkout.");
    assert_ne!(pm, edited);
    std::fs::write(env.path(&rel), &edited).unwrap();

    env.ok(&["retro", "summary", "The cache now expires after 5 minutes."]);
    let out = env.ok(&["postmortem"]);
    assert!(
        out.stderr.contains("warning: ")
            && out.stderr.contains("section summary was edited by hand")
            && out.stderr.contains("added 1 new entry below it")
            && out.stderr.contains("The cache now expires after 5 minutes."),
        "{out:?}"
    );
    let again = env.read(&rel);
    let summary =
        &again[again.find("<!-- editable:summary").unwrap()..again.find("<!-- /editable:summary").unwrap()];
    let (mine, new) = (
        summary.find("About 3,100 shoppers saw Error 500 at checkout.").expect("the hand edit is kept"),
        summary.find("The cache now expires after 5 minutes.").expect("the new entry is shown"),
    );
    assert!(mine < new, "the new entry follows the person's text:\n{summary}");
    assert!(
        !summary.contains("Checkout failed for 25 minutes."),
        "the edited-away text stays away:\n{summary}"
    );
    assert_eq!(env.git(&["status", "--porcelain"]), "", "committed as `postmortem` commits");

    // Rendered again, nothing new: no warning, the same text.
    let quiet = env.ok(&["postmortem"]);
    assert!(!quiet.stderr.contains("warning"), "{quiet:?}");
    assert_eq!(env.read(&rel), again);
}

//! The summary cache lives in git's own folder, never in the work tree, and works in a linked
//! git worktree, where `.git` is a file naming the real folder.

use super::harness::Env;

#[test]
fn summary_cache_works_in_a_git_worktree() {
    let env = Env::init();
    env.ok(&["open", "Checkout down", "--severity", "SEV1"]);
    env.ok(&["resolve"]);
    env.ok(&["postmortem"]);
    let wt = env.dir.path().join("wt");
    env.git(&["worktree", "add", "--quiet", wt.to_str().unwrap()]);
    assert!(wt.join(".git").is_file(), "a linked worktree's .git is a file");
    let list = |repo: &std::path::Path| {
        let out = env.ok(&["--repo", repo.to_str().unwrap(), "list", "--json"]);
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()
    };
    let rows = list(&wt);
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["state"], "resolved");
    // The worktree's cache is in its own git folder; the work tree stays clean.
    let cache = env.path(".git/worktrees/wt/incident-index.json");
    let text = std::fs::read_to_string(&cache).unwrap_or_else(|e| panic!("{}: {e}", cache.display()));
    assert!(text.contains("checkout-down"), "{text}");
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(&wt)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "", "nothing written into the work tree");
    // Served from the cache, the answer is the same.
    assert_eq!(list(&wt), rows);
    assert_eq!(list(&env.repo), rows, "the main checkout agrees");
}

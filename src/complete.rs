//! Completion candidates read from the repository at completion time, for clap_complete's
//! engine (`source <(COMPLETE=bash incident)`; `cli` attaches them with
//! `ArgValueCandidates`), after jj's `cli/src/complete.rs`.
//!
//! The shell runs `incident -- incident step done ""` with `COMPLETE` set; the engine calls
//! these functions without the line, so they read it from this process's arguments to find
//! `--repo` and `--incident`. The repository is found as every command finds it (`--repo`,
//! `$INCIDENT_REPO`, the nearest `incident.yaml`). Where there is none, or it cannot be read,
//! a function returns nothing and prints nothing: an error has no place in a prompt.

use std::collections::BTreeSet;
use std::path::Path;

use clap_complete::engine::CompletionCandidate;

use crate::index;
use crate::load;
use crate::repo::{self, Repo};
use crate::runbook::Runbook;
use crate::state::State;

/// Incident ids, open ones first, then resolved, then closed; newest first within each.
pub fn incidents() -> Vec<CompletionCandidate> {
    repository(&line()).map(|r| incident_candidates(&r)).unwrap_or_default()
}

/// The step ids of the incident's runbook (the incident named by `-i`, else the only open
/// one) when it has one; else every runbook's steps, each id once.
pub fn steps() -> Vec<CompletionCandidate> {
    let line = line();
    repository(&line)
        .map(|r| step_candidates(&r, flag_value(&line, "incident", Some('i'))))
        .unwrap_or_default()
}

/// The ids of the runbooks that load.
pub fn runbooks() -> Vec<CompletionCandidate> {
    let Some(repo) = repository(&line()) else {
        return Vec::new();
    };
    all_runbooks(&repo).iter().map(|r| candidate(&r.id, &r.title)).collect()
}

/// The severities `incident.yaml` declares.
pub fn severities() -> Vec<CompletionCandidate> {
    let Some(repo) = repository(&line()) else {
        return Vec::new();
    };
    repo.config.severities.iter().map(|(id, s)| candidate(id, &s.description)).collect()
}

/// The services `incident.yaml` declares.
pub fn services() -> Vec<CompletionCandidate> {
    let Some(repo) = repository(&line()) else {
        return Vec::new();
    };
    repo.config.services.iter().map(|(id, s)| candidate(id, &s.name)).collect()
}

fn candidate(value: &str, help: &str) -> CompletionCandidate {
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    CompletionCandidate::new(value).help((!help.is_empty()).then(|| help.into()))
}

/// The command line being completed: the words after the first `--`.
fn line() -> Vec<String> {
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => Vec::new(),
    }
}

/// The last value given to `--long` (`--long V`, `--long=V`) or `-s` (`-s V`, `-sV`).
fn flag_value(line: &[String], long: &str, short: Option<char>) -> Option<String> {
    let long_eq = format!("--{long}=");
    let long = format!("--{long}");
    let short = short.map(|c| format!("-{c}"));
    let mut found = None;
    let mut words = line.iter();
    while let Some(w) = words.next() {
        if *w == long || short.as_deref() == Some(w.as_str()) {
            found = words.next().cloned();
        } else if let Some(v) = w.strip_prefix(&long_eq) {
            found = Some(v.to_string());
        } else if let Some(v) = short.as_deref().and_then(|s| w.strip_prefix(s)).filter(|v| !v.is_empty()) {
            found = Some(v.to_string());
        }
    }
    found.filter(|v| !v.is_empty())
}

/// The repository the command line would act on, if there is one that loads.
fn repository(line: &[String]) -> Option<Repo> {
    let flag = flag_value(line, "repo", None)
        .or_else(|| std::env::var("INCIDENT_REPO").ok().filter(|v| !v.is_empty()));
    let root = repo::discover(flag.as_deref().map(Path::new)).ok()?;
    load::repo(root).ok()
}

fn incident_candidates(repo: &Repo) -> Vec<CompletionCandidate> {
    let mut warnings = Vec::new();
    let mut summaries = index::summaries(repo, &mut warnings);
    let rank = |s: State| match s {
        State::Open => 0,
        State::Resolved => 1,
        State::Closed => 2,
        State::Canceled => 3,
    };
    summaries.sort_by(|a, b| rank(a.state).cmp(&rank(b.state)).then_with(|| b.id.cmp(&a.id)));
    let mut out: Vec<CompletionCandidate> = summaries
        .iter()
        .map(|s| candidate(&s.id, &format!("{} ({}, {})", s.title, s.state.name(), s.severity)))
        .collect();
    // An incident whose log cannot be read is still an id a command can be pointed at.
    let known: BTreeSet<&str> = summaries.iter().map(|s| s.id.as_str()).collect();
    out.extend(repo.ids().iter().filter(|id| !known.contains(id.as_str())).map(CompletionCandidate::new));
    out
}

fn step_candidates(repo: &Repo, incident: Option<String>) -> Vec<CompletionCandidate> {
    let mut warnings = Vec::new();
    let attached = index::resolve(repo, incident.as_deref(), &mut warnings)
        .and_then(|id| index::load(repo, &id))
        .and_then(|loaded| load::attached_runbook(repo, &loaded.incident))
        .ok();
    let (runbooks, one) = match attached {
        Some(r) => (vec![r], true),
        None => (all_runbooks(repo), false),
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in &runbooks {
        for placed in r.steps() {
            let step = placed.step;
            if seen.insert(step.id.clone()) {
                let help = if one { step.title.clone() } else { format!("{} ({})", step.title, r.id) };
                out.push(candidate(&step.id, &help));
            }
        }
    }
    out
}

fn all_runbooks(repo: &Repo) -> Vec<Runbook> {
    let cx = load::context(&repo.config);
    load::runbooks(&repo.runbooks_dir(), &cx).runbooks.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn flag_values_in_every_spelling() {
        let v = |line: &str| flag_value(&words(line), "incident", Some('i'));
        assert_eq!(v("incident step done -i abc "), Some("abc".into()));
        assert_eq!(v("incident -iabc step done "), Some("abc".into()));
        assert_eq!(v("incident --incident=abc step done "), Some("abc".into()));
        assert_eq!(v("incident --incident abc step done -i xyz "), Some("xyz".into()));
        assert_eq!(v("incident step done "), None);
        assert_eq!(v("incident step done -i"), None);
        assert_eq!(flag_value(&words("incident --repo /r status "), "repo", None), Some("/r".into()));
        assert_eq!(flag_value(&words("incident --repository /r"), "repo", None), None);
    }
}

//! The shell commands inside a linted file: each step's `run` in a runbook, each channel's
//! `deliver.command` in `incident.yaml`. The checks that look at the shell itself
//! (ShellCheck, the programs a command calls) find them here, in one place, with what the
//! tool will set in their environment.

use super::{Doc, Kind};
use crate::yaml::{Node, ScalarMap};

/// One command the tool may run with `sh -c`.
pub struct Command<'a> {
    /// The scalar holding it: where its findings are placed.
    pub node: &'a Node,
    /// The command as `sh` is given it (the decoded value).
    pub script: &'a str,
    /// The variables the tool sets when it runs this command.
    pub env: &'static [&'static str],
}

impl Command<'_> {
    /// Where each character of the script stands in the file.
    pub fn map(&self, doc: &Doc) -> ScalarMap {
        ScalarMap::with_lines(&doc.text, doc.line_starts(), self.node)
    }

    /// Whether the tool sets `name` when it runs this command.
    pub fn sets(&self, name: &str) -> bool {
        self.env.contains(&name)
    }
}

static STEP_VARS: [&str; 5] = crate::runner::INCIDENT_VARS;

static DELIVERY_VARS: [&str; 9] = {
    let [a, b, c, d, e] = crate::runner::INCIDENT_VARS;
    let [f, g, h, i] = crate::deliver::UPDATE_VARS;
    [a, b, c, d, e, f, g, h, i]
};

/// Every command in `doc`, in file order. Values that are not strings are left to the rules
/// that report wrong types.
pub fn of(doc: &Doc) -> Vec<Command<'_>> {
    match doc.kind {
        Kind::Runbook => doc
            .steps()
            .into_iter()
            .filter_map(|(_, step)| step.get("run"))
            .filter_map(|node| Some(Command { node, script: node.as_str()?, env: &STEP_VARS }))
            .collect(),
        Kind::Config => doc
            .root
            .as_ref()
            .and_then(|root| root.get("channels"))
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|(_, channel)| channel.get("deliver")?.get("command"))
            .filter_map(|node| Some(Command { node, script: node.as_str()?, env: &DELIVERY_VARS }))
            .collect(),
        Kind::Template => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn commands_of_runbooks_and_channels() {
        let runbook = "id: t\nphases:\n  detect:\n    steps:\n      - id: a\n        title: A\n        run: echo a\n      - id: b\n        title: B\n  validate:\n    steps:\n      - id: c\n        title: C\n        run: |\n          echo c\n";
        let doc = Doc::from_text(Path::new("runbooks/t.yaml"), runbook.to_string());
        let found: Vec<&str> = of(&doc).iter().map(|c| c.script).collect();
        assert_eq!(found, ["echo a", "echo c\n"]);
        assert!(of(&doc)[0].sets("INCIDENT_TITLE") && !of(&doc)[0].sets("UPDATE_ID"));
        let config = "channels:\n  page:\n    audience: internal\n    deliver:\n      command: notify \"$UPDATE_ID\"\n  slack:\n    audience: internal\n";
        let doc = Doc::from_text(Path::new("incident.yaml"), config.to_string());
        let found = of(&doc);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].script, found[0].node.pos.line), ("notify \"$UPDATE_ID\"", 5));
        assert!(found[0].sets("UPDATE_ID") && found[0].sets("INCIDENT_REPO"));
    }
}

//! A picture of a runbook, in Mermaid or Graphviz DOT: each phase a group, in phase order;
//! each step a node (a decision as a diamond, a step with a command set apart); the walk's next
//! step, each answer and each `on_fail` as edges; the steps no walk reaches marked, as
//! `branch` decides it for the walk and `lint`. Drawn with an incident's results on it
//! ([`Graph::path`]), it shows the path the response took, for the postmortem.
//!
//! Every text from the runbook (titles, ids, answers) goes through `render`'s escaping for the
//! format; everything else in the output is ours, so a runbook cannot add a statement, a
//! link or a directive to the picture.

use std::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;

use crate::branch;
use crate::events::Outcome;
use crate::flow::{Plan, Status};
use crate::phase::Phase;
use crate::render;
use crate::runbook::Runbook;
use crate::state::Incident;

/// The picture's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Mermaid `flowchart` (GitHub and most markdown viewers draw it)
    #[default]
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`)
    Dot,
}

struct Node {
    phase: Phase,
    id: String,
    title: String,
    decision: bool,
    command: bool,
    /// No walk reaches it; `false` also when there were too many paths to be sure.
    unreachable: bool,
    /// Where the incident left it, on a path picture.
    status: Option<Status>,
}

#[derive(PartialEq, Eq)]
enum Kind {
    /// The step after it in walking order.
    Next,
    /// A decision's answer.
    Answer(String),
    /// Where the walk offers to go when the step fails.
    OnFail,
}

struct Edge {
    from: usize,
    to: usize,
    kind: Kind,
    /// Followed by the incident, on a path picture.
    taken: bool,
}

/// A runbook as nodes and edges, numbered in walking order.
pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    path: bool,
}

/// Fill and stroke of a node in each state, the same in both formats.
fn colours(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Done => ("#c8e6c9", "#2e7d32"),
        Status::Failed => ("#ffcdd2", "#c62828"),
        Status::Skipped => ("#ffe0b2", "#ef6c00"),
        Status::Ran => ("#bbdefb", "#1565c0"),
        Status::NotTaken => ("#eeeeee", "#9e9e9e"),
        Status::Pending => ("#ffffff", "#616161"),
    }
}

/// A status as a Mermaid class name.
fn class(status: Status) -> &'static str {
    match status {
        Status::Done => "done",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Ran => "ran",
        Status::NotTaken => "notTaken",
        Status::Pending => "pending",
    }
}

const STATUSES: [Status; 6] =
    [Status::Done, Status::Failed, Status::Skipped, Status::Ran, Status::NotTaken, Status::Pending];

const UNREACHABLE: &str = "never reached";
const ON_FAIL: &str = "on fail";

impl Graph {
    /// The runbook as it is written.
    pub fn of(rb: &Runbook) -> Graph {
        let steps = rb.steps();
        // Where each id first stands, as the walk and `lint` look a target up.
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (k, s) in steps.iter().enumerate() {
            first.entry(s.step.id.as_str()).or_insert(k);
        }
        let answers: Vec<Vec<usize>> = steps
            .iter()
            .map(|p| p.step.choices.iter().filter_map(|(_, t)| first.get(t.as_str()).copied()).collect())
            .collect();
        let on_fail: Vec<Option<usize>> =
            steps.iter().map(|p| p.step.on_fail.as_deref().and_then(|t| first.get(t).copied())).collect();
        let reached = branch::reachable(&answers, &on_fail);
        let nodes = steps
            .iter()
            .enumerate()
            .map(|(k, p)| Node {
                phase: p.phase,
                id: p.step.id.clone(),
                title: p.step.title.clone(),
                decision: !p.step.choices.is_empty(),
                command: p.step.run.is_some(),
                unreachable: reached.as_ref().is_some_and(|r| !r[k]),
                status: None,
            })
            .collect();
        let mut edges = Vec::new();
        for (k, p) in steps.iter().enumerate() {
            if p.step.choices.is_empty() {
                if k + 1 < steps.len() {
                    edges.push(Edge { from: k, to: k + 1, kind: Kind::Next, taken: false });
                }
            } else {
                for (answer, target) in p.step.choices.iter() {
                    if let Some(&to) = first.get(target.as_str()) {
                        edges.push(Edge { from: k, to, kind: Kind::Answer(answer.clone()), taken: false });
                    }
                }
            }
            if let Some(to) = on_fail[k] {
                edges.push(Edge { from: k, to, kind: Kind::OnFail, taken: false });
            }
        }
        Graph { nodes, edges, path: false }
    }

    /// The runbook with `inc`'s results on it: each step as the postmortem's table has it,
    /// and the edges the response followed.
    pub fn path(rb: &Runbook, inc: &Incident) -> Graph {
        let mut g = Graph::of(rb);
        g.path = true;
        let plan = Plan::compute(rb, inc);
        for (node, (_, status)) in g.nodes.iter_mut().zip(&plan.items) {
            node.status = Some(*status);
        }
        let outcomes = inc.step_outcomes(&rb.id);
        // A jump first: a failure that took `on_fail`, else the answer given (as `flow` reads them).
        let mut jumped = vec![false; g.nodes.len()];
        for e in &mut g.edges {
            let from = &g.nodes[e.from];
            let Some(rec) = outcomes.get(from.id.as_str()) else { continue };
            let on_fail = rb.find_step(&from.id).and_then(|p| p.step.on_fail.as_deref());
            let failed_over =
                rec.outcome == Outcome::Failed && on_fail.is_some() && rec.choice.as_deref() == on_fail;
            e.taken = match &e.kind {
                Kind::OnFail => failed_over,
                Kind::Answer(a) => !failed_over && rec.choice.as_deref() == Some(a.as_str()),
                Kind::Next => false,
            };
            jumped[e.from] |= e.taken;
        }
        let walked = |s: Option<Status>| {
            matches!(s, Some(Status::Done | Status::Failed | Status::Skipped | Status::Ran))
        };
        for e in &mut g.edges {
            if e.kind == Kind::Next {
                e.taken = !jumped[e.from] && walked(g.nodes[e.from].status) && walked(g.nodes[e.to].status);
            }
        }
        g
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Mermaid => self.mermaid(),
            Format::Dot => self.dot(),
        }
    }

    /// The nodes of each phase that has some, in phase order.
    fn phases(&self) -> Vec<(Phase, Vec<usize>)> {
        Phase::ALL
            .into_iter()
            .map(|ph| (ph, (0..self.nodes.len()).filter(|&k| self.nodes[k].phase == ph).collect::<Vec<_>>()))
            .filter(|(_, ks)| !ks.is_empty())
            .collect()
    }

    /// The extra line under a node's title and id: its state on a path, else whether any
    /// walk reaches it.
    fn remark(&self, n: &Node) -> Option<&'static str> {
        match n.status {
            Some(s) => Some(s.in_report()),
            None => n.unreachable.then_some(UNREACHABLE),
        }
    }

    fn mermaid(&self) -> String {
        let mut out = String::from("flowchart TD\n");
        for (phase, members) in self.phases() {
            let _ = writeln!(out, "    subgraph {phase}[\"{phase}\"]");
            for k in members {
                let n = &self.nodes[k];
                let mut label = format!("{}<br>({})", render::mermaid(&n.title), render::mermaid(&n.id));
                if let Some(remark) = self.remark(n) {
                    label.push_str("<br>");
                    label.push_str(remark);
                }
                let (open, close) = match (n.decision, n.command) {
                    (true, _) => ("{", "}"),
                    (false, true) => ("[[", "]]"),
                    (false, false) => ("[", "]"),
                };
                let _ = writeln!(out, "        s{k}{open}\"{label}\"{close}");
            }
            out.push_str("    end\n");
        }
        for e in &self.edges {
            let arrow = match &e.kind {
                Kind::Next => " --> ".to_string(),
                Kind::Answer(a) => format!(" -->|\"{}\"| ", render::mermaid(a)),
                Kind::OnFail => format!(" -.->|\"{ON_FAIL}\"| "),
            };
            let _ = writeln!(out, "    s{}{arrow}s{}", e.from, e.to);
        }
        let mut classes: Vec<(&str, String, Vec<usize>)> = Vec::new();
        if self.path {
            for s in STATUSES {
                let (fill, stroke) = colours(s);
                let dashed = if s == Status::NotTaken { ",stroke-dasharray:5 5,color:#616161" } else { "" };
                let members = (0..self.nodes.len()).filter(|&k| self.nodes[k].status == Some(s)).collect();
                classes.push((class(s), format!("fill:{fill},stroke:{stroke}{dashed}"), members));
            }
        } else {
            let command = (0..self.nodes.len()).filter(|&k| self.nodes[k].command).collect();
            classes.push(("command", "fill:#e3f2fd,stroke:#1565c0,stroke-width:2px".into(), command));
            let unreachable = (0..self.nodes.len()).filter(|&k| self.nodes[k].unreachable).collect();
            classes.push((
                "unreachable",
                "fill:#eeeeee,stroke:#9e9e9e,stroke-dasharray:5 5,color:#616161".into(),
                unreachable,
            ));
        }
        for (name, style, members) in &classes {
            if members.is_empty() {
                continue;
            }
            let _ = writeln!(out, "    classDef {name} {style}");
            let list: Vec<String> = members.iter().map(|k| format!("s{k}")).collect();
            let _ = writeln!(out, "    class {} {name}", list.join(","));
        }
        let indices = |keep: &dyn Fn(&Edge) -> bool| -> Vec<String> {
            self.edges.iter().enumerate().filter(|(_, e)| keep(e)).map(|(i, _)| i.to_string()).collect()
        };
        let on_fail = indices(&|e| e.kind == Kind::OnFail && !e.taken);
        if !on_fail.is_empty() {
            let _ = writeln!(out, "    linkStyle {} stroke:#c62828", on_fail.join(","));
        }
        let taken = indices(&|e| e.taken);
        if !taken.is_empty() {
            let _ = writeln!(out, "    linkStyle {} stroke:#1b5e20,stroke-width:4px", taken.join(","));
        }
        out
    }

    fn dot(&self) -> String {
        let mut out = String::from("digraph runbook {\n");
        out.push_str("    rankdir=TB;\n");
        out.push_str("    node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"sans-serif\"];\n");
        out.push_str("    edge [fontname=\"sans-serif\"];\n");
        for (phase, members) in self.phases() {
            let _ = writeln!(out, "    subgraph cluster_{phase} {{");
            let _ = writeln!(out, "        label=\"{phase}\";");
            for k in members {
                let n = &self.nodes[k];
                let mut label = format!("{}\\n({})", render::dot(&n.title), render::dot(&n.id));
                if let Some(remark) = self.remark(n) {
                    label.push_str("\\n");
                    label.push_str(remark);
                }
                let mut attrs = vec![format!("label=\"{label}\"")];
                if n.decision {
                    attrs.push("shape=diamond".into());
                    attrs.push("style=filled".into());
                }
                if n.command {
                    attrs.push("peripheries=2".into());
                }
                match n.status {
                    Some(s) => {
                        let (fill, stroke) = colours(s);
                        attrs.push(format!("fillcolor=\"{fill}\", color=\"{stroke}\""));
                        if s == Status::NotTaken {
                            attrs.push(format!(
                                "style=\"{}dashed,filled\"",
                                if n.decision { "" } else { "rounded," }
                            ));
                        }
                    }
                    None if n.unreachable => {
                        attrs.push("fillcolor=\"#eeeeee\", color=\"#9e9e9e\", fontcolor=\"#616161\"".into());
                        attrs.push(format!(
                            "style=\"{}dashed,filled\"",
                            if n.decision { "" } else { "rounded," }
                        ));
                    }
                    None if n.command => attrs.push("fillcolor=\"#e3f2fd\", color=\"#1565c0\"".into()),
                    None => {}
                }
                let _ = writeln!(out, "        s{k} [{}];", attrs.join(", "));
            }
            out.push_str("    }\n");
        }
        for e in &self.edges {
            let mut attrs = match &e.kind {
                Kind::Next => vec![],
                Kind::Answer(a) => vec![format!("label=\"{}\"", render::dot(a))],
                Kind::OnFail => vec![
                    format!("label=\"{ON_FAIL}\""),
                    "style=dashed".into(),
                    "color=\"#c62828\"".into(),
                    "fontcolor=\"#c62828\"".into(),
                ],
            };
            if e.taken {
                attrs.push("penwidth=3".into());
                if e.kind != Kind::OnFail {
                    attrs.push("color=\"#1b5e20\"".into());
                }
            }
            let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
            let _ = writeln!(out, "    s{} -> s{}{attrs};", e.from, e.to);
        }
        out.push_str("}\n");
        out
    }
}

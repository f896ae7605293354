//! The layering ARCHITECTURE.md describes, checked on the source: a module may import its own
//! layer and the layers below, never one above; and git2 is spoken only by `repo`. A new
//! module must be given a layer here (and in ARCHITECTURE.md), or this test names it.

use std::collections::BTreeMap;
use std::path::Path;

/// Layers, lowest first. Keep in step with ARCHITECTURE.md.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "backoff",
            "error",
            "phase",
            "timefmt",
            "ids",
            "redact",
            "fsutil",
            "ui",
            "names",
            "safe_path",
            "wire",
        ],
    ),
    ("formats", &["yaml", "model", "schema", "config", "runbook", "branch", "events", "repo"]),
    ("domain", &["state", "metrics", "flow", "narrate", "render", "runner", "starter", "deliver"]),
    ("checking and loading", &["lint", "load", "index", "head", "doctor"]),
    (
        "command support",
        &[
            "cli",
            "complete",
            "ctx",
            "prompt",
            "card",
            "respond",
            "report",
            "postmortem",
            "statuspage",
            "stats",
            "sync",
        ],
    ),
    ("commands", &["cmd", "lib"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// `src/lint/rules/x.rs` → `lint`; `src/lib.rs` → `lib`.
fn top_module(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn modules_import_only_their_layer_and_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = top_module(rel);
        if module == "main" {
            continue; // the binary: parses arguments and calls `run`
        }
        let text = std::fs::read_to_string(file).unwrap();
        let Some(mine) = layer_of(&module) else {
            problems
                .entry(rel.display().to_string())
                .or_default()
                .push(format!("module `{module}` has no layer"));
            continue;
        };
        let mut rest = text.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name.is_empty() || name == module || name == "model" && rest.starts_with("model!") {
                continue;
            }
            match layer_of(&name) {
                Some(theirs) if theirs > mine => problems
                    .entry(rel.display().to_string())
                    .or_default()
                    .push(format!("{module} ({}) imports {name} ({})", LAYERS[mine].0, LAYERS[theirs].0)),
                _ => {}
            }
        }
        // Commands do not import each other: what two commands share lives a layer down.
        if module == "cmd" && text.contains("crate::cmd::") {
            problems.entry(rel.display().to_string()).or_default().push("imports another command".into());
        }
        if module != "repo" && (text.contains("git2::") || text.contains("use git2")) {
            // Only `repo` speaks git2; others may name the `git2::Oid` it returns, nothing else.
            let allowed = |line: &str| {
                line.trim_start().starts_with("//")
                    || line.contains("git2::Oid")
                    || (module == "error" && line.contains("git2::Error"))
            };
            for line in text.lines().filter(|l| l.contains("git2::") && !allowed(l)) {
                problems
                    .entry(rel.display().to_string())
                    .or_default()
                    .push(format!("uses git2: {}", line.trim()));
            }
        }
    }
    assert!(problems.is_empty(), "layering broken:\n{problems:#?}");
}

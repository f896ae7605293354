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
            "out",
            "names",
            "safe_path",
            "wire",
        ],
    ),
    (
        "formats",
        &["yaml", "model", "schema", "config", "runbook", "branch", "events", "changes", "repo", "alerts"],
    ),
    ("domain", &["state", "metrics", "flow", "graph", "narrate", "render", "runner", "starter", "deliver"]),
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
            "ingest",
            "listen",
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
        for name in crate_imports(&text) {
            if name == module {
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
        if module == "cmd" && crate_imports(&text).iter().any(|name| name == "cmd") {
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

/// The top-level modules a source file names through `crate::`, in every spelling: a path
/// (`crate::a::b`), a braced import (`use crate::{a, b::c, d::{e, f}}`) over several lines.
/// A check that read only the first spelling let `use crate::{cmd, …}` past it.
fn crate_imports(text: &str) -> Vec<String> {
    let code: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let ident =
        |s: &str| -> String { s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let mut names = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let Some(inner) = rest.strip_prefix('{') else {
            let name = ident(rest);
            // `crate::model!` is a macro exported at the crate root, not a module.
            if !rest[name.len()..].starts_with('!') {
                names.push(name);
            }
            continue;
        };
        // The braced list: split at top-level commas; each item's first segment is a module.
        let mut depth = 0usize;
        let mut item_start = true;
        for (j, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    rest = &inner[j..];
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if item_start && (c.is_ascii_alphanumeric() || c == '_') => {
                    names.push(ident(&inner[j..]));
                    item_start = false;
                }
                _ => {}
            }
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

#[test]
fn the_layer_check_reads_braced_and_multi_line_imports() {
    let text = "use crate::{\n    cmd,\n    state::{self, Phase},\n    ui::visible,\n};\nfn f() { crate::events::append(); crate::model!(x); }\n// crate::stats is only a comment\n";
    assert_eq!(crate_imports(text), ["cmd", "state", "ui", "events"]);
}

/// Which modules each module names (`crate::name`), by top module; `main` left out.
fn imports() -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = top_module(file.strip_prefix(&src).unwrap());
        if module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let names = graph.entry(module.clone()).or_default();
        for name in crate_imports(&text) {
            if name != module && layer_of(&name).is_some() {
                names.insert(name);
            }
        }
    }
    graph
}

/// The layering forbids a cycle across layers; inside one layer, two modules that import each
/// other (directly or round a longer loop) are one concept split in two, and neither can be
/// understood or tested alone. What they share goes into one of them, or a layer down.
#[test]
fn no_import_cycle_between_modules() {
    fn visit(
        graph: &BTreeMap<String, std::collections::BTreeSet<String>>,
        module: &str,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_string());
            cycles.push(cycle.join(" → "));
            return;
        }
        if !done.insert(module.to_string()) {
            return;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            visit(graph, next, path, done, cycles);
        }
        path.pop();
    }
    let graph = imports();
    let (mut done, mut cycles) = (std::collections::BTreeSet::new(), Vec::new());
    for module in graph.keys() {
        visit(&graph, module, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "modules import each other:\n{cycles:#?}");
}

/// The library is private to the binary: its modules are `mod`, not `pub mod`, so rustc
/// reports an item no command uses as dead code. Only the argument definitions (`cli`) and
/// the named `internals` the tests and fuzz targets drive are public.
#[test]
fn the_library_keeps_its_modules_private() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let public: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches([';', ' ', '{']))
        .collect();
    assert_eq!(public, ["cli", "internals"], "public modules in src/lib.rs");
    // `internals` names items one by one: a glob would make a whole module public again,
    // and its dead code invisible.
    let internals = &lib[lib.find("pub mod internals").unwrap()..];
    for line in internals.lines().filter(|l| l.contains("pub use")) {
        assert!(!line.contains("::*"), "a glob re-export in internals: {line}");
    }
}

//! `incident runbook graph` and the postmortem's path diagrams: what they draw, that a
//! runbook's text cannot break or add to the picture, and that real parsers read every one:
//! the published `mermaid` package (pinned in tests/mermaid, installed by `.ci/run` with
//! `npm ci`) in Debian's chromium, and Graphviz's `dot` (Debian's `graphviz`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::harness::Env;
use super::status_page::{browse, chromium_path};

/// Every answer jumps over `skipped-over`, so no walk reaches it; `d`'s failure may jump to `f`.
const PATH_RUNBOOK: &str = r#"id: path
title: A path with a decision and a failure
services: [checkout]
severities: [SEV1, SEV2]
phases:
  detect:
    steps:
      - {id: a, title: Look at the dashboard, run: "true"}
      - {id: b, title: Is it the database?, choices: {ok: c, bad: d}}
      - {id: c, title: Carry on}
  diagnose:
    steps:
      - {id: d, title: Fix the database, on_fail: f}
      - {id: e, title: Watch it recover}
  remediate:
    steps:
      - {id: f, title: Roll back}
      - {id: g, title: Check the rollback}
"#;

const UNREACHABLE_RUNBOOK: &str = r#"id: gap
title: A step no answer reaches
services: [checkout]
severities: [SEV1]
phases:
  detect:
    steps:
      - {id: ask, title: Which way?, choices: {left: left, right: right}}
      - {id: skipped-over, title: Jumped over by every answer}
      - {id: left, title: Left}
      - {id: right, title: Right}
"#;

/// Titles, ids and answers that would each break or add to a picture escaped carelessly:
/// quotes and brackets that end a label, Mermaid statements (`click … call`, `style`, `end`,
/// `%%{init}%%` directives, comments), Mermaid's own entity codes and their placeholders,
/// HTML, markdown links, DOT's label escapes and attributes (`URL=`, an HTML label), line
/// breaks, control and bidi characters, and Unicode. Ids are Mermaid and DOT keywords.
const HOSTILE_RUNBOOK: &str = r#"id: hostile
title: "Hostile \"titles\" <b>&amp;</b>"
services: [checkout]
severities: [SEV1]
phases:
  detect:
    steps:
      - id: end
        title: "end\nclick s1 call alert(1)\n%%{init: {\"securityLevel\": \"loose\"}}%%\n%% a comment"
        run: "true"
      - id: click
        title: 'x"] --> evil["pwned"]; click evil "javascript:alert(1)" _blank; style s0 fill:#f00;'
        choices:
          "yes\"|s0": graph
          "a;b #35; %% style: #1;": style
          "<img src=x onerror=alert(1)>": subgraph
      - id: classdef
        title: "linkStyle 0 stroke:#f00; classDef x fill:#f00; class s0 x"
  diagnose:
    steps:
      - id: graph
        title: '<<b>HTML</b>> URL="javascript:alert(1)" \N \G \"; ] } } digraph { x -> y }'
        on_fail: subgraph
      - id: style
        title: "Überprüfen 🔥 数据库 — ➜ \u202eevil\u200b tab\there\r\nnext line"
  remediate:
    steps:
      - id: subgraph
        title: "[x](javascript:alert(1)) `code` ``` #quot; #60; ﬂ°°60¶ß &lt; ; : # & <br> --> ---"
"#;

fn with_runbook(env: &Env, file: &str, text: &str) {
    std::fs::write(env.path(&format!("runbooks/{file}")), text).expect("write runbook");
    let lint = env.run(&["lint", "--format", "json", &format!("runbooks/{file}")]);
    let findings: serde_json::Value = serde_json::from_str(&lint.stdout).expect("lint json");
    let errors: Vec<&serde_json::Value> =
        findings.as_array().expect("array").iter().filter(|f| f["severity"] == "error").collect();
    assert!(errors.is_empty(), "{file} must load: {errors:#?}");
}

fn shipped_ids() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .expect("runbooks/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    ids.sort();
    assert!(ids.len() >= 8, "the starter runbooks: {ids:?}");
    ids
}

/// The parts of a line outside its double-quoted strings (`\"` inside a DOT string kept in).
fn unquoted(line: &str) -> String {
    let (mut out, mut quoted, mut escaped) = (String::new(), false, false);
    for c in line.chars() {
        if quoted {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            quoted = true;
        } else {
            out.push(c);
        }
    }
    assert!(!quoted, "a string is left open: {line}");
    out
}

#[test]
fn the_graph_draws_phases_in_order_decisions_as_diamonds_commands_apart_and_labelled_edges() {
    let env = Env::init();
    with_runbook(&env, "path.yaml", PATH_RUNBOOK);
    let out = env.ok(&["runbook", "graph", "path"]).stdout;
    let expected = r#"flowchart TD
    subgraph detect["detect"]
        s0[["Look at the dashboard<br>(a)"]]
        s1{"Is it the database?<br>(b)"}
        s2["Carry on<br>(c)"]
    end
    subgraph diagnose["diagnose"]
        s3["Fix the database<br>(d)"]
        s4["Watch it recover<br>(e)"]
    end
    subgraph remediate["remediate"]
        s5["Roll back<br>(f)"]
        s6["Check the rollback<br>(g)"]
    end
    s0 --> s1
    s1 -->|"ok"| s2
    s1 -->|"bad"| s3
    s2 --> s3
    s3 --> s4
    s3 -.->|"on fail"| s5
    s4 --> s5
    s5 --> s6
    classDef command fill:#e3f2fd,stroke:#1565c0,stroke-width:2px
    class s0 command
    linkStyle 5 stroke:#c62828
"#;
    assert_eq!(out, expected);
    // Mermaid is the default.
    assert_eq!(env.ok(&["runbook", "graph", "path", "--format", "mermaid"]).stdout, expected);

    let dot = env.ok(&["runbook", "graph", "path", "--format", "dot"]).stdout;
    assert!(dot.starts_with("digraph runbook {\n") && dot.ends_with("}\n"), "{dot}");
    let clusters: Vec<usize> = ["cluster_detect", "cluster_diagnose", "cluster_remediate"]
        .iter()
        .map(|c| dot.find(&format!("subgraph {c} {{")).unwrap_or_else(|| panic!("{c}:\n{dot}")))
        .collect();
    assert!(clusters.windows(2).all(|w| w[0] < w[1]), "phases in order:\n{dot}");
    assert!(dot.contains("s1 [label=\"Is it the database?\\n(b)\", shape=diamond"), "{dot}");
    assert!(dot.contains("s0 [label=\"Look at the dashboard\\n(a)\", peripheries=2"), "{dot}");
    assert!(dot.contains("s1 -> s3 [label=\"bad\"];"), "{dot}");
    assert!(dot.contains("s3 -> s5 [label=\"on fail\", style=dashed"), "{dot}");
    assert!(
        dot.contains("s0 -> s1;") && !dot.contains("s1 -> s2;"),
        "a decision goes on by its answers:\n{dot}"
    );

    let json = env.json(&["--json", "runbook", "graph", "path", "--format", "dot"]);
    assert_eq!(json["runbook"], "path");
    assert_eq!(json["format"], "dot");
    assert_eq!(json["graph"], dot.as_str());
}

/// The graph marks what `lint`'s `unreachable-step` reports, from the same reachability.
#[test]
fn a_step_no_walk_reaches_is_marked_as_lint_reports_it() {
    let env = Env::init();
    with_runbook(&env, "gap.yaml", UNREACHABLE_RUNBOOK);
    let lint = env.run(&["lint", "--format", "json", "runbooks/gap.yaml"]);
    assert!(
        lint.stdout.contains("unreachable-step") && lint.stdout.contains("`skipped-over`"),
        "{}",
        lint.stdout
    );
    let out = env.ok(&["runbook", "graph", "gap"]).stdout;
    assert!(out.contains("s1[\"Jumped over by every answer<br>(skipped-over)<br>never reached\"]"), "{out}");
    assert!(out.contains("    class s1 unreachable\n"), "{out}");
    assert_eq!(out.matches("never reached").count(), 1, "{out}");
    let dot = env.ok(&["runbook", "graph", "gap", "--format", "dot"]).stdout;
    assert!(dot.contains("(skipped-over)\\nnever reached\"") && dot.contains("dashed,filled"), "{dot}");
}

#[test]
fn an_unknown_runbook_is_exit_2_naming_it_and_the_known_ones() {
    let env = Env::init();
    let out = env.fails(2, &["runbook", "graph", "no-such-runbook"]);
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(
        out.stderr.contains("\"no-such-runbook\"") && out.stderr.contains("bad-deploy, database"),
        "{out:?}"
    );
    let out = env.fails(2, &["runbook", "graph", "bad-deploy", "--format", "png"]);
    assert!(out.stderr.contains("png"), "{out:?}");
}

/// A runbook is someone's file: nothing in its titles, ids or answers may end a label, add a
/// statement (a `click` that calls or links, a style, a node), a directive or an attribute, in
/// either format. Outside the quoted labels, every line is ours.
#[test]
fn a_hostile_runbook_cannot_break_the_picture_or_add_to_it() {
    let env = Env::init();
    with_runbook(&env, "hostile.yaml", HOSTILE_RUNBOOK);
    let out = env.ok(&["runbook", "graph", "hostile"]).stdout;
    let statements = [
        "flowchart TD",
        "subgraph ",
        "end",
        "s",
        "classDef command ",
        "classDef unreachable ",
        "class s",
        "linkStyle ",
    ];
    for line in out.lines() {
        let bare = unquoted(line);
        let t = bare.trim();
        assert!(statements.iter().any(|s| t.starts_with(s)), "a line that is not ours: {line}\n{out}");
        for word in ["click", "call", "href", "%%", "init", "evil", "pwned", "style s", "javascript"] {
            assert!(!t.contains(word), "{word} outside a label: {line}");
        }
    }
    for line in out.lines().filter(|l| l.trim_start().starts_with('s') && l.contains('"')) {
        let label = line.split('"').nth(1).expect("a label");
        let text = label.replace("<br>", "\n");
        // Inside the labels: no character Mermaid could read as syntax.
        for c in ['%', ':', '<', '>', '&', '`', '[', ']', '{', '}', '|', '\t', '\r', '\u{202e}', '\u{200b}'] {
            assert!(!text.contains(c), "{c:?} raw in a label: {line}");
        }
        assert_eq!(line.matches('"').count(), 2, "one label a line: {line}");
    }
    assert_eq!(steps_in(&out), 6, "{out}");
    assert!(out.contains("Überprüfen #128293; 数据库"), "letters of any script are kept as they are:\n{out}");

    let dot = env.ok(&["runbook", "graph", "hostile", "--format", "dot"]).stdout;
    for line in dot.lines() {
        let bare = unquoted(line);
        for word in ["URL", "href", "<", "digraph {", "->  y", "javascript", "evil"] {
            assert!(!bare.contains(word), "{word} outside a string: {line}\n{dot}");
        }
    }
    assert!(dot.contains("\\\\N \\\\G \\\\\\\""), "backslashes and quotes escaped:\n{dot}");
    assert_eq!(dot.matches(" [label=").count(), 6 + 3 + 1, "six nodes, three answers, one on_fail:\n{dot}");
}

/// The mermaid package's dist bundle (installed by `.ci/run` with `npm ci`) and chromium, or
/// why one is missing. Under CI=true a missing piece fails the test; elsewhere the test says
/// what to install and passes without checking.
fn mermaid_bundle() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mermaid");
    let bundle = dir.join("node_modules/mermaid/dist/mermaid.min.js");
    let missing = if !bundle.is_file() {
        Some(format!("the mermaid package (npm ci --prefix {} --ignore-scripts)", dir.display()))
    } else if chromium_path().is_none() {
        Some("chromium (apt-get install -y chromium)".to_string())
    } else {
        None
    };
    super::harness::peer_ready("the Mermaid check", missing).then_some(bundle)
}

/// Graphviz's `dot`, or why it is missing (as [`mermaid_bundle`]).
fn graphviz() -> Option<()> {
    let found = Command::new("dot").arg("-V").output().is_ok();
    let missing = (!found).then(|| "Graphviz's dot (apt-get install -y graphviz)".to_string());
    super::harness::peer_ready("the DOT check", missing).then_some(())
}

/// What the real Mermaid made of one diagram in the browser.
#[derive(Debug, serde::Deserialize)]
struct Drawn {
    name: String,
    error: Option<String>,
    /// Elements a diagram of ours never has: links, images, scripts, event handlers.
    active: usize,
    nodes: usize,
    text: String,
}

/// Parses and renders each diagram with `mermaid.parse` and `mermaid.render` (strict security,
/// as GitHub renders), in a page loading the package's dist bundle in headless chromium.
fn mermaid(env: &Env, bundle: &Path, diagrams: &[(String, String)]) -> Vec<Drawn> {
    let page = env.dir.path().join("mermaid.html");
    let data = serde_json::to_string(diagrams).expect("json").replace('<', "\\u003c");
    let html = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>mermaid</title>
<script src="file://{bundle}"></script></head><body><pre id="out">pending</pre><div id="scratch"></div>
<script>
const diagrams = {data};
mermaid.initialize({{ startOnLoad: false, securityLevel: "strict" }});
(async () => {{
  const results = [];
  for (const [i, [name, text]] of diagrams.entries()) {{
    try {{
      await mermaid.parse(text);
      const {{ svg }} = await mermaid.render("d" + i, text);
      const box = document.getElementById("scratch");
      box.innerHTML = svg;
      results.push({{ name, error: null,
        active: box.querySelectorAll("a, img, script, iframe, [onerror], [onclick], [href]").length,
        nodes: box.querySelectorAll("g.node").length, text: box.textContent }});
      box.innerHTML = "";
    }} catch (e) {{
      results.push({{ name, error: String((e && e.message) || e), active: 0, nodes: 0, text: "" }});
    }}
  }}
  // Base 16, so that nothing in the results needs unescaping from the dumped DOM.
  const bytes = new TextEncoder().encode(JSON.stringify(results));
  document.getElementById("out").textContent =
    "RESULTS:" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") + ":END";
}})();
</script></body></html>"#,
        bundle = bundle.display()
    );
    std::fs::write(&page, html).expect("write page");
    let out = browse(env, &["--virtual-time-budget=60000", "--dump-dom"], &page);
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8_lossy(&out.stdout);
    let hex =
        dom.split_once("RESULTS:").and_then(|(_, r)| r.split_once(":END")).map(|(h, _)| h).unwrap_or_else(
            || panic!("mermaid never finished: {}", dom.chars().take(2000).collect::<String>()),
        );
    let bytes: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect();
    let drawn: Vec<Drawn> = serde_json::from_slice(&bytes).expect("results");
    assert_eq!(drawn.len(), diagrams.len());
    drawn
}

/// `dot -Tsvg` on one graph: its SVG, or what dot said.
fn graphviz_svg(env: &Env, name: &str, text: &str) -> String {
    let file = env.dir.path().join(format!("{name}.dot"));
    std::fs::write(&file, text).expect("write dot");
    let out = Command::new("dot").arg("-Tsvg").arg(&file).output().expect("run dot");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "dot rejects {name}: {stderr}\n{text}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The steps a Mermaid graph of ours draws: its node lines, inside the phases' groups.
fn steps_in(mermaid: &str) -> usize {
    mermaid.lines().filter(|l| l.starts_with("        s")).count()
}

#[test]
fn every_shipped_runbook_and_a_hostile_one_render_in_mermaid() {
    let Some(bundle) = mermaid_bundle() else { return };
    let env = Env::init();
    with_runbook(&env, "hostile.yaml", HOSTILE_RUNBOOK);
    with_runbook(&env, "gap.yaml", UNREACHABLE_RUNBOOK);
    let mut ids = shipped_ids();
    ids.extend(["hostile".to_string(), "gap".to_string()]);
    let diagrams: Vec<(String, String)> =
        ids.iter().map(|id| (id.clone(), env.ok(&["runbook", "graph", id]).stdout)).collect();
    // The check finds what it looks for: a broken diagram is an error.
    let mut all = diagrams.clone();
    all.push(("broken".into(), "flowchart TD\n    s0[\"open\n".into()));
    let drawn = mermaid(&env, &bundle, &all);
    for d in &drawn[..diagrams.len()] {
        assert!(d.error.is_none(), "{}: {:?}", d.name, d.error);
        assert_eq!(d.active, 0, "{}: links, images or handlers in the picture", d.name);
        let text = &diagrams.iter().find(|(n, _)| *n == d.name).expect("diagram").1;
        assert_eq!(d.nodes, steps_in(text), "{}: one node per step, none added", d.name);
    }
    assert!(drawn[diagrams.len()].error.is_some(), "a broken diagram must fail: {:?}", drawn[diagrams.len()]);
    let hostile = drawn.iter().find(|d| d.name == "hostile").expect("hostile");
    for shown in [
        "click s1 call alert(1)",
        "%%{init",
        "<img src=x onerror=alert(1)>",
        "Überprüfen 🔥 数据库",
        "#quot; #60;",
    ] {
        assert!(hostile.text.contains(shown), "{shown:?} is shown as text: {}", hostile.text);
    }
    let gap = drawn.iter().find(|d| d.name == "gap").expect("gap");
    assert!(gap.text.contains("never reached"), "{}", gap.text);
}

#[test]
fn every_shipped_runbook_and_a_hostile_one_render_in_graphviz() {
    let Some(()) = graphviz() else { return };
    let env = Env::init();
    with_runbook(&env, "hostile.yaml", HOSTILE_RUNBOOK);
    let mut ids = shipped_ids();
    ids.push("hostile".to_string());
    for id in &ids {
        let text = env.ok(&["runbook", "graph", id, "--format", "dot"]).stdout;
        let svg = graphviz_svg(&env, id, &text);
        assert!(
            !svg.contains("<a ") && !svg.contains("href") && !svg.contains("<image"),
            "{id}: a link or image:\n{svg}"
        );
        let steps = steps_in(&env.ok(&["runbook", "graph", id]).stdout);
        assert_eq!(svg.matches("class=\"node\"").count(), steps, "{id}: one node per step, none added");
        assert_eq!(
            svg.matches("class=\"cluster\"").count(),
            text.matches("subgraph cluster_").count(),
            "{id}"
        );
    }
    let svg =
        graphviz_svg(&env, "hostile", &env.ok(&["runbook", "graph", "hostile", "--format", "dot"]).stdout);
    for shown in [
        "&lt;&lt;b&gt;HTML&lt;/b&gt;&gt; URL=&quot;javascript:alert(1)&quot; \\N \\G \\&quot;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&amp;lt;",
    ] {
        assert!(svg.contains(shown), "{shown:?} is shown as text:\n{svg}");
    }
}

/// Opens an incident on `path`, walks it (a decision answered `bad`, a failure that took its
/// `on_fail`, a step skipped), attaches `gap` and resolves: the postmortem's path diagrams.
fn walked(env: &Env) -> String {
    with_runbook(env, "path.yaml", PATH_RUNBOOK);
    with_runbook(env, "gap.yaml", UNREACHABLE_RUNBOOK);
    env.ok(&["open", "Database down", "--severity", "SEV1", "--service", "checkout", "--runbook", "path"]);
    env.ok(&["step", "done", "a"]);
    env.ok(&["step", "done", "b", "--choice", "bad"]);
    env.ok(&["step", "fail", "d", "--jump"]);
    env.ok(&["step", "done", "f"]);
    env.ok(&["step", "skip", "g"]);
    env.ok(&["runbook", "attach", "gap"]);
    env.ok(&["step", "done", "ask", "--choice", "right"]);
    env.ok(&["step", "done", "right"]);
    env.ok(&["resolve", "--root-cause", "a full disk"]);
    env.ok(&["postmortem"]);
    let id = env.only_id();
    env.read(&format!("incidents/{id}/postmortem.md"))
}

/// The ```mermaid blocks of a markdown text, in order.
fn mermaid_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line == "```mermaid" => current = Some(String::new()),
            Some(block) if line == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn the_postmortem_draws_the_path_taken_through_each_runbook() {
    let env = Env::init();
    let pm = walked(&env);
    let runbooks =
        pm.split("## Runbooks").nth(1).and_then(|r| r.split("## Communications").next()).expect("section");
    let paths = mermaid_blocks(runbooks);
    assert_eq!(paths.len(), 2, "one diagram for each runbook attached:\n{runbooks}");
    let path = &paths[0];
    for line in [
        "        s1{\"Is it the database?<br>(b)<br>done\"}",
        "        s2[\"Carry on<br>(c)<br>not taken\"]",
        "    class s0,s1,s5 done",
        "    class s3 failed",
        "    class s6 skipped",
        "    class s2,s4 notTaken",
        // a → b, the answer `bad`, d's on_fail to f, f → g; not the answer `ok`, nor d → e.
        "    linkStyle 0,2,5,7 stroke:#1b5e20,stroke-width:4px",
    ] {
        assert!(path.lines().any(|l| l == line), "{line:?} missing:\n{path}");
    }
    assert!(
        paths[1].contains("    class s0,s3 done\n") && paths[1].contains("    linkStyle 1 stroke:#1b5e20"),
        "{}",
        paths[1]
    );
    // The tables are as they were: the diagram comes before them.
    assert!(
        runbooks.contains("| detect | Is it the database? (`b`) | done | bad | Test Responder |"),
        "{runbooks}"
    );
}

#[test]
fn every_mermaid_diagram_of_a_postmortem_renders() {
    let Some(bundle) = mermaid_bundle() else { return };
    let env = Env::init();
    let pm = walked(&env);
    let blocks: Vec<(String, String)> =
        mermaid_blocks(&pm).into_iter().enumerate().map(|(i, b)| (format!("block {i}"), b)).collect();
    assert_eq!(blocks.len(), 3, "the phases' gantt and two paths:\n{pm}");
    for d in mermaid(&env, &bundle, &blocks) {
        assert!(
            d.error.is_none(),
            "{}: {:?}\n{}",
            d.name,
            d.error,
            blocks.iter().find(|b| b.0 == d.name).unwrap().1
        );
        assert_eq!(d.active, 0, "{}", d.name);
    }
}

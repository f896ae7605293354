//! Shell completions and the man pages, generated from the clap definitions.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::Cli;
use crate::ctx::Ctx;
use crate::error::{Error, Result};

pub fn completions(ctx: &Ctx, shell: clap_complete::Shell) -> Result<u8> {
    // Built first: clap_complete panics on a write that fails, such as one into `| head`.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "incident", &mut script);
    ctx.ui.out().write_all(&script)?;
    Ok(0)
}

/// `incident man`: incident(1) on stdout; with `--dir`, every page into that folder (the
/// subcommands' pages are what incident(1) refers to as incident-open(1) and so on).
pub fn man(ctx: &Ctx, dir: Option<&Path>) -> Result<u8> {
    let tree = man_tree();
    let Some(dir) = dir else {
        let page = page(&tree, None)?;
        ctx.ui.out().write_all(&page)?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut written = Vec::new();
    write_pages(&tree, None, dir, &mut written)?;
    if ctx.global.json {
        ctx.print_json(&serde_json::json!({ "pages": written }))?;
    } else {
        for path in &written {
            writeln!(ctx.ui.out().raw(), "{}", path.display())?;
        }
    }
    Ok(0)
}

/// The command tree as the pages describe it: built (so every subcommand knows its full name,
/// `incident-step-done`), without clap's `help` subcommands, which have no page of their own.
fn man_tree() -> clap::Command {
    fn no_help(cmd: clap::Command) -> clap::Command {
        let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
        let mut cmd = cmd.disable_help_subcommand(true);
        for name in names {
            cmd = cmd.mut_subcommand(name, no_help);
        }
        cmd
    }
    let mut cmd = no_help(Cli::command());
    cmd.build();
    cmd
}

fn write_pages(
    cmd: &clap::Command,
    parent: Option<&str>,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<()> {
    let name = full_name(cmd);
    let path = dir.join(format!("{name}.1"));
    crate::fsutil::replace(&path, &page(cmd, parent)?).map_err(Error::io(&path))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, Some(&name), dir, written)?;
    }
    Ok(())
}

fn full_name(cmd: &clap::Command) -> String {
    cmd.get_display_name().unwrap_or_else(|| cmd.get_name()).to_string()
}

/// One page: clap_mangen's sections, then EXIT STATUS, EXAMPLES (incident(1) only) and SEE
/// ALSO, which names only pages `man --dir` writes.
fn page(cmd: &clap::Command, parent: Option<&str>) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    let roff = |r: std::io::Result<()>| r.map_err(Error::io("the man page"));
    roff(man.render_title(&mut out))?;
    roff(man.render_name_section(&mut out))?;
    roff(man.render_synopsis_section(&mut out))?;
    roff(man.render_description_section(&mut out))?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        roff(man.render_options_section(&mut out))?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        roff(man.render_subcommands_section(&mut out))?;
    }
    out.extend_from_slice(section("EXIT STATUS", EXIT_STATUS).as_bytes());
    if parent.is_none() {
        out.extend_from_slice(section("EXAMPLES", EXAMPLES).as_bytes());
    }
    if parent.is_none() {
        out.extend_from_slice(section("SEE ALSO", SEE_ALSO).as_bytes());
    }
    if let Some(parent) = parent {
        let mut see = vec![parent.to_string()];
        if parent != "incident" {
            see.insert(0, "incident".into());
        }
        let refs: Vec<String> = see.iter().map(|p| format!("{}(1)", escape(p))).collect();
        out.extend_from_slice(format!(".SH \"SEE ALSO\"\n{}\n", refs.join(", ")).as_bytes());
    }
    if cmd.get_version().is_some() {
        roff(man.render_version_section(&mut out))?;
    }
    Ok(once_preamble(out))
}

/// Each section clap_mangen renders starts with the same string definitions; a page needs
/// them once, at the top.
fn once_preamble(page: Vec<u8>) -> Vec<u8> {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let text = String::from_utf8_lossy(&page);
    match text.find(PREAMBLE) {
        Some(at) => {
            let (head, rest) = text.split_at(at + PREAMBLE.len());
            format!("{head}{}", rest.replace(PREAMBLE, "")).into_bytes()
        }
        None => page,
    }
}

/// A section from plain text: paragraphs separated by blank lines; a paragraph whose lines
/// start with two spaces is shown as written (a command example); `TERM: text` lines are a
/// tagged list.
fn section(title: &str, text: &str) -> String {
    let mut out = format!(".SH \"{title}\"\n");
    for para in text.trim().split("\n\n") {
        if para.starts_with("  ") {
            out.push_str(".PP\n.RS 4\n.nf\n");
            for line in para.lines() {
                out.push_str(&escape(line.strip_prefix("  ").unwrap_or(line)));
                out.push('\n');
            }
            out.push_str(".fi\n.RE\n");
        } else if let Some((tag, body)) = para.split_once(": ").filter(|(t, _)| !t.contains(' ')) {
            out.push_str(&format!(".TP\n.B {}\n{}\n", escape(tag), escape(&unwrap(body))));
        } else {
            out.push_str(&format!(".PP\n{}\n", escape(&unwrap(para))));
        }
    }
    out
}

fn unwrap(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text safe in roff: backslashes and hyphens escaped, no line read as a request.
fn escape(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') { format!("\\&{s}") } else { s }
}

const EXIT_STATUS: &str = "
0: Success.

1: The command ran and found a problem, or could not finish: lint findings, doctor findings,
a step command that did not exit as the runbook expects, I/O or git failures.

2: Bad usage or bad input: unknown flags, an unknown or ambiguous incident, malformed YAML,
an unknown severity, service or runbook, a time that cannot be read, or a decision needed
when nobody is at the terminal to prompt (the message names the flag to pass).
";

const SEE_ALSO: &str = "
The page of each command (incident-open(1), incident-step-done(1) and so on) is written,
with this one, by incident man --dir DIR. The README covers the repository's files, the
runbook format and the postmortem template.
";

const EXAMPLES: &str = "
A responder's session, from the first page to the postmortem. Create the repository once:

  incident init ~/incidents
  cd ~/incidents

Checkout errors started at 14:02 and were noticed at 14:09. Open the incident with the
runbook for bad deploys, saying when customer impact started:

  incident open \"Checkout returns 500s\" --severity SEV1 --service checkout \\
      --runbook bad-deploy --started-at 14:02 --detected-at 14:09

Follow the runbook step by step (q leaves; walk again resumes), and note what is learnt:

  incident walk
  incident log \"Rolled back checkout to the previous revision\"

Record the key moments as they happen, then end the incident and write its postmortem:

  incident mark mitigated --at 14:41
  incident resolve --root-cause \"A config change disabled payment retries\"
  incident postmortem

In CI, lint the runbooks, incident.yaml and templates on every change (exit 1 on any
finding; --format github annotates the pull request):

  incident lint --format github
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_roff_requests_out() {
        assert_eq!(escape(".hidden -x a\\b"), "\\&.hidden \\-x a\\eb");
    }

    #[test]
    fn sections_render_tags_examples_and_paragraphs() {
        let s = section("T", "0: ok\nfine.\n\nSome text\nwrapped.\n\n  incident open -x\n  walk");
        assert_eq!(
            s,
            ".SH \"T\"\n.TP\n.B 0\nok fine.\n.PP\nSome text wrapped.\n.PP\n.RS 4\n.nf\nincident open \\-x\nwalk\n.fi\n.RE\n"
        );
    }
}

//! `incident walk`: the guided walk through the runbook. It keeps no state of its own: each
//! turn re-reads the log and asks the flow where it stands, so `q`, a closed laptop or a
//! crash lose nothing, and `walk` resumes at the same step.

use crate::card::{self, Look};
use crate::ctx::Ctx;
use crate::error::{InputError, Noun, Result, RunbookError};
use crate::events::{Body, Outcome};
use crate::flow::Plan;
use crate::load;
use crate::prompt;
use crate::repo::Repo;
use crate::report::Watch;
use crate::respond;
use crate::runbook::{PlacedStep, Runbook};
use crate::state::Incident;
use crate::ui;

const HINT: &str = "in scripts use `incident step done|skip|fail STEP`, `incident step run STEP --yes` and `incident phase next`";

pub fn run(ctx: &Ctx, positional: Option<&str>, runbook_flag: Option<&str>) -> Result<u8> {
    let (repo, inc) = ctx.open_target(positional)?;
    let id = inc.id.clone();
    if !attach(ctx, &repo, &inc, runbook_flag)? {
        return Ok(0);
    }
    let inc = ctx.load(&repo, &id)?;
    let rb = load::attached_runbook(&repo, &inc)?;
    // The update reminders given while the card waits for a key.
    let mut watch = Watch::default();
    loop {
        // A fresh clock each turn: a walk lasts as long as the incident.
        let turn = ctx.tick();
        let inc = ctx.load(&repo, &id)?;
        let plan = Plan::compute(&rb, &inc);
        let Some(cur) = plan.current_step() else {
            writeln!(
                ctx.ui.out(),
                "Every step of runbook {} is settled. When the service is healthy: `incident resolve`.",
                rb.id
            )?;
            return Ok(0);
        };
        if !ctx.interactive {
            // Show where things stand, but write nothing: a script decides with `step`/`phase`.
            show(&turn, &repo, &inc, &rb, &plan, cur)?;
            return Err(InputError::NeedsTerminal {
                what: "`incident walk`".into(),
                needs: "a terminal (it asks what was done at each step)",
                hint: HINT,
            }
            .into());
        }
        if cur.phase > inc.phase() {
            respond::enter_phase(&turn, &repo, &inc, cur.phase)?;
            continue;
        }
        show(&turn, &repo, &inc, &rb, &plan, cur)?;
        // What the card shows about the next update needs no reminder of its own.
        watch.check(&repo, std::slice::from_ref(&id), turn.now);
        if !act(&turn, &repo, &inc, cur, &mut watch)? {
            writeln!(ctx.ui.out(), "Left the walk; `incident walk` resumes at step {}.", cur.step.id)?;
            return Ok(0);
        }
    }
}

/// Attaches `--runbook`, or lets the responder pick one when the incident has none. Returns
/// false when the responder leaves the list instead.
fn attach(ctx: &Ctx, repo: &Repo, inc: &Incident, flag: Option<&str>) -> Result<bool> {
    let cx = load::context(&repo.config);
    let chosen = match flag {
        Some(id) => load::runbook(&repo.runbooks_dir(), id, &cx)?.id,
        None if inc.runbook.is_some() => return Ok(true),
        None => {
            let loaded = load::runbooks(&repo.runbooks_dir(), &cx);
            let mut options = loaded.matching(&inc.services, &inc.severity);
            if options.is_empty() {
                options = loaded.runbooks.iter().map(|(_, r)| r).collect();
            }
            let ids: Vec<String> = options.iter().map(|r| r.id.clone()).collect();
            if !ctx.interactive || options.is_empty() {
                return Err(RunbookError::NoRunbook { id: inc.id.clone(), available: ids }.into());
            }
            let items: Vec<(String, String)> =
                options.iter().map(|r| (r.id.clone(), r.title.clone())).collect();
            let picked = prompt::pick("Which runbook fits?", Noun::Runbook, &items, "leave the walk")?;
            match picked.flatten().and_then(|i| ids.get(i)) {
                Some(id) => id.clone(),
                None => return Ok(false),
            }
        }
    };
    if inc.runbook.as_deref() == Some(chosen.as_str()) {
        return Ok(true);
    }
    let sha256 = load::runbook_with_digest(&repo.runbooks_dir(), &chosen, &cx)?.1;
    let event = ctx.event(repo, Body::Runbook { runbook: chosen.clone(), sha256: Some(sha256) })?;
    ctx.append(repo, &inc.id, &[event])?;
    writeln!(ctx.ui.out(), "runbook {chosen} attached")?;
    Ok(true)
}

fn show(
    ctx: &Ctx,
    repo: &Repo,
    inc: &Incident,
    rb: &Runbook,
    plan: &Plan<'_>,
    cur: PlacedStep<'_>,
) -> Result<()> {
    writeln!(ctx.ui.out())?;
    for line in card::render(inc, &repo.config, rb, plan, cur, ctx.now, Look::stdout()) {
        // The card makes its text visible before painting it: the colour codes are ours.
        writeln!(ctx.ui.out().raw(), "{line}")?;
    }
    Ok(())
}

/// One action on the current step. Returns false when the responder leaves (`q`, or Ctrl-D
/// at any question). A key that means nothing here is named in one line and asked again;
/// the card is not shown again. While it waits, an update falling due or overdue is said.
fn act(ctx: &Ctx, repo: &Repo, inc: &Incident, cur: PlacedStep<'_>, watch: &mut Watch) -> Result<bool> {
    if let Some(failed) = respond::failed_run(inc, cur) {
        // The exit code expected is said only beside the one the command gave.
        let how = match failed.exit_code {
            Some(c) => format!("exited {c} (expected {})", cur.step.expect_exit.unwrap_or(0)),
            None if failed.timed_out_s.is_some() => {
                crate::runner::ending(None, failed.timed_out_s, false, None)
            }
            None => format!(
                "was {}",
                crate::runner::ending(None, None, failed.interrupted, failed.signal.as_deref())
            ),
        };
        return after_failure(ctx, repo, inc, cur, &how, watch);
    }
    let answers: Vec<&str> = cur.step.choices.iter().map(|(k, _)| k.as_str()).collect();
    let menu = if answers.is_empty() {
        let run = if cur.step.run.is_some() { "r run, " } else { "" };
        format!("d done, s skip, f fail, {run}n note, q quit")
    } else {
        ui::show(&format!("answer {}; or s skip, n note, q quit", answers.join("/")))
    };
    let outcome = |o, choice| respond::record_outcome(ctx, repo, inc, cur, o, None, choice).map(|_| true);
    loop {
        let waiting = || Ok(reminders(ctx, repo, &inc.id, watch));
        let Some(input) = prompt::line_waiting(&ctx.ui, &format!("{menu} >"), waiting)? else {
            return Ok(false);
        };
        let input = input.trim();
        // A decision's answers come first and in full, whatever their case: `no` is an
        // answer, not `n` (note) with a typo.
        if let Some(answer) = answers.iter().find(|a| a.eq_ignore_ascii_case(input)) {
            return outcome(Outcome::Done, Some((*answer).to_string()));
        }
        match input.to_lowercase().as_str() {
            "" => {}
            "q" | "quit" => return Ok(false),
            "s" | "skip" => return outcome(Outcome::Skipped, None),
            "d" | "done" if answers.is_empty() => return outcome(Outcome::Done, None),
            "f" | "fail" if answers.is_empty() => {
                let Some(note) = prompt::line("What went wrong? (Enter to leave blank)")? else {
                    return Ok(false);
                };
                let note = Some(note).filter(|n| !n.trim().is_empty());
                return respond::record_outcome(ctx, repo, inc, cur, Outcome::Failed, note, None)
                    .map(|_| true);
            }
            "r" | "run" if cur.step.run.is_some() => {
                return match respond::run_command(ctx, repo, inc, cur) {
                    Err(e) if prompt::is_closed(&e) => Ok(false),
                    other => other.map(|_| true),
                };
            }
            "n" | "note" => return note(ctx, repo, inc),
            _ => writeln!(ctx.ui.out(), "{input:?} is not one of: {menu}")?,
        }
    }
}

/// The step's command did not exit as expected: the walk stops here and offers to retry,
/// note, mark the step failed and go on, or go to its `on_fail` target. Returns false when
/// the responder leaves.
fn after_failure(
    ctx: &Ctx,
    repo: &Repo,
    inc: &Incident,
    cur: PlacedStep<'_>,
    how: &str,
    watch: &mut Watch,
) -> Result<bool> {
    writeln!(ctx.ui.out(), "The command {how}: step {} failed.", cur.step.id)?;
    let jump = cur.step.on_fail.as_deref().map(|t| format!("j go to {t} (on_fail), ")).unwrap_or_default();
    let menu = ui::show(&format!("r retry, f mark failed and go on, {jump}n note, s skip, q quit"));
    loop {
        let waiting = || Ok(reminders(ctx, repo, &inc.id, watch));
        let Some(input) = prompt::line_waiting(&ctx.ui, &format!("{menu} >"), waiting)? else {
            return Ok(false);
        };
        let input = input.trim().to_lowercase();
        let failed = |choice: Option<String>| {
            respond::record_outcome(ctx, repo, inc, cur, Outcome::Failed, None, choice).map(|_| true)
        };
        match input.as_str() {
            "" => {}
            "q" | "quit" => return Ok(false),
            "r" | "retry" => {
                return match respond::run_command(ctx, repo, inc, cur) {
                    Err(e) if prompt::is_closed(&e) => Ok(false),
                    other => other.map(|_| true),
                };
            }
            "f" | "fail" => return failed(None),
            "j" | "jump" if cur.step.on_fail.is_some() => return failed(cur.step.on_fail.clone()),
            "s" | "skip" => {
                return respond::record_outcome(ctx, repo, inc, cur, Outcome::Skipped, None, None)
                    .map(|_| true);
            }
            "n" | "note" => {
                if !note(ctx, repo, inc)? {
                    return Ok(false);
                }
            }
            _ => writeln!(ctx.ui.out(), "{input:?} is not one of: {menu}")?,
        }
    }
}

/// Asks for a note and logs it. Returns false when the responder leaves (Ctrl-D).
fn note(ctx: &Ctx, repo: &Repo, inc: &Incident) -> Result<bool> {
    let Some(text) = prompt::line("Note >")? else {
        return Ok(false);
    };
    if !text.trim().is_empty() {
        let event = ctx.event(repo, Body::Note { text })?;
        ctx.append(repo, &inc.id, &[event])?;
        writeln!(ctx.ui.out(), "noted")?;
    }
    Ok(true)
}

/// The update reminders reached while the walk waits for a key, as lines for people.
fn reminders(ctx: &Ctx, repo: &Repo, id: &str, watch: &mut Watch) -> Vec<String> {
    watch.check(repo, &[id.to_string()], ctx.clock_now()).into_iter().map(|r| r.line).collect()
}

//! The response's actions, shared by the one-shot commands (`step`, `phase`) and the
//! interactive `walk`, so both write identical events: record a step's outcome, run a step's
//! command, enter a phase. Each checks that the incident is open and logs through `Ctx`.

use std::io::IsTerminal;

use crate::ctx::Ctx;
use crate::error::{Noun, RecordError, Result, RunbookError, SystemError, Unknown};
use crate::events::{Body, Event, Outcome};
use crate::load::attached_runbook;
use crate::metrics;
use crate::phase::Phase;
use crate::repo::Repo;
use crate::runbook::PlacedStep;
use crate::runner;
use crate::state::Incident;
use crate::timefmt;

/// Checks an outcome against the step (a decision needs one of its answers) and logs it.
pub fn record_outcome(
    ctx: &Ctx,
    repo: &Repo,
    inc: &Incident,
    placed: PlacedStep<'_>,
    outcome: Outcome,
    note: Option<String>,
    choice: Option<String>,
) -> Result<Event> {
    inc.require_open()?;
    let step = &placed.step.id;
    let choices = &placed.step.choices;
    // A failure that takes the step's `on_fail` jump records its target as the choice.
    let jumps_on_fail = outcome == Outcome::Failed && choice.is_some() && choice == placed.step.on_fail;
    match (&choice, choices.is_empty()) {
        _ if jumps_on_fail => {}
        (Some(c), false) if choices.target(c).is_none() => {
            return Err(Unknown::new(Noun::Answer, c.clone(), choices.answers()).within(step.clone()).into());
        }
        (Some(_), true) => return Err(RunbookError::NotADecision { step: step.clone() }.into()),
        (None, false) if outcome == Outcome::Done => {
            return Err(RunbookError::AnswerNeeded { step: step.clone(), answers: choices.answers() }.into());
        }
        _ => {}
    }
    let event = ctx.event(
        repo,
        Body::Step {
            step: step.clone(),
            phase: placed.phase,
            outcome,
            choice,
            note,
            runbook: Some(placed.runbook.to_string()),
        },
    )?;
    ctx.append(repo, &inc.id, std::slice::from_ref(&event))?;
    Ok(event)
}

/// The step's `on_fail` target, or an error saying it has none.
pub fn on_fail_target(placed: PlacedStep<'_>) -> Result<String> {
    placed.step.on_fail.clone().ok_or_else(|| RunbookError::NoOnFail { step: placed.step.id.clone() }.into())
}

/// The last command run for the step, when it did not exit as the step expects: the walk
/// stops there and offers what to do.
pub fn failed_run<'a>(inc: &'a Incident, placed: PlacedStep<'a>) -> Option<&'a crate::state::CommandRecord> {
    let expected = placed.step.expect_exit.unwrap_or(0);
    inc.commands_of(placed.runbook)
        .filter(|c| c.step == placed.step.id)
        .last()
        .filter(|c| c.exit_code != Some(expected))
}

/// The command as the responder sees it before confirming: exactly the text `sh -c` gets
/// (a final line break aside), continuation lines indented under the `$`.
pub fn shown_command(command: &str) -> String {
    let text = command.strip_suffix('\n').unwrap_or(command);
    // Exactly as it will run, never shortened; a control character in it is shown, not obeyed.
    format!("$ {}", crate::ui::visible_lines(text).replace('\n', "\n  "))
}

/// When runbook `id` was attached, if its file's digest then differs from `digest` now; `None`
/// when it is unchanged, or when the log predates digests and cannot tell.
pub fn changed_since_attached(
    inc: &Incident,
    id: &str,
    digest: &str,
) -> Option<chrono::DateTime<chrono::Utc>> {
    match inc.attached.get(id) {
        Some((Some(then), at)) if then != digest => Some(*at),
        _ => None,
    }
}

/// Runs a step's command after showing it and asking for confirmation, and logs how it ended
/// and its redacted, capped output. The command comes from the runbook file as it is now, and
/// a file changed since it was attached is flagged before anything runs. Returns 1
/// when the exit code is not the one the step expects, or the command timed out or was
/// interrupted with Ctrl-C (which ends the command, not the tool).
pub fn run_command(ctx: &Ctx, repo: &Repo, inc: &Incident, placed: PlacedStep<'_>) -> Result<u8> {
    inc.require_open()?;
    let cx = crate::load::context(&repo.config);
    let (current, digest) = crate::load::runbook_with_digest(&repo.runbooks_dir(), placed.runbook, &cx)?;
    let step = current.step(&placed.step.id)?.step;
    let Some(command) = step.run.as_deref() else {
        return Err(RunbookError::NoCommand { step: step.id.clone() }.into());
    };
    let changed = changed_since_attached(inc, &current.id, &digest);
    ctx.say(shown_command(command))?;
    if let Some(at) = changed {
        ctx.ui.warn(format_args!(
            "runbook {} changed since it was attached at {}; the command shown is the current file's (`incident runbook attach {}` accepts the file as it is now)",
            current.id,
            timefmt::rfc3339(at),
            current.id
        ))?;
    }
    let question = if changed.is_some() {
        "The runbook changed since it was attached. Run this command?"
    } else {
        "Run this command?"
    };
    if !ctx.confirm(question, &format!("running step {}'s command", step.id))? {
        ctx.say("not run")?;
        return Ok(0);
    }
    let timeout = step.timeout();
    // Started now, after the answer: the event is logged when it ends and says when it began.
    let started = ctx.clock_now();
    let mut cmd = runner::shell(command, &repo.root);
    runner::with_incident(&mut cmd, [&inc.id, &inc.title, &inc.severity], &inc.services, &repo.root);
    let watched = run_watched(ctx, cmd, "sh", timeout)?;
    let ran = &watched.ran;
    let expected = step.expect_exit.unwrap_or(0);
    let timeout_s = timeout.as_secs();
    let event = ctx.event_at(
        repo,
        Body::Command {
            step: step.id.clone(),
            command: command.to_string(),
            exit_code: ran.exit_code,
            output: ran.output.clone(),
            truncated: ran.truncated,
            duration_ms: ran.duration_ms,
            runbook: Some(current.id.clone()),
            timeout_s: Some(timeout_s),
            timed_out: ran.timed_out,
            interrupted: ran.interrupted,
            signal: ran.signal.map(str::to_string),
            runbook_sha256: Some(digest),
        },
        ctx.at().or(Some(started)),
    )?;
    // Logged before anything more is shown: a screen that went away must not lose what ran.
    ctx.append(repo, &inc.id, std::slice::from_ref(&event))?;
    let ran = watched.show(ctx)?;
    let ending =
        runner::ending(ran.exit_code, ran.timed_out.then_some(timeout_s), ran.interrupted, ran.signal);
    let (said, code) = match ran.exit_code {
        Some(c) if c == expected => (format!("exit {c} (as expected), logged"), 0),
        Some(c) => (format!("exit {c}, expected {expected}; logged"), 1),
        None if ran.timed_out || ran.interrupted => {
            (format!("{ending}: its process group was killed; logged"), 1)
        }
        None => (format!("{ending}; logged"), 1),
    };
    if let Some(signal) = ran.signal {
        // Asked to stop: logged above; no further question, no JSON as if all went well.
        return Err(RunbookError::Stopped { step: step.id.clone(), signal }.into());
    }
    ctx.say(said)?;
    if ctx.global.json {
        ctx.print_json(&serde_json::json!({
            "incident": inc.id,
            "events": [event],
            "runbook_changed": changed.is_some(),
        }))?;
    }
    Ok(code)
}

/// Attaches runbook `id` (as `lint` accepts it) to the incident; the walk follows it from
/// the current phase on. Attaching the runbook already followed changes nothing, unless its
/// file changed since: then the file as it is now is recorded, and its commands are no
/// longer flagged.
pub fn attach_runbook(ctx: &Ctx, repo: &Repo, inc: &Incident, id: &str) -> Result<u8> {
    inc.require_open()?;
    let cx = crate::load::context(&repo.config);
    let (rb, digest) = crate::load::runbook_with_digest(&repo.runbooks_dir(), id, &cx)?;
    let recorded = inc.attached.get(&rb.id);
    let same_file = recorded.is_some_and(|(d, _)| d.as_deref() == Some(digest.as_str()));
    let said = if inc.runbook.as_deref() != Some(rb.id.as_str()) {
        format!("runbook {} attached; the walk follows it from phase {}", rb.id, inc.phase())
    } else if same_file {
        ctx.say(format!("runbook {} is already the one the walk follows", rb.id))?;
        return Ok(0);
    } else {
        format!("runbook {} attached again, as its file is now", rb.id)
    };
    let event = ctx.event(repo, Body::Runbook { runbook: rb.id.clone(), sha256: Some(digest) })?;
    ctx.append_and_say(repo, &inc.id, vec![event], &said)
}

/// Moves the response into `phase` and says so, with the phase's budget as `status` shows it.
pub fn enter_phase(ctx: &Ctx, repo: &Repo, inc: &Incident, phase: Phase) -> Result<u8> {
    inc.require_open()?;
    if inc.phase() == phase {
        return Err(RecordError::AlreadyInPhase { id: inc.id.clone(), phase }.into());
    }
    let event = ctx.event(repo, Body::Phase { phase })?;
    ctx.append(repo, &inc.id, std::slice::from_ref(&event))?;
    // As the log now stands (a severity changed from another shell counts), with the
    // runbook's override: the budget `status` and the card show.
    let entered = ctx.load(repo, &inc.id)?;
    let runbook = attached_runbook(repo, &entered).ok();
    let budget = metrics::phase_budget(&entered, &repo.config, runbook.as_ref(), phase);
    let said = format!("phase {phase} started (budget {})", timefmt::human(budget.seconds));
    ctx.say_appended(&inc.id, &[event], &said)?;
    Ok(0)
}

/// A command that ran, its output shown as it came on a terminal ([`run_watched`]).
pub struct Watched {
    pub ran: runner::Ran,
    live: Option<runner::Live>,
    /// A write of the live view that failed: the command went on, the failure is told once
    /// what ran is logged.
    unshown: Option<crate::error::Error>,
}

/// Runs `cmd` (`program` names it if it cannot start) for at most `timeout`, bounded and
/// redacted as every command the tool runs (`runner::bounded_live`); on a terminal its output
/// is shown as it comes (redacted, bounded), else once it ends ([`Watched::show`]). The
/// caller logs what ran, then calls `show`.
pub fn run_watched(
    ctx: &Ctx,
    cmd: std::process::Command,
    program: &'static str,
    timeout: std::time::Duration,
) -> Result<Watched> {
    let on_terminal = std::io::stdout().is_terminal() && !ctx.global.json;
    let mut live = on_terminal.then(runner::Live::new);
    // The live view cannot fail the command mid-run: a write that fails stops the view, and
    // the failure is the command's once it ends.
    let mut unshown = None;
    let mut show = |chunk: &[u8]| {
        if let Some(live) = live.as_mut().filter(|_| unshown.is_none()) {
            // Live lines come made visible (`runner::Live`).
            unshown =
                live.push(chunk).iter().try_for_each(|line| writeln!(ctx.ui.out().raw(), "{line}")).err();
        }
    };
    let sink: Option<&mut runner::Sink<'_>> = if on_terminal { Some(&mut show) } else { None };
    let ran = runner::bounded_live(cmd, None, timeout.max(std::time::Duration::from_secs(1)), sink)
        .map_err(|source| SystemError::Spawn { program, source })?;
    Ok(Watched { ran, live, unshown })
}

impl Watched {
    /// Shows what the live view did not: the last lines of output it held back, or the whole
    /// (capped) output when there was no terminal.
    pub fn show(mut self, ctx: &Ctx) -> Result<runner::Ran> {
        if let Some(e) = self.unshown {
            return Err(e);
        }
        let ran = self.ran;
        match self.live.as_mut() {
            Some(live) => {
                live.finish().iter().try_for_each(|line| writeln!(ctx.ui.out().raw(), "{line}"))?;
                if live.held_back() {
                    // The beginning was shown as it came; the end is what the log keeps of it.
                    let end = tail_lines(&ran.output, SHOWN_AT_THE_END);
                    writeln!(ctx.ui.out(), "[… the end of the output:]")?;
                    ctx.say(end.strip_suffix('\n').unwrap_or(end))?;
                }
            }
            None if !ran.output.is_empty() => {
                ctx.say(ran.output.strip_suffix('\n').unwrap_or(&ran.output))?
            }
            None => {}
        }
        Ok(ran)
    }
}

/// How many lines of the output's end are shown when the command ends, after the live view
/// held lines back.
const SHOWN_AT_THE_END: usize = 20;

/// The last `n` lines of `text`.
fn tail_lines(text: &str, n: usize) -> &str {
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body.rmatch_indices('\n').nth(n.saturating_sub(1)) {
        Some((i, _)) => text.split_at_checked(i + 1).map_or(text, |(_, last)| last),
        None => text,
    }
}

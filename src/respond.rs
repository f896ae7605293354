//! The response's actions, shared by the one-shot commands (`step`, `phase`) and the
//! interactive `walk`, so both write identical events: record a step's outcome, run a step's
//! command, enter a phase. Each checks that the incident is open and logs through `Ctx`.

use crate::ctx::Ctx;
use crate::error::{Error, Result};
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
            return Err(Error::UnknownAnswer {
                step: step.clone(),
                given: c.clone(),
                answers: choices.answers(),
            });
        }
        (Some(_), true) => return Err(Error::NotADecision { step: step.clone() }),
        (None, false) if outcome == Outcome::Done => {
            return Err(Error::AnswerNeeded { step: step.clone(), answers: choices.answers() });
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
    placed.step.on_fail.clone().ok_or_else(|| Error::NoOnFail { step: placed.step.id.clone() })
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

/// Runs a step's command after confirmation and logs its exit code and redacted output.
/// Returns 1 when the exit code is not the one the step expects.
pub fn run_command(ctx: &Ctx, repo: &Repo, inc: &Incident, placed: PlacedStep<'_>) -> Result<u8> {
    let step = placed.step;
    let Some(command) = step.run.as_deref() else {
        return Err(Error::NoCommand { step: step.id.clone() });
    };
    inc.require_open()?;
    ctx.say(format!("$ {command}"));
    if !ctx.confirm("Run this command?", &format!("running step {}'s command", step.id))? {
        ctx.say("not run");
        return Ok(0);
    }
    let ran =
        runner::run(command, inc, &repo.root).map_err(|source| Error::Spawn { program: "sh", source })?;
    if !ran.output.is_empty() {
        ctx.say(ran.output.strip_suffix('\n').unwrap_or(&ran.output));
    }
    let expected = step.expect_exit.unwrap_or(0);
    let event = ctx.event(
        repo,
        Body::Command {
            step: step.id.clone(),
            command: command.to_string(),
            exit_code: ran.exit_code,
            output: ran.output,
            truncated: ran.truncated,
            duration_ms: ran.duration_ms,
            runbook: Some(placed.runbook.to_string()),
        },
    )?;
    ctx.append(repo, &inc.id, std::slice::from_ref(&event))?;
    let (said, code) = match ran.exit_code {
        Some(c) if c == expected => (format!("exit {c} (as expected), logged"), 0),
        Some(c) => (format!("exit {c}, expected {expected}; logged"), 1),
        None => ("killed by a signal; logged".to_string(), 1),
    };
    ctx.say(said);
    if ctx.global.json {
        ctx.say_appended(&inc.id, &[event], "")?;
    }
    Ok(code)
}

/// Attaches runbook `id` (as `lint` accepts it) to the incident; the walk follows it from
/// the current phase on. Attaching the runbook already followed changes nothing.
pub fn attach_runbook(ctx: &Ctx, repo: &Repo, inc: &Incident, id: &str) -> Result<u8> {
    inc.require_open()?;
    let rb = crate::load::runbook(&repo.runbooks_dir(), id, &crate::load::context(&repo.config))?;
    if inc.runbook.as_deref() == Some(rb.id.as_str()) {
        ctx.say(format!("runbook {} is already the one the walk follows", rb.id));
        return Ok(0);
    }
    let event = ctx.event(repo, Body::Runbook { runbook: rb.id.clone() })?;
    let said = format!("runbook {} attached; the walk follows it from phase {}", rb.id, inc.phase());
    ctx.append_and_say(repo, &inc.id, vec![event], &said)
}

/// Moves the response into `phase` and says so, with the phase's budget as `status` shows it.
pub fn enter_phase(ctx: &Ctx, repo: &Repo, inc: &Incident, phase: Phase) -> Result<u8> {
    inc.require_open()?;
    if inc.phase() == phase {
        return Err(Error::AlreadyInPhase { id: inc.id.clone(), phase });
    }
    let event = ctx.event(repo, Body::Phase { phase })?;
    let when = event.when();
    ctx.append(repo, &inc.id, std::slice::from_ref(&event))?;
    // The runbook's override counts, as in `status`.
    let runbook = attached_runbook(repo, inc).ok();
    let rows = metrics::phases(inc, &repo.config, runbook.as_ref(), when);
    let budget = rows.iter().find(|r| r.phase == phase).map_or(0, |r| r.budget_s);
    let said = format!("phase {phase} started (budget {})", timefmt::human(budget));
    ctx.say_appended(&inc.id, &[event], &said)?;
    Ok(0)
}

//! `incident step done|skip|fail|run`: the walk's actions without the walk. The walk calls the
//! same functions, so both write identical events.

use crate::cli::StepCmd;
use crate::cmd::open::unknown_runbook;
use crate::cmd::record::target;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::{Body, Outcome};
use crate::flow::Plan;
use crate::repo::Repo;
use crate::runbook::{self, PlacedStep, Runbook};
use crate::runner;
use crate::state::{Incident, State};
use crate::timefmt;

pub fn run(ctx: &Ctx, cmd: StepCmd) -> Result<u8> {
    let (repo, inc) = target(ctx, None)?;
    let rb = attached_runbook(&repo, &inc)?;
    match cmd {
        StepCmd::Done { step, note, choice } => {
            record(ctx, &repo, &inc, &rb, &step, Outcome::Done, note, choice)
        }
        StepCmd::Skip { step, note } => record(ctx, &repo, &inc, &rb, &step, Outcome::Skipped, note, None),
        StepCmd::Fail { step, note } => record(ctx, &repo, &inc, &rb, &step, Outcome::Failed, note, None),
        StepCmd::Run { step } => {
            let placed = find(&rb, &step)?;
            run_command(ctx, &repo, &inc, placed)
        }
    }
}

pub fn attached_runbook(repo: &Repo, inc: &Incident) -> Result<Runbook> {
    let Some(id) = &inc.runbook else {
        return Err(Error::Usage(format!(
            "incident {} has no runbook; attach one with `incident walk --runbook ID`",
            inc.id
        )));
    };
    runbook::find(&repo.runbooks_dir(), id).map_err(|loaded| unknown_runbook(id, &loaded))
}

pub fn find<'a>(rb: &'a Runbook, step: &str) -> Result<PlacedStep<'a>> {
    rb.find_step(step).ok_or_else(|| {
        let ids: Vec<String> = rb.steps().iter().map(|s| s.step.id.clone()).collect();
        Error::Usage(format!("unknown step {step:?} in runbook {}; its steps: {}", rb.id, ids.join(", ")))
    })
}

#[allow(clippy::too_many_arguments)]
pub fn record(
    ctx: &Ctx,
    repo: &Repo,
    inc: &Incident,
    rb: &Runbook,
    step: &str,
    outcome: Outcome,
    note: Option<String>,
    choice: Option<String>,
) -> Result<u8> {
    let placed = find(rb, step)?;
    let when = append_outcome(ctx, repo, inc, placed, outcome, note, choice.clone())?;
    println!(
        "{}  step {step} {}{}",
        timefmt::rfc3339(when),
        outcome.name(),
        choice.map(|c| format!(" → {c}")).unwrap_or_default()
    );
    // Say what comes next, from the log as it now stands.
    let inc = repo.load(&inc.id)?.incident;
    let plan = Plan::compute(rb, &inc);
    match plan.current_step() {
        Some(next) if next.phase != inc.phase() => {
            println!(
                "phase {} is complete; next: `incident phase next`, then step {}",
                inc.phase(),
                next.step.id
            )
        }
        Some(next) => println!("next: {} — {}", next.step.id, next.step.title),
        None => println!("every runbook step is settled; when the service is healthy: `incident resolve`"),
    }
    Ok(0)
}

/// Checks an outcome against the step (a decision needs one of its answers) and logs it.
pub fn append_outcome(
    ctx: &Ctx,
    repo: &Repo,
    inc: &Incident,
    placed: PlacedStep<'_>,
    outcome: Outcome,
    note: Option<String>,
    choice: Option<String>,
) -> Result<chrono::DateTime<chrono::Utc>> {
    if inc.state != State::Open {
        return Err(Error::Usage(format!("incident {} is {}", inc.id, inc.state.name())));
    }
    let step = &placed.step.id;
    let answers: Vec<&str> = placed.step.choices.iter().map(|(k, _)| k.as_str()).collect();
    match (&choice, answers.is_empty()) {
        (Some(c), false) if !answers.contains(&c.as_str()) => {
            return Err(Error::Usage(format!(
                "step {step} has no answer {c:?}; answers: {}",
                answers.join(", ")
            )));
        }
        (Some(_), true) => {
            return Err(Error::Usage(format!("step {step} is not a decision; drop --choice")));
        }
        (None, false) if outcome == Outcome::Done => {
            return Err(Error::Usage(format!(
                "step {step} is a decision: pass --choice {}",
                answers.join("|")
            )));
        }
        _ => {}
    }
    let event =
        ctx.event(repo, Body::Step { step: step.clone(), phase: placed.phase, outcome, choice, note })?;
    let when = event.when();
    repo.append(&inc.id, &[event])?;
    Ok(when)
}

/// Runs a step's command after confirmation and logs its exit code and redacted output.
/// Returns 1 when the exit code is not the one the step expects.
pub fn run_command(ctx: &Ctx, repo: &Repo, inc: &Incident, placed: PlacedStep<'_>) -> Result<u8> {
    let step = placed.step;
    let Some(command) = step.run.as_deref() else {
        return Err(Error::Usage(format!("step {} has no command to run", step.id)));
    };
    if inc.state != State::Open {
        return Err(Error::Usage(format!("incident {} is {}", inc.id, inc.state.name())));
    }
    println!("$ {command}");
    if !ctx.confirm("Run this command?", &format!("running step {}'s command", step.id))? {
        println!("not run");
        return Ok(0);
    }
    let ran =
        runner::run(command, inc, &repo.root).map_err(|e| Error::Usage(format!("cannot start sh: {e}")))?;
    print!("{}", ran.output);
    if !ran.output.is_empty() && !ran.output.ends_with('\n') {
        println!();
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
        },
    )?;
    repo.append(&inc.id, &[event])?;
    match ran.exit_code {
        Some(c) if c == expected => {
            println!("exit {c} (as expected), logged");
            Ok(0)
        }
        Some(c) => {
            println!("exit {c}, expected {expected}; logged");
            Ok(1)
        }
        None => {
            println!("killed by a signal; logged");
            Ok(1)
        }
    }
}

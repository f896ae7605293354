//! `incident step done|skip|fail|run`: the walk's actions without the walk (`respond` holds
//! what both do).

use crate::cli::StepCmd;
use crate::ctx::Ctx;
use crate::error::Result;
use crate::events::Outcome;
use crate::flow::Plan;
use crate::load;
use crate::repo::Repo;
use crate::respond;
use crate::runbook::Runbook;
use crate::state::Incident;

pub fn run(ctx: &Ctx, cmd: StepCmd) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    let rb = load::attached_runbook(&repo, &inc)?;
    match cmd {
        StepCmd::Done { step, note, choice } => {
            record(ctx, &repo, &inc, &rb, &step, Outcome::Done, note, choice)
        }
        StepCmd::Skip { step, note } => record(ctx, &repo, &inc, &rb, &step, Outcome::Skipped, note, None),
        StepCmd::Fail { step, note, jump } => {
            // `--jump` follows the step's `on_fail`: recorded as the failure's choice.
            let choice = if jump { Some(respond::on_fail_target(rb.step(&step)?)?) } else { None };
            record(ctx, &repo, &inc, &rb, &step, Outcome::Failed, note, choice)
        }
        StepCmd::Run { step } => respond::run_command(ctx, &repo, &inc, rb.step(&step)?),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    ctx: &Ctx,
    repo: &Repo,
    inc: &Incident,
    rb: &Runbook,
    step: &str,
    outcome: Outcome,
    note: Option<String>,
    choice: Option<String>,
) -> Result<u8> {
    let placed = rb.step(step)?;
    let event = respond::record_outcome(ctx, repo, inc, placed, outcome, note, choice.clone())?;
    let said =
        format!("step {step} {}{}", outcome.name(), choice.map(|c| format!(" → {c}")).unwrap_or_default());
    ctx.say_appended(&inc.id, &[event], &said)?;
    // Say what comes next, from the log as it now stands.
    let inc = ctx.load(repo, &inc.id)?;
    let plan = Plan::compute(rb, &inc);
    match plan.current_step() {
        Some(next) if next.phase != inc.phase() => ctx.say(format!(
            "phase {} is complete; next: `incident phase next`, then step {}",
            inc.phase(),
            next.step.id
        ))?,
        Some(next) => ctx.say(format!("next: {} — {}", next.step.id, next.step.title))?,
        None => ctx.say("every runbook step is settled; when the service is healthy: `incident resolve`")?,
    }
    Ok(0)
}

//! `incident`: incident response in the terminal. `main.rs` parses arguments and calls
//! [`run`]; everything else lives in these modules, named after what they own.

pub mod backoff;
pub mod branch;
pub mod card;
pub mod cli;
pub mod cmd;
pub mod complete;
pub mod config;
pub mod ctx;
pub mod deliver;
pub mod doctor;
pub mod error;
pub mod events;
pub mod flow;
pub mod fsutil;
pub mod head;
pub mod ids;
pub mod index;
pub mod lint;
pub mod load;
pub mod metrics;
pub mod model;
pub mod names;
pub mod narrate;
pub mod out;
pub mod phase;
pub mod postmortem;
pub mod prompt;
pub mod redact;
pub mod render;
pub mod repo;
pub mod report;
pub mod respond;
pub mod runbook;
pub mod runner;
pub mod safe_path;
pub mod schema;
pub mod starter;
pub mod state;
pub mod stats;
pub mod statuspage;
pub mod sync;
pub mod timefmt;
pub mod ui;
pub mod wire;
pub mod yaml;

use cli::{Cli, Command};
use ctx::Ctx;
use error::Result;

/// Runs one command; the returned number is the exit code (0 success, 1 a problem found).
pub fn run(cli: Cli) -> Result<u8> {
    finish(&Ctx::new(cli.global)?, cli.command)
}

/// Runs one command with the clock fixed at `now`, nobody at the terminal, saying things
/// through `ui`: how `demo` replays its scenario, so the log holds the scenario's times, not
/// the machine's, and stdout holds the demo's own line only.
pub fn run_at(cli: Cli, now: chrono::DateTime<chrono::Utc>, ui: out::Ui) -> Result<u8> {
    finish(&Ctx::at_time(cli.global, now, false, ui)?, cli.command)
}

/// The command, then whatever it fell back to and has not said yet (a runbook that fails
/// lint, read as its last good commit had it, after the command's last warning).
fn finish(ctx: &Ctx, command: Command) -> Result<u8> {
    let result = dispatch(ctx, command);
    let told = ctx.tell_fallbacks();
    let code = result?;
    told?;
    Ok(code)
}

fn dispatch(ctx: &Ctx, command: Command) -> Result<u8> {
    match command {
        Command::Init { path } => cmd::init::run(ctx, path),
        Command::Open(args) => cmd::open::run(ctx, args),
        Command::Walk { id, runbook } => cmd::walk::run(ctx, id.as_deref(), runbook.as_deref()),
        Command::Step(step) => cmd::step::run(ctx, step),
        Command::Runbook(cli::RunbookCmd::Attach { id }) => cmd::runbook::attach(ctx, &id),
        Command::Phase { target } => cmd::phase::run(ctx, &target),
        Command::Log { note } => cmd::record::log(ctx, note),
        Command::Mark { milestone } => cmd::record::mark(ctx, milestone),
        Command::Severity { severity, reason } => cmd::record::severity(ctx, &severity, reason),
        Command::Role { role, name } => cmd::record::role(ctx, role, name),
        Command::Action(args) => cmd::actions::action(ctx, args),
        Command::Actions { open, owner, overdue } => cmd::actions::list(ctx, open, owner.as_deref(), overdue),
        Command::Retro { section, text } => cmd::record::retro(ctx, section, text),
        Command::Impact { share, customers, failed_orders, tickets } => {
            cmd::record::impact(ctx, share, customers, failed_orders, tickets)
        }
        Command::Resolve { root_cause } => cmd::record::resolve(ctx, root_cause),
        Command::Close => cmd::record::close(ctx),
        Command::Amend { event, text } => cmd::correct::amend(ctx, &event, text),
        Command::Retract { event, reason } => cmd::correct::retract(ctx, &event, reason),
        Command::Update(args) => cmd::update::update(ctx, args),
        Command::Updates { id } => cmd::update::list(ctx, id.as_deref()),
        Command::Status { id } => cmd::status::run(ctx, id.as_deref()),
        Command::List { all } => cmd::list::run(ctx, all),
        Command::Timeline { id, ids } => cmd::timeline::run(ctx, id.as_deref(), ids),
        Command::Postmortem { id, no_commit, template, output } => {
            cmd::postmortem::run(ctx, id.as_deref(), no_commit, template, output)
        }
        Command::Stats(args) => cmd::stats::run(ctx, args),
        Command::StatusPage { output, days } => cmd::status_page::run(ctx, output, days),
        Command::Lint { paths, format, explain } => cmd::lint::run(ctx, &paths, format, explain.as_deref()),
        Command::Doctor { fix } => cmd::doctor::run(ctx, fix),
        Command::Sync { watch } => cmd::sync::run(ctx, watch.as_deref()),
        Command::Schema => cmd::lint::schema(ctx),
        Command::Demo { output, keep: _ } => cmd::demo::run(ctx, output),
        Command::Completions { shell } => cmd::docs::completions(ctx, shell),
        Command::Man { dir } => cmd::docs::man(ctx, dir.as_deref()),
    }
}

//! `incident`: incident response in the terminal. `main.rs` parses arguments and calls
//! [`main`]; everything else lives in these modules, named after what they own.
//!
//! The modules are private: the binary is the product, so the library's public surface is
//! the argument definitions ([`cli`]), [`main`], and the [`internals`] the integration tests
//! and fuzz targets drive directly. With nothing else public, rustc reports an item no
//! command uses as dead code.

mod alerts;
mod backoff;
mod branch;
mod card;
mod changes;
pub mod cli;
mod cmd;
mod complete;
mod config;
mod ctx;
mod deliver;
mod doctor;
mod error;
mod events;
mod flow;
mod fsutil;
mod graph;
mod head;
mod ids;
mod index;
mod ingest;
mod lint;
mod listen;
mod load;
mod metrics;
mod model;
mod names;
mod narrate;
mod out;
mod phase;
mod postmortem;
mod prompt;
mod redact;
mod render;
mod repo;
mod report;
mod respond;
mod runbook;
mod runner;
mod safe_path;
mod schema;
mod starter;
mod state;
mod stats;
mod statuspage;
mod sync;
mod timefmt;
mod ui;
mod wire;
mod yaml;

use cli::{Cli, Command};
use ctx::Ctx;
use error::Result;

/// Runs the command line `cli` asks for and says how it ended: the exit code (0 success, 1 a
/// problem found, 2 a usage or input error), an error on stderr (as JSON with `--json`), and
/// each of its hints on a line of its own.
pub fn main(cli: Cli) -> std::process::ExitCode {
    use std::process::ExitCode;
    let json = cli.global.json;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        // `incident list | head -1`: the reader had what it wanted; stopping is success.
        Err(e) if out::reader_gone(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            let ui = out::Ui::terminal();
            // Nothing more can be done when stderr is gone too.
            let _ = if json {
                // With --json an error is machine output too.
                writeln!(ui.status().raw(), "{}", e.to_json())
            } else {
                ui.explain("error: ", &e)
            };
            ExitCode::from(code)
        }
    }
}

/// Runs one command; the returned number is the exit code (0 success, 1 a problem found).
fn run(cli: Cli) -> Result<u8> {
    finish(&Ctx::new(cli.global)?, cli.command)
}

/// Runs one command with the clock fixed at `now`, nobody at the terminal, saying things
/// through `ui`: how `demo` replays its scenario, so the log holds the scenario's times, not
/// the machine's, and stdout holds the demo's own line only.
pub(crate) fn run_at(cli: Cli, now: chrono::DateTime<chrono::Utc>, ui: out::Ui) -> Result<u8> {
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
        Command::Runbook(cli::RunbookCmd::Graph { id, format }) => cmd::runbook::graph(ctx, &id, format),
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
        Command::Visibility { visibility } => cmd::classify::visibility(ctx, visibility),
        Command::Drill { drill } => cmd::classify::drill(ctx, drill == cli::Toggle::On),
        Command::Cancel { reason } => cmd::classify::cancel(ctx, reason),
        Command::Amend { event, text } => cmd::correct::amend(ctx, &event, text),
        Command::Retract { event, reason } => cmd::correct::retract(ctx, &event, reason),
        Command::Update(args) => cmd::update::update(ctx, args),
        Command::Maintenance(args) => cmd::maintenance::run(ctx, args),
        Command::Change(change) => cmd::change::run(ctx, change),
        Command::Changes { since, services } => cmd::change::list(ctx, since.as_deref(), &services),
        Command::Ingest(args) => cmd::ingest::run(ctx, args),
        Command::Updates { id } => cmd::update::list(ctx, id.as_deref()),
        Command::Status { id } => cmd::status::run(ctx, id.as_deref()),
        Command::Brief { id } => cmd::brief::run(ctx, id.as_deref()),
        Command::List { all } => cmd::list::run(ctx, all),
        Command::Timeline { id, ids } => cmd::timeline::run(ctx, id.as_deref(), ids),
        Command::Postmortem { id, no_commit, template, output } => {
            cmd::postmortem::run(ctx, id.as_deref(), no_commit, template, output)
        }
        Command::Stats(args) => cmd::stats::run(ctx, args),
        Command::StatusPage { output, days, allow_unreadable } => {
            cmd::status_page::run(ctx, output, days, allow_unreadable)
        }
        Command::Lint { paths, format, explain, check_programs, shellcheck, shellcheck_level } => {
            cmd::lint::run(
                ctx,
                &paths,
                format,
                explain.as_deref(),
                check_programs,
                (shellcheck, shellcheck_level),
            )
        }
        Command::Doctor { fix } => cmd::doctor::run(ctx, fix),
        Command::Sync { watch } => cmd::sync::run(ctx, watch.as_deref()),
        Command::Schema => cmd::lint::schema(ctx),
        Command::Demo { output, keep: _ } => cmd::demo::run(ctx, output),
        Command::Completions { shell } => cmd::docs::completions(ctx, shell),
        Command::Man { dir } => cmd::docs::man(ctx, dir.as_deref()),
    }
}

/// Not an API: the parts the integration tests and fuzz targets drive directly, below the
/// command line (a lint rule on a text, a log's parser, the capture of a command's output),
/// each named here so that everything else can stay private to the crate.
#[doc(hidden)]
pub mod internals {
    pub mod alerts {
        pub use crate::alerts::{Format, MAX_BODY, Notification, PayloadError, ReceivedAlert, parse};
    }
    pub mod cmd {
        pub mod demo {
            pub use crate::cmd::demo::{What, log_recorded, parse};
        }
    }
    pub mod config {
        pub use crate::config::Service;
    }
    pub mod events {
        pub use crate::events::{
            AlertStatus, Body, Event, Milestone, Outcome, PublicStatus, parse, without_unreadable,
        };
    }
    pub mod lint {
        pub use crate::lint::{Context, Declared, Finding, Severity, find_rule, lint_text};
    }
    pub mod load {
        pub use crate::load::repo;
    }
    pub mod phase {
        pub use crate::phase::Phase;
    }
    pub mod postmortem {
        pub use crate::postmortem::context;
    }
    pub mod redact {
        pub use crate::redact::{SAMPLES, compile, redact, redact_with};
    }
    pub mod render {
        pub use crate::render::render_markdown;
    }
    pub mod repo {
        pub use crate::repo::Repo;
    }
    pub mod runner {
        pub use crate::runner::{Capture, OUTPUT_CAP};
    }
    pub mod safe_path {
        pub use crate::safe_path::{check_name, check_path};
    }
    pub mod starter {
        pub use crate::starter::{POSTMORTEM_TEMPLATE, install};
    }
    pub mod state {
        pub use crate::state::Incident;
    }
    pub mod timefmt {
        pub use crate::timefmt::{human, parse_duration, parse_time, rfc3339, stored};
    }
    pub mod ui {
        pub use crate::ui::is_hidden;
    }
    pub mod yaml {
        pub use crate::yaml::{Node, Pos, ScalarMap, Style, Value, lines, parse};
    }
}

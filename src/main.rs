use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use incident::out::Ui;

fn main() -> ExitCode {
    // `COMPLETE=bash incident` prints the shell's registration script; the shell then calls
    // `incident -- incident …` with COMPLETE set for each completion (clap_complete's engine,
    // candidates from `incident::complete`). Either way the process ends here.
    clap_complete::CompleteEnv::with_factory(incident::cli::Cli::command).complete();
    let cli = incident::cli::Cli::parse();
    let json = cli.global.json;
    match incident::run(cli) {
        Ok(code) => ExitCode::from(code),
        // `incident list | head -1`: the reader had what it wanted; stopping is success.
        Err(e) if incident::out::reader_gone(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            let ui = Ui::terminal();
            // Nothing more can be done when stderr is gone too.
            let _ = if json {
                // With --json an error is machine output too.
                writeln!(ui.status().raw(), "{}", e.to_json())
            } else {
                // The message may quote a value from data: shown, never interpreted, and whole.
                writeln!(ui.status().whole(), "error: {e}")
            };
            ExitCode::from(code)
        }
    }
}

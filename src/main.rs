use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    // `COMPLETE=bash incident` prints the shell's registration script; the shell then calls
    // `incident -- incident …` with COMPLETE set for each completion (clap_complete's engine,
    // candidates from the library's `complete` module). Either way the process ends here.
    clap_complete::CompleteEnv::with_factory(incident::cli::Cli::command).complete();
    incident::main(incident::cli::Cli::parse())
}

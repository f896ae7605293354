use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    // `incident list | head` should end quietly when head does, as other CLI tools do,
    // not panic on the broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of a signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // `COMPLETE=bash incident` prints the shell's registration script; the shell then calls
    // `incident -- incident …` with COMPLETE set for each completion (clap_complete's engine,
    // candidates from `incident::complete`). Either way the process ends here.
    clap_complete::CompleteEnv::with_factory(incident::cli::Cli::command).complete();
    let cli = incident::cli::Cli::parse();
    let json = cli.global.json;
    match incident::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e.exit_code();
            if json {
                // With --json an error is machine output too.
                eprintln!("{}", e.to_json());
            } else {
                // The message may quote a value from data: shown, never interpreted. What to do
                // next follows, a line each.
                eprintln!("error: {}", incident::ui::visible(&e.to_string()));
                for hint in e.hints() {
                    eprintln!("hint: {}", incident::ui::visible(&hint));
                }
            }
            ExitCode::from(code)
        }
    }
}

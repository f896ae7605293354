use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `incident list | head` should end quietly when head does, as other CLI tools do,
    // not panic on the broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of a signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = incident::cli::Cli::parse();
    match incident::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

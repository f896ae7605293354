//! Shell completions and the man page, generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};

pub fn completions(shell: clap_complete::Shell) -> Result<u8> {
    clap_complete::generate(shell, &mut Cli::command(), "incident", &mut std::io::stdout());
    Ok(0)
}

pub fn man() -> Result<u8> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout())
        .map_err(|e| Error::Io { path: "stdout".into(), source: e })?;
    Ok(0)
}

//! `incident ingest [FILE|-]`: one alert notification from a file or stdin, taken in through
//! `ingest::receive`, the door the listener uses too.

use std::path::Path;

use crate::cli::IngestArgs;
use crate::ctx::Ctx;
use crate::error::{FileError, Result};
use crate::ingest;

pub fn run(ctx: &Ctx, args: IngestArgs) -> Result<u8> {
    if let Some(addr) = args.listen.as_deref() {
        return crate::listen::run(ctx, addr, args.token_env.as_deref(), args.format);
    }
    let repo = ctx.repo()?;
    let body = match args.file.as_deref() {
        None => ingest::read_bounded(std::io::stdin().lock(), Path::new("stdin"))?,
        Some(p) if p == Path::new("-") => ingest::read_bounded(std::io::stdin().lock(), Path::new("stdin"))?,
        Some(p) => {
            let file = crate::fsutil::nofollow()
                .read(true)
                .open(p)
                .map_err(|source| FileError::CannotRead { path: p.to_path_buf(), source })?;
            ingest::read_bounded(file, p)?
        }
    };
    let received = ingest::receive(ctx, &repo, &body, args.format)?;
    if ctx.global.json {
        ctx.print_json(&received)?;
        return Ok(0);
    }
    writeln!(ctx.ui.out(), "{}", received.line())?;
    for e in &received.events {
        writeln!(ctx.ui.out(), "  {}  {}", crate::timefmt::rfc3339(e.when()), crate::narrate::describe(e))?;
    }
    Ok(0)
}

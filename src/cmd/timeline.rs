//! `incident timeline`: every event in the order it happened, corrections applied.

use crate::ctx::Ctx;
use crate::error::Result;
use crate::narrate::{in_timeline, short_id};
use crate::timefmt;
use crate::ui;

pub fn run(ctx: &Ctx, positional: Option<&str>, ids: bool) -> Result<u8> {
    let (_, inc) = ctx.target(positional)?;
    if ctx.global.json {
        ctx.print_json(&inc.events)?;
        return Ok(0);
    }
    let mut header = vec!["Time (UTC)", "Event", "By"];
    if ids {
        header.insert(0, "Id");
    }
    let mut t = ui::table(&header);
    for e in &inc.events {
        let mut row = vec![timefmt::table(e.when()), in_timeline(&inc, e), e.by.clone()];
        if ids {
            row.insert(0, short_id(&e.id).to_string());
        }
        t.add_row(row);
    }
    writeln!(ctx.ui.out(), "{}  {}", inc.id, inc.title)?;
    writeln!(ctx.ui.out().block(), "{t}")?;
    Ok(0)
}

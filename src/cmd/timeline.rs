//! `incident timeline`: every event in the order it happened.

use crate::ctx::Ctx;
use crate::error::Result;
use crate::narrate::describe;
use crate::timefmt;
use crate::ui;

pub fn run(ctx: &Ctx, positional: Option<&str>) -> Result<u8> {
    let (_, inc) = ctx.target(positional)?;
    if ctx.global.json {
        ctx.print_json(&inc.events)?;
        return Ok(0);
    }
    let mut t = ui::table(&["Time (UTC)", "Event", "By"]);
    for e in &inc.events {
        t.add_row(vec![timefmt::table(e.when()), describe(e), e.by.clone()]);
    }
    println!("{}  {}", inc.id, inc.title);
    println!("{t}");
    Ok(0)
}

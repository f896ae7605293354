//! `incident doctor [--fix]`: lists what in the repository needs a hand, one
//! problem a line, and with `--fix` repairs what is safe to repair. Exit 1 when it found
//! something (the command ran and found a problem), fixed or not; 0 when the
//! repository is clean. After `--fix`, a second `doctor` says whether anything is left.

use crate::ctx::Ctx;
use crate::doctor;
use crate::error::Result;

pub fn run(ctx: &Ctx, fix: bool) -> Result<u8> {
    let repo = ctx.repo()?;
    let mut findings = doctor::check(&repo);
    if fix {
        doctor::fix(&repo, &mut findings);
    }
    let left = findings.iter().filter(|f| !f.fixed).count();
    if ctx.global.json {
        ctx.print_json(&findings)?;
    } else if findings.is_empty() {
        writeln!(ctx.ui.out(), "No problems found.")?;
    } else {
        for f in &findings {
            match &f.outcome {
                Some(outcome) => {
                    writeln!(ctx.ui.out(), "{}: {}: {outcome}", f.location(), f.message)?;
                }
                None => {
                    writeln!(ctx.ui.out(), "{}: {}; {}", f.location(), f.message, f.hint)?;
                }
            }
        }
        let n = findings.len();
        let problems = if n == 1 { "problem" } else { "problems" };
        if fix {
            writeln!(ctx.ui.status(), "{n} {problems}: {} fixed, {left} left", n - left)?;
        } else {
            writeln!(
                ctx.ui.status(),
                "{n} {problems}; `incident doctor --fix` repairs what is safe to repair"
            )?;
        }
    }
    Ok(u8::from(!findings.is_empty()))
}

//! `incident sync [--watch INTERVAL]`: one sync, or one every INTERVAL for a
//! war-room terminal, printing one line per change.

use std::io::IsTerminal;
use std::time::Duration;

use crate::ctx::Ctx;
use crate::error::{InputError, Result};
use crate::repo::Repo;
use crate::report::Watch;
use crate::state::State;
use crate::sync;
use crate::timefmt;

pub fn run(ctx: &Ctx, watch: Option<&str>) -> Result<u8> {
    let repo = ctx.repo()?;
    let as_flag = ctx.global.as_name.as_deref();
    // git draws its own progress bars when a person is watching stderr; quiet otherwise.
    let progress = !ctx.global.json && std::io::stderr().is_terminal();
    let Some(every) = watch else {
        let report = sync::run(&repo, as_flag, progress)?;
        if ctx.global.json {
            ctx.print_json(&report)?;
        } else {
            if let Some(line) = healed_line(&report) {
                writeln!(ctx.ui.out().whole(), "{line}")?;
            }
            writeln!(ctx.ui.out().whole(), "{}", report.line())?;
        }
        return Ok(0);
    };
    let period =
        timefmt::parse_period(every).ok_or_else(|| InputError::BadInterval { given: every.to_string() })?;
    if !ctx.global.json {
        writeln!(ctx.ui.status(), "syncing every {every}; Ctrl-C stops")?;
    }
    // The failure last printed: the same one again (a conflict waiting for a person, a
    // remote still away) is not printed every round, only when it changes or clears.
    let mut failing: Option<String> = None;
    // Update reminders, checked every second between rounds, each given once per due moment.
    let mut watch = Watch::default();
    loop {
        // UTC, as every other time the tool prints: a war room spans time zones.
        let now = timefmt::rfc3339(chrono::Utc::now());
        match sync::run(&repo, as_flag, progress) {
            Ok(report) if report.changed() || failing.is_some() || !report.healed.is_empty() => {
                failing = None;
                if ctx.global.json {
                    writeln!(ctx.ui.out().raw(), "{}", serde_json::to_string(&report)?)?;
                } else {
                    if let Some(line) = healed_line(&report) {
                        writeln!(ctx.ui.out().whole(), "{now} {line}")?;
                    }
                    writeln!(ctx.ui.out().whole(), "{now} {}", report.line())?;
                }
            }
            Ok(_) => {}
            // An unreachable remote or a conflict is one line; the watch goes on, and the
            // next round catches up (a conflict keeps refusing until a person finishes it).
            Err(e) if failing.as_deref() == Some(e.to_string().as_str()) => {}
            Err(e) => {
                failing = Some(e.to_string());
                if ctx.global.json {
                    writeln!(ctx.ui.out().raw(), "{}", e.to_json())?;
                } else {
                    writeln!(ctx.ui.out().whole(), "{now} sync failed: {}", e.with_hints())?;
                }
            }
        }
        let open = open_incidents(&repo);
        let until = std::time::Instant::now() + period;
        loop {
            remind(ctx, &repo, &open, &mut watch)?;
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_secs(1)));
        }
    }
}

/// The open incidents, whose updates may fall due.
fn open_incidents(repo: &Repo) -> Vec<String> {
    // A log that cannot be read is told by the sync line and by `status`, not every round here.
    let mut warnings = Vec::new();
    crate::index::summaries(repo, &mut warnings)
        .into_iter()
        .filter(|s| s.state == State::Open)
        .map(|s| s.id)
        .collect()
}

/// One line for each update of `open` that has just fallen due or overdue.
fn remind(ctx: &Ctx, repo: &Repo, open: &[String], watch: &mut Watch) -> Result<()> {
    let now = chrono::Utc::now();
    for r in watch.check(repo, open, now) {
        if ctx.global.json {
            writeln!(ctx.ui.out().raw(), "{}", serde_json::to_string(&r)?)?;
        } else {
            writeln!(ctx.ui.out().whole(), "{} {}: {}", timefmt::rfc3339(now), r.incident, r.line)?;
        }
    }
    Ok(())
}

/// `removed .git/index.lock, left by a sync that was killed`: said before the sync's own line.
fn healed_line(report: &sync::Report) -> Option<String> {
    (!report.healed.is_empty()).then(|| {
        let locks = report.healed.join(", ");
        format!("removed {locks}, left by a sync or commit of incident that was killed")
    })
}

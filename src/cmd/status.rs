//! `incident status`: where one incident stands, for people (tables) and scripts (`--json`).

use crate::ctx::Ctx;
use crate::error::Result;
use crate::events::{AlertStatus, Visibility};
use crate::metrics;
use crate::report;
use crate::state::State;
use crate::timefmt::{self, human, opt_human, opt_table};
use crate::ui;

pub fn run(ctx: &Ctx, positional: Option<&str>) -> Result<u8> {
    let (repo, inc) = ctx.target(positional)?;
    let s = report::build(&repo, &inc, ctx.now);
    if ctx.global.json {
        ctx.print_json(&s)?;
        return Ok(0);
    }
    let sum = &s.summary;
    let drill = if sum.drill { " · DRILL" } else { "" };
    let private = if sum.visibility == Visibility::Private { " · PRIVATE" } else { "" };
    let state = if sum.state == State::Canceled { "CANCELED" } else { sum.state.name() };
    writeln!(ctx.ui.out(), "{}  {}", sum.id, sum.title)?;
    let line = match &sum.maintenance {
        // A maintenance has a window and a state of its own, no severity and no phase.
        Some(w) => format!(
            "maintenance · {} · planned {} → {} · commander {}{drill}{private}",
            w.state.name(),
            timefmt::table(w.from),
            timefmt::table(w.until),
            sum.commander.as_deref().unwrap_or("—")
        ),
        None => format!(
            "{} · {state} · phase {} · commander {}{drill}{private}",
            metrics::severity_label(&sum.severity, Some(&s.peak_severity)),
            sum.phase,
            sum.commander.as_deref().unwrap_or("—")
        ),
    };
    writeln!(ctx.ui.out(), "{line}")?;
    if let Some(c) = &s.canceled {
        let line = format!(
            "canceled at {} by {}: {} (no postmortem needed; left out of statistics and the status page)",
            timefmt::table(c.at),
            c.by,
            c.reason
        );
        writeln!(ctx.ui.out(), "{line}")?;
    }
    if sum.visibility == Visibility::Private {
        writeln!(
            ctx.ui.out(),
            "private: kept off the public status page (`incident visibility public` to publish)"
        )?;
    }
    if !sum.services.is_empty() {
        let names: Vec<&str> = sum.services.iter().map(|id| repo.config.service_name(id)).collect();
        writeln!(ctx.ui.out(), "services: {}", names.join(", "))?;
    }
    if let Some(sync) = &s.sync {
        writeln!(ctx.ui.out().whole(), "{}", sync_line(sync, ctx.now))?;
    }
    for o in &s.also_opened {
        let line = format!(
            "NOTE: also opened by {} at {} ({}) on another machine, joined by a sync: the first opening ({} by {}) stands",
            o.by,
            timefmt::table(o.at),
            o.severity,
            inc.severities.first().map_or(sum.severity.as_str(), |s| s.value.as_str()),
            inc.opened_by
        );
        writeln!(ctx.ui.out(), "{line}")?;
    }
    // Once resolved, the response is over: there is no next step to take.
    match (&s.next_step, &s.runbook) {
        (Some(step), Some(rb)) => {
            writeln!(ctx.ui.out(), "next step ({rb}, {}): {} — {}", step.phase, step.id, step.title)?;
        }
        (None, Some(rb)) if sum.state == State::Open => {
            writeln!(ctx.ui.out(), "runbook {rb}: every step is settled")?;
        }
        _ => {}
    }
    if let Some(w) = &sum.maintenance {
        let started = w.started_at.map_or("not yet".to_string(), timefmt::table);
        let ended = w.completed_at.map_or("not yet".to_string(), timefmt::table);
        writeln!(ctx.ui.out(), "started: {started} · ended: {ended}")?;
        return after_tables(ctx, &repo, &inc, &s);
    }
    let mut phases = ui::table(&["Phase", "Budget", "Actual", ""]);
    for p in &s.phases {
        let flag = match (p.running, p.over) {
            (true, true) => "running, OVER BUDGET",
            (true, false) => "running",
            (false, true) => "over budget",
            (false, false) => "",
        };
        phases.add_row(vec![
            p.phase.name().to_string(),
            human(p.budget_s),
            opt_human(p.actual_s),
            flag.to_string(),
        ]);
    }
    writeln!(ctx.ui.out().block(), "{phases}")?;
    let k = &s.key_times;
    let m = &s.metrics;
    let mut keys = ui::table(&["Moment", "At (UTC)", "Since impact started"]);
    keys.add_row(vec!["impact started".to_string(), opt_table(k.started), String::new()]);
    keys.add_row(vec!["detected".to_string(), opt_table(k.detected), opt_human(m.time_to_detect_s)]);
    keys.add_row(vec!["acknowledged".to_string(), opt_table(k.acknowledged), String::new()]);
    keys.add_row(vec!["mitigated".to_string(), opt_table(k.mitigated), opt_human(m.time_to_mitigate_s)]);
    keys.add_row(vec!["resolved".to_string(), opt_table(k.resolved), opt_human(m.time_to_resolve_s)]);
    writeln!(ctx.ui.out().block(), "{keys}")?;
    if let Some(rev) = s.revenue_lost {
        // Ended (mitigated or resolved), the impact is a final figure; until then it grows.
        let impact = match m.impact_s {
            Some(s) => format!("impact: {}", human(s)),
            None => format!("impact so far: {}", opt_human(metrics::since_impact_s(&inc, ctx.now))),
        };
        writeln!(
            ctx.ui.out(),
            "{impact} · estimated revenue lost: {}",
            ui::money(rev, repo.config.currency())
        )?;
    }
    after_tables(ctx, &repo, &inc, &s)
}

/// What follows the tables: the next update due, what is overdue, what was not delivered.
fn after_tables(
    ctx: &Ctx,
    repo: &crate::repo::Repo,
    inc: &crate::state::Incident,
    s: &report::StatusJson,
) -> Result<u8> {
    for a in &s.alerts {
        // An alert's resolving is the sender's word; the incident stays open until a person
        // resolves it.
        let stands = match a.status {
            AlertStatus::Firing => format!("firing since {}", timefmt::table(a.starts_at)),
            AlertStatus::Resolved => format!("resolved at {}", timefmt::table(a.ends_at.unwrap_or(a.at))),
            AlertStatus::Acknowledged => format!("acknowledged in {} at {}", a.source, timefmt::table(a.at)),
        };
        writeln!(ctx.ui.out(), "alert {} ({}, {}): {stands}", a.name, a.source, a.fingerprint)?;
    }
    if let Some(c) = metrics::update_cadence(inc, &repo.config, ctx.now).filter(|c| !c.overdue) {
        writeln!(
            ctx.ui.out(),
            "next stakeholder update due {} (in {})",
            timefmt::table(c.due_at),
            human(c.due_in_s)
        )?;
    }
    for o in &s.overdue {
        writeln!(ctx.ui.out(), "OVERDUE: {o}")?;
    }
    let undelivered = report::undelivered(inc, &repo.config);
    if !undelivered.is_empty() {
        writeln!(
            ctx.ui.out(),
            "NOT DELIVERED: {} update(s); `incident update --retry` tries again",
            undelivered.len()
        )?;
        for u in undelivered {
            let last = u.last_outcome.as_deref().unwrap_or("not tried");
            writeln!(
                ctx.ui.out(),
                "  {} on {} ({} attempts: {last}): {}",
                crate::ids::short(&u.id),
                u.channel,
                u.attempts,
                render_line(&u.message)
            )?;
        }
    }
    Ok(0)
}

/// `sync: origin/main · 1 ahead, 2 behind · 3 events not yet synced · last synced … · last
/// sync failed …`. "In step" only when nothing waits either way and the last sync worked.
fn sync_line(s: &crate::repo::Standing, now: chrono::DateTime<chrono::Utc>) -> String {
    let ago = |at: chrono::DateTime<chrono::Utc>| {
        format!("{} ({} ago)", timefmt::table(at), human((now - at).num_seconds().max(0)))
    };
    let mut parts = vec![format!("sync: {}", s.remote)];
    parts.push(if !s.on_remote {
        let plural = if s.ahead == 1 { "" } else { "s" };
        format!("not on the remote yet ({} commit{plural} to push)", s.ahead)
    } else if s.in_step {
        "in step as of the last fetch".to_string()
    } else {
        format!("{} ahead, {} behind", s.ahead, s.behind)
    });
    if s.unsynced_events > 0 {
        let plural = if s.unsynced_events == 1 { "" } else { "s" };
        parts.push(format!("{} event{plural} not yet synced", s.unsynced_events));
    }
    parts.push(match s.last_synced {
        Some(at) => format!("last synced {}", ago(at)),
        None if s.last_failed.is_some() => "never synced".to_string(),
        None => "never synced (`incident sync`)".to_string(),
    });
    if let Some(f) = &s.last_failed {
        parts.push(format!("LAST SYNC FAILED {}: {}", ago(f.at), f.reason));
    }
    parts.join(" · ")
}

/// A message on one line, cut to a width a status line can hold.
fn render_line(message: &str) -> String {
    let one = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(60).and_then(|(i, _)| one.get(..i)) {
        Some(shown) => format!("{shown}…"),
        None => one,
    }
}

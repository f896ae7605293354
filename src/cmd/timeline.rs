//! `incident timeline`: every event in the order it happened.

use crate::ctx::Ctx;
use crate::error::Result;
use crate::events::{Body, Event};
use crate::timefmt::human;
use crate::ui;

/// One line of prose per event, shared by the terminal timeline and the postmortem.
pub fn describe(e: &Event) -> String {
    match &e.body {
        Body::Opened { title, severity, services, drill } => {
            let svc = if services.is_empty() { String::new() } else { format!(" ({})", services.join(", ")) };
            let drill = if *drill { " [drill]" } else { "" };
            format!("Incident opened at {severity}: {title}{svc}{drill}")
        }
        Body::Note { text } => text.clone(),
        Body::Mark { milestone } => format!("Marked {}", milestone.name()),
        Body::Severity { from, to, reason } => match reason {
            Some(r) => format!("Severity {from} → {to}: {r}"),
            None => format!("Severity {from} → {to}"),
        },
        Body::Role { role, name } => format!("{name} is {role}"),
        Body::Runbook { runbook } => format!("Runbook {runbook} attached"),
        Body::Phase { phase } => format!("Phase {phase} started"),
        Body::Step { step, outcome, choice, note, .. } => {
            let mut s = format!("Step {step} {}", outcome.name());
            if let Some(c) = choice {
                s.push_str(&format!(" (answer: {c})"));
            }
            if let Some(n) = note {
                s.push_str(&format!(": {n}"));
            }
            s
        }
        Body::Command { step, command, exit_code, duration_ms, .. } => {
            let code = exit_code.map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
            let took = if *duration_ms < 1000 {
                format!("{duration_ms} ms")
            } else {
                human(i64::try_from(duration_ms / 1000).unwrap_or(i64::MAX))
            };
            format!("Step {step} ran: {command} → {code} in {took}")
        }
        Body::Action { title, owner, .. } => format!("Action item for {owner}: {title}"),
        Body::Update { channel, message } => format!("Update on {channel}: {message}"),
        Body::Retro { section, text } => format!("Retro ({section}): {text}"),
        Body::Resolved { root_cause } => match root_cause {
            Some(r) => format!("Resolved. Root cause: {r}"),
            None => "Resolved".to_string(),
        },
        Body::Closed {} => "Closed".to_string(),
    }
}

pub fn run(ctx: &Ctx, positional: Option<&str>) -> Result<u8> {
    let repo = ctx.repo()?;
    let id = ctx.incident_id(&repo, positional)?;
    let inc = repo.load(&id)?.incident;
    if ctx.global.json {
        ctx.print_json(&inc.events)?;
        return Ok(0);
    }
    let mut t = ui::table(&["Time (UTC)", "Event", "By"]);
    for e in &inc.events {
        t.add_row(vec![ui::utc(e.when()), describe(e), e.by.clone()]);
    }
    println!("{}  {}", inc.id, inc.title);
    println!("{t}");
    Ok(0)
}

//! One line of prose per event, shared by the terminal timeline and the postmortem.

use crate::events::{AlertStatus, Body, Event, Milestone, Visibility};
use crate::state::Incident;
use crate::timefmt;

pub use crate::ids::short as short_id;

/// The event as the incident's timeline tells it: corrected facts say so, retracted ones
/// say why they no longer count.
pub fn in_timeline(inc: &Incident, e: &Event) -> String {
    let text = match (&e.body, inc.severity_before.get(&e.id)) {
        (Body::Severity { to, reason, .. }, Some(before)) => describe_severity(before, to, reason.as_deref()),
        _ => describe(e),
    };
    // Only a note may lie before impact (the deploy that set it off); said, so that a reader
    // does not take it for part of the outage.
    let before = inc.moments.get(Milestone::Started).is_some_and(|started| e.when() < started);
    let text = if before { format!("{text} (before impact)") } else { text };
    if let Some(reason) = inc.retracted.get(&e.id) {
        return format!("[retracted: {reason}] {text}");
    }
    if inc.corrected.contains(&e.id) {
        return format!("{text} (corrected)");
    }
    text
}

fn describe_severity(from: &str, to: &str, reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("Severity {from} → {to}: {r}"),
        None => format!("Severity {from} → {to}"),
    }
}

pub fn describe(e: &Event) -> String {
    match &e.body {
        Body::Opened { title, severity, services, drill, private, maintenance } => {
            let svc = if services.is_empty() { String::new() } else { format!(" ({})", services.join(", ")) };
            let drill = if *drill { " [drill]" } else { "" };
            let private = if *private { " [private]" } else { "" };
            match maintenance {
                Some(p) => format!(
                    "Maintenance scheduled from {} until {}: {title}{svc}{drill}{private}",
                    crate::timefmt::rfc3339(p.from),
                    crate::timefmt::rfc3339(p.until)
                ),
                None => format!("Incident opened at {severity}: {title}{svc}{drill}{private}"),
            }
        }
        Body::Note { text } => text.clone(),
        Body::Mark { milestone } => format!("Marked {}", milestone.name()),
        Body::Severity { from, to, reason } => describe_severity(from, to, reason.as_deref()),
        Body::Role { role, name } => format!("{name} is {role}"),
        Body::Runbook { runbook, .. } => format!("Runbook {runbook} attached"),
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
        Body::Command {
            step,
            command,
            exit_code,
            duration_ms,
            timeout_s,
            timed_out,
            interrupted,
            signal,
            ..
        } => {
            let code = crate::runner::ending(
                *exit_code,
                timed_out.then(|| timeout_s.unwrap_or(0)),
                *interrupted,
                signal.as_deref(),
            );
            format!("Step {step} ran: {command} → {code} in {}", timefmt::human_ms(*duration_ms))
        }
        Body::Action { title, owner, link, .. } => match link {
            Some(l) => format!("Action item for {owner}: {title} ({l})"),
            None => format!("Action item for {owner}: {title}"),
        },
        Body::ActionDone { action, note } => match note {
            Some(n) => format!("Action item {} done: {n}", short_id(action)),
            None => format!("Action item {} done", short_id(action)),
        },
        Body::ActionDropped { action, reason } => {
            format!("Action item {} dropped: {reason}", short_id(action))
        }
        Body::Update { channel, message, status, maintenance_status, .. } => {
            match (status.map(|s| s.name()), maintenance_status.map(|s| s.name())) {
                (Some(s), _) | (None, Some(s)) => format!("Update on {channel} ({s}): {message}"),
                (None, None) => format!("Update on {channel}: {message}"),
            }
        }
        Body::Maintenance { to } => format!("Maintenance {}", to.words().to_lowercase()),
        Body::Delivery { update, channel, attempt, delivered, http_status, exit_code, error, .. } => {
            let how = match (http_status, exit_code, error) {
                (Some(s), _, _) => format!("HTTP {s}"),
                (None, Some(c), _) => format!("exit {c}"),
                (None, None, Some(e)) => e.clone(),
                (None, None, None) => String::new(),
            };
            let done = if *delivered { "delivered" } else { "not delivered" };
            format!("Update {} {done} to {channel} (attempt {attempt}; {how})", short_id(update))
        }
        Body::Retro { section, text } => format!("Retro ({section}): {text}"),
        Body::Impact { share, customers, failed_orders, tickets } => {
            let mut parts = Vec::new();
            if let Some(p) = share {
                parts.push(format!("{p}% of traffic failing"));
            }
            for (n, what) in [
                (customers, "customers affected"),
                (failed_orders, "failed orders"),
                (tickets, "support tickets"),
            ] {
                if let Some(n) = n {
                    parts.push(format!("{n} {what}"));
                }
            }
            format!("Impact: {}", parts.join(", "))
        }
        Body::Resolved { root_cause } => match root_cause {
            Some(r) => format!("Resolved. Root cause: {r}"),
            None => "Resolved".to_string(),
        },
        Body::Closed {} => "Closed".to_string(),
        Body::Visibility { visibility: Visibility::Private } => {
            "Made private: kept off the public status page".to_string()
        }
        Body::Visibility { visibility: Visibility::Public } => {
            "Made public: on the status page when its severity or an external update puts it there"
                .to_string()
        }
        Body::Drill { drill: true } => {
            "Marked a drill: left out of statistics and the status page".to_string()
        }
        Body::Drill { drill: false } => "No longer a drill: counts as a real incident".to_string(),
        Body::Canceled { reason } => format!("Canceled: {reason}"),
        Body::Amend { event, time, text } => {
            let mut parts = Vec::new();
            if let Some(t) = time {
                parts.push(format!("time → {}", timefmt::table(*t)));
            }
            if let Some(t) = text {
                parts.push(format!("text → {t}"));
            }
            format!("Corrected event {}: {}", short_id(event), parts.join("; "))
        }
        Body::Retract { event, reason } => format!("Retracted event {}: {reason}", short_id(event)),
        Body::Alert { source, name, status, starts_at, ends_at, .. } => match status {
            AlertStatus::Firing => {
                format!("Alert {name} firing since {} ({source})", timefmt::rfc3339(*starts_at))
            }
            AlertStatus::Resolved => {
                let at = ends_at.unwrap_or(e.at);
                format!("Alert {name} resolved at {} ({source})", timefmt::rfc3339(at))
            }
            AlertStatus::Acknowledged => format!("Alert {name} acknowledged in {source}"),
        },
    }
}

//! `incident list`: every incident, newest first.

use serde::Serialize;

use crate::ctx::Ctx;
use crate::error::Result;
use crate::events::Visibility;
use crate::index::{self, Summary};
use crate::metrics;
use crate::state::State;
use crate::timefmt;
use crate::ui;

#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    /// The highest severity reached (`severity` is the current one).
    peak_severity: &'a str,
    revenue_lost: Option<f64>,
}

pub fn run(ctx: &Ctx, all: bool) -> Result<u8> {
    let repo = ctx.repo()?;
    let mut warnings = Vec::new();
    let mut summaries = index::summaries(&repo, &mut warnings);
    ctx.warn(warnings)?;
    summaries.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then_with(|| a.id.cmp(&b.id)));
    if !all && !ctx.global.json {
        // Closed and canceled ones are done with: `--all` shows them.
        summaries.retain(|s| !matches!(s.state, State::Closed | State::Canceled));
    }
    if ctx.global.json {
        let rows: Vec<Row<'_>> = summaries
            .iter()
            .map(|s| Row {
                summary: s,
                peak_severity: s.peak_severity(&repo.config),
                revenue_lost: metrics::revenue_lost(&repo.config, &s.services, s.failing_s),
            })
            .collect();
        ctx.print_json(&rows)?;
        return Ok(0);
    }
    if summaries.is_empty() {
        writeln!(
            ctx.ui.out(),
            "No incidents{}.",
            if all { "" } else { " open or awaiting a postmortem (--all shows closed and canceled ones)" }
        )?;
        return Ok(0);
    }
    let mut t = ui::table(&["Id", "Title", "Severity", "State", "Phase", "Opened (UTC)", "Impact"]);
    for s in &summaries {
        let mut title = s.title.clone();
        if s.drill {
            title.push_str(" (drill)");
        }
        if s.visibility == Visibility::Private {
            title.push_str(" (private)");
        }
        // A maintenance says so, with its own state and window where an incident has a
        // severity and a phase.
        let row = match &s.maintenance {
            Some(w) => vec![
                s.id.clone(),
                format!("{title} (maintenance {} → {})", timefmt::table(w.from), timefmt::table(w.until)),
                "—".to_string(),
                w.state.name().to_string(),
                "—".to_string(),
                timefmt::table(s.opened_at),
                timefmt::opt_human(s.impact_s),
            ],
            None => vec![
                s.id.clone(),
                title,
                s.severity_label(&repo.config),
                s.state.name().to_string(),
                s.phase.name().to_string(),
                timefmt::table(s.opened_at),
                timefmt::opt_human(s.impact_s),
            ],
        };
        t.add_row(row);
    }
    writeln!(ctx.ui.out().block(), "{t}")?;
    Ok(0)
}

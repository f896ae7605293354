//! `incident stats`: uptime and response statistics across incidents, in the
//! terminal, as JSON, CSV or a Markdown report. The figures are `stats::compute`'s.

use chrono::{DateTime, Duration, Utc};

use crate::cli::StatsArgs;
use crate::ctx::Ctx;
use crate::error::{InputError, Result};
use crate::index;
use crate::load;
use crate::out::Ui;
use crate::stats::{self, Figures, Group, Query};
use crate::timefmt::{self, human, opt_human};
use crate::ui;

fn bound(ctx: &Ctx, flag: &'static str, value: &str) -> Result<DateTime<Utc>> {
    timefmt::parse_bound(value, ctx.now)
        .map_err(|reason| InputError::BadTime { flag, value: value.to_string(), reason }.into())
}

pub fn run(ctx: &Ctx, args: StatsArgs) -> Result<u8> {
    let repo = ctx.repo()?;
    let until = args.until.as_deref().map(|u| bound(ctx, "--until", u)).transpose()?.unwrap_or(ctx.now);
    let since = match args.since.as_deref() {
        Some(s) => bound(ctx, "--since", s)?,
        None => until - Duration::days(365),
    };
    if since >= until {
        return Err(InputError::BadTime {
            flag: "--since",
            value: timefmt::rfc3339(since),
            reason: format!(
                "the period is empty: --since must be before --until ({})",
                timefmt::rfc3339(until)
            ),
        }
        .into());
    }
    for s in &args.service {
        repo.config.check_service(s)?;
    }
    let mut warnings = Vec::new();
    let all = index::with_facts(&repo, &mut warnings);
    ctx.warn(warnings)?;
    // Runbooks are read only when an incident follows one: their phase budgets apply.
    let runbooks = if all.iter().any(|(_, f)| f.runbook.is_some()) {
        load::runbooks(&repo.runbooks_dir(), &load::context(&repo.config))
            .runbooks
            .into_iter()
            .map(|(_, r)| r)
            .collect()
    } else {
        Vec::new()
    };
    let q = Query {
        since,
        until,
        now: ctx.now,
        by: args.by,
        services: args.service,
        include_drills: args.include_drills,
    };
    let report = stats::compute(&repo.config, &runbooks, &all, &q);
    if ctx.global.json {
        ctx.print_json(&report)?;
    } else if args.csv {
        // Files for other programs, byte for byte as they are built.
        write!(ctx.ui.out().raw(), "{}", stats::csv(&report))?;
    } else if args.markdown {
        write!(ctx.ui.out().raw(), "{}", stats::markdown(&report))?;
    } else {
        human_report(ctx.ui, &report)?;
    }
    Ok(0)
}

fn mean(v: Option<i64>, n: usize) -> String {
    format!("{} (n={n})", opt_human(v))
}

fn human_report(ui: Ui, r: &stats::Report) -> Result<()> {
    let f = &r.figures;
    writeln!(
        ui.out(),
        "Incidents from {} to {} UTC ({})",
        timefmt::table(r.since),
        timefmt::table(r.until),
        human(f.period_s),
    )?;
    writeln!(
        ui.out(),
        "{}; downtime severities: {}",
        if r.include_drills { "Drills included" } else { "Drills left out" },
        r.downtime_severities.join(", "),
    )?;
    let mut t = ui::table(&["Figure", "Value"]);
    let overruns: Vec<String> =
        f.phase_overruns.iter().filter(|(_, n)| **n > 0).map(|(p, n)| format!("{p} {n}")).collect();
    for (k, v) in [
        ("Incidents", f.incidents.to_string()),
        ("Outages", f.outages.to_string()),
        ("Downtime", human(f.downtime_s)),
        ("Uptime", stats::percent(f.uptime_percent)),
        ("Mean outage duration", opt_human(f.mean_outage_s)),
        ("MTTD (detect)", mean(f.mttd_s, f.mttd_count)),
        ("MTTA (acknowledge)", mean(f.mtta_s, f.mtta_count)),
        ("MTTM (mitigate)", mean(f.mttm_s, f.mttm_count)),
        ("MTTR (resolve)", mean(f.mttr_s, f.mttr_count)),
        ("Revenue lost", ui::money(f.revenue_lost, &r.currency)),
        (
            "Action items",
            format!("{} open ({} overdue), {} done", f.actions.open, f.actions.overdue, f.actions.done),
        ),
        ("Phases over budget", if overruns.is_empty() { "none".to_string() } else { overruns.join(", ") }),
    ] {
        t.add_row(vec![k.to_string(), v]);
    }
    writeln!(ui.out().block(), "{t}")?;
    if let (Some(by), Some(groups)) = (r.by, &r.groups) {
        writeln!(ui.out().block(), "{}", groups_table(by, groups, r.average.as_ref()))?;
    }
    Ok(())
}

fn groups_table(by: &str, groups: &[Group], average: Option<&stats::Average>) -> ui::Table {
    let first = match by {
        "month" => "Month",
        "severity" => "Severity",
        "service" => "Service",
        _ => "Cause",
    };
    let mut t = ui::table(&[first, "Uptime", "Downtime", "Outages", "Mean outage", "Incidents", "MTTR"]);
    for g in groups {
        let f: &Figures = &g.figures;
        t.add_row(vec![
            g.key.clone(),
            stats::percent(f.uptime_percent),
            human(f.downtime_s),
            f.outages.to_string(),
            opt_human(f.mean_outage_s),
            f.incidents.to_string(),
            opt_human(f.mttr_s),
        ]);
    }
    if let Some(a) = average {
        t.add_row(vec![
            "Average".to_string(),
            stats::percent(a.uptime_percent),
            human(a.downtime_s),
            format!("{:.1}", a.outages),
            opt_human(a.mean_outage_s),
            format!("{:.1}", a.incidents),
            String::new(),
        ]);
    }
    t
}

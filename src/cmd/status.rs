//! `incident status`: where one incident stands, for people (tables) and scripts (`--json`).

use crate::ctx::Ctx;
use crate::error::Result;
use crate::report;
use crate::timefmt::{human, opt_human, opt_table};
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
    println!("{}  {}", sum.id, sum.title);
    println!(
        "{} · {} · phase {} · commander {}{drill}",
        sum.severity,
        sum.state.name(),
        sum.phase,
        sum.commander.as_deref().unwrap_or("—")
    );
    if !sum.services.is_empty() {
        let names: Vec<&str> = sum.services.iter().map(|id| repo.config.service_name(id)).collect();
        println!("services: {}", names.join(", "));
    }
    match (&s.next_step, &s.runbook) {
        (Some(step), Some(rb)) => println!("next step ({rb}, {}): {} — {}", step.phase, step.id, step.title),
        (None, Some(rb)) => println!("runbook {rb}: every step is settled"),
        _ => {}
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
    println!("{phases}");
    let k = &s.key_times;
    let m = &s.metrics;
    let mut keys = ui::table(&["Moment", "At (UTC)", "Since impact started"]);
    keys.add_row(vec!["impact started".to_string(), opt_table(k.started), String::new()]);
    keys.add_row(vec!["detected".to_string(), opt_table(k.detected), opt_human(m.time_to_detect_s)]);
    keys.add_row(vec!["acknowledged".to_string(), opt_table(k.acknowledged), String::new()]);
    keys.add_row(vec!["mitigated".to_string(), opt_table(k.mitigated), opt_human(m.time_to_mitigate_s)]);
    keys.add_row(vec!["resolved".to_string(), opt_table(k.resolved), opt_human(m.time_to_resolve_s)]);
    println!("{keys}");
    if let Some(rev) = s.revenue_lost {
        println!(
            "impact so far: {} · estimated revenue lost: {}",
            opt_human(m.impact_s),
            ui::money(rev, repo.config.currency())
        );
    }
    for o in &s.overdue {
        println!("OVERDUE: {o}");
    }
    Ok(0)
}

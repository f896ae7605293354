//! `incident status`: where one incident stands, for people (tables) and scripts (`--json`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ctx::Ctx;
use crate::error::Result;
use crate::flow::Plan;
use crate::index::Summary;
use crate::metrics::{self, KeyTimes, Metrics, PhaseRow};
use crate::phase::Phase;
use crate::repo::Repo;
use crate::runbook;
use crate::state::{Incident, State};
use crate::timefmt::human;
use crate::ui;

#[derive(Serialize)]
pub struct StepRef {
    pub id: String,
    pub title: String,
    pub phase: Phase,
}

/// SPEC §4's `status --json` object: the summary `list --json` gives, and more.
#[derive(Serialize)]
pub struct StatusJson {
    #[serde(flatten)]
    pub summary: Summary,
    pub runbook: Option<String>,
    pub key_times: KeyTimes,
    pub metrics: Metrics,
    pub revenue_lost: Option<f64>,
    pub phases: Vec<PhaseRow>,
    pub next_step: Option<StepRef>,
    pub overdue: Vec<String>,
}

pub fn build(repo: &Repo, inc: &Incident, now: DateTime<Utc>) -> StatusJson {
    let found = inc.runbook.as_deref().and_then(|id| runbook::find(&repo.runbooks_dir(), id).ok());
    let rb = found.as_ref();
    let m = metrics::metrics(inc);
    let phases = metrics::phases(inc, &repo.config, rb, now);
    let next_step = rb.and_then(|rb| {
        Plan::compute(rb, inc).current_step().map(|p| StepRef {
            id: p.step.id.clone(),
            title: p.step.title.clone(),
            phase: p.phase,
        })
    });
    StatusJson {
        summary: Summary::of(inc),
        runbook: inc.runbook.clone(),
        key_times: metrics::key_times(inc),
        revenue_lost: metrics::revenue_lost(&repo.config, m.impact_s),
        metrics: m,
        overdue: overdue(repo, inc, &phases, now),
        phases,
        next_step,
    }
}

/// What is late right now: the running phase past its budget, stakeholder updates past the
/// severity's cadence, action items past their due date.
pub fn overdue(repo: &Repo, inc: &Incident, phases: &[PhaseRow], now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if inc.state == State::Open {
        for p in phases.iter().filter(|p| p.running && p.over) {
            let over = p.actual_s.unwrap_or(0) - p.budget_s;
            out.push(format!("phase {} is {} over its {} budget", p.phase, human(over), human(p.budget_s)));
        }
        if let Some(every) = repo.config.update_every(&inc.severity) {
            let last = inc.updates.last().map_or(inc.opened_at, |u| u.at);
            let since = (now - last).num_seconds();
            if since > every {
                out.push(format!(
                    "stakeholder update overdue: last one {} ago, {} expects one every {}",
                    human(since),
                    inc.severity,
                    human(every)
                ));
            }
        }
    }
    let today = now.date_naive().format("%Y-%m-%d").to_string();
    for a in &inc.actions {
        if let Some(due) = &a.due
            && *due < today
        {
            out.push(format!("action item {:?} ({}) was due {due}", a.title, a.owner));
        }
    }
    out
}

pub fn print_one(ctx: &Ctx, repo: &Repo, id: &str) -> Result<u8> {
    let inc = repo.load(id)?.incident;
    ctx.print_json(&build(repo, &inc, ctx.now))?;
    Ok(0)
}

pub fn run(ctx: &Ctx, positional: Option<&str>) -> Result<u8> {
    let repo = ctx.repo()?;
    let id = ctx.incident_id(&repo, positional)?;
    let inc = repo.load(&id)?.incident;
    let s = build(&repo, &inc, ctx.now);
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
            ui::opt_dur(p.actual_s),
            flag.to_string(),
        ]);
    }
    println!("{phases}");
    let k = &s.key_times;
    let m = &s.metrics;
    let mut keys = ui::table(&["Moment", "At (UTC)", "Since impact started"]);
    keys.add_row(vec!["impact started".to_string(), ui::opt_utc(k.started), String::new()]);
    keys.add_row(vec!["detected".to_string(), ui::opt_utc(k.detected), ui::opt_dur(m.time_to_detect_s)]);
    keys.add_row(vec!["acknowledged".to_string(), ui::opt_utc(k.acknowledged), String::new()]);
    keys.add_row(vec!["mitigated".to_string(), ui::opt_utc(k.mitigated), ui::opt_dur(m.time_to_mitigate_s)]);
    keys.add_row(vec!["resolved".to_string(), ui::opt_utc(k.resolved), ui::opt_dur(m.time_to_resolve_s)]);
    println!("{keys}");
    if let Some(rev) = s.revenue_lost {
        println!(
            "impact so far: {} · estimated revenue lost: {}",
            ui::opt_dur(m.impact_s),
            money(rev, &repo.config.currency)
        );
    }
    for o in &s.overdue {
        println!("OVERDUE: {o}");
    }
    Ok(0)
}

/// `1234567.0` → `USD 1,234,567`.
pub fn money(amount: f64, currency: &str) -> String {
    let whole = format!("{:.0}", amount.abs());
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{currency} {sign}{grouped}")
}

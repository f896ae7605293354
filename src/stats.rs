//! Statistics across incidents, from their cached summaries and facts
//! ([`crate::index::with_facts`]): which incidents count in a period, the figures over them, and the
//! breakdowns (`--by month|severity|service|cause`). Every duration and figure comes from
//! `metrics`; this module only chooses the incidents and the intervals.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::index::{Facts, Summary};
use crate::metrics;
use crate::phase::Phase;
use crate::runbook::Runbook;
use crate::state::State;
use crate::timefmt;

/// The breakdown asked for with `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Month,
    Severity,
    Service,
    Cause,
}

impl By {
    pub fn name(self) -> &'static str {
        crate::wire::name(&self)
    }
}

/// What to compute: the period `[since, until)`, read at `now` (an impact still running
/// counts until `now`), and which incidents.
pub struct Query {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub by: Option<By>,
    /// Only incidents naming one of these services (all when empty); with `--by service`,
    /// only these services' columns.
    pub services: Vec<String>,
    pub include_drills: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Actions {
    pub open: u32,
    /// Open items due before the period's end.
    pub overdue: u32,
    pub done: u32,
}

/// The figures over a set of incidents and a period (the keys of `stats --json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figures {
    /// Incidents whose impact overlaps the period.
    pub incidents: usize,
    /// Of those, the ones whose highest severity is a downtime severity.
    pub outages: usize,
    /// The union of the outages' impact intervals, clipped to the period.
    pub downtime_s: i64,
    pub period_s: i64,
    pub uptime_percent: f64,
    /// The outages' mean impact duration (whole, not clipped to the period).
    pub mean_outage_s: Option<i64>,
    pub mttd_s: Option<i64>,
    pub mttd_count: usize,
    pub mtta_s: Option<i64>,
    pub mtta_count: usize,
    pub mttm_s: Option<i64>,
    pub mttm_count: usize,
    pub mttr_s: Option<i64>,
    pub mttr_count: usize,
    /// Revenue lost, each incident's prorated by the part of its impact inside the period.
    pub revenue_lost: f64,
    pub actions: Actions,
    /// Phase → incidents whose time in it ran over its budget.
    pub phase_overruns: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub key: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// `--by month`'s row of averages, as an uptime report's table: average monthly uptime,
/// average downtime, outages and incidents per month, and the mean outage duration over the
/// period. Per month means the period's totals over the number of months: an incident that
/// spans two months counts once.
#[derive(Debug, Clone, Serialize)]
pub struct Average {
    pub months: usize,
    pub uptime_percent: f64,
    pub downtime_s: i64,
    pub outages: f64,
    pub incidents: f64,
    pub mean_outage_s: Option<i64>,
}

/// The row of averages under the table per month (`None` over no month): the terminal, JSON
/// and the Markdown report all show this one.
pub fn monthly_average(months: &[Group], whole: &Figures) -> Option<Average> {
    let n = months.len();
    (n > 0).then(|| Average {
        months: n,
        uptime_percent: months.iter().map(|m| m.figures.uptime_percent).sum::<f64>() / n as f64,
        downtime_s: (whole.downtime_s as f64 / n as f64).round() as i64,
        outages: whole.outages as f64 / n as f64,
        incidents: whole.incidents as f64 / n as f64,
        mean_outage_s: whole.mean_outage_s,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub include_drills: bool,
    pub downtime_severities: Vec<String>,
    pub currency: String,
    #[serde(flatten)]
    pub figures: Figures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average: Option<Average>,
    /// Incidents by cause over the whole period (the Markdown report's pie).
    #[serde(skip)]
    pub causes: Vec<(String, usize)>,
    /// The whole period month by month (the Markdown report's table and chart).
    #[serde(skip)]
    pub months: Vec<Group>,
}

/// One incident as `stats` sees it.
struct Item<'a> {
    summary: &'a Summary,
    facts: &'a Facts,
    /// Impact started → mitigated, else resolved, else now.
    impact: (DateTime<Utc>, DateTime<Utc>),
    highest: String,
    outage: bool,
}

/// The highest severity reached: the peak `list` and `status` show beside the current one.
fn highest(config: &Config, s: &Summary) -> String {
    s.peak_severity(config).to_string()
}

pub fn cause_key(f: &Facts) -> String {
    f.cause.clone().unwrap_or_else(|| "none".to_string())
}

/// The statistics over the incidents `all` (as [`crate::index::with_facts`] gives them).
/// `runbooks`: the repository's runbooks, whose phase budgets apply to incidents following them.
pub fn compute(config: &Config, runbooks: &[Runbook], all: &[(Summary, Facts)], q: &Query) -> Report {
    let downtime = config.downtime_severities();
    let open_until = q.now;
    let items: Vec<Item<'_>> = all
        .iter()
        // A canceled incident was none (a false alarm, a duplicate): it counts nowhere.
        .filter(|(s, _)| s.state != State::Canceled)
        .filter(|(s, _)| q.include_drills || !s.drill)
        // Planned work is not an incident: no outage, no response times.
        .filter(|(s, _)| s.kind == crate::state::Kind::Incident)
        .filter(|(s, _)| q.services.is_empty() || s.services.iter().any(|x| q.services.contains(x)))
        .filter_map(|(s, f)| {
            let impact = metrics::impact_interval(f.started, f.mitigated, f.resolved, open_until)?;
            let highest = highest(config, s);
            let outage = downtime.contains(&highest);
            Some(Item { summary: s, facts: f, impact, highest, outage })
        })
        .collect();
    let books: HashMap<&str, &Runbook> = runbooks.iter().map(|r| (r.id.as_str(), r)).collect();
    let figures_over = |since: DateTime<Utc>, until: DateTime<Utc>, keep: &dyn Fn(&Item<'_>) -> bool| {
        let chosen: Vec<&Item<'_>> =
            items.iter().filter(|i| keep(i) && metrics::overlaps(i.impact, since, until)).collect();
        figures(config, &books, &chosen, since, until, q.now)
    };
    let everything = figures_over(q.since, q.until, &|_| true);
    let months: Vec<Group> = metrics::months(q.since, q.until)
        .into_iter()
        .map(|(a, b)| Group { key: a.format("%Y-%m").to_string(), figures: figures_over(a, b, &|_| true) })
        .collect();
    let in_period: Vec<&Item<'_>> =
        items.iter().filter(|i| metrics::overlaps(i.impact, q.since, q.until)).collect();
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    for i in &in_period {
        *causes.entry(cause_key(i.facts)).or_default() += 1;
    }
    let groups = q.by.map(|by| match by {
        By::Month => months.clone(),
        By::Severity => {
            let mut keys: Vec<String> = in_period.iter().map(|i| i.highest.clone()).collect();
            keys.sort_by(|a, b| config.severity_rank(a).cmp(&config.severity_rank(b)).then_with(|| a.cmp(b)));
            keys.dedup();
            keys.into_iter()
                .map(|k| Group { figures: figures_over(q.since, q.until, &|i| i.highest == k), key: k })
                .collect()
        }
        By::Service => {
            let mut keys: Vec<String> = if q.services.is_empty() {
                let mut k: Vec<String> = config.services.keys().cloned().collect();
                for i in &in_period {
                    for s in &i.summary.services {
                        if !k.contains(s) {
                            k.push(s.clone());
                        }
                    }
                }
                k
            } else {
                q.services.clone()
            };
            keys.dedup();
            keys.into_iter()
                .map(|k| Group {
                    figures: figures_over(q.since, q.until, &|i| i.summary.services.contains(&k)),
                    key: k,
                })
                .collect()
        }
        By::Cause => causes
            .keys()
            .map(|k| Group {
                figures: figures_over(q.since, q.until, &|i| cause_key(i.facts) == *k),
                key: k.clone(),
            })
            .collect(),
    });
    let average = if q.by == Some(By::Month) { monthly_average(&months, &everything) } else { None };
    Report {
        since: q.since,
        until: q.until,
        include_drills: q.include_drills,
        downtime_severities: downtime,
        currency: config.currency().to_string(),
        figures: everything,
        by: q.by.map(By::name),
        groups,
        average,
        causes: causes.into_iter().collect(),
        months,
    }
}

fn figures(
    config: &Config,
    books: &HashMap<&str, &Runbook>,
    items: &[&Item<'_>],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Figures {
    let outages: Vec<&&Item<'_>> = items.iter().filter(|i| i.outage).collect();
    let intervals: Vec<(DateTime<Utc>, DateTime<Utc>)> = outages.iter().map(|i| i.impact).collect();
    let downtime_s = metrics::union_s(&intervals, since, until);
    let period_s = (until - since).num_seconds().max(0);
    let mean_of = |from: fn(&Facts) -> Option<DateTime<Utc>>, to: fn(&Facts) -> Option<DateTime<Utc>>| {
        metrics::mean(items.iter().filter_map(|i| metrics::between(from(i.facts), to(i.facts))))
    };
    let mttd = mean_of(|f| f.started, |f| f.detected);
    let mtta = mean_of(|f| f.detected, |f| f.acknowledged);
    let mttm = mean_of(|f| f.started, |f| f.mitigated);
    let mttr = mean_of(|f| f.started, |f| f.resolved);
    let revenue: f64 = items
        .iter()
        .filter_map(|i| {
            let lost = metrics::revenue_lost(config, &i.summary.services, i.summary.failing_s)?;
            let whole = (i.impact.1 - i.impact.0).num_seconds();
            Some(metrics::prorate(lost, metrics::clipped_s(i.impact, since, until), whole))
        })
        .sum();
    let end_date = timefmt::date(until);
    let mut actions = Actions { open: 0, overdue: 0, done: 0 };
    for i in items {
        let a = &i.facts.actions;
        actions.open += a.open;
        actions.done += a.done;
        actions.overdue += a.open_due.iter().filter(|d| **d < end_date).count() as u32;
    }
    let mut phase_overruns: BTreeMap<String, usize> =
        Phase::ALL.iter().map(|p| (p.name().to_string(), 0)).collect();
    let clock = until.min(now);
    for i in items {
        let book = i.facts.runbook.as_deref().and_then(|id| books.get(id));
        for p in &i.facts.phases {
            let budget = metrics::budget_s(config, book.copied(), p.phase, &p.budget_severity);
            if metrics::over_budget(p.spent_s, p.running_from, budget, clock) {
                *phase_overruns.entry(p.phase.name().to_string()).or_default() += 1;
            }
        }
    }
    Figures {
        incidents: items.len(),
        outages: outages.len(),
        downtime_s,
        period_s,
        uptime_percent: metrics::uptime_percent(downtime_s, period_s),
        mean_outage_s: metrics::mean(outages.iter().map(|i| (i.impact.1 - i.impact.0).num_seconds())).mean_s,
        mttd_s: mttd.mean_s,
        mttd_count: mttd.count,
        mtta_s: mtta.mean_s,
        mtta_count: mtta.count,
        mttm_s: mttm.mean_s,
        mttm_count: mttm.count,
        mttr_s: mttr.mean_s,
        mttr_count: mttr.count,
        revenue_lost: revenue.round(),
        actions,
        phase_overruns,
    }
}

/// `99.70%`: uptime as an uptime report prints it.
pub fn percent(p: f64) -> String {
    format!("{p:.2}%")
}

/// The CSV form: a header row, then one row per group (the whole period as `all` without
/// `--by`).
pub fn csv(report: &Report) -> String {
    let mut out = String::from(
        "key,incidents,outages,downtime_s,period_s,uptime_percent,mean_outage_s,mttd_s,mttd_count,mtta_s,mtta_count,mttm_s,mttm_count,mttr_s,mttr_count,revenue_lost,actions_open,actions_overdue,actions_done\n",
    );
    let all = [Group { key: "all".to_string(), figures: report.figures.clone() }];
    let rows = report.groups.as_deref().unwrap_or(&all);
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for g in rows {
        let f = &g.figures;
        let key = csv_field(&g.key);
        out.push_str(&format!(
            "{key},{},{},{},{},{:.4},{},{},{},{},{},{},{},{},{},{:.0},{},{},{}\n",
            f.incidents,
            f.outages,
            f.downtime_s,
            f.period_s,
            f.uptime_percent,
            opt(f.mean_outage_s),
            opt(f.mttd_s),
            f.mttd_count,
            opt(f.mtta_s),
            f.mtta_count,
            opt(f.mttm_s),
            f.mttm_count,
            opt(f.mttr_s),
            f.mttr_count,
            f.revenue_lost,
            f.actions.open,
            f.actions.overdue,
            f.actions.done,
        ));
    }
    out
}

/// A CSV field from data (a cause, a service, a severity): control characters made visible
/// (the CSV may go to a terminal), a leading `=`, `+`, `-` or `@` defused with `'` so a
/// spreadsheet opening it takes text for text, not a formula; quoted when it must be.
fn csv_field(value: &str) -> String {
    let mut v = crate::ui::visible(value).into_owned();
    if v.starts_with(['=', '+', '-', '@']) {
        v.insert(0, '\'');
    }
    if v.contains([',', '"']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

fn mean_cell(v: Option<i64>, n: usize) -> String {
    format!("{} (n={n})", timefmt::opt_human(v))
}

/// The Markdown monthly report: the period's figures, the table per month with its averages,
/// the breakdown asked for, Mermaid charts of downtime per month and incidents by cause, and
/// each figure's definition as a footnote.
pub fn markdown(report: &Report) -> String {
    use crate::render::markdown_cell;
    let f = &report.figures;
    let mut o = String::new();
    o.push_str(&format!(
        "# Incident statistics, {} to {}\n\nPeriod: `[{}, {})`, {}. Downtime severities: {}.\n\n",
        timefmt::date(report.since),
        timefmt::date(report.until),
        timefmt::rfc3339(report.since),
        timefmt::rfc3339(report.until),
        if report.include_drills { "drills included" } else { "drills left out" },
        report.downtime_severities.join(", "),
    ));
    o.push_str("## Summary\n\n| Figure | Value |\n|---|---|\n");
    let rows = [
        ("Incidents[^incidents]", f.incidents.to_string()),
        ("Outages[^outages]", f.outages.to_string()),
        ("Downtime[^downtime]", timefmt::human(f.downtime_s)),
        ("Uptime[^uptime]", percent(f.uptime_percent)),
        ("Mean outage duration[^mean-outage]", timefmt::opt_human(f.mean_outage_s)),
        ("MTTD[^mttd]", mean_cell(f.mttd_s, f.mttd_count)),
        ("MTTA[^mtta]", mean_cell(f.mtta_s, f.mtta_count)),
        ("MTTM[^mttm]", mean_cell(f.mttm_s, f.mttm_count)),
        ("MTTR[^mttr]", mean_cell(f.mttr_s, f.mttr_count)),
        ("Revenue lost[^revenue]", crate::ui::money(f.revenue_lost, &report.currency)),
        (
            "Action items[^actions]",
            format!("{} open ({} overdue), {} done", f.actions.open, f.actions.overdue, f.actions.done),
        ),
    ];
    for (k, v) in rows {
        o.push_str(&format!("| {k} | {} |\n", markdown_cell(&v)));
    }
    o.push_str("\n### Phases over budget[^overruns]\n\n| Phase | Incidents over budget |\n|---|---|\n");
    for (p, n) in &f.phase_overruns {
        o.push_str(&format!("| {p} | {n} |\n"));
    }
    o.push_str("\n## By month\n\n");
    o.push_str(&group_table(&report.months, "Month"));
    if let Some(a) = monthly_average(&report.months, f) {
        o.push_str(&format!(
            "| **Average**[^average] | {} | {} | {:.1} | {} | {:.1} |\n",
            percent(a.uptime_percent),
            timefmt::human(a.downtime_s),
            a.outages,
            timefmt::opt_human(a.mean_outage_s),
            a.incidents,
        ));
    }
    if let (Some(by), Some(groups)) = (report.by, &report.groups)
        && by != "month"
    {
        let title = match by {
            "severity" => "Severity",
            "service" => "Service",
            _ => "Cause",
        };
        o.push_str(&format!("\n## By {by}\n\n"));
        o.push_str(&group_table(groups, title));
    }
    o.push_str("\n## Downtime per month\n\n```mermaid\nxychart-beta\n    title \"Downtime per month (minutes)\"\n    x-axis [");
    let labels: Vec<String> = report.months.iter().map(|m| format!("\"{}\"", m.key)).collect();
    o.push_str(&labels.join(", "));
    let minutes: Vec<f64> = report.months.iter().map(|m| m.figures.downtime_s as f64 / 60.0).collect();
    // From zero: left to itself Mermaid starts the axis at the smallest bar, and a month of
    // 30 minutes would look like none.
    let top = minutes.iter().copied().fold(1.0_f64, f64::max).ceil();
    o.push_str(&format!("]\n    y-axis \"Minutes\" 0 --> {top}\n    bar ["));
    let values: Vec<String> = minutes.iter().map(|m| format!("{m:.1}")).collect();
    o.push_str(&values.join(", "));
    o.push_str("]\n```\n\n## Incidents by cause\n\n");
    if report.causes.is_empty() {
        o.push_str("No incidents in the period.\n");
    } else {
        o.push_str("```mermaid\npie title Incidents by cause\n");
        for (cause, n) in &report.causes {
            o.push_str(&format!("    \"{}\" : {n}\n", cause.replace('"', "'")));
        }
        o.push_str("```\n");
    }
    o.push_str(concat!(
        "\n[^incidents]: Incidents whose impact (impact started → mitigated, else resolved, else now) overlaps the period.\n",
        "[^outages]: Incidents whose highest severity reached is a downtime severity (`downtime_severities` in incident.yaml).\n",
        "[^downtime]: The union of the outages' impact intervals, clipped to the period: two outages at once count once.\n",
        "[^uptime]: 100 × (1 − downtime ÷ period length).\n",
        "[^mean-outage]: The mean impact duration of the outages, each whole (not clipped to the period).\n",
        "[^mttd]: Mean time to detect: impact started → detected, over the incidents having both (n).\n",
        "[^mtta]: Mean time to acknowledge: detected → acknowledged, over the incidents having both (n).\n",
        "[^mttm]: Mean time to mitigate: impact started → mitigated, over the incidents having both (n).\n",
        "[^mttr]: Mean time to resolve: impact started → resolved, over the incidents having both (n).\n",
        "[^revenue]: Each incident's revenue lost (revenue per hour of its services × the failing share, over its impact), prorated by the part of its impact inside the period.\n",
        "[^actions]: The incidents' action items; overdue: open and due before the period's end.\n",
        "[^average]: Per month: the period's totals over its number of months (an incident spanning two months counts once); uptime is the mean of the months'.\n",
        "[^overruns]: Incidents whose time in a phase ran over the phase's budget (phases run on the outage's clock).\n",
    ));
    o
}

fn group_table(groups: &[Group], first: &str) -> String {
    use crate::render::markdown_cell;
    let mut o = format!(
        "| {first} | Uptime | Downtime | Outages | Mean outage | Incidents |\n|---|---|---|---|---|---|\n"
    );
    for g in groups {
        let f = &g.figures;
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            markdown_cell(&g.key),
            percent(f.uptime_percent),
            timefmt::human(f.downtime_s),
            f.outages,
            timefmt::opt_human(f.mean_outage_s),
            f.incidents,
        ));
    }
    o
}

#[cfg(test)]
mod csv_tests {
    use super::csv_field;

    #[test]
    fn csv_fields_from_data_are_neither_formulas_nor_escapes() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("db,cache"), "\"db,cache\"");
        assert_eq!(csv_field("a\u{1b}[2Jb\nc"), "a␛[2Jb␊c");
        assert_eq!(csv_field("deploy"), "deploy");
    }
}

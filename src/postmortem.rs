//! The postmortem: the context every number in it comes from, rendering it through
//! the repository's template (or the built-in one) without losing hand edits, and
//! committing it. `incident postmortem` and `demo` both use it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Result;
use crate::events::Milestone;
use crate::flow::Plan;
use crate::graph::{Format, Graph};
use crate::load;
use crate::metrics::{self, KeyTimes, Metrics, PhaseRow};
use crate::narrate::in_timeline;
use crate::render;
use crate::repo::{Repo, RerenderConflict};
use crate::runbook;
use crate::starter;
use crate::state::{Incident, Span};
use crate::timefmt;
use crate::ui::money;

pub const TEMPLATE: &str = "templates/postmortem.md.j2";

#[derive(Serialize)]
struct Service {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct TimelineRow {
    at: DateTime<Utc>,
    text: String,
    by: String,
}

#[derive(Serialize)]
struct StepRow {
    id: String,
    phase: String,
    title: String,
    status: &'static str,
    choice: Option<String>,
    note: Option<String>,
    by: Option<String>,
    at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct CommandRow {
    step: String,
    command: String,
    exit_code: Option<i32>,
    /// How it ended when it has no exit code: timed out, interrupted, killed by a signal.
    ended: Option<String>,
    expected: i32,
    ok: bool,
    at: DateTime<Utc>,
    by: String,
}

#[derive(Serialize)]
struct UpdateRow {
    channel: String,
    audience: String,
    at: DateTime<Utc>,
    by: String,
    message: String,
    /// The public state it announced, if any.
    status: Option<crate::events::PublicStatus>,
    eta: Option<DateTime<Utc>>,
    /// `delivered`, `no target`, or `not delivered after N attempts: LAST`.
    delivery: String,
}

/// How an update's delivery ended, for the Communications table.
fn delivery_outcome(repo: &Repo, u: &crate::state::UpdateRecord) -> String {
    let has_target = repo.config.channels.get(&u.channel).is_some_and(|c| c.deliver.is_some());
    match (u.delivered, u.attempts, &u.last_outcome) {
        (true, 1, _) => "delivered".to_string(),
        (true, n, _) => format!("delivered (attempt {n})"),
        (false, 0, _) if !has_target => "logged, no target".to_string(),
        (false, 0, _) => "not delivered (not tried)".to_string(),
        (false, n, Some(last)) => {
            format!("not delivered after {n} attempt{}: {last}", if n == 1 { "" } else { "s" })
        }
        (false, n, None) => format!("not delivered after {n} attempts"),
    }
}

/// A change in the lookback before impact started: a candidate trigger.
#[derive(Serialize)]
struct ChangeRow {
    at: DateTime<Utc>,
    title: String,
    services: Vec<String>,
    /// `exit 0`, `timed out after 10m`, or `—` for a change made elsewhere.
    outcome: String,
    by: String,
    link: Option<String>,
}

/// The changes to the incident's services in `changes.lookback` before impact started, read
/// from the repository's changes logs: the same logs give the same rows. A log that cannot be
/// read gives none (`incident changes` names what it cannot read).
fn candidate_changes(repo: &Repo, inc: &Incident) -> Vec<ChangeRow> {
    let started = inc.mark(Milestone::Started).unwrap_or(inc.opened_at);
    let found = crate::changes::before(repo, &inc.services, started, repo.config.lookback_s());
    found
        .unwrap_or_default()
        .into_iter()
        .map(|c| ChangeRow {
            at: c.at,
            outcome: Some(c.outcome()).filter(|o| !o.is_empty()).unwrap_or_else(|| "—".into()),
            title: c.title,
            services: c.services,
            by: c.by,
            link: c.link,
        })
        .collect()
}

#[derive(Serialize)]
struct ActionRow {
    title: String,
    action_type: String,
    owner: String,
    due: Option<String>,
    /// `open`, `done (YYYY-MM-DD)` or `dropped (REASON)`.
    status: String,
    link: Option<String>,
}

/// An action item's Status cell in the postmortem's action items table.
fn action_status(a: &crate::state::ActionItem) -> String {
    use crate::state::ActionState;
    match a.state {
        ActionState::Open => "open".to_string(),
        ActionState::Done => match a.settled_at {
            Some(at) => format!("done ({})", timefmt::date(at)),
            None => "done".to_string(),
        },
        ActionState::Dropped => match &a.reason {
            Some(r) => format!("dropped ({r})"),
            None => "dropped".to_string(),
        },
    }
}

#[derive(Serialize)]
pub struct Context {
    id: String,
    title: String,
    state: &'static str,
    severity: String,
    /// The highest severity reached, shown beside the current one when it differs.
    peak_severity: String,
    drill: bool,
    date: String,
    generated_at: DateTime<Utc>,
    /// The incident is not resolved yet: the file is a draft, says so, and is not committed.
    draft: bool,
    authors: Vec<String>,
    services: Vec<Service>,
    severities: Vec<Span>,
    severity_time: Vec<(String, i64)>,
    key_times: KeyTimes,
    metrics: Metrics,
    revenue_per_hour: Option<String>,
    revenue_lost: Option<String>,
    /// Why there is no estimate, when there is none.
    revenue_unknown: Option<&'static str>,
    /// How the estimate is made, with its figures: `USD 120,000/hour × (7% × 42m)`.
    revenue_formula: Option<String>,
    /// The failing share over the impact, stretch by stretch.
    shares: Vec<metrics::ShareSpan>,
    customers: Option<u64>,
    failed_orders: Option<u64>,
    tickets: Option<u64>,
    phases: Vec<PhaseRow>,
    overruns: Vec<String>,
    root_cause: Option<String>,
    retro: BTreeMap<String, Vec<String>>,
    roles: BTreeMap<String, Vec<Span>>,
    timeline: Vec<TimelineRow>,
    /// Every runbook attached, in the order attached, each with its own results.
    runbooks: Vec<RunbookOut>,
    updates: Vec<UpdateRow>,
    actions: Vec<ActionRow>,
    /// Candidate triggers: the changes in `changes_lookback` seconds before impact started.
    changes: Vec<ChangeRow>,
    changes_lookback: i64,
}

#[derive(Serialize)]
struct RunbookOut {
    id: String,
    title: String,
    steps: Vec<StepRow>,
    commands: Vec<CommandRow>,
    /// The runbook drawn in Mermaid with the path the response took through it: made safe for
    /// a fenced ```mermaid block where it is drawn (`graph`), so the template prints it `safe`.
    path: String,
}

/// The severity's history as the header tells it: the opening severity from impact started,
/// as the time at each severity counts it (the incident may have been opened later).
fn severity_history(inc: &Incident) -> Vec<Span> {
    let mut spans = inc.severities.clone();
    if let (Some(first), Some(started)) = (spans.first_mut(), inc.mark(Milestone::Started)) {
        first.from = first.from.min(started);
    }
    spans
}

/// Every number here comes from `metrics`; nothing is typed in.
/// The postmortem is a function of the log: "now" is the last event's time, never
/// the clock, so the same events give the same bytes.
pub fn context(repo: &Repo, inc: &Incident) -> Context {
    let now = inc.events.iter().map(|e| e.at).max().unwrap_or(inc.opened_at);
    let rb = load::attached_runbook(repo, inc).ok();
    let end = metrics::end_or_now(inc, now);
    let m = metrics::metrics(inc);
    let phases = metrics::phases(inc, &repo.config, rb.as_ref(), end);
    let overruns = phases.iter().filter(|p| p.over).map(|p| p.phase.name().to_string()).collect();
    let mut authors: Vec<String> = Vec::new();
    for e in &inc.events {
        if !authors.contains(&e.by) {
            authors.push(e.by.clone());
        }
    }
    let currency = repo.config.currency();
    let revenue = metrics::revenue(&repo.config, inc);
    Context {
        id: inc.id.clone(),
        title: inc.title.clone(),
        state: inc.state.name(),
        severity: inc.severity.clone(),
        peak_severity: metrics::peak_severity(&repo.config, metrics::severities_reached(inc))
            .unwrap_or(inc.severity.as_str())
            .to_string(),
        drill: inc.drill,
        date: timefmt::date(inc.mark(Milestone::Started).unwrap_or(inc.opened_at)),
        generated_at: now,
        draft: inc.state == crate::state::State::Open,
        authors,
        services: inc
            .services
            .iter()
            .map(|s| Service { id: s.clone(), name: repo.config.service_name(s).to_string() })
            .collect(),
        severities: severity_history(inc),
        severity_time: metrics::severity_time(inc, end),
        key_times: metrics::key_times(inc),
        revenue_per_hour: metrics::revenue_per_hour(&repo.config, &inc.services).map(|r| money(r, currency)),
        revenue_lost: revenue.as_ref().map(|r| money(r.lost, currency)),
        revenue_unknown: match revenue {
            Some(_) => None,
            None if inc.services.is_empty() => {
                Some("none estimated: no service was named, so no revenue is known to be at stake")
            }
            None => Some("not known yet: impact has not ended"),
        },
        revenue_formula: revenue.as_ref().map(|r| {
            let terms: Vec<String> = r
                .spans
                .iter()
                .map(|s| format!("{} × {}", s.label, crate::timefmt::human(s.seconds)))
                .collect();
            format!("{}/hour × ({})", money(r.per_hour, currency), terms.join(" + "))
        }),
        shares: metrics::share_spans(&inc.moments).unwrap_or_default(),
        customers: inc.customers,
        failed_orders: inc.failed_orders,
        tickets: inc.tickets,
        metrics: m,
        phases,
        overruns,
        root_cause: inc.root_cause.clone(),
        retro: inc.retro.clone(),
        roles: inc.roles.clone(),
        timeline: inc
            .events
            .iter()
            .map(|e| TimelineRow { at: e.when(), text: in_timeline(inc, e), by: e.by.clone() })
            .collect(),
        runbooks: inc
            .runbooks
            .iter()
            .filter_map(|id| load::runbook(&repo.runbooks_dir(), id, &load::context(&repo.config)).ok())
            .map(|rb| runbook_out(&rb, inc))
            .collect(),
        updates: inc
            .updates
            .iter()
            .map(|u| UpdateRow {
                audience: repo
                    .config
                    .channels
                    .get(&u.channel)
                    .map_or("unknown", |c| crate::wire::name(&c.audience))
                    .to_string(),
                channel: u.channel.clone(),
                at: u.at,
                by: u.by.clone(),
                message: u.message.clone(),
                status: u.status,
                eta: u.eta,
                delivery: delivery_outcome(repo, u),
            })
            .collect(),
        actions: inc
            .actions
            .iter()
            .map(|a| ActionRow {
                title: a.title.clone(),
                action_type: a.action_type.clone(),
                owner: a.owner.clone(),
                due: a.due.clone(),
                status: action_status(a),
                link: a.link.clone(),
            })
            .collect(),
        changes: candidate_changes(repo, inc),
        changes_lookback: repo.config.lookback_s(),
    }
}

fn runbook_out(rb: &runbook::Runbook, inc: &Incident) -> RunbookOut {
    let plan = Plan::compute(rb, inc);
    let outcomes = inc.step_outcomes(&rb.id);
    let steps = plan
        .items
        .iter()
        .map(|(p, status)| {
            let rec = outcomes.get(p.step.id.as_str());
            StepRow {
                id: p.step.id.clone(),
                phase: p.phase.name().to_string(),
                title: p.step.title.clone(),
                status: status.in_report(),
                choice: rec.and_then(|r| r.choice.clone()),
                note: rec.and_then(|r| r.note.clone()),
                by: rec.map(|r| r.by.clone()),
                at: rec.map(|r| r.at),
            }
        })
        .collect();
    let commands =
        inc.commands_of(&rb.id)
            .map(|c| {
                let expected = rb.find_step(&c.step).and_then(|p| p.step.expect_exit).unwrap_or(0);
                CommandRow {
                    step: c.step.clone(),
                    command: c.command.clone(),
                    exit_code: c.exit_code,
                    ended: c.exit_code.is_none().then(|| {
                        crate::runner::ending(None, c.timed_out_s, c.interrupted, c.signal.as_deref())
                    }),
                    expected,
                    ok: c.exit_code == Some(expected),
                    at: c.at,
                    by: c.by.clone(),
                }
            })
            .collect();
    let path = Graph::path(rb, inc).render(Format::Mermaid);
    RunbookOut { id: rb.id.clone(), title: rb.title.clone(), steps, commands, path }
}

/// The template: `--template`, else the repository's, else the built-in one.
fn template(repo: &Repo, flag: Option<PathBuf>) -> Result<(String, String)> {
    // Templates come from the repository (pull requests): one that is a symlink could
    // render `~/.ssh/id_rsa` into a committed postmortem, so none is followed.
    if let Some(path) = flag {
        if let Err(source) = std::fs::symlink_metadata(&path) {
            return Err(crate::error::FileError::CannotRead { path, source }.into());
        }
        let text = crate::fsutil::read_in(&repo.root, &path)?;
        return Ok((path.display().to_string(), text));
    }
    let path = repo.root.join(TEMPLATE);
    match crate::fsutil::read_text(&repo.root, &path)? {
        Some(text) => Ok((path.display().to_string(), text)),
        None => Ok((format!("(built-in) {TEMPLATE}"), starter::POSTMORTEM_TEMPLATE.to_string())),
    }
}

/// What a render says about a section a person edited by hand and the tool added to since
/// (a `retro` entry given after the edit): their text is kept, the new entries follow it, and
/// this line says where, so nothing appears or vanishes unannounced.
pub fn appended_warning(path: &std::path::Path, a: &render::Appended) -> String {
    let n = a.paragraphs.len();
    let first = a.paragraphs.first().map(|p| crate::ui::cut(&render::oneline(p), 60).to_string());
    format!(
        "{}: section {} was edited by hand; kept your text and added {n} new entr{} below it{}",
        path.display(),
        a.block,
        if n == 1 { "y" } else { "ies" },
        first.map(|f| format!(" (“{f}”{})", if n > 1 { ", …" } else { "" })).unwrap_or_default()
    )
}

/// Renders and writes the postmortem; returns its path and what was added below hand edits.
pub fn write(
    repo: &Repo,
    inc: &Incident,
    template_flag: Option<PathBuf>,
    output: Option<PathBuf>,
) -> Result<(PathBuf, Vec<render::Appended>)> {
    let (name, source) = template(repo, template_flag)?;
    let fresh = render::render_markdown(&name, &source, &context(repo, inc))?;
    // `--output` is the user's choice of place, even outside the repository; but inside it,
    // as for the default, no symlink is followed: the previous text is read (its
    // editable blocks kept) and the new one written, and either through a planted link
    // would read or write a file elsewhere.
    let path = match output {
        Some(p) => {
            crate::fsutil::no_symlinks(&repo.root, &p)?;
            p
        }
        None => repo.incident_file(&inc.id, "postmortem.md")?,
    };
    let previous = match crate::fsutil::read(&path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(crate::error::Error::io(&path)(e)),
        Err(_) => None,
    };
    let (text, appended) = render::merge_editable(&fresh, previous.as_deref());
    crate::fsutil::write_atomic(&path, text.as_bytes())?;
    Ok((path, appended))
}

/// The postmortem of the log `log` (a sync's merge of two clones' logs), rendered through
/// the repository's template with the two sides' hand edits merged against `base`: the
/// text, or, when both sides changed a hand-edited block differently, the names of those
/// blocks and the same render with both sides between conflict markers (labelled `sides`)
/// inside each of them, for a person to finish.
pub fn rerender(
    repo: &Repo,
    id: &str,
    log: &[u8],
    [base, ours, theirs]: [Option<&str>; 3],
    sides: render::Sides,
) -> Result<std::result::Result<String, RerenderConflict>> {
    let merged = render::merge_hand_edits(base, ours, theirs);
    let blocks: Vec<String> = merged.conflicts.iter().map(|c| c.name.clone()).collect();
    let Some(inc) = Incident::fold(id, crate::events::parse(log).events) else {
        // No `opened` event: nothing to render from; keep our side as it was.
        if !blocks.is_empty() {
            return Ok(Err(RerenderConflict { blocks, text: None }));
        }
        return Ok(Ok(ours.or(theirs).unwrap_or_default().to_string()));
    };
    let (name, source) = template(repo, None)?;
    let fresh = render::render_markdown(&name, &source, &context(repo, &inc))?;
    // What is added below a hand edit is in the text a sync commits and reports as re-rendered.
    let (text, _appended) = render::apply_merged_edits(&fresh, &merged, sides);
    if blocks.is_empty() { Ok(Ok(text)) } else { Ok(Err(RerenderConflict { blocks, text: Some(text) })) }
}

/// Commits the incident's folder with the postmortem's commit message, and the changes logs
/// its Trigger section read: the committed postmortem is a function of committed logs. `None`
/// when nothing changed.
pub fn commit(repo: &Repo, inc: &Incident, as_flag: Option<&str>) -> Result<Option<git2::Oid>> {
    let dir = PathBuf::from("incidents").join(&inc.id);
    let mut paths = vec![dir.join("events.jsonl"), dir.join("postmortem.md")];
    let started = inc.mark(Milestone::Started).unwrap_or(inc.opened_at);
    paths.extend(crate::changes::window_files(repo, started, repo.config.lookback_s()));
    let message = format!("postmortem: {} {}", inc.id, render::oneline(&inc.title));
    repo.commit_if_changed(&paths, &message, as_flag)
}

/// What a change to a resolved incident did besides its event: the committed postmortem
/// rendered again (where, and what was added below hand edits), and the commit made.
pub struct Followed {
    pub rendered: Option<(PathBuf, Vec<render::Appended>)>,
    pub commit: Option<(git2::Oid, String)>,
}

/// Whether `inc` has a postmortem a reader relies on: committed, and not a draft (the
/// incident is resolved or closed).
pub fn is_committed(repo: &Repo, id: &str, state: crate::state::State) -> Result<bool> {
    if state == crate::state::State::Open {
        return Ok(false);
    }
    repo.is_committed(&PathBuf::from("incidents").join(id).join("postmortem.md"))
}

/// After a change to a resolved incident (`inc` as the log now has it: an action item
/// settled, the incident closed), its committed postmortem is rendered again and committed as
/// `incident postmortem` would, so the file a reader opens never lags the log. With
/// `message`, the log is committed with that message whether or not there is a postmortem
/// (`close` ends the record); without, only a re-rendered postmortem commits.
pub fn follow(
    repo: &Repo,
    inc: &Incident,
    as_flag: Option<&str>,
    message: Option<String>,
) -> Result<Followed> {
    let rendered =
        if is_committed(repo, &inc.id, inc.state)? { Some(write(repo, inc, None, None)?) } else { None };
    let dir = PathBuf::from("incidents").join(&inc.id);
    let mut paths = vec![dir.join("events.jsonl")];
    if rendered.is_some() {
        paths.push(dir.join("postmortem.md"));
    }
    let message = match message {
        Some(m) => m,
        None if rendered.is_some() => format!("postmortem: {} {}", inc.id, render::oneline(&inc.title)),
        None => return Ok(Followed { rendered, commit: None }),
    };
    let commit = repo.commit_if_changed(&paths, &message, as_flag)?.map(|oid| (oid, message));
    Ok(Followed { rendered, commit })
}

/// Says what [`follow`] did: a warning for each section a new entry was added below a hand
/// edit in, and the commit, as `incident postmortem` says it.
pub fn tell(ctx: &crate::ctx::Ctx, followed: &Followed) -> Result<()> {
    if let Some((path, appended)) = &followed.rendered {
        for a in appended {
            ctx.ui.warn(appended_warning(path, a))?;
        }
    }
    if let Some((oid, message)) = &followed.commit {
        let what = if followed.rendered.is_some() { " (postmortem re-rendered)" } else { "" };
        writeln!(ctx.ui.status(), "committed {} {message}{what}", crate::ui::cut(&oid.to_string(), 12))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Body, Event, Outcome, PublicStatus};
    use crate::phase::Phase;

    /// What `fuzz/fuzz_targets/render.rs` checks, over values that each broke something once
    /// or could: markup, escapes, fences, pipes, editable markers, the empty string.
    const HOSTILE: [&str; 10] = [
        "<script>alert(1)</script>",
        "Checkout \u{1b}]0;pwned\u{7}\u{1b}[2J down",
        "```\nfence",
        "~~~",
        "a | b\n| c |",
        "\u{9b}31m \u{202e}gnp.exe",
        "<!-- editable:summary -->",
        "`tick` \\",
        "",
        "\r\n\t<b>",
    ];

    fn incident(v: &str) -> Incident {
        let t0 = crate::timefmt::parse_rfc3339("2026-11-27T14:00:00Z").unwrap();
        let rb = Some("dns-failure".to_string());
        let step = "confirm-resolution-errors".to_string();
        let bodies = vec![
            Body::Opened {
                title: v.into(),
                severity: v.into(),
                services: vec![v.into()],
                drill: false,
                private: false,
                maintenance: None,
            },
            Body::Note { text: v.into() },
            Body::Severity { from: v.into(), to: format!("{v}2"), reason: Some(v.into()) },
            Body::Role { role: v.into(), name: v.into() },
            Body::Runbook { runbook: "dns-failure".into(), sha256: Some(v.into()) },
            Body::Step {
                step: step.clone(),
                phase: Phase::Detect,
                outcome: Outcome::Done,
                choice: Some(v.into()),
                note: Some(v.into()),
                runbook: rb.clone(),
            },
            Body::Command {
                step,
                command: v.into(),
                exit_code: Some(1),
                output: v.into(),
                truncated: false,
                duration_ms: 1,
                runbook: rb,
                timeout_s: Some(5),
                timed_out: true,
                interrupted: false,
                signal: None,
                runbook_sha256: Some(v.into()),
            },
            Body::Action {
                title: v.into(),
                owner: v.into(),
                due: Some(v.into()),
                action_type: v.into(),
                link: Some(v.into()),
            },
            Body::Update {
                channel: v.into(),
                message: v.into(),
                status: Some(PublicStatus::Identified),
                eta: None,
                maintenance_status: None,
            },
            Body::Retro { section: "summary".into(), text: v.into() },
            Body::Retro { section: v.into(), text: v.into() },
            Body::Resolved { root_cause: Some(v.into()) },
        ];
        let events = bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| Event::new(b, v, t0 + chrono::Duration::minutes(i as i64), None))
            .collect();
        Incident::fold("2026-11-27-hostile", events).unwrap()
    }

    fn shape(md: &str) -> (usize, usize) {
        (
            md.matches("<!-- editable:").count(),
            md.lines().filter(|l| l.trim_start().starts_with("```")).count(),
        )
    }

    #[test]
    fn hostile_values_in_every_field_render_safely() {
        let dir = tempfile::tempdir().unwrap();
        crate::starter::install(dir.path()).unwrap();
        let base = crate::load::repo(dir.path().to_path_buf()).unwrap();
        let render = |v: &str| {
            let mut config = base.config.clone();
            config.services.insert(v.into(), crate::config::Service { name: v.into(), ..Default::default() });
            let repo = Repo { root: base.root.clone(), config };
            render::render_markdown(
                "postmortem.md.j2",
                starter::POSTMORTEM_TEMPLATE,
                &context(&repo, &incident(v)),
            )
            .unwrap()
        };
        let x = render("x");
        assert!(x.contains("`confirm-resolution-errors`"), "the runbook's steps are rendered too:\n{x}");
        let plain = shape(&x);
        for v in HOSTILE {
            let md = render(v);
            assert!(!md.chars().any(|c| c != '\n' && crate::ui::is_hidden(c)), "{v:?}: raw control in\n{md}");
            let stripped =
                md.replace("<br>", "").replace("<!-- editable:", "").replace("<!-- /editable:", "");
            assert!(!stripped.contains('<'), "{v:?}: raw < in\n{md}");
            assert_eq!(shape(&md), plain, "{v:?} changed the document's structure:\n{md}");
        }
    }
}

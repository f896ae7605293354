//! Follow-up action items: `action TITLE --owner NAME [--due] [--type] [--link]`
//! adds one to the incident; `action done ID [--note]` and `action drop ID --reason` settle
//! one, once, whatever state its incident is in (follow-ups happen after the postmortem);
//! `actions [--open] [--owner] [--overdue]` lists them across every incident.

use chrono::NaiveDate;
use serde::Serialize;

use crate::cli::{ActionArgs, ActionCmd, value_name};
use crate::ctx::Ctx;
use crate::error::{InputError, Noun, RecordError, Result, Unknown};
use crate::events::Body;
use crate::index::{self, Warning};
use crate::names;
use crate::narrate::short_id;
use crate::repo::Repo;
use crate::state::{ActionItem, ActionState, Incident};
use crate::timefmt;
use crate::ui;

pub fn action(ctx: &Ctx, args: ActionArgs) -> Result<u8> {
    match args.settle {
        Some(ActionCmd::Done { id, note }) => settle(ctx, &id, None, note),
        Some(ActionCmd::Drop { id, reason }) => settle(ctx, &id, Some(reason), None),
        None => add(ctx, args),
    }
}

fn add(ctx: &Ctx, args: ActionArgs) -> Result<u8> {
    let example = "incident action TITLE --owner NAME --due YYYY-MM-DD";
    let title = args.title.ok_or(InputError::Missing { what: "TITLE", example })?;
    if title.trim().is_empty() {
        return Err(InputError::Empty { what: "title" }.into());
    }
    let owner = args.owner.ok_or(InputError::Missing { what: "--owner", example })?;
    let owner = names::check("--owner", owner)?;
    let due = match &args.due {
        Some(d) => Some(
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| InputError::BadDate { flag: "--due", value: d.clone() })?,
        ),
        None => None,
    };
    if let Some(l) = &args.link {
        crate::names::check_link(l)?;
    }
    let (repo, head) = ctx.head_target()?;
    // A date already past is most often a typo (a wrong month or year); an item logged
    // after the fact may mean it, so it is said, not refused.
    if let Some(due) = due
        && due < ctx.now.date_naive()
    {
        ctx.ui.warn(format!(
            "--due {due} is in the past (today is {}, UTC): the item is overdue from the start",
            ctx.now.date_naive()
        ))?;
    }
    let said = format!("action item for {owner}");
    let body = Body::Action {
        title,
        owner,
        due: args.due,
        action_type: value_name(args.action_type),
        link: args.link,
    };
    let follows = crate::postmortem::is_committed(&repo, head.id(), head.summary.state)?;
    if follows {
        repo.require_finished()?;
    }
    ctx.record(&repo, head.id(), vec![body], &said)?;
    if follows { follow_postmortem(ctx, &repo, head.id()) } else { Ok(0) }
}

/// A committed postmortem lists every action item and its state: after a change to one it is
/// rendered again and committed, as `incident postmortem` would. (A commit then would bury a
/// merge a person is finishing: callers refuse that before they write.)
fn follow_postmortem(ctx: &Ctx, repo: &Repo, id: &str) -> Result<u8> {
    let inc = ctx.load(repo, id)?;
    let followed = crate::postmortem::follow(repo, &inc, ctx.global.as_name.as_deref(), None)?;
    crate::postmortem::tell(ctx, &followed)?;
    Ok(0)
}

/// Settles an action item: done (with its note) when `reason` is `None`, else dropped.
fn settle(ctx: &Ctx, given: &str, reason: Option<String>, note: Option<String>) -> Result<u8> {
    if let Some(r) = &reason
        && r.trim().is_empty()
    {
        return Err(InputError::Empty { what: "--reason" }.into());
    }
    if let Some(n) = &note
        && n.trim().is_empty()
    {
        return Err(InputError::Empty { what: "--note" }.into());
    }
    let repo = ctx.repo()?;
    // With --incident, that incident's items; else any incident's: an action id is unique.
    let named = match ctx.global.incident.as_deref() {
        Some(_) => Some(ctx.incident_id(&repo, None)?),
        None => None,
    };
    let incidents = match &named {
        Some(id) => vec![ctx.load(&repo, id)?],
        None => every_incident(ctx, &repo)?,
    };
    let hits: Vec<(&Incident, &ActionItem)> = incidents
        .iter()
        .flat_map(|inc| inc.actions.iter().map(move |a| (inc, a)))
        .filter(|(_, a)| !given.is_empty() && a.id.starts_with(given))
        .collect();
    let exact = hits.iter().find(|(_, a)| a.id == given);
    let (inc, a) = match (exact, hits.as_slice()) {
        (Some(hit), _) | (None, [hit]) => *hit,
        (None, []) => {
            let unknown = Unknown::new(Noun::Action, given, Vec::new());
            return Err(match named {
                Some(incident) => unknown.within(incident),
                None => unknown,
            }
            .into());
        }
        (None, many) => {
            return Err(RecordError::AmbiguousAction {
                given: given.to_string(),
                candidates: many.iter().take(10).map(|(_, a)| a.id.clone()).collect(),
            }
            .into());
        }
    };
    if a.state != ActionState::Open {
        return Err(RecordError::AlreadySettled {
            action: short_id(&a.id).to_string(),
            title: a.title.clone(),
            state: a.state.name(),
            at: a.settled_at,
        }
        .into());
    }
    // A committed postmortem lists the item's state: it is rendered again and committed after
    // the event, and a commit now would bury a merge a person is finishing.
    let follows = crate::postmortem::is_committed(&repo, &inc.id, inc.state)?;
    if follows {
        repo.require_finished()?;
    }
    let (body, said) = match reason {
        Some(reason) => (
            Body::ActionDropped { action: a.id.clone(), reason },
            format!("action item {} dropped", short_id(&a.id)),
        ),
        None => {
            (Body::ActionDone { action: a.id.clone(), note }, format!("action item {} done", short_id(&a.id)))
        }
    };
    ctx.record(&repo, &inc.id, vec![body], &said)?;
    if follows { follow_postmortem(ctx, &repo, &inc.id) } else { Ok(0) }
}

/// Every incident of the repository, folded; one that cannot be read is named and skipped.
fn every_incident(ctx: &Ctx, repo: &Repo) -> Result<Vec<Incident>> {
    let mut out = Vec::new();
    for id in repo.ids() {
        match index::load(repo, &id) {
            Ok(loaded) => {
                ctx.warn(loaded.warnings)?;
                out.push(loaded.incident);
            }
            Err(error) => ctx.warn([Warning::Skipped { id, error }])?,
        }
    }
    Ok(out)
}

/// An `actions --json` row: `{id, incident, title, type, owner, due, link, state}`,
/// and more.
#[derive(Serialize)]
struct ActionJson<'a> {
    id: &'a str,
    incident: &'a str,
    title: &'a str,
    #[serde(rename = "type")]
    action_type: &'a str,
    owner: &'a str,
    due: Option<&'a str>,
    link: Option<&'a str>,
    state: &'static str,
    overdue: bool,
    at: String,
    settled_at: Option<String>,
    settled_by: Option<&'a str>,
    note: Option<&'a str>,
    reason: Option<&'a str>,
}

pub fn list(ctx: &Ctx, open: bool, owner: Option<&str>, overdue: bool) -> Result<u8> {
    let repo = ctx.repo()?;
    let incidents = every_incident(ctx, &repo)?;
    let today = timefmt::date(ctx.now);
    let owner = owner.map(|o| o.trim().to_lowercase());
    let mut rows: Vec<(&Incident, &ActionItem)> = incidents
        .iter()
        .flat_map(|inc| inc.actions.iter().map(move |a| (inc, a)))
        .filter(|(_, a)| !open || a.state == ActionState::Open)
        .filter(|(_, a)| !overdue || a.overdue_on(&today))
        .filter(|(_, a)| owner.as_ref().is_none_or(|o| a.owner.trim().to_lowercase() == *o))
        .collect();
    // By due date (undated last), then incident, then when they were added.
    rows.sort_by(|(i, a), (j, b)| {
        (a.due.is_none(), &a.due, &i.id, a.at, &a.id).cmp(&(b.due.is_none(), &b.due, &j.id, b.at, &b.id))
    });
    if ctx.global.json {
        let json: Vec<ActionJson<'_>> = rows
            .iter()
            .map(|(inc, a)| ActionJson {
                id: &a.id,
                incident: &inc.id,
                title: &a.title,
                action_type: &a.action_type,
                owner: &a.owner,
                due: a.due.as_deref(),
                link: a.link.as_deref(),
                state: a.state.name(),
                overdue: a.overdue_on(&today),
                at: timefmt::stored(a.at),
                settled_at: a.settled_at.map(timefmt::stored),
                settled_by: a.settled_by.as_deref(),
                note: a.note.as_deref(),
                reason: a.reason.as_deref(),
            })
            .collect();
        return ctx.print_json(&json).map(|()| 0);
    }
    if rows.is_empty() {
        let filtered = open || overdue || owner.is_some();
        writeln!(
            ctx.ui.out(),
            "No action items{}; `incident action TITLE --owner NAME --due YYYY-MM-DD` adds one.",
            if filtered { " match" } else { " yet" }
        )?;
        return Ok(0);
    }
    // Five columns, the incident under the title: readable in 80 columns.
    let mut t = ui::table(&["Id", "Due", "Owner", "State", "Action (type, incident)"]);
    if t.width().is_none() {
        t.set_width(80);
    }
    for (inc, a) in &rows {
        let state = if a.overdue_on(&today) { "overdue" } else { a.state.name() };
        t.add_row(vec![
            short_id(&a.id).to_string(),
            a.due.clone().unwrap_or_else(|| "—".to_string()),
            a.owner.clone(),
            state.to_string(),
            format!("{}\n{}, {}", a.title, a.action_type, inc.id),
        ]);
    }
    writeln!(ctx.ui.out().block(), "{t}")?;
    Ok(0)
}

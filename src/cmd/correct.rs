//! `incident amend EVENT [--at T] [--text TEXT]` and `incident retract EVENT --reason TEXT`:
//! corrections are events. The original line stays in the log; the fold applies
//! the correction, and the postmortem marks the fact corrected.

use crate::ctx::Ctx;
use crate::error::{InputError, Noun, RecordError, Result, Unknown};
use crate::events::{Body, Event, Milestone};
use crate::narrate::short_id;
use crate::state::{Incident, Moments};

/// The event `given` names: an id or a unique prefix of one.
fn find<'a>(inc: &'a Incident, given: &str) -> Result<&'a Event> {
    let hits: Vec<&Event> = inc.events.iter().filter(|e| e.id.starts_with(given)).collect();
    match hits.as_slice() {
        [one] if !given.is_empty() => Ok(one),
        [] | [_] => Err(Unknown::new(Noun::Event, given, Vec::new()).within(inc.id.clone()).into()),
        many => Err(RecordError::AmbiguousEvent {
            given: given.to_string(),
            candidates: many.iter().take(10).map(|e| e.id.clone()).collect(),
        }
        .into()),
    }
}

/// Whether `e` may be corrected: not a correction itself, and not already retracted (a
/// retracted fact is out of the record; a second retraction or an amend would change nothing
/// the fold shows, only add a line that looks like it did).
fn correctable(inc: &Incident, e: &Event) -> Result<()> {
    if inc.retracted.contains_key(&e.id) {
        return Err(RecordError::NotCorrectable {
            event: short_id(&e.id).to_string(),
            kind: e.body.kind(),
            why: "was retracted already; a fact that was true after all is logged again",
        }
        .into());
    }
    if e.body.is_correction() {
        return Err(RecordError::NotCorrectable {
            event: short_id(&e.id).to_string(),
            kind: e.body.kind(),
            why: "is itself a correction; correct the event it names instead",
        }
        .into());
    }
    Ok(())
}

/// The milestone an event sets, if it sets one.
fn milestone_of(body: &Body) -> Option<Milestone> {
    match body {
        Body::Mark { milestone } => Some(*milestone),
        Body::Resolved { .. } => Some(Milestone::Resolved),
        _ => None,
    }
}

pub fn amend(ctx: &Ctx, given: &str, text: Option<String>) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    let e = find(&inc, given)?;
    correctable(&inc, e)?;
    let time = ctx.at();
    if time.is_none() && text.is_none() {
        return Err(InputError::Missing {
            what: "--at or --text",
            example: "incident amend EVENT --at 14:05",
        }
        .into());
    }
    if let Some(t) = &text {
        if t.trim().is_empty() {
            return Err(InputError::Empty { what: "--text" }.into());
        }
        if e.body.with_text(t.clone()).is_none() {
            let why = "has no text to amend; only --at applies";
            return Err(RecordError::NotCorrectable {
                event: short_id(&e.id).to_string(),
                kind: e.body.kind(),
                why,
            }
            .into());
        }
    }
    // A corrected key moment must still be in order with the others, and any other fact
    // but a note must stay after impact started.
    if let (Some(t), Some(m)) = (time, milestone_of(&e.body)) {
        inc.moments.with(m, t).check(m)?;
    }
    // The opening is impact started and detected where they were not marked: moved, it must
    // stay in order with the marks that were (never detected before impact started), and
    // after impact started.
    if let Some(t) = time
        && matches!(e.body, Body::Opened { .. })
    {
        let moved = Moments { opened_at: t, ..inc.moments.clone() };
        for m in [Milestone::Started, Milestone::Detected] {
            if !inc.moments.marks.contains_key(&m) {
                moved.check(m)?;
            }
        }
        // Nor opened before impact started: only a note may come before it.
        moved.check_fact("opened", t)?;
    }
    // Impact started moved later must not leave a fact before it.
    let moves_start = matches!(milestone_of(&e.body), Some(Milestone::Started))
        || (matches!(e.body, Body::Opened { .. }) && !inc.moments.marks.contains_key(&Milestone::Started));
    if let Some(t) = time
        && moves_start
    {
        // What the opening logged with it (its commander, its runbook) moves with it.
        let batch = (matches!(e.body, Body::Opened { .. })).then_some(e.at);
        inc.check_started_later(t, |f| f.id == e.id || Some(f.at) == batch)?;
    }
    if let Some(t) = time
        && !e.body.may_precede_impact()
    {
        inc.moments.check_fact(e.body.kind(), t)?;
    }
    let said = format!("event {} amended", short_id(&e.id));
    let body = Body::Amend { event: e.id.clone(), time, text };
    // The correction is logged now; `--at` is the corrected time, not when this was said.
    let event = ctx.event_at(&repo, body, None)?;
    ctx.append_and_say(&repo, &inc.id, vec![event], &said)
}

pub fn retract(ctx: &Ctx, given: &str, reason: String) -> Result<u8> {
    let (repo, inc) = ctx.target(None)?;
    let e = find(&inc, given)?;
    correctable(&inc, e)?;
    if matches!(e.body, Body::Opened { .. }) {
        let why = "opened the incident; an incident cannot be un-opened (amend its text or time instead, or `incident cancel --reason TEXT` a false alarm or duplicate)";
        return Err(
            RecordError::NotCorrectable { event: short_id(&e.id).to_string(), kind: "opened", why }.into()
        );
    }
    if reason.trim().is_empty() {
        return Err(InputError::Empty { what: "--reason" }.into());
    }
    let said = format!("event {} retracted", short_id(&e.id));
    let body = Body::Retract { event: e.id.clone(), reason };
    let event = ctx.event_at(&repo, body, None)?;
    ctx.append_and_say(&repo, &inc.id, vec![event], &said)
}

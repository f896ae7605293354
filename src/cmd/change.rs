//! `incident change record|add` and `incident changes`: deploys recorded beside the incidents,
//! so "what changed before it broke?" has an answer in the record.

use chrono::{DateTime, Utc};

use crate::changes::{self, Change, NewChange};
use crate::cli::ChangeCmd;
use crate::ctx::Ctx;
use crate::error::{InputError, Result};
use crate::repo::Repo;
use crate::timefmt;

pub fn run(ctx: &Ctx, cmd: ChangeCmd) -> Result<u8> {
    match cmd {
        ChangeCmd::Record { services, title, timeout, command } => {
            record(ctx, services, title, timeout.as_deref(), &command)
        }
        ChangeCmd::Add { title, services, link } => add(ctx, title, services, link),
    }
}

/// Runs the deploy command as given (argv, no shell: nothing of the data becomes shell
/// text), bounded, redacted and timed as a step's command is, then records the change,
/// whatever the command's end. Exit 1 when it did not exit 0.
fn record(
    ctx: &Ctx,
    services: Vec<String>,
    title: Option<String>,
    timeout: Option<&str>,
    command: &[String],
) -> Result<u8> {
    let repo = ctx.repo()?;
    let services = checked_services(&repo, services)?;
    let timeout = match timeout {
        None => crate::runbook::DEFAULT_TIMEOUT,
        Some(t) => timefmt::parse_period(t).ok_or_else(|| InputError::BadTime {
            flag: "--timeout",
            value: t.to_string(),
            reason: "not a duration (e.g. 90s, 10m, 1h)".into(),
        })?,
    };
    let Some((program, args)) = command.split_first() else {
        return Err(InputError::Missing {
            what: "CMD",
            example: "incident change record -- ./deploy.sh v42",
        }
        .into());
    };
    let shown = shown_command(command);
    let title = match title {
        Some(t) => checked_title(t)?,
        None => crate::ui::cut(&shown, crate::names::MAX_TITLE).to_string(),
    };
    let by = repo.responder(ctx.global.as_name.as_deref())?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).current_dir(std::env::current_dir().unwrap_or_else(|_| repo.root.clone()));
    let started = ctx.clock_now();
    let watched = crate::respond::run_watched(ctx, cmd, "the change's command", timeout)?;
    let ended = ctx.clock_now();
    let ran = &watched.ran;
    let ending = ran.exit_code.is_none().then(|| {
        crate::runner::ending(None, ran.timed_out.then_some(timeout.as_secs()), ran.interrupted, ran.signal)
    });
    let change = Change::new(NewChange {
        title,
        services,
        at: started,
        ended_at: Some(ended),
        exit: ran.exit_code,
        by,
        link: None,
        command: Some(shown),
        output: Some(ran.output.clone()),
        ending,
    });
    // Recorded before anything more is shown: a screen that went away must not lose it.
    changes::append(&repo, &change)?;
    let ran = watched.show(ctx)?;
    tell(ctx, &change)?;
    if let Some(signal) = ran.signal {
        // Asked to stop: the command's group was killed and the change recorded; stop too.
        writeln!(ctx.ui.status(), "stopped by {signal}: the command and everything it started were killed")?;
    }
    Ok(u8::from(ran.exit_code != Some(0)))
}

/// Records a change made elsewhere, started at `--at` (default now).
fn add(ctx: &Ctx, title: String, services: Vec<String>, link: Option<String>) -> Result<u8> {
    let title = checked_title(title)?;
    if let Some(l) = &link {
        crate::names::check_link(l)?;
    }
    let repo = ctx.repo()?;
    let services = checked_services(&repo, services)?;
    let by = repo.responder(ctx.global.as_name.as_deref())?;
    let at = ctx.at().unwrap_or_else(|| ctx.clock_now());
    let change = Change::new(NewChange { title, services, at, by, link, ..NewChange::default() });
    changes::append(&repo, &change)?;
    tell(ctx, &change)?;
    Ok(0)
}

/// `changes`: the changes recorded, oldest first; lines that cannot be read are named.
pub fn list(ctx: &Ctx, since: Option<&str>, services: &[String]) -> Result<u8> {
    let since = since.map(|s| ctx.parse_time("--since", s)).transpose()?;
    let repo = ctx.repo()?;
    for s in services {
        repo.config.check_service(s)?;
    }
    let read = changes::read(&repo, since)?;
    for (path, line, reason) in &read.unreadable {
        let path = path.strip_prefix(&repo.root).unwrap_or(path);
        ctx.ui.warn(format_args!(
            "{}:{line}: unreadable line skipped ({reason}); `incident doctor --fix` moves it to changes/rejected.jsonl",
            path.display()
        ))?;
    }
    let shown: Vec<&Change> = read.changes.iter().filter(|c| c.touches(services)).collect();
    if ctx.global.json {
        return ctx.print_json(&shown).map(|()| 0);
    }
    if shown.is_empty() {
        writeln!(ctx.ui.status(), "no changes recorded{}", since.map(since_words).unwrap_or_default())?;
        return Ok(0);
    }
    writeln!(ctx.ui.out().block(), "{}", changes::table(&shown))?;
    Ok(0)
}

fn since_words(t: DateTime<Utc>) -> String {
    format!(" since {}", timefmt::rfc3339(t))
}

/// What `change` says of the change it recorded: a line, or with `--json` the change.
fn tell(ctx: &Ctx, c: &Change) -> Result<()> {
    if ctx.global.json {
        return ctx.print_json(c);
    }
    let services =
        if c.services.is_empty() { String::new() } else { format!(" to {}", c.services.join(", ")) };
    let outcome = c.outcome();
    let outcome = if outcome.is_empty() { String::new() } else { format!(", {outcome}") };
    ctx.say(format!(
        "{}  change{services} recorded: {}{outcome}  [{}]",
        timefmt::rfc3339(c.at),
        crate::ui::visible(&c.title),
        c.id
    ))
}

fn checked_title(title: String) -> Result<String> {
    if title.trim().is_empty() {
        return Err(InputError::Empty { what: "title" }.into());
    }
    crate::names::check_title(&title)?;
    if title.contains(['\n', '\r']) {
        return Err(InputError::BadName { flag: "TITLE", value: title }.into());
    }
    Ok(title.trim().to_string())
}

/// Services as `incident.yaml` declares them (when it declares any), each once.
fn checked_services(repo: &Repo, mut services: Vec<String>) -> Result<Vec<String>> {
    for s in &services {
        repo.config.check_service(s)?;
    }
    // Each once, in the order given (`dedup` alone drops only neighbours).
    let mut seen = std::collections::BTreeSet::new();
    services.retain(|s| seen.insert(s.clone()));
    Ok(services)
}

/// The command as a person would type it: each argument quoted when it needs to be.
fn shown_command(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain =
                !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain { a.clone() } else { format!("'{}'", a.replace('\'', "'\\''")) }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

//! The walk's card: what a responder needs at a glance before acting on a step — the
//! incident, how long customers have been hurt, the phase against its budget, the next
//! stakeholder update, and the step itself. Wrapped on word boundaries to the terminal's
//! width; coloured only on a terminal and never under `NO_COLOR`.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};
use dialoguer::console::{Term, measure_text_width};

use crate::config::Config;
use crate::flow::{Plan, Status};
use crate::metrics;
use crate::runbook::{PlacedStep, Runbook};
use crate::state::Incident;
use crate::timefmt::{hhmm, human};

/// Width used when the terminal does not say (or output is not a terminal).
pub const DEFAULT_WIDTH: usize = 80;
/// Narrower than this, wrapping helps nobody.
const MIN_WIDTH: usize = 20;

/// How the card is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub width: usize,
    pub color: bool,
}

impl Look {
    /// stdout as it is: its width when it is a terminal that says, colour when it is a
    /// terminal and `NO_COLOR` is not set.
    pub fn stdout() -> Look {
        let term = Term::stdout();
        let width = term.size_checked().map(|(_, cols)| usize::from(cols)).filter(|c| *c > 0);
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Look { width: width.unwrap_or(DEFAULT_WIDTH), color }
    }
}

/// How a line is painted (ANSI SGR codes), when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paint {
    Plain,
    Bold,
    Dim,
    Alarm,
    Command,
}

impl Paint {
    fn code(self) -> Option<&'static str> {
        match self {
            Paint::Plain => None,
            Paint::Bold => Some("1"),
            Paint::Dim => Some("2"),
            Paint::Alarm => Some("1;31"),
            Paint::Command => Some("36"),
        }
    }
}

/// One line of the card before wrapping: its indent (continuation lines keep it), its
/// text, its paint, and whether it may be wrapped (a command is shown exactly as it runs).
struct Line {
    indent: usize,
    text: String,
    paint: Paint,
    wrap: bool,
}

fn line(indent: usize, text: String, paint: Paint) -> Line {
    Line { indent, text, paint, wrap: true }
}

/// The card for step `cur` of `rb`, as lines ready to print.
pub fn render(
    inc: &Incident,
    config: &Config,
    rb: &Runbook,
    plan: &Plan<'_>,
    cur: PlacedStep<'_>,
    now: DateTime<Utc>,
    look: Look,
) -> Vec<String> {
    let mut lines = vec![
        line(3, format!("── {}", clean(&inc.title)), Paint::Bold),
        line(3, format!("   incident {}", clean(&inc.id)), Paint::Dim),
    ];

    let keys = metrics::key_times(inc);
    if let Some(started) = keys.started {
        let since = metrics::since_impact_s(inc, now).unwrap_or(0);
        let mut text = format!("   impact started {} ago ({} UTC)", human(since), hhmm(started));
        if let Some(m) = metrics::metrics(inc).time_to_mitigate_s {
            text.push_str(&format!(" · mitigated after {}", human(m)));
        }
        lines.push(line(3, text, Paint::Plain));
    }

    let rows = metrics::phases(inc, config, Some(rb), now);
    let row = rows.iter().find(|r| r.phase == cur.phase);
    let spent = row.and_then(|r| r.actual_s).unwrap_or(0);
    let budget = row.map_or(0, |r| r.budget_s);
    // On detect's steps once detected, the clock runs in assess (the confirming that follows
    // detection): shown too, so an overrun there is not hidden behind detect's finished row.
    let running = rows.iter().find(|r| r.running && r.phase != cur.phase && row.is_some_and(|c| !c.running));
    let over = row.is_some_and(|r| r.over) || running.is_some_and(|r| r.over);
    // Steps on a branch not taken will never come; they do not count.
    let in_phase: Vec<_> =
        plan.items.iter().filter(|(p, s)| p.phase == cur.phase && *s != Status::NotTaken).collect();
    let n = in_phase.iter().position(|(p, _)| p.step.id == cur.step.id).map_or(0, |i| i + 1);
    let mut phase = format!(
        "   {} · {} · {} of {} budget · step {n} of {}",
        clean(&metrics::severity_label(
            &inc.severity,
            metrics::peak_severity(config, metrics::severities_reached(inc))
        )),
        cur.phase,
        human(spent),
        human(budget),
        in_phase.len()
    );
    if let Some(r) = running {
        phase.push_str(&format!(
            " · now {} {} of {}",
            r.phase,
            human(r.actual_s.unwrap_or(0)),
            human(r.budget_s)
        ));
    }
    if over {
        phase.push_str(" · OVER BUDGET");
    }
    lines.push(line(3, phase, if over { Paint::Alarm } else { Paint::Plain }));

    if let Some(c) = metrics::update_cadence(inc, config, now) {
        let (text, paint) = if c.overdue {
            let text = format!(
                "   stakeholder update OVERDUE: last one {} ago, {} expects one every {}",
                human(c.since_s),
                clean(&inc.severity),
                human(c.every_s)
            );
            (text, Paint::Alarm)
        } else {
            let text =
                format!("   next stakeholder update due {} UTC (in {})", hhmm(c.due_at), human(c.due_in_s));
            (text, Paint::Dim)
        };
        lines.push(line(3, text, paint));
    }
    let undelivered = crate::report::undelivered(inc, config);
    if !undelivered.is_empty() {
        let channels: Vec<String> = undelivered.iter().map(|u| clean(&u.channel)).collect();
        let text = format!(
            "   {} update(s) NOT DELIVERED ({}): `incident update --retry`",
            undelivered.len(),
            channels.join(", ")
        );
        lines.push(line(3, text, Paint::Alarm));
    }

    lines.push(line(3, format!("{}: {}", clean(&cur.step.id), clean(&cur.step.title)), Paint::Bold));
    if let Some(d) = &cur.step.details {
        for l in d.lines() {
            lines.push(line(3, format!("   {}", clean(l)), Paint::Plain));
        }
    }
    if let Some(cmd) = &cur.step.run {
        for (i, l) in cmd.lines().enumerate() {
            let text = if i == 0 { format!("   $ {}", clean(l)) } else { format!("     {}", clean(l)) };
            lines.push(Line { indent: 5, text, paint: Paint::Command, wrap: false });
        }
    }

    let width = look.width.max(MIN_WIDTH);
    let mut out = Vec::new();
    for l in lines {
        let pieces = if l.wrap { wrap(&l.text, width, l.indent) } else { vec![l.text] };
        out.extend(pieces.into_iter().map(|p| paint(look.color, l.paint, &p)));
    }
    out
}

/// Control characters from data never reach the terminal raw: made visible by
/// [`crate::ui::visible`], before the card adds colour codes of its own.
fn clean(text: &str) -> String {
    crate::ui::visible(&text.replace('\t', "    ")).into_owned()
}

fn paint(color: bool, paint: Paint, text: &str) -> String {
    match paint.code() {
        Some(code) if color => format!("\x1b[{code}m{text}\x1b[0m"),
        _ => text.to_string(),
    }
}

/// Wraps `text` on spaces to `width` columns; continuation lines are indented by `indent`
/// spaces. A word longer than a line is left whole. The text's own leading spaces are kept.
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    if measure_text_width(text) <= width {
        return vec![text.to_string()];
    }
    let words = text.trim_start_matches(' ');
    let lead = text.len() - words.len();
    let mut lines = Vec::new();
    let mut current = " ".repeat(lead);
    // The width of `current`, kept as words are added: measuring the line again for each
    // word would make a long text quadratic.
    let mut current_width = lead;
    let mut has_word = false;
    for word in words.split(' ').filter(|w| !w.is_empty()) {
        let word_width = measure_text_width(word);
        let needed = word_width + usize::from(has_word);
        if has_word && current_width + needed > width {
            lines.push(std::mem::replace(&mut current, " ".repeat(indent)));
            current_width = indent;
            has_word = false;
        }
        current_width += word_width + usize::from(has_word);
        if has_word {
            current.push(' ');
        }
        current.push_str(word);
        has_word = true;
    }
    lines.push(current);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_line_as_given() {
        assert_eq!(wrap("   a b  c", 80, 3), vec!["   a b  c"]);
    }

    #[test]
    fn long_text_wraps_on_word_boundaries_with_the_indent() {
        let text = "   Look at the checkout dashboard and the payment gateway's error rate";
        let lines = wrap(text, 30, 3);
        assert_eq!(
            lines,
            vec!["   Look at the checkout", "   dashboard and the payment", "   gateway's error rate"]
        );
        for l in &lines {
            assert!(measure_text_width(l) <= 30, "{l:?}");
        }
    }

    #[test]
    fn a_word_longer_than_the_line_stays_whole() {
        let lines = wrap("see https://example.com/a/very/long/path/indeed now", 20, 2);
        assert_eq!(lines, vec!["see", "  https://example.com/a/very/long/path/indeed", "  now"]);
    }

    #[test]
    fn wide_characters_count_by_their_width() {
        // Each of these takes two columns.
        let lines = wrap("日本語 日本語 日本語", 14, 0);
        assert_eq!(lines, vec!["日本語 日本語", "日本語"]);
    }

    #[test]
    fn colour_only_when_asked_and_control_characters_escaped() {
        assert_eq!(paint(true, Paint::Bold, "x"), "\x1b[1mx\x1b[0m");
        assert_eq!(paint(false, Paint::Bold, "x"), "x");
        assert_eq!(paint(true, Paint::Plain, "x"), "x");
        assert_eq!(clean("a\x1b[31mb\u{7}\t"), "a␛[31mb␇    ");
    }
}

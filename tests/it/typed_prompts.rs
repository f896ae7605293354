//! `open`'s severity and services questions in a real pseudo-terminal: typed lines confirmed
//! with Enter, as every other question, not arrow-key menus.

use serde_json::Value;

use super::harness::Env;
use super::walk_pty::Walk;

/// The opening event of the only incident.
fn opened(env: &Env) -> Value {
    let events = env.events(&env.only_id());
    events.into_iter().find(|e| e["kind"] == "opened").expect("an opened event")
}

/// `open` with everything given but the services, past the question of when impact started.
fn at_services(env: &Env) -> Walk {
    let args =
        ["open", "Checkout 500", "--severity", "SEV2", "--commander", "Dana", "--runbook", "bad-deploy"];
    let mut open = Walk::spawn_args(env, &args);
    open.expect("When did impact start?");
    open.send_line("");
    open
}

/// Regression: the severity was an arrow-key menu on SEV1: typing `sev3` and Enter opened
/// at SEV1. Now a name in any case or a number is typed, and Enter alone takes SEV1, as
/// the question says.
#[test]
fn open_takes_the_severity_typed_by_name_or_number_and_the_default_on_enter_alone() {
    let severity = |answer: &str| {
        let env = Env::init();
        let args = [
            "open",
            "Checkout 500",
            "--service",
            "checkout",
            "--runbook",
            "bad-deploy",
            "--commander",
            "Dana",
        ];
        let mut open = Walk::spawn_args(&env, &args);
        open.expect("Severity:");
        open.expect("3. SEV3  ");
        open.expect("Severity (name or number) [SEV1]");
        open.send_line(answer);
        open.expect("When did impact start?");
        open.send_line("");
        let (code, out) = open.finish();
        assert_eq!(code, 0, "{out}");
        opened(&env)["severity"].clone()
    };
    assert_eq!(severity("sev3"), "SEV3");
    assert_eq!(severity("sev1"), "SEV1");
    assert_eq!(severity("2"), "SEV2");
    assert_eq!(severity(""), "SEV1", "Enter alone: the default shown");
}

/// Regression: services were an arrow-key menu toggled with the space bar: typing their
/// names and Enter attached none. Now names or numbers are typed, separated by commas or
/// spaces, and one not listed is named and the question asked again.
#[test]
fn open_attaches_the_services_typed_and_asks_again_naming_one_not_listed() {
    let env = Env::init();
    let mut open = at_services(&env);
    open.expect("Affected services:");
    open.expect("1. checkout  Checkout");
    open.expect("Affected services (names or numbers, by commas or spaces) [none]");
    open.send_line("checkout, grocery, serch");
    open.expect("\"serch\" is not listed");
    open.expect("Affected services (names or numbers, by commas or spaces) [none]");
    open.send_line("checkout, grocery");
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");
    assert_eq!(opened(&env)["services"], serde_json::json!(["checkout", "grocery"]));
}

/// Enter alone at the services question names none.
#[test]
fn open_attaches_no_service_on_enter_alone() {
    let env = Env::init();
    let mut open = at_services(&env);
    open.expect("Affected services (names or numbers, by commas or spaces) [none]");
    open.send_line("");
    let (code, out) = open.finish();
    assert_eq!(code, 0, "{out}");
    assert_eq!(opened(&env)["services"], serde_json::json!([]));
}

/// Answers that never name a severity listed are not asked for ever: after a few the open
/// is refused, exit 2, naming the flag that gives the severity, and nothing is opened.
#[test]
fn open_gives_up_after_a_few_unlisted_severities_naming_the_flag_and_opens_nothing() {
    let env = Env::init();
    let mut open = Walk::spawn_args(&env, &["open", "Checkout 500", "--service", "checkout"]);
    for _ in 0..5 {
        open.expect("Severity (name or number) [SEV1]");
        open.send_line("sev9");
        open.expect("\"sev9\" is not one listed");
    }
    open.expect("pass --severity with one of SEV1, SEV2, SEV3, SEV4");
    let (code, out) = open.finish();
    assert_eq!(code, 2, "{out}");
    assert!(env.ids().is_empty(), "opened: {:?}", env.ids());
}

/// The same for services: the flag named is `--service`.
#[test]
fn open_gives_up_after_a_few_unlisted_services_naming_the_flag_and_opens_nothing() {
    let env = Env::init();
    let mut open = Walk::spawn_args(&env, &["open", "Checkout 500", "--severity", "SEV2"]);
    open.expect("When did impact start?");
    open.send_line("");
    for _ in 0..5 {
        open.expect("Affected services (names or numbers, by commas or spaces) [none]");
        open.send_line("web nope");
        open.expect("\"nope\" is not listed");
    }
    open.expect("pass --service with one of checkout, grocery");
    let (code, out) = open.finish();
    assert_eq!(code, 2, "{out}");
    assert!(env.ids().is_empty(), "opened: {:?}", env.ids());
}

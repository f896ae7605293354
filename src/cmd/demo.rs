//! `incident demo`: the founding scenario replayed into a fresh repository. Checkout returns
//! "Error 500" during the Black Friday peak after a bad deploy; the team rolls back and
//! validates. Fixed timestamps, so every figure in the postmortem is reproducible.

use chrono::{DateTime, TimeZone, Utc};

use crate::cmd::{init, postmortem};
use crate::error::Result;
use crate::events::{Body, Event, Milestone, Outcome};
use crate::index;
use crate::load;
use crate::phase::Phase;

pub const TITLE: &str = "Checkout returns Error 500 during the Black Friday peak";

fn at(hh: u32, mm: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, hh, mm, 0).single().unwrap_or_default()
}

fn step(id: &str, phase: Phase, outcome: Outcome, choice: Option<&str>, note: Option<&str>) -> Body {
    Body::Step { step: id.into(), phase, outcome, choice: choice.map(Into::into), note: note.map(Into::into) }
}

fn command(step: &str, command: &str, exit_code: i32, output: &str, ms: u64) -> Body {
    Body::Command {
        step: step.into(),
        command: command.into(),
        exit_code: Some(exit_code),
        output: output.into(),
        truncated: false,
        duration_ms: ms,
    }
}

fn text(s: &str) -> String {
    s.to_string()
}

/// The scenario, in order: (hour, minute, who, what).
fn script() -> Vec<(u32, u32, &'static str, Body)> {
    use Outcome::{Done, Skipped};
    use Phase::{Assess, Detect, Diagnose, Remediate, Validate};
    const ALICE: &str = "Alice Chen";
    const BEN: &str = "Ben Okafor";
    const PRIYA: &str = "Priya Raman";
    vec![
        (
            14,
            9,
            ALICE,
            Body::Opened {
                title: text(TITLE),
                severity: text("SEV2"),
                services: vec![text("checkout"), text("web")],
                drill: false,
            },
        ),
        (14, 2, ALICE, Body::Mark { milestone: Milestone::Started }),
        (14, 6, ALICE, Body::Mark { milestone: Milestone::Detected }),
        (14, 8, ALICE, Body::Mark { milestone: Milestone::Acknowledged }),
        (14, 9, ALICE, Body::Role { role: text("commander"), name: text(ALICE) }),
        (14, 9, ALICE, Body::Runbook { runbook: text("bad-deploy") }),
        (
            14,
            10,
            ALICE,
            command(
                "confirm-5xx-rate",
                "curl -fsS \"https://status.internal/api/v1/services/checkout?window=30m\"",
                0,
                "{\"service\":\"checkout\",\"window\":\"30m\",\"requests\":412880,\"http_5xx\":29315,\"error_ratio\":0.071}\n",
                412,
            ),
        ),
        (
            14,
            10,
            ALICE,
            step(
                "confirm-5xx-rate",
                Detect,
                Done,
                None,
                Some("7.1% of checkout requests fail since about 14:02"),
            ),
        ),
        (
            14,
            12,
            ALICE,
            command(
                "list-recent-rollouts",
                "kubectl -n shop rollout history deployment/checkout | tail -n 5; kubectl -n shop rollout history deployment/web | tail -n 5",
                0,
                "41        checkout v2.30.4\n42        checkout v2.31.0 (deployed 13:58 by release-train)\n18        web v5.12.1\n",
                1830,
            ),
        ),
        (
            14,
            12,
            ALICE,
            step("list-recent-rollouts", Detect, Done, None, Some("checkout v2.31.0 went out at 13:58")),
        ),
        (14, 13, ALICE, Body::Phase { phase: Assess }),
        (14, 14, ALICE, Body::Role { role: text("comms"), name: text(BEN) }),
        (
            14,
            15,
            ALICE,
            step(
                "scope-impact",
                Assess,
                Done,
                None,
                Some("only checkout pods restarting; web is healthy apart from checkout calls"),
            ),
        ),
        (
            14,
            16,
            ALICE,
            Body::Severity {
                from: text("SEV2"),
                to: text("SEV1"),
                reason: Some(text("7% of checkouts failing during the Black Friday peak")),
            },
        ),
        (
            14,
            18,
            BEN,
            Body::Update {
                channel: text("status-page"),
                message: text("We are investigating errors when placing orders. Browsing is not affected."),
            },
        ),
        (
            14,
            19,
            ALICE,
            step(
                "check-error-signature",
                Assess,
                Done,
                None,
                Some("new: PoolTimeoutException (db connection pool exhausted), 28k in 17 minutes"),
            ),
        ),
        (14, 20, ALICE, step("set-severity", Assess, Done, None, Some("SEV1: checkout failing at peak"))),
        (
            14,
            23,
            ALICE,
            command(
                "freeze-deploys",
                "argocd app set checkout --sync-policy none && argocd app set web --sync-policy none",
                0,
                "",
                960,
            ),
        ),
        (14, 24, ALICE, step("freeze-deploys", Assess, Done, None, None)),
        (14, 26, ALICE, Body::Phase { phase: Diagnose }),
        (
            14,
            27,
            ALICE,
            step(
                "show-running-images",
                Diagnose,
                Done,
                None,
                Some("checkout runs registry.internal/checkout:v2.31.0"),
            ),
        ),
        (
            14,
            28,
            ALICE,
            step("list-flag-changes", Diagnose, Skipped, None, Some("no flag changes since 11:00")),
        ),
        (
            14,
            30,
            ALICE,
            Body::Note {
                text: text(
                    "v2.31.0 lowered the DB pool size from 50 to 5 per pod (config default changed in the new client library)",
                ),
            },
        ),
        (14, 31, ALICE, step("recent-deploy", Diagnose, Done, Some("yes"), None)),
        (
            14,
            34,
            ALICE,
            step("check-migration", Diagnose, Done, Some("no"), Some("v2.31.0 has no schema migration")),
        ),
        (14, 36, ALICE, Body::Phase { phase: Remediate }),
        (
            14,
            37,
            ALICE,
            command(
                "rollback",
                "kubectl -n shop rollout undo deployment/checkout && kubectl -n shop rollout status deployment/checkout --timeout=5m",
                0,
                "deployment.apps/checkout rolled back\nWaiting for deployment \"checkout\" rollout to finish: 12 of 40 updated replicas are available...\ndeployment \"checkout\" successfully rolled out\n",
                382_000,
            ),
        ),
        (14, 44, ALICE, step("rollback", Remediate, Done, None, Some("back on v2.30.4"))),
        (14, 44, ALICE, Body::Mark { milestone: Milestone::Mitigated }),
        (
            14,
            45,
            BEN,
            Body::Update {
                channel: text("status-page"),
                message: text(
                    "A fix has been applied and orders are going through again. We are monitoring.",
                ),
            },
        ),
        (
            14,
            46,
            BEN,
            Body::Update {
                channel: text("support"),
                message: text(
                    "Checkout failed for about 7% of orders 14:02-14:44 UTC. Customers who saw Error 500 were not charged; ask them to retry.",
                ),
            },
        ),
        (14, 47, ALICE, Body::Phase { phase: Validate }),
        (14, 50, PRIYA, Body::Role { role: text("commander"), name: text(PRIYA) }),
        (
            14,
            50,
            ALICE,
            Body::Note { text: text("Handoff: Alice's shift ends; Priya takes command for validation") },
        ),
        (
            15,
            2,
            PRIYA,
            command(
                "check-error-rate-slo",
                "curl -fsS --get \"http://prometheus.internal:9090/api/v1/query\" --data-urlencode 'query=…' | jq -e '(.data.result[0].value[1] | tonumber) < 0.005'",
                0,
                "true\n",
                220,
            ),
        ),
        (
            15,
            2,
            PRIYA,
            step("check-error-rate-slo", Validate, Done, None, Some("5xx ratio 0.04% over 15 minutes")),
        ),
        (15, 3, PRIYA, step("check-rollout-healthy", Validate, Done, None, None)),
        (15, 5, PRIYA, step("run-synthetic-checkout", Validate, Done, None, Some("order SYN-88213 placed"))),
        (
            15,
            10,
            PRIYA,
            step("confirm-with-support", Validate, Done, None, Some("no new reports since 14:46")),
        ),
        (
            15,
            12,
            PRIYA,
            Body::Resolved {
                root_cause: Some(text(
                    "checkout v2.31.0 upgraded the database client library, whose default connection pool is 5 instead of 50. At peak traffic the pods ran out of connections and returned 500.",
                )),
            },
        ),
        (
            15,
            14,
            BEN,
            Body::Update {
                channel: text("status-page"),
                message: text(
                    "Resolved: checkout has been working normally since 14:44 UTC. We are sorry for the disruption.",
                ),
            },
        ),
        (
            15,
            20,
            PRIYA,
            Body::Retro {
                section: text("summary"),
                text: text(
                    "For 42 minutes of the Black Friday peak about 7% of checkouts failed with Error 500 after release v2.31.0 shrank the database connection pool. Rolling back restored service.",
                ),
            },
        ),
        (
            15,
            20,
            PRIYA,
            Body::Retro { section: text("trigger"), text: text("Release v2.31.0 of checkout at 13:58 UTC.") },
        ),
        (
            15,
            20,
            PRIYA,
            Body::Retro {
                section: text("contributing"),
                text: text(
                    "The release train was not frozen for the sale; the load test ran with the old client library; pool saturation had no alert.",
                ),
            },
        ),
        (
            15,
            20,
            PRIYA,
            Body::Retro {
                section: text("detection"),
                text: text("The checkout 5xx alert fired 4 minutes after impact began."),
            },
        ),
        (
            15,
            20,
            PRIYA,
            Body::Retro {
                section: text("resolution"),
                text: text(
                    "Rolled checkout back to v2.30.4 and validated with the SLO query, a synthetic order and support.",
                ),
            },
        ),
        (
            15,
            21,
            PRIYA,
            Body::Retro {
                section: text("went-well"),
                text: text(
                    "The runbook pointed at the deploy within 20 minutes, and the rollback took 7 minutes.",
                ),
            },
        ),
        (
            15,
            21,
            PRIYA,
            Body::Retro {
                section: text("went-wrong"),
                text: text(
                    "Assessment overran its budget while the severity was debated; the first status page update came 16 minutes after impact started.",
                ),
            },
        ),
        (
            15,
            21,
            PRIYA,
            Body::Retro {
                section: text("lucky"),
                text: text(
                    "The bad release did not include a schema migration, so a plain rollback was safe.",
                ),
            },
        ),
        (
            15,
            25,
            PRIYA,
            Body::Action {
                title: text("Alert on database connection pool saturation above 80%"),
                owner: text(ALICE),
                due: Some(text("2026-12-04")),
                action_type: text("prevent"),
            },
        ),
        (
            15,
            25,
            PRIYA,
            Body::Action {
                title: text("Freeze the release train during peak sales"),
                owner: text(PRIYA),
                due: Some(text("2026-12-01")),
                action_type: text("process"),
            },
        ),
        (
            15,
            26,
            PRIYA,
            Body::Action {
                title: text(
                    "Pin the DB pool size in checkout's config instead of relying on library defaults",
                ),
                owner: text(BEN),
                due: Some(text("2026-12-02")),
                action_type: text("mitigate"),
            },
        ),
    ]
}

pub fn run() -> Result<u8> {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let root = std::env::temp_dir().join(format!("incident-demo-{}-{nanos}", std::process::id()));
    init::create(&root)?;
    let repo = load::repo(root.clone())?;
    // The demo commits as itself, so it works on a machine with no git identity.
    repo.set_identity("Incident Demo", "demo@incident.invalid")?;
    let starter: Vec<std::path::PathBuf> =
        crate::starter::files().into_iter().map(|(rel, _)| rel.into()).collect();
    repo.commit_if_changed(&starter, "incident: initialize repository", None)?;

    let events: Vec<Event> =
        script().into_iter().map(|(h, m, by, body)| Event::new(body, by, at(h, m), None)).collect();
    let id = crate::ids::new_id(TITLE, at(14, 2), |_| false);
    index::append(&repo, &id, &events)?;
    let inc = index::load(&repo, &id)?.incident;
    let path = postmortem::write(&repo, &inc, at(15, 30), None, None)?;
    if let Some(oid) = postmortem::commit(&repo, &inc, None)? {
        let (subject, author) = repo.describe_commit(oid)?;
        eprintln!("commit {oid}");
        eprintln!("Author: {author}");
        eprintln!("\n    {subject}\n");
    }
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    println!("{}", path.display());
    Ok(0)
}

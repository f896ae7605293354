#!/usr/bin/env python3
"""Writes synthetic incidents straight into an incident repository, as `incident` would have
logged them: incidents/<id>/events.jsonl, one JSON event a line (see src/events.rs).

    gen.py fleet REPO [--count 1000]   # COUNT-1 closed incidents and exactly one open one
    gen.py big REPO [--events 10000]   # one resolved incident with a long, busy log
    gen.py open REPO [--events 10000]  # one open incident with a long, busy log (bench/append.sh)

Each subcommand prints the id of the incident a benchmark should aim at (the open one, the
big one). Output is deterministic for a given --seed, except the open incident, which is
opened relative to the current time so that `status` sees a live incident.
"""

import argparse
import json
import os
import random
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
SERVICES = ["web", "checkout", "grocery", "pharmacy", "marketplace"]
CHANNELS = ["status-page", "social", "email", "support", "stakeholders"]
PEOPLE = ["Alice Chen", "Ben Okafor", "Priya Raman", "Diego Alvarez", "Mei Tanaka",
          "Sam Kowalski", "Fatima Haddad", "Jonas Berg", "Lena Fischer", "Omar Said"]
ROLES = ["commander", "comms", "scribe", "ops"]

# The starter runbook `bad-deploy`, phase by phase (runbooks/bad-deploy.yaml).
RUNBOOK = "bad-deploy"
STEPS = {
    "detect": ["confirm-5xx-rate", "list-recent-rollouts"],
    "assess": ["scope-impact", "check-error-signature", "set-severity", "freeze-deploys"],
    "diagnose": ["show-running-images", "list-flag-changes", "recent-deploy", "check-migration"],
    "remediate": ["rollback", "disable-new-code-path", "revert-config-change"],
    "validate": ["check-error-rate-slo", "check-rollout-healthy", "run-synthetic-checkout",
                 "confirm-with-support"],
}
PHASES = list(STEPS)
COMMANDS = {
    "confirm-5xx-rate": 'curl -fsS "https://status.internal/api/v1/services/checkout?window=30m"',
    "list-recent-rollouts": "kubectl -n shop rollout history deployment/checkout | tail -n 5",
    "scope-impact": "kubectl -n shop get deployments -o wide && kubectl -n shop get pods | tail -n 20",
    "check-error-signature": "kubectl -n shop logs -l app=checkout --since=30m --tail=5000 | grep -Eo '[A-Za-z.]+Exception' | sort | uniq -c",
    "freeze-deploys": "argocd app set checkout --sync-policy none && argocd app set web --sync-policy none",
    "show-running-images": "kubectl -n shop get deployment checkout web -o wide",
    "list-flag-changes": 'curl -fsS "https://flags.internal/api/v1/audit?since=2h"',
    "rollback": "kubectl -n shop rollout undo deployment/checkout && kubectl -n shop rollout status deployment/checkout --timeout=5m",
    "check-error-rate-slo": "curl -fsS --get http://prometheus.internal:9090/api/v1/query --data-urlencode 'query=…' | jq -e '.data.result[0].value[1] | tonumber < 0.005'",
    "check-rollout-healthy": "kubectl -n shop get pods -l app=checkout",
}

TITLE_PARTS = [
    ("Checkout returns Error 500", ["checkout", "web"]),
    ("Storefront slow after release", ["web"]),
    ("Payment timeouts at peak", ["checkout"]),
    ("Grocery slot booking fails", ["grocery"]),
    ("Pharmacy refill page blank", ["pharmacy"]),
    ("Marketplace listings missing images", ["marketplace"]),
    ("Cart empties on login", ["checkout", "web"]),
    ("Delivery tracking stuck", ["grocery"]),
    ("Search returns no results", ["web", "marketplace"]),
    ("Order confirmation emails delayed", ["checkout"]),
]
CAUSES = ["config change", "bad deploy", "feature flag", "DB pool size", "cache eviction",
          "expired certificate", "DNS TTL", "sidecar upgrade", "schema migration", "rate limit"]
NOTES = [
    "error rate {r}% on checkout, climbing",
    "pods restarting in shop namespace: {n} restarts in the last 10 minutes",
    "suspect release v2.{n}.0 that went out at {t}",
    "DB connection pool at {r}% of max on checkout-db primary",
    "p99 latency {n}ms on /api/cart, baseline is 180ms",
    "support reports {n} tickets mentioning failed payments",
    "rolled back web canary; no change in error rate",
    "Grafana dashboard shows saturation on node pool b",
    "paged the payments on-call for a second pair of eyes",
    "third-party PSP status page reports no incident",
]
OUTPUT_LINES = [
    "NAME                        READY   STATUS             RESTARTS   AGE",
    "checkout-7d9f8c6b5-{x}      1/1     Running            {n}          {n}m",
    "checkout-7d9f8c6b5-{x}      0/1     CrashLoopBackOff   {n}          {n}m",
    "web-5b7c9d8f4-{x}           1/1     Running            0          3d",
    '{{"service":"checkout","window":"30m","requests":{big},"http_5xx":{n},"error_ratio":0.0{n}}}',
    "  {n} com.acme.checkout.PoolTimeoutException",
    "  {n} java.net.SocketTimeoutException",
    "deployment.apps/checkout rolled back",
    'Waiting for deployment "checkout" rollout to finish: {n} of 12 updated replicas are available...',
    "REVISION  CHANGE-CAUSE",
    "{n}        checkout v2.{n}.0 (deployed by release-train)",
]


def slug(title, max_slug=48):
    """As src/ids.rs: lowercase ASCII words joined by `-`, cut at a word boundary."""
    s = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(s) > max_slug:
        cut = s[:max_slug].rfind("-")
        s = s[:cut if cut > max_slug // 2 else max_slug]
    return s.rstrip("-") or "incident"


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def uid(self):
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex

    def fill(self, template):
        r = self.rng
        return template.format(
            r=round(r.uniform(0.5, 12), 1), n=r.randint(2, 99), big=r.randint(10_000, 900_000),
            t=f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
            x="".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5)))

    def output(self, lines):
        return "\n".join(self.fill(self.rng.choice(OUTPUT_LINES)) for _ in range(lines)) + "\n"


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Log:
    """Events of one incident, with a clock that only moves forward."""

    def __init__(self, gen, start):
        self.gen = gen
        self.t = start
        self.lines = []

    def tick(self, lo, hi):
        self.t += timedelta(seconds=self.gen.rng.randint(lo, hi))

    def add(self, by, kind, occurred_at=None, **fields):
        event = {"id": self.gen.uid(), "at": ts(self.t), "by": by}
        if occurred_at is not None and occurred_at != self.t:
            event["occurred_at"] = ts(occurred_at)
        event["kind"] = kind
        event.update(fields)
        self.lines.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")))

    def shift(self, delta):
        """Moves every event (and the clock) by delta."""
        parse = lambda v: datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        shifted = []
        for line in self.lines:
            e = json.loads(line)
            for key in ("at", "occurred_at"):
                if key in e:
                    e[key] = ts(parse(e[key]) + delta)
            shifted.append(json.dumps(e, ensure_ascii=False, separators=(",", ":")))
        self.lines = shifted
        self.t += delta

    def write(self, repo, incident_id):
        d = os.path.join(repo, "incidents", incident_id)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "events.jsonl"), "w", encoding="utf-8") as f:
            f.write("\n".join(self.lines) + "\n")


def opening(log, gen, title, services, severity):
    """opened, the key marks (backdated), commander, runbook. Returns the commander."""
    r = gen.rng
    cmdr = r.choice(PEOPLE)
    started = log.t - timedelta(minutes=r.randint(3, 20))
    log.add(cmdr, "opened", title=title, severity=severity, services=services, drill=r.random() < 0.03)
    log.add(cmdr, "mark", occurred_at=started, milestone="started")
    log.add(cmdr, "mark", occurred_at=started + timedelta(minutes=r.randint(1, 3)), milestone="detected")
    log.tick(20, 120)
    log.add(cmdr, "mark", milestone="acknowledged")
    log.add(cmdr, "role", role="commander", name=cmdr)
    log.add(cmdr, "runbook", runbook=RUNBOOK)
    return cmdr


def step_event(log, gen, by, phase, step):
    r = gen.rng
    fields = {"step": step, "phase": phase,
              "outcome": r.choices(["done", "skipped", "failed"], [85, 12, 3])[0]}
    if step == "recent-deploy":
        fields["outcome"], fields["choice"] = "done", "yes"
    elif step == "check-migration":
        fields["outcome"], fields["choice"] = "done", "no"
    if r.random() < 0.5:
        fields["note"] = gen.fill(r.choice(NOTES))
    log.add(by, "step", **fields)


def command_event(log, gen, by, step, lines):
    r = gen.rng
    exit_code = 0 if r.random() < 0.9 else r.choice([1, 2, 124])
    log.add(by, "command", step=step, command=COMMANDS.get(step, "kubectl -n shop get pods"),
            exit_code=exit_code, output=gen.output(lines), truncated=False,
            duration_ms=r.randint(80, 9000))


def regular_incident(gen, repo, start, title, services, close=True):
    """About 30-45 events: the bad-deploy runbook walked end to end (or, when not closing,
    up to diagnose), with notes, a comms role, an update, maybe a severity change."""
    r = gen.rng
    log = Log(gen, start)
    severity = r.choices(SEVERITIES, [15, 40, 35, 10])[0]
    cmdr = opening(log, gen, title, services, severity)
    comms = r.choice([p for p in PEOPLE if p != cmdr])
    phases = PHASES if close else PHASES[:3]
    for i, phase in enumerate(phases):
        if i > 0:
            log.tick(30, 240)
            log.add(cmdr, "phase", phase=phase)
        for step in STEPS[phase]:
            if step in ("disable-new-code-path", "revert-config-change"):
                continue  # branches not taken: recent deploy, no migration -> rollback
            log.tick(30, 300)
            if step in COMMANDS and r.random() < 0.6:
                command_event(log, gen, cmdr, step, r.randint(1, 6))
            step_event(log, gen, cmdr, phase, step)
            if r.random() < 0.35:
                log.tick(10, 120)
                log.add(r.choice([cmdr, comms]), "note", text=gen.fill(r.choice(NOTES)))
        if phase == "assess":
            log.add(cmdr, "role", role="comms", name=comms)
            if r.random() < 0.3:
                to = r.choice([s for s in SEVERITIES if s != severity])
                log.add(cmdr, "severity", **{"from": severity, "to": to, "reason": "impact reassessed"})
            log.tick(30, 300)
            log.add(comms, "update", channel="status-page",
                    message="We are investigating errors affecting some customers.")
    if not close:
        return log
    log.add(cmdr, "mark", milestone="mitigated")
    log.tick(300, 1800)
    log.add(cmdr, "mark", milestone="resolved")
    log.add(cmdr, "resolved", root_cause=f"{r.choice(CAUSES)} in release v2.{r.randint(1, 60)}.0")
    log.tick(3600, 5 * 86400)
    log.add(cmdr, "retro", section="summary", text="Checkout errors after a release; rolled back.")
    log.add(cmdr, "action", title="Add an alert for this failure mode", owner=r.choice(PEOPLE),
            due=(log.t + timedelta(days=14)).strftime("%Y-%m-%d"), type="prevent")
    log.tick(600, 86400)
    log.add(cmdr, "closed")
    return log


def unique(ids, base):
    if base not in ids:
        return base
    n = 2
    while f"{base}-{n}" in ids:
        n += 1
    return f"{base}-{n}"


def fleet(args):
    gen = Gen(args.seed)
    r = gen.rng
    ids = set(os.listdir(os.path.join(args.repo, "incidents"))) if os.path.isdir(
        os.path.join(args.repo, "incidents")) else set()
    first = datetime(2023, 1, 2, tzinfo=timezone.utc)
    span = (datetime(2026, 1, 1, tzinfo=timezone.utc) - first).total_seconds()
    starts = sorted(first + timedelta(seconds=r.uniform(0, span)) for _ in range(args.count - 1))
    for start in starts:
        title, services = r.choice(TITLE_PARTS)
        iid = unique(ids, f"{start:%Y-%m-%d}-{slug(title)}")
        ids.add(iid)
        regular_incident(gen, args.repo, start, title, services).write(args.repo, iid)
    # The one open incident, now in diagnose, its last event logged two minutes ago.
    now = datetime.now(timezone.utc).replace(microsecond=0)
    title, services = "Checkout returns Error 500 during the spring sale", ["checkout", "web"]
    log = regular_incident(gen, args.repo, now, title, services, close=False)
    log.shift(now - timedelta(minutes=2) - log.t)
    opened = datetime.strptime(json.loads(log.lines[0])["at"], "%Y-%m-%dT%H:%M:%SZ")
    iid = unique(ids, f"{opened:%Y-%m-%d}-{slug(title)}")
    log.write(args.repo, iid)
    print(iid)


def war_room(log, gen, phases, body, cmdr, severity, people):
    """Appends `body` events of a busy war room spread over `phases` (a `phase` event opens
    each but the first): notes, steps, commands with 1-25 lines of output, severity changes,
    updates, role changes. Returns the commander and severity as they end up."""
    r = gen.rng
    per_phase = body // len(phases)
    for i, phase in enumerate(phases):
        if i > 0:
            log.add(cmdr, "phase", phase=phase)
        n = per_phase - (1 if i > 0 else 0)
        if i == len(phases) - 1:
            n = body - (len(phases) - 1) * per_phase - 1
        steps = STEPS[phase]
        for _ in range(n):
            log.tick(5, 40)
            by = r.choice(people + [cmdr, cmdr])
            kind = r.choices(["note", "step", "command", "severity", "update", "role"],
                             [45, 20, 15, 3, 12, 5])[0]
            if kind == "note":
                log.add(by, "note", text=gen.fill(r.choice(NOTES)))
            elif kind == "step":
                step_event(log, gen, by, phase, r.choice(steps))
            elif kind == "command":
                command_event(log, gen, by, r.choice(steps), r.randint(1, 25))
            elif kind == "severity":
                to = r.choice([s for s in SEVERITIES[:3] if s != severity])
                log.add(by, "severity", **{"from": severity, "to": to,
                                           "reason": gen.fill(r.choice(NOTES))})
                severity = to
            elif kind == "update":
                log.add(by, "update", channel=r.choice(CHANNELS),
                        message=gen.fill("Checkout is still degraded ({r}% of orders fail). Next update in 30 minutes."))
            else:
                new = r.choice(PEOPLE)
                role = r.choice(ROLES)
                if role == "commander":
                    cmdr = new
                log.add(by, "role", role=role, name=new)
    return cmdr, severity


def big(args):
    """One long incident (a multi-day SEV1 war room), resolved and awaiting its postmortem."""
    gen = Gen(args.seed)
    r = gen.rng
    start = datetime(2025, 11, 28, 13, 0, tzinfo=timezone.utc)
    title = "Black Friday checkout brownout across all regions"
    iid = f"{start:%Y-%m-%d}-{slug(title)}"
    log = Log(gen, start)
    severity = "SEV2"
    cmdr = opening(log, gen, title, ["checkout", "web", "grocery"], severity)
    people = [p for p in PEOPLE if p != cmdr]
    fixed = len(log.lines) + 12  # the closing events below
    cmdr, severity = war_room(log, gen, PHASES, args.events - fixed, cmdr, severity, people)
    log.add(cmdr, "mark", milestone="mitigated")
    log.tick(600, 1800)
    log.add(cmdr, "mark", milestone="resolved")
    log.add(cmdr, "resolved", root_cause="A cache-tier config change halved connection limits under peak load.")
    for section in ["summary", "trigger", "contributing", "detection", "resolution",
                    "went-well", "went-wrong", "lucky"]:
        log.add(cmdr, "retro", section=section, text=gen.fill(r.choice(NOTES)))
    log.add(cmdr, "action", title="Load-test the cache tier at 3x peak", owner=r.choice(PEOPLE),
            due="2025-12-15", type="prevent")
    assert len(log.lines) == args.events, (len(log.lines), args.events)
    log.write(args.repo, iid)
    print(iid)


def open_war_room(args):
    """One open incident with a long, busy log: the same war room as `big`, still in
    diagnose, its last event logged two minutes ago (so `log` and `status` see a live
    incident). The repository should hold no other open incident."""
    gen = Gen(args.seed)
    title = "Checkout latency spikes during the flash sale"
    log = Log(gen, datetime(2025, 6, 1, tzinfo=timezone.utc))  # moved to end near now, below
    cmdr = opening(log, gen, title, ["checkout", "web"], "SEV2")
    people = [p for p in PEOPLE if p != cmdr]
    phases = PHASES[:3]
    body = args.events - len(log.lines)
    if body < len(phases):
        sys.exit(f"gen.py open: --events must be at least {len(log.lines) + len(phases)}")
    war_room(log, gen, phases, body, cmdr, "SEV2", people)
    assert len(log.lines) == args.events, (len(log.lines), args.events)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    log.shift(now - timedelta(minutes=2) - log.t)
    opened = datetime.strptime(json.loads(log.lines[0])["at"], "%Y-%m-%dT%H:%M:%SZ")
    iid = f"{opened:%Y-%m-%d}-{slug(title)}"
    log.write(args.repo, iid)
    print(iid)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fleet")
    f.add_argument("repo")
    f.add_argument("--count", type=int, default=1000)
    f.add_argument("--seed", type=int, default=1)
    f.set_defaults(func=fleet)
    b = sub.add_parser("big")
    b.add_argument("repo")
    b.add_argument("--events", type=int, default=10_000)
    b.add_argument("--seed", type=int, default=2)
    b.set_defaults(func=big)
    o = sub.add_parser("open")
    o.add_argument("repo")
    o.add_argument("--events", type=int, default=10_000)
    o.add_argument("--seed", type=int, default=3)
    o.set_defaults(func=open_war_room)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())

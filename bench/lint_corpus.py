#!/usr/bin/env python3
"""The `incident lint` benchmark's helpers (driven by bench/lint.sh):

    lint_corpus.py gen DIR [--count 10000] [--seed 1]
        writes COUNT realistic runbooks (5 phases of 3-5 steps, commands, decisions;
        2-4 KB each) as DIR/<id>.yaml. Deterministic for a given seed.
    lint_corpus.py jsonschema SCHEMA DIR
        the comparison validator: loads every DIR/**/*.yaml with PyYAML (CSafeLoader when
        available) and validates it with jsonschema's Draft202012Validator against SCHEMA
        (from `incident schema`). Prints how many files were invalid; exit 0.
    lint_corpus.py bench --dir DIR --cwd REPO --incident BIN --schema SCHEMA [--runs 3] [--fast-runs 10]
            [--shell-dir DIR2 --shell-cwd REPO2 --shell-runs 3]
        times cat / incident lint --shellcheck off (FAST_RUNS each) and yamllint / the
        validator above (RUNS each) side by side: wall time, best and median; CPU time from
        os.wait4. With --shell-dir, also `incident lint` with ShellCheck on DIR2 against the
        floor, ShellCheck alone on the same commands extracted to files and batched over every
        core (xargs -P NPROC -n 200), SHELL_RUNS each, alternating. Prints a markdown report.
    lint_corpus.py extract DIR OUT
        writes each step's `run` of every DIR/*.yaml to OUT/<n>.sh, as the YAML decodes it.
"""

import argparse
import json
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

SERVICES = ["web", "checkout", "grocery", "pharmacy", "marketplace"]
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
PHASES = ["detect", "assess", "diagnose", "remediate", "validate"]

CAUSES = {
    "traffic-spike": ("Checkout slow or failing under a traffic spike", "request rate", "web"),
    "bad-deploy": ("Errors after a deployment or config change", "rollout", "checkout"),
    "db-overload": ("Database overloaded or replicas lagging", "database", "checkout"),
    "dns": ("Customers cannot resolve the storefront", "DNS", "web"),
    "ddos": ("Storefront flooded by hostile traffic", "edge", "web"),
    "network": ("Services cannot reach each other", "network", "grocery"),
    "payment-gateway": ("Payments failing at the gateway", "gateway", "checkout"),
    "power": ("Hosts down after a power or cooling fault", "hardware", "pharmacy"),
    "search": ("Marketplace search returning errors", "search cluster", "marketplace"),
    "cache": ("Cache misses overwhelming the origin", "cache", "web"),
}

VERBS = {
    "detect": ["Confirm", "Check", "Open", "Compare", "Read"],
    "assess": ["Scope", "Count", "Estimate", "Check", "Set"],
    "diagnose": ["Inspect", "List", "Trace", "Find", "Show", "Compare"],
    "remediate": ["Roll back", "Scale up", "Fail over", "Restart", "Drain", "Block", "Raise"],
    "validate": ["Watch", "Confirm", "Re-run", "Check", "Close"],
}
OBJECTS = [
    "the 5xx rate on the status dashboard", "the error budget burn rate", "recent rollouts",
    "the connection pool usage", "the slow query log", "replica lag", "pod restarts",
    "the load balancer health checks", "the CDN origin errors", "the payment gateway status page",
    "DNS answers from three resolvers", "the p99 latency of checkout", "queue depth",
    "disk and memory pressure on the nodes", "the feature flag audit log", "the WAF block rate",
    "synthetic checkout probes", "the order success rate", "TLS certificate expiry",
    "the upstream dependency map", "the rate limiter counters", "cache hit ratio",
]
QUALIFIERS = ["for the last 30 minutes", "since the errors began", "in every zone",
              "against last week's sale", "per service", "", "", "", "", ""]
SENTENCES = [
    "Bad: more than 1% of requests failing for over two minutes.",
    "Note the minute the errors started; everything else is matched against that time.",
    "Errors limited to one service point to its last change; errors everywhere point to a shared dependency.",
    "If the numbers are normal, say so in the log and move to the next step.",
    "Ask the service owner before changing anything that is not in this runbook.",
    "Good looks like the graph back within its usual band for ten minutes.",
    "Write the numbers into the incident log so the postmortem can use them.",
    "A sudden jump at the top of the hour usually means a batch job, not customers.",
    "Compare with the same hour last week; sale traffic is often three times normal.",
    "Do this before any rollback, so the evidence is not lost.",
    "If the vendor's status page is green, open a ticket with the request ids anyway.",
    "Keep the old version's pods until the new ones pass their readiness checks.",
]
COMMANDS = [
    'curl -fsS "https://status.internal/api/v1/services/{svc}?window=30m"',
    "kubectl -n shop rollout history deployment/{svc} | tail -n 5",
    "kubectl -n shop get pods -l app={svc} --sort-by=.status.startTime | tail -n 20",
    "kubectl -n shop logs -l app={svc} --since=30m --tail=5000 | grep -c ERROR",
    "kubectl -n shop rollout undo deployment/{svc}",
    "kubectl -n shop scale deployment/{svc} --replicas=24",
    'psql "$DATABASE_URL" -c "select pid, now() - query_start, query from pg_stat_activity order by 2 desc limit 10"',
    "dig +short {svc}.shop.example @1.1.1.1",
    "dig +short {svc}.shop.example @8.8.8.8",
    "redis-cli -h cache.internal info stats | grep -E 'keyspace_(hits|misses)'",
    'curl -fsS -o /dev/null -w "%{{http_code}} %{{time_total}}\\n" https://www.shop.example/{svc}/health',
    'echo "Incident $INCIDENT_ID on $INCIDENT_SERVICES" | tee -a /tmp/notes',
    "ping -c 5 {svc}.internal",
    "aws elbv2 describe-target-health --target-group-arn \"$TG_ARN\" --output table",
    "argocd app set {svc} --sync-policy none",
]
# Rare on purpose: what a linter is for. Each is a warning, never an error.
RISKY = [
    "kubectl -n shop delete namespace {svc}-canary",
    "curl -fsSL https://get.example.com/fix.sh | sh",
    'notify --title $INCIDENT_TITLE --channel "#incidents"',
]

PLAIN = re.compile(r"^[A-Za-z0-9][^\n]*[^ ]$")


def scalar(s, indent):
    """`s` as a YAML value: plain when it is safe, else a folded block."""
    if PLAIN.match(s) and ": " not in s and " #" not in s and s.lower() not in ("yes", "no", "on", "off", "null", "true", "false"):
        return s
    return ">-\n" + " " * (indent + 2) + s


def runbook(n, rng):
    cause = rng.choice(sorted(CAUSES))
    title, thing, main = CAUSES[cause]
    rid = f"{cause}-{n:05d}"
    services = sorted({main, *rng.sample(SERVICES, rng.randint(0, 2))}, key=SERVICES.index)
    sevs = SEVERITIES[: rng.randint(1, 4)]
    out = [
        "# yaml-language-server: $schema=../runbook.schema.json",
        f"id: {rid}",
        f"title: {title} ({thing}, variant {n})",
        "description: >-",
        f"  Use when {thing} problems show up as customer-facing errors on {', '.join(services)}.",
        "  Stabilise first, find the cause later.",
        f"services: [{', '.join(services)}]",
        f"severities: [{', '.join(sevs)}]",
        "phases:",
    ]
    steps = []  # (phase, id, lines)
    used = set()
    for phase in PHASES:
        for k in range(rng.randint(3, 5)):
            verb = rng.choice(VERBS[phase])
            obj = rng.choice(OBJECTS)
            sid = re.sub(r"[^a-z0-9]+", "-", f"{verb} {obj.split(' ', 1)[-1]}".lower()).strip("-")[:24].strip("-")
            while sid in used:
                sid += f"-{k}"
            used.add(sid)
            body = [f"title: {verb} {obj} {rng.choice(QUALIFIERS)}".rstrip()]
            if rng.random() < 0.25:
                body.append("details: " + scalar(rng.choice(SENTENCES), 8))
            if rng.random() < 0.3:
                pool = RISKY if rng.random() < 0.01 else COMMANDS
                body.append("run: " + scalar(rng.choice(pool).format(svc=rng.choice(services)), 8))
                if rng.random() < 0.2:
                    body.append("expect_exit: 0")
            steps.append([phase, sid, body])
    # Decisions: "yes" jumps to the next step, "no" to the one after, as the starter runbooks do.
    diagnose = [i for i, s in enumerate(steps) if s[0] == "diagnose"]
    decide = [diagnose[-2]] + ([diagnose[0]] if rng.random() < 0.3 and diagnose[0] != diagnose[-2] else [])
    for i in decide:
        steps[i][2].append(f'choices: {{ "yes": {steps[i + 1][1]}, "no": {steps[i + 2][1]} }}')
    phase = None
    for ph, sid, body in steps:
        if ph != phase:
            phase = ph
            out.append(f"  {ph}:")
            if rng.random() < 0.4:
                out.append(f"    budget: {rng.choice(['5m', '10m', '15m', '30m', '45m'])}")
            out.append("    steps:")
        out.append(f"      - id: {sid}")
        out.extend("        " + line for line in body)
    return rid, "\n".join(out) + "\n"


def cmd_gen(args):
    rng = random.Random(args.seed)
    d = Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    sizes = []
    for n in range(args.count):
        rid, text = runbook(n, rng)
        (d / f"{rid}.yaml").write_text(text)
        sizes.append(len(text))
    sizes.sort()
    print(f"wrote {len(sizes)} runbooks to {d}: {sum(sizes) / 1e6:.1f} MB, "
          f"min {sizes[0]} / median {sizes[len(sizes) // 2]} / max {sizes[-1]} bytes", file=sys.stderr)


def cmd_jsonschema(args):
    import yaml
    from jsonschema import Draft202012Validator

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    validator = Draft202012Validator(json.loads(Path(args.schema).read_text()))
    files = invalid = 0
    for path in sorted(Path(args.dir).rglob("*.yaml")):
        files += 1
        try:
            with open(path, "rb") as f:
                data = yaml.load(f, Loader=loader)
        except yaml.YAMLError:
            invalid += 1
            continue
        errors = list(validator.iter_errors(data))
        invalid += bool(errors)
    print(f"{files} files, {invalid} invalid ({loader.__name__})")


def extract(d, out):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for path in sorted(Path(d).rglob("*.yaml")):
        with open(path, "rb") as f:
            data = yaml.load(f, Loader=loader)
        for phase in (data.get("phases") or {}).values():
            for step in phase.get("steps") or []:
                if isinstance(step.get("run"), str):
                    (out / f"{n}.sh").write_text(step["run"])
                    n += 1
    return n


def cmd_extract(args):
    print(f"{extract(args.dir, args.out)} commands written to {args.out}")


# ShellCheck as `incident lint` runs it, and the batch size it uses on a large corpus.
SHELLCHECK = ["shellcheck", "-f", "json1", "-s", "sh", "--norc", "-S", "warning", "--enable=check-unassigned-uppercase"]
BATCH = 200


def bench_shellcheck(args):
    """`incident lint` with ShellCheck against ShellCheck alone on the extracted commands."""
    import tempfile

    d = str(Path(args.shell_dir).resolve())
    files = sum(1 for _ in Path(d).rglob("*.yaml"))
    with tempfile.TemporaryDirectory(prefix="incident-shellcheck-floor.") as scripts:
        n = extract(d, scripts)
        cores = os.cpu_count() or 1
        floor_cmd = ["sh", "-c", f"ls | xargs -P {cores} -n {BATCH} " + " ".join(SHELLCHECK)]
        lint_cmd = [args.incident, "lint", d, "--format", "json", "--shellcheck", "require"]
        tools = [
            (f"shellcheck alone, xargs -P {cores} -n {BATCH} (floor)", floor_cmd, scripts, {0, 123}),
            ("incident lint --shellcheck require", lint_cmd, args.shell_cwd, {0, 1}),
        ]
        out = subprocess.run(lint_cmd, cwd=args.shell_cwd, capture_output=True)
        findings = json.loads(out.stdout)
        shell = sum(1 for f in findings if f["rule"] == "shellcheck")
        runs = {name: [] for name, *_ in tools}
        for _ in range(args.shell_runs):
            for name, cmd, cwd, ok in tools:
                wall, cpu, code, stderr = timed(cmd, cwd)
                if code not in ok:
                    sys.exit(f"{name} exited {code}: {stderr[-2000:]}")
                runs[name].append((wall, cpu))
                print(f"  {name}: {wall:.3f} s wall, {cpu:.3f} s CPU", file=sys.stderr)
    version = subprocess.run(["shellcheck", "--version"], capture_output=True, text=True).stdout.split("\n")[1]
    p = print
    p()
    p(f"With ShellCheck ({version}): {files} runbooks, {n} commands; incident lint found {len(findings)} findings, {shell} of them ShellCheck's.")
    p()
    p("| tool | runs | best (s) | median (s) | commands/s (best) | CPU (user+sys) / wall |")
    p("|---|---:|---:|---:|---:|---:|")
    for name, *_ in tools:
        r = runs[name]
        best = min(r)
        p(f"| {name} | {len(r)} | {best[0]:.3f} | {statistics.median(w for w, _ in r):.3f} | {n / best[0]:,.0f} | {best[1] / best[0]:.2f} |")
    floor, lint = (runs[name] for name, *_ in tools)
    paired = [l[0] / f[0] for l, f in zip(lint, floor)]
    best = min(w for w, _ in lint) / min(w for w, _ in floor)
    p()
    p(f"incident lint with ShellCheck / ShellCheck alone: best {best:.2f}x, paired by round median "
      f"{statistics.median(paired):.2f}x (range {min(paired):.2f}x-{max(paired):.2f}x); target <= 1.3: "
      f"{'met' if statistics.median(paired) <= 1.3 else 'not met'}")


def timed(cmd, cwd):
    """Runs `cmd` (stdout to /dev/null); returns wall seconds, CPU seconds (user + sys of it
    and its children, from wait4), exit code and stderr."""
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=null, stderr=subprocess.PIPE)
        stderr = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        p.stderr.close()
    return wall, ru.ru_utime + ru.ru_stime, p.returncode, stderr.decode(errors="replace")


def cmd_bench(args):
    d = str(Path(args.dir).resolve())
    here = Path(__file__).resolve().parent
    files = sum(1 for _ in Path(d).rglob("*.yaml"))
    # (name, command, accepted exit codes, runs): the fast ones get more runs, since a
    # fraction of a second is easily disturbed by the rest of the machine.
    tools = [
        ("cat (floor)", ["sh", "-c", f"find {shlex.quote(d)} -name '*.yaml' -print0 | xargs -0 cat > /dev/null"], {0}, args.fast_runs),
        ("incident lint", [args.incident, "lint", d, "--format", "json", "--shellcheck", "off"], {0, 1}, args.fast_runs),
        ("yamllint -d relaxed", [sys.executable, "-m", "yamllint", "-d", "relaxed", d], {0, 1}, args.runs),
        ("jsonschema (PyYAML + Draft 2020-12)", [sys.executable, str(here / "lint_corpus.py"), "jsonschema", args.schema, d], {0}, args.runs),
    ]
    if args.skip_slow:
        tools = tools[:2]
    # Warm the page cache, and show each tool's verdict once.
    subprocess.run(tools[0][1], check=True)
    out = subprocess.run([args.incident, "lint", d, "--format", "json", "--shellcheck", "off"], cwd=args.cwd, capture_output=True)
    findings = json.loads(out.stdout)
    by_rule = {}
    for f in findings:
        by_rule[f["rule"]] = by_rule.get(f["rule"], 0) + 1
    verdict = "not run (--skip-slow)" if args.skip_slow else \
        subprocess.run(tools[3][1], capture_output=True, text=True).stdout.strip()
    results = {}
    # Rounds: each tool runs once per round while it has runs left, so that cat and incident
    # alternate and see the same conditions.
    runs = {name: [] for name, *_ in tools}
    for rnd in range(max(n for *_, n in tools)):
        for name, cmd, ok, n in tools:
            if rnd >= n:
                continue
            wall, cpu, code, stderr = timed(cmd, args.cwd)
            if code not in ok:
                sys.exit(f"{name} exited {code}: {stderr[-2000:]}")
            runs[name].append((wall, cpu))
            print(f"  {name}: {wall:.3f} s wall, {cpu:.3f} s CPU", file=sys.stderr)
    for name, *_, n in tools:
        walls = sorted(w for w, _ in runs[name])
        best = min(runs[name])
        results[name] = {"best": best[0], "median": statistics.median(walls), "cpu_best": best[1],
                         "util": best[1] / best[0], "n": n, "runs": runs[name]}
    cat, inc = results["cat (floor)"], results["incident lint"]
    p = print
    p(f"Corpus: {files} runbooks, {sum(f.stat().st_size for f in Path(d).rglob('*.yaml')) / 1e6:.1f} MB, in an incident repository (incident.yaml checks on).")
    p(f"incident lint found {len(findings)} findings: {json.dumps(dict(sorted(by_rule.items())))}; the validator: {verdict}.")
    p()
    p("| tool | runs | best (s) | median (s) | files/s (best) | CPU (user+sys) / wall |")
    p("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        p(f"| {name} | {r['n']} | {r['best']:.3f} | {r['median']:.3f} | {files / r['best']:,.0f} | {r['util']:.2f} |")
    p()
    rows = []
    if not args.skip_slow:
        yl, js = results["yamllint -d relaxed"], results["jsonschema (PyYAML + Draft 2020-12)"]
        rows += [
            ("yamllint / incident", yl["best"] / inc["best"], yl["median"] / inc["median"], ">= 100", lambda v: v >= 100),
            ("jsonschema / incident", js["best"] / inc["best"], js["median"] / inc["median"], ">= 100", lambda v: v >= 100),
        ]
    rows.append(("incident / cat", inc["best"] / cat["best"], inc["median"] / cat["median"], "<= 5", lambda v: v <= 5))
    p("| ratio | best | median | target | met (best / median) |")
    p("|---|---:|---:|---:|---|")
    for name, b, m, target, met in rows:
        p(f"| {name} | {b:.1f}x | {m:.1f}x | {target} | {'yes' if met(b) else 'no'} / {'yes' if met(m) else 'no'} |")
    # cat and incident alternate, so each round's pair saw the same machine: the median of
    # the paired ratios is the least disturbed figure.
    paired = [i[0] / c[0] for i, c in zip(inc["runs"], cat["runs"])]
    p()
    p(f"incident / cat, paired by round ({len(paired)} rounds): median {statistics.median(paired):.1f}x, "
      f"range {min(paired):.1f}x-{max(paired):.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"files": files, "results": results}, indent=2))
    if args.shell_dir:
        bench_shellcheck(args)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--count", type=int, default=10_000)
    g.add_argument("--seed", type=int, default=1)
    j = sub.add_parser("jsonschema")
    j.add_argument("schema")
    j.add_argument("dir")
    b = sub.add_parser("bench")
    b.add_argument("--dir", required=True)
    b.add_argument("--cwd", required=True)
    b.add_argument("--incident", required=True)
    b.add_argument("--schema", required=True)
    b.add_argument("--runs", type=int, default=3, help="runs of yamllint and the validator")
    b.add_argument("--fast-runs", type=int, default=10, help="runs of cat and incident lint")
    b.add_argument("--skip-slow", action="store_true", help="time only cat and incident lint (no yamllint, no validator)")
    b.add_argument("--json")
    b.add_argument("--shell-dir", help="runbooks to lint with ShellCheck, against ShellCheck alone")
    b.add_argument("--shell-cwd")
    b.add_argument("--shell-runs", type=int, default=3)
    x = sub.add_parser("extract")
    x.add_argument("dir")
    x.add_argument("out")
    args = ap.parse_args()
    {"gen": cmd_gen, "jsonschema": cmd_jsonschema, "bench": cmd_bench, "extract": cmd_extract}[args.cmd](args)


if __name__ == "__main__":
    main()

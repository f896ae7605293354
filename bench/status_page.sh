#!/usr/bin/env bash
# Benchmarks `incident status-page` over 5,000 incidents with 10 updates each:
# all resolved and closed but one, open; spread over the last 180 days, so about half fall in the
# page's 90 days; 7 of each incident's 10 updates on external channels (status-page, social,
# email), 3 on internal ones. Events are written directly into incidents/<id>/events.jsonl,
# in the style of bench/gen.py, then committed.
# Measures the command's wall time, CPU and peak RSS (bench/runone.c) over --runs runs after
# --warmup, writing into a fresh folder each time, and the weight of index.html: warm (the
# summary cache built, as on a working machine) and cold (every cache under .git/ and beside
# the logs removed before each run, so every summary is folded again), beside the floor: `cat`
# of every log (reading what a cold build must read).
# Targets: median under 300 ms cold on 2 cores and peak RSS under 30 MB; index.html under 100 KB.
# Usage: bash bench/status_page.sh [--count N] [--runs N] [--warmup N]   (defaults 5000, 10, 2)
# Needs bash, python3, git, cargo and cc (optional). Touches nothing outside a temporary
# folder apart from cargo's target/. See BENCHMARKS.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
count=5000 runs=10 warmup=2
while [ $# -gt 0 ]; do
	case "$1" in
	--count) count=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	*) echo "usage: bash bench/status_page.sh [--count N] [--runs N] [--warmup N]" >&2; exit 2 ;;
	esac
done

# Built before the private HOME is set up: rustup finds its toolchain through the real one.
(cd "$root" && cargo build --release --locked --quiet)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# shellcheck source=bench/sandbox.sh
source "$here/sandbox.sh"

bin="$root/target/release/incident"
repo="$work/repo"
"$bin" init "$repo" >/dev/null

python3 - "$repo" "$count" <<'PY'
import json, os, random, sys, uuid
from datetime import datetime, timedelta, timezone

repo, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
SERVICES = ["web", "checkout", "grocery", "pharmacy", "marketplace"]
CHANNELS = ["status-page", "social", "email", "status-page", "social", "email", "status-page",
            "support", "stakeholders", "support"]
STATUSES = ["investigating", "identified", "identified", "monitoring", "monitoring"]
TITLES = ["Checkout returns Error 500", "Storefront slow after release", "Payment timeouts at peak",
          "Grocery slot booking fails", "Pharmacy refill page blank", "Marketplace images missing",
          "Cart empties on login", "Delivery tracking stuck", "Search returns no results"]
end = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)

def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")

def ev(t, kind, **kw):
    return {"id": uuid.UUID(int=rng.getrandbits(128)).hex, "at": ts(t), "by": "Bench Responder",
            "kind": kind, **kw}

for n in range(count):
    last = n == count - 1
    opened = end - timedelta(days=180) + timedelta(minutes=int(n * 180 * 1440 / count)) if not last \
        else end - timedelta(minutes=40)
    title = f"{rng.choice(TITLES)} #{n}"
    services = rng.sample(SERVICES, rng.randint(1, 2))
    sev = rng.choice(["SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV4"])
    events = [ev(opened, "opened", title=title, severity=sev, services=services, drill=False),
              ev(opened, "mark", milestone="detected")]
    t = opened
    for u in range(10):
        t += timedelta(minutes=rng.randint(2, 6))
        kw = {"channel": CHANNELS[u], "message": f"Update {u + 1} on {title}: we are working on it."}
        if u % 3 == 0:
            kw["status"] = STATUSES[min(u // 2, 4)]
        if u == 0:
            kw["eta"] = ts(t + timedelta(hours=1))
        events.append(ev(t, "update", **kw))
    if not last:
        t += timedelta(minutes=5)
        events.append(ev(t, "mark", milestone="mitigated"))
        t += timedelta(minutes=10)
        events.append(ev(t, "resolved", root_cause="a bad config push"))
        events.append(ev(t + timedelta(hours=2), "closed"))
    iid = f"{opened:%Y-%m-%d}-bench-{n:04d}"
    d = os.path.join(repo, "incidents", iid)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "events.jsonl"), "w") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
git -C "$repo" add -A >/dev/null && git -C "$repo" commit -qm "bench incidents"
"$bin" --repo "$repo" list --json >/dev/null # the summary cache, as on a working machine

python3 - "$bin" "$repo" "$work" "$runs" "$warmup" "${runone[@]}" <<'PY'
import glob, os, statistics, subprocess, sys, time
bin, repo, work, runs, warmup = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
runone = sys.argv[7] if len(sys.argv) > 7 and sys.argv[6] == "--runone" else None

def forget_caches():
    for path in glob.glob(os.path.join(repo, ".git", "incident-index.json")) + \
            glob.glob(os.path.join(repo, ".git", "incident-closed")) + \
            [p for p in glob.glob(os.path.join(repo, "incidents", "*", "*")) if not p.endswith("events.jsonl")]:
        os.remove(path)

def measure(cmd):
    if runone:
        ns, kib, code, cpu_us = subprocess.run([runone, *cmd], capture_output=True, text=True, check=True).stdout.split()
        if code != "0":
            sys.exit(f"{cmd[3]} failed: {subprocess.run(cmd, capture_output=True, text=True).stderr}")
        return int(ns) / 1e6, int(cpu_us) / 1e3, int(kib) / 1024
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    return (time.monotonic() - t0) * 1000, float("nan"), float("nan")

def series(name, prepare, cmd_for):
    walls, cpus, rss = [], [], []
    for i in range(warmup + runs):
        prepare()
        wall, cpu, peak = measure(cmd_for(i))
        if i >= warmup:
            walls.append(wall); cpus.append(cpu); rss.append(peak)
    walls.sort()
    return name, statistics.median(walls), walls[min(len(walls) - 1, int(len(walls) * 0.9))], \
        statistics.median(cpus), max(rss)

logs = sorted(glob.glob(os.path.join(repo, "incidents", "*", "events.jsonl")))
site = lambda tag, i: os.path.join(work, f"site-{tag}{i}")
rows = [
    series("status-page, warm", lambda: None,
           lambda i: [bin, "--repo", repo, "status-page", "--output", site("warm", i)]),
    series("status-page, cold", forget_caches,
           lambda i: [bin, "--repo", repo, "status-page", "--output", site("cold", i)]),
    series("floor: cat every log", lambda: None, lambda i: ["sh", "-c", 'cat "$@" >/dev/null', "cat", *logs]),
]
last = site("cold", warmup + runs - 1)
for tag in ("warm", "cold"):
    a, b = site(tag, warmup + runs - 1), last
    for root, _, files in os.walk(a):
        for f in files:
            if f == ".incident-status-page":
                continue
            p = os.path.join(root, f)
            q = os.path.join(b, os.path.relpath(p, a))
            if open(p, "rb").read() != open(q, "rb").read():
                sys.exit(f"warm and cold builds differ: {os.path.relpath(p, a)}")
floor = rows[2][1]
n = len(os.listdir(os.path.join(repo, "incidents")))
print(f"over {n} incidents ({runs} runs after {warmup} warm-up):")
print(f"{'':<24} {'median':>10} {'p90':>10} {'CPU':>10} {'max RSS':>9} {'vs floor':>9}")
for name, median, p90, cpu, peak in rows:
    print(f"{name:<24} {median:8.1f} ms {p90:8.1f} ms {cpu:8.1f} ms {peak:6.1f} MB {median / floor:8.1f}x")
cold = rows[1]
print(f"cold target < 300 ms: {'met' if cold[1] < 300 else 'NOT met'}; "
      f"memory target < 30 MB: {'met' if max(rows[0][4], cold[4]) < 30 else 'NOT met'}; warm and cold builds identical")
weight = os.path.getsize(os.path.join(last, "index.html"))
pages = len(os.listdir(os.path.join(last, "incidents")))
feed = os.path.getsize(os.path.join(last, "feed.atom"))
print(f"index.html {weight / 1024:.1f} KB (target < 100 KB: {'met' if weight < 100 * 1024 else 'NOT met'}); "
      f"{pages} incident pages; feed.atom {feed / 1024:.1f} KB")
PY

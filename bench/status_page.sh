#!/usr/bin/env bash
# Benchmarks `incident status-page` (SPEC §6) over 1,000 incidents with 10 updates each:
# 999 resolved and closed, one open; spread over the last 180 days, so about half fall in the
# page's 90 days; 7 of each incident's 10 updates on external channels (status-page, social,
# email), 3 on internal ones. Events are written directly into incidents/<id>/events.jsonl,
# in the style of bench/gen.py, then committed.
# Measures the command's wall time, CPU and peak RSS (bench/runone.c) over --runs runs after
# --warmup, writing into a fresh folder each time, and the weight of index.html.
# Targets: median under 300 ms on 2 cores; index.html under 100 KB.
# Usage: bash bench/status_page.sh [--count N] [--runs N] [--warmup N]   (defaults 1000, 20, 3)
# Needs bash, python3, git, cargo and cc (optional). Touches nothing outside a temporary
# folder apart from cargo's target/. See BENCHMARKS.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
count=1000 runs=20 warmup=3
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
import os, statistics, subprocess, sys, time
bin, repo, work, runs, warmup = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
runone = sys.argv[7] if len(sys.argv) > 7 and sys.argv[6] == "--runone" else None
walls, cpus, rss = [], [], []
for i in range(warmup + runs):
    out = os.path.join(work, f"site{i}")
    cmd = [bin, "--repo", repo, "status-page", "--output", out]
    if runone:
        ns, kib, code, cpu_us = subprocess.run([runone, *cmd], capture_output=True, text=True, check=True).stdout.split()
        if code != "0":
            sys.exit(f"status-page failed: {subprocess.run(cmd, capture_output=True, text=True).stderr}")
        wall, cpu, peak = int(ns) / 1e6, int(cpu_us) / 1e3, int(kib) / 1024
    else:
        t0 = time.monotonic()
        subprocess.run(cmd, check=True, capture_output=True)
        wall, cpu, peak = (time.monotonic() - t0) * 1000, float("nan"), float("nan")
    if i >= warmup:
        walls.append(wall); cpus.append(cpu); rss.append(peak)
site = os.path.join(work, f"site{warmup + runs - 1}")
weight = os.path.getsize(os.path.join(site, "index.html"))
pages = len(os.listdir(os.path.join(site, "incidents")))
feed = os.path.getsize(os.path.join(site, "feed.atom"))
walls.sort()
median, p90 = statistics.median(walls), walls[min(len(walls) - 1, int(len(walls) * 0.9))]
print(f"status-page over {len(os.listdir(os.path.join(repo, 'incidents')))} incidents: median {median:.1f} ms, "
      f"p90 {p90:.1f} ms, CPU {statistics.median(cpus):.1f} ms, max RSS {max(rss):.1f} MB "
      f"(target < 300 ms: {'met' if median < 300 else 'NOT met'})")
print(f"index.html {weight / 1024:.1f} KB (target < 100 KB: {'met' if weight < 100 * 1024 else 'NOT met'}); "
      f"{pages} incident pages; feed.atom {feed / 1024:.1f} KB")
PY

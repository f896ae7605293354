#!/usr/bin/env bash
# Benchmarks `incident stats` (SPEC §7) over fleets of 1,000 and 10,000 incidents from
# bench/gen.py (`gen.py fleet`: resolved and closed incidents spread over 2023–2025, one open),
# over their whole span, broken down by month (36 months):
#   incident stats --json --by month --since 2023-01-01T00:00:00Z --until 2026-01-01T00:00:00Z
# cold: with no summary cache (.git/incident-index.json removed before each run: every log is
# folded); warm: with the cache in place (no log is read).
# Measures wall time, CPU and peak RSS (bench/runone.c) over --runs runs after --warmup.
# Targets on 2 cores: cold < 1 s and warm < 100 ms.
# Usage: bash bench/stats.sh [--counts "1000 10000"] [--runs N] [--warmup N]   (defaults 5, 1)
# Needs bash, python3, git, cargo and cc (optional). Touches nothing outside a temporary
# folder apart from cargo's target/. See BENCHMARKS.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
counts="1000 10000" runs=5 warmup=1
while [ $# -gt 0 ]; do
	case "$1" in
	--counts) counts=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	*) echo "usage: bash bench/stats.sh [--counts \"1000 10000\"] [--runs N] [--warmup N]" >&2; exit 2 ;;
	esac
done

# Built before the private HOME is set up: rustup finds its toolchain through the real one.
(cd "$root" && cargo build --release --locked --quiet)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# shellcheck source=bench/sandbox.sh
source "$here/sandbox.sh"
bin="$root/target/release/incident"

for count in $counts; do
	repo="$work/repo-$count"
	"$bin" init "$repo" >/dev/null
	python3 "$here/gen.py" fleet "$repo" --count "$count" >/dev/null
	git -C "$repo" add -A >/dev/null && git -C "$repo" commit -qm "bench incidents"
	python3 - "$bin" "$repo" "$count" "$runs" "$warmup" "${runone[@]}" <<'PY'
import json, os, statistics, subprocess, sys, time
bin, repo, count, runs, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
runone = sys.argv[7] if len(sys.argv) > 7 and sys.argv[6] == "--runone" else None
cmd = [bin, "--repo", repo, "stats", "--json", "--by", "month",
       "--since", "2023-01-01T00:00:00Z", "--until", "2026-01-01T00:00:00Z"]
cache = os.path.join(repo, ".git", "incident-index.json")

def once():
    if runone:
        ns, kib, code, cpu_us = subprocess.run([runone, *cmd], capture_output=True, text=True, check=True).stdout.split()
        if code != "0":
            sys.exit(f"stats failed: {subprocess.run(cmd, capture_output=True, text=True).stderr}")
        return int(ns) / 1e6, int(cpu_us) / 1e3, int(kib) / 1024
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    return (time.monotonic() - t0) * 1000, float("nan"), float("nan")

for mode in ("cold", "warm"):
    walls, cpus, rss = [], [], []
    for i in range(warmup + runs):
        if mode == "cold" and os.path.exists(cache):
            os.remove(cache)
        wall, cpu, peak = once()
        if i >= warmup:
            walls.append(wall); cpus.append(cpu); rss.append(peak)
    target = 1000 if mode == "cold" else 100
    med = statistics.median(walls)
    print(f"stats {mode} over {count} incidents: median {med:.1f} ms, min {min(walls):.1f} ms, "
          f"CPU {statistics.median(cpus):.1f} ms, max RSS {max(rss):.1f} MB "
          f"(target < {target} ms: {'met' if med < target else 'NOT met'})")
out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
print(f"  figures: {out['incidents']} incidents, {out['outages']} outages, uptime {out['uptime_percent']:.3f}%, "
      f"{len(out['groups'])} months")
PY
done

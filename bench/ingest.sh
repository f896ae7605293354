#!/usr/bin/env bash
# Benchmarks `incident ingest --listen` (each notification appended and fsynced before its 2xx)
# against the same append done by `incident log` in a loop:
#   1. sequential: one client posts --count Alertmanager notifications (one firing alert each,
#      on one open incident), one at a time, each on a new connection, waiting for each answer;
#      beside it, --count `incident log "note N"` run one after the other on an open incident.
#      Notifications/s against appends/s, and their ratio. Target: >= 0.8x.
#   2. storm: --storm notifications (default 1,000) for 5 alerts of one routing group (the
#      same groupKey, 5 fingerprints, firing), posted by 8 clients at once. Wall time,
#      notifications/s, and what the record holds afterwards: incidents opened (expected 1)
#      and alert events.
# Runs are interleaved (log, listen, log, listen…) over --runs rounds; medians are printed.
# Prints figures and says "met" or "NOT met"; exits 1 only when a request fails or the record
# is not what it should be.
# Needs bash, python3 (3.9+), git, cargo. Touches nothing outside a temporary folder apart
# from cargo's target/. See BENCHMARKS.md.
# Usage: bash bench/ingest.sh [--count N] [--storm N] [--runs N]   (defaults 300, 1000, 3)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
count=300 storm=1000 runs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--count) count=$2; shift 2 ;;
	--storm) storm=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	*) echo "usage: bash bench/ingest.sh [--count N] [--storm N] [--runs N]" >&2; exit 2 ;;
	esac
done

# Built before the private HOME is set up: rustup finds its toolchain through the real one.
(cd "$root" && cargo build --release --locked --quiet)
rustc_version=$(cd "$root" && rustc --version)
work=$(mktemp -d "${TMPDIR:-/tmp}/incident-ingest-bench.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# shellcheck source=bench/sandbox.sh
source "$here/sandbox.sh"
bin="${CARGO_TARGET_DIR:-$root/target}/release/incident"

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  nproc: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "incident $("$bin" --version | awk '{print $2}') ($rustc_version); $(python3 --version)"
python3 - "$bin" "$work" "$count" "$storm" "$runs" <<'PY'
import json, os, socket, statistics, subprocess, sys, threading, time

bin, work, count, storm, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
RULES = "\nalerts:\n  - match: { service: checkout }\n    services: [checkout]\n    severity: SEV2\n"
failed = False

def fresh(name):
    repo = os.path.join(work, name)
    subprocess.run([bin, "init", repo], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(repo, "incident.yaml"), "a") as f:
        f.write(RULES)
    subprocess.run(["git", "-C", repo, "commit", "-qam", "alerts"], check=True)
    return repo

def notification(fingerprint, n):
    starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    return json.dumps({
        "version": "4", "groupKey": '{}:{alertname="CheckoutErrors"}', "truncatedAlerts": 0,
        "status": "firing", "receiver": "incident", "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": {"alertname": "CheckoutErrors", "service": "checkout"}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [{"status": "firing",
                    "labels": {"alertname": "CheckoutErrors", "service": "checkout", "instance": fingerprint},
                    "annotations": {"summary": f"checkout 5xx above 5% (notification {n})"},
                    "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": fingerprint}],
    }).encode()

def post(addr, body):
    with socket.create_connection(addr, timeout=30) as s:
        s.sendall(b"POST /alerts HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    if status != 200:
        raise RuntimeError(f"answered {status}: {answer[-300:]!r}")

class Listener:
    def __init__(self, repo):
        self.p = subprocess.Popen([bin, "--repo", repo, "ingest", "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = self.p.stderr.readline()
        host, port = line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)
        self.addr = (host, int(port))
        threading.Thread(target=lambda: [None for _ in self.p.stderr], daemon=True).start()
    def stop(self):
        self.p.terminate()
        code = self.p.wait(timeout=30)
        if code != 0:
            raise RuntimeError(f"the listener exited {code} on SIGTERM")

def alert_events(repo):
    found = 0
    for inc in os.listdir(os.path.join(repo, "incidents")):
        with open(os.path.join(repo, "incidents", inc, "events.jsonl")) as f:
            found += sum(1 for l in f if json.loads(l).get("kind") == "alert")
    return found

def incidents(repo):
    return len(os.listdir(os.path.join(repo, "incidents")))

def run_log(n):
    repo = fresh(f"log-{n}")
    subprocess.run([bin, "--repo", repo, "open", "Checkout errors", "--severity", "SEV2", "--service", "checkout"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.perf_counter()
    for i in range(count):
        subprocess.run([bin, "--repo", repo, "log", f"note {i}"], check=True, stdout=subprocess.DEVNULL)
    return count / (time.perf_counter() - t)

def run_listen(n):
    repo = fresh(f"listen-{n}")
    l = Listener(repo)
    try:
        post(l.addr, notification("first", 0))  # opens the incident, outside the timing
        t = time.perf_counter()
        for i in range(count):
            post(l.addr, notification(f"fp{i}", i))
        rate = count / (time.perf_counter() - t)
    finally:
        l.stop()
    got = alert_events(repo)
    if incidents(repo) != 1 or got < count + 1:
        raise RuntimeError(f"listen: {incidents(repo)} incidents, {got} alert events for {count + 1} distinct alerts")
    return rate

def run_storm(n):
    repo = fresh(f"storm-{n}")
    l = Listener(repo)
    errors = []
    todo = list(range(storm))
    lock = threading.Lock()
    def client():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            try:
                post(l.addr, notification(f"alert{i % 5}", i))
            except Exception as e:
                errors.append(str(e))
    try:
        t = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(8)]
        for th in threads: th.start()
        for th in threads: th.join()
        wall = time.perf_counter() - t
    finally:
        l.stop()
    if errors:
        raise RuntimeError(f"storm: {len(errors)} requests failed, the first: {errors[0]}")
    return wall, incidents(repo), alert_events(repo)

logs, listens, storms = [], [], []
try:
    for r in range(runs):
        logs.append(run_log(r))
        listens.append(run_listen(r))
        storms.append(run_storm(r))
        print(f"round {r + 1}: log {logs[-1]:.0f}/s  listen {listens[-1]:.0f}/s  storm {storm / storms[-1][0]:.0f}/s "
              f"({storms[-1][1]} incident(s), {storms[-1][2]} alert events)", flush=True)
except Exception as e:
    print(f"FAILED: {e}")
    sys.exit(1)

log_rate, listen_rate = statistics.median(logs), statistics.median(listens)
walls = sorted(s[0] for s in storms)
print()
print(f"| what ({runs} rounds, medians) | per second | vs `incident log` |")
print("|---|---:|---:|")
print(f"| `incident log \"note N\"` in a loop, {count} appends | {log_rate:.0f} | 1.00x |")
print(f"| `ingest --listen`, {count} notifications one after the other | {listen_rate:.0f} | {listen_rate / log_rate:.2f}x |")
print(f"| `ingest --listen`, storm of {storm} for 5 alerts, 8 clients | {storm / statistics.median(walls):.0f} | {storm / statistics.median(walls) / log_rate:.2f}x |")
print()
print(f"storm: wall median {statistics.median(walls):.2f} s; incidents opened per run: {[s[1] for s in storms]}; "
      f"alert events per run: {[s[2] for s in storms]}")
ratio = listen_rate / log_rate
print(f"target listen >= 0.8x log: {'met' if ratio >= 0.8 else 'NOT met'} ({ratio:.2f}x)")
if any(s[1] != 1 for s in storms):
    print("FAILED: a storm opened more than one incident")
    sys.exit(1)
PY

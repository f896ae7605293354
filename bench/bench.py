#!/usr/bin/env python3
"""Timing and memory harness for `incident`, called by bench/run.sh (which builds the binary,
creates the repository and its 1,000 incidents, and commits them).

Every measured run is a fresh process with stdin, stdout and stderr on /dev/null (so nothing
prompts and nothing is printed). With --runone (bench/runone.c, which run.sh builds), that
small helper forks, execs and reaps it with wait4, and reports the wall time (monotonic
clock around fork + exec + wait), ru_maxrss (KiB on Linux) and user + system CPU time.
Without it, Python does the same with os.posix_spawn, time.perf_counter and os.wait4, but
then max RSS can't go below Python's own (exec carries the parent image's high-water mark
into ru_maxrss).

Commands that are compared run interleaved, round by round (git status, incident status,
incident log, git status, ...), so a busy moment on the machine hits them alike.
Every run must exit 0, or the benchmark fails.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

RUNONE = None  # path of the runone helper, when built


def die(msg):
    print(f"bench: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def fail_run(argv, code):
    # Run it again with its output visible, so the failure explains itself.
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    die(f"`{' '.join(argv)}` exited {code}\n--- stdout\n{p.stdout[-2000:]}\n--- stderr\n{p.stderr[-3000:]}")


def spawn(argv):
    """Runs argv once; returns (wall s, max RSS KiB, CPU s). Fails loudly on a non-zero exit."""
    if RUNONE:
        out = subprocess.run([RUNONE, *argv], check=True, capture_output=True, text=True).stdout.split()
        ns, rss, code, cpu_us = (int(x) for x in out)
        if code != 0:
            fail_run(argv, code)
        return ns / 1e9, rss, cpu_us / 1e6
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status, ru = os.wait4(pid, 0)
    elapsed = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        fail_run(argv, code)
    return elapsed, ru.ru_maxrss, ru.ru_utime + ru.ru_stime


def p90(xs):
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


class Series:
    def __init__(self, name, argv_for, target_ms=None):
        self.name = name
        self.argv_for = argv_for  # run number -> argv (so every `log` writes its own note)
        self.target_ms = target_ms
        self.yardstick = None  # the git status Series measured alongside
        self.wall_ms, self.cpu_ms, self.rss_kib = [], [], []

    def run(self, i, keep):
        wall, rss, cpu = spawn(self.argv_for(i))
        if keep:
            self.wall_ms.append(wall * 1000)
            self.cpu_ms.append(cpu * 1000)
            self.rss_kib.append(rss)

    median = property(lambda self: statistics.median(self.wall_ms))
    p90 = property(lambda self: p90(self.wall_ms))
    cpu = property(lambda self: statistics.median(self.cpu_ms))
    rss_mb = property(lambda self: max(self.rss_kib) / 1024)

    def ratio(self):
        return None if self.yardstick is None else self.median / self.yardstick.median


def rounds(series, runs, warmup):
    """Warm-up rounds, then measured rounds; each round runs every series once, in order."""
    for i in range(warmup):
        for s in series:
            s.run(-1 - i, keep=False)
    for i in range(runs):
        for s in series:
            s.run(i, keep=True)


def lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the incident binary")
    ap.add_argument("--repo", required=True, help="the incident repository (committed)")
    ap.add_argument("--open-id", required=True, help="the one open incident")
    ap.add_argument("--gen", required=True, help="bench/gen.py")
    ap.add_argument("--runone", help="the runone helper (bench/runone.c)")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--big-events", type=int, default=10_000)
    ap.add_argument("--postmortem-target-ms", type=float, default=100)
    ap.add_argument("--rss-target-mb", type=float, default=30)
    ap.add_argument("--json", help="also write the figures (and every sample) here")
    a = ap.parse_args()
    global RUNONE
    RUNONE = os.path.abspath(a.runone) if a.runone else None
    if a.runs < 1 or a.warmup < 0:
        die("--runs must be at least 1 and --warmup at least 0")

    inc = os.path.abspath(a.bin)
    repo = os.path.abspath(a.repo)
    os.chdir(repo)  # every command runs with cwd = the repository, as a responder's would
    n_incidents = len(os.listdir("incidents"))
    events = os.path.join("incidents", a.open_id, "events.jsonl")
    load_before = os.getloadavg()

    # Sanity: with no id given, `status` picks the one open incident we generated.
    p = subprocess.run([inc, "status", "--json"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if p.returncode != 0:
        die(f"`incident status --json` exited {p.returncode}: {p.stderr}")
    got = json.loads(p.stdout)
    if got.get("id") != a.open_id or got.get("state") != "open":
        die(f"`incident status` chose {got.get('id')} ({got.get('state')}), expected the open {a.open_id}")

    R, W = a.runs, a.warmup
    print(f"[1/2] {n_incidents} incidents (1 open): {W} warm-up + {R} measured rounds", file=sys.stderr)
    git_a = Series("git status", lambda i: ["git", "status"])
    status = Series("incident status", lambda i: [inc, "status"])
    log = Series('incident log "note N"', lambda i: [inc, "log", f"bench note {i}"])
    status.yardstick = log.yardstick = git_a
    before = lines(events)
    rounds([git_a, status, log], R, W)
    grown = lines(events) - before
    if grown != W + R:
        die(f"{events} grew by {grown} lines, expected {W + R} (one per `log` run)")
    with open(events, "rb") as f:
        last = json.loads(f.read().splitlines()[-1])
    if last.get("kind") != "note" or last.get("text") != f"bench note {R - 1}":
        die(f"the last event of {events} is not the last note logged: {last}")
    print(f"      {events} grew by {grown} lines, one per `log` run", file=sys.stderr)

    print(f"[2/2] one more incident with {a.big_events:,} events", file=sys.stderr)
    big_id = subprocess.run([sys.executable, a.gen, "big", repo, "--events", str(a.big_events)],
                            check=True, capture_output=True, text=True).stdout.strip()
    big_log = os.path.join("incidents", big_id, "events.jsonl")
    if lines(big_log) != a.big_events:
        die(f"{big_log} has {lines(big_log)} lines, expected {a.big_events}")
    big_mb = os.path.getsize(big_log) / 1e6
    for args in (["add", "-A"], ["commit", "-q", "-m", f"bench: one incident with {a.big_events} events"]):
        subprocess.run(["git", *args], check=True, stdout=subprocess.DEVNULL)
    git_b = Series("git status", lambda i: ["git", "status"])
    pm = Series(f"incident postmortem --no-commit -i ID ({a.big_events:,} events)",
                lambda i: [inc, "postmortem", "--no-commit", "-i", big_id], target_ms=a.postmortem_target_ms)
    pm.yardstick = git_b
    rounds([git_b, pm], R, W)
    pm_path = os.path.join("incidents", big_id, "postmortem.md")
    if not os.path.isfile(pm_path) or os.path.getsize(pm_path) < 1000:
        die(f"{pm_path} was not written")
    pm_kb = os.path.getsize(pm_path) / 1e3
    load_after = os.getloadavg()

    rows = [("A", git_a), ("A", status), ("A", log), ("B", git_b), ("B", pm)]
    print()
    print(f"A: repository of {n_incidents} incidents (999 closed, 1 open), all committed; cwd = the repository")
    print(f"B: A plus one resolved incident of {a.big_events:,} events ({big_mb:.1f} MB log, {pm_kb:.0f} KB postmortem.md)")
    print(f"{R} measured rounds after {W} warm-up rounds; commands of a setup interleaved round by round.")
    print("median/p90 = wall time; CPU = median user+sys time; RSS = peak ru_maxrss over the runs.")
    if not RUNONE:
        print("(no runone helper: timed from Python, and max RSS is floored at Python's own, an upper bound)")
    print(f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after, on {os.cpu_count()} CPUs")
    print()
    head = ["", "command", "median ms", "p90 ms", "CPU ms", "max RSS MB", "target", "vs git status"]
    table = []
    for setup, s in rows:
        if s.name == "git status":
            target = "yardstick"
        else:
            target = (f"< {s.target_ms:g} ms, " if s.target_ms else "") + f"RSS < {a.rss_target_mb:g} MB"
        ratio = s.ratio()
        table.append([setup, s.name, f"{s.median:.1f}", f"{s.p90:.1f}", f"{s.cpu:.1f}", f"{s.rss_mb:.1f}",
                      target, "—" if ratio is None else f"{ratio:.2f}x"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    fmt = lambda row: "  ".join(str(c).ljust(w) if i in (0, 1, 6) else str(c).rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths)))
    print(fmt(head))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print(fmt(row))
    print()
    verdicts = [(f"postmortem of {a.big_events:,} events: median wall < {a.postmortem_target_ms:g} ms",
                 pm.median < a.postmortem_target_ms, f"{pm.median:.1f} ms (CPU {pm.cpu:.1f} ms)")]
    for _, s in rows:
        if s.name != "git status":
            verdicts.append((f"{s.name}: max RSS < {a.rss_target_mb:g} MB", s.rss_mb < a.rss_target_mb,
                             f"{s.rss_mb:.1f} MB"))
    for what, ok, value in verdicts:
        print(f"{'met    ' if ok else 'NOT MET'}  {what}: {value}")

    if a.json:
        out = {
            "incidents": n_incidents, "big_events": a.big_events, "big_log_mb": round(big_mb, 2),
            "runs": R, "warmup": W, "loadavg_before": load_before, "loadavg_after": load_after,
            "runone": bool(RUNONE),
            "rows": [{"setup": setup, "command": s.name, "median_ms": round(s.median, 2), "p90_ms": round(s.p90, 2),
                      "cpu_ms": round(s.cpu, 2), "max_rss_mb": round(s.rss_mb, 1), "target_ms": s.target_ms,
                      "ratio_vs_git_status": None if s.ratio() is None else round(s.ratio(), 2),
                      "wall_ms": [round(x, 2) for x in s.wall_ms]} for setup, s in rows],
            "verdicts": [{"target": w, "met": ok, "value": v} for w, ok, v in verdicts],
        }
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

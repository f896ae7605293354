#!/usr/bin/env python3
"""Harness of bench/append.sh (which builds the binary, sets up a private HOME and builds
bench/runone.c): how `incident log NOTE` scales with the size of the log, and how many appends
a second concurrent writers get, against a shell floor.

1. Latency against log size. One repository per size, each with exactly one open incident of
   that many events (bench/gen.py open), committed, so `log` needs no `-i`; `log -i ID` is
   timed too (naming the incident skips finding the open one). Sizes and forms run interleaved
   round by round (bench.py's Series and rounds: runone, stdio on /dev/null, cwd = that
   repository). Afterwards each log must have grown by exactly the runs' notes, in order.
2. Concurrent writers. A repository whose one open incident has --base-events events; W
   writers (bench/append_writer.sh) append N notes each, "w<W> n<i>", all released at once.
   Then every line must parse as a JSON object, the log must still start with its original
   bytes, every note must be there exactly once, event ids must be unique, and `incident
   status` must still read the log. The floor does the same to a copy of the log with flock(1),
   printf >> and `sync -d` from a shell loop.

Exits 1 when a command fails or an event is lost, duplicated or unreadable; a missed target
only prints "NOT met".
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter

import bench  # bench/bench.py: spawn (runone), Series, rounds, p90, die

die = bench.die


class At(bench.Series):
    """A Series whose every run starts in its own repository."""

    def __init__(self, name, cwd, argv_for):
        super().__init__(name, argv_for)
        self.cwd = cwd

    def run(self, i, keep):
        os.chdir(self.cwd)
        super().run(i, keep)


def check_call(argv, cwd=None):
    """Runs argv and returns its stdout; dies with its output when it fails."""
    p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if p.returncode != 0:
        die(f"`{' '.join(argv)}` exited {p.returncode}\n--- stdout\n{p.stdout[-2000:]}\n--- stderr\n{p.stderr[-3000:]}")
    return p.stdout


def make_repo(a, path, events):
    """A fresh incident repository whose one open incident has `events` events, committed.
    Returns (incident id, path of its events.jsonl)."""
    check_call([a.bin, "init", path])
    iid = check_call([sys.executable, a.gen, "open", path, "--events", str(events)]).strip()
    check_call(["git", "add", "-A"], cwd=path)
    check_call(["git", "commit", "-q", "-m", f"bench: one open incident of {events} events"], cwd=path)
    log = os.path.join(path, "incidents", iid, "events.jsonl")
    with open(log, "rb") as f:
        n = sum(1 for _ in f)
    if n != events:
        die(f"{log} has {n} lines, expected {events}")
    got = json.loads(check_call([a.bin, "status", "--json"], cwd=path))
    if got.get("id") != iid or got.get("state") != "open":
        die(f"`incident status` in {path} chose {got.get('id')} ({got.get('state')}), expected the open {iid}")
    return iid, log


def read_events(path):
    """The log's bytes and every line parsed; dies at the first line that is not a JSON event."""
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        die(f"{path}: the last line has no newline (torn): {data[-120:]!r}")
    events = []
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        try:
            e = json.loads(line)
        except ValueError as err:
            die(f"{path}:{n}: not JSON ({err}): {line[:160]!r}")
        if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not isinstance(e.get("kind"), str):
            die(f"{path}:{n}: not an event (an object with a string id and kind): {line[:160]!r}")
        events.append(e)
    return data, events


def check_log(path, base, expected, ordered=False):
    """The log must be `base` (its bytes before the test) followed by exactly one note per text
    in `expected` (in that order when `ordered`), each line an event, event ids unique.
    Returns the number of events; dies listing what is wrong."""
    data, events = read_events(path)
    base_lines = base.count(b"\n")
    problems = []
    if not data.startswith(base):
        problems.append(f"its first {base_lines} lines (the log before the test) changed")
    new = events[base_lines:]
    notes = [e.get("text") for e in new if e.get("kind") == "note"]
    others = [e.get("kind") for e in new if e.get("kind") != "note"]
    if others:
        problems.append(f"{len(others)} new events are not notes: {sorted(set(others))}")
    if len(new) != len(expected):
        problems.append(f"{len(new)} new lines, expected {len(expected)}")
    counts = Counter(notes)
    want = set(expected)
    missing = [t for t in expected if counts[t] == 0]
    dups = sorted(t for t, c in counts.items() if c > 1)
    extra = sorted(t for t in counts if t not in want)
    if missing:
        problems.append(f"{len(missing)} notes lost, e.g. {missing[:5]}")
    if dups:
        problems.append(f"{len(dups)} notes logged more than once, e.g. {dups[:5]}")
    if extra:
        problems.append(f"{len(extra)} unexpected notes, e.g. {extra[:5]}")
    if ordered and not problems and notes != list(expected):
        problems.append("the notes are not in the order they were logged")
    dup_ids = [i for i, c in Counter(e["id"] for e in events).items() if c > 1]
    if dup_ids:
        problems.append(f"{len(dup_ids)} event ids occur more than once, e.g. {dup_ids[:3]}")
    if problems:
        die(f"{path}:\n  " + "\n  ".join(problems))
    return len(events)


def latency(a, inc):
    """Two series per size, interleaved: `log NOTE` (the only open incident, the usual way) and
    `log -i ID NOTE` (named, so finding the open incident is not part of it)."""
    sizes = a.sizes
    print(f"[1/2] `incident log` against log size: {', '.join(f'{s:,}' for s in sizes)} events;"
          f" {a.warmup} warm-up + {a.runs} measured rounds", file=sys.stderr)
    rows = []
    for s in sizes:
        repo = os.path.join(a.work, f"log-{s}")
        iid, log = make_repo(a, repo, s)
        with open(log, "rb") as f:
            base = f.read()
        bare = At('incident log "note N"', repo, lambda i: [inc, "log", f"note {i}"])
        named = At('incident log -i ID "note N"', repo, lambda i, iid=iid: [inc, "log", "-i", iid, f"id note {i}"])
        rows.append({"events": s, "repo": repo, "id": iid, "log": log, "base": base,
                     "log_mb": len(base) / 1e6, "bare": bare, "named": named})
        print(f"      {s:,} events: {len(base) / 1e6:.2f} MB", file=sys.stderr)
    bench.rounds([x for r in rows for x in (r["bare"], r["named"])], a.runs, a.warmup)
    rounds = [-1 - i for i in range(a.warmup)] + list(range(a.runs))
    expected = [t for i in rounds for t in (f"note {i}", f"id note {i}")]
    for r in rows:
        check_log(r["log"], r["base"], expected, ordered=True)
        del r["base"]
    print(f"      every log grew by exactly its {len(expected)} notes, in order, and still parses", file=sys.stderr)
    return rows


def run_writers(a, mode, cwd, target, by):
    """W writers of N notes each, released together; returns their figures. Dies if one fails."""
    times_dir = os.path.join(a.work, f"times-{mode}")
    shutil.rmtree(times_dir, ignore_errors=True)
    os.makedirs(times_dir)
    procs = []
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for w in range(a.writers):
        argv = ["bash", a.writer, mode, target, str(w), str(a.notes), os.path.join(times_dir, f"{w}")]
        if mode == "floor":
            argv.append(by)
        err = open(os.path.join(times_dir, f"{w}.err"), "wb")
        procs.append((argv, err, subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE,
                                                  stdout=subprocess.DEVNULL, stderr=err)))
    t0 = time.perf_counter()
    for _, _, p in procs:
        try:
            p.stdin.write(b"go\n")
            p.stdin.close()
        except BrokenPipeError:
            pass  # that writer already died; its exit code and stderr are reported below
    codes = [p.wait() for _, _, p in procs]
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for (argv, err, _), code in zip(procs, codes):
        err.close()
        if code != 0:
            with open(err.name, errors="replace") as f:
                die(f"writer `{' '.join(argv)}` exited {code}\n--- stderr\n{f.read()[-3000:]}")
    lat_ms = []
    for w in range(a.writers):
        with open(os.path.join(times_dir, f"{w}")) as f:
            for line in f:
                t_start, t_end = (float(x) for x in line.split())
                lat_ms.append((t_end - t_start) * 1000)
    total = a.writers * a.notes
    if len(lat_ms) != total:
        die(f"{mode}: the writers timed {len(lat_ms)} appends, expected {total}")
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"wall_s": wall, "appends_per_s": total / wall, "cpu_s": cpu, "cpu_per_wall": cpu / wall,
            "append_median_ms": statistics.median(lat_ms), "append_p90_ms": bench.p90(lat_ms),
            "append_max_ms": max(lat_ms)}


def concurrent(a, inc):
    total = a.writers * a.notes
    print(f"[2/2] {a.writers} concurrent writers x {a.notes} notes = {total:,} appends on a log of"
          f" {a.base_events:,} events; incident, then the floor (flock + printf >> + sync -d)"
          f"{f', {a.concurrent_runs} runs each' if a.concurrent_runs > 1 else ''}", file=sys.stderr)
    repo = os.path.join(a.work, "concurrent")
    _, log = make_repo(a, repo, a.base_events)
    with open(log, "rb") as f:
        base = f.read()
    floor_log = os.path.join(a.work, "floor", "events.jsonl")
    os.makedirs(os.path.dirname(floor_log))
    by = check_call(["git", "config", "user.name"], cwd=repo).strip()
    expected = [f"w{w} n{i}" for w in range(a.writers) for i in range(a.notes)]
    runs = {"incident": [], "floor": []}
    for k in range(a.concurrent_runs):
        for mode, path, target in (("incident", log, inc), ("floor", floor_log, floor_log)):
            with open(path, "wb") as f:  # the same 10,000-event log before every run
                f.write(base)
                f.flush()
                os.fsync(f.fileno())
            r = run_writers(a, mode, repo, target, by)
            r["events_after"] = check_log(path, base, expected)
            if mode == "incident":
                check_call([inc, "status", "--json"], cwd=repo)  # incident itself still reads it
            runs[mode].append(r)
            print(f"      run {k + 1} {mode}: {r['wall_s']:.1f} s, {r['appends_per_s']:.0f} appends/s;"
                  f" all {total:,} notes there exactly once, every line parses", file=sys.stderr)
    return {"log_mb": len(base) / 1e6, "runs": runs}


def median_run(runs):
    """The run with the median wall time (the lower middle one for an even count)."""
    s = sorted(runs, key=lambda r: r["wall_s"])
    return s[(len(s) - 1) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the incident binary")
    ap.add_argument("--work", required=True, help="a scratch directory (repositories go here)")
    ap.add_argument("--gen", required=True, help="bench/gen.py")
    ap.add_argument("--writer", required=True, help="bench/append_writer.sh")
    ap.add_argument("--runone", help="the runone helper (bench/runone.c)")
    ap.add_argument("--sizes", default="10,10000,100000", help="comma-separated log sizes, in events")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--notes", type=int, default=500, help="notes per writer")
    ap.add_argument("--base-events", type=int, default=10_000, help="events in the log the writers append to")
    ap.add_argument("--concurrent-runs", type=int, default=1)
    ap.add_argument("--ratio-target", type=float, default=1.5, help="largest/smallest median latency")
    ap.add_argument("--rate-target", type=float, default=5 * 83, help="concurrent appends/s")
    ap.add_argument("--json", help="also write the figures (and every latency sample) here")
    a = ap.parse_args()
    try:
        a.sizes = sorted({int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()})
    except ValueError:
        die(f"--sizes: expected comma-separated numbers of events, got {a.sizes!r}")
    if not a.sizes or min(a.sizes) < 9 or a.base_events < 9:
        die("--sizes and --base-events: at least 9 events (gen.py open writes 6 before the war room)")
    if a.runs < 1 or a.warmup < 0 or a.writers < 1 or a.notes < 1 or a.concurrent_runs < 1:
        die("--runs, --writers, --notes and --concurrent-runs must be at least 1, --warmup at least 0")
    bench.RUNONE = os.path.abspath(a.runone) if a.runone else None
    a.bin, a.work, a.gen, a.writer = (os.path.abspath(p) for p in (a.bin, a.work, a.gen, a.writer))
    inc = a.bin
    load_before = os.getloadavg()

    rows = latency(a, inc)
    conc = concurrent(a, inc)
    load_after = os.getloadavg()

    print()
    print(f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after, on {os.cpu_count()} CPUs")
    print()
    print(f"1. `incident log` against log size: one repository per size, its one open incident;"
          f" {a.runs} measured rounds after {a.warmup} warm-up, sizes and forms interleaved.")
    head = ["events", "log MB", "command", "median ms", "p90 ms", "CPU ms", "max RSS MB", "vs smallest"]
    table = []
    for form in ("bare", "named"):
        smallest = rows[0][form]
        for r in rows:
            s = r[form]
            table.append([f"{r['events']:,}", f"{r['log_mb']:.2f}", s.name, f"{s.median:.1f}", f"{s.p90:.1f}",
                          f"{s.cpu:.1f}", f"{s.rss_mb:.1f}", f"{s.median / smallest.median:.2f}x"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    fmt = lambda row: "  ".join(str(c).ljust(w) if i == 2 else str(c).rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths)))
    print(fmt(head))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print(fmt(row))
    smallest, largest = rows[0]["bare"], rows[-1]["bare"]
    ratio = largest.median / smallest.median
    named_ratio = rows[-1]["named"].median / rows[0]["named"].median
    lat_ok = ratio <= a.ratio_target
    print()

    total = a.writers * a.notes
    inc_r, floor_r = median_run(conc["runs"]["incident"]), median_run(conc["runs"]["floor"])
    print(f"2. {a.writers} concurrent writers x {a.notes} notes = {total:,} appends on a log of"
          f" {a.base_events:,} events ({conc['log_mb']:.2f} MB before); each writer a shell loop;"
          f" every note checked{f'; median of {a.concurrent_runs} runs' if a.concurrent_runs > 1 else ''}.")
    head = ["writer loop", "wall s", "appends/s", "append median ms", "p90 ms", "max ms", "CPU s", "CPU/wall"]
    table = []
    for name, r in (("incident log", inc_r), ("floor: flock + printf >> + sync -d", floor_r)):
        table.append([name, f"{r['wall_s']:.2f}", f"{r['appends_per_s']:.0f}", f"{r['append_median_ms']:.1f}",
                      f"{r['append_p90_ms']:.1f}", f"{r['append_max_ms']:.1f}", f"{r['cpu_s']:.1f}",
                      f"{r['cpu_per_wall']:.2f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    fmt = lambda row: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths)))
    print(fmt(head))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print(fmt(row))
    wall_ratio = inc_r["wall_s"] / floor_r["wall_s"]
    rate_ok = inc_r["appends_per_s"] >= a.rate_target
    print(f"incident / floor: {wall_ratio:.2f}x the wall time"
          f" ({inc_r['appends_per_s'] / floor_r['appends_per_s']:.0%} of the floor's appends/s)")
    print()
    verdicts = [
        (f"log latency: median at {rows[-1]['events']:,} events within {a.ratio_target:g}x of"
         f" {rows[0]['events']:,} events", lat_ok,
         f"{largest.median:.1f} ms / {smallest.median:.1f} ms = {ratio:.2f}x (with -i ID: {named_ratio:.2f}x)"),
        (f"concurrent appends: at least {a.rate_target:g}/s ({a.writers} x {a.notes})", rate_ok,
         f"{inc_r['appends_per_s']:.0f}/s (floor {floor_r['appends_per_s']:.0f}/s)"),
    ]
    for what, ok, value in verdicts:
        print(f"{'met    ' if ok else 'NOT met'}  {what}: {value}")

    if a.json:
        out = {
            "runs": a.runs, "warmup": a.warmup, "runone": bool(bench.RUNONE), "cpus": os.cpu_count(),
            "loadavg_before": load_before, "loadavg_after": load_after,
            "latency": [{"events": r["events"], "log_mb": round(r["log_mb"], 2), "command": r[form].name,
                         "median_ms": round(r[form].median, 2), "p90_ms": round(r[form].p90, 2),
                         "cpu_ms": round(r[form].cpu, 2), "max_rss_mb": round(r[form].rss_mb, 1),
                         "wall_ms": [round(x, 2) for x in r[form].wall_ms]}
                        for form in ("bare", "named") for r in rows],
            "latency_ratio": round(ratio, 3), "latency_ratio_with_id": round(named_ratio, 3),
            "concurrent": {"writers": a.writers, "notes": a.notes, "base_events": a.base_events,
                           "log_mb": round(conc["log_mb"], 2),
                           "incident": conc["runs"]["incident"], "floor": conc["runs"]["floor"],
                           "incident_over_floor_wall": round(wall_ratio, 3)},
            "verdicts": [{"target": w, "met": ok, "value": v} for w, ok, v in verdicts],
        }
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

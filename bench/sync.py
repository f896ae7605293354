#!/usr/bin/env python3
"""Benchmarks `incident sync` (SPEC §8) against what a user would do by hand with git.

1. Merge speed. Two clones of one incident repository (a bare repository on disk as the
   remote) each add EVENTS new events to the same incident's log; A syncs first. Then, on
   a fresh copy of that state each run, B runs either
     incident sync
   or the git CLI doing the same change:
     git add -A && git commit -qm sync && git pull -q --no-rebase && git push -q
   with `events.jsonl merge=union` in .gitattributes (without it git's pull stops on an
   add/add conflict in the log). Median wall time of each, and the ratio. Target: <= 2x git.
   Both results are checked: every event once in B's log.
2. Concurrency. WRITERS processes append NOTES notes each (`incident log`) on clone A while
   another process runs `incident sync` in a loop, and clone B logs and syncs too. After a
   last sync on both sides every note must be in both logs exactly once, and the logs equal.

3. Catching up. A clone that missed INCIDENTS incidents (default 5,000) syncs, against `git
   pull` of the same change (a fast-forward). Target: <= 2x git, and a few lines of output.

Usage: python3 bench/sync.py BIN [--events N] [--runs N] [--writers N] [--notes N]
                                 [--incidents N] [--only merge|concurrency|catch-up]
Prints the figures; exits 1 if an event is lost or duplicated, 0 otherwise.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone


def run(cmd, cwd, check=True, **kw):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if check and p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} (in {cwd}) failed: {p.stderr.strip()}")
    return p


def only_incident(repo):
    ids = sorted(os.listdir(os.path.join(repo, "incidents")))
    assert len(ids) == 1, ids
    return ids[0]


def add_events(repo, iid, n, who):
    """Appends n note events as `incident log` writes them (one JSON object a line)."""
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    path = os.path.join(repo, "incidents", iid, "events.jsonl")
    with open(path, "a") as f:
        for i in range(n):
            at = (start + timedelta(milliseconds=i * 50)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            f.write(json.dumps({"id": uuid.uuid4().hex, "at": at, "by": who, "kind": "note",
                                "text": f"{who} note {i}"}, separators=(",", ":")) + "\n")


def lines(repo, iid):
    with open(os.path.join(repo, "incidents", iid, "events.jsonl")) as f:
        out = [json.loads(line) for line in f if line.strip()]
    return out


def check_once(repo, iid, expected):
    evs = lines(repo, iid)
    ids = [e["id"] for e in evs]
    if len(ids) != len(set(ids)):
        sys.exit(f"FAIL: duplicated events in {repo}")
    if len(ids) != expected:
        sys.exit(f"FAIL: {len(ids)} events in {repo}, expected {expected}")


def setup(work, bin_, events):
    remote = os.path.join(work, "remote.git")
    a, b = os.path.join(work, "a"), os.path.join(work, "b")
    run([bin_, "init", a], work)
    run(["git", "init", "-q", "--bare", "--initial-branch=main", remote], work)
    run(["git", "remote", "add", "origin", remote], a)
    run([bin_, "open", "Checkout down", "--severity", "SEV1"], a)
    with open(os.path.join(a, ".gitattributes"), "a") as f:
        f.write("events.jsonl merge=union\n")  # only the git baseline reads it
    run([bin_, "sync"], a)
    run(["git", "clone", "-q", remote, b], work)
    iid = only_incident(a)
    base = len(lines(a, iid))
    add_events(a, iid, events, "alice")
    add_events(b, iid, events, "bob")
    run([bin_, "sync"], a)
    return remote, a, b, iid, base


def fresh_copy(work, name, remote, clone):
    """A copy of the remote and of a clone pointing at it, so each run starts from the same
    state. Returns the trial folder (removed by the caller) and the clone's copy."""
    trial = os.path.join(work, name)
    os.makedirs(trial)
    t_remote, t_b = os.path.join(trial, "remote.git"), os.path.join(trial, "b")
    shutil.copytree(remote, t_remote, symlinks=True)
    shutil.copytree(clone, t_b, symlinks=True)
    run(["git", "remote", "set-url", "origin", t_remote], t_b)
    return trial, t_b


def report(title, times, git):
    """Prints each median and the ratio of `incident sync` to the git baseline (target <= 2x)."""
    med = {k: statistics.median(v) for k, v in times.items()}
    print(title)
    for k, v in med.items():
        print(f"  {k:40s} {v * 1000:8.1f} ms")
    ratio = med["incident sync"] / med[git]
    verdict = "met" if ratio <= 2 else "NOT met"
    print(f"  ratio incident/git: {ratio:.2f}x (target <= 2x: {verdict})")
    return med, ratio


def merge_bench(bin_, events, runs):
    with tempfile.TemporaryDirectory(prefix="incident-sync-bench.") as work:
        remote, a, b, iid, base = setup(work, bin_, events)
        times = {"incident sync": [], "git pull --no-rebase && git push": []}
        for r in range(runs):
            for name in times:  # interleaved, so drift hits both alike
                trial, t_b = fresh_copy(work, f"trial-{r}-{len(times[name])}-{name[:3]}", remote, b)
                if name == "incident sync":
                    cmds = [[bin_, "sync"]]
                else:
                    cmds = [["sh", "-c", "git add -A && git commit -qm sync && git pull -q --no-rebase --no-edit && git push -q"]]
                t0 = time.perf_counter()
                for c in cmds:
                    run(c, t_b)
                times[name].append(time.perf_counter() - t0)
                check_once(t_b, iid, base + 2 * events)
                shutil.rmtree(trial)
        return report(f"merge: {events} new events on each side, {runs} runs each, median wall time",
                      times, "git pull --no-rebase && git push")


def concurrency_bench(bin_, writers, notes):
    with tempfile.TemporaryDirectory(prefix="incident-sync-bench.") as work:
        remote, a, b, iid, base = setup(work, bin_, 0)
        run([bin_, "sync"], b)
        stop = threading.Event()
        syncs = {"a": 0, "b": 0, "failed": 0}

        def syncer(repo, key):
            while not stop.is_set():
                p = run([bin_, "sync"], repo, check=False)
                if p.returncode == 0:
                    syncs[key] += 1
                else:
                    syncs["failed"] += 1
                    print(f"  sync in {key} failed (retried): {p.stderr.strip()}", file=sys.stderr)

        def writer(w):
            for i in range(notes):
                run([bin_, "log", "-i", iid, f"w{w} n{i}"], a)

        def remote_writer():
            for i in range(notes):
                run([bin_, "log", "-i", iid, f"b n{i}"], b)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        threads.append(threading.Thread(target=remote_writer))
        sync_threads = [threading.Thread(target=syncer, args=(a, "a")), threading.Thread(target=syncer, args=(b, "b"))]
        for t in threads + sync_threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        for t in sync_threads:
            t.join()
        wall = time.perf_counter() - t0
        for _ in range(2):
            run([bin_, "sync"], a)
            run([bin_, "sync"], b)
        expected = base + writers * notes + notes
        check_once(a, iid, expected)
        check_once(b, iid, expected)
        if lines(a, iid) != lines(b, iid):
            sys.exit("FAIL: the two clones' logs differ")
        texts = [e.get("text") for e in lines(a, iid)]
        for w in range(writers):
            for i in range(notes):
                if texts.count(f"w{w} n{i}") != 1:
                    sys.exit(f"FAIL: note w{w} n{i} not there exactly once")
        print(f"concurrency: {writers} writers x {notes} notes on A, {notes} notes on B, "
              f"syncing in a loop on both sides meanwhile ({syncs['a']} + {syncs['b']} syncs, "
              f"{syncs['failed']} failed and retried) in {wall:.1f} s")
        print(f"  every event in both logs exactly once ({expected} events), logs identical: ok")


def catch_up_bench(bin_, incidents, runs):
    """A clone that missed INCIDENTS incidents (a laptop back from leave) syncs, against `git
    pull` of the same change; both start from a copy of the same state each run."""
    gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen.py")
    with tempfile.TemporaryDirectory(prefix="incident-sync-bench.") as work:
        remote = os.path.join(work, "remote.git")
        a, b = os.path.join(work, "a"), os.path.join(work, "b")
        run([bin_, "init", a], work)
        run(["git", "init", "-q", "--bare", "--initial-branch=main", remote], work)
        run(["git", "remote", "add", "origin", remote], a)
        run([bin_, "sync"], a)
        run(["git", "clone", "-q", remote, b], work)
        run([sys.executable, gen, "fleet", a, "--count", str(incidents)], work)
        run(["git", "add", "-A"], a)
        run(["git", "commit", "-qm", f"{incidents} incidents"], a)
        run(["git", "push", "-q"], a)
        times = {"incident sync": [], "git pull": []}
        line = ""
        for r in range(runs):
            for name in times:
                trial, t_b = fresh_copy(work, f"trial-{r}-{name[:3]}", remote, b)
                cmd = [bin_, "sync"] if name == "incident sync" else ["git", "pull", "-q"]
                t0 = time.perf_counter()
                p = run(cmd, t_b)
                times[name].append(time.perf_counter() - t0)
                if name == "incident sync":
                    line = p.stdout
                got = len(os.listdir(os.path.join(t_b, "incidents")))
                if got != incidents:
                    sys.exit(f"FAIL: {name} brought {got} incidents, expected {incidents}")
                shutil.rmtree(trial)
        result = report(f"catch-up: a clone missing {incidents} incidents syncs, {runs} runs each, median wall time",
                        times, "git pull")
        print(f"  incident sync printed {len(line.splitlines())} line(s), {len(line)} bytes: {line.strip()[:160]}")
        return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--notes", type=int, default=20)
    ap.add_argument("--incidents", type=int, default=5000, help="for the catch-up figure")
    ap.add_argument("--only", choices=["merge", "concurrency", "catch-up"], help="one figure only")
    args = ap.parse_args()
    bin_ = os.path.abspath(args.bin)
    if args.only == "catch-up":
        catch_up_bench(bin_, args.incidents, args.runs)
        return
    merge_bench(bin_, args.events, args.runs)
    concurrency_bench(bin_, args.writers, args.notes)
    catch_up_bench(bin_, args.incidents, args.runs)


if __name__ == "__main__":
    main()

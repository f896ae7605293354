#!/usr/bin/env python3
"""Where `incident lint` places ShellCheck's findings, checked against a reading of its own.

For each YAML file given (folders are walked), every shell command (each step's `run`, each
channel's `deliver.command`) is decoded by PyYAML, not by the tool, written to a file and
given to ShellCheck directly; each finding's character is read from the decoded command at
ShellCheck's line and column. `incident lint --format json` is run on the same files, and
each of its `shellcheck` findings (paired with ShellCheck's own in order, per file and SC
code) is looked up in the YAML file at the line and column lint gave. A finding is exact
when the file has the same character there (or the backslash of the escape that wrote it);
on the right line when that line of the file holds the character. Reported per scalar style.

    python3 bench/positions.py [--restyle] [PATH…]
        (default: tests/fixtures/lint/shellcheck runbooks config)

With --restyle, each runbook given is first written again by PyYAML five times, its commands
in each scalar style in turn (plain where YAML allows it, '…', "…", |, >; lines folded at
PyYAML's 80 columns), and those files are measured: the same commands, every style.

INCIDENT names the binary (default target/release/incident). Needs shellcheck and PyYAML.
"""

import collections
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

STYLES = {None: "plain", "": "plain", "'": "single-quoted", '"': "double-quoted", "|": "literal", ">": "folded"}
LEVEL = "style"


def files_of(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in sorted(names):
                    if n.endswith((".yaml", ".yml")):
                        yield os.path.join(root, n)
        elif os.path.exists(p):
            yield p


def get(node, key):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def commands(path):
    """(decoded command, style, header) of every command in the file, in file order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return text, []
    found = []
    if os.path.basename(path) == "incident.yaml":
        channels = get(root, "channels")
        for _, channel in channels.value if isinstance(channels, yaml.MappingNode) else []:
            cmd = get(get(channel, "deliver"), "command")
            if isinstance(cmd, yaml.ScalarNode):
                found.append((cmd.value, STYLES.get(cmd.style, cmd.style)))
    else:
        phases = get(root, "phases")
        for _, phase in phases.value if isinstance(phases, yaml.MappingNode) else []:
            steps = get(phase, "steps")
            for step in steps.value if isinstance(steps, yaml.SequenceNode) else []:
                run = get(step, "run")
                if isinstance(run, yaml.ScalarNode):
                    found.append((run.value, STYLES.get(run.style, run.style)))
    return text, found


def shellcheck(scripts):
    """ShellCheck's comments for each script: [(code, line, column)]."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for i, s in enumerate(scripts):
            name = os.path.join(tmp, f"{i}.sh")
            with open(name, "w", encoding="utf-8") as f:
                f.write(s)
            names.append(name)
        if not names:
            return []
        run = subprocess.run(
            ["shellcheck", "-f", "json1", "-s", "sh", "--norc", "-S", LEVEL] + names,
            capture_output=True, text=True,
        )
        comments = json.loads(run.stdout or '{"comments": []}')["comments"]
        for i, name in enumerate(names):
            mine = [c for c in comments if c["file"] == name]
            mine.sort(key=lambda c: (c["line"], c["column"]))
            out.append([(c["code"], c["line"], c["column"]) for c in mine])
    return out


def char_of(script, line, col):
    lines = script.split("\n")
    if line - 1 >= len(lines):
        return None
    l = lines[line - 1]
    return l[col - 1] if col - 1 < len(l) else "\n"


def file_lines(text):
    return re.split(r"\r\n|\r|\n", text)


class Styled(str):
    style = None


def restyle(paths, out_dir):
    """Writes each runbook again with its commands in each style; returns the new files."""

    def represent(dumper, data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=data.style)

    yaml.add_representer(Styled, represent)
    written = []
    for path in files_of(paths):
        if os.path.basename(path) == "incident.yaml":
            continue
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for name, style in [("plain", None), ("single", "'"), ("double", '"'), ("literal", "|"), ("folded", ">")]:
            for phase in (doc.get("phases") or {}).values():
                for step in (phase or {}).get("steps") or []:
                    if isinstance(step.get("run"), str):
                        run = Styled(str(step["run"]))
                        run.style = style
                        step["run"] = run
            target = os.path.join(out_dir, name, os.path.basename(path))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                yaml.dump(doc, f, sort_keys=False, allow_unicode=True)
            written.append(target)
    return written


FRAGMENTS = [
    "cd $dir", "ls $x", "[ $a == b ]", "echo `date`", "grep -c \"$y\" $file", "rm -r $tmp/*",
    "for f in $(ls); do cat $f; done", "read name", "echo \"it's $é\"", "kubectl get pods -n $ns",
    "printf \"%s\\n\" $list", "x=$((1+$n))", "echo '\\t' $tab", "cp $src\t$dst", "[ -n $v ]",
    "curl -fsS \"$url\" | jq .ok", "test $s = \"yes\"", "echo ${arr[0]}",
]


def synthetic(out_dir, count=60):
    """A runbook of generated commands, each a few of FRAGMENTS joined (some across lines),
    every one with findings ShellCheck knows."""
    import random

    rng = random.Random(21)
    steps = []
    for i in range(count):
        parts = rng.sample(FRAGMENTS, rng.randint(2, 4))
        joiners = [rng.choice([" && ", "; ", "\n", " || "]) for _ in parts[1:]]
        cmd = parts[0] + "".join(j + p for j, p in zip(joiners, parts[1:]))
        steps.append({"id": f"s{i}", "title": f"Step {i}", "run": cmd})
    doc = {"id": "synthetic", "title": "Generated commands", "services": ["web"], "severities": ["SEV1"],
           "phases": {"detect": {"steps": steps}}}
    path = os.path.join(out_dir, "synthetic.yaml")
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True)
    return path


def main():
    args = sys.argv[1:]
    restyled = "--restyle" in args
    args = [a for a in args if a != "--restyle"]
    paths = args or ["tests/fixtures/lint/shellcheck", "runbooks", "config"]
    if restyled:
        tmp = tempfile.mkdtemp()
        paths = restyle(paths + [synthetic(tmp)], os.path.join(tmp, "styled"))
    binary = os.environ.get("INCIDENT", "target/release/incident")
    files = list(files_of(paths))
    lint = subprocess.run(
        [binary, "lint", "--format", "json", "--shellcheck", "require", "--shellcheck-level", LEVEL] + files,
        capture_output=True, text=True,
    )
    if lint.returncode not in (0, 1):
        sys.exit(f"lint failed ({lint.returncode}): {lint.stderr.strip()}")
    by_file = collections.defaultdict(lambda: collections.defaultdict(list))
    for f in json.loads(lint.stdout):
        m = re.match(r"SC(\d+)", f["message"])
        if f["rule"] == "shellcheck" and m:
            by_file[os.path.normpath(f["file"])][int(m.group(1))].append((f["line"], f["column"]))
    tally = collections.defaultdict(lambda: [0, 0, 0])  # style -> [exact, right line, total]
    unpaired = 0
    misses = []
    for path in files:
        text, cmds = commands(path)
        lines = file_lines(text)
        expected = collections.defaultdict(list)
        for (script, style), comments in zip(cmds, shellcheck([c for c, _ in cmds])):
            for code, line, col in comments:
                expected[code].append((char_of(script, line, col), style))
        placed = by_file.get(os.path.normpath(path), {})
        for code, want in expected.items():
            got = placed.get(code, [])
            if len(got) != len(want):
                unpaired += len(want)
                continue
            for (c, style), (line, col) in zip(want, sorted(got)):
                row = lines[line - 1] if line - 1 < len(lines) else ""
                at = row[col - 1] if col - 1 < len(row) else "\n"
                t = tally[style]
                t[2] += 1
                if at == c or (at == "\\" and style == "double-quoted") or (c in " \t\n" and at in " \t\n"):
                    t[0] += 1
                    t[1] += 1
                elif c in row:
                    t[1] += 1
                    misses.append(f"{path}:{line}:{col}: SC{code} wanted {c!r}, found {at!r} ({style})")
                else:
                    misses.append(f"{path}:{line}:{col}: SC{code} wanted {c!r}, not on the line ({style})")
    print(f"{'style':<15} {'findings':>8} {'exact':>8} {'right line':>11}")
    total = [0, 0, 0]
    for style in ["plain", "single-quoted", "double-quoted", "literal", "folded"]:
        e, l, n = tally.get(style, [0, 0, 0])
        total = [total[0] + e, total[1] + l, total[2] + n]
        pct = lambda k: f"{100 * k / n:.0f}%" if n else "-"
        print(f"{style:<15} {n:>8} {pct(e):>8} {pct(l):>11}")
    e, l, n = total
    print(f"{'all':<15} {n:>8} {100 * e / max(n, 1):>7.0f}% {100 * l / max(n, 1):>10.0f}%")
    if unpaired:
        print(f"({unpaired} of ShellCheck's findings had no counterpart in lint's, e.g. INCIDENT_* variables lint knows are set; not counted)")
    for m in misses:
        print("  " + m)


if __name__ == "__main__":
    main()

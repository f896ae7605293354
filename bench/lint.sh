#!/usr/bin/env bash
# Benchmarks `incident lint` on 10,000 generated runbooks (5 phases of 3-5 steps, commands,
# decisions; 2-4 KB each) inside a fresh incident repository (so the incident.yaml checks
# run), side by side with:
#   - cat of every file (the floor: reading the bytes),
#   - yamllint -d relaxed (YAML syntax and style),
#   - PyYAML (CSafeLoader) + jsonschema Draft202012Validator with `incident schema`.
# Prints wall time (best and median of N runs), files/s, CPU utilisation and the ratios
# yamllint/incident, jsonschema/incident, incident/cat (incident lint with --shellcheck off).
# Then, in the same run, on 2,000 runbooks of the same generator: `incident lint` with
# ShellCheck against the floor, ShellCheck alone on the same commands extracted to files and
# batched over every core (xargs -P NPROC -n 200), and their ratio (target <= 1.3); skipped,
# with a line saying so, when shellcheck is not installed. Needs bash, python3, git, cargo;
# pip installs yamllint, jsonschema and pyyaml when they are missing.
# Usage: bash bench/lint.sh [--count N] [--runs N] [--fast-runs N] [--skip-slow] [--shell-count N] [--shell-runs N] [--json FILE]
#   --runs: runs of yamllint and the validator (default 3, about 10 minutes in all);
#   --fast-runs: runs of cat and incident lint (default 10);
#   --skip-slow: time only cat and incident lint (no yamllint, no validator, no pip install):
#     the incident/cat ratio in under a minute;
#   --shell-count: runbooks of the ShellCheck comparison (default 2000; 0 skips it);
#   --shell-runs: runs of each side of it (default 3, about a minute each on two cores).
# Nothing outside a temporary directory is touched, apart from cargo's target/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
count=10000
runs=3
fast_runs=10
json=()
skip_slow=()
shell_count=2000
shell_runs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--count) count=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--fast-runs) fast_runs=$2; shift 2 ;;
	--skip-slow) skip_slow=(--skip-slow); shift ;;
	--shell-count) shell_count=$2; shift 2 ;;
	--shell-runs) shell_runs=$2; shift 2 ;;
	--json) json=(--json "$(realpath -m "$2")"); shift 2 ;;
	*) echo "usage: bash bench/lint.sh [--count N] [--runs N] [--fast-runs N] [--skip-slow] [--shell-count N] [--shell-runs N] [--json FILE]" >&2; exit 2 ;;
	esac
done

echo "building (cargo build --release)..." >&2
(cd "$root" && cargo build --release --quiet)
bin="${CARGO_TARGET_DIR:-$root/target}/release/incident"
rustc_version=$(cd "$root" && rustc --version)

if [ ${#skip_slow[@]} -eq 0 ] && ! python3 -c 'import yaml, jsonschema, yamllint' 2>/dev/null; then
	echo "installing the comparison tools (pip install yamllint jsonschema pyyaml)..." >&2
	python3 -m pip install --quiet yamllint jsonschema pyyaml
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/incident-lint-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A private HOME with a git identity, for `incident init`'s first commit.
export HOME="$work/home"
mkdir -p "$HOME"
printf '[user]\n\tname = Bench\n\temail = bench@example.invalid\n[init]\n\tdefaultBranch = main\n' >"$HOME/.gitconfig"
export GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1

repo="$work/repo"
"$bin" init "$repo" >/dev/null
# Only the generated runbooks, so that every tool reads exactly the same files.
rm -f "$repo"/runbooks/*.yaml
python3 "$here/lint_corpus.py" gen "$repo/runbooks" --count "$count"
"$bin" schema >"$work/runbook.schema.json"

# The ShellCheck comparison's corpus: the generator's first runbooks, in a repository of its own.
shell=()
if [ "$shell_count" -gt 0 ] && ! command -v shellcheck >/dev/null; then
	echo "shellcheck is not installed: the comparison with ShellCheck is skipped (apt-get install shellcheck)" >&2
elif [ "$shell_count" -gt 0 ]; then
	"$bin" init "$work/shell-repo" >/dev/null
	rm -f "$work/shell-repo"/runbooks/*.yaml
	python3 "$here/lint_corpus.py" gen "$work/shell-repo/runbooks" --count "$shell_count"
	shell=(--shell-dir "$work/shell-repo/runbooks" --shell-cwd "$work/shell-repo" --shell-runs "$shell_runs")
fi

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if [ ${#skip_slow[@]} -eq 0 ]; then
	echo "incident $("$bin" --version | awk '{print $2}') ($rustc_version); $(python3 -m yamllint --version);" \
		"jsonschema $(python3 -c 'import importlib.metadata as m; print(m.version("jsonschema"))');" \
		"PyYAML $(python3 -c 'import yaml; print(yaml.__version__, "with" if hasattr(yaml, "CSafeLoader") else "without", "libyaml")');" \
		"$(python3 --version)"
else
	echo "incident $("$bin" --version | awk '{print $2}') ($rustc_version); yamllint and the validator skipped (--skip-slow); $(python3 --version)"
fi
python3 "$here/lint_corpus.py" bench --dir "$repo/runbooks" --cwd "$repo" --incident "$bin" \
	--schema "$work/runbook.schema.json" --runs "$runs" --fast-runs "$fast_runs" "${skip_slow[@]}" "${json[@]}" "${shell[@]}"

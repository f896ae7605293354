#!/usr/bin/env bash
# Benchmarks `incident` against `git status` on a realistic repository:
#   A. 1,000 incidents (999 closed, 1 open), committed: `status`, `log NOTE`, `git status`
#   B. plus one incident of 10,000 events: `postmortem --no-commit`, `git status`
# Prints median / p90 wall time, CPU time and peak RSS of each, and checks the targets
# (postmortem < 100 ms, RSS < 30 MB); exits 0 whether or not they are met, 1 if a command fails.
# Needs bash, python3 (3.9+), git, cargo, and cc (for bench/runone.c; optional).
# Usage: bash bench/run.sh [--runs N] [--warmup N] [--json FILE]   (defaults: 50 runs, 3 warm-ups)
# Nothing outside a temporary directory is touched, apart from cargo's target/. See BENCHMARKS.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

# BENCH_CARGO_FLAGS adds cargo flags (e.g. "--features regex/unicode-case"); set
# CARGO_TARGET_DIR too, so such a build does not replace target/release/incident.
echo "building (cargo build --release${BENCH_CARGO_FLAGS:+ $BENCH_CARGO_FLAGS})..." >&2
# shellcheck disable=SC2086 # BENCH_CARGO_FLAGS is a list of flags
(cd "$root" && cargo build --release --quiet ${BENCH_CARGO_FLAGS:-})
bin="${CARGO_TARGET_DIR:-$root/target}/release/incident"

work=$(mktemp -d "${TMPDIR:-/tmp}/incident-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A private HOME with a git identity, and the timing helper in `runone`.
# shellcheck source=bench/sandbox.sh
source "$here/sandbox.sh"

repo="$work/repo"
"$bin" init "$repo" >/dev/null
echo "generating 1,000 incidents..." >&2
open_id=$(python3 "$here/gen.py" fleet "$repo" --count 1000)
git -C "$repo" add -A
git -C "$repo" commit -q -m "bench: 1,000 incidents"

python3 "$here/bench.py" --bin "$bin" --repo "$repo" --open-id "$open_id" --gen "$here/gen.py" ${runone[@]+"${runone[@]}"} "$@"

#!/usr/bin/env bash
# Benchmarks `incident sync` (SPEC §8): merging 10,000 new events on each side against
# `git pull --no-rebase && git push` of the same change by the git CLI (target <= 2x git),
# then 16 writers appending on one clone while both clones sync in a loop (nothing lost,
# nothing duplicated), then a clone catching up on 5,000 incidents against `git pull` (target
# <= 2x git, a few lines of output). See bench/sync.py for the details and BENCHMARKS.md for
# figures.
# Usage: bash bench/sync.sh [--events N] [--runs N] [--writers N] [--notes N] [--incidents N]
#                           [--only merge|concurrency|catch-up]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
echo "building (cargo build --release)..." >&2
(cd "$root" && cargo build --release --quiet)
bin="${CARGO_TARGET_DIR:-$root/target}/release/incident"
work=$(mktemp -d "${TMPDIR:-/tmp}/incident-sync-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/sandbox.sh
. "$here/sandbox.sh"
echo "$(git --version), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
python3 "$here/sync.py" "$bin" "$@"

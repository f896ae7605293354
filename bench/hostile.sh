#!/usr/bin/env bash
# Hostile input (issue 13, SPEC §9): peak memory and wall time of `incident` on input built to
# exhaust it. One measured case per line of the table it prints; add a case as a `case_*`
# function that prepares a repository and prints the command to measure, and list it in
# `cases`.
#   yes-5s: `incident step run flood --yes` on a step `run: yes` with `timeout: 5s`
#           (endless output: memory must stay flat, the timeout must end it)
# Measures wall time and peak RSS with bench/runone.c (one run each: the cases are long).
# Usage: bash bench/hostile.sh
# Needs bash, git, awk, cargo and cc. Touches nothing outside a temporary folder apart from
# cargo's target/. See BENCHMARKS.md, "Hostile output".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cases="yes-5s"

# Built before the private HOME is set up: rustup finds its toolchain through the real one.
(cd "$root" && cargo build --release --locked --quiet)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# shellcheck source=bench/sandbox.sh
source "$here/sandbox.sh"
[ ${#runone[@]} -gt 0 ] || { echo "bench/hostile.sh needs cc for bench/runone.c" >&2; exit 2; }
bin="$root/target/release/incident"

# A repository at $1 with runbook `hostile` whose one step is $2 (YAML under `steps:`), and
# an open incident following it.
repo_with_step() {
	"$bin" init "$1" >/dev/null
	printf 'id: hostile\ntitle: Hostile\nservices: [web]\nseverities: [SEV2]\nphases:\n  detect:\n    steps:\n%s' "$2" >"$1/runbooks/hostile.yaml"
	(cd "$1" && "$bin" open "Checkout 500" --severity SEV2 --service web --runbook hostile >/dev/null)
}

case_yes_5s() {
	repo_with_step "$work/yes" "      - id: flood
        title: Endless output
        run: yes
        timeout: 5s
"
	echo "$work/yes" step run flood --yes
}

echo "| case | command | wall time | peak RSS | exit |"
echo "|---|---|---:|---:|---:|"
for c in $cases; do
	read -r dir args <<<"$("case_${c//-/_}")"
	# shellcheck disable=SC2086 # the case's arguments are words
	read -r wall_ns rss_kib code _cpu <<<"$(cd "$dir" && "$work/runone" "$bin" $args)"
	awk -v c="$c" -v a="$args" -v w="$wall_ns" -v r="$rss_kib" -v x="$code" \
		'BEGIN { printf "| %s | `incident %s` | %.2f s | %.1f MB | %s |\n", c, a, w / 1e9, r / 1024, x }'
done

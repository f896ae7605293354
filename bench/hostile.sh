#!/usr/bin/env bash
# Hostile input (issue 13, SPEC §9): wall time, peak memory and exit code of each case below,
# measured with GNU time (`/usr/bin/time`; else the shell's `time`, without memory). A case is
# a function `case_NAME` that prepares its own repository under $work and runs the command to
# measure as `measure LABEL COMMAND…`; add a case by adding a function and its name to `cases`.
# Usage: bash bench/hostile.sh [CASE…]   (default: every case)
# Needs bash, cargo, git and python3. Touches nothing outside a temporary folder apart from
# cargo's target/. See BENCHMARKS.md, "Hostile input".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
(cd "$root" && cargo build --release --locked --quiet)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# shellcheck source=bench/sandbox.sh
source "$here/sandbox.sh"
bin="$root/target/release/incident"

# measure LABEL COMMAND…: one run; prints seconds, peak RSS (MB) and the exit code.
measure() {
	local label=$1
	shift
	local code=0
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || code=$?
		local secs kib
		# GNU time puts "Command exited with non-zero status N" first when it did.
		read -r secs kib < <(tail -n 1 "$work/time")
		printf '%-48s %8s s %8.1f MB  exit %s\n' "$label" "$secs" "$(echo "$kib / 1024" | bc -l)" "$code"
	else
		local start end
		start=$(date +%s.%N)
		"$@" >/dev/null 2>"$work/stderr" || code=$?
		end=$(date +%s.%N)
		printf '%-48s %8.2f s %11s  exit %s\n' "$label" "$(echo "$end - $start" | bc -l)" "?" "$code"
	fi
	if [ "$code" -ne 0 ]; then
		sed 's/^/    /' "$work/stderr"
	fi
}

# A repository with one open incident; prints its path.
fresh() {
	local repo="$work/$1"
	"$bin" init "$repo" >/dev/null
	(cd "$repo" && "$bin" open "Checkout down" --severity SEV2 >/dev/null 2>&1)
	echo "$repo"
}

# `timeline` on one note of 3 MB of words: the worst case for a table's wrapping (it was
# quadratic: 640 KB took 16 s). Shown cut to 500 characters with a marker; `status` beside it.
case_timeline_3mb_note() {
	local repo
	repo=$(fresh note)
	python3 -c 'import sys; sys.stdout.write("word " * (3 * 1024 * 1024 // 5))' >"$work/note.txt"
	(cd "$repo" && "$bin" log - <"$work/note.txt" >/dev/null)
	measure "timeline, one 3 MB note" "$bin" --repo "$repo" timeline
	measure "timeline --json, one 3 MB note" "$bin" --repo "$repo" timeline --json
	measure "status, one 3 MB note" "$bin" --repo "$repo" status
}

# A repository template with nested loops (ten billion iterations): stopped at the work limit.
case_nested_loop_template() {
	local repo
	repo=$(fresh loops)
	printf '%s\n' '{% for a in range(100000) %}{% for b in range(100000) %}{% set x = a + b %}{% endfor %}{% endfor %}' \
		>"$repo/templates/postmortem.md.j2"
	measure "postmortem, nested-loop template (exit 2)" "$bin" --repo "$repo" postmortem --no-commit
}

# A template that would write 10 GB: refused at 16 MiB.
case_huge_template_output() {
	local repo
	repo=$(fresh huge)
	printf '%s\n' "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}" >"$repo/templates/postmortem.md.j2"
	measure "postmortem, 10 GB template output (exit 2)" "$bin" --repo "$repo" postmortem --no-commit
}

# `step run` on a step `run: yes` with `timeout: 5s`: endless output. Memory must stay flat
# (head and tail kept, the middle dropped) and the timeout must end it.
# yes_repo DIR: a repository in DIR with an open incident following a runbook whose step
# `flood` runs `yes` with a 5 s timeout.
yes_repo() {
	"$bin" init "$1" >/dev/null
	printf 'id: hostile\ntitle: Hostile\nservices: [web]\nseverities: [SEV2]\nphases:\n  detect:\n    steps:\n      - id: flood\n        title: Endless output\n        run: yes\n        timeout: 5s\n' \
		>"$1/runbooks/hostile.yaml"
	(cd "$1" && "$bin" open "Checkout 500" --severity SEV2 --service web --runbook hostile >/dev/null)
}

case_yes_5s() {
	local repo="$work/yes"
	yes_repo "$repo"
	measure "step run, run: yes with timeout: 5s" "$bin" --repo "$repo" step run flood --yes
}

# The same on a terminal (util-linux `script` gives it one): the output is also shown live, line
# by line, redacted and bounded (200 lines, then its end when the command ends). What the
# terminal received is counted too.
case_yes_5s_terminal() {
	local repo="$work/yes-tty"
	yes_repo "$repo"
	measure "step run on a terminal, run: yes, timeout: 5s" \
		script -qfec "$bin --repo $repo step run flood --yes" "$work/typescript"
	echo "  the terminal received $(wc -l <"$work/typescript") lines, $(wc -c <"$work/typescript") bytes"
}

cases=(yes_5s yes_5s_terminal timeline_3mb_note nested_loop_template huge_template_output)
[ $# -gt 0 ] && cases=("$@")
for c in "${cases[@]}"; do
	"case_$c"
done

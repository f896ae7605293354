#!/usr/bin/env bash
# One writer of bench/append.sh's concurrent test: appends NOTES notes "w<W> n<i>" to a log, one
# after the other, and writes "<start> <end>" (EPOCHREALTIME) of each append to TIMES.
#   append_writer.sh incident BIN W NOTES TIMES       # `BIN log "w<W> n<i>"`, cwd = the repository
#   append_writer.sh floor LOG W NOTES TIMES BY       # flock + printf >> LOG + sync -d LOG
# The floor is the least a durable, locked append of one JSON line can cost from a shell: the
# same kind of event line `incident` writes, an exclusive flock(1) on the log, an O_APPEND
# write, and `sync -d` (fdatasync of that file). Only flock and sync are processes; the line is
# built with builtins.
# Both wait for one line on stdin before the first append, so that all writers start together.
set -euo pipefail

mode=$1 target=$2 writer=$3 notes=$4 times=$5
read -r _ || true
exec </dev/null 3>"$times"

case "$mode" in
incident)
	for ((i = 0; i < notes; i++)); do
		t0=$EPOCHREALTIME
		"$target" log "w$writer n$i" >/dev/null
		printf '%s %s\n' "$t0" "$EPOCHREALTIME" >&3
	done
	;;
floor)
	by=$6
	export TZ=UTC
	for ((i = 0; i < notes; i++)); do
		t0=$EPOCHREALTIME
		read -r uuid </proc/sys/kernel/random/uuid
		printf -v at '%(%Y-%m-%dT%H:%M:%S)T.%sZ' "${t0%.*}" "${t0#*.}"
		printf -v json '{"id":"%s","at":"%s","by":"%s","kind":"note","text":"w%s n%s"}' \
			"${uuid//-/}" "$at" "$by" "$writer" "$i"
		# shellcheck disable=SC2094 # fd 9 only holds the lock; the append and the sync follow it
		{
			flock -x 9
			printf '%s\n' "$json" >>"$target"
			sync -d "$target"
		} 9>>"$target"
		printf '%s %s\n' "$t0" "$EPOCHREALTIME" >&3
	done
	;;
*)
	echo "append_writer.sh: unknown mode $mode (incident or floor)" >&2
	exit 2
	;;
esac

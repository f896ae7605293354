# Sourced by the benchmark scripts after `work` (a temporary folder) and `here` (bench/) are
# set: a private HOME with a git identity, so nothing reads or writes the user's config, and
# the timing/RSS helper (bench/runone.c) in `runone` (empty when there is no C compiler).
# shellcheck shell=bash disable=SC2154,SC2034 # work and here come from, and runone goes to, the sourcing script
export HOME="$work/home"
mkdir -p "$HOME"
cat >"$HOME/.gitconfig" <<'GITCONFIG'
[user]
	name = Bench Responder
	email = bench@example.invalid
[init]
	defaultBranch = main
GITCONFIG
export GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1 LC_ALL=C
unset INCIDENT_REPO GIT_DIR GIT_WORK_TREE

# cc is there wherever cargo can link.
runone=()
if cc -O2 -o "$work/runone" "$here/runone.c" 2>/dev/null; then
	runone=(--runone "$work/runone")
else
	echo "warning: no C compiler: timing from Python, max RSS is an upper bound" >&2
fi

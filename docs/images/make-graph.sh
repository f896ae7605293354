#!/usr/bin/env bash
# Makes the pictures of `incident runbook graph` in this folder: the starter runbook
# bad-deploy as Mermaid draws it, and the path an incident took through it as its postmortem's
# Runbooks section draws it, each rendered by the mermaid package pinned in tests/mermaid
# (npm ci --prefix tests/mermaid --ignore-scripts) in Debian's chromium.
# Usage: bash docs/images/make-graph.sh   (from the project root; builds the release binary,
# or set BIN to a binary already built)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$root/docs/images"
mermaid="$root/tests/mermaid/node_modules/mermaid/dist/mermaid.min.js"
[ -f "$mermaid" ] || { echo "needs $mermaid: npm ci --prefix tests/mermaid --ignore-scripts" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  (cd "$root" && cargo build --release --locked --quiet)
  BIN="$root/target/release/incident"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
export TZ=UTC
i() { "$BIN" --repo "$repo" --as "Dana Whitfield" "$@" >/dev/null; }

# One Mermaid diagram (file $1) drawn to $2, $3 pixels wide and as tall as the diagram: a
# first load reports its height (in the page's title), the second takes the screenshot.
draw() {
  python3 - "$1" "$work/page.html" "$mermaid" <<'PY'
import html, sys
src, page, lib = sys.argv[1:]
text = open(src, encoding="utf-8").read()
open(page, "w", encoding="utf-8").write(f"""<!doctype html><html><head><meta charset="utf-8"><title>drawing</title>
<style>body {{ margin: 16px; background: #fff; font-family: sans-serif; }}</style>
<script src="file://{html.escape(lib)}"></script></head><body>
<pre class="mermaid">{html.escape(text)}</pre>
<script>
mermaid.initialize({{ startOnLoad: false, securityLevel: "strict" }});
mermaid.run().then(() => {{
  document.title = "height " + Math.ceil(document.querySelector("svg").getBoundingClientRect().bottom + 16);
}});
</script>
</body></html>""")
PY
  local shot=(chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile"
    --virtual-time-budget=10000)
  local height
  height=$("${shot[@]}" --window-size="$3,1000" --dump-dom "file://$work/page.html" 2>/dev/null |
    sed -n 's/.*<title>height \([0-9]*\)<\/title>.*/\1/p')
  [ -n "$height" ] || { echo "mermaid did not draw $1" >&2; exit 1; }
  "${shot[@]}" --window-size="$3,$height" --screenshot="$2" "file://$work/page.html" 2>/dev/null
}

i init "$repo"
"$BIN" --repo "$repo" runbook graph bad-deploy >"$work/graph.mmd"
draw "$work/graph.mmd" "$out/runbook-graph.png" 900

# An incident that walked bad-deploy: a recent deploy (yes), no migration (no: roll back),
# the rollback failed and its on_fail was not taken, the flag turned off instead.
i open "Checkout errors after the 14:00 release" --severity SEV1 --service checkout --runbook bad-deploy
for s in confirm-5xx-rate list-recent-rollouts scope-impact check-error-signature set-severity; do i step done "$s"; done
i step skip freeze-deploys --note "no deploy pipeline running"
i step done show-running-images
i step done list-flag-changes
i step done recent-deploy --choice yes
i step done check-migration --choice no
i step fail rollback --note "previous revision crashes on start"
i step done disable-new-code-path
i mark mitigated
i resolve --root-cause "A release with a broken payment client"
"$BIN" --repo "$repo" --as "Dana Whitfield" postmortem --no-commit --output "$work/pm.md" >/dev/null
awk '/^## Runbooks/{r=1} r&&/^```mermaid/{m=1;next} m&&/^```/{exit} m' "$work/pm.md" >"$work/path.mmd"
[ -s "$work/path.mmd" ] || { echo "no path diagram in the postmortem" >&2; exit 1; }
draw "$work/path.mmd" "$out/postmortem-path.png" 900
echo "$out/runbook-graph.png $out/postmortem-path.png"

#!/usr/bin/env bash
# Makes the status page screenshots in this folder: a scratch repository with a public SEV2
# open (with a customer update), a maintenance under way, one scheduled, and a private SEV1
# (which must appear nowhere), rendered by Debian's chromium at 375 and 1280 pixels wide.
# Usage: bash docs/images/make-screenshots.sh   (from the project root; builds the release binary)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$root/docs/images"
(cd "$root" && cargo build --release --locked --quiet)
bin="$root/target/release/incident"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
export TZ=UTC
i() { "$bin" --repo "$repo" --as "Dana Whitfield" "$@" >/dev/null; }
i init "$repo"
sed -i 's/^  time_zone: UTC/  time_zone: Europe\/Paris/' "$repo/incident.yaml"
i open "Checkout payments failing for some customers" --severity SEV2 --service checkout --started-at -40m --detected-at -35m
public=$("$bin" --repo "$repo" list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
i -i "$public" update --channel status-page --status identified --eta 1h \
  "A fault in our payment provider's connection is failing about 1 in 5 card payments. We have found the cause and are rerouting payments."
i open "Internal admin database failover" --severity SEV1 --service web --private
i maintenance "Database upgrade for the pharmacy" --service pharmacy --from -20m --until 40m \
  --message "Pharmacy prescriptions may load slowly while we upgrade the database."
i maintenance start -i "$("$bin" --repo "$repo" list --json | python3 -c 'import json,sys; print([x["id"] for x in json.load(sys.stdin) if x.get("kind")=="maintenance"][0])')"
i maintenance "Marketplace search index rebuild" --service marketplace --from 1d --until 1d2h \
  --message "Seller search results may be incomplete for up to two hours."
"$bin" --repo "$repo" status-page --output "$work/site" >/dev/null
if grep -rq "Internal admin database failover" "$work/site"; then
  echo "the private incident is on the public page" >&2
  exit 1
fi
for width in 375 1280; do
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile-$width" \
    --window-size="$width,2300" --screenshot="$out/status-page-$width.png" "file://$work/site/index.html" 2>/dev/null
done
echo "$out/status-page-375.png $out/status-page-1280.png"

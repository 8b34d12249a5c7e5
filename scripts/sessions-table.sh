#!/usr/bin/env bash
# Prints the README's "Real sessions" table: scripts/sessions-table.sh
#
# Runs `streamline report --format json` (a release build of this checkout) on each recorded
# session in samples/sessions, once with the default window and once with
# --window-requests 0 --window-bytes 0, and prints one Markdown row per session: requests,
# mean overhead per request of plain HTTP/1.1, compact (default window), compact (window 0),
# compact with packed lines (default window, and window 0) and HTTP/2, then the total bytes of
# compact at window 0 against plain. The one-shot
# connections are one row, measured together as `report` measures several files: each file
# one connection; a second row measures those without an `Authorization: Bearer` line.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cargo build --release -q -p streamline-cli
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
streamline=$target_dir/release/streamline

row() {
    local name=$1
    shift
    python3 - "$name" \
        "$("$streamline" report --format json "$@")" \
        "$("$streamline" report --format json --window-requests 0 --window-bytes 0 "$@")" <<'EOF'
import json, sys
name, default, zero = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
def enc(report, id):
    return next(e for e in report["encodings"] if e["id"] == id)
plain, compact, h2 = enc(default, "plain"), enc(default, "compact"), enc(default, "http2")
compact0, packed, packed0 = enc(zero, "compact"), enc(default, "packed"), enc(zero, "packed")
ratio = compact0["total_bytes"] / plain["total_bytes"]
print(f"| {name} | {default['requests']:,} | {plain['overhead']['mean']:.1f} | {compact['overhead']['mean']:.1f} "
      f"| {compact0['overhead']['mean']:.1f} | {packed['overhead']['mean']:.1f} | {packed0['overhead']['mean']:.1f} "
      f"| {h2['overhead']['mean']:.1f} "
      f"| {compact0['total_bytes']:,} / {plain['total_bytes']:,} ({100 * ratio:.1f} %) |")
EOF
}

echo "| session | requests | plain | compact | compact, window 0 | packed | packed, window 0 | HTTP/2 | compact, window 0 / plain, total bytes |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in browser api-requests api-fetch; do
    row "$name.http" "samples/sessions/$name.http"
done
row "oneshot/*.http" samples/sessions/oneshot/*.http
# The one-shot connections without a bearer token (whose signature no encoding shortens).
mapfile -t tokenless < <(grep -L -i '^authorization: bearer' samples/sessions/oneshot/*.http)
row "oneshot, the ${#tokenless[@]} without a token" "${tokenless[@]}"

#!/usr/bin/env bash
# Records real HTTP/1.1 request streams from real clients against a local site on 127.0.0.1.
#
#   scripts/record-sessions.sh [--out DIR] [--steps N] [--requests N] [--fetch-requests N]
#                              [--seed S] [--samples]
#
# Starts, on loopback only: nginx serving a small generated site (scripts/record/site.py,
# nginx.conf) with the site's dynamic part behind it (app.py), and a recording proxy
# (proxy.py) in front of nginx with one port per kind of client. Then drives, one after the
# other:
#   browser   headless Chromium (Debian's) through playwright-core, walking --steps pages:
#             links, reloads, back, searches, form posts; cookies set by the server and by
#             the page's script, assets revalidated with If-None-Match / If-Modified-Since
#   requests  a python-requests API client, one Session, --requests requests: a bearer
#             token renewed every 20-30 requests, X-Request-Id on each, JSON bodies
#   fetch     the same kind of client on Node's built-in fetch, --fetch-requests requests;
#             though it reads each reply to its end before it sends the next request, Node
#             20's fetch (undici) sends its requests by turns on two connections, so each
#             connection holds every other request
#   oneshot   curl, wget, python-requests, urllib, Node fetch and http: one request each,
#             each on its own connection (scripts/record/oneshot.sh)
# Each client connection's client-to-server bytes land byte for byte in
# DIR/streams/LABEL-NNN.http (NNN: the label's connections in the order they started
# sending); DIR/summary.tsv lists every stream with its requests and bytes.
#
# --samples then copies into samples/sessions/: browser.http (the browser connection with
# the most requests), api-requests.http, api-fetch.http (each the client's longest
# connection) and oneshot/NN-NAME.http (every one-shot connection, named by its client).
#
# Installs what is missing: nginx, chromium, curl and wget (apt-get), requests (pip), and
# playwright-core (npm, into DIR/node, not into the repository). DIR defaults to
# target/recorded-sessions. Needs root for apt-get; the servers bind 127.0.0.1 only. With
# the defaults a run takes about five minutes, most of it the browser's walk.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
here=$repo/scripts/record
out=$repo/target/recorded-sessions
steps=150
requests=300
fetch_requests=600
seed=1
samples=false
playwright=playwright-core@1.64.1
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --fetch-requests) fetch_requests=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --samples) samples=true; shift ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "record-sessions: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
say() { echo "record-sessions: $*" >&2; }

# --- what the clients and servers need -------------------------------------------------
apt_missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_missing+=(nginx)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || apt_missing+=(chromium)
command -v curl >/dev/null || apt_missing+=(curl)
command -v wget >/dev/null || apt_missing+=(wget)
if [ ${#apt_missing[@]} -gt 0 ]; then
    say "installing ${apt_missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)
python=${PYTHON:-python3}
"$python" -c 'import requests' 2>/dev/null || { say "installing requests (pip)"; "$python" -m pip install -q requests; }
export NODE_DEPS=$out/node
if [ ! -d "$NODE_DEPS/node_modules/playwright-core" ]; then
    say "installing $playwright (npm, into $NODE_DEPS)"
    mkdir -p "$NODE_DEPS"
    npm install --prefix "$NODE_DEPS" --no-audit --no-fund --silent "$playwright"
fi
say "building streamline"
(cd "$repo" && cargo build --release -q -p streamline-cli)
target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
streamline=$target_dir/release/streamline

# --- the site, its app, the recording proxy ----------------------------------------------
rm -rf "$out/site" "$out/nginx" "$out/streams"
mkdir -p "$out/nginx/tmp" "$out/streams"
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_nginx=$(free_port)
port_app=$(free_port)
"$python" "$here/site.py" "$out/site"
sed -e "s|@ROOT@|$out/site|g" -e "s|@PREFIX@|$out/nginx|g" -e "s|@PORT@|$port_nginx|g" \
    -e "s|@APP_PORT@|$port_app|g" "$here/nginx.conf" >"$out/nginx/nginx.conf"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
wait_for() {
    for _ in $(seq 100); do
        if "$python" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    say "nothing listens on 127.0.0.1:$1"
    exit 1
}
"$python" "$here/app.py" "$port_app" &
pids+=($!)
"$nginx" -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
pids+=($!)
wait_for "$port_app"
wait_for "$port_nginx"

port_browser=$(free_port)
port_requests=$(free_port)
port_fetch=$(free_port)
port_oneshot=$(free_port)
"$python" "$here/proxy.py" --upstream "127.0.0.1:$port_nginx" --out "$out/streams" \
    "browser=$port_browser" "requests=$port_requests" "fetch=$port_fetch" "oneshot=$port_oneshot" &
proxy=$!
pids+=("$proxy")
# A connection that sends nothing is not recorded, so these checks leave no trace.
for port in "$port_browser" "$port_requests" "$port_fetch" "$port_oneshot"; do wait_for "$port"; done

# --- the clients -------------------------------------------------------------------------
say "browser: headless Chromium, $steps steps"
node "$here/walk.mjs" "http://127.0.0.1:$port_browser/" "$steps" "$seed"
say "requests: python-requests, $requests requests"
"$python" "$here/api_requests.py" "http://127.0.0.1:$port_requests" "$requests" "$seed"
say "fetch: Node $(node --version) fetch, $fetch_requests requests"
node "$here/api_fetch.mjs" "http://127.0.0.1:$port_fetch" "$fetch_requests" "$seed"
say "oneshot: curl, wget, python, node"
PYTHON=$python bash "$here/oneshot.sh" "http://127.0.0.1:$port_oneshot" "$out/oneshot.txt" "$out/site"
sleep 0.5
kill -TERM "$proxy"
wait "$proxy" || true

# --- what was recorded -------------------------------------------------------------------
requests_in() { "$streamline" report --format csv "$1" | awk -F, 'NR == 2 { print $3 }'; }
{
    printf 'stream\trequests\tbytes\n'
    for f in "$out/streams"/*.http; do
        printf '%s\t%s\t%s\n' "$(basename "$f" .http)" "$(requests_in "$f")" "$(wc -c <"$f")"
    done
} >"$out/summary.tsv"
column -t -s $'\t' "$out/summary.tsv" >&2
longest() { sort -t $'\t' -k2,2nr "$out/summary.tsv" | awk -F'\t' -v l="$1-" 'index($1, l) == 1 { print $1; exit }'; }
say "longest connections: browser $(longest browser), requests $(longest requests), fetch $(longest fetch)"
oneshots=$(find "$out/streams" -name 'oneshot-*.http' | wc -l)
if [ "$oneshots" -ne "$(wc -l <"$out/oneshot.txt")" ]; then
    say "$oneshots one-shot connections, but $(wc -l <"$out/oneshot.txt") one-shot runs"
    exit 1
fi

if $samples; then
    dest=$repo/samples/sessions
    rm -rf "$dest"
    mkdir -p "$dest/oneshot"
    cp "$out/streams/$(longest browser).http" "$dest/browser.http"
    cp "$out/streams/$(longest requests).http" "$dest/api-requests.http"
    cp "$out/streams/$(longest fetch).http" "$dest/api-fetch.http"
    n=0
    while read -r name; do
        n=$((n + 1))
        cp "$out/streams/$(printf 'oneshot-%03d' "$n").http" "$dest/oneshot/$(printf '%02d' "$n")-$name.http"
    done <"$out/oneshot.txt"
    for f in "$dest"/*.http "$dest"/oneshot/*.http; do
        "$streamline" encode "$f" | "$streamline" decode >/dev/null ||
            { say "$f does not round-trip"; exit 1; }
    done
    say "samples written to $dest"
fi

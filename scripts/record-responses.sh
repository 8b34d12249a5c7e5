#!/usr/bin/env bash
# Records real HTTP/1.1 response streams: every byte nginx sends back on one keep-alive
# connection to a given request stream.
#
#   scripts/record-responses.sh [--out DIR] [--samples]
#
# Starts nginx (Debian's), on 127.0.0.1 only and a free port, with its prefix, config, logs
# and temp dirs in DIR/nginx (from scripts/record/responses-nginx.conf), and stops it on
# exit. It serves a small static site that scripts/record/responses_site.py writes to
# DIR/site (fixed contents and modification times, so every run sees the same ETag and
# Last-Modified), compressing HTML, CSS and JavaScript on the fly for clients that accept
# gzip (chunked responses), and answers /receiver with "200 OK" and a 3-byte body. Then
# scripts/record/replay.py replays each request stream on one connection, one request at a
# time, and writes what nginx sends back as it arrives:
#   opra-acks   samples/opra-feed-1000.http: 1000 POST /receiver, spread over 4 seconds so
#               that nginx's Date header changes several times; 1000 acknowledgements
#   browse      30 requests of a desktop Chrome on the site (written by responses_site.py):
#               pages and assets (gzip, chunked), images, 404s, beacons and a form POST,
#               then revalidations (304), HEADs and a resumed download (206)
# For each NAME it writes to DIR: NAME.requests.http (the request stream sent), NAME.http
# (the response stream, byte for byte), NAME.tsv (one line per response: method, target,
# status, framing, header and body bytes); and DIR/summary.txt, the counts per kind of
# response from scripts/record/responses_check.py, which also checks that each response
# stream is exactly one HTTP/1.1 response per request.
#
# --samples then copies NAME.requests.http and NAME.http into samples/responses/.
#
# Installs nginx and curl with apt-get if they are missing (needs root for that). DIR
# defaults to target/recorded-responses. A run takes about 10 seconds.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
here=$repo/scripts/record
out=$repo/target/recorded-responses
samples=false
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --samples) samples=true; shift ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "record-responses: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
say() { echo "record-responses: $*" >&2; }

# --- what the server and the checks need -----------------------------------------------
apt_missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_missing+=(nginx)
command -v curl >/dev/null || apt_missing+=(curl)
if [ ${#apt_missing[@]} -gt 0 ]; then
    say "installing ${apt_missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)
python=${PYTHON:-python3}
feed=$repo/samples/opra-feed-1000.http
[ -f "$feed" ] || { say "$feed is missing"; exit 1; }

# --- the site and nginx -----------------------------------------------------------------
rm -rf "$out/site" "$out/nginx"
mkdir -p "$out/nginx/tmp"
"$python" "$here/responses_site.py" "$out/site" "$out/browse.requests.http"
cp "$feed" "$out/opra-acks.requests.http"
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|@ROOT@|$out/site|g" -e "s|@PREFIX@|$out/nginx|g" -e "s|@PORT@|$port|g" \
    "$here/responses-nginx.conf" >"$out/nginx/nginx.conf"

nginx_pid=
cleanup() {
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
"$nginx" -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    kill -0 "$nginx_pid" 2>/dev/null || { say "nginx did not start:"; cat "$out/nginx/error.log" >&2; exit 1; }
    sleep 0.1
done
version=$("$nginx" -v 2>&1 | sed 's/^nginx version: //')
say "$version on 127.0.0.1:$port"

# What the browsing session relies on: gzip on the fly means chunked, and the ETag nginx
# gives a file is the one responses_site.py put in the conditional requests.
headers=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/css/style.css" | tr -d '\r')
grep -qix 'transfer-encoding: chunked' <<<"$headers" && grep -qix 'content-encoding: gzip' <<<"$headers" ||
    { say "a gzip-accepting request for a stylesheet did not get a chunked gzip response:"; echo "$headers" >&2; exit 1; }
etag=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/img/hero.png" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
grep -qF "If-Range: $etag" "$out/browse.requests.http" ||
    { say "nginx's ETag for img/hero.png ($etag) is not the one in browse.requests.http"; exit 1; }

# --- the recordings ---------------------------------------------------------------------
say "opra-acks: 1000 POSTs over 4 seconds"
"$python" "$here/replay.py" --port "$port" --pace 4 --log "$out/opra-acks.tsv" \
    "$out/opra-acks.requests.http" "$out/opra-acks.http"
say "browse: the browsing session over 3 seconds"
"$python" "$here/replay.py" --port "$port" --pace 3 --log "$out/browse.tsv" \
    "$out/browse.requests.http" "$out/browse.http"
{
    echo "$version"
    "$python" "$here/responses_check.py" --require 200=1000 --require length=1000 \
        --require date-changes=3 "$out/opra-acks.requests.http" "$out/opra-acks.http"
    "$python" "$here/responses_check.py" --require chunked=1 --require 304=2 \
        --require head=1 --require 404=1 "$out/browse.requests.http" "$out/browse.http"
} >"$out/summary.txt"
cat "$out/summary.txt" >&2

if $samples; then
    dest=$repo/samples/responses
    mkdir -p "$dest"
    for name in opra-acks browse; do
        cp "$out/$name.requests.http" "$out/$name.http" "$dest/"
    done
    say "samples written to $dest"
fi

#!/usr/bin/env bash
# One-shot clients, one request on one connection each: oneshot.sh BASE_URL MANIFEST SITE_DIR
#
# curl, wget, python-requests, Python's urllib and Node's fetch and http, run one after
# the other the way a person at a terminal or a one-shot script runs them (curl uploads
# SITE_DIR/favicon.ico as a form). Before each run its name goes on a line of MANIFEST, so
# the Nth connection the proxy records is the Nth name (record-sessions.sh checks that the
# counts agree).
set -euo pipefail
base=${1%/}
manifest=$2
site=$3
: >"$manifest"
run() {
    echo "$1" >>"$manifest"
    shift
    "$@" >/dev/null
}
py=${PYTHON:-python3}

token_json=$(curl -sS -X POST -H 'Content-Type: application/json' \
    -d '{"grant_type":"client_credentials","client_id":"cli","client_secret":"s3cr3t"}' "$base/api/auth/token")
echo curl-post-token >>"$manifest"
token=$("$py" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' <<<"$token_json")

run curl-get-page curl -sS "$base/"
run curl-get-json curl -sS -H 'Accept: application/json' "$base/api/items?page=1&limit=5"
run curl-get-bearer curl -sS -H "Authorization: Bearer $token" "$base/api/items/42"
run curl-post-json curl -sS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"bolt 12","sku":"SKU-10012","quantity":7}' "$base/api/items"
run curl-head curl -sS -I "$base/static/css/site.css"
run curl-compressed-cookie curl -sS --compressed -b 'sid=0b5e1f7a2c9d4e6f8a1b3c5d7e9f0a2b; theme=dark' "$base/news/"
run curl-basic-auth curl -sS -u 'reader:correct horse' "$base/api/me"
run curl-form-upload curl -sS -F "file=@$site/favicon.ico" -F 'note=new icon' "$base/api/upload"
run wget-get wget -q -O - "$base/products/p100.html"
run python-requests-get "$py" -c 'import requests,sys; requests.get(sys.argv[1] + "/api/search", params={"q": "gear", "page": 2}, headers={"Authorization": "Bearer " + sys.argv[2]}).json()' "$base" "$token"
run python-requests-post "$py" -c 'import requests,sys; requests.post(sys.argv[1] + "/api/items", json={"name": "valve 3", "quantity": 1}, headers={"Authorization": "Bearer " + sys.argv[2]}).json()' "$base" "$token"
run python-urllib-get "$py" -c 'import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + "/api/items?page=3&limit=20").read()' "$base"
run node-fetch-get node -e 'fetch(process.argv[1] + "/api/items?page=2&limit=10", {headers: {Authorization: "Bearer " + process.argv[2]}}).then(r => r.json())' "$base" "$token"
run node-fetch-post node -e 'fetch(process.argv[1] + "/api/events", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({type: "deploy", ok: true})}).then(r => r.text())' "$base"
run node-http-get node -e 'require("http").get(process.argv[1] + "/api/me", {agent: false}, r => r.resume())' "$base"

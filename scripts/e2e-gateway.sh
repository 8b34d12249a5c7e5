#!/usr/bin/env bash
# The proxy and the gateway end to end with real parts: nginx (Debian's) upstream, curl and
# a load generator as clients, all on 127.0.0.1.
#
#   scripts/e2e-gateway.sh [--out DIR] [--seconds S] [--rounds R] [--threads T] [--connections C]
#                          [--links N] [--soak S]
#
#   client ──► streamline proxy ══compact link══► streamline gateway ──► nginx
#
# 1. curl gets the same status, fields (hop-by-hop and Date aside) and body through the
#    pair as from nginx directly: GET, HEAD, POST with a body, a chunked upload, a 304
#    revalidation, a 404.
# 2. 100 clients x 1,000 requests (scripts/gateway/ids.py), each with a unique id nginx
#    echoes: every response reaches its own client, in order; then 100 x 200 through a pair
#    whose byte budgets (--max-buffered) hold 32 messages each way, so that most requests
#    and answers wait for room: none lost, none stuck.
# 3. Faults: nginx stopped gives 502 and the pair recovers when it is back; the gateway
#    stopped gives 502 and the proxy reconnects when it is back.
# 4. Load: the load generator against nginx directly, then through the pair, R rounds
#    (default 5) taken alternately, each S seconds (default 5): POSTs of a 66-byte
#    OPRA-style quote (scripts/gateway/opra.lua) from wrk with C connections (default 100),
#    each path taken at its best over the thread counts T (default 1,2: one wrk thread
#    drives nginx directly hardest, two drive the pair harder). Per round: requests/s,
#    latency percentiles, the cores the whole machine kept busy, and through the pair the
#    CPU per request of each process; then the medians and their ratio, the proxy's RSS
#    before and after, and, from one more run with one wrk thread, the link bytes per
#    request and per acknowledgement (the proxy's --stats totals): more than 7 and 4 bytes
#    plus the body, with half a byte of slack for the first heads, fails.
# 5. Soak (--soak S seconds, default 30; 0 skips it): rounds of 8 s of load through the pair,
#    nginx stopped for a second in each, the gateway killed (SIGKILL) and restarted in every
#    other one. After each round the pair must answer 200 again (no hang), and at the end no
#    process may have panicked and the proxy's and the gateway's memory must be flat: RSS
#    at most 4 MiB or 10 % above what it was after the first round (the gateway's since
#    its last restart).
#
# Installs nginx, curl and wrk with apt-get if they are missing (needs root; without wrk in
# the archive, `cargo install oha`). Builds the command in release mode. Everything it
# starts is stopped on exit; logs and the figures stay in DIR (default
# target/e2e-gateway). Exit status 0 when every check passed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
here=$repo/scripts/gateway
out=$repo/target/e2e-gateway
seconds=5
rounds=5
threads=1,2
connections=100
links=1
soak=30
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;; # a comma-separated list
    --connections) connections=$2; shift 2 ;;
    --links) links=$2; shift 2 ;;
    --soak) soak=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e-gateway: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
say() { echo "e2e-gateway: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# --- what it needs -------------------------------------------------------------------
apt_missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_missing+=(nginx)
command -v curl >/dev/null || apt_missing+=(curl)
command -v wrk >/dev/null || command -v oha >/dev/null || apt_missing+=(wrk)
if [ ${#apt_missing[@]} -gt 0 ]; then
    say "installing ${apt_missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx curl >/dev/null
fi
if ! command -v wrk >/dev/null && ! command -v oha >/dev/null; then
    say "no wrk in the archive: cargo install oha"
    cargo install oha --locked
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)
python=${PYTHON:-python3}
say "building the command (release)"
(cd "$repo" && cargo build --release -q -p streamline-cli)
bin=${CARGO_TARGET_DIR:-$repo/target}/release/streamline

# --- nginx, the gateway, the proxy ---------------------------------------------------
rm -rf "$out"
mkdir -p "$out/nginx/tmp" "$out/site"
printf 'hello from nginx, through a compact link\n' >"$out/site/file.txt"
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up=$(free_port) gw=$(free_port) px=$(free_port)
sed -e "s|@ROOT@|$out/site|g" -e "s|@PREFIX@|$out/nginx|g" -e "s|@PORT@|$up|g" \
    "$here/nginx.conf" >"$out/nginx/nginx.conf"

nginx_pid= gateway_pid= proxy_pid= packing_gateway_pid= packing_proxy_pid= tight_gateway_pid= tight_proxy_pid=
stop() { # PID: SIGTERM, then wait for it
    if [ -n "${1:-}" ]; then
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop "$tight_proxy_pid"
    stop "$tight_gateway_pid"
    stop "$packing_proxy_pid"
    stop "$packing_gateway_pid"
    stop "$proxy_pid"
    stop "$gateway_pid"
    stop "$nginx_pid"
}
trap cleanup EXIT
start_nginx() {
    "$nginx" -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
    nginx_pid=$!
}
start_gateway() {
    "$bin" gateway --listen "127.0.0.1:$gw" --upstream "127.0.0.1:$up" --stats 1 2>>"$out/gateway.log" &
    gateway_pid=$!
}
# Waits until URL answers STATUS (at most 10 s).
wait_for() {
    for _ in $(seq 200); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
start_nginx
wait_for "http://127.0.0.1:$up/file.txt" 200 || fail "nginx did not start (see $out/nginx/error.log)"
start_gateway
"$bin" proxy --listen "127.0.0.1:$px" --link "127.0.0.1:$gw" --links "$links" --stats 1 2>>"$out/proxy.log" &
proxy_pid=$!
wait_for "http://127.0.0.1:$px/file.txt" 200 || fail "the pair did not start (see $out/*.log)"
say "nginx :$up, gateway :$gw, proxy :$px"

# --- 1. the same answers as directly -------------------------------------------------
etag=$(curl -s -D - -o /dev/null "http://127.0.0.1:$up/file.txt" | tr -d '\r' | sed -n 's/^ETag: //ip')
head -c 100000 /dev/urandom | base64 >"$out/upload.bin"
# Status line, the fields but the ones a hop or the clock owns (sorted), the body.
seen() { # PORT NAME CURL-ARGS...
    local port=$1 name=$2
    shift 2
    : >"$out/$name.body" # (curl writes no file for an empty body)
    curl -s --http1.1 -D "$out/$name.head" -o "$out/$name.body" "$@" "http://127.0.0.1:$port${path}"
    tr -d '\r' <"$out/$name.head" | grep -viE '^(date|connection|keep-alive):' | sort
    # (curl -I writes the head where the body would go: a HEAD's answer has none.)
    case $name in head.*) ;; *) sha256sum <"$out/$name.body" ;; esac
}
check() { # NAME PATH CURL-ARGS...
    local name=$1
    path=$2
    shift 2
    diff <(seen "$up" "$name.direct" "$@") <(seen "$px" "$name.pair" "$@") >"$out/$name.diff" ||
        fail "$name differs through the pair (see $out/$name.diff)"
    say "same through the pair: $name ($(head -1 "$out/$name.pair.head" | tr -d '\r'))"
}
check get /file.txt
check head /file.txt -I
check post /upload -d 'bid=1.25&ask=1.27'
check chunked /upload -H 'Transfer-Encoding: chunked' --data-binary "@$out/upload.bin"
check revalidation /file.txt -H "If-None-Match: $etag"
check missing /missing
grep -q '^HTTP/1.1 304' "$out/revalidation.pair.head" || fail "the revalidation was no 304"
grep -q '^HTTP/1.1 404' "$out/missing.pair.head" || fail "the 404 was no 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host:' "http://127.0.0.1:$px/file.txt")
[ "$code" = 400 ] || fail "a request without Host got $code, not 400"
say "a request without Host: 400"
# The same through a second pair whose ends pack the lines they write (SPEC.md §4.11).
pgw=$(free_port) ppx=$(free_port)
"$bin" gateway --listen "127.0.0.1:$pgw" --upstream "127.0.0.1:$up" --pack 2>>"$out/gateway-pack.log" &
packing_gateway_pid=$!
"$bin" proxy --listen "127.0.0.1:$ppx" --link "127.0.0.1:$pgw" --pack 2>>"$out/proxy-pack.log" &
packing_proxy_pid=$!
wait_for "http://127.0.0.1:$ppx/file.txt" 200 || fail "the packing pair did not start (see $out/*-pack.log)"
text_px=$px px=$ppx
check get.packed /file.txt -H 'X-Request-Id: 9f3c7e1a-56b2-4d0e-8c11-2b7f0d9e4a63'
check head.packed /file.txt -I -H 'X-Request-Id: 4b1d2c3e-0f9a-4e8b-9c7d-6a5b4c3d2e1f'
check post.packed /upload -d 'bid=1.25&ask=1.27' -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0'
check chunked.packed /upload -H 'Transfer-Encoding: chunked' --data-binary "@$out/upload.bin"
check revalidation.packed /file.txt -H "If-None-Match: $etag"
check missing.packed /missing
px=$text_px
stop "$packing_proxy_pid"
stop "$packing_gateway_pid"
packing_proxy_pid= packing_gateway_pid=

# --- 2. every response to its own client ---------------------------------------------
"$python" "$here/ids.py" 127.0.0.1 "$px" 100 1000 | tee "$out/ids.txt" || fail "responses lost or misrouted"
# The same through a pair with budgets of 32 KiB (a message counts at least 1 KiB).
tgw=$(free_port) tpx=$(free_port)
tight=(--max-buffered 32KiB --max-body 16KiB --stats 0.2)
"$bin" gateway --listen "127.0.0.1:$tgw" --upstream "127.0.0.1:$up" "${tight[@]}" 2>>"$out/gateway-tight.log" &
tight_gateway_pid=$!
"$bin" proxy --listen "127.0.0.1:$tpx" --link "127.0.0.1:$tgw" "${tight[@]}" 2>>"$out/proxy-tight.log" &
tight_proxy_pid=$!
wait_for "http://127.0.0.1:$tpx/file.txt" 200 || fail "the pair with tight budgets did not start (see $out/*-tight.log)"
"$python" "$here/ids.py" 127.0.0.1 "$tpx" 100 200 | tee "$out/ids-tight.txt" ||
    fail "responses lost or misrouted with tight budgets (see $out/*-tight.log)"
sleep 0.5
stop "$tight_proxy_pid"
stop "$tight_gateway_pid"
tight_proxy_pid= tight_gateway_pid=
# What each held at most, both ways together (the --stats lines): at most the two budgets.
for side in proxy gateway; do
    peak=$(grep -o 'peak [0-9]* KiB' "$out/$side-tight.log" | awk '{print $2}' | sort -n | tail -1)
    [ -n "$peak" ] && [ "$peak" -le 64 ] || fail "the $side with tight budgets held ${peak:-?} KiB at most, over 2 x 32 KiB"
    say "tight budgets: the $side held at most $peak KiB (2 x 32 KiB allowed)"
done

# --- 3. faults -------------------------------------------------------------------------
# Stops NAME (nginx or gateway): the pair must answer 502; starts it again: the pair must
# answer 200 (else fails with WHY).
outage() { # NAME WHY
    if [ "$1" = nginx ]; then
        stop "$nginx_pid"
        nginx_pid=
    else
        stop "$gateway_pid"
        gateway_pid=
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$px/file.txt")
    [ "$code" = 502 ] || fail "$1 down: $code, not 502"
    "start_$1"
    wait_for "http://127.0.0.1:$px/file.txt" 200 || fail "$2"
}
outage nginx "the pair did not recover after nginx came back"
say "nginx stopped: 502; back: 200"
outage gateway "the proxy did not reconnect"
say "gateway stopped: 502; back: the proxy reconnected, 200"

# --- 4. load -------------------------------------------------------------------------
rss() { ps -o rss= -p "$1" | tr -d ' '; }
# CPU time a process (and its threads) has used, in clock ticks (utime + stime).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The same for nginx: its master and workers.
nginx_ticks() {
    local t p
    t=$(ticks "$nginx_pid")
    for p in $(pgrep -P "$nginx_pid" || true); do t=$((t + $(ticks "$p"))); done
    echo "$t"
}
# The whole machine's busy and total clock ticks (every CPU; idle and I/O wait are not busy):
# what the processes' own counts miss, the softirq work of loopback TCP among it.
machine() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
# The proxy's totals, from its last --stats line: requests, responses, link bytes in, out.
totals() {
    sleep 1.2
    grep -o 'total [0-9]* req, [0-9]* resp, link [0-9]* B in, [0-9]* B out' "$out/proxy.log" | tail -1 |
        awk '{print $2, $4, $7, $10}'
}
# One run of the load generator against PORT with T threads: "requests/s p50 p90 p99 non-2xx
# cores-busy".
load1() { # PORT NAME T
    local m0 m1 busy
    m0=$(machine)
    if command -v wrk >/dev/null; then
        wrk -t"$3" -c"$connections" -d"${seconds}s" --latency -s "$here/opra.lua" "http://127.0.0.1:$1/ack" >"$out/$2.load"
    else
        oha -z "${seconds}s" -c "$connections" --no-tui -m POST -H 'Content-Type: application/json' \
            -d '{"sym":"SPY","exp":"2026-12-18","k":600.0,"bid":12.34,"ask":12.38}' \
            "http://127.0.0.1:$1/ack" >"$out/$2.load"
    fi
    m1=$(machine)
    busy=$(echo "$m0 $m1" | awk -v n="$(nproc)" '{printf "%.2f", n * ($3 - $1) / ($4 - $2)}')
    if command -v wrk >/dev/null; then
        local rps p50 p90 p99 non2xx
        rps=$(awk '/^Requests\/sec/ {print $2}' "$out/$2.load")
        p50=$(awk '$1 == "50%" {print $2}' "$out/$2.load")
        p90=$(awk '$1 == "90%" {print $2}' "$out/$2.load")
        p99=$(awk '$1 == "99%" {print $2}' "$out/$2.load")
        non2xx=$(awk '/Non-2xx/ {print $NF}' "$out/$2.load")
        echo "$rps $p50 $p90 $p99 ${non2xx:-0} $busy"
    else
        echo "$(awk '/Requests\/sec/ {print $2}' "$out/$2.load") - - - 0 $busy"
    fi
}
# A path's capacity in a round: the best of its runs with each thread count in `threads`
# (one wrk thread drives nginx directly hardest, two drive the pair harder: each path is
# measured at its best). Prints load1's figures and the thread count that gave them; the
# pair's runs all count towards errors.
load() { # PORT NAME
    local t best="" fig
    for t in ${threads//,/ }; do
        fig="$(load1 "$1" "$2.t$t" "$t") $t"
        [ "$(echo "$fig" | awk '{print $5}')" = 0 ] || { echo "$fig"; return; }
        if [ -z "$best" ] || awk -v a="${fig%% *}" -v b="${best%% *}" 'BEGIN {exit !(a > b)}'; then
            best=$fig
        fi
    done
    echo "$best"
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
say "load: wrk -t${threads//,/ and -t}, $connections connections, ${seconds} s a run, $rounds rounds of direct then through the pair"
round_before=$(totals)
rss_before=$(rss "$proxy_pid")
rows=() direct=() pair=() per_px=() per_gw=() per_ng=()
for round in $(seq "$rounds"); do
    read -r d_rps d_p50 d_p90 d_p99 d_bad d_busy d_t < <(load "$up" "direct.$round")
    cpu_before="$(ticks "$proxy_pid") $(ticks "$gateway_pid") $(nginx_ticks)"
    read -r p_rps p_p50 p_p90 p_p99 p_bad p_busy p_t < <(load "$px" "pair.$round")
    cpu_after="$(ticks "$proxy_pid") $(ticks "$gateway_pid") $(nginx_ticks)"
    [ "$p_bad" = 0 ] || fail "errors under load through the pair (round $round, see $out/pair.$round.load)"
    # CPU per request through the pair, each process (µs), over the round's runs through it
    # (the requests as the proxy counted them).
    read -r pb gb nb <<<"$cpu_before"
    read -r pa ga na <<<"$cpu_after"
    read -r n0 _ <<<"$round_before"
    round_before=$(totals)
    read -r n1 _ <<<"$round_before"
    read -r c_px c_gw c_ng < <(awk -v p=$((pa - pb)) -v g=$((ga - gb)) -v n=$((na - nb)) -v hz="$(getconf CLK_TCK)" \
        -v r=$((n1 - n0)) 'BEGIN {f = r ? 1e6 / hz / r : 0; printf "%.1f %.1f %.1f\n", p * f, g * f, n * f}')
    direct+=("$d_rps") pair+=("$p_rps") per_px+=("$c_px") per_gw+=("$c_gw") per_ng+=("$c_ng")
    share=$(awk -v p="$p_rps" -v d="$d_rps" 'BEGIN {printf "%.0f", d ? 100 * p / d : 0}')
    rows+=("| $round | $d_rps (-t$d_t) | $d_p50 / $d_p99 | $d_busy | $p_rps (-t$p_t) | $p_p50 / $p_p99 | $p_busy | $share % | $c_px / $c_gw / $c_ng |")
    say "round $round: direct $d_rps req/s, through the pair $p_rps req/s ($share %)"
done
rss_after=$(rss "$proxy_pid")
# Link bytes, from one more run through the pair with one wrk thread: a feed of one head.
# (wrk's threads each send the same fields in their own order, so with two the link carries
# two heads and switches between two registers: a few bytes more a request.)
before=$round_before
load1 "$px" bytes 1 >/dev/null
after=$(totals)
read -r r0 a0 i0 o0 <<<"$before"
read -r r1 a1 i1 o1 <<<"$after"
per_req=$(awk -v o="$((o1 - o0))" -v n="$((r1 - r0))" 'BEGIN {printf "%.1f", n ? o / n : 0}')
per_ack=$(awk -v i="$((i1 - i0))" -v n="$((a1 - a0))" 'BEGIN {printf "%.1f", n ? i / n : 0}')
d_med=$(printf '%s\n' "${direct[@]}" | median)
p_med=$(printf '%s\n' "${pair[@]}" | median)
ratio=$(awk -v p="$p_med" -v d="$d_med" 'BEGIN {printf "%.0f", d ? 100 * p / d : 0}')
{
    echo "| round | wrk -> nginx, req/s | p50 / p99 | cores busy | wrk -> proxy -> gateway -> nginx, req/s | p50 / p99 | cores busy | share | CPU µs/request: proxy / gateway / nginx |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${rows[@]}"
    echo
    echo "medians: direct $d_med req/s, through the pair $p_med req/s: $ratio % of direct" \
        "(each path the best of wrk -t${threads//,/ and -t} in each round; -c$connections, ${seconds} s a run, $(nproc) CPUs)"
    echo "CPU per request through the pair (median): proxy $(printf '%s\n' "${per_px[@]}" | median) µs," \
        "gateway $(printf '%s\n' "${per_gw[@]}" | median) µs, nginx $(printf '%s\n' "${per_ng[@]}" | median) µs"
    echo "link bytes (one more run, wrk -t1): $per_req a request, $per_ack an acknowledgement (OPRA body 66 B);" \
        "proxy RSS ${rss_before} KiB before, ${rss_after} KiB after"
} | tee "$out/figures.md"
# A steady OPRA request costs 7 bytes and its body on the link, an acknowledgement 4 and its
# 3-byte body; the link's first messages, which carry the heads, add a little to the means.
awk -v r="$per_req" -v a="$per_ack" 'BEGIN {exit !(r <= 7 + 66 + 0.5 && a <= 4 + 3 + 0.5)}' ||
    fail "link bytes above the steady costs: $per_req a request, $per_ack an acknowledgement"

# --- 5. soak -----------------------------------------------------------------------------
# Is RSS (KiB) $2 flat against $1: at most 4 MiB or 10 % above it?
flat() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(b <= a + 4096 || b <= a * 1.1)}'; }
if [ "$soak" -gt 0 ] && command -v wrk >/dev/null; then
    say "soak: ${soak} s of rounds through the pair, nginx stopped in each, the gateway killed in every other"
    echo "round proxy_rss_kib gateway_rss_kib requests non2xx" >"$out/soak.txt"
    end=$((SECONDS + soak)) round=0 proxy_base= gateway_base=
    while [ "$SECONDS" -lt "$end" ] || [ "$round" -lt 2 ]; do
        round=$((round + 1))
        wrk -t1 -c"$connections" -d8s -s "$here/opra.lua" "http://127.0.0.1:$px/ack" >"$out/soak.$round.load" &
        wrk_pid=$!
        sleep 3
        stop "$nginx_pid"
        nginx_pid=
        sleep 1
        start_nginx
        restarted=
        if [ $((round % 2)) = 0 ]; then
            kill -9 "$gateway_pid" 2>/dev/null || true
            wait "$gateway_pid" 2>/dev/null || true
            start_gateway
            restarted=1
        fi
        wait "$wrk_pid" || fail "soak round $round: the load generator failed (see $out/soak.$round.load)"
        wait_for "http://127.0.0.1:$px/file.txt" 200 || fail "soak round $round: the pair did not recover"
        p=$(rss "$proxy_pid") g=$(rss "$gateway_pid")
        [ -n "$proxy_base" ] || proxy_base=$p
        if [ -n "$restarted" ] || [ -z "$gateway_base" ]; then
            gateway_base=$g
        else
            flat "$gateway_base" "$g" || fail "the gateway's memory grew: $gateway_base KiB -> $g KiB by round $round"
        fi
        echo "$round $p $g $(awk '/requests in/ {print $1}' "$out/soak.$round.load") \
$(awk '/Non-2xx/ {print $NF}' "$out/soak.$round.load")" >>"$out/soak.txt"
    done
    column -t "$out/soak.txt" >&2
    ! grep -il 'panicked' "$out"/*.log || fail "a process panicked (see the logs above)"
    flat "$proxy_base" "$p" || fail "the proxy's memory grew over the soak: $proxy_base KiB -> $p KiB"
    say "soak: $round rounds; proxy RSS $proxy_base -> $p KiB, the gateway's flat between its restarts: flat"
fi
say "all checks passed (figures in $out/figures.md)"

#!/usr/bin/env bash
# Records the loopback traffic of real HTTP clients against a real server into the small
# captures of samples/captures/, with their ground truth beside each:
#
#   recorded-lo.pcap           tcpdump on lo: Ethernet link type, microseconds
#   recorded-any-ns.pcap       tcpdump on "any": Linux cooked v2 (SLL2), nanoseconds
#   recorded-dumpcap.pcapng    dumpcap on lo: pcapng
#   NAME.flows/CLIENT_PORT-SERVER_PORT.http
#                              each flow's client-to-server bytes as tshark reassembles them
#                              (-z follow,tcp,raw), IPv6 colons as `_`
#
# The clients are curl (GETs on one kept-alive connection, a POST, a chunked upload, IPv6)
# and Python's http.client (several POSTs on one connection); the server is Python's
# http.server answering every request. Everything runs on 127.0.0.1 and [::1] only. The
# script installs what it needs from Debian's packages (tcpdump, tshark, curl, python3).
#
# Usage: scripts/record-captures.sh [OUT_DIR]      (default samples/captures)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-samples/captures}
mkdir -p "$out"

need=()
for tool in tcpdump tshark dumpcap curl python3; do
    command -v "$tool" > /dev/null || need+=("$tool")
done
if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq tcpdump tshark curl python3 > /dev/null
fi

work=$(mktemp -d)
cleanup() {
    kill $(jobs -p) 2> /dev/null || true
    wait 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port=18080
cat > "$work/server.py" << 'PY'
import http.server, socketserver, sys

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2) if size else None
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
        else:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = answer

    def log_message(self, *args):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

class Server6(Server):
    import socket
    address_family = socket.AF_INET6

port = int(sys.argv[1])
import threading
threading.Thread(target=Server(("127.0.0.1", port), Handler).serve_forever, daemon=True).start()
Server6(("::1", port), Handler).serve_forever()
PY
cat > "$work/client.py" << 'PY'
import http.client, sys
port = int(sys.argv[1])
conn = http.client.HTTPConnection("127.0.0.1", port)
for i in range(5):
    body = ("Q|%010d|MSFT|00169P|00090590|00090826|0048x7045|" % i).encode()
    conn.request("POST", "/receiver", body=body,
                 headers={"Content-Type": "application/x-opra-quote", "Accept-Encoding": "identity"})
    conn.getresponse().read()
conn.close()
PY

python3 "$work/server.py" "$port" &
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done

traffic() {
    curl -s -o /dev/null -o /dev/null -o /dev/null \
        "http://127.0.0.1:$port/" "http://127.0.0.1:$port/style.css" "http://127.0.0.1:$port/app.js"
    curl -s -o /dev/null -H "Content-Type: text/plain" --data-binary "hello world" "http://127.0.0.1:$port/someurl"
    printf 'part one\npart two\n' > "$work/upload.txt"
    curl -s -o /dev/null -H "Transfer-Encoding: chunked" -T "$work/upload.txt" "http://127.0.0.1:$port/upload/1"
    curl -s -o /dev/null -g "http://[::1]:$port/v6"
    python3 "$work/client.py" "$port"
}

# Waits until the capturing process has opened its interface, then makes traffic, then stops it.
record() {
    local log=$1
    shift
    "$@" 2> "$log" &
    local pid=$!
    for _ in $(seq 100); do
        grep -q -i "listening\|capturing" "$log" && break
        sleep 0.1
    done
    sleep 0.3
    traffic
    sleep 0.5
    kill -INT "$pid"
    wait "$pid" || true
}

filter="tcp port $port"
record "$work/lo.log" tcpdump -i lo -U -w "$out/recorded-lo.pcap" "$filter"
record "$work/any.log" tcpdump -i any --time-stamp-precision=nano -U -w "$out/recorded-any-ns.pcap" "$filter"
record "$work/ng.log" dumpcap -q -i lo -f "$filter" -w "$out/recorded-dumpcap.pcapng"

# The ground truth: tshark's reassembly of each flow's client side (Node 0 sent the SYN).
for capture in "$out"/recorded-*.pcap "$out"/recorded-*.pcapng; do
    flows="${capture%.*}.flows"
    rm -rf "$flows"
    mkdir -p "$flows"
    for id in $(tshark -r "$capture" -T fields -e tcp.stream 2> /dev/null | sort -nu); do
        tshark -r "$capture" -q -z "follow,tcp,raw,$id" 2> /dev/null | python3 -c '
import sys, binascii, re
lines = sys.stdin.read().splitlines()
nodes = [l.split(": ", 1)[1] for l in lines if l.startswith("Node ")]
client = "".join(l for l in lines if re.fullmatch(r"[0-9a-f]+", l))
def name(node):
    host, port = node.rsplit(":", 1)
    return (host.strip("[]") + "_" + port).replace(":", "_")
path = sys.argv[1] + "/" + name(nodes[0]) + "-" + name(nodes[1]) + ".http"
open(path, "wb").write(binascii.unhexlify(client))
' "$flows"
    done
    echo "$capture: $(stat -c %s "$capture") bytes, $(ls "$flows" | wc -l) flows"
done

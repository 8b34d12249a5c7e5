"""N clients, each on its own keep-alive connection, M requests each with a unique id that
nginx echoes: every response must reach its own client, in order, none lost or duplicated.

    python3 ids.py HOST PORT CLIENTS REQUESTS [PIPELINE]

Each client pipelines PIPELINE requests (default 10) at a time on a raw socket and reads the
answers back in order. Exit 0 and one summary line if all is well; 1 and the first fault
otherwise."""

import socket
import sys
import threading

host, port, clients, each = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
depth = int(sys.argv[5]) if len(sys.argv) > 5 else 10
faults = []
seen = [0] * clients


def read_response(f):
    status = f.readline()
    if not status:
        raise EOFError("connection closed")
    length = None
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = f.read(length or 0)
    return int(status.split()[1]), body


def client(c):
    try:
        s = socket.create_connection((host, port))
        f = s.makefile("rb")
        for start in range(0, each, depth):
            ids = range(start, min(start + depth, each))
            s.sendall(b"".join(b"GET /id/%d/%d HTTP/1.1\r\nHost: feed\r\n\r\n" % (c, n) for n in ids))
            for n in ids:
                status, body = read_response(f)
                want = b"/id/%d/%d\n" % (c, n)
                if status != 200 or body != want:
                    faults.append(f"client {c}: request {n} got {status} {body!r}, wanted {want!r}")
                    return
                seen[c] += 1
        s.close()
    except Exception as e:  # noqa: BLE001 - any fault is the test's finding
        faults.append(f"client {c}: {e}")


threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if faults:
    print(f"ids: {len(faults)} clients failed; first: {faults[0]}")
    sys.exit(1)
print(f"ids: {clients} clients x {each} requests: {sum(seen)} responses, each its own, in order")

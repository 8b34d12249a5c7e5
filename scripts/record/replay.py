#!/usr/bin/env python3
"""Replays an HTTP/1.1 request stream on one TCP connection and records the response stream.

    replay.py --port PORT [--host 127.0.0.1] [--pace SECONDS] [--log TSV] REQUESTS RESPONSES

REQUESTS is a plain HTTP/1.1 request stream (as in samples/*.http): the requests one after
the other, each with its body framed by Content-Length or chunked transfer coding. They are
sent one at a time, each as the exact bytes it has in REQUESTS; the next one goes out when
the response to the one before has ended. Every byte the server sends is written to
RESPONSES as it arrives, verbatim, so RESPONSES holds the server's side of the connection
byte for byte.

Where a response ends is read from the response itself: status line and header lines, then
no body (HEAD, 1xx, 204, 304), a chunked body (chunks, last chunk, trailer), Content-Length
bytes, or, with neither, everything up to the server's close. A 1xx interim response is
followed by the final one for the same request.

--pace SECONDS spreads the sends over SECONDS: request i (of n) goes out no earlier than
i * SECONDS / n after the first. --log writes one line per response: number, method,
target, status, framing, header bytes, body bytes. After the last response the connection
is watched for a moment; any further byte is recorded too and is an error. Standard
library only.
"""

import argparse
import socket
import sys
import time


class StreamError(Exception):
    pass


def split_requests(data):
    """The requests of a stream: (method, target, start, end) per request."""
    requests = []
    pos = 0
    while pos < len(data):
        head_end = data.find(b"\r\n\r\n", pos)
        if head_end < 0:
            raise StreamError(f"request at byte {pos}: header block does not end")
        lines = data[pos:head_end].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
            raise StreamError(f"request at byte {pos}: bad request line {lines[0]!r}")
        method, target = parts[0].decode("ascii"), parts[1].decode("latin-1")
        fields = header_fields(lines[1:])
        body = head_end + 4
        if is_chunked(fields):
            end = skip_chunked(data, body)
        elif "content-length" in fields:
            end = body + content_length(fields)
            if end > len(data):
                raise StreamError(f"request at byte {pos}: body cut short")
        else:
            end = body
        requests.append((method, target, pos, end))
        pos = end
    return requests


def header_fields(lines):
    """Header lines to {lower-case name: [values]}."""
    fields = {}
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep:
            raise StreamError(f"bad header line {line!r}")
        fields.setdefault(name.strip().lower().decode("latin-1"), []).append(
            value.strip().decode("latin-1"))
    return fields


def is_chunked(fields):
    codings = ",".join(fields.get("transfer-encoding", [])).split(",")
    return codings[-1].strip().lower() == "chunked"


def content_length(fields):
    values = {v.strip() for v in ",".join(fields["content-length"]).split(",")}
    value = values.pop() if len(values) == 1 else ""
    if not value.isdigit():
        raise StreamError(f"bad Content-Length {fields['content-length']}")
    return int(value)


def skip_chunked(data, pos):
    """The end of a chunked body that starts at pos in data."""
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            raise StreamError("chunked body: chunk size line does not end")
        size = int(data[pos:eol].split(b";")[0].strip(), 16)
        pos = eol + 2
        if size == 0:
            break
        if data[pos + size:pos + size + 2] != b"\r\n":
            raise StreamError("chunked body: chunk data not followed by CRLF")
        pos += size + 2
    while True:  # trailer section, up to its empty line
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            raise StreamError("chunked body: trailer does not end")
        line, pos = data[pos:eol], eol + 2
        if not line:
            return pos


class Connection:
    """The server's side of the connection: records every byte received, and parses."""

    def __init__(self, sock, out):
        self.sock = sock
        self.out = out
        self.buf = bytearray()
        self.pos = 0
        self.received = 0
        self.closed = False

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            raise EOFError
        self.out.write(data)
        self.received += len(data)
        self.buf += data

    def line(self):
        while True:
            eol = self.buf.find(b"\n", self.pos)
            if eol >= 0:
                line = bytes(self.buf[self.pos:eol + 1])
                self.pos = eol + 1
                return line
            self.fill()

    def skip(self, n):
        while len(self.buf) - self.pos < n:
            self.fill()
        self.pos += n

    def mark(self):
        """Forgets what has been parsed; returns how many bytes that was."""
        n = self.pos
        del self.buf[:self.pos]
        self.pos = 0
        return n

    def pending(self):
        return len(self.buf) - self.pos


def read_response(conn, method):
    """Reads one final response (and any 1xx before it).

    Returns (status, framing, header bytes, body bytes)."""
    head = 0
    while True:
        status_line = conn.line()
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise StreamError(f"bad status line {status_line!r}")
        status = int(parts[1])
        lines = []
        while True:
            line = conn.line()
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line.rstrip(b"\r\n"))
        fields = header_fields(lines)
        head += conn.mark()
        if 100 <= status < 200 and status != 101:
            continue
        break
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return status, "none", head, 0
    if is_chunked(fields):
        while True:
            size_line = conn.line()
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                break
            conn.skip(size)
            if conn.line() != b"\r\n":
                raise StreamError("chunk data not followed by CRLF")
        while conn.line() not in (b"\r\n", b"\n"):
            pass
        return status, "chunked", head, conn.mark()
    if "content-length" in fields:
        conn.skip(content_length(fields))
        return status, "length", head, conn.mark()
    try:  # delimited by the server's close
        while True:
            conn.fill()
    except EOFError:
        conn.pos = len(conn.buf)
    return status, "close", head, conn.mark()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pace", type=float, default=0.0, metavar="SECONDS",
                    help="spread the sends over this many seconds")
    ap.add_argument("--log", metavar="TSV", help="one line per response")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("requests")
    ap.add_argument("responses")
    args = ap.parse_args()

    with open(args.requests, "rb") as f:
        data = f.read()
    requests = split_requests(data)
    if not requests:
        sys.exit(f"replay: no requests in {args.requests}")
    log = []
    statuses = {}
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sent = 0
    with open(args.responses, "wb") as out:
        conn = Connection(sock, out)
        start = time.monotonic()
        for i, (method, target, begin, end) in enumerate(requests):
            due = start + i * args.pace / len(requests)
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            sock.sendall(data[begin:end])
            sent += end - begin
            try:
                status, framing, head, body = read_response(conn, method)
            except EOFError:
                sys.exit(f"replay: the server closed the connection during response {i + 1} "
                         f"({method} {target}); {conn.received} bytes recorded")
            statuses[status] = statuses.get(status, 0) + 1
            log.append((i + 1, method, target, status, framing, head, body))
            if framing == "close" and i + 1 < len(requests):
                sys.exit(f"replay: response {i + 1} ended with the connection, "
                         f"{len(requests) - i - 1} requests unanswered")
        # Nothing more may come: wait a moment for stray bytes.
        extra = conn.pending()
        if not conn.closed:
            sock.settimeout(0.5)
            try:
                while True:
                    conn.fill()
            except (EOFError, socket.timeout):
                pass
            extra = conn.pending()
        elapsed = time.monotonic() - start
    sock.close()
    if args.log:
        with open(args.log, "w") as f:
            f.write("n\tmethod\ttarget\tstatus\tframing\thead_bytes\tbody_bytes\n")
            for row in log:
                f.write("\t".join(map(str, row)) + "\n")
    counts = " ".join(f"{s}x{n}" for s, n in sorted(statuses.items()))
    print(f"replay: {len(requests)} requests ({sent} bytes) in {elapsed:.1f}s, "
          f"{len(log)} responses ({conn.received} bytes): {counts}", file=sys.stderr)
    if sent != len(data):
        sys.exit(f"replay: sent {sent} bytes of {len(data)}")
    if extra:
        sys.exit(f"replay: {extra} bytes came after the last response (recorded too)")


if __name__ == "__main__":
    try:
        main()
    except (StreamError, OSError) as e:
        sys.exit(f"replay: {e}")

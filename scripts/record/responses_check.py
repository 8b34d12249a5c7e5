#!/usr/bin/env python3
"""Checks a recorded response stream against the request stream it answers, and counts.

    responses_check.py [--require KIND=N ...] REQUESTS RESPONSES

Reads RESPONSES as a sequence of HTTP/1.1 responses with Python's own http.client (not
with replay.py's parser), each for the method of the request it answers (a HEAD's has no
body), and fails unless they cover the file exactly and there is one per request. Also
fails if a response's header block has a line end other than CRLF.

Prints one line of counts: responses, by status, HEAD responses, chunked ones, gzip-encoded
ones, ones with a Content-Length, and the distinct Date values with the number of times
Date changed from one response to the next. --require KIND=N fails unless the count KIND
(a status such as 304, or head, chunked, gzip, length, date-changes) is at least N.
Standard library only.
"""

import argparse
import http.client
import io
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay import split_requests  # noqa: E402  (the request side only)


class Stream(io.BytesIO):
    def close(self):  # http.client closes its file at the end of a body; keep our place
        pass


class Sock:
    def __init__(self, stream):
        self.stream = stream

    def makefile(self, *_args, **_kwargs):
        return self.stream


def responses(data, methods):
    stream = Stream(data)
    for n, method in enumerate(methods, 1):
        start = stream.tell()
        if start >= len(data):
            raise ValueError(f"the file ends after {n - 1} responses, {len(methods)} requests")
        r = http.client.HTTPResponse(Sock(stream), method=method)
        r.begin()
        head_end = stream.tell()
        body = r.read()
        head = data[start:head_end]
        if head.replace(b"\r\n", b"").find(b"\n") >= 0 or head.replace(b"\r\n", b"").find(b"\r") >= 0:
            raise ValueError(f"response {n}: a header line does not end in CRLF")
        if not head.startswith(b"HTTP/1.1 "):
            raise ValueError(f"response {n}: not an HTTP/1.1 status line: {head[:40]!r}")
        yield method, r, head, body, stream.tell() - start
    if stream.tell() != len(data):
        raise ValueError(f"{len(data) - stream.tell()} bytes after response {len(methods)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--require", action="append", default=[], metavar="KIND=N")
    ap.add_argument("requests")
    ap.add_argument("responses")
    args = ap.parse_args()
    with open(args.requests, "rb") as f:
        methods = [m for m, _, _, _ in split_requests(f.read())]
    with open(args.responses, "rb") as f:
        data = f.read()

    counts = {"responses": 0, "head": 0, "chunked": 0, "gzip": 0, "length": 0}
    statuses = {}
    dates = []
    try:
        for method, r, head, body, size in responses(data, methods):
            counts["responses"] += 1
            statuses[r.status] = statuses.get(r.status, 0) + 1
            counts["head"] += method == "HEAD"
            counts["chunked"] += (r.getheader("Transfer-Encoding") or "").lower() == "chunked"
            counts["gzip"] += (r.getheader("Content-Encoding") or "").lower() == "gzip"
            counts["length"] += r.getheader("Content-Length") is not None
            dates.append(r.getheader("Date"))
    except (ValueError, http.client.HTTPException) as e:
        sys.exit(f"responses_check: {args.responses}: {e}")
    counts["date-changes"] = sum(a != b for a, b in zip(dates, dates[1:]))
    counts.update({str(s): n for s, n in statuses.items()})

    by_status = " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
    print(f"{os.path.basename(args.responses)}: {counts['responses']} responses ({len(data)} bytes) for "
          f"{len(methods)} requests; status {by_status}; HEAD {counts['head']}, "
          f"chunked {counts['chunked']}, gzip {counts['gzip']}, "
          f"Content-Length {counts['length']}; {len(set(dates))} distinct Date values, "
          f"{counts['date-changes']} changes")
    failed = []
    if counts["responses"] != len(methods):
        failed.append(f"{counts['responses']} responses for {len(methods)} requests")
    for req in args.require:
        kind, _, n = req.partition("=")
        if counts.get(kind, 0) < int(n):
            failed.append(f"{kind} {counts.get(kind, 0)} < {n}")
    if failed:
        sys.exit(f"responses_check: {args.responses}: " + "; ".join(failed))


if __name__ == "__main__":
    main()

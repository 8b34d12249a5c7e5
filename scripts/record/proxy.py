#!/usr/bin/env python3
"""A recording TCP proxy: each client connection's client-to-server bytes, byte for byte.

    proxy.py --upstream 127.0.0.1:8080 --out DIR LABEL=PORT [LABEL=PORT ...]

Listens on 127.0.0.1:PORT for each LABEL and forwards every connection to the upstream.
What a client sends on its connection (the raw HTTP/1.1 request stream) is written to
DIR/LABEL-NNN.http as it arrives, NNN counting that label's connections from 001 in the
order their first bytes came; what the server sends back is passed through and not kept.
A connection that sends nothing (a browser's unused preconnect, a check that the port
listens) gets no file and no number. One line per recorded connection goes to
DIR/connections.tsv when it closes: label, number, accept and close times (seconds since
the epoch), bytes from the client, bytes from the server.

One listener per client kind keeps the kinds apart without looking into the bytes. The
proxy half-closes like the peers do: a client's end of input is passed on to the server
and the other way round, and a connection is done when both directions are. SIGTERM or
SIGINT closes the listeners and every open connection, so each file holds what was sent
until then.
"""

import argparse
import asyncio
import os
import signal
import sys
import time


class Recorder:
    def __init__(self, out, upstream):
        self.out = out
        self.upstream = upstream
        self.counts = {}
        self.open = set()
        self.index = open(os.path.join(out, "connections.tsv"), "a", buffering=1)

    def number(self, label):
        number = self.counts.get(label, 0) + 1
        self.counts[label] = number
        return number

    async def handle(self, label, client_reader, client_writer):
        accepted = time.time()
        task = asyncio.current_task()
        self.open.add(task)
        try:
            first = await client_reader.read(65536)
        except (ConnectionError, asyncio.CancelledError):
            first = b""
        if not first:
            client_writer.close()
            self.open.discard(task)
            return
        number = self.number(label)
        path = os.path.join(self.out, f"{label}-{number:03d}.http")
        sent = received = 0
        try:
            host, port = self.upstream
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError as err:
            print(f"proxy: {label}-{number:03d}: cannot reach the upstream: {err}", file=sys.stderr)
            client_writer.close()
            self.open.discard(task)
            return
        with open(path, "wb", buffering=0) as record:

            async def upstream():
                nonlocal sent
                data = first
                while data:
                    record.write(data)
                    sent += len(data)
                    server_writer.write(data)
                    await server_writer.drain()
                    data = await client_reader.read(65536)
                if server_writer.can_write_eof():
                    server_writer.write_eof()

            async def downstream():
                nonlocal received
                while data := await server_reader.read(65536):
                    received += len(data)
                    client_writer.write(data)
                    await client_writer.drain()
                if client_writer.can_write_eof():
                    client_writer.write_eof()

            try:
                await asyncio.gather(upstream(), downstream())
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                for writer in (client_writer, server_writer):
                    writer.close()
                closed = time.time()
                self.index.write(f"{label}\t{number}\t{accepted:.3f}\t{closed:.3f}\t{sent}\t{received}\n")
                self.open.discard(task)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT to forward to")
    parser.add_argument("--out", required=True, help="folder for the recorded streams")
    parser.add_argument("listeners", nargs="+", metavar="LABEL=PORT")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    os.makedirs(args.out, exist_ok=True)
    recorder = Recorder(args.out, (host, int(port)))
    servers = []
    for spec in args.listeners:
        label, _, port = spec.partition("=")

        def serve(reader, writer, label=label):
            return recorder.handle(label, reader, writer)

        servers.append(await asyncio.start_server(serve, "127.0.0.1", int(port), reuse_address=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("proxy: listening on " + ", ".join(args.listeners), file=sys.stderr, flush=True)
    await stop.wait()
    for server in servers:
        server.close()
    for task in list(recorder.open):
        task.cancel()
    await asyncio.gather(*recorder.open, return_exceptions=True)
    recorder.index.close()


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/env python3
"""ghostdrop Tor test: a tap between a client and Tor's SOCKS port. It passes every byte on
and logs the RFC 1929 username:password each connection offers, one line per connection, so
the test can check that every run of a client asks Tor for circuits of its own.
Usage: socks_tap.py TOR_SOCKS(HOST:PORT) PORT_FILE LOG_FILE"""
import asyncio
import os
import sys


def credentials(buf):
    """username:password from greeting + auth request, None if incomplete."""
    if len(buf) < 2:
        return None
    n = 2 + buf[1]
    if len(buf) < n + 2 or buf[n] != 1:
        return None
    ulen = buf[n + 1]
    if len(buf) < n + 2 + ulen + 1:
        return None
    user = buf[n + 2:n + 2 + ulen]
    plen = buf[n + 2 + ulen]
    if len(buf) < n + 3 + ulen + plen:
        return None
    pw = buf[n + 3 + ulen:n + 3 + ulen + plen]
    return user.decode("ascii", "replace") + ":" + pw.decode("ascii", "replace")


async def pipe(src, dst, sniff=None):
    seen = b""
    try:
        while True:
            data = await src.read(65536)
            if not data:
                break
            if sniff is not None and len(seen) < 1024:
                seen += data
                creds = credentials(seen)
                if creds is not None:
                    sniff(creds)
                    sniff = None
            dst.write(data)
            await dst.drain()
    except ConnectionError:
        pass
    finally:
        try:
            dst.close()
        except Exception:
            pass


async def main():
    host, port = sys.argv[1].rsplit(":", 1)
    port_file, log_file = sys.argv[2], sys.argv[3]

    def log(creds):
        with open(log_file, "a") as f:
            f.write(creds + "\n")

    async def handle(r, w):
        try:
            ur, uw = await asyncio.open_connection(host, int(port))
        except OSError:
            w.close()
            return
        await asyncio.gather(pipe(r, uw, log), pipe(ur, w))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.sockets[0].getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


asyncio.run(main())

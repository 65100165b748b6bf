#!/usr/bin/env python3
"""ghostdrop Tor test: what the onion service forwards to. Every request goes on to the drop,
except POST /sink, whose body is read and thrown away: the curl baseline upload goes there,
through the same onion and the same relay hop as ghostdrop's own upload.
Usage: front.py PORT_FILE DROP_PORT   (listens on 127.0.0.1, a free port written to PORT_FILE)"""
import asyncio
import sys

HEAD_MAX = 65536


async def pipe(src, dst):
    try:
        while True:
            data = await src.read(65536)
            if not data:
                break
            dst.write(data)
            await dst.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            dst.close()
        except Exception:
            pass


async def handle(reader, writer, drop_port):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    if head.startswith(b"POST /sink "):
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while length > 0:
            data = await reader.read(min(65536, length))
            if not data:
                break
            length -= len(data)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    up_r, up_w = await asyncio.open_connection("127.0.0.1", drop_port)
    up_w.write(head)
    await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))


async def main():
    port_file, drop_port = sys.argv[1], int(sys.argv[2])
    server = await asyncio.start_server(lambda r, w: handle(r, w, drop_port), "127.0.0.1", 0,
                                        limit=HEAD_MAX)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.sockets[0].getsockname()[1])
    import os
    os.rename(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


asyncio.run(main())

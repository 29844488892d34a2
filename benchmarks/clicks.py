"""A lean HTTP load generator for the click benchmarks: prepared requests, one event loop.

The clicks share the machine's cores with the server under test, so the client must cost
as little as possible: each request is built (and signed) before the clock starts, sent on
a new connection (as the platforms do), and its answer is read without a full HTTP parser.
A thread per click with urllib cost about 3.5 ms of CPU a click, as much as the server.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse

# (body, headers) of one POST
Prepared = tuple[bytes, dict[str, str]]


def burst(url: str, requests: list[Prepared]) -> list[tuple[float, int]]:
    return asyncio.run(_burst_async(url, requests))


async def _burst_async(url: str, requests: list[Prepared]) -> list[tuple[float, int]]:
    """All `requests` at once; (seconds, status) of each, timed from just before it connects
    to the end of its answer."""
    target = urllib.parse.urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    raw = [_http_request(target.path, f"{host}:{port}", *request) for request in requests]

    async def one(data: bytes) -> tuple[float, int]:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(data)
            head = await reader.readuntil(b"\r\n\r\n")
            length = _content_length(head)
            await (reader.readexactly(length) if length is not None else reader.read())
            elapsed = time.perf_counter() - started
        finally:
            writer.close()
        return elapsed, int(head.split(b" ", 2)[1])

    return list(await asyncio.gather(*(one(data) for data in raw)))


def _http_request(path: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode() + body


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None

"""One asyncio event loop in a daemon thread, for calling async-only SDKs from sync code.

The Teams SDK (and its httpx client) is async-only, while the sender's workers are threads.
`asyncio.run` per call would make a new loop each time, and the SDK's HTTP client, bound to
the first loop, breaks on the second call. So a process keeps one loop running in one
thread, and sync code hands it coroutines:

    loop = EventLoopThread()
    sent = loop.run(app.send(conversation_id, card), timeout=30)
    loop.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class EventLoopThread:
    """An event loop running forever in its own daemon thread until `close()`."""

    def __init__(self, name: str = "arkbot-asyncio") -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def closed(self) -> bool:
        return self._closed

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for its result (or its exception) from sync code.

        On timeout the coroutine is cancelled and `TimeoutError` is raised. Must not be
        called from the loop's own thread (it would wait for itself).
        """
        if self._closed:
            coro.close()
            raise RuntimeError("the event-loop thread is closed")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("EventLoopThread.run called from its own loop; await instead")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self, timeout: float = 5.0) -> None:
        """Cancel what is still running, stop the loop and join its thread (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._loop.is_running():

            async def _cancel_all() -> None:
                current = asyncio.current_task()
                tasks = [task for task in asyncio.all_tasks() if task is not current]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await self._loop.shutdown_asyncgens()

            with contextlib.suppress(TimeoutError, RuntimeError):
                asyncio.run_coroutine_threadsafe(_cancel_all(), self._loop).result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> EventLoopThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

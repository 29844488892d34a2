"""Several web processes answering on one port.

A click is a few milliseconds of Python, and one process runs Python on one core at a time
(the GIL): fifty people clicking at once wait for each other. So `arkbot serve` binds the
port once and hands the listening socket to `count` web processes; the kernel gives each
new connection to whichever of them accepts it first. The scheduler (planner, sender)
stays in the parent, once.

Workers are started with the `spawn` method: a fresh interpreter builds its own database
pool, Bolt app, Teams app and event loop, so nothing (connections, locks, threads) is
inherited half-alive from the parent. A worker that dies is started again after a pause;
`stop()` asks every worker to finish what it is answering (SIGTERM) and kills what is left.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy.engine import make_url

from storage.db import normalise_url

log = logging.getLogger("arkbot.workers")

MAX_AUTO_PROCESSES = 4
RESTART_PAUSE_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 10.0

Target = Callable[..., None]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def process_count(configured: int, database_url: str) -> int:
    """How many web processes to run: `configured` if > 0, else one per usable CPU (at most 4).

    An in-memory SQLite database lives in one process, so it always gets one.
    """
    parsed = make_url(normalise_url(database_url))
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return 1
    if configured > 0:
        return configured
    return max(1, min(MAX_AUTO_PROCESSES, usable_cpus()))


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """Platforms (and `WebWorkers.stop`) stop a process with SIGTERM: make it end as cleanly
    as on Ctrl-C, through the same `KeyboardInterrupt`."""
    signal.signal(signal.SIGTERM, _interrupt)


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """The listening socket every worker accepts on (port 0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _run(target: Target, sock: socket.socket, args: tuple[Any, ...]) -> None:
    target(sock, *args)


class WebWorkers:
    """`count` processes running `target(sock, *args)`; restarted when one dies."""

    def __init__(
        self, count: int, target: Target, sock: socket.socket, args: tuple[Any, ...] = ()
    ) -> None:
        self._count, self._target, self._sock, self._args = count, target, sock, args
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = []
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def start(self) -> None:
        self._processes = [self._spawn(n) for n in range(self._count)]
        self._watcher = threading.Thread(target=self._watch, name="arkbot-workers", daemon=True)
        self._watcher.start()

    def _spawn(self, number: int) -> BaseProcess:
        process = self._context.Process(
            target=_run,
            args=(self._target, self._sock, self._args),
            name=f"arkbot-web-{number}",
            daemon=True,
        )
        process.start()
        return process

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_PAUSE_SECONDS):
            for number, process in enumerate(self._processes):
                if process.is_alive() or self._stopping.is_set():
                    continue
                log.warning(
                    "web process %s (pid %s) ended with %s; starting it again",
                    number,
                    process.pid,
                    process.exitcode,
                )
                self._processes[number] = self._spawn(number)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=RESTART_PAUSE_SECONDS * 2)
        for process in self._processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker finishes its requests and exits
        deadline = time.monotonic() + timeout
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)
        self._sock.close()

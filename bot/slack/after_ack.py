"""The work a click does after Slack has its ack, on a few threads of its own.

Slack waits for the ack (at most 3 s) and for nothing else. Bolt runs a listener on its
pool and answers HTTP once the listener has called `ack()`; when the same thread then goes
on to the click's work, fifty clicks at once share the CPU between fifty acks and fifty
pieces of work, and the last ack waits for almost all of it. Handing the work to a small
pool of its own keeps most runnable threads on acks, so acks come first and the work
follows right after the burst. A failure is logged as Bolt would have logged it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from bot.slack.context import Work

log = logging.getLogger("arkbot.slack")
AFTER_ACK_THREADS = 2


class AfterAck:
    def __init__(self, threads: int = AFTER_ACK_THREADS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="after-ack")

    def __call__(self, work: Work) -> None:
        self._pool.submit(self._run, work)

    @staticmethod
    def _run(work: Work) -> None:
        try:
            work()
        except Exception:
            log.exception("a click's work failed after its ack")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

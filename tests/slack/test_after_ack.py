"""Work handed to `AfterAck` runs after the listener returned, and a failure in it is logged
(as Bolt logs a listener's) instead of vanishing in the pool."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.slack.after_ack import AfterAck


def test_work_runs_on_the_pool_and_failures_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    after = AfterAck(threads=1)
    done = threading.Event()
    ran_on: list[str] = []

    def fails() -> None:
        raise RuntimeError("boom")

    def works() -> None:
        ran_on.append(threading.current_thread().name)
        done.set()

    with caplog.at_level(logging.ERROR, logger="arkbot.slack"):
        after(fails)
        after(works)
        assert done.wait(10)
        after.close()
    assert ran_on[0].startswith("after-ack")
    assert "a click's work failed after its ack" in caplog.text
    assert "boom" in caplog.text

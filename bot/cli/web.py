"""One web process of `arkbot serve` (see `bot.workers`): the chat apps, served on the
listening socket the parent bound; the parent runs the scheduler."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

from bot.chat_apps import build_chat_apps
from bot.cli.plan import load_or_exit
from bot.config import get_settings
from bot.runtime import calendar_from
from bot.warm_up import ready_to_serve
from bot.workers import stop_on_sigterm
from schedules.clock import SystemClock
from storage.db import make_engine

log = logging.getLogger("arkbot")
PARENT_CHECK_SECONDS = 1.0


def _orphaned(parent: int) -> None:
    """A worker whose parent is gone (even by kill -9) stops: nobody runs the scheduler."""
    while os.getppid() == parent:
        threading.Event().wait(PARENT_CHECK_SECONDS)
    log.warning("the arkbot serve process %d is gone; this web process stops", parent)
    os.kill(os.getpid(), signal.SIGTERM)


def web_worker(sock: socket.socket, parent: int) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop_on_sigterm()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    settings = get_settings()
    plan = load_or_exit(settings.plan)
    engine = make_engine(settings.database_url)  # the parent has upgraded the schema
    clock = SystemClock()
    try:
        calendar = calendar_from(settings)
        apps = build_chat_apps(settings, engine, plan, clock, calendar)
        from bot.slack.server import serve_http

        ready_to_serve(calendar, clock.now())
        over_http = apps.slack if settings.slack_app_token is None else None
        serve_http(
            over_http,
            settings.port,
            health=lambda: os.getppid() == parent,
            routes=apps.routes(),
            sock=sock,
        )
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()

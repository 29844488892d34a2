"""The Teams messaging endpoint inside arkbot's own WSGI server (beside Slack's).

`WsgiAdapter` is the SDK's `HttpServerAdapter` seam: the SDK registers its route
(`/api/messages`) here, and each request is handed to it on the one event-loop thread. The
SDK validates the Bot Framework token (signature, issuer, audience, expiry, serviceUrl)
before any handler runs; an unreadable body is answered 400 here without reaching it.
"""

from __future__ import annotations

import json
import logging

from microsoft_teams.apps.http.adapter import (
    HttpMethod,
    HttpRequest,
    HttpResponse,
    HttpRouteHandler,
)

from bot.teams.loop import EventLoopThread

log = logging.getLogger("arkbot.teams")
MESSAGES_PATH = "/api/messages"
MAX_BODY = 256 * 1024  # Teams activities are small; anything this large is not one
HANDLER_TIMEOUT = 15.0


class WsgiAdapter:
    """Records the SDK's routes; `handle()` serves one request from a WSGI thread."""

    def __init__(self, loop: EventLoopThread) -> None:
        self._loop = loop
        self._routes: dict[str, HttpRouteHandler] = {}

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        self._routes[path] = handler

    def serve_static(self, path: str, directory: str) -> None:
        """arkbot serves no static files."""

    async def start(self, port: int) -> None:
        raise NotImplementedError("arkbot serves Teams from its own WSGI server")

    async def stop(self) -> None:
        """The WSGI server stops on its own."""

    @property
    def paths(self) -> set[str]:
        return set(self._routes)

    def handle(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        handler = self._routes.get(path)
        if handler is None:
            return 404, b'{"error": "not_found"}'
        if len(body) > MAX_BODY:
            return 413, b'{"error": "too_large"}'
        try:
            parsed = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            parsed = None
        if not isinstance(parsed, dict):
            log.warning("refused a Teams request with an unreadable body")
            return 400, b'{"error": "invalid_body"}'
        request = HttpRequest(body=parsed, headers=headers)
        answer: HttpResponse = self._loop.run(_call(handler, request), HANDLER_TIMEOUT)
        status = int(answer.get("status") or 200)
        content = answer.get("body")
        return status, (b"" if content is None else json.dumps(content, default=str).encode())


async def _call(handler: HttpRouteHandler, request: HttpRequest) -> HttpResponse:
    return await handler(request)

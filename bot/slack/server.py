"""Serving the Bolt app: HTTP through waitress (WSGI), or Socket Mode.

Thin on purpose: Bolt verifies every request (signature with SLACK_SIGNING_SECRET, timestamps
older than five minutes refused) and dispatches it; this module routes three paths, answers
400 to a body Bolt cannot parse (Bolt parses before it verifies, and would raise), and runs a
server. A request without a valid signature is refused here already, before Bolt, with one
rate-limited log line naming the reason and nothing the caller sent (Bolt would log its
body); Bolt's own log lines lose request bodies (`bot.slack.request_log`). The translation
is the one in slack_bolt.adapter.wsgi.SlackRequestHandler.

    POST /slack/events   events, interactivity and slash commands, all to Bolt
    GET  /healthz        200 {"ok": true}; 503 {"ok": false} when the health check says no
    anything else        404 (405 for another method on /slack/events)
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from bot.slack.request_log import RefusalLog, guard_bolt_logs, refusal_reason

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HealthCheck = Callable[[], bool]
MAX_OTHER_BODY = 1024 * 1024

log = logging.getLogger("arkbot.slack")


# Another platform's endpoint on the same server: (body, headers) -> (status, JSON body).
Route = Callable[[bytes, dict[str, str]], tuple[int, bytes]]


class SlackWSGIApp:
    """The WSGI application: Bolt at /slack/events, a liveness probe at /healthz, and any
    other platform's endpoint (Teams at /api/messages) from `routes`."""

    def __init__(
        self,
        app: App | None,
        health: HealthCheck | None = None,
        routes: dict[str, Route] | None = None,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._health = health
        self._routes = routes or {}
        self._wall_clock = wall_clock  # Slack's request timestamps are Unix seconds
        # Requests without a valid signature are refused here, before Bolt (which would log
        # their body); see bot.slack.request_log. Bolt keeps the secret it was built with.
        self._secret: str = getattr(app, "_signing_secret", "") or ""
        self._refusals = RefusalLog()
        if app is not None:
            guard_bolt_logs(app.logger)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method == "GET":
            ok = self._healthy()
            return _json(start_response, 200 if ok else 503, {"ok": ok})
        route = self._routes.get(path)
        if route is not None:
            return self._other(route, environ, start_response)
        if path != EVENTS_PATH or self._app is None:
            return _json(start_response, 404, {"ok": False, "error": "not_found"})
        if method != "POST":
            error = {"ok": False, "error": "method_not_allowed"}
            return _json(start_response, 405, error, [("Allow", "POST")])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        if self._secret:
            reason = refusal_reason(
                self._secret,
                body,
                environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                environ.get("HTTP_X_SLACK_SIGNATURE"),
                self._wall_clock(),
            )
            if reason is not None:
                self._refusals.refused(reason, 401)
                return _json(start_response, 401, {"error": "invalid request"})
        try:  # Bolt parses the body before it verifies the signature; unreadable bodies stop here
            request = BoltRequest(
                body=body.decode("utf-8"),
                query=environ.get("QUERY_STRING", ""),
                headers=WsgiHttpRequest(environ).get_headers(),
            )
        except Exception:
            self._refusals.refused("unreadable_body", 400)
            return _json(start_response, 400, {"ok": False, "error": "invalid_body"})
        problem = _shape_problem(request.body)
        if problem is not None:  # Bolt's own matchers would raise on it (HTTP 500)
            self._refusals.refused(problem, 200)
            return _json(start_response, 200, {})
        answer = self._app.dispatch(request)  # verifies, then acknowledges or refuses
        response = WsgiHttpResponse(answer.status, answer.headers, answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _other(
        self, route: Route, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            error = {"ok": False, "error": "method_not_allowed"}
            return _json(start_response, 405, error, [("Allow", "POST")])
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_OTHER_BODY)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        try:
            status, payload = route(body, headers)
        except Exception:
            log.exception("the endpoint %s failed", environ.get("PATH_INFO"))
            status, payload = 500, b'{"error": "internal"}'
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _healthy(self) -> bool:
        if self._health is None:
            return True
        try:
            return bool(self._health())
        except Exception:
            log.exception("the health check failed")
            return False


def _shape_problem(body: Any) -> str | None:
    """Why a signed payload cannot be one Slack sends (None if it can). Bolt reads `actions`
    and `event` before any listener runs and fails on other shapes."""
    if not isinstance(body, dict):
        return None
    if "actions" in body:
        actions = body["actions"]
        if not isinstance(actions, list) or not actions:
            return "malformed_actions"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id", ""), str):
                return "malformed_actions"
    if "event" in body and not (
        isinstance(body["event"], dict) and isinstance(body["event"].get("type", ""), str)
    ):
        return "malformed_event"
    return None


def _json(
    start_response: StartResponse,
    status: int,
    body: dict[str, Any],
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    payload = json.dumps(body).encode("utf-8")
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            *(headers or []),
        ],
    )
    return [payload]


class HttpServer:
    """A bound waitress server: `run()` serves until `close()` (from any thread)."""

    def __init__(self, server: BaseWSGIServer, socket_map: dict[int, Any]) -> None:
        self._server, self._map = server, socket_map
        host, port = server.getsockname()  # numeric, after binding (port 0 → the chosen one)
        self.host, self.port = host, int(port)
        self._lock = threading.Lock()
        self._stopping, self._stopped = threading.Event(), threading.Event()
        self._running = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def run(self) -> None:
        with self._lock:
            self._running = not self._stopping.is_set()
        try:
            while self._running and not self._stopping.is_set() and self._map:
                wasyncore.loop(timeout=1.0, map=self._map, use_poll=True, count=1)
        finally:
            self._shutdown()

    def start(self) -> threading.Thread:
        """`run()` in a daemon thread (tests, benchmarks)."""
        thread = threading.Thread(target=self.run, name=f"arkbot-http-{self.port}", daemon=True)
        thread.start()
        return thread

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopping.set()
            running = self._running
        if not running:
            self._shutdown()
        elif not self._stopped.is_set():
            with contextlib.suppress(OSError):  # the loop may have closed the trigger already
                self._server.pull_trigger()  # wakes the loop, which shuts down in its own thread
            self._stopped.wait(timeout)

    def _shutdown(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            self._server.task_dispatcher.shutdown(timeout=5)  # lets requests in flight finish
            wasyncore.close_all(self._map, ignore_all=True)
            self._stopped.set()


def make_server(
    app: App | None,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = 16,
    *,
    health: HealthCheck | None = None,
    routes: dict[str, Route] | None = None,
    sock: socket.socket | None = None,
) -> HttpServer:
    """Bind (synchronously) a threaded waitress server for `app`; port 0 picks a free port.

    With `sock` (a listening socket shared by several processes, `bot.workers`) the server
    accepts on it instead of binding `host` and `port`.
    """
    # Slack waits at most 3 s for an ack: under a burst, short requests should not wait
    # behind a thread that holds the GIL for Python's default 5 ms slice.
    sys.setswitchinterval(0.001)
    socket_map: dict[int, Any] = {}
    where: dict[str, Any] = (
        {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
    )
    server = create_server(
        SlackWSGIApp(app, health, routes), map=socket_map, threads=threads, **where
    )
    if not isinstance(server, BaseWSGIServer):  # several addresses (e.g. "localhost")
        server.close()
        raise ValueError(f"{host!r} resolves to several addresses; give one, e.g. 0.0.0.0")
    return HttpServer(server, socket_map)


def serve_http(
    app: App | None,
    port: int,
    host: str = "0.0.0.0",  # noqa: S104 (the platform routes to the container)
    threads: int = 16,
    *,
    health: HealthCheck | None = None,
    routes: dict[str, Route] | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve `app` (and the other `routes`) over HTTP until interrupted."""
    server = make_server(
        app, host=host, port=port, threads=threads, health=health, routes=routes, sock=sock
    )
    paths = ([EVENTS_PATH] if app is not None else []) + sorted(routes or {})
    log.info("serving %s on %s (%d threads)", ", ".join(paths), server.url, threads)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopping the HTTP server")
    finally:
        server.close()


def serve_socket_mode(app: App, app_token: str) -> None:
    """Connect to Slack over Socket Mode (an `xapp-` token) and serve until interrupted."""
    guard_bolt_logs(app.logger)  # no request bodies in Bolt's log lines here either
    handler = SocketModeHandler(app, app_token)
    try:
        handler.start()  # connects, then blocks
    except KeyboardInterrupt:
        log.info("stopping Socket Mode")
    finally:
        handler.close()

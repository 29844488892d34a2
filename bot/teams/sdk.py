"""The Teams SDK's `App`, configured from `Settings` — the one place it is constructed.

- Outbound calls authenticate with the app registration (`CLIENT_ID` + `CLIENT_SECRET`,
  through MSAL, which caches its tokens) or, in tests and special deployments, with an
  injected `token` callable. The SDK calls that callable on **every** request, so it is
  wrapped in `CachedToken`: one call per scope and tenant until the token is about to expire.
- The default HTTP client has no timeout; this one has 10 seconds.
- `dangerously_allow_unauthenticated_requests=False` is passed explicitly, so the SDK's
  environment variable of the same name can never switch inbound token checking off.
- `openid_metadata_url` points inbound key fetching at another server (tests: the fake
  connector's `/openidconfiguration`; the SDK swaps the path for `/keys`).
- httpx's line per request is kept out of the log (`bot.teams.http_logs`).
- Without an `http_server_adapter` the app gets `NoServerAdapter`: routes are recorded and
  nothing listens, which is what an outbound-only process (the sender) needs. The inbound
  endpoint passes its own adapter.

Call `await app.initialize()` (the transport does it on its event-loop thread) before
`app.send(...)`.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from microsoft_teams.api import TokenProtocol
    from microsoft_teams.apps import App
    from microsoft_teams.apps.http.adapter import HttpServerAdapter

HTTP_TIMEOUT_SECONDS = 10.0
# Tokens are renewed this long before they expire; without an `exp`, kept this long.
TOKEN_RENEW_BEFORE_SECONDS = 300.0
TOKEN_DEFAULT_LIFETIME_SECONDS = 600.0

TokenCallable = Callable[[Any, str | None], Any]


class CachedToken:
    """A token callable for the SDK that asks the wrapped one once per (scope, tenant).

    The wrapped callable may return a JWT string, a `TokenProtocol` or an awaitable of
    either (the SDK's `BasicTokenProvider` contract). The cached value is the SDK's token
    object, so the JWT is not decoded again on every request either.
    """

    def __init__(self, provider: TokenCallable, time_fn: Callable[[], float] = time.time) -> None:
        self._provider = provider
        self._time = time_fn
        self._cache: dict[tuple[str, str | None], tuple[float, TokenProtocol]] = {}
        self._lock: asyncio.Lock | None = None
        self.calls = 0  # how often the wrapped provider was asked (tests, diagnostics)

    async def __call__(self, scope: Any, tenant_id: str | None = None) -> TokenProtocol | None:
        key = (scope if isinstance(scope, str) else " ".join(scope), tenant_id)
        hit = self._fresh(key)
        if hit is not None:
            return hit
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            hit = self._fresh(key)
            if hit is not None:
                return hit
            from microsoft_teams.api import JsonWebToken, TokenProtocol

            self.calls += 1
            value = self._provider(scope, tenant_id)
            if inspect.isawaitable(value):
                value = await value
            if value is None:
                return None
            token: TokenProtocol = (
                value if isinstance(value, TokenProtocol) else JsonWebToken(str(value))
            )
            expiration_ms = token.expiration
            now = self._time()
            if expiration_ms:
                renew_at = expiration_ms / 1000.0 - TOKEN_RENEW_BEFORE_SECONDS
                renew_at = max(renew_at, now + 1.0)
            else:
                renew_at = now + TOKEN_DEFAULT_LIFETIME_SECONDS
            self._cache[key] = (renew_at, token)
            return token

    def _fresh(self, key: tuple[str, str | None]) -> TokenProtocol | None:
        cached = self._cache.get(key)
        if cached is not None and cached[0] > self._time():
            return cached[1]
        return None


class NoServerAdapter:
    """An `HttpServerAdapter` that records the SDK's routes and serves nothing."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Any] = {}

    def register_route(self, method: Any, path: str, handler: Any) -> None:
        self.routes[(str(method), path)] = handler

    def serve_static(self, path: str, directory: str) -> None:
        """Nothing is served."""

    async def start(self, port: int) -> None:
        raise NotImplementedError("NoServerAdapter serves nothing; pass a real adapter")

    async def stop(self) -> None:
        """Nothing to stop."""


def make_teams_app(
    settings: Settings,
    *,
    token: TokenCallable | None = None,
    openid_metadata_url: str | None = None,
    http_server_adapter: HttpServerAdapter | None = None,
    service_url: str | None = None,
) -> App:
    """The SDK's `App` for this deployment; see the module docstring.

    Raises ValueError when `CLIENT_ID` is missing, or when neither `CLIENT_SECRET` nor a
    `token` callable is there to authenticate outbound calls.
    """
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.apps import App
    from microsoft_teams.common import ClientOptions

    from bot.teams.http_logs import quiet_http_requests

    quiet_http_requests()
    client_id = (settings.teams_app_id or "").strip()
    if not client_id:
        raise ValueError("CLIENT_ID is not set: the Teams app needs its app registration's id")
    secret = (
        settings.teams_app_password.get_secret_value().strip()
        if settings.teams_app_password is not None
        else ""
    )
    if token is None and not secret:
        raise ValueError(
            "CLIENT_SECRET is not set: the Teams app needs its client secret "
            "(or a token callable) to send messages"
        )
    if token is not None and os.environ.get("CLIENT_SECRET", "").strip():
        # The SDK prefers CLIENT_SECRET from the environment over an injected token callable.
        raise ValueError(
            "a token callable was given but CLIENT_SECRET is set in the environment, "
            "which the Teams SDK would use instead; unset one of them"
        )
    metadata_url = openid_metadata_url or settings.teams_openid_metadata_url
    cloud = with_overrides(PUBLIC, openid_metadata_url=metadata_url) if metadata_url else PUBLIC
    options: dict[str, Any] = {
        "client_id": client_id,
        "tenant_id": settings.teams_tenant_id or None,
        "service_url": (service_url or settings.teams_service_url).rstrip("/"),
        "cloud": cloud,
        "client": ClientOptions(timeout=HTTP_TIMEOUT_SECONDS),
        "dangerously_allow_unauthenticated_requests": False,
        "http_server_adapter": http_server_adapter or NoServerAdapter(),
    }
    if token is not None:
        options["token"] = token if isinstance(token, CachedToken) else CachedToken(token)
    else:
        options["client_secret"] = secret
    return App(**options)

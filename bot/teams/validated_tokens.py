"""Bot Framework tokens the SDK has validated, remembered until they expire.

The connector signs one token and sends it with every activity for up to an hour, and the
SDK checks it afresh each time (four JWT decodes, a signature check, the claims). This sits
in front of the SDK's own validator: a token is only remembered after that validator
accepted it, for the same service URL, and only until its `exp`; anything else — a new
token, another service URL, a forged one — goes through the full check, and refusals are
never remembered.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

MAX_TOKENS = 256


class TokenValidator(Protocol):
    async def validate_token(
        self, raw_token: str, service_url: str | None = None
    ) -> dict[str, Any]: ...


class ValidatedTokens:
    def __init__(
        self,
        validator: TokenValidator,
        time_fn: Callable[[], float] = time.time,
        size: int = MAX_TOKENS,
    ) -> None:
        self._validator, self._time, self._size = validator, time_fn, size
        self._accepted: OrderedDict[tuple[str, str | None], tuple[float, dict[str, Any]]] = (
            OrderedDict()
        )
        self.full_checks = 0  # how often the SDK's validator ran (tests, diagnostics)

    async def validate_token(
        self, raw_token: str, service_url: str | None = None
    ) -> dict[str, Any]:
        key = (raw_token, service_url)
        now = self._time()
        hit = self._accepted.get(key)
        if hit is not None:
            if hit[0] > now:
                self._accepted.move_to_end(key)
                return hit[1]
            del self._accepted[key]
        self.full_checks += 1
        payload = await self._validator.validate_token(raw_token, service_url)
        expires = payload.get("exp")
        if isinstance(expires, int | float) and expires > now:
            self._accepted[key] = (float(expires), payload)
            while len(self._accepted) > self._size:
                self._accepted.popitem(last=False)
        return payload


def remember_validated_tokens(app: Any) -> ValidatedTokens | None:
    """Put the cache in front of the validator of an initialised SDK `App`.

    The SDK keeps its validator in `app.server._token_validator` (2.1); when it is not there
    (no credentials, or another SDK version) nothing changes and every request is checked
    in full as before.
    """
    server: Any = getattr(app, "server", None)
    validator = getattr(server, "_token_validator", None)
    if validator is None or isinstance(validator, ValidatedTokens):
        return validator
    cache = ValidatedTokens(validator)
    server._token_validator = cache  # the SDK has no public seam for this
    return cache

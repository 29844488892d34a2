"""`ValidatedTokens` remembers what the SDK's validator accepted, for that token and service
URL, until the token's `exp`; refusals are never remembered."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.teams.validated_tokens import ValidatedTokens


class Validator:
    def __init__(self, expires: float = 1_000.0) -> None:
        self.expires = expires
        self.calls: list[tuple[str, str | None]] = []
        self.refuse: set[str] = set()

    async def validate_token(
        self, raw_token: str, service_url: str | None = None
    ) -> dict[str, Any]:
        self.calls.append((raw_token, service_url))
        if raw_token in self.refuse:
            raise ValueError("refused")
        return {"exp": self.expires, "serviceurl": service_url}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _check(cache: ValidatedTokens, token: str, url: str | None = "https://smba/") -> Any:
    return asyncio.run(cache.validate_token(token, url))


def test_the_same_token_and_url_are_checked_once_until_exp() -> None:
    validator, clock = Validator(expires=500.0), Clock()
    cache = ValidatedTokens(validator, time_fn=clock)
    assert _check(cache, "a") == _check(cache, "a")
    assert len(validator.calls) == 1
    _check(cache, "a", "https://elsewhere/")
    assert len(validator.calls) == 2  # another service URL: checked in full
    clock.now = 500.0  # expired
    _check(cache, "a")
    assert len(validator.calls) == 3


def test_refusals_are_not_remembered() -> None:
    validator = Validator()
    validator.refuse.add("bad")
    cache = ValidatedTokens(validator, time_fn=Clock())
    for _ in range(2):
        with pytest.raises(ValueError, match="refused"):
            _check(cache, "bad")
    assert len(validator.calls) == 2


def test_a_token_without_a_future_exp_is_not_remembered() -> None:
    validator = Validator(expires=50.0)  # already past at 100
    cache = ValidatedTokens(validator, time_fn=Clock())
    _check(cache, "a")
    _check(cache, "a")
    assert len(validator.calls) == 2


def test_the_oldest_tokens_make_room() -> None:
    validator = Validator()
    cache = ValidatedTokens(validator, time_fn=Clock(), size=2)
    for token in ("a", "b", "c", "c", "b"):
        _check(cache, token)
    assert [token for token, _ in validator.calls] == ["a", "b", "c"]
    _check(cache, "a")  # pushed out by c
    assert [token for token, _ in validator.calls] == ["a", "b", "c", "a"]

"""Bot Framework-style JWTs signed with a locally generated RSA key, for inbound Teams tests.

The fake connector (`tests.fakes.teams_connector`) serves this key's public half at
``/keys`` (and an OpenID document at ``/openidconfiguration``); point the SDK there with
``make_teams_app(settings, openid_metadata_url=fake.openid_metadata_url)`` and sign each
request's ``Authorization: Bearer …`` with `sign_activity_token`:

    token = sign_activity_token(app_id="00000000-…", service_url=fake.url)
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_AUDIENCE = "https://api.botframework.com"  # of the tokens the bot sends out


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """An RSA key pair with a key id, as a JWKS publishes it."""

    private_key: RSAPrivateKey
    kid: str = field(default_factory=lambda: f"arkbot-test-{uuid.uuid4().hex[:8]}")

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(key, kid) if kid else cls(key)

    def jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
            "endorsements": ["msteams"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk()]}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm="RS256", headers={"kid": kid or self.kid}
        )


@lru_cache(maxsize=1)
def default_key() -> SigningKey:
    """The key shared by the fake connector and `sign_activity_token` in one test session."""
    return SigningKey.generate("arkbot-test-key")


def sign_activity_token(
    *,
    app_id: str,
    service_url: str,
    key: SigningKey | None = None,
    issuer: str = BOT_FRAMEWORK_ISSUER,
    audience: str | None = None,
    expires_in: float = 3600,
    now: float | None = None,
    kid: str | None = None,
    **claims: Any,
) -> str:
    """A token like the one the Bot Framework puts on each request it sends to the bot.

    ``aud`` is the app id (unless `audience` is given), ``iss`` the Bot Framework,
    ``serviceurl`` the connector the activity came from. Extra `claims` are added (or
    override); `expires_in` may be negative for an expired token; `kid` may name a key the
    JWKS does not have.
    """
    issued = time.time() if now is None else now
    payload: dict[str, Any] = {
        "iss": issuer,
        "aud": audience or app_id,
        "serviceurl": service_url,
        "iat": int(issued),
        "nbf": int(issued) - 5,
        "exp": int(issued + expires_in),
        **claims,
    }
    return (key or default_key()).sign(payload, kid=kid)


def sign_bot_token(
    *,
    app_id: str,
    tenant_id: str | None = None,
    key: SigningKey | None = None,
    expires_in: float = 3600,
) -> str:
    """An outbound token like the one Entra issues to the bot for calling the connector."""
    issued = time.time()
    payload: dict[str, Any] = {
        "iss": "https://sts.windows.net/botframework.com/",
        "aud": BOT_FRAMEWORK_AUDIENCE,
        "appid": app_id,
        "iat": int(issued),
        "exp": int(issued + expires_in),
    }
    if tenant_id:
        payload["tid"] = tenant_id
    return (key or default_key()).sign(payload)

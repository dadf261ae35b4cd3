"""Billing information travels only inside job messages, and only encrypted.

The key is derived from SECRET_KEY. Without one (the embedded mode, where broker and
worker live in one process) each process makes a random key at start: messages never
outlive the process there, so nothing is lost.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from app.config import get_settings
from app.errors import AppError


class SealBroken(AppError):
    code = "SEALED_PAYLOAD_INVALID"


@lru_cache(maxsize=4)
def _fernet(secret: str | None) -> Fernet:
    if secret is None:
        return Fernet(Fernet.generate_key())
    digest = hashlib.sha256(b"billing-sync/billing-information:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(payload: dict[str, Any]) -> str:
    token = _fernet(get_settings().secret_key).encrypt(json.dumps(payload).encode())
    return token.decode()


def unseal(token: str) -> dict[str, Any]:
    try:
        data = _fernet(get_settings().secret_key).decrypt(token.encode())
    except InvalidToken:
        raise SealBroken(
            "sealed billing information could not be opened (SECRET_KEY changed?)"
        ) from None
    value = json.loads(data)
    if not isinstance(value, dict):
        raise SealBroken("sealed billing information is not an object")
    return value


class SecretKeyRequired(AppError):
    code = "SECRET_KEY_REQUIRED"


@lru_cache(maxsize=4)
def _at_rest(secret: str) -> Fernet:
    digest = hashlib.sha256(b"billing-sync/credentials-at-rest:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_at_rest(value: str) -> str:
    """Encrypt a credential to be stored (an environment's Stripe keys): SECRET_KEY is
    required, since a key made up for this process would lose it at the next start."""
    secret = get_settings().secret_key
    if secret is None:
        raise SecretKeyRequired("SECRET_KEY must be set to store Stripe credentials")
    return _at_rest(secret).encrypt(value.encode()).decode()


def open_at_rest(token: str) -> str:
    secret = get_settings().secret_key
    if secret is None:
        raise SecretKeyRequired("SECRET_KEY must be set to read stored Stripe credentials")
    try:
        return _at_rest(secret).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SealBroken(
            "stored Stripe credentials could not be opened (SECRET_KEY changed?)"
        ) from None

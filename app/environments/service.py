"""Environments and their server API keys.

A key is ``bsk_`` plus 32 random bytes (URL-safe). Only its SHA-256 digest is stored:
a key with that much entropy needs no slow hash, and the digest is looked up through a
unique index, then compared with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.billing.crypto import open_at_rest, seal_at_rest
from app.config import get_settings
from app.errors import EnvironmentNotFound, Unauthenticated, ValidationFailed
from app.models import ApiKey, Environment
from app.models.base import utcnow

KEY_PREFIX = "bsk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class IssuedKey:
    key: str
    record: ApiKey
    environment: Environment


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def get_environment(session: Session, name: str) -> Environment:
    environment = session.exec(select(Environment).where(Environment.name == name)).first()
    if environment is None:
        known = ", ".join(e.name for e in list_environments(session)) or "none"
        raise EnvironmentNotFound(
            f"environment {name!r} does not exist (known: {known})", field="environment"
        )
    return environment


def list_environments(session: Session) -> list[Environment]:
    return list(session.exec(select(Environment).order_by(col(Environment.name))))


def ensure_environment(session: Session, name: str) -> Environment:
    if not _NAME.match(name):
        raise ValidationFailed(
            "environment name must be 1-63 lowercase letters, digits or dashes",
            field="environment",
        )
    existing = session.exec(select(Environment).where(Environment.name == name)).first()
    if existing is not None:
        return existing
    environment = Environment(name=name)
    session.add(environment)
    session.flush()
    return environment


def create_api_key(session: Session, environment_name: str) -> IssuedKey:
    environment = get_environment(session, environment_name)
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(environment_id=environment.id, prefix=raw_key[:12], key_hash=_digest(raw_key))
    session.add(record)
    session.flush()
    return IssuedKey(key=raw_key, record=record, environment=environment)


def list_api_keys(session: Session, environment_name: str) -> list[ApiKey]:
    environment = get_environment(session, environment_name)
    query = (
        select(ApiKey)
        .where(ApiKey.environment_id == environment.id)
        .order_by(col(ApiKey.created_at))
    )
    return list(session.exec(query))


def revoke_api_key(session: Session, key_id: str) -> ApiKey:
    record = session.get(ApiKey, key_id)
    if record is None:
        raise ValidationFailed(f"no API key with id {key_id!r}", field="key_id")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.flush()
    return record


def authenticate(session: Session, raw_key: str | None) -> Environment:
    """The environment a server API key belongs to, or ``Unauthenticated``."""
    if not raw_key:
        raise Unauthenticated(
            "missing API key: send it in the X-API-KEY header or the apiKey query parameter"
        )
    digest = _digest(raw_key)
    record = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if record is None or not hmac.compare_digest(record.key_hash, digest):
        raise Unauthenticated("invalid API key")
    if record.revoked_at is not None:
        raise Unauthenticated("API key has been revoked")
    environment = session.get(Environment, record.environment_id)
    if environment is None:  # pragma: no cover - guarded by the foreign key
        raise Unauthenticated("invalid API key")
    return environment


_STRIPE_KEY = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9_]{4,250}$")
_WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=_-]{4,250}$")


def set_stripe_credentials(
    session: Session, name: str, api_key: str, webhook_secrets: list[str]
) -> Environment:
    """Give the environment a Stripe account of its own (stored encrypted)."""
    if not _STRIPE_KEY.match(api_key):
        raise ValidationFailed("the Stripe key must be a secret or restricted key (sk_/rk_...)")
    bad = [s for s in webhook_secrets if not _WEBHOOK_SECRET.match(s)]
    if bad:
        raise ValidationFailed("webhook signing secrets start with whsec_")
    environment = get_environment(session, name)
    environment.stripe_api_key_sealed = seal_at_rest(api_key)
    environment.stripe_webhook_secrets_sealed = (
        seal_at_rest(",".join(webhook_secrets)) if webhook_secrets else None
    )
    session.add(environment)
    session.flush()
    return environment


def clear_stripe_credentials(session: Session, name: str) -> Environment:
    """Back to the default account (STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET)."""
    environment = get_environment(session, name)
    environment.stripe_api_key_sealed = None
    environment.stripe_webhook_secrets_sealed = None
    session.add(environment)
    session.flush()
    return environment


def stripe_api_key(environment: Environment) -> str | None:
    sealed = environment.stripe_api_key_sealed
    return open_at_rest(sealed) if sealed else None


def webhook_secrets(environment: Environment) -> list[str]:
    sealed = environment.stripe_webhook_secrets_sealed
    return [s for s in open_at_rest(sealed).split(",") if s] if sealed else []


def billing_integrated(session: Session, environment_id: str) -> bool:
    """Whether this environment's subscriptions are billed in Stripe: it has a Stripe
    account of its own, or STRIPE_API_KEY gives the default one."""
    if get_settings().billing_integrated:
        return True
    environment = session.get(Environment, environment_id)
    return environment is not None and environment.has_own_stripe

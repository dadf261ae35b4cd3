from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.environments import service
from app.errors import EnvironmentNotFound, Unauthenticated, ValidationFailed
from app.models import ApiKey, Environment


def test_key_is_stored_only_as_its_digest(session: Session, environment: Environment) -> None:
    issued = service.create_api_key(session, environment.name)
    session.commit()
    record = session.exec(select(ApiKey)).one()
    assert issued.key.startswith("bsk_")
    assert record.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert issued.key not in {record.key_hash, record.prefix}
    assert issued.key.startswith(record.prefix)


def test_key_authenticates_its_own_environment(
    session: Session, environment: Environment, other_environment: Environment
) -> None:
    issued = service.create_api_key(session, other_environment.name)
    assert service.authenticate(session, issued.key).id == other_environment.id


@pytest.mark.parametrize("raw", [None, "", "bsk_unknown", "garbage"])
def test_missing_or_unknown_key_is_unauthenticated(
    session: Session, environment: Environment, raw: str | None
) -> None:
    service.create_api_key(session, environment.name)
    with pytest.raises(Unauthenticated):
        service.authenticate(session, raw)


def test_each_key_is_different(session: Session, environment: Environment) -> None:
    keys = {service.create_api_key(session, environment.name).key for _ in range(5)}
    assert len(keys) == 5


def test_unknown_environment_names_the_known_ones(
    session: Session, environment: Environment
) -> None:
    with pytest.raises(EnvironmentNotFound, match="development"):
        service.create_api_key(session, "staging")


def test_environment_names_are_validated(session: Session) -> None:
    with pytest.raises(ValidationFailed):
        service.ensure_environment(session, "Bad Name!")


def test_ensure_environment_is_idempotent(session: Session, engine: Engine) -> None:
    first = service.ensure_environment(session, "staging")
    second = service.ensure_environment(session, "staging")
    assert first.id == second.id

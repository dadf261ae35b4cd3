"""An environment's catalog_version tells entitlement caches that the catalog changed."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from app.models import Environment
from tests.catalog.factories import apply, small_catalog


def _version(engine: Engine, environment: Environment) -> int:
    """The stored catalog_version, read in a session of its own."""
    with Session(engine) as fresh:
        query = select(Environment.catalog_version).where(Environment.id == environment.id)
        return fresh.exec(query).one()


def test_first_apply_bumps_the_catalog_version(
    engine: Engine, session: Session, environment: Environment
) -> None:
    apply(session, environment, small_catalog())

    assert _version(engine, environment) == 1


def test_unchanged_apply_leaves_the_catalog_version(
    engine: Engine, session: Session, environment: Environment
) -> None:
    apply(session, environment, small_catalog())

    report = apply(session, environment, small_catalog())

    assert not report.changed
    assert _version(engine, environment) == 1


def test_each_apply_that_changes_something_bumps_it_once(
    engine: Engine, session: Session, environment: Environment
) -> None:
    data = small_catalog()
    apply(session, environment, data)
    data["features"][0]["displayName"] = "Members"
    apply(session, environment, data)
    data["plans"][1]["prices"][0]["amount"] = 25
    data["coupons"] = []
    data["promotionCodes"] = []

    apply(session, environment, data)

    assert _version(engine, environment) == 3


def test_the_other_environment_keeps_its_catalog_version(
    engine: Engine, session: Session, environment: Environment, other_environment: Environment
) -> None:
    apply(session, environment, small_catalog())

    assert _version(engine, other_environment) == 0


def test_the_bump_adds_to_the_stored_version_not_to_the_one_read_earlier(
    engine: Engine, session: Session, environment: Environment
) -> None:
    # Another apply committed meanwhile: this session's environment still says 0.
    with Session(engine) as other:
        other.exec(
            update(Environment)
            .where(col(Environment.id) == environment.id)
            .values(catalog_version=5)
        )
        other.commit()

    apply(session, environment, small_catalog())

    assert _version(engine, environment) == 6

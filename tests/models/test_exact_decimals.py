"""Money and quantities read back exactly as written, on SQLite and on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from app.models import Coupon, Environment, PackagePrice
from tests.catalog.factories import apply, small_catalog


def _coupon(environment: Environment, discount: Any) -> Coupon:
    return Coupon(
        environment_id=environment.id,
        ref_id="c",
        name="C",
        type="FIXED",
        discount_value=discount,
        status="ACTIVE",
    )


def test_a_long_unit_amount_round_trips(
    engine: Engine, session: Session, environment: Environment
) -> None:
    data = small_catalog()
    data["features"][0]["meterType"] = "Fluctuating"
    data["plans"][1]["entitlements"] = [{"feature": "sso"}]
    data["plans"][1]["prices"].append(
        {
            "billingPeriod": "MONTHLY",
            "billingModel": "PER_UNIT",
            "feature": "seats",
            "amount": "12345678.123456789012",
            "currency": "USD",
            "countryPrices": [{"country": "DK", "amount": "1.123456789012", "currency": "DKK"}],
        }
    )
    apply(session, environment, data)
    with Session(engine) as fresh:
        amounts = {price.amount for price in fresh.exec(select(PackagePrice))}
    assert {Decimal("12345678.123456789012"), Decimal("1.123456789012")} <= amounts


@pytest.mark.parametrize("value", ["99999999999999.999999", "0.000001", "-12345678901234.5"])
def test_money_of_twenty_digits_round_trips(
    engine: Engine, environment: Environment, value: str
) -> None:
    with Session(engine) as session:
        coupon = _coupon(environment, Decimal(value))
        session.add(coupon)
        session.commit()
        coupon_id = coupon.id
    with Session(engine) as session:
        stored = session.get(Coupon, coupon_id)
        assert stored is not None
        assert stored.discount_value == Decimal(value)


def test_a_float_is_refused_rather_than_stored(engine: Engine, environment: Environment) -> None:
    with Session(engine) as session:
        session.add(_coupon(environment, 0.1))
        with pytest.raises(StatementError, match="not a decimal number"):
            session.commit()


@pytest.mark.parametrize(
    ("given", "kept"), [("0.0000005", "0.000001"), ("-2.0000015", "-2.000002")]
)
def test_decimals_beyond_the_scale_round_as_postgresql_rounds(
    engine: Engine, environment: Environment, given: str, kept: str
) -> None:
    with Session(engine) as session:
        coupon = _coupon(environment, Decimal(given))
        session.add(coupon)
        session.commit()
        session.expire_all()
        assert coupon.discount_value == Decimal(kept)

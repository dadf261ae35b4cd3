from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app import db
from app.catalog import repository, service
from app.catalog.schemas import load_catalog
from app.catalog.service import NewVersion, apply_catalog
from app.models import (
    Coupon,
    Environment,
    Feature,
    Package,
    PackageEntitlement,
    PackagePrice,
    Product,
    PromotionCode,
)
from app.models.catalog import PackageKind
from tests.catalog.factories import apply, example_data, problems_of, row_counts, small_catalog
from tests.conftest import EXAMPLE_CATALOG


def _versions(session: Session, ref_id: str) -> list[Package]:
    query = select(Package).where(Package.ref_id == ref_id).order_by(col(Package.version_number))
    return list(session.exec(query))


def _update_stamps(session: Session) -> list[tuple[str, datetime]]:
    """Every in-place row's id and ``updated_at``."""
    rows: list[Product | Feature | Coupon | PromotionCode] = [
        *session.exec(select(Product)),
        *session.exec(select(Feature)),
        *session.exec(select(Coupon)),
        *session.exec(select(PromotionCode)),
    ]
    return sorted((row.id, row.updated_at) for row in rows)


def _pro_price(data: dict[str, Any]) -> dict[str, Any]:
    price: dict[str, Any] = data["plans"][1]["prices"][0]
    return price


def test_example_catalog_applies(session: Session, environment: Environment) -> None:
    spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)

    report = apply_catalog(session, environment, spec)
    session.commit()

    assert report.plans.created == 6
    assert report.addons.created == 2
    assert row_counts(session) == {
        "product": 2,
        "feature": 6,
        "package": 8,
        "package_price": 26,
        "package_entitlement": 19,
        "coupon": 4,
        "promotion_code": 1,
    }
    essentials = repository.latest_package(
        session, environment.id, PackageKind.PLAN, "plan-revvenu-essentials"
    )
    assert essentials is not None
    assert (essentials.trial_days, essentials.trial_end_behavior) == (14, "CONVERT_TO_PAID")
    assert essentials.compatible_addons == ["addon-extra-stuff", "addon-10-campaigns"]


def test_reapplying_the_same_catalog_changes_nothing(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, example_data())
    counts = row_counts(session)
    stamps = _update_stamps(session)
    session.expunge_all()

    report = apply(session, environment, example_data())

    assert not report.changed
    assert report.summary() == "catalog is up to date: nothing changed"
    assert report.new_versions == []
    assert row_counts(session) == counts
    assert _update_stamps(session) == stamps


def test_changed_plan_price_publishes_version_2_and_keeps_version_1(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    apply(session, environment, data)
    [first] = _versions(session, "pro")
    first_prices = [(p.id, p.amount) for p in repository.prices_of(session, first.id)]
    _pro_price(data)["amount"] = "25"

    report = apply(session, environment, data)

    assert report.new_versions == [NewVersion(PackageKind.PLAN, "pro", 2)]
    old, new = _versions(session, "pro")
    assert (old.version_number, old.is_latest, new.version_number, new.is_latest) == (
        1,
        False,
        2,
        True,
    )
    assert [(p.id, p.amount) for p in repository.prices_of(session, old.id)] == first_prices
    assert len(repository.entitlements_of(session, old.id)) == 2
    assert Decimal("25") in {p.amount for p in repository.prices_of(session, new.id)}
    latest = repository.latest_package(session, environment.id, PackageKind.PLAN, "pro")
    assert latest is not None
    assert latest.id == new.id


def test_unchanged_plan_keeps_version_1_when_another_plan_changes(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    apply(session, environment, data)
    _pro_price(data)["amount"] = "25"

    report = apply(session, environment, data)

    assert [v.version_number for v in _versions(session, "free")] == [1]
    assert (report.plans.updated, report.plans.unchanged) == (1, 1)


def test_reordered_or_reformatted_prices_publish_no_version(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    data["plans"][1]["prices"].append(
        {
            "billingPeriod": "ANNUALLY",
            "billingModel": "FLAT_FEE",
            "amount": "200",
            "currency": "USD",
            "countryPrices": [{"country": "DK", "amount": "1500", "currency": "DKK"}],
        }
    )
    apply(session, environment, data)
    data["plans"][1]["prices"].reverse()
    _pro_price(data)["amount"] = "200.00"

    report = apply(session, environment, data)

    assert not report.changed
    assert [v.version_number for v in _versions(session, "pro")] == [1]


def test_country_prices_become_price_rows_with_their_country(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, small_catalog())
    pro = repository.latest_package(session, environment.id, PackageKind.PLAN, "pro")
    assert pro is not None

    prices = repository.prices_of(session, pro.id)

    assert sorted((p.billing_country_code or "", p.currency, p.amount) for p in prices) == [
        ("", "USD", Decimal("20")),
        ("DK", "DKK", Decimal("150")),
    ]


def test_removed_items_are_archived_not_deleted(session: Session, environment: Environment) -> None:
    data = small_catalog()
    apply(session, environment, data)
    data["plans"][1]["compatibleAddons"] = []
    data["addons"] = []
    data["promotionCodes"] = []
    data["coupons"] = []

    report = apply(session, environment, data)

    assert (report.addons.archived, report.coupons.archived, report.promotion_codes.archived) == (
        1,
        1,
        1,
    )
    assert [v.status for v in _versions(session, "more-seats")] == ["ARCHIVED"]
    assert (
        repository.latest_package(session, environment.id, PackageKind.ADDON, "more-seats") is None
    )
    assert repository.coupon_by_ref(session, environment.id, "half") is None
    assert repository.coupon_by_ref(session, environment.id, "half", include_archived=True)


def test_reappearing_item_is_reactivated(session: Session, environment: Environment) -> None:
    data = small_catalog()
    apply(session, environment, data)
    removed = small_catalog()
    removed["plans"][1]["compatibleAddons"] = []
    removed["addons"] = []
    removed["coupons"][0]["status"] = "ARCHIVED"
    apply(session, environment, removed)

    report = apply(session, environment, data)

    assert (report.addons.updated, report.coupons.updated) == (1, 1)
    assert [v for v in report.new_versions if v.kind == PackageKind.ADDON] == []
    addon = repository.latest_package(session, environment.id, PackageKind.ADDON, "more-seats")
    assert addon is not None
    assert addon.version_number == 1
    assert repository.coupon_by_ref(session, environment.id, "half") is not None


def test_all_versions_of_a_removed_plan_are_archived(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    apply(session, environment, data)
    _pro_price(data)["amount"] = "30"
    apply(session, environment, data)
    data["plans"].pop(1)

    apply(session, environment, data)

    assert [v.status for v in _versions(session, "pro")] == ["ARCHIVED", "ARCHIVED"]


def test_applying_to_one_environment_leaves_the_other_empty(
    session: Session, environment: Environment, other_environment: Environment
) -> None:
    apply(session, environment, small_catalog())

    for model in (Product, Feature, Package, Coupon, PromotionCode):
        query = select(model).where(model.environment_id == other_environment.id)
        assert session.exec(query).all() == []
    assert repository.feature_by_ref(session, other_environment.id, "seats") is None


def test_same_catalog_in_two_environments_uses_each_environments_features(
    session: Session, environment: Environment, other_environment: Environment
) -> None:
    apply(session, environment, small_catalog())
    apply(session, other_environment, small_catalog())

    for env in (environment, other_environment):
        pro = repository.latest_package(session, env.id, PackageKind.PLAN, "pro")
        assert pro is not None
        feature_ids = {e.feature_id for e in repository.entitlements_of(session, pro.id)}
        features = repository.features_by_ids(session, env.id, feature_ids)
        assert {f.ref_id for f in features.values()} == {"seats", "sso"}


def test_invalid_catalog_leaves_the_database_unchanged(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, small_catalog())
    before = row_counts(session)
    data = small_catalog()
    _pro_price(data)["amount"] = -1
    data["plans"][0]["product"] = "nope"

    assert problems_of(data) == [
        "plans[0].product: unknown product 'nope'",
        "plans[1].prices[0].amount: must be >= 0",
    ]
    assert row_counts(session) == before


def test_failure_part_way_applies_nothing(
    engine: Engine, environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("coupons could not be written")

    monkeypatch.setattr(service, "_promotion_codes", fail)
    spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)

    with pytest.raises(RuntimeError), db.unit_of_work(engine) as session:
        apply_catalog(session, environment, spec)

    with Session(engine) as fresh:
        assert set(row_counts(fresh).values()) == {0}


def test_coupon_term_change_drops_its_stripe_link(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    apply(session, environment, data)
    coupon = repository.coupon_by_ref(session, environment.id, "half")
    assert coupon is not None
    coupon.billing_id = "stripe-coupon"
    session.commit()
    data["coupons"][0]["discountValue"] = 40

    apply(session, environment, data)

    session.refresh(coupon)
    assert coupon.discount_value == Decimal("40")
    assert coupon.billing_id is None


def test_coupon_rename_keeps_its_stripe_link(session: Session, environment: Environment) -> None:
    data = small_catalog()
    apply(session, environment, data)
    coupon = repository.coupon_by_ref(session, environment.id, "half")
    assert coupon is not None
    coupon.billing_id = "stripe-coupon"
    session.commit()
    before = coupon.updated_at
    data["coupons"][0]["name"] = "Fifty"

    report = apply(session, environment, data)

    session.refresh(coupon)
    assert (coupon.name, coupon.billing_id) == ("Fifty", "stripe-coupon")
    assert coupon.updated_at > before
    assert report.coupons.updated == 1


def test_summary_names_new_versions(session: Session, environment: Environment) -> None:
    data = small_catalog()
    apply(session, environment, data)
    _pro_price(data)["amount"] = "21"

    summary = apply(session, environment, data).summary()

    assert "plans: 0 created, 1 updated, 1 unchanged, 0 archived" in summary
    assert "new versions: plan pro v2" in summary


def test_entitlement_rows_keep_limits_and_reset_periods(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, example_data())
    addon = repository.latest_package(
        session, environment.id, PackageKind.ADDON, "addon-10-campaigns"
    )
    assert addon is not None

    [entitlement] = session.exec(
        select(PackageEntitlement).where(PackageEntitlement.package_id == addon.id)
    ).all()

    assert (entitlement.usage_limit, entitlement.reset_period) == (Decimal("10"), "MONTH")
    assert addon.max_quantity == 10
    assert session.exec(select(PackagePrice).where(PackagePrice.package_id == addon.id)).all()

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.catalog import repository
from app.catalog.repository import CouponSort, SortDirection
from app.models import Environment
from app.models.catalog import PackageKind
from tests.catalog.factories import apply, small_catalog


def _with_coupons(*coupons: dict[str, Any]) -> dict[str, Any]:
    data = small_catalog()
    data["coupons"] = list(coupons)
    data["promotionCodes"] = []
    return data


def _coupon(ref_id: str, name: str, status: str = "ACTIVE") -> dict[str, Any]:
    return {"id": ref_id, "name": name, "type": "PERCENTAGE", "discountValue": 10, "status": status}


def test_latest_package_is_the_newest_version(session: Session, environment: Environment) -> None:
    data = small_catalog()
    apply(session, environment, data)
    data["plans"][1]["displayName"] = "Professional"
    apply(session, environment, data)

    latest = repository.latest_package(session, environment.id, PackageKind.PLAN, "pro")

    assert latest is not None
    assert (latest.version_number, latest.display_name) == (2, "Professional")
    first = repository.package_version(session, environment.id, PackageKind.PLAN, "pro", 1)
    assert first is not None
    assert first.display_name == "Pro"


def test_latest_package_of_the_wrong_kind_is_none(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, small_catalog())

    assert repository.latest_package(session, environment.id, PackageKind.ADDON, "pro") is None


def test_archived_package_is_found_only_when_asked(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    apply(session, environment, data)
    data["plans"].pop(1)
    apply(session, environment, data)

    find = repository.latest_package
    assert find(session, environment.id, PackageKind.PLAN, "pro") is None
    assert find(session, environment.id, PackageKind.PLAN, "pro", include_archived=True)
    assert [
        p.ref_id for p in repository.latest_packages(session, environment.id, PackageKind.PLAN)
    ] == ["free"]


def test_lookups_by_id_do_not_cross_environments(
    session: Session, environment: Environment, other_environment: Environment
) -> None:
    apply(session, environment, small_catalog())
    pro = repository.latest_package(session, environment.id, PackageKind.PLAN, "pro")
    product = repository.product_by_ref(session, environment.id, "app")
    coupon = repository.coupon_by_ref(session, environment.id, "half")
    assert pro is not None
    assert product is not None
    assert coupon is not None

    assert repository.package_by_id(session, environment.id, pro.id) is pro
    assert repository.package_by_id(session, other_environment.id, pro.id) is None
    assert repository.product_by_id(session, other_environment.id, product.id) is None
    assert repository.coupon_by_id(session, other_environment.id, coupon.id) is None
    assert repository.features_by_ids(session, other_environment.id, [pro.product_id]) == {}


def test_promotion_code_matches_in_any_case(session: Session, environment: Environment) -> None:
    apply(session, environment, small_catalog())

    found = repository.promotion_code(session, environment.id, " half50 ")

    assert found is not None
    assert found.code == "HALF50"


def test_expired_promotion_code_is_not_redeemable(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    expiry = datetime(2030, 1, 1, tzinfo=UTC)
    data["promotionCodes"][0]["expiresAt"] = expiry.isoformat()
    apply(session, environment, data)

    find = repository.promotion_code
    assert find(session, environment.id, "HALF50", now=expiry - timedelta(seconds=1))
    assert find(session, environment.id, "HALF50", now=expiry) is None


def test_inactive_promotion_code_is_not_redeemable(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    data["promotionCodes"][0]["active"] = False
    apply(session, environment, data)

    assert repository.promotion_code(session, environment.id, "HALF50") is None


def test_promotion_code_of_an_archived_coupon_is_not_redeemable(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    data["coupons"][0]["status"] = "ARCHIVED"
    apply(session, environment, data)

    assert repository.promotion_code(session, environment.id, "HALF50") is None


def test_promotion_code_of_another_environment_is_not_found(
    session: Session, environment: Environment, other_environment: Environment
) -> None:
    apply(session, environment, small_catalog())

    assert repository.promotion_code(session, other_environment.id, "HALF50") is None


def test_list_coupons_filters_sorts_and_pages(session: Session, environment: Environment) -> None:
    apply(
        session,
        environment,
        _with_coupons(
            _coupon("c-1", "Bravo"),
            _coupon("c-2", "Alpha"),
            _coupon("c-3", "Charlie"),
            _coupon("c-4", "Delta", status="ARCHIVED"),
        ),
    )
    by_name = [CouponSort("name", SortDirection.DESC)]

    first = repository.list_coupons(
        session, environment.id, status="ACTIVE", order_by=by_name, limit=2
    )
    second = repository.list_coupons(
        session, environment.id, status="ACTIVE", order_by=by_name, limit=2, offset=2
    )

    assert [c.name for c in first + second] == ["Charlie", "Bravo", "Alpha"]
    assert repository.count_coupons(session, environment.id, status="ACTIVE") == 3
    assert [c.name for c in repository.list_coupons(session, environment.id, ref_id="c-4")] == [
        "Delta"
    ]


def test_coupon_by_ref_skips_archived_unless_asked(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, _with_coupons(_coupon("old", "Old", status="ARCHIVED")))

    assert repository.coupon_by_ref(session, environment.id, "old") is None
    assert repository.coupon_by_ref(session, environment.id, "old", include_archived=True)

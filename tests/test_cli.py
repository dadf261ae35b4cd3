"""The ``billing-sync`` command line."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.catalog.example import example_catalog
from app.cli import app
from app.customers.service import provision_customer
from app.entitlements import service as entitlements
from app.environments import service
from app.models import Coupon, Customer, Environment, Package
from app.subscriptions.service import provision_subscription
from tests.conftest import EXAMPLE_CATALOG

runner = CliRunner()


def test_keys_create_prints_the_key_alone_on_the_last_line(
    engine: Engine, environment: Environment
) -> None:
    result = runner.invoke(app, ["keys", "create", "--environment", "development"])
    assert result.exit_code == 0, result.output
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("bsk_") and " " not in last
    with Session(engine) as s:
        assert service.authenticate(s, last).name == "development"


def test_keys_create_for_unknown_environment_fails_clearly(
    engine: Engine, environment: Environment
) -> None:
    result = runner.invoke(app, ["keys", "create", "--environment", "nope"])
    assert result.exit_code == 1
    assert "ENVIRONMENT_NOT_FOUND" in result.stderr


def test_catalog_apply_reports_and_is_idempotent(engine: Engine, environment: Environment) -> None:
    first = runner.invoke(app, ["catalog", "apply", str(EXAMPLE_CATALOG), "-e", "development"])
    assert first.exit_code == 0, first.output
    with Session(engine) as s:
        count = len(s.exec(select(Package)).all())
    second = runner.invoke(app, ["catalog", "apply", str(EXAMPLE_CATALOG), "-e", "development"])
    assert second.exit_code == 0, second.output
    with Session(engine) as s:
        assert len(s.exec(select(Package)).all()) == count
    assert count > 0


def test_catalog_apply_example_applies_the_catalog_shipped_in_the_package(
    engine: Engine, environment: Environment
) -> None:
    result = runner.invoke(app, ["catalog", "apply", "--example", "-e", "development"])
    assert result.exit_code == 0, result.output
    with Session(engine) as s:
        assert s.exec(select(Coupon).where(Coupon.ref_id == "coupon-id")).one()


def test_the_packaged_example_catalog_is_the_one_in_examples() -> None:
    assert example_catalog() == EXAMPLE_CATALOG.read_text(encoding="utf-8")


@pytest.mark.parametrize("arguments", [[], [str(EXAMPLE_CATALOG), "--example"]])
def test_catalog_apply_takes_a_file_or_the_example_not_both(
    engine: Engine, environment: Environment, arguments: list[str]
) -> None:
    result = runner.invoke(app, ["catalog", "apply", *arguments, "-e", "development"])
    assert result.exit_code == 2
    with Session(engine) as s:
        assert s.exec(select(Package)).all() == []


def test_invalid_catalog_lists_every_problem_and_applies_nothing(
    engine: Engine, environment: Environment, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "features:\n  - id: f1\n    displayName: F\n    featureType: COLOR\n"
        "plans:\n  - id: p1\n    product: missing\n    displayName: P\n    pricingType: PAID\n"
        "    prices:\n"
        "      - {billingPeriod: MONTHLY, billingModel: FLAT_FEE, amount: -1, currency: USD}\n"
    )
    result = runner.invoke(app, ["catalog", "apply", str(bad), "-e", "development"])
    assert result.exit_code == 1
    assert "CATALOG_INVALID" in result.stderr
    assert "features[0].featureType" in result.stderr
    assert "plans[0].prices[0].amount: must be >= 0" in result.stderr
    with Session(engine) as s:
        assert s.exec(select(Package)).all() == []
        assert s.exec(select(Customer)).all() == []


def test_catalog_apply_refuses_a_promotion_code_stripe_would_refuse(
    engine: Engine, environment: Environment, tmp_path: Path
) -> None:
    bad = tmp_path / "codes.yaml"
    bad.write_text(
        "coupons:\n  - {id: half, name: Half, type: PERCENTAGE, discountValue: 50}\n"
        "promotionCodes:\n  - {code: HALF-50, coupon: half}\n  - {code: HALF_50, coupon: half}\n"
    )
    result = runner.invoke(app, ["catalog", "apply", str(bad), "-e", "development"])
    assert result.exit_code == 1
    assert "promotionCodes[1].code: must be 1-64 letters, digits or dashes (-)" in result.stderr
    with Session(engine) as s:
        assert s.exec(select(Coupon)).all() == []


def test_installed_command_creates_environment_and_key(tmp_path: Path) -> None:
    """The console script itself, as an operator runs it, on a fresh SQLite file."""
    exe = Path(sys.executable).parent / "billing-sync"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LOG_FORMAT": "json"}
    env.pop("REDIS_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(exe), *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    assert run("migrate").returncode == 0
    assert run("environments", "create", "development").returncode == 0
    created = run("keys", "create", "--environment", "development")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().splitlines()[-1].startswith("bsk_")


def _table_rows(output: str) -> dict[str, list[str]]:
    """The rows of a rich table by their first cell."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0].startswith("feature-"):
            rows[cells[0]] = cells
    return rows


@pytest.mark.usefixtures("catalog_applied")
def test_usage_show_prints_each_entitlement_with_its_usage(
    session: Session, environment: Environment
) -> None:
    provision_customer(session, environment, {"customerId": "acme"})
    provision_subscription(
        session,
        environment,
        {"customerId": "acme", "planId": "plan-revvenu-free", "resourceId": "site-1"},
    )
    entitlements.report_usage(
        session,
        environment,
        [entitlements.UsageReport("acme", "feature-02-campaigns", Decimal(1), "site-1")],
    )
    session.commit()
    with Session(session.get_bind()) as s:
        expected = entitlements.checks(s, environment, "acme", "site-1")
    period = expected[1].period
    assert period is not None

    result = runner.invoke(
        app,
        ["usage", "show", "--customer", "acme", "--resource", "site-1", "-e", "development"],
        env={"COLUMNS": "240"},
    )

    assert result.exit_code == 0, result.output
    rows = _table_rows(result.stdout)
    assert rows["feature-01-templates"] == [
        "feature-01-templates", "NUMBER", "yes", "0", "3", "no", "-", "-", "-", "-",
    ]  # fmt: skip
    start, end = (f"{moment:%Y-%m-%d %H:%M:%S}" for moment in (period.start, period.end))
    assert rows["feature-02-campaigns"] == [
        "feature-02-campaigns", "NUMBER", "yes", "1", "1", "no", "MONTH",
        start, end, end,
    ]  # fmt: skip
    assert set(rows) == {"feature-01-templates", "feature-02-campaigns", "feature-06-active-users"}


@pytest.mark.usefixtures("catalog_applied")
def test_usage_show_says_so_when_the_customer_has_no_entitlements(
    session: Session, environment: Environment
) -> None:
    provision_customer(session, environment, {"customerId": "acme"})
    session.commit()

    result = runner.invoke(app, ["usage", "show", "--customer", "acme", "-e", "development"])

    assert result.exit_code == 0, result.output
    assert "customer acme has no entitlements" in result.stdout


@pytest.mark.usefixtures("catalog_applied")
def test_usage_show_for_an_unknown_customer_fails_clearly(engine: Engine) -> None:
    result = runner.invoke(app, ["usage", "show", "--customer", "nobody", "-e", "development"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "CUSTOMER_NOT_FOUND" in result.stderr
    assert "'nobody'" in result.stderr


def test_usage_show_for_an_unknown_environment_fails_clearly(
    engine: Engine, environment: Environment
) -> None:
    result = runner.invoke(app, ["usage", "show", "--customer", "acme", "-e", "nope"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "ENVIRONMENT_NOT_FOUND" in result.stderr

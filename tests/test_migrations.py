"""The migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from app import db, migrations
from app.models import Coupon, PromotionCode


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_sqlite_money_becomes_exact_text_keeping_rows_and_references(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "5b1e0c2f7a91")
    engine = db.make_engine(url)
    now = "2026-01-01 00:00:00"
    rows = {
        "environment": {"id": "e", "name": "dev", "created_at": now, "catalog_version": 0},
        "coupon": {
            "id": "c",
            "environment_id": "e",
            "ref_id": "half",
            "name": "Half",
            "type": "PERCENTAGE",
            "discount_value": 12.5,
            "status": "ACTIVE",
            "created_at": now,
            "updated_at": now,
        },
        "promotion_code": {
            "id": "p",
            "environment_id": "e",
            "code": "HALF",
            "coupon_id": "c",
            "status": "ACTIVE",
            "created_at": now,
            "updated_at": now,
        },
    }
    with engine.begin() as connection:
        for table, row in rows.items():
            names = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), row)
    engine.dispose()

    migrations.upgrade(url)

    engine = db.make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        stored = connection.execute(text("SELECT typeof(discount_value) FROM coupon")).scalar()
        assert stored == "text"
    with Session(engine) as session:
        coupon = session.get(Coupon, "c")
        assert coupon is not None and coupon.discount_value == Decimal("12.5")
        assert session.get(PromotionCode, "p") is not None
        coupon.discount_value = Decimal("12345678901234.123456")
        session.commit()
        session.expire_all()
        again = session.get(Coupon, "c")
        assert again is not None and again.discount_value == Decimal("12345678901234.123456")
    engine.dispose()

"""Money and quantities exact on SQLite: kept as text instead of floating point

PostgreSQL's NUMERIC columns are exact already and do not change. On SQLite a NUMERIC
column holds binary floating point, so each column becomes text of the same name: a
column is added, filled from the old one, and takes its place. Tables are not rebuilt,
so rows that reference them (foreign keys are enforced) are never touched.

Revision ID: 1952ca878619
Revises: 5b1e0c2f7a91
Create Date: 2026-11-29 21:50:55.393536
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1952ca878619"
down_revision: str | None = "5b1e0c2f7a91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, precision, scale, nullable)
COLUMNS = [
    ("coupon", "discount_value", 20, 6, False),
    ("package_entitlement", "usage_limit", 20, 6, True),
    ("package_price", "amount", 24, 12, False),
    ("promotional_entitlement", "usage_limit", 20, 6, True),
    ("subscription", "unit_quantity", 20, 6, True),
    ("subscription_entitlement", "usage_limit", 20, 6, True),
    ("tax_rate", "percentage", 20, 6, False),
    ("usage_measurement", "value", 20, 6, False),
    ("usage_measurement", "current_usage", 20, 6, True),
]


def _retype(table: str, column: str, declared: str, nullable: bool, convert: str) -> None:
    """Replace ``table.column`` by a column declared ``declared``, holding ``convert``."""
    new = f"{column}_retyped"
    # SQLite adds a NOT NULL column only with a default; every row is filled just after.
    constraint = "" if nullable else " NOT NULL DEFAULT '0'"
    op.execute(f'ALTER TABLE "{table}" ADD COLUMN "{new}" {declared}{constraint}')
    op.execute(f'UPDATE "{table}" SET "{new}" = {convert.format(column=column)}')
    op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    op.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{new}" TO "{column}"')


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column, precision, scale, nullable in COLUMNS:
        # A stored float reads back as the shortest text SQLite gives it; new values are
        # written with the column's scale, as PostgreSQL keeps them.
        _retype(
            table, column, f"VARCHAR({precision + 2})", nullable, 'CAST("{column}" AS TEXT)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column, precision, scale, nullable in COLUMNS:
        _retype(
            table,
            column,
            f"NUMERIC({precision}, {scale})",
            nullable,
            'CAST("{column}" AS NUMERIC)',
        )

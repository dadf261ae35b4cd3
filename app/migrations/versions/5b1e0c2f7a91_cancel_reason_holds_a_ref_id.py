"""cancel_reason holds "replaced by <refId>" for any refId (up to 255 characters)

Revision ID: 5b1e0c2f7a91
Revises: d837d61f8283
Create Date: 2026-11-29 20:35:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5b1e0c2f7a91"
down_revision: str | None = "d837d61f8283"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.alter_column(
            "cancel_reason",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            type_=sqlmodel.sql.sqltypes.AutoString(length=300),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.alter_column(
            "cancel_reason",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=300),
            type_=sa.String(length=64),
            existing_nullable=True,
        )

"""reads of a subscription's Stripe side numbered as they start, and the one applied;
webhook events looked up by their object and state

Revision ID: 8e3a6f1d2c57
Revises: 5b1e7c2d9a40
Create Date: 2026-11-30 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8e3a6f1d2c57'
down_revision: str | None = '5b1e7c2d9a40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_reads_started', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('billing_read_applied', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_event_object_state', ['object_id', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_event_object_state')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_column('billing_read_applied')
        batch_op.drop_column('billing_reads_started')

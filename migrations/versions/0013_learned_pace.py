"""rate_limits: the pace OUTBOX_PER_MINUTE=auto has learned from Slack's 429s

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rate_limits") as table:
        table.add_column(sa.Column("per_minute", sa.Float(), nullable=True))
        table.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("window_start", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("window_sent", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rate_limits") as table:
        table.drop_column("window_sent")
        table.drop_column("window_start")
        table.drop_column("settled_at")
        table.drop_column("per_minute")

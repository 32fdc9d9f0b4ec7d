"""authoring: who edited a revision from Slack and why; suggested wording on feedback

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("editor", sa.String(32), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("credit", sa.String(32), nullable=True))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("suggestion", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("suggestion")
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("credit")
        batch.drop_column("note")
        batch.drop_column("editor")

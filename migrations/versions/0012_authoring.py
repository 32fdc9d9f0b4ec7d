"""authoring: who edited a revision from Slack and why; suggested wording on feedback

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Plain nullable columns: ALTER TABLE ADD/DROP COLUMN on both databases (SQLite 3.35+), no table
# rebuild, which SQLite could not do for `revisions` with foreign keys pointing at it.
COLUMNS = (
    ("revisions", "editor", sa.String(32)),
    ("revisions", "note", sa.Text()),
    ("revisions", "credit", sa.String(32)),
    ("feedback", "suggestion", sa.Text()),
)


def upgrade() -> None:
    for table, name, kind in COLUMNS:
        op.add_column(table, sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for table, name, _ in reversed(COLUMNS):
        op.drop_column(table, name)

"""feedback_quota: hourly counters under a key the database lacks; install_secrets dropped

The old rows (a hash under a key kept in install_secrets, and the exact time of each item) could
tie anonymous feedback to its author, so they go with the key; nothing else used install_secrets.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Zero the freed pages, so the old hashes and the key do not linger in the file.
        op.execute("PRAGMA secure_delete = ON")
    op.execute("DELETE FROM install_secrets")
    op.drop_table("install_secrets")
    op.execute("DELETE FROM feedback_quota")
    op.drop_index("ix_feedback_quota_author_hash_at", table_name="feedback_quota")
    op.drop_index("ix_feedback_quota_at", table_name="feedback_quota")
    op.drop_table("feedback_quota")
    op.create_table(
        "feedback_quota",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("author_hash", sa.String(64), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_feedback_quota_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "window_start", "author_hash", name="pk_feedback_quota"
        ),
    )
    op.create_index("ix_feedback_quota_window_start", "feedback_quota", ["window_start"])


def downgrade() -> None:
    # The counters mean nothing to the old code (it counted rows); they are dropped, not moved.
    op.drop_index("ix_feedback_quota_window_start", table_name="feedback_quota")
    op.drop_table("feedback_quota")
    op.create_table(
        "feedback_quota",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("author_hash", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_quota"),
    )
    op.create_index("ix_feedback_quota_at", "feedback_quota", ["at"])
    op.create_index("ix_feedback_quota_author_hash_at", "feedback_quota", ["author_hash", "at"])
    op.create_table(
        "install_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_install_secrets"),
    )

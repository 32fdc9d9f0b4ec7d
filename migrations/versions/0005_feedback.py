"""feedback on steps, its routed messages, the rate-limit quota and install secrets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("step_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("handled_by", sa.String(32), nullable=True),
        sa.Column("status_changed_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("addressed_revision_id", sa.Integer(), nullable=True),
        sa.Column("addressed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("source_key", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_feedback_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name="fk_feedback_sop_id_sops"),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name="fk_feedback_revision_id_revisions"
        ),
        sa.ForeignKeyConstraint(
            ["addressed_revision_id"],
            ["revisions.id"],
            name="fk_feedback_addressed_revision_id_revisions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("source_key", name="uq_feedback_source_key"),
    )
    op.create_index("ix_feedback_sop_id", "feedback", ["sop_id"])
    op.create_index("ix_feedback_status_created_at", "feedback", ["status", "created_at"])
    op.create_index("ix_feedback_author_id_created_at", "feedback", ["author_id", "created_at"])
    op.create_table(
        "feedback_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name="fk_feedback_routes_feedback_id_feedback"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_routes"),
        sa.UniqueConstraint("key", name="uq_feedback_routes_key"),
    )
    op.create_index("ix_feedback_routes_feedback_id", "feedback_routes", ["feedback_id"])
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


def downgrade() -> None:
    op.drop_table("install_secrets")
    op.drop_index("ix_feedback_quota_author_hash_at", table_name="feedback_quota")
    op.drop_index("ix_feedback_quota_at", table_name="feedback_quota")
    op.drop_table("feedback_quota")
    op.drop_index("ix_feedback_routes_feedback_id", table_name="feedback_routes")
    op.drop_table("feedback_routes")
    op.drop_index("ix_feedback_author_id_created_at", table_name="feedback")
    op.drop_index("ix_feedback_status_created_at", table_name="feedback")
    op.drop_index("ix_feedback_sop_id", table_name="feedback")
    op.drop_table("feedback")

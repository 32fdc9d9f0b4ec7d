"""initial: workspaces, sops, revisions, steps, quiz questions

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("slack_team_id", name="uq_workspaces_slack_team_id"),
    )
    op.create_table(
        "sops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("owner", sa.String(320), nullable=True),
        sa.Column("current_revision_id", sa.Integer(), nullable=True),
        sa.Column("retired_at", TS, nullable=True),
        sa.Column("last_reviewed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_sops_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sops"),
        sa.UniqueConstraint("workspace_id", "slug", name="uq_sops_workspace_id_slug"),
    )
    op.create_index("ix_sops_workspace_id", "sops", ["workspace_id"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("diff", JSON, nullable=False),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name="fk_revisions_sop_id_sops"),
        sa.PrimaryKeyConstraint("id", name="pk_revisions"),
        sa.UniqueConstraint("sop_id", "number", name="uq_revisions_sop_id_number"),
    )
    op.create_index("ix_revisions_sop_id", "revisions", ["sop_id"])
    # sops -> revisions closes a cycle, so this key is added once both tables exist.
    with op.batch_alter_table("sops") as batch:
        batch.create_foreign_key(
            "fk_sops_current_revision", "revisions", ["current_revision_id"], ["id"]
        )
    op.create_table(
        "steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("role", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name="fk_steps_revision_id_revisions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_steps"),
        sa.UniqueConstraint("revision_id", "number", name="uq_steps_revision_id_number"),
    )
    op.create_index("ix_steps_revision_id", "steps", ["revision_id"])
    op.create_table(
        "quiz_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("step_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name="fk_quiz_questions_revision_id_revisions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quiz_questions"),
        sa.UniqueConstraint("revision_id", "number", name="uq_quiz_questions_revision_id_number"),
    )
    op.create_index("ix_quiz_questions_revision_id", "quiz_questions", ["revision_id"])


def downgrade() -> None:
    op.drop_table("quiz_questions")
    op.drop_table("steps")
    with op.batch_alter_table("sops") as batch:
        batch.drop_constraint("fk_sops_current_revision", type_="foreignkey")
    op.drop_table("revisions")
    op.drop_table("sops")
    op.drop_table("workspaces")

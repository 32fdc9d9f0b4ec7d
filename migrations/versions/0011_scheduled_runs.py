"""scheduled_runs and team_digests: scheduled starts and managers channels' digests, each
claimed exactly once

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("scheduled_for", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=False),
        sa.Column("message_key", sa.String(200), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("taken_by", sa.String(32), nullable=True),
        sa.Column("taken_at", TS, nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("escalated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_scheduled_runs_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name="fk_scheduled_runs_sop_id_sops"),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name="fk_scheduled_runs_revision_id_revisions"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_scheduled_runs_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_runs"),
        sa.UniqueConstraint(
            "sop_id",
            "channel",
            "scheduled_for",
            name="uq_scheduled_runs_sop_id_channel_scheduled_for",
        ),
    )
    op.create_index(
        "ix_scheduled_runs_workspace_id_scheduled_for",
        "scheduled_runs",
        ["workspace_id", "scheduled_for"],
    )

    op.create_table(
        "team_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=False),
        sa.Column("message_key", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_team_digests_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_team_digests"),
        sa.UniqueConstraint(
            "workspace_id", "channel_id", "day", name="uq_team_digests_workspace_id_channel_id_day"
        ),
    )


def downgrade() -> None:
    op.drop_table("team_digests")
    op.drop_index("ix_scheduled_runs_workspace_id_scheduled_for", table_name="scheduled_runs")
    op.drop_table("scheduled_runs")

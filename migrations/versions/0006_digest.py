"""daily digest claims, KPI rollups and the indexes the digest's queries use

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=False),
        sa.Column("message_key", sa.String(200), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("chart", JSON, nullable=True),
        sa.Column("chart_state", sa.String(16), nullable=False),
        sa.Column("chart_attempts", sa.Integer(), nullable=False),
        sa.Column("chart_lease_owner", sa.String(100), nullable=True),
        sa.Column("chart_lease_expires_at", TS, nullable=True),
        sa.Column("chart_file_id", sa.String(32), nullable=True),
        sa.Column("chart_upload_url", sa.String(500), nullable=True),
        sa.Column("chart_uploaded_at", TS, nullable=True),
        sa.Column("chart_error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_digests_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        sa.UniqueConstraint("workspace_id", "day", name="uq_digests_workspace_id_day"),
    )
    op.create_table(
        "kpi_rollup_days",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("built_at", TS, nullable=False),
        sa.Column("open_runs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_kpi_rollup_days_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("workspace_id", "tz", "day", name="pk_kpi_rollup_days"),
    )
    op.create_table(
        "kpi_rollups",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sop", sa.String(100), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("lists", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_kpi_rollups_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_kpi_rollups"),
        sa.UniqueConstraint(
            "workspace_id", "tz", "day", "sop", name="uq_kpi_rollups_workspace_id_tz_day_sop"
        ),
    )
    op.create_index("ix_events_workspace_id_kind_at", "events", ["workspace_id", "kind", "at"])
    op.create_index("ix_runs_finished_at", "runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_finished_at", table_name="runs")
    op.drop_index("ix_events_workspace_id_kind_at", table_name="events")
    op.drop_table("kpi_rollups")
    op.drop_table("kpi_rollup_days")
    op.drop_table("digests")

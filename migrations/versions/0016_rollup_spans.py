"""kpi_spans and kpi_span_rollups: whole windows of daily rollups summed per SOP;
kpi_rollup_days.revision: counted up whenever a day's rollups are written;
kpi_rollup_days.settled_open: the runs open when today's settled part was built

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

No data moves: existing days start at revision 0 and the hourly rollup job sums the spans
on its next pass (until then readers read the days, as before); a settled part built before
has no open runs kept, so its open runs are read from the runs table, as before. Downgrading drops the spans,
which the days they were summed from still hold.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column]:
    return [
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("first", sa.Date(), nullable=False),
        sa.Column("last", sa.Date(), nullable=False),
    ]


def _workspace_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=f"fk_{table}_workspace_id_workspaces"
    )


def upgrade() -> None:
    with op.batch_alter_table("kpi_rollup_days") as table:
        table.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("settled_open", sa.JSON(), nullable=True))
    op.create_table(
        "kpi_spans",
        *_columns(),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revisions", sa.JSON(), nullable=False),
        _workspace_key("kpi_spans"),
        sa.PrimaryKeyConstraint("workspace_id", "tz", "first", "last", name="pk_kpi_spans"),
    )
    op.create_table(
        "kpi_span_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        *_columns(),
        sa.Column("sop", sa.String(100), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        _workspace_key("kpi_span_rollups"),
        sa.PrimaryKeyConstraint("id", name="pk_kpi_span_rollups"),
        sa.UniqueConstraint(
            "workspace_id", "tz", "first", "last", "sop",
            name="uq_kpi_span_rollups_workspace_id_tz_first_last_sop",
        ),  # fmt: skip
    )


def downgrade() -> None:
    op.drop_table("kpi_span_rollups")
    op.drop_table("kpi_spans")
    with op.batch_alter_table("kpi_rollup_days") as table:
        table.drop_column("settled_open")
        table.drop_column("revision")

"""cast: who plays each role of an SOP, and who took each step of a run

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cast_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_cast_members_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name="fk_cast_members_sop_id_sops"),
        sa.PrimaryKeyConstraint("id", name="pk_cast_members"),
        sa.UniqueConstraint(
            "sop_id", "role", "user_id", name="uq_cast_members_sop_id_role_user_id"
        ),
    )
    with op.batch_alter_table("run_steps") as batch:
        batch.add_column(sa.Column("role", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("assignee_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_steps") as batch:
        batch.drop_column("taken_at")
        batch.drop_column("assignee_id")
        batch.drop_column("role")
    op.drop_table("cast_members")

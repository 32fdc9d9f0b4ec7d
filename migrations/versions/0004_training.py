"""training assignments, quiz attempts and answers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tz", sa.String(64), nullable=True),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("last_reminded_at", TS, nullable=True),
        sa.Column("overdue_at", TS, nullable=True),
        sa.Column("owner_notified_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("passed_at", TS, nullable=True),
        sa.Column("superseded_at", TS, nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("dm_channel", sa.String(32), nullable=True),
        sa.Column("dm_ts", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_assignments_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name="fk_assignments_sop_id_sops"),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name="fk_assignments_revision_id_revisions"
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["revisions.id"],
            name="fk_assignments_superseded_by_id_revisions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assignments"),
        sa.UniqueConstraint("revision_id", "user_id", name="uq_assignments_revision_id_user_id"),
    )
    op.create_index("ix_assignments_sop_id", "assignments", ["sop_id"])
    op.create_index("ix_assignments_user_id_status", "assignments", ["user_id", "status"])
    op.create_index("ix_assignments_status_assigned_at", "assignments", ["status", "assigned_at"])
    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name="fk_quiz_attempts_assignment_id_assignments",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quiz_attempts"),
        sa.UniqueConstraint(
            "assignment_id", "number", name="uq_quiz_attempts_assignment_id_number"
        ),
    )
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("chosen", JSON, nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["quiz_attempts.id"], name="fk_quiz_answers_attempt_id_quiz_attempts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quiz_answers"),
        sa.UniqueConstraint("attempt_id", "position", name="uq_quiz_answers_attempt_id_position"),
    )


def downgrade() -> None:
    op.drop_table("quiz_answers")
    op.drop_table("quiz_attempts")
    op.drop_index("ix_assignments_status_assigned_at", table_name="assignments")
    op.drop_index("ix_assignments_user_id_status", table_name="assignments")
    op.drop_index("ix_assignments_sop_id", table_name="assignments")
    op.drop_table("assignments")

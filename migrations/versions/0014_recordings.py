"""recordings: `/sop record` threads and the steps posted in them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slug", sa.String(100), nullable=True),
        sa.Column("published_revision_id", sa.Integer(), nullable=True),
        sa.Column("file_written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("told", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_recordings_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(
            ["published_revision_id"],
            ["revisions.id"],
            name="fk_recordings_published_revision_id_revisions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sa.UniqueConstraint("channel_id", "thread_ts", name="uq_recordings_channel_id_thread_ts"),
    )
    op.create_table(
        "recording_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name="fk_recording_steps_recording_id_recordings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recording_steps"),
        sa.UniqueConstraint(
            "recording_id", "message_ts", name="uq_recording_steps_recording_id_message_ts"
        ),
    )


def downgrade() -> None:
    op.drop_table("recording_steps")
    op.drop_table("recordings")

"""kpi_rollups: time histograms instead of per-run lists, step times keyed by expected time;
kpi_rollup_days.settled_until for today's settled part; kpi_people numbers people

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-05

Rollups are converted, not dropped: once a day is past RETENTION_DAYS its lookups are gone
from the raw records, so its rollups are the only copy. Every run time and step time becomes
its histogram bucket (bot/core/kpis/histogram.py), which is exactly what building the day
again would store; old rollups knew no expected step times, so their steps get 0 ("none").
People already stored stay user IDs (readers take both); new rollups store person numbers.
On PostgreSQL the rollups' columns become json instead of jsonb (read whole, never queried
inside; jsonb is re-serialised on every read). Open runs' start times are stored as microseconds since 1970 from now on (old rows are read
as they are). Downgrading writes each bucket's middle value back as that many list entries,
numbers back as the user IDs they stand for and start times back as ISO datetimes.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from bot.core.kpis.histogram import histogram, value

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
ROLLUPS = sa.table(
    "kpi_rollups", sa.column("id", sa.BigInteger()), sa.column("counts", JSON),
    sa.column("lists", JSON),
)  # fmt: skip
PEOPLE = sa.table("kpi_people", sa.column("id", sa.BigInteger()), sa.column("user_id"))
BATCH = 1000


def _stored(seconds: list[float]) -> list[list[int]]:
    return histogram(seconds).to_json()  # [buckets, count in each], as bot/db/rollups.py stores


def _expanded(stored: list[list[int]]) -> list[float]:
    buckets, counts = stored or ([], [])
    return [value(b) for b, n in zip(buckets, counts, strict=True) for _ in range(n)]


def _to_histograms(lists: dict) -> dict:
    steps = lists.get("step_seconds", [])
    if steps and len(steps[0]) == 3:
        return lists  # converted already
    return {
        **lists,
        "durations": _stored(lists.get("durations", [])),
        "step_seconds": [[step, 0, _stored(seconds)] for step, seconds in steps],
    }


def _to_lists(lists: dict) -> dict:
    merged: dict[int, list[float]] = {}
    for step, _, stored in lists.get("step_seconds", []):
        merged.setdefault(step, []).extend(_expanded(stored))
    return {
        **lists,
        "durations": sorted(_expanded(lists.get("durations"))),
        "step_seconds": [[step, sorted(seconds)] for step, seconds in sorted(merged.items())],
    }


def _named(counts: dict, names: dict[int, str]) -> dict:
    bits = int(counts.get("people_bits", "0"), 16)
    numbers = set(counts.get("people_numbers", ())) | {
        n for n in range(bits.bit_length()) if bits >> n & 1
    }
    people = sorted(set(counts.get("people", ())) | {names[n] for n in numbers})
    new = ("people_numbers", "people_bits", "open_started")
    kept = {k: v for k, v in counts.items() if k not in new}
    if "open_started" in counts:  # microseconds since 1970 back to ISO datetimes
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        kept["open_started_at"] = [
            (epoch + timedelta(microseconds=m)).isoformat() for m in counts["open_started"]
        ]
    return {**kept, "people": people}


def _rewrite(convert, people=None) -> None:
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(ROLLUPS.c.id, ROLLUPS.c.counts, ROLLUPS.c.lists)
            .where(ROLLUPS.c.id > last)
            .order_by(ROLLUPS.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row_id, counts, lists in rows:
            counts = _named(counts, people) if people is not None else counts
            conn.execute(
                ROLLUPS.update()
                .where(ROLLUPS.c.id == row_id)
                .values(counts=counts, lists=convert(lists))
            )
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("kpi_rollup_days") as table:
        table.add_column(sa.Column("settled_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "kpi_people",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_kpi_people_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_kpi_people"),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_kpi_people_workspace_id_user_id"),
    )
    _rewrite(_to_histograms)
    _rollups_as("json")


def _rollups_as(kind: str) -> None:
    # PostgreSQL: json (stored as text, returned as is) instead of jsonb, re-serialised per read.
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in ("counts", "lists"):
        op.alter_column(
            "kpi_rollups",
            column,
            type_=sa.JSON() if kind == "json" else JSONB(),
            postgresql_using=f"{column}::{kind}",
        )


def downgrade() -> None:
    _rollups_as("jsonb")
    # Older code would take today's settled part for a whole day: drop it (today is read raw).
    days = sa.table("kpi_rollup_days", sa.column("workspace_id"), sa.column("tz"),
                    sa.column("day"), sa.column("settled_until"))  # fmt: skip
    partial = sa.select(days.c.workspace_id, days.c.tz, days.c.day).where(
        days.c.settled_until.is_not(None)
    )
    rollups = sa.table("kpi_rollups", sa.column("workspace_id"), sa.column("tz"), sa.column("day"))
    op.execute(
        rollups.delete().where(
            sa.tuple_(rollups.c.workspace_id, rollups.c.tz, rollups.c.day).in_(partial)
        )
    )
    op.execute(days.delete().where(days.c.settled_until.is_not(None)))
    with op.batch_alter_table("kpi_rollup_days") as table:
        table.drop_column("settled_until")
    rows = op.get_bind().execute(sa.select(PEOPLE.c.id, PEOPLE.c.user_id)).all()
    names = {number: user for number, user in rows}
    _rewrite(_to_lists, names)
    op.drop_table("kpi_people")

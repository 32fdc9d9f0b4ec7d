"""Alembic environment: runs on the connection sopbot hands it, or on DATABASE_URL."""

from alembic import context

from bot.config import Settings
from bot.db.schema import Base
from bot.db.session import make_engine

target_metadata = Base.metadata


def run_migrations() -> None:
    """Migrate through the given connection, or one opened from the same settings as the bot."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `sopbot db upgrade`")
run_migrations()

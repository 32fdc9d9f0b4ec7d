"""The Alembic migration chain; installed as the package bot._migrations."""

"""Alembic migrations, run from Python (`takepoint migrate`), named by date."""

"""Alembic migrations of the ledger; ``Store.migrate()`` runs them."""

"""The PostgreSQL store (needs the ``postgres`` extra: psycopg, psycopg_pool, pgvector)."""

# First: without the extra, this import raises NotConfiguredError ("pip install
# 'asem[postgres]'"), not an ImportError from deep inside the store.
from asem.stores.postgres import connection  # noqa: F401
from asem.stores.postgres.store import PostgresStore

__all__ = ["PostgresStore"]

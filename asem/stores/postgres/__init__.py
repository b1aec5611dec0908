"""The PostgreSQL store (needs the ``postgres`` extra: psycopg, psycopg_pool, pgvector)."""

from asem.stores.postgres.store import PostgresStore

__all__ = ["PostgresStore"]

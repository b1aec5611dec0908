"""The ASEM server: one FastAPI app whose routers are thin adapters over ``Memory``.

>>> from asem.providers import HashEmbedder
>>> from fastapi.testclient import TestClient
>>> memory = Memory(":memory:", embedder=HashEmbedder())
>>> client = TestClient(create_app(ServerState(memory, keys=None)))
>>> client.get("/healthz").json()
{'status': 'ok'}
"""

from __future__ import annotations

from fastapi import FastAPI

from asem import __version__
from asem.memory import Memory  # noqa: F401  (for the doctest)
from asem.server import mem0
from asem.server.errors import install_error_handlers
from asem.server.mcp import mount_mcp
from asem.server.state import ServerState


def create_app(state: ServerState) -> FastAPI:
    """An app serving ``state.memory``; every route but the health checks needs a key."""
    app = FastAPI(title="ASEM", version=__version__,
                  description="A self-evolving long-term memory for LLM agents.")
    app.state.asem = state
    install_error_handlers(app)
    app.include_router(mem0.router)
    mount_mcp(app, state)  # MCP over streamable HTTP at /mcp

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    return app

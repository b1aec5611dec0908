"""The ASEM server: one FastAPI app whose routers are thin adapters over ``Memory``.

>>> from asem.providers import HashEmbedder
>>> from fastapi.testclient import TestClient
>>> memory = Memory(":memory:", embedder=HashEmbedder())
>>> client = TestClient(create_app(ServerState(memory, keys=None)))
>>> client.get("/healthz").json()
{'status': 'ok'}
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from asem import __version__
from asem.errors import ASEMError
from asem.memory import Memory  # noqa: F401  (for the doctest)
from asem.server import console, mem0, rest
from asem.server.errors import error_body, install_error_handlers, log
from asem.server.limits import BodyLimit
from asem.server.mcp import mount_mcp
from asem.server.state import ServerState


def create_app(state: ServerState) -> FastAPI:
    """An app serving ``state.memory``; every route but the health checks and the console's
    page (whose data come from the API with the person's key) needs a key."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # Shutdown: uvicorn has let every in-flight request finish; now the file is closed.
        if state.close_memory:
            state.memory.close()

    app = FastAPI(title="ASEM", version=__version__, lifespan=lifespan,
                  description="A self-evolving long-term memory for LLM agents.")
    app.state.asem = state
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=state.max_body_bytes)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "Store unusable."}})
    def readyz() -> JSONResponse:
        """The store answers a lookup (503 when the database cannot be read)."""
        try:
            state.memory.store.get_notes(["readyz"])
        except ASEMError as e:
            log.warning("not ready: %s", e)
            return JSONResponse(error_body("not_ready", str(e)), status_code=503)
        return JSONResponse({"status": "ready"})

    # Routers: one line each.
    app.include_router(rest.router)
    app.include_router(mem0.router)
    app.include_router(console.router)  # the web console at /
    mount_mcp(app, state)  # MCP over streamable HTTP at /mcp
    return app

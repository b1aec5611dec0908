"""What every route of one server shares, and the FastAPI dependencies that hand it out."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Header, Request

from asem.memory import Memory
from asem.server.auth import KeyRing, Principal, authenticate


@dataclass
class ServerState:
    """One server's memory and keys. ``keys=None`` serves without auth (``--no-auth``)."""

    memory: Memory
    keys: KeyRing | None
    max_body_bytes: int = 1_000_000
    """Request bodies over this many bytes are refused (413) before they are read whole."""
    close_memory: bool = True
    """Close the memory when the app shuts down (after in-flight requests finish)."""


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.asem
    return state


def memory_of(request: Request) -> Memory:
    """FastAPI dependency: the memory this server serves."""
    return server_state(request).memory


def principal(request: Request, authorization: str | None = Header(default=None)) -> Principal:
    """FastAPI dependency: the caller, from its Authorization header (401 without a valid
    key). Use ``Principal.tenant(user_id)`` for the tenant a request acts for."""
    return authenticate(authorization, server_state(request).keys)

"""What the server tests share: an app over a HashEmbedder memory with a key per role."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from asem import Memory
from asem.server.app import create_app
from asem.server.keys import StoreKeyRing
from asem.server.state import ServerState


@dataclass
class Served:
    memory: Memory
    client: TestClient
    ring: StoreKeyRing
    keys: dict[str, str]
    """role → raw key: alice, bob, admin, revoked (alice's, revoked)."""

    def headers(self, role: str | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Token {self.keys[role]}"}

    def call(self, method: str, path: str, role: str | None = "alice", **kwargs):
        return self.client.request(method, path, headers=self.headers(role)
                                   | kwargs.pop("headers", {}), **kwargs)


def serve(memory: Memory, **state) -> Served:
    ring = StoreKeyRing(memory.store)
    keys = {"alice": ring.create(user_id="alice")[1], "bob": ring.create(user_id="bob")[1],
            "admin": ring.create(admin=True)[1]}
    revoked, keys["revoked"] = ring.create(user_id="alice", name="old")
    ring.revoke(revoked.id)
    app = create_app(ServerState(memory, ring, close_memory=False, **state))
    return Served(memory, TestClient(app, raise_server_exceptions=False), ring, keys)

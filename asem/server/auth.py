"""Who is calling: API keys bound to tenants, and the tenant a request may act for.

A key grants exactly one tenant (its ``user_id``); an admin key may act for any tenant but
must name it. ``Principal.tenant`` is the one place a request's tenant is decided, so no
route can forget the check.

>>> Principal("alice").tenant(None)
'alice'
>>> Principal("alice").tenant("bob")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
asem.errors.ForbiddenError: this key belongs to another tenant; use a key of user 'bob' ...
>>> Principal(None, admin=True).tenant("bob")
'bob'
>>> LOCAL.tenant(None)
Traceback (most recent call last):
...
asem.errors.ScopeError: this server runs without keys (--no-auth): name the user with user_id
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from asem.errors import ForbiddenError, ScopeError, UnauthenticatedError


@dataclass(frozen=True)
class Principal:
    """The caller a key stands for."""

    user_id: str | None
    """The tenant the key is bound to; None for an admin key."""
    admin: bool = False
    key_id: str | None = None
    """The key's public id (never the secret), for logs and ``asem keys list``."""

    def tenant(self, requested: str | None) -> str:
        """The tenant this request acts for: the key's own, or ``requested`` when the key
        may act for it. Raises ForbiddenError for another tenant's id, ScopeError when an
        admin key names none."""
        if self.admin:
            if not requested:
                who = ("this server runs without keys (--no-auth)"
                       if self.key_id == LOCAL.key_id else "an admin key acts for any tenant")
                raise ScopeError(f"{who}: name the user with user_id")
            return requested
        assert self.user_id is not None
        if requested and requested != self.user_id:
            raise ForbiddenError(f"this key belongs to another tenant; use a key of user "
                                 f"{requested!r} or an admin key")
        return self.user_id


class KeyRing(Protocol):
    """Looks up the principal of a raw key (as sent by a client)."""

    def principal(self, raw_key: str) -> Principal | None:
        """The key's principal, or None for an unknown or revoked key."""
        ...


LOCAL = Principal(None, admin=True, key_id="no-auth")
"""The caller of a server started with ``--no-auth`` (loopback only): any tenant, named."""


def key_from_header(authorization: str | None) -> str:
    """The raw key of an ``Authorization: Token <key>`` (mem0's form) or ``Bearer <key>``
    header. Raises UnauthenticatedError when there is none."""
    if not authorization or not authorization.strip():
        raise UnauthenticatedError("no API key: send 'Authorization: Token <key>' "
                                   "(create one with `asem keys create --user ID`)")
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not key.strip():
        raise UnauthenticatedError("malformed Authorization header: send 'Token <key>' "
                                   "or 'Bearer <key>'")
    return key.strip()


def authenticate(authorization: str | None, keys: KeyRing | None) -> Principal:
    """The principal of a request's Authorization header; ``keys=None`` is ``--no-auth``."""
    if keys is None:
        return LOCAL
    found = keys.principal(key_from_header(authorization))
    if found is None:
        raise UnauthenticatedError("unknown or revoked API key; create one with "
                                   "`asem keys create --user ID`")
    return found

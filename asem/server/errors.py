"""Every error a client sees is JSON: ``{"code": ..., "message": ...}`` with a stable code
and a message that says what to do. Never a traceback, never a 500 for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from asem.errors import (
    ASEMError,
    ForbiddenError,
    InvalidInputError,
    NotConfiguredError,
    NotFoundError,
    ScopeError,
    StoreFullError,
    StoreLockedError,
    StoreUnreachableError,
    UnauthenticatedError,
    WriteConflictError,
)

log = logging.getLogger("asem.server")

STATUS: tuple[tuple[type[ASEMError], int, str], ...] = (
    (UnauthenticatedError, 401, "unauthenticated"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (NotConfiguredError, 409, "not_configured"),
    (ScopeError, 422, "scope_required"),
    (InvalidInputError, 422, "invalid_input"),
    (StoreLockedError, 503, "store_busy"),
    (StoreUnreachableError, 503, "store_unreachable"),
    (StoreFullError, 507, "store_full"),
    (WriteConflictError, 409, "write_conflict"),
)
"""The first row whose class matches decides the status; anything else is a 500."""


def error_body(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def status_of(error: ASEMError) -> tuple[int, str]:
    for kind, status, code in STATUS:
        if isinstance(error, kind):
            return status, code
    return 500, "internal"


def install_error_handlers(app: FastAPI) -> None:
    """Map ASEM errors, validation errors and HTTP errors onto the JSON error body."""

    @app.exception_handler(ASEMError)
    async def asem_error(request: Request, error: ASEMError) -> JSONResponse:
        status, code = status_of(error)
        if status >= 500:
            log.error("request failed: %s", error, exc_info=error)
        headers = ({"WWW-Authenticate": "Token"} if status == 401
                   else {"Retry-After": "1"} if error.retryable else None)
        return JSONResponse(error_body(code, str(error)), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in error.errors())
        return JSONResponse(error_body("invalid_input", problems or "invalid request"),
                            status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            error.status_code, "http_error")
        return JSONResponse(error_body(code, str(error.detail)),
                            status_code=error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=error)
        return JSONResponse(error_body("internal", "internal error; the server log has "
                                       "the details"), status_code=500)

"""The native REST API under ``/v1``: thin routes over ``Memory``.

Every route takes a key (``state.principal``) and decides its tenant with
``Principal.tenant``; bodies are the pydantic models of ``models``.
"""

from fastapi import APIRouter

from asem.server.rest import lifecycle, notes, overview, read, tenants

router = APIRouter(prefix="/v1")
router.include_router(notes.router)
router.include_router(read.router)
router.include_router(overview.router)
router.include_router(tenants.router)
router.include_router(lifecycle.router)

__all__ = ["router"]

"""Module 9: GET /api/audit-logs/ with filters and keyset pagination."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Allowed, SessionDep
from services import auditoria

router = APIRouter(prefix="/api/audit-logs", tags=["usuarios"])


@router.get("/")
def listar(session: SessionDep, _: Allowed("auditoria", "ver"),
           filtro: Annotated[auditoria.FiltroAuditoria, Query()]) -> dict[str, Any]:
    return auditoria.listar(session, filtro)

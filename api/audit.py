"""Module 9: GET /api/audit-logs/ with filters, newest first."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.contrato import errores
from api.deps import Allowed, SessionDep
from core.schemas import Pagina, Paginacion, salida_de
from models.usuarios import AuditLog
from services import auditoria

router = APIRouter(prefix="/api/audit-logs", tags=["usuarios"])

AuditLogOut = salida_de(AuditLog, "AuditLogOut", doc="One audited change or business event (append-only).", ejemplo={
    "id": 812, "usuario_id": 1, "modulo": "usuarios", "accion": "update", "objeto_tipo": "usuarios",
    "objeto_id": "7", "datos_anteriores_json": {"nombre": "Luis"}, "datos_nuevos_json": {"nombre": "Luis Pérez"},
    "ip": "10.0.0.5", "user_agent": "Mozilla/5.0", "created_at": "2026-03-02T15:04:05Z"})


@router.get("/", response_model=Pagina[AuditLogOut], responses=errores(422))
def listar(session: SessionDep, _: Allowed("auditoria", "ver"),
           filtro: Annotated[auditoria.FiltroAuditoria, Query()],
           pagina: Annotated[Paginacion, Depends()]) -> Pagina[AuditLogOut]:
    return pagina.pagina(*auditoria.listar(session, filtro, pagina))

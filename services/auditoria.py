"""Reading the audit trail (`audit_logs` is append-only; nothing here writes)."""

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from core.db import paginar
from core.errors import UnprocessableError
from core.schemas import Id, Id8, Momento, Paginacion
from models.usuarios import AuditLog


class FiltroAuditoria(BaseModel):
    usuario_id: Id | None = None
    modulo: str | None = None
    accion: str | None = None
    objeto_tipo: str | None = None
    objeto_id: str | None = None
    desde: Momento | None = None
    hasta: Momento | None = None
    antes_de_id: Id8 | None = None  # only entries older than this one


def listar(session: Session, f: FiltroAuditoria, pagina: Paginacion) -> tuple[list[AuditLog], int]:
    if f.desde and f.hasta and f.hasta < f.desde:
        raise UnprocessableError("'hasta' es anterior a 'desde'", field="hasta")
    query = select(AuditLog).order_by(AuditLog.id.desc())
    for column, value in ((AuditLog.usuario_id, f.usuario_id), (AuditLog.modulo, f.modulo),
                          (AuditLog.accion, f.accion), (AuditLog.objeto_tipo, f.objeto_tipo),
                          (AuditLog.objeto_id, f.objeto_id)):
        if value is not None:
            query = query.where(column == value)
    if f.desde:
        query = query.where(AuditLog.created_at >= f.desde)
    if f.hasta:
        query = query.where(AuditLog.created_at <= f.hasta)
    if f.antes_de_id:
        query = query.where(AuditLog.id < f.antes_de_id)
    return paginar(session, query, pagina.limit, pagina.offset)

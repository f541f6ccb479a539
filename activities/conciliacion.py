"""Activities of the bank reconciliation workflow (idempotent)."""

from temporalio import activity

from core.db import session_scope
from services.finanzas import conciliacion
from workflows.entradas import ImportacionExtractoEntrada


@activity.defn(name="procesar_extracto")
def procesar_extracto(entrada: ImportacionExtractoEntrada) -> str:
    """Parse, store (batch commits) and match a stored statement; a file the parser refuses ends in ERROR."""
    with session_scope() as session:
        return conciliacion.procesar_importacion(session, entrada.importacion_id)


ACTIVITIES = [procesar_extracto]

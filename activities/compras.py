"""Activities of module 5's workflows (each idempotent)."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.db import session_scope
from core.errors import DomainError
from integrations.mail.client import send_mail
from services.compras import ordenes, recepciones
from workflows.entradas import DecisionOrdenCompra, IncidenciasRecepcion, RecordatorioAprobacion
from workflows.notas_venta import DOMAIN_ERROR


@activity.defn(name="decidir_orden_compra")
def decidir_orden_compra(d: DecisionOrdenCompra) -> str:
    """Business refusals (the OC is no longer pending) are final and keep their status and body."""
    try:
        with session_scope() as session:
            return ordenes.decidir(session, d)
    except DomainError as exc:
        raise ApplicationError(exc.message, exc.status, exc.body(), type=DOMAIN_ERROR, non_retryable=True) from exc


@activity.defn(name="recordar_aprobacion")
def recordar_aprobacion(r: RecordatorioAprobacion) -> int:
    """Notification (deduplicated per OC, tier and day) and one e-mail to the tier's approvers."""
    with session_scope() as session:
        recordatorio = ordenes.recordar(session, r.orden_id, r.nivel, r.escalado)
    if recordatorio.notificacion_id is None:
        return 0
    if recordatorio.destinatarios:
        send_mail(recordatorio.destinatarios, recordatorio.asunto, recordatorio.cuerpo)
    with session_scope() as session:
        ordenes.marcar_notificada(session, recordatorio.notificacion_id)
    return len(recordatorio.destinatarios)


@activity.defn(name="notificar_incidencias")
def notificar_incidencias(entrada: IncidenciasRecepcion) -> int:
    """One e-mail to the supplier with the reception's incidents not yet notified, then marked
    `notificado_proveedor` (a retry after a lost mark may resend; nothing is marked unsent)."""
    with session_scope() as session:
        para, asunto, cuerpo, ids = recepciones.correo_incidencias(session, entrada.recepcion_id)
    if not ids:
        return 0
    if para:
        send_mail(para, asunto, cuerpo)
    with session_scope() as session:
        recepciones.marcar_notificadas(session, ids)
    return len(ids)


ACTIVITIES = [decidir_orden_compra, recordar_aprobacion, notificar_incidencias]

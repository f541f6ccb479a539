"""Activities of module 5's workflows (each idempotent)."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.db import session_scope
from core.errors import DomainError
from integrations.mail.client import send_mail
from services.compras import ordenes
from workflows.entradas import DecisionOrdenCompra, RecordatorioAprobacion
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


ACTIVITIES = [decidir_orden_compra, recordar_aprobacion]

"""Activities of module 5's workflows (each idempotent)."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import mail_then_mark
from core.db import session_scope
from core.temporal import domain_errors_are_final, heartbeating
from integrations.sunat import consulta
from services.compras import niveles, ordenes, planificacion, recepciones, sunat
from workflows.entradas import (
    DecisionOrdenCompra,
    IncidenciasRecepcion,
    NivelesAprobacion,
    RecordatorioAprobacion,
    ValidacionFactura,
)

CREDENCIALES_RECHAZADAS = "CredencialesRechazadas"


@activity.defn(name="decidir_orden_compra")
def decidir_orden_compra(d: DecisionOrdenCompra) -> str:
    """Business refusals (the OC is no longer pending) are final and keep their status and body."""
    with domain_errors_are_final(), session_scope() as session:
        return ordenes.decidir(session, d)


@activity.defn(name="niveles_aprobacion_compra")
def niveles_aprobacion_compra() -> NivelesAprobacion:
    """The approval tiers as configured now: the snapshot an approval run holds its approvers to."""
    with session_scope() as session:
        tabla = niveles.niveles(session)
        session.commit()  # the defaults, when written on first use
        return NivelesAprobacion(tabla)


@activity.defn(name="recordar_aprobacion")
def recordar_aprobacion(r: RecordatorioAprobacion) -> int:
    """Notification (deduplicated per OC, tier and day) and one e-mail to the tier's approvers."""
    with session_scope() as session:
        recordatorio = ordenes.recordar(session, r.orden_id, r.nivel, r.escalado)
    if recordatorio.notificacion_id is None:
        return 0
    mail_then_mark(recordatorio.destinatarios, recordatorio.asunto, recordatorio.cuerpo,
                   lambda session: ordenes.marcar_notificada(session, recordatorio.notificacion_id))
    return len(recordatorio.destinatarios)


@activity.defn(name="notificar_incidencias")
def notificar_incidencias(entrada: IncidenciasRecepcion) -> int:
    """One e-mail to the supplier with the reception's incidents not yet notified, then marked
    `notificado_proveedor` (a retry after a lost mark may resend; nothing is marked unsent)."""
    with session_scope() as session:
        para, asunto, cuerpo, ids = recepciones.correo_incidencias(session, entrada.recepcion_id)
    if not ids:
        return 0
    mail_then_mark(para, asunto, cuerpo, lambda session: recepciones.marcar_notificadas(session, ids))
    return len(ids)


@activity.defn(name="validar_factura_sunat")
@heartbeating
def validar_factura_sunat(entrada: ValidacionFactura) -> str:
    """SUNAT down / 429 / timeouts raise and are retried; rejected credentials and missing configuration are
    final for this run."""
    try:
        with domain_errors_are_final():
            return sunat.consultar(entrada.factura_id)
    except consulta.CredencialesRechazadas as exc:
        raise ApplicationError(str(exc), type=CREDENCIALES_RECHAZADAS, non_retryable=True) from exc


@activity.defn(name="generar_propuestas_compra")
def generar_propuestas_compra() -> list[int]:
    """Idempotent per day (the proposals' unique key)."""
    with session_scope() as session:
        return planificacion.generar_propuestas(session)


@activity.defn(name="evaluar_proveedores")
def evaluar_proveedores() -> list[int]:
    """Idempotent per quarter (re-running replaces the quarter's scores)."""
    with session_scope() as session:
        return planificacion.evaluar_proveedores(session)


ACTIVITIES = [decidir_orden_compra, niveles_aprobacion_compra, recordar_aprobacion, notificar_incidencias,
              validar_factura_sunat, generar_propuestas_compra, evaluar_proveedores]

"""Activities of module 2's workflows (each idempotent)."""

from temporalio import activity

from activities import mail_then_mark
from core.db import session_scope
from services import inventario, transferencias
from workflows.entradas import EnvioAlertas, RecordatorioTransferencia


@activity.defn(name="crear_particiones_movimientos")
def crear_particiones_movimientos() -> int:
    with session_scope() as session:
        return inventario.crear_particiones(session)


@activity.defn(name="generar_alertas_inventario")
def generar_alertas_inventario() -> list[int]:
    """Notifications deduplicated per item and day; returns those not yet e-mailed."""
    with session_scope() as session:
        return inventario.generar_alertas(session)


@activity.defn(name="enviar_alertas_inventario")
def enviar_alertas_inventario(envio: EnvioAlertas) -> int:
    """One e-mail with every pending alert, then marked as sent (a retry after a lost mark may resend)."""
    ids = envio.notificaciones
    with session_scope() as session:
        destinatarios = inventario.destinatarios_alertas(session)
        asunto, cuerpo = inventario.resumen_alertas(session, ids)
    mail_then_mark(destinatarios, asunto, cuerpo, lambda session: inventario.marcar_enviadas(session, ids))
    return len(destinatarios)


@activity.defn(name="recordar_transferencia")
def recordar_transferencia(entrada: RecordatorioTransferencia) -> bool:
    with session_scope() as session:
        return transferencias.recordar(session, entrada.transferencia_id)


ACTIVITIES = [crear_particiones_movimientos, generar_alertas_inventario, enviar_alertas_inventario,
              recordar_transferencia]

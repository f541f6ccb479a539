"""Voiding (baja) an accepted GRE remitente whose order leaves the route before the goods move.

SUNAT offers no web service for it: the GRE REST API only receives guías and answers tickets, and the
comunicación de baja (RA) covers facturas and notas, not guías (giansalex/lycet#620; SUNAT's help desk, as
reported in thegreenter/demo#116: "solo se puede hacer por la página web de la SUNAT"). The sender voids it in
SUNAT Operaciones en Línea (SOL) while the transport has not started (odoo/documentation#7598 summarises
SUNAT's conditions: not started, or a change of recipient). So the ERP does what a dispatcher needs: the guía
goes BAJA_PENDIENTE in the same transaction that takes the order off the route, the dispatcher is told the
exact steps, confirms once done (ANULADA), and its number is never reused (series numbering only moves on)."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Session

from core.errors import Conflict, NotFound
from models.distribucion import AsignacionPedido, GuiaRemision
from services.notificaciones import notificar

PASOS_BAJA_SOL = (
    "Ingrese a SUNAT Operaciones en Línea (SOL) con el usuario de la empresa → Comprobantes de pago → "
    "SEE - SOL → Guía de Remisión Electrónica → Guía de Remisión Remitente → Dar de baja; indique la serie y "
    "el número {serie}-{numero} y el motivo. Solo procede si el traslado no se inició. Luego confirme la baja "
    "en el ERP (POST /api/guias-remision/{id}/baja/confirmar/). El número no se vuelve a usar.")


def pedir_baja(session: Session, asignacion: AsignacionPedido, motivo: str) -> GuiaRemision | None:
    """The assignment's accepted guía (if any) goes BAJA_PENDIENTE and the dispatcher is told the steps; in the
    caller's transaction. A guía still at SUNAT is caught when its answer arrives (gre.registrar_respuesta)."""
    guia = session.execute(select(GuiaRemision).where(GuiaRemision.asignacion_id == asignacion.id)
                           .order_by(GuiaRemision.id.desc()).limit(1).with_for_update()).scalar_one_or_none()
    if guia is None or guia.estado != "ACEPTADA":
        return None
    guia.estado, guia.motivo_baja = "BAJA_PENDIENTE", (motivo or "El pedido salió de la ruta")[:300]
    session.add(guia)
    notificar(session, "GRE_BAJA_PENDIENTE", "distribucion",
              f"Dar de baja la GRE {guia.serie}-{guia.numero} en SOL (PED-{guia.pedido_id})",
              f"{guia.motivo_baja}. " + PASOS_BAJA_SOL.format(serie=guia.serie, numero=guia.numero, id=guia.id),
              "pedidos", str(guia.pedido_id), f"GRE_BAJA:{guia.id}")
    return guia


def confirmar_baja(session: Session, guia_id: int) -> GuiaRemision:
    """The dispatcher voided the guía in SOL: ANULADA (one transaction)."""
    guia = session.execute(select(GuiaRemision).where(GuiaRemision.id == guia_id).with_for_update()
                           ).scalar_one_or_none()
    if guia is None:
        raise NotFound("Guía de remisión no encontrada")
    if guia.estado != "BAJA_PENDIENTE":
        raise Conflict(f"La guía {guia.serie}-{guia.numero} está {guia.estado}: solo se confirma la baja de una "
                       "guía BAJA_PENDIENTE (aceptada cuyo pedido salió de la ruta)", field="estado")
    guia.estado, guia.baja_confirmada_at = "ANULADA", datetime.now(UTC)
    session.add(guia)
    session.commit()
    return guia

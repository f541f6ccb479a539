"""A supplier invoice checked against SUNAT's consulta integrada: the evidence kept on the invoice, OBSERVADA
when the comprobante is not accepted/authorised or the supplier is not ACTIVO/HABIDO, and the audited override
by a user with permission. The HTTP call happens between two transactions (no row lock held meanwhile)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session

from core import audit
from core.db import session_scope
from core.errors import Conflict, ValidationError
from integrations.sunat import consulta
from integrations.sunat.consulta import Consulta, Resultado
from models.compras import FacturaProveedor
from models.configuracion import Configuracion
from services.compras import facturas, ordenes

VALIDOS_CP = ("1", "3")  # aceptado, autorizado
ACTIVO, HABIDO = "00", "00"
@dataclass(frozen=True)
class Pedido:
    ruc_consultante: str
    client_id: str
    client_secret: str
    consulta: Consulta


def pedido(session: Session, factura_id: int) -> Pedido:
    factura = facturas.obtener(session, factura_id)
    config = ordenes.configuracion(session)
    if not config.sunat_client_id or not config.sunat_client_secret:
        raise ValidationError("Configure las credenciales de la consulta integrada de SUNAT (client_id y "
                              "client_secret) en /api/compras/configuracion/", field="sunat_client_id")
    return Pedido(session.get(Configuracion, 1).ruc, config.sunat_client_id, config.sunat_client_secret,
                  Consulta(factura.ruc_proveedor, factura.tipo, factura.serie, factura.numero, factura.fecha_emision,
                           Decimal(factura.total)))


def consultar(factura_id: int) -> str:
    """Ask SUNAT about an invoice and keep the answer on it (two short transactions around the call); the
    invoice's resulting estado_sunat. Raises consulta.SunatNoDisponible / CredencialesRechazadas."""
    with session_scope() as session:
        p = pedido(session, factura_id)
    resultado = consulta.validar(p.ruc_consultante, p.client_id, p.client_secret, p.consulta)
    with session_scope() as session:
        return registrar_resultado(session, factura_id, resultado).estado_sunat


def registrar_resultado(session: Session, factura_id: int, r: Resultado) -> FacturaProveedor:
    factura = facturas.bloquear(session, factura_id)
    factura.sunat_estado_cp, factura.sunat_estado_ruc, factura.sunat_cond_domi_ruc = (
        r.estado_cp, r.estado_ruc, r.cond_domi_ruc)
    factura.sunat_observaciones, factura.sunat_consultado_at = r.observaciones, datetime.now(UTC)
    valida = r.estado_cp in VALIDOS_CP and r.estado_ruc == ACTIVO and r.cond_domi_ruc == HABIDO
    factura.estado_sunat = "VALIDA" if valida else "OBSERVADA"
    if not valida and factura.estado_pago != "PAGADA" and not factura.observacion_levantada:
        factura.estado = "OBSERVADA"  # neither reconciled nor paid until someone overrides it
    session.add(factura)
    audit.record(session, "compras", "validar_sunat", "facturas_proveedor", str(factura.id),
                 {"estadoCp": r.estado_cp, "estadoRuc": r.estado_ruc, "condDomiRuc": r.cond_domi_ruc,
                  "observaciones": r.observaciones})
    session.commit()
    return factura


def levantar_observacion(session: Session, factura_id: int, motivo: str) -> FacturaProveedor:
    """A user with `compras:levantar_observacion` accepts an invoice SUNAT observed, with a reason (audited):
    it goes back to REGISTRADA and must still be reconciled."""
    factura = facturas.bloquear(session, factura_id)
    if factura.estado != "OBSERVADA":
        raise Conflict(f"La factura está {factura.estado}: no tiene una observación que levantar", field="estado")
    factura.estado, factura.observacion_levantada = "REGISTRADA", motivo
    session.add(factura)
    audit.record(session, "compras", "levantar_observacion", "facturas_proveedor", str(factura.id),
                 {"motivo": motivo, "estadoCp": factura.sunat_estado_cp, "estadoRuc": factura.sunat_estado_ruc,
                  "condDomiRuc": factura.sunat_cond_domi_ruc})
    session.commit()
    return factura

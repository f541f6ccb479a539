"""How a factura is paid and what operation it is (issue 10): forma de pago and instalments, detracción (SPOT)
and exportación. Decided once, when the comprobante is registered (`services.facturacion._registrar`), stored on
it (+ `cuotas_comprobante`), and read back from the stored rows when its XML or PDF is built.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from core.db import insert_rows
from core.errors import FieldError, UnprocessableError, ValidationError
from integrations.sunat import catalogos as cat
from integrations.sunat import documento as doc
from integrations.sunat.totales import Totales, redondear
from models.facturacion import Comprobante, CuotaComprobante
from services import configuracion as configuracion_srv
from services import cuotas as cuotas_srv

DETRACCION_MONTO_MINIMO = Decimal("700.00")  # SPOT: operations over S/ 700 (PEN, at the document's rate)
# Catalog-54 codes whose SUNAT operation type needs data this ERP does not collect yet (1002 fishing vessel,
# 1003/1004 trip details and referential values): refused instead of written in a form SUNAT rejects.
DETRACCION_NO_SOPORTADA = {"004": "1002", "026": "1003", "027": "1004"}
OPERACION_VENTA_INTERNA, OPERACION_EXPORTACION, OPERACION_DETRACCION = "0101", "0200", "1001"


@dataclass
class DetraccionDatos:
    codigo: str  # catálogo 54
    porcentaje: Decimal | None = None  # None: the catalog's rate
    medio_pago: str = "001"  # catálogo 59


@dataclass
class Condiciones:
    """How a factura is paid and what kind of operation it is."""

    forma_pago: cuotas_srv.FormaPagoIn = "Contado"
    cuotas: list[cuotas_srv.CuotaIn] | None = None  # None with Crédito: one instalment at dias_credito
    dias_credito: int = 0
    pendiente: Decimal | None = None  # a credit sale: what is not paid at issue; None: the whole document
    detraccion: DetraccionDatos | None = None  # given: the operation is subject whatever the amount
    tipo_operacion: str | None = None  # catálogo 51; None: 0200 for a customer abroad, else 0101 (1001 derived)


def es_exportacion(tipo_operacion: str) -> bool:
    return tipo_operacion in cat.OPERACIONES_EXPORTACION


def operacion(tipo: str, tipo_documento: str, pais: str, condiciones: Condiciones) -> str:
    """Catálogo 51 before the amounts are known: export for a factura to a customer abroad."""
    if condiciones.tipo_operacion:
        return condiciones.tipo_operacion
    if tipo == cat.FACTURA and pais != "PE" and tipo_documento != cat.DOC_RUC:
        return OPERACION_EXPORTACION
    return OPERACION_VENTA_INTERNA


def errores_exportacion(tipo: str, tipo_documento: str, pais: str) -> list[FieldError]:
    if tipo == cat.BOLETA:
        return [FieldError("tipo_operacion", "La exportación se factura (tipo 01), no con boleta")]
    if pais == "PE":
        return [FieldError("cliente.pais", "Una exportación requiere un cliente del exterior (país distinto de PE)")]
    if tipo_documento in (cat.DOC_DNI, "-"):
        return [FieldError("cliente.tipo_documento", "Cliente del exterior: documento tipo 0, 4, 7 o A-G "
                                                     "(catálogo 06), o RUC")]
    return []


def _codigo_detraccion(codigos_lineas: list[str | None], condiciones: Condiciones) -> str | None:
    if condiciones.detraccion is not None:
        return condiciones.detraccion.codigo
    codigos = {codigo for codigo in codigos_lineas if codigo}
    if len(codigos) > 1:
        raise ValidationError(f"Una factura lleva un solo código de detracción; las líneas tienen "
                              f"{', '.join(sorted(codigos))}: emita una factura por código", field="lineas")
    return next(iter(codigos), None)


def detraccion(session: Session, tipo: str, borrador: doc.Comprobante, totales: Totales,
               codigos_lineas: list[str | None], condiciones: Condiciones) -> doc.Detraccion | None:
    """The SPOT data when the factura is subject: a catalog-54 good or service and an amount over S/ 700 (in PEN
    at the document's exchange rate), or a detracción the caller states (the code's own rule)."""
    forzada = condiciones.detraccion
    codigo = _codigo_detraccion(codigos_lineas, condiciones)
    if codigo is None or (tipo != cat.FACTURA and forzada is None):
        return None
    if tipo != cat.FACTURA:
        raise ValidationError("La detracción se informa en facturas", field="detraccion")
    if es_exportacion(borrador.tipo_operacion):
        raise ValidationError("Una exportación no está sujeta a detracción", field="detraccion")
    total_pen = redondear(totales.importe_total * (borrador.tipo_cambio or Decimal(1)))
    if forzada is None and total_pen <= DETRACCION_MONTO_MINIMO:
        return None
    campo = "detraccion.codigo" if forzada else "lineas"
    if codigo not in cat.CAT_54_BIEN_SERVICIO_DETRACCION:
        raise ValidationError("Código de detracción no válido (catálogo 54)", field=campo)
    if codigo in DETRACCION_NO_SOPORTADA:
        raise ValidationError(f"La detracción {codigo} va con tipo de operación {DETRACCION_NO_SOPORTADA[codigo]}, "
                              "cuyos datos adicionales aún no se registran", field=campo)
    medio = forzada.medio_pago if forzada else "001"
    if medio not in cat.CAT_59_MEDIO_PAGO:
        raise ValidationError("Medio de pago no válido (catálogo 59)", field="detraccion.medio_pago")
    cuenta = configuracion_srv.obtener(session).cuenta_detracciones
    if not cuenta:
        raise ValidationError("Operación sujeta a detracción: registre la cuenta de detracciones del Banco de la "
                              "Nación en la configuración (cuenta_detracciones)", field="detraccion")
    porcentaje = forzada.porcentaje if forzada and forzada.porcentaje is not None \
        else Decimal(cat.CAT_54_BIEN_SERVICIO_DETRACCION[codigo][1])
    return doc.Detraccion(codigo, porcentaje, cuenta, medio_pago=medio)


def plan_cuotas(tipo: str, fecha: date, totales: Totales, condiciones: Condiciones) -> list[cuotas_srv.Cuota]:
    """The instalments of a credit document: they cover what is pending net of the detracción (which the
    customer deposits in the Banco de la Nación)."""
    cuotas_srv.sin_cuotas(condiciones.forma_pago, condiciones.cuotas)
    if condiciones.forma_pago == "Contado":
        return []
    if tipo not in (cat.FACTURA, cat.BOLETA):
        raise ValidationError("Solo facturas y boletas se emiten al crédito", field="forma_pago")
    retenido = totales.importe_total - totales.monto_neto_pendiente
    pendiente = (condiciones.pendiente if condiciones.pendiente is not None else totales.importe_total) - retenido
    return cuotas_srv.plan(condiciones.cuotas, pendiente, fecha, condiciones.dias_credito)


def traducible(session: Session, tipo_operacion: str, credito: bool) -> None:
    """Nubefact receives our UBL translated to its JSON, which does not carry instalments, detracción or exports
    yet: refuse rather than send a factura that says something else."""
    if configuracion_srv.obtener(session).proveedor_sunat != "NUBEFACT":
        return
    if credito or tipo_operacion != OPERACION_VENTA_INTERNA:
        raise UnprocessableError("Con el proveedor Nubefact aún no se emiten facturas al crédito, con detracción ni "
                                 "exportaciones: use el envío directo a SUNAT (proveedor_sunat SEE)",
                                 field="forma_pago" if credito else "tipo_operacion")


# --- stored on the comprobante, read back ----------------------------------------------------------------


def anotar(comprobante: Comprobante, tipo_operacion: str, plan: list[cuotas_srv.Cuota],
           detraccion_: doc.Detraccion | None, totales: Totales) -> None:
    """The payment and operation fields of a comprobante about to be written."""
    comprobante.tipo_operacion = tipo_operacion
    comprobante.forma_pago = "Credito" if plan else "Contado"
    comprobante.monto_neto_pendiente = sum((q.monto for q in plan), Decimal("0.00")) if plan else None
    if detraccion_ is not None:
        comprobante.detraccion_codigo, comprobante.detraccion_porcentaje = detraccion_.codigo_bien_servicio, \
            detraccion_.porcentaje
        comprobante.detraccion_monto, comprobante.detraccion_cuenta = totales.monto_detraccion, \
            detraccion_.cuenta_banco_nacion
        comprobante.detraccion_medio_pago = detraccion_.medio_pago


def guardar_cuotas(session: Session, comprobante_id: int, plan: list[cuotas_srv.Cuota]) -> None:
    if plan:
        insert_rows(session, CuotaComprobante, [
            {"comprobante_id": comprobante_id, "numero": i, "monto": q.monto, "fecha_vencimiento": q.fecha_vencimiento}
            for i, q in enumerate(plan, start=1)])


def cuotas(session: Session, comprobante_id: int) -> list[CuotaComprobante]:
    return list(session.execute(select(CuotaComprobante).where(CuotaComprobante.comprobante_id == comprobante_id)
                                .order_by(CuotaComprobante.numero)).scalars())


def detraccion_guardada(c: Comprobante) -> doc.Detraccion | None:
    if c.detraccion_codigo is None:
        return None
    return doc.Detraccion(c.detraccion_codigo, Decimal(c.detraccion_porcentaje), c.detraccion_cuenta or "",
                          monto=Decimal(c.detraccion_monto), medio_pago=c.detraccion_medio_pago or "001")


def forma_pago_guardada(session: Session, c: Comprobante) -> doc.FormaPago | None:
    """Facturas state their FormaPago (SUNAT 3244); boletas and notes do not."""
    if c.tipo != cat.FACTURA:
        return None
    if c.forma_pago == "Contado":
        return doc.FormaPago.contado()
    return doc.FormaPago.credito([doc.Cuota(Decimal(q.monto), q.fecha_vencimiento) for q in cuotas(session, c.id)],
                                 Decimal(c.monto_neto_pendiente))

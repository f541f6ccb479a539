"""Quotes (module 1): create, edit while not expired, duplicate, convert to a sales order, nightly expiry."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import Field
from sqlalchemy import delete, select, text
from sqlmodel import Session

from core.db import get_or_404
from core.errors import Conflict, Forbidden, NotFound
from core.schemas import Entrada, Id
from models.ventas import Cotizacion, DetalleCotizacion, OrdenVenta
from services import calculo
from services import cuotas as cuotas_srv
from services import productos as productos_srv
from services.auth import AuthUser
from services.calculo import DescuentoCargoIn
from services.stock import hoy_lima
from services.ventas import cliente_activo, detalle_calculado

DIAS_VALIDEZ = 15


class LineaCotizacionIn(Entrada):
    producto_id: Id
    cantidad: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    precio: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    descuento: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)


class CotizacionIn(Entrada):
    cliente_id: Id
    lineas: list[LineaCotizacionIn] = Field(min_length=1, max_length=500)
    dias_validez: int | None = Field(default=None, ge=1, le=365)  # None: 15 on create, unchanged on edit
    observaciones: str = Field(default="", max_length=500)
    descuentos_cargos: list[DescuentoCargoIn] = Field(default=[], max_length=10)  # global, catálogo 53
    forma_pago: cuotas_srv.FormaPagoIn = "Contado"
    cuotas: list[cuotas_srv.CuotaIn] | None = Field(default=None, max_length=999)  # Credito; default: días de crédito


def _cuotas(cotizacion: Cotizacion, datos: CotizacionIn, dias_credito: int) -> None:
    """A credit quote carries its instalments (they add up to the quote's total), copied to its order."""
    cuotas_srv.sin_cuotas(datos.forma_pago, datos.cuotas)
    plan = [] if datos.forma_pago == "Contado" else cuotas_srv.plan(datos.cuotas, cotizacion.total,
                                                                     cotizacion.fecha_emision, dias_credito)
    cotizacion.cuotas = [c.json() for c in plan] or None


_COLUMNAS = ("precio_unitario", "descuento", "subtotal", "igv", "icbper", "total")


def _lineas(session: Session, cotizacion: Cotizacion, datos: CotizacionIn) -> None:
    """Price the lines exactly as the sale (and its comprobante) will and store them with the quote's totals
    (replacing old lines)."""
    productos = productos_srv.cargar(session, {line.producto_id for line in datos.lineas}, "lineas")
    lineas = [calculo.linea_de_producto(productos[lin.producto_id], lin.cantidad, lin.precio, lin.descuento,
                                        f"lineas.{i}.") for i, lin in enumerate(datos.lineas)]
    globales = calculo.globales_json(datos.descuentos_cargos)
    totales = calculo.calcular(session, lineas, calculo.globales_sunat(globales))
    session.execute(delete(DetalleCotizacion).where(DetalleCotizacion.cotizacion_id == cotizacion.id))
    detalle = []
    for lin, linea, tl in zip(datos.lineas, lineas, totales.lineas, strict=True):
        montos = {k: v for k, v in detalle_calculado(linea, tl).items() if k in _COLUMNAS}
        detalle.append(DetalleCotizacion(cotizacion_id=cotizacion.id, producto_id=lin.producto_id,
                                         cantidad=lin.cantidad, precio=montos.pop("precio_unitario"), **montos))
    session.add_all(detalle)
    cotizacion.subtotal, cotizacion.igv = totales.valor_venta, totales.igv + totales.ivap
    cotizacion.icbper, cotizacion.total = totales.icbper, totales.importe_total
    cotizacion.descuentos_cargos = globales


def crear(session: Session, user: AuthUser, datos: CotizacionIn) -> Cotizacion:
    cliente = cliente_activo(session, datos.cliente_id, bloquear=False)
    hoy = hoy_lima()
    cotizacion = Cotizacion(cliente_id=datos.cliente_id, vendedor_id=user.id, fecha_emision=hoy,
                            fecha_vencimiento=hoy + timedelta(days=datos.dias_validez or DIAS_VALIDEZ),
                            observaciones=datos.observaciones)
    session.add(cotizacion)
    session.flush()
    _lineas(session, cotizacion, datos)
    _cuotas(cotizacion, datos, cliente.dias_credito)
    session.commit()
    return cotizacion


def _bloquear(session: Session, cotizacion_id: int) -> Cotizacion:
    cotizacion = session.execute(select(Cotizacion).where(Cotizacion.id == cotizacion_id)
                                 .with_for_update()).scalar_one_or_none()
    if cotizacion is None:
        raise NotFound("Cotización no encontrada")
    return cotizacion


def _vigente(cotizacion: Cotizacion, hoy: date) -> None:
    """Expired (marked by the nightly job, or past its date before the job ran) → 403; converted → 409."""
    if cotizacion.estado == "vencida" or (cotizacion.estado == "pendiente" and cotizacion.fecha_vencimiento < hoy):
        raise Forbidden("La cotización está vencida: no se puede modificar. Use duplicar", field="estado")
    if cotizacion.estado == "convertida":
        raise Conflict("La cotización ya fue convertida en orden de venta", field="estado")


def editar(session: Session, cotizacion_id: int, datos: CotizacionIn) -> Cotizacion:
    cotizacion = _bloquear(session, cotizacion_id)
    _vigente(cotizacion, hoy_lima())
    cliente = cliente_activo(session, datos.cliente_id, bloquear=False)
    cotizacion.cliente_id, cotizacion.observaciones = datos.cliente_id, datos.observaciones
    if datos.dias_validez:
        cotizacion.fecha_vencimiento = cotizacion.fecha_emision + timedelta(days=datos.dias_validez)
    _lineas(session, cotizacion, datos)
    _cuotas(cotizacion, datos, cliente.dias_credito)
    session.add(cotizacion)
    session.commit()
    return cotizacion


def duplicar(session: Session, user: AuthUser, cotizacion_id: int) -> Cotizacion:
    """A new `pendiente` quote with the same lines, issued today with the same validity period."""
    origen = get_or_404(session, Cotizacion, cotizacion_id, "Cotización no encontrada")
    hoy = hoy_lima()
    copia = Cotizacion(cliente_id=origen.cliente_id, vendedor_id=user.id, fecha_emision=hoy,
                       fecha_vencimiento=hoy + (origen.fecha_vencimiento - origen.fecha_emision),
                       observaciones=origen.observaciones, subtotal=origen.subtotal, igv=origen.igv,
                       icbper=origen.icbper, total=origen.total, descuentos_cargos=origen.descuentos_cargos,
                       cotizacion_origen_id=origen.id)
    session.add(copia)
    session.flush()
    session.add_all([
        DetalleCotizacion(cotizacion_id=copia.id, producto_id=d.producto_id, cantidad=d.cantidad, precio=d.precio,
                          descuento=d.descuento, subtotal=d.subtotal, igv=d.igv, icbper=d.icbper, total=d.total)
        for d in detalle(session, origen.id)
    ])
    session.commit()
    return copia


def convertir(session: Session, cotizacion_id: int) -> OrdenVenta:
    cotizacion = _bloquear(session, cotizacion_id)
    _vigente(cotizacion, hoy_lima())
    orden = OrdenVenta(cotizacion_id=cotizacion.id, cliente_id=cotizacion.cliente_id, total=cotizacion.total,
                       fecha_confirmacion=datetime.now(UTC), cuotas=cotizacion.cuotas)
    cotizacion.estado = "convertida"
    session.add_all([orden, cotizacion])
    session.commit()
    return orden


def detalle(session: Session, cotizacion_id: int) -> list[DetalleCotizacion]:
    return list(session.execute(select(DetalleCotizacion).where(DetalleCotizacion.cotizacion_id == cotizacion_id)
                                .order_by(DetalleCotizacion.id)).scalars())


def obtener(session: Session, cotizacion_id: int) -> dict:
    cotizacion = get_or_404(session, Cotizacion, cotizacion_id, "Cotización no encontrada")
    return cotizacion.model_dump() | {"detalle": [d.model_dump() for d in detalle(session, cotizacion_id)]}


_VENCER = text("""
    UPDATE cotizaciones SET estado = 'vencida' WHERE estado = 'pendiente' AND fecha_vencimiento < :hoy
""")


def vencer(session: Session, hoy: date | None = None) -> int:
    """The nightly job: every pending quote whose validity ended before today (Lima) becomes `vencida`."""
    vencidas = session.execute(_VENCER, {"hoy": hoy or hoy_lima()}).rowcount
    session.commit()
    return vencidas

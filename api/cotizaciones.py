"""Module 1 quotes: /api/cotizaciones/."""

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from api.deps import Allowed, SessionDep
from core.schemas import Id, Salida, salida_de
from models.ventas import Cotizacion, DetalleCotizacion, OrdenVenta
from services import cotizaciones

router = APIRouter(prefix="/api/cotizaciones", tags=["cotizaciones"])


class CuotaPlanOut(Salida):
    """A planned credit instalment; it becomes a Cuota00n of the factura."""

    monto: Decimal = Field(examples=["59.00"])
    fecha_vencimiento: date


CUOTAS = (list[CuotaPlanOut] | None, Field(description="forma de pago Credito: the instalments (adding up to "
                                                       "the total); null for Contado"))
DetalleCotizacionOut = salida_de(DetalleCotizacion, "DetalleCotizacionOut")
CotizacionOut = salida_de(
    Cotizacion, "CotizacionOut", doc="A quote (pendiente | vencida | convertida) with its priced lines.",
    excluir=("cuotas",), cuotas=CUOTAS, detalle=(list[DetalleCotizacionOut], ...),  # type: ignore[valid-type]
    ejemplo={"id": 8, "cliente_id": 12, "vendedor_id": 2, "fecha_emision": "2026-03-02",
             "fecha_vencimiento": "2026-03-17", "estado": "pendiente", "observaciones": "", "subtotal": "100.00",
             "igv": "18.00", "total": "118.00", "cotizacion_origen_id": None, "created_at": "2026-03-02T15:00:00Z",
             "cuotas": [{"monto": "59.00", "fecha_vencimiento": "2026-04-01"},
                        {"monto": "59.00", "fecha_vencimiento": "2026-05-01"}],
             "detalle": [{"id": 20, "cotizacion_id": 8, "producto_id": 5, "cantidad": "10.000", "precio": "11.80",
                          "descuento": "0.00", "subtotal": "100.00", "igv": "18.00", "total": "118.00"}]})
OrdenVentaOut = salida_de(
    OrdenVenta, "OrdenVentaOut", doc="The sales order a quote was converted into (with the quote's instalments).",
    excluir=("cuotas",), cuotas=CUOTAS, ejemplo={
        "id": 3, "cotizacion_id": 8, "cliente_id": 12, "estado": "confirmada",
        "fecha_confirmacion": "2026-03-03T10:00:00Z", "total": "118.00", "cuotas": None})


@router.post("/", status_code=201, response_model=CotizacionOut)
def crear(datos: cotizaciones.CotizacionIn, session: SessionDep,
          user: Allowed("cotizaciones", "crear")) -> dict[str, Any]:
    return cotizaciones.obtener(session, cotizaciones.crear(session, user, datos).id)


@router.get("/{cotizacion_id}/", response_model=CotizacionOut)
def obtener(cotizacion_id: Id, session: SessionDep, _: Allowed("cotizaciones", "ver")) -> dict[str, Any]:
    return cotizaciones.obtener(session, cotizacion_id)


@router.put("/{cotizacion_id}/", response_model=CotizacionOut)
def editar(cotizacion_id: Id, datos: cotizaciones.CotizacionIn, session: SessionDep,
           _: Allowed("cotizaciones", "editar")) -> dict[str, Any]:
    """Only while not expired: an expired quote answers 403 "Use duplicar"."""
    return cotizaciones.obtener(session, cotizaciones.editar(session, cotizacion_id, datos).id)


@router.post("/{cotizacion_id}/duplicar/", status_code=201, response_model=CotizacionOut)
def duplicar(cotizacion_id: Id, session: SessionDep, user: Allowed("cotizaciones", "crear")) -> dict[str, Any]:
    return cotizaciones.obtener(session, cotizaciones.duplicar(session, user, cotizacion_id).id)


@router.post("/{cotizacion_id}/convertir/", status_code=201, response_model=OrdenVentaOut)
def convertir(cotizacion_id: Id, session: SessionDep, _: Allowed("cotizaciones", "convertir")) -> OrdenVenta:
    return cotizaciones.convertir(session, cotizacion_id)

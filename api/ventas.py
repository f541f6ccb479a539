"""Module 1 sales: /api/ventas/ (POS sale, list, detail, offline sync, payment methods)."""

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from api.contrato import errores
from api.deps import Allowed, SessionDep, idempotent
from core.context import Actor
from core.schemas import Fecha, Id, Pagina, Paginacion, Salida, salida_de
from models.ventas import METODOS_PAGO, DetalleVenta, FormaPago, Venta
from services import ventas
from services.inventario import limites_lima

router = APIRouter(prefix="/api/ventas", tags=["ventas"])

_VENTA = {"id": 31, "cliente_id": None, "usuario_id": 2, "sucursal_id": 1, "almacen_id": 1, "caja_id": 4,
          "fecha": "2026-03-02T15:30:00Z", "tipo_comprobante": "03", "comprobante_id": 57, "subtotal": "20.00",
          "descuento": "0.00", "igv": "3.60", "total": "23.60", "estado": "registrada", "modo_emision": "POS",
          "metodo_pago": "EFECTIVO", "id_local": None}
VentaResumenOut = salida_de(Venta, "VentaResumenOut", ejemplo=_VENTA,
                            doc="A sale without its lines (tipo_comprobante 01 factura | 03 boleta).")
DetalleVentaOut = salida_de(DetalleVenta, "DetalleVentaOut")
FormaPagoOut = salida_de(FormaPago, "FormaPagoOut")
VentaOut = salida_de(
    Venta, "VentaOut", doc="A sale with its lines and payments.",
    detalle=(list[DetalleVentaOut], ...), formas_pago=(list[FormaPagoOut], ...),  # type: ignore[valid-type]
    ejemplo=_VENTA | {
        "detalle": [{"id": 40, "venta_id": 31, "producto_id": 5, "lote_id": None, "cantidad": "2.000",
                     "precio_unitario": "11.80", "valor_unitario": "10.000000", "afectacion_igv": "10",
                     "descuento": "0.00", "subtotal": "20.00", "igv": "3.60", "total": "23.60",
                     "alerta_stock": False}],
        "formas_pago": [{"id": 41, "venta_id": 31, "metodo": "EFECTIVO", "monto": "23.60", "referencia": "",
                         "confirmado": True}]})


class MetodoPagoOut(Salida):
    codigo: str = Field(examples=["YAPE"])
    nombre: str = Field(examples=["Yape"])
    efectivo: bool = Field(description="counted in the register's cash")
    credito: bool = Field(description="a credit sale (needs a customer with available credit)")


class ResultadoSyncOut(Salida):
    id_local: uuid.UUID
    estado: str = Field(description="creada | duplicada | error_sync")
    venta_id: int | None
    motivo: str | None


class SincronizacionOut(Salida):
    resultados: list[ResultadoSyncOut] = Field(description="in the order the sales happened")
    creadas: int
    errores: int


@router.post("/", status_code=201, response_model=VentaOut)
@idempotent
def registrar(datos: ventas.VentaIn, session: SessionDep, user: Allowed("ventas", "crear")) -> dict[str, Any]:
    """Register a sale: stock, IGV, payments and the comprobante request in one transaction."""
    return ventas.vista(ventas.registrar(session, user, datos))


@router.get("/", response_model=Pagina[VentaResumenOut], responses=errores(422))
def listar(session: SessionDep, user: Allowed("ventas", "ver"), pagina: Annotated[Paginacion, Depends()],
           desde: Fecha | None = None, hasta: Fecha | None = None, sucursal_id: Id | None = None,
           cliente_id: Id | None = None, usuario_id: Id | None = None) -> Pagina[VentaResumenOut]:
    """Newest first; `desde`/`hasta` are Lima business days, both inclusive. Cashiers and sellers see their
    own sales; ventas:ver_todas those of their branches; ADMIN every sale."""
    inicio, fin = limites_lima(desde, hasta)
    return pagina.pagina(*ventas.listar(session, user, inicio, fin, sucursal_id, cliente_id, usuario_id, pagina))


@router.get("/metodos-pago/", response_model=Pagina[MetodoPagoOut])
def metodos_pago(_: Allowed("ventas", "ver"), pagina: Annotated[Paginacion, Depends()]) -> Pagina[MetodoPagoOut]:
    metodos = [MetodoPagoOut(codigo=k, nombre=n, efectivo=e, credito=c) for k, (n, e, c) in METODOS_PAGO.items()]
    return pagina.pagina(metodos[pagina.offset:pagina.offset + pagina.limit], len(metodos))


@router.post("/offline-sync/", response_model=SincronizacionOut)
def offline_sync(lote: ventas.LoteOfflineIn, session: SessionDep, user: Allowed("ventas", "crear")) -> dict[str, Any]:
    """Sales made offline, processed in the order they happened; each reported creada/duplicada/error_sync."""
    actor: Actor = session.info["actor"]
    resultados = ventas.sincronizar_offline(user, actor, lote)
    return {"resultados": [asdict(r) for r in resultados],
            "creadas": sum(r.estado == "creada" for r in resultados),
            "errores": sum(r.estado == "error_sync" for r in resultados)}


@router.get("/{venta_id}/", response_model=VentaOut)
def obtener(venta_id: Id, session: SessionDep, user: Allowed("ventas", "ver")) -> dict[str, Any]:
    """403 for another seller's sale (without ventas:ver_todas) or another branch's."""
    return ventas.obtener(session, user, venta_id)

"""Module 2 inventory: /api/inventario/ (stock, movements, adjustments, transfers, traceability, alerts)."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from api.contrato import errores
from api.deps import Allowed, SessionDep
from core.schemas import Fecha, Id, Pagina, Paginacion, Salida, salida_de
from models.inventario import DetalleTransferencia, IncidenciaTransferencia, LoteSerie, MovimientoStock, Transferencia
from services import inventario, transferencias
from services.stock import Saldo

router = APIRouter(prefix="/api/inventario", tags=["inventario"])
Pag = Annotated[Paginacion, Depends()]


class StockOut(Salida):
    """A product's stock in one warehouse."""

    id: int
    producto_id: int
    sku: str
    nombre: str
    almacen_id: int
    almacen: str
    stock_actual: Decimal
    stock_minimo: Decimal
    stock_maximo: Decimal
    stock_seguridad: Decimal
    bajo_minimo: bool = Field(description="a minimum is set and the stock is at or under it")


class SaldoOut(Salida):
    """The product's stock in the warehouse after the movement."""

    stock_actual: Decimal = Field(examples=["18.000"])
    stock_minimo: Decimal = Field(examples=["5.000"])


MovimientoOut = salida_de(MovimientoStock, "MovimientoOut", doc="One kardex row (immutable).", ejemplo={
    "id": 1201, "created_at": "2026-03-02T15:30:00Z", "producto_id": 5, "almacen_id": 1, "almacen_origen_id": 1,
    "almacen_destino_id": None, "tipo_movimiento": "VENTA", "cantidad": "-2.000", "motivo": "Venta",
    "usuario_id": 2, "lote_id": None, "referencia_doc": "venta-31"})
LoteOut = salida_de(LoteSerie, "LoteOut")


class TrazabilidadOut(Salida):
    """Everything that happened to a lot or serial number, in every warehouse, oldest first."""

    codigo: str
    lotes: list[LoteOut]  # type: ignore[valid-type]
    movimientos: list[MovimientoOut]  # type: ignore[valid-type]


DetalleTransferenciaOut = salida_de(DetalleTransferencia, "DetalleTransferenciaOut")
IncidenciaOut = salida_de(IncidenciaTransferencia, "IncidenciaOut")
TransferenciaOut = salida_de(
    Transferencia, "TransferenciaOut",
    doc="A transfer (SOLICITADA → EN_TRANSITO → CONFIRMADA | CON_INCIDENCIA) with its lines and incidences.",
    detalle=(list[DetalleTransferenciaOut], ...), incidencias=(list[IncidenciaOut], ...))  # type: ignore[valid-type]


def _saldo(saldo: Saldo) -> SaldoOut:
    return SaldoOut(stock_actual=saldo.stock_actual, stock_minimo=saldo.stock_minimo)


@router.get("/stock/", response_model=Pagina[StockOut])
def stock(session: SessionDep, user: Allowed("inventario", "ver"), pagina: Pag, almacen_id: Id | None = None,
          producto_id: Id | None = None) -> Pagina[StockOut]:
    return pagina.pagina(*inventario.consultar_stock(session, user, almacen_id, producto_id, pagina))


@router.get("/alertas-stock/", response_model=Pagina[StockOut])
def alertas_stock(session: SessionDep, user: Allowed("inventario", "ver"), pagina: Pag,
                  almacen_id: Id | None = None) -> Pagina[StockOut]:
    """Products at or under their minimum stock."""
    return pagina.pagina(*inventario.consultar_stock(session, user, almacen_id, None, pagina, solo_alertas=True))


@router.post("/entrada/", status_code=201, response_model=SaldoOut)
def entrada(datos: inventario.EntradaIn, session: SessionDep, user: Allowed("inventario", "entrada")) -> SaldoOut:
    return _saldo(inventario.entrada(session, user, datos))


@router.post("/salida/", status_code=201, response_model=SaldoOut)
def salida(datos: inventario.SalidaIn, session: SessionDep, user: Allowed("inventario", "salida")) -> SaldoOut:
    return _saldo(inventario.salida(session, user, datos))


@router.post("/ajuste/", status_code=201, response_model=SaldoOut)
def ajuste(datos: inventario.AjusteIn, session: SessionDep, user: Allowed("inventario", "ajustar")) -> SaldoOut:
    return _saldo(inventario.ajuste(session, user, datos))


@router.get("/movimientos/", response_model=Pagina[MovimientoOut], responses=errores(422))
def movimientos(session: SessionDep, user: Allowed("inventario", "ver"), pagina: Pag, producto_id: Id | None = None,
                almacen_id: Id | None = None, tipo: Annotated[str | None, Query(max_length=25)] = None,
                desde: Fecha | None = None, hasta: Fecha | None = None) -> Pagina[MovimientoOut]:
    """The kardex, newest first; `desde`/`hasta` are Lima business days, both inclusive."""
    return pagina.pagina(*inventario.movimientos(session, user, producto_id, almacen_id, tipo, desde, hasta, pagina))


@router.get("/trazabilidad/{lote}/", response_model=TrazabilidadOut)
def trazabilidad(lote: Annotated[str, Path(max_length=80)], session: SessionDep,
                 user: Allowed("inventario", "ver")) -> dict[str, Any]:
    return inventario.trazabilidad(session, user, lote)


@router.post("/transferencia/", status_code=201, response_model=TransferenciaOut)
def crear_transferencia(datos: transferencias.TransferenciaIn, session: SessionDep,
                        user: Allowed("inventario", "transferir")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.crear(session, user, datos).id)


@router.get("/transferencia/{transferencia_id}/", response_model=TransferenciaOut)
def obtener_transferencia(transferencia_id: Id, session: SessionDep,
                          _: Allowed("inventario", "ver")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencia_id)


@router.post("/transferencia/{transferencia_id}/despachar/", response_model=TransferenciaOut)
def despachar(transferencia_id: Id, session: SessionDep, user: Allowed("inventario", "transferir")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.despachar(session, user, transferencia_id).id)


@router.post("/transferencia/{transferencia_id}/confirmar/", response_model=TransferenciaOut)
def confirmar(transferencia_id: Id, datos: transferencias.ConfirmacionIn, session: SessionDep,
              user: Allowed("inventario", "confirmar")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.confirmar(session, user, transferencia_id, datos).id)


@router.post("/transferencia/{transferencia_id}/resolver/", response_model=TransferenciaOut)
def resolver(transferencia_id: Id, datos: transferencias.ResolucionIn, session: SessionDep,
             user: Allowed("inventario", "resolver")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.resolver(session, user, transferencia_id, datos).id)

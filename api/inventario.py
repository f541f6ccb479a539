"""Module 2 inventory: /api/inventario/ (stock, movements, adjustments, transfers, traceability, alerts)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Allowed, SessionDep
from core.schemas import Fecha, Id
from services import inventario, transferencias
from services.stock import Saldo

router = APIRouter(prefix="/api/inventario", tags=["inventario"])


def _saldo(saldo: Saldo) -> dict[str, Any]:
    return {"stock_actual": saldo.stock_actual, "stock_minimo": saldo.stock_minimo}


@router.get("/stock/")
def stock(session: SessionDep, user: Allowed("inventario", "ver"), almacen_id: Id | None = None,
          producto_id: Id | None = None) -> list[dict[str, Any]]:
    return inventario.consultar_stock(session, user, almacen_id, producto_id)


@router.get("/alertas-stock/")
def alertas_stock(session: SessionDep, user: Allowed("inventario", "ver"),
                  almacen_id: Id | None = None) -> list[dict[str, Any]]:
    """Products at or under their minimum stock."""
    return inventario.consultar_stock(session, user, almacen_id, None, solo_alertas=True)


@router.post("/entrada/", status_code=201)
def entrada(datos: inventario.EntradaIn, session: SessionDep,
            user: Allowed("inventario", "entrada")) -> dict[str, Any]:
    return _saldo(inventario.entrada(session, user, datos))


@router.post("/salida/", status_code=201)
def salida(datos: inventario.SalidaIn, session: SessionDep, user: Allowed("inventario", "salida")) -> dict[str, Any]:
    return _saldo(inventario.salida(session, user, datos))


@router.post("/ajuste/", status_code=201)
def ajuste(datos: inventario.AjusteIn, session: SessionDep, user: Allowed("inventario", "ajustar")) -> dict[str, Any]:
    return _saldo(inventario.ajuste(session, user, datos))


@router.get("/movimientos/")
def movimientos(session: SessionDep, user: Allowed("inventario", "ver"), producto_id: Id | None = None,
                almacen_id: Id | None = None, tipo: str | None = None, desde: Fecha | None = None,
                hasta: Fecha | None = None, cursor: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    return inventario.movimientos(session, user, producto_id, almacen_id, tipo, desde, hasta, cursor, limit)


@router.get("/trazabilidad/{lote}/")
def trazabilidad(lote: str, session: SessionDep, user: Allowed("inventario", "ver")) -> dict[str, Any]:
    return inventario.trazabilidad(session, user, lote)


@router.post("/transferencia/", status_code=201)
def crear_transferencia(datos: transferencias.TransferenciaIn, session: SessionDep,
                        user: Allowed("inventario", "transferir")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.crear(session, user, datos).id)


@router.get("/transferencia/{transferencia_id}/")
def obtener_transferencia(transferencia_id: Id, session: SessionDep,
                          _: Allowed("inventario", "ver")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencia_id)


@router.post("/transferencia/{transferencia_id}/despachar/")
def despachar(transferencia_id: Id, session: SessionDep, user: Allowed("inventario", "transferir")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.despachar(session, user, transferencia_id).id)


@router.post("/transferencia/{transferencia_id}/confirmar/")
def confirmar(transferencia_id: Id, datos: transferencias.ConfirmacionIn, session: SessionDep,
              user: Allowed("inventario", "confirmar")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.confirmar(session, user, transferencia_id, datos).id)


@router.post("/transferencia/{transferencia_id}/resolver/")
def resolver(transferencia_id: Id, datos: transferencias.ResolucionIn, session: SessionDep,
             user: Allowed("inventario", "resolver")) -> dict[str, Any]:
    return transferencias.obtener(session, transferencias.resolver(session, user, transferencia_id, datos).id)

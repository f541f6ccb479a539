"""Module 1 cash registers: /api/cajas/abrir/, /api/cajas/cerrar/ (with arqueo)."""

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from api.contrato import errores
from api.deps import Allowed, SessionDep
from core.schemas import salida_de
from models.ventas import ArqueoCaja, Caja
from services import cajas, ventas

router = APIRouter(prefix="/api/cajas", tags=["cajas"])

_CAJA = {"id": 4, "sucursal_id": 1, "usuario_id": 2, "estado": "ABIERTA", "monto_apertura": "100.00",
         "monto_cierre": None, "diferencia": None, "fecha_apertura": "2026-03-02T13:00:00Z", "fecha_cierre": None}
CajaOut = salida_de(Caja, "CajaOut", ejemplo=_CAJA, doc="A cash register session (ABIERTA | CERRADA).")
ArqueoOut = salida_de(ArqueoCaja, "ArqueoOut")
CierreOut = salida_de(
    Caja, "CierreOut", doc="The closed register and its count per payment method (arqueo).",
    arqueo=(list[ArqueoOut], ...),  # type: ignore[valid-type]
    ejemplo=_CAJA | {"estado": "CERRADA", "monto_cierre": "520.50", "diferencia": "-0.50",
                     "fecha_cierre": "2026-03-02T23:00:00Z", "arqueo": [
                         {"id": 9, "caja_id": 4, "metodo": "EFECTIVO", "monto_esperado": "521.00",
                          "monto_contado": "520.50", "diferencia": "-0.50"}]})
CajaActualOut = salida_de(
    Caja, "CajaActualOut", doc="The user's open register and what it should hold now, per payment method.",
    esperado=(dict[str, Decimal], Field(description="payment method → expected amount (EFECTIVO includes the float)")),
    ejemplo=_CAJA | {"esperado": {"EFECTIVO": "221.00", "YAPE": "80.00"}})


@router.post("/abrir/", status_code=201, response_model=CajaOut)
def abrir(datos: cajas.AperturaIn, session: SessionDep, user: Allowed("cajas", "abrir")) -> Caja:
    return cajas.abrir(session, user, datos)


@router.post("/cerrar/", response_model=CierreOut)
def cerrar(datos: cajas.CierreIn, session: SessionDep, user: Allowed("cajas", "cerrar")) -> dict[str, Any]:
    return cajas.cerrar(session, user, datos)


@router.get("/actual/", response_model=CajaActualOut, responses=errores(409))
def actual(session: SessionDep, user: Allowed("cajas", "ver")) -> dict[str, Any]:
    """The user's open register and what it should hold right now, per payment method (409 if none is open)."""
    caja = ventas.caja_abierta(session, user.id)
    return caja.model_dump() | {"esperado": cajas.esperado_por_metodo(session, caja)}

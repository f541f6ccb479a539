"""Module 1 cash registers: /api/cajas/abrir/, /api/cajas/cerrar/ (with arqueo)."""

from typing import Any

from fastapi import APIRouter

from api.deps import Allowed, SessionDep
from services import cajas, ventas

router = APIRouter(prefix="/api/cajas", tags=["cajas"])


@router.post("/abrir/", status_code=201)
def abrir(datos: cajas.AperturaIn, session: SessionDep, user: Allowed("cajas", "abrir")) -> dict[str, Any]:
    return cajas.abrir(session, user, datos).model_dump()


@router.post("/cerrar/")
def cerrar(datos: cajas.CierreIn, session: SessionDep, user: Allowed("cajas", "cerrar")) -> dict[str, Any]:
    return cajas.cerrar(session, user, datos)


@router.get("/actual/")
def actual(session: SessionDep, user: Allowed("cajas", "ver")) -> dict[str, Any]:
    """The user's open register and what it should hold right now, per payment method."""
    caja = ventas.caja_abierta(session, user.id)
    return caja.model_dump() | {"esperado": cajas.esperado_por_metodo(session, caja)}

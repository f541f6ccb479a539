"""Module 1 quotes: /api/cotizaciones/."""

from typing import Any

from fastapi import APIRouter

from api.deps import Allowed, SessionDep
from core.schemas import Id
from services import cotizaciones

router = APIRouter(prefix="/api/cotizaciones", tags=["cotizaciones"])


@router.post("/", status_code=201)
def crear(datos: cotizaciones.CotizacionIn, session: SessionDep,
          user: Allowed("cotizaciones", "crear")) -> dict[str, Any]:
    return cotizaciones.obtener(session, cotizaciones.crear(session, user, datos).id)


@router.get("/{cotizacion_id}/")
def obtener(cotizacion_id: Id, session: SessionDep, _: Allowed("cotizaciones", "ver")) -> dict[str, Any]:
    return cotizaciones.obtener(session, cotizacion_id)


@router.put("/{cotizacion_id}/")
def editar(cotizacion_id: Id, datos: cotizaciones.CotizacionIn, session: SessionDep,
           _: Allowed("cotizaciones", "editar")) -> dict[str, Any]:
    """Only while not expired: an expired quote answers 403 "Use duplicar"."""
    return cotizaciones.obtener(session, cotizaciones.editar(session, cotizacion_id, datos).id)


@router.post("/{cotizacion_id}/duplicar/", status_code=201)
def duplicar(cotizacion_id: Id, session: SessionDep, user: Allowed("cotizaciones", "crear")) -> dict[str, Any]:
    return cotizaciones.obtener(session, cotizaciones.duplicar(session, user, cotizacion_id).id)


@router.post("/{cotizacion_id}/convertir/", status_code=201)
def convertir(cotizacion_id: Id, session: SessionDep, _: Allowed("cotizaciones", "convertir")) -> dict[str, Any]:
    return cotizaciones.convertir(session, cotizacion_id).model_dump()

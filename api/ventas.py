"""Module 1 sales: /api/ventas/ (POS sale, list, detail, offline sync, payment methods)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Allowed, SessionDep, idempotent
from core.context import Actor
from core.schemas import Desplazamiento, Fecha, Id
from models.ventas import METODOS_PAGO
from services import ventas
from services.inventario import limites_lima

router = APIRouter(prefix="/api/ventas", tags=["ventas"])


@router.post("/", status_code=201)
@idempotent
def registrar(datos: ventas.VentaIn, session: SessionDep, user: Allowed("ventas", "crear")) -> dict[str, Any]:
    """Register a sale: stock, IGV, payments and the comprobante request in one transaction."""
    return ventas.vista(ventas.registrar(session, user, datos))


@router.get("/")
def listar(session: SessionDep, user: Allowed("ventas", "ver"), desde: Fecha | None = None, hasta: Fecha | None = None,
           sucursal_id: Id | None = None, cliente_id: Id | None = None, usuario_id: Id | None = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Desplazamiento = 0) -> list[dict]:
    inicio, fin = limites_lima(desde, hasta)
    return [v.model_dump() for v in ventas.listar(session, user, inicio, fin, sucursal_id, cliente_id, usuario_id,
                                                  limit, offset)]


@router.get("/metodos-pago/")
def metodos_pago(_: Allowed("ventas", "ver")) -> list[dict[str, Any]]:
    return [{"codigo": k, "nombre": n, "efectivo": e, "credito": c} for k, (n, e, c) in METODOS_PAGO.items()]


@router.post("/offline-sync/")
def offline_sync(lote: ventas.LoteOfflineIn, session: SessionDep, user: Allowed("ventas", "crear")) -> dict[str, Any]:
    """Sales made offline, processed in the order they happened; each reported creada/duplicada/error_sync."""
    actor: Actor = session.info["actor"]
    resultados = ventas.sincronizar_offline(user, actor, lote)
    return {"resultados": [r.__dict__ for r in resultados],
            "creadas": sum(r.estado == "creada" for r in resultados),
            "errores": sum(r.estado == "error_sync" for r in resultados)}


@router.get("/{venta_id}/")
def obtener(venta_id: Id, session: SessionDep, user: Allowed("ventas", "ver")) -> dict[str, Any]:
    """403 for another seller's sale (without ventas:ver_todas) or another branch's."""
    return ventas.obtener(session, user, venta_id)

"""Module 2 warehouses: /api/almacenes/."""

from typing import Any

from fastapi import APIRouter

from api.deps import Allowed, SessionDep
from core.schemas import Entrada, Id
from services import inventario

router = APIRouter(prefix="/api/almacenes", tags=["inventario"])


class AsignacionIn(Entrada):
    usuario_id: Id


@router.get("/")
def listar(session: SessionDep, user: Allowed("almacenes", "ver")) -> list[dict[str, Any]]:
    """The warehouses the user may operate on (admins: all)."""
    return [a.model_dump() for a in inventario.almacenes_visibles(session, user)]


@router.post("/", status_code=201)
def crear(datos: inventario.AlmacenIn, session: SessionDep, _: Allowed("almacenes", "crear")) -> dict[str, Any]:
    return inventario.crear_almacen(session, datos).model_dump()


@router.post("/{almacen_id}/usuarios/", status_code=204)
def asignar_usuario(almacen_id: Id, datos: AsignacionIn, session: SessionDep,
                    _: Allowed("almacenes", "editar")) -> None:
    inventario.asignar_usuario(session, almacen_id, datos.usuario_id)


@router.put("/{almacen_id}/productos/{producto_id}/")
def fijar_niveles(almacen_id: Id, producto_id: Id, datos: inventario.NivelesIn, session: SessionDep,
                  user: Allowed("almacenes", "editar")) -> dict[str, Any]:
    """Minimum, maximum and safety stock of a product in this warehouse."""
    return inventario.fijar_niveles(session, user, almacen_id, producto_id, datos).model_dump()

"""Module 2 warehouses: /api/almacenes/."""

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Allowed, SessionDep
from core.schemas import Entrada, Id, Pagina, Paginacion, salida_de
from models.inventario import Almacen, ProductoAlmacen
from services import inventario

router = APIRouter(prefix="/api/almacenes", tags=["inventario"])


AlmacenOut = salida_de(Almacen, "AlmacenOut", doc="A warehouse (PRINCIPAL | SUCURSAL | TRANSITO | DEVOLUCIONES).",
                       ejemplo={"id": 1, "nombre": "Tienda Miraflores", "tipo": "PRINCIPAL", "sucursal_id": 1,
                                "predeterminado": True, "activo": True, "created_at": "2026-03-01T09:00:00Z"})
NivelesOut = salida_de(ProductoAlmacen, "NivelesOut", doc="A product's stock and levels in one warehouse.")


class AsignacionIn(Entrada):
    usuario_id: Id


@router.get("/", response_model=Pagina[AlmacenOut])
def listar(session: SessionDep, user: Allowed("almacenes", "ver"),
           pagina: Annotated[Paginacion, Depends()]) -> Pagina[AlmacenOut]:
    """The warehouses the user may operate on (admins: all)."""
    return pagina.pagina(*inventario.listar_almacenes(session, user, pagina))


@router.post("/", status_code=201, response_model=AlmacenOut)
def crear(datos: inventario.AlmacenIn, session: SessionDep, _: Allowed("almacenes", "crear")) -> Almacen:
    return inventario.crear_almacen(session, datos)


@router.post("/{almacen_id}/usuarios/", status_code=204)
def asignar_usuario(almacen_id: Id, datos: AsignacionIn, session: SessionDep,
                    _: Allowed("almacenes", "editar")) -> None:
    inventario.asignar_usuario(session, almacen_id, datos.usuario_id)


@router.put("/{almacen_id}/productos/{producto_id}/", response_model=NivelesOut)
def fijar_niveles(almacen_id: Id, producto_id: Id, datos: inventario.NivelesIn, session: SessionDep,
                  user: Allowed("almacenes", "editar")) -> ProductoAlmacen:
    """Minimum, maximum and safety stock of a product in this warehouse."""
    return inventario.fijar_niveles(session, user, almacen_id, producto_id, datos)

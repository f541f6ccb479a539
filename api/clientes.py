"""Module 1 customers: /api/clientes/."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Allowed, SessionDep
from core.schemas import Desplazamiento, Id
from services import clientes

router = APIRouter(prefix="/api/clientes", tags=["clientes"])


@router.get("/")
def buscar(session: SessionDep, _: Allowed("clientes", "ver"), q: str | None = None, categoria: str | None = None,
           tag: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
           offset: Desplazamiento = 0) -> list[dict[str, Any]]:
    """Search by document number (prefix) or name (similarity)."""
    return [c.model_dump() for c in clientes.buscar(session, q, categoria, tag, limit, offset)]


@router.post("/", status_code=201)
def crear(datos: clientes.ClienteIn, session: SessionDep, _: Allowed("clientes", "crear")) -> dict[str, Any]:
    return clientes.crear(session, datos).model_dump()


@router.get("/{cliente_id}/")
def obtener(cliente_id: Id, session: SessionDep, _: Allowed("clientes", "ver")) -> dict[str, Any]:
    return clientes.obtener(session, cliente_id).model_dump()


@router.put("/{cliente_id}/")
def editar(cliente_id: Id, datos: clientes.ClienteIn, session: SessionDep,
           _: Allowed("clientes", "editar")) -> dict[str, Any]:
    return clientes.editar(session, cliente_id, datos).model_dump()
